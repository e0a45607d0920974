//! [`FittedProposal`]: a [`FittedKernel`] as a [`ProposalKernel`] (the move and its densities
//! are described in [`crate::fitted`]): the block's Gaussian innovation is ε′ ~ N(0, I).

use super::moves::{ChartMoves, Move};
use super::FittedKernel;
use crate::kernel::{KernelShape, ProposalKernel, ProposalRequest, Proposals};
use crate::SampleError;

/// The fitted kernel with its block conditionals prepared, and scratch space.
pub struct FittedProposal {
    moves: ChartMoves,
    shape: KernelShape,
    mv: Move,
    eps: Vec<f64>,
    work: Vec<f64>,
}

impl FittedProposal {
    pub fn new(kernel: FittedKernel) -> Result<Self, SampleError> {
        let moves = ChartMoves::new(kernel)?;
        let a = moves.max_block_dim();
        let shape = KernelShape { aux: 0, normals: a, uniforms: moves.uniforms() };
        Ok(FittedProposal { moves, shape, mv: Move::default(), eps: vec![0.0; a], work: vec![0.0; a] })
    }

    pub fn kernel(&self) -> &FittedKernel {
        self.moves.kernel()
    }

    /// One proposal from `x` into `y`: returns (log q(y|x), log q(x|y)) as densities of
    /// Cartesian positions at fixed pose; log q(x|y) = −∞ for a null move (y = x).
    fn propose_one(&mut self, x: &[[f64; 3]], z: &[f64], u: &[f64], y: &mut [[f64; 3]]) -> (f64, f64) {
        let mv = &mut self.mv;
        self.moves.plan(x, u, mv);
        let cond = self.moves.conditional(mv.block);
        let a = cond.vars.len();
        let log_f = mv.log_hist_forward + cond.log_density_of_noise(&z[..a]);
        let log_r = mv.log_hist_reverse + self.moves.reverse_innovation(mv, &mut self.eps);
        if !self.moves.complete(mv, &z[..a], &mut self.work) {
            y.copy_from_slice(x);
            return (0.0, f64::NEG_INFINITY);
        }
        let zm = &self.moves.kernel().zmatrix;
        zm.to_cartesian(&mv.q_new, &mv.pose, y);
        (log_f - zm.log_jacobian(&mv.q_new), log_r - zm.log_jacobian(&mv.q))
    }
}

impl ProposalKernel for FittedProposal {
    fn n_atoms(&self) -> usize {
        self.moves.n_atoms()
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
