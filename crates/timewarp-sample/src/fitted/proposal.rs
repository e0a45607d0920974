//! [`FittedProposal`]: a [`FittedKernel`] as a [`ProposalKernel`] (the move and its densities
//! are described in [`crate::fitted`]).

use timewarp_mol::geometry::{angle_difference, wrap_angle};

use super::gaussian::Conditional;
use super::FittedKernel;
use crate::kernel::{KernelShape, ProposalKernel, ProposalRequest, Proposals};
use crate::SampleError;

/// Uniforms per proposal before the rotors': block choice, then the φ/ψ cell and position.
const FIXED_UNIFORMS: usize = 4;

/// The fitted kernel with its block conditionals prepared, and scratch space.
pub struct FittedProposal {
    kernel: FittedKernel,
    conditionals: Vec<Conditional>,
    shape: KernelShape,
    scratch: Scratch,
}

#[derive(Default)]
struct Scratch {
    q: Vec<f64>,
    q_new: Vec<f64>,
    features: Vec<f64>,
    mu: Vec<f64>,
    g: Vec<f64>,
    mean: Vec<f64>,
    d: Vec<f64>,
    work: Vec<f64>,
}

impl FittedProposal {
    pub fn new(kernel: FittedKernel) -> Result<Self, SampleError> {
        kernel.validate().map_err(SampleError::Kernel)?;
        let conditionals = kernel
            .blocks
            .iter()
            .map(|b| kernel.gaussian.conditional(&b.gaussian).map_err(|e| SampleError::Kernel(format!("block {}: {e}", b.label))))
            .collect::<Result<Vec<_>, _>>()?;
        let max_gauss = kernel.blocks.iter().map(|b| b.gaussian.len()).max().unwrap_or(0);
        let max_rotors = kernel.blocks.iter().map(|b| b.rotors.len()).max().unwrap_or(0);
        let shape = KernelShape { aux: 0, normals: max_gauss, uniforms: FIXED_UNIFORMS + 2 * max_rotors };
        let (d, g) = (kernel.zmatrix.n_dofs(), kernel.gaussian.dim());
        let scratch = Scratch {
            q: vec![0.0; d],
            q_new: vec![0.0; d],
            features: vec![0.0; kernel.gaussian.features.len()],
            mu: vec![0.0; g],
            g: vec![0.0; g],
            mean: vec![0.0; max_gauss],
            d: vec![0.0; max_gauss],
            work: vec![0.0; max_gauss],
        };
        Ok(FittedProposal { kernel, conditionals, shape, scratch })
    }

    pub fn kernel(&self) -> &FittedKernel {
        &self.kernel
    }

    /// One proposal from `x` into `y`: returns (log q(y|x), log q(x|y)) as densities of
    /// Cartesian positions at fixed pose; log q(x|y) = −∞ for a null move (y = x).
    fn propose_one(&mut self, x: &[[f64; 3]], z: &[f64], u: &[f64], y: &mut [[f64; 3]]) -> (f64, f64) {
        let k = &self.kernel;
        let zm = &k.zmatrix;
        let s = &mut self.scratch;
        let pose = zm.to_internal(x, &mut s.q);
        s.q_new.copy_from_slice(&s.q);
        let b = ((u[0] * k.blocks.len() as f64) as usize).min(k.blocks.len() - 1);
        let block = &k.blocks[b];
        let (mut log_f, mut log_r) = (0.0, 0.0);
        if let Some(bb) = &block.backbone {
            let from = [s.q[bb.phi], s.q[bb.psi]];
            let mut to = [0.0; 2];
            bb.transitions.sample(&from, &u[1..4], &mut to);
            s.q_new[bb.phi] = to[0];
            s.q_new[bb.psi] = to[1];
            log_f += bb.transitions.log_density(&from, &to);
            log_r += bb.transitions.log_density(&to, &from);
        }
        for (r, rot) in block.rotors.iter().enumerate() {
            let from = [s.q[rot.dof]];
            let mut to = [0.0];
            rot.transitions.sample(&from, &u[FIXED_UNIFORMS + 2 * r..FIXED_UNIFORMS + 2 * r + 2], &mut to);
            s.q_new[rot.dof] = to[0];
            log_f += rot.transitions.log_density(&from, &to);
            log_r += rot.transitions.log_density(&to, &from);
        }
        let gm = &k.gaussian;
        let cond = &self.conditionals[b];
        let a = cond.vars.len();
        let mut null_move = false;
        if a > 0 {
            for (gj, &dof) in s.g.iter_mut().zip(&gm.dofs) {
                *gj = s.q[dof];
            }
            // Forward: the conditional at the new φ/ψ, d = L z, truncated to |d_i| < π for torsions.
            gm.features.eval(&s.q_new, &mut s.features);
            gm.mean(&s.features, &mut s.mu);
            cond.mean(&s.mu, &s.g, &gm.periodic, &mut s.mean);
            cond.scale_noise(z, &mut s.d);
            for (i, &v) in cond.vars.iter().enumerate() {
                let dof = gm.dofs[v];
                if gm.periodic[v] {
                    null_move |= s.d[i].abs() >= std::f64::consts::PI;
                    s.q_new[dof] = wrap_angle(s.mean[i] + s.d[i]);
                } else {
                    s.q_new[dof] = s.mean[i] + s.d[i];
                }
            }
            log_f += cond.log_density_of_noise(z);
            // Reverse: the conditional at the current φ/ψ (the other blocks are the same).
            gm.features.eval(&s.q, &mut s.features);
            gm.mean(&s.features, &mut s.mu);
            cond.mean(&s.mu, &s.g, &gm.periodic, &mut s.mean);
            for (i, &v) in cond.vars.iter().enumerate() {
                let cur = s.g[v];
                s.d[i] = if gm.periodic[v] { angle_difference(cur, s.mean[i]) } else { cur - s.mean[i] };
            }
            log_r += cond.log_density(&s.d[..a], &mut s.work);
        }
        if null_move || !zm.in_domain(&s.q_new) {
            y.copy_from_slice(x);
            return (0.0, f64::NEG_INFINITY);
        }
        zm.to_cartesian(&s.q_new, &pose, y);
        (log_f - zm.log_jacobian(&s.q_new), log_r - zm.log_jacobian(&s.q))
    }
}

impl ProposalKernel for FittedProposal {
    fn n_atoms(&self) -> usize {
        self.kernel.zmatrix.n_atoms()
    }

    fn shape(&self) -> KernelShape {
        self.shape
    }

    fn propose(&mut self, req: &ProposalRequest<'_>, out: &mut Proposals) -> Result<(), SampleError> {
        let n = self.n_atoms();
        for k in 0..out.len() {
            let (z, u) = (req.z_of(k), req.u_of(k));
            let x = &req.x[k * n..(k + 1) * n];
            let (f, r) = self.propose_one(x, z, u, &mut out.y[k * n..(k + 1) * n]);
            out.log_q_forward[k] = f;
            out.log_q_reverse[k] = if req.reverse_density { r } else { f64::NAN };
        }
        Ok(())
    }
}
