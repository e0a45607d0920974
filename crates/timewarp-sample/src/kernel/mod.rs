//! Proposal kernels q(y, w | x, v) in the augmented space of positions and auxiliary velocities.
//!
//! A kernel is written in *reparameterised* form: the sampler draws the base noise
//! z = (z_x, z_v) ~ N(0, I) from each chain's own random stream and the kernel maps it
//! deterministically to a proposal, (y, w) = T(z; x, v), returning both
//! log q(y, w | x, v) and log q(x, v | y, w). Drawing the noise in the sampler keeps every chain a
//! single reproducible random stream even when the proposals of many chains share one batched
//! model call, and makes a resumed run bit-identical to an uninterrupted one.
//!
//! Implemented by [`crate::FlowProposal`] (the Timewarp flow) and by the Gaussian kernels of
//! [`gaussian`], whose densities are known in closed form (used to test the MH machinery).

pub mod gaussian;

use crate::SampleError;

/// A batch of `b` proposals for molecules of `n_atoms` atoms, stored flat (`b × n_atoms`).
#[derive(Debug, Clone, Default)]
pub struct Proposals {
    pub n_atoms: usize,
    /// Proposed positions y_k (nm), proposal-major.
    pub y: Vec<[f64; 3]>,
    /// Proposed auxiliary velocities w_k (dimensionless, N(0, I) under the target).
    pub w: Vec<[f64; 3]>,
    /// log q(y_k, w_k | x_k, v_k).
    pub log_q_forward: Vec<f64>,
    /// log q(x_k, v_k | y_k, w_k); NaN when the kernel was asked not to compute densities.
    pub log_q_reverse: Vec<f64>,
}

impl Proposals {
    /// Resizes the buffers for `b` proposals (no allocation once they are large enough).
    pub fn resize(&mut self, n_atoms: usize, b: usize) {
        self.n_atoms = n_atoms;
        self.y.resize(b * n_atoms, [0.0; 3]);
        self.w.resize(b * n_atoms, [0.0; 3]);
        self.log_q_forward.resize(b, 0.0);
        self.log_q_reverse.resize(b, 0.0);
    }

    /// Number of proposals in the batch.
    pub fn len(&self) -> usize {
        self.log_q_forward.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Positions of proposal `k`.
    pub fn y_of(&self, k: usize) -> &[[f64; 3]] {
        &self.y[k * self.n_atoms..(k + 1) * self.n_atoms]
    }

    /// Auxiliary velocities of proposal `k`.
    pub fn w_of(&self, k: usize) -> &[[f64; 3]] {
        &self.w[k * self.n_atoms..(k + 1) * self.n_atoms]
    }
}

/// What the sampler hands to a kernel: `b` conditioning states and their base noise, all flat
/// (`b × n_atoms`, proposal-major). Several proposals may share the same conditioning state.
#[derive(Debug, Clone, Copy)]
pub struct ProposalRequest<'a> {
    /// Conditioning positions x_k (nm).
    pub x: &'a [[f64; 3]],
    /// Conditioning auxiliary velocities v_k.
    pub v: &'a [[f64; 3]],
    /// Base noise for the positions, z_x ~ N(0, I).
    pub z_x: &'a [[f64; 3]],
    /// Base noise for the velocities, z_v ~ N(0, I).
    pub z_v: &'a [[f64; 3]],
    /// Whether log q(x, v | y, w) is needed (false for exploration, which uses no density ratio).
    pub reverse_density: bool,
}

/// A conditional proposal distribution q(y, w | x, v) in reparameterised form.
pub trait ProposalKernel {
    /// Number of atoms per molecule.
    fn n_atoms(&self) -> usize;

    /// Maps the base noise of every request slot to a proposal and fills `out` (already sized by
    /// the caller to `b` proposals).
    fn propose(&mut self, req: &ProposalRequest<'_>, out: &mut Proposals) -> Result<(), SampleError>;
}

/// log N(u; 0, I) summed over the components of `u`: −½‖u‖² − (d/2) log 2π.
pub fn log_standard_normal(u: &[[f64; 3]]) -> f64 {
    let d = 3.0 * u.len() as f64;
    -0.5 * squared_norm(u) - 0.5 * d * (2.0 * std::f64::consts::PI).ln()
}

/// ‖u‖² over all components.
pub fn squared_norm(u: &[[f64; 3]]) -> f64 {
    u.iter().map(|a| a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sum()
}
