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

/// What a kernel needs per proposal: `aux` auxiliary-variable components (N(0, I) under the
/// augmented target; 3N velocity components for the Timewarp flow, none for a kernel without
/// auxiliary variables), and `normals` standard-normal and `uniforms` U(0, 1) base draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelShape {
    pub aux: usize,
    pub normals: usize,
    pub uniforms: usize,
}

impl KernelShape {
    /// A Cartesian kernel with velocities, like the Timewarp flow: 3N auxiliary components and
    /// the base noise (z_x, z_v) of 2 × 3N normals (positions first).
    pub fn cartesian(n_atoms: usize) -> Self {
        KernelShape {
            aux: 3 * n_atoms,
            normals: 6 * n_atoms,
            uniforms: 0,
        }
    }
}

/// A flat slice of 3N numbers seen as N 3-vectors (a shorter remainder is dropped).
pub fn as_vectors(flat: &[f64]) -> &[[f64; 3]] {
    flat.as_chunks::<3>().0
}

/// Mutable [`as_vectors`].
pub fn as_vectors_mut(flat: &mut [f64]) -> &mut [[f64; 3]] {
    flat.as_chunks_mut::<3>().0
}

/// A batch of `b` proposals for molecules of `n_atoms` atoms, stored flat (proposal-major).
#[derive(Debug, Clone, Default)]
pub struct Proposals {
    pub n_atoms: usize,
    /// Auxiliary components per proposal.
    pub aux: usize,
    /// Proposed positions y_k (nm), `b × n_atoms`.
    pub y: Vec<[f64; 3]>,
    /// Proposed auxiliary variables w_k, `b × aux` (N(0, I) under the target).
    pub w: Vec<f64>,
    /// log q(y_k, w_k | x_k, v_k), densities with respect to the Lebesgue measure of the
    /// Cartesian positions (kernels that move in another chart include its Jacobian).
    pub log_q_forward: Vec<f64>,
    /// log q(x_k, v_k | y_k, w_k); NaN when the kernel was asked not to compute densities,
    /// −∞ when x_k cannot be reached from y_k (the proposal is then rejected).
    pub log_q_reverse: Vec<f64>,
}

impl Proposals {
    /// Resizes the buffers for `b` proposals (no allocation once they are large enough).
    pub fn resize(&mut self, n_atoms: usize, aux: usize, b: usize) {
        self.n_atoms = n_atoms;
        self.aux = aux;
        self.y.resize(b * n_atoms, [0.0; 3]);
        self.w.resize(b * aux, 0.0);
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

    /// Auxiliary variables of proposal `k`.
    pub fn w_of(&self, k: usize) -> &[f64] {
        &self.w[k * self.aux..(k + 1) * self.aux]
    }
}

/// What the sampler hands to a kernel: `b` conditioning states and their base noise, all flat
/// and proposal-major. Several proposals may share the same conditioning state.
#[derive(Debug, Clone, Copy)]
pub struct ProposalRequest<'a> {
    pub shape: KernelShape,
    /// Conditioning positions x_k (nm), `b × n_atoms`.
    pub x: &'a [[f64; 3]],
    /// Conditioning auxiliary variables v_k, `b × aux`.
    pub v: &'a [f64],
    /// Standard-normal base noise, `b × normals`.
    pub z: &'a [f64],
    /// U(0, 1) base noise, `b × uniforms`.
    pub u: &'a [f64],
    /// Whether log q(x, v | y, w) is needed (false for exploration, which uses no density ratio).
    pub reverse_density: bool,
}

impl<'a> ProposalRequest<'a> {
    pub fn v_of(&self, k: usize) -> &'a [f64] {
        &self.v[k * self.shape.aux..(k + 1) * self.shape.aux]
    }

    pub fn z_of(&self, k: usize) -> &'a [f64] {
        &self.z[k * self.shape.normals..(k + 1) * self.shape.normals]
    }

    pub fn u_of(&self, k: usize) -> &'a [f64] {
        &self.u[k * self.shape.uniforms..(k + 1) * self.shape.uniforms]
    }

    /// For a [`KernelShape::cartesian`] kernel: (z_x, z_v) of proposal `k` as 3-vectors.
    pub fn cartesian_noise(&self, k: usize) -> (&'a [[f64; 3]], &'a [[f64; 3]]) {
        let z = self.z_of(k);
        let (zx, zv) = z.split_at(z.len() / 2);
        (as_vectors(zx), as_vectors(zv))
    }
}

/// A conditional proposal distribution q(y, w | x, v) in reparameterised form.
pub trait ProposalKernel {
    /// Number of atoms per molecule.
    fn n_atoms(&self) -> usize;

    /// Auxiliary variables and base noise per proposal; Cartesian with velocities by default.
    fn shape(&self) -> KernelShape {
        KernelShape::cartesian(self.n_atoms())
    }

    /// Maps the base noise of every request slot to a proposal and fills `out` (already sized by
    /// the caller to `b` proposals).
    fn propose(
        &mut self,
        req: &ProposalRequest<'_>,
        out: &mut Proposals,
    ) -> Result<(), SampleError>;
}

/// log N(u; 0, I) summed over the components of `u`: −½‖u‖² − (d/2) log 2π.
pub fn log_standard_normal(u: &[f64]) -> f64 {
    let d = u.len() as f64;
    -0.5 * squared_norm(u) - 0.5 * d * (2.0 * std::f64::consts::PI).ln()
}

/// ‖u‖² over all components.
pub fn squared_norm(u: &[f64]) -> f64 {
    u.iter().map(|a| a * a).sum()
}
