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
    eps_new: Vec<f64>,
    work: Vec<f64>,
}

impl FittedProposal {
    pub fn new(kernel: FittedKernel) -> Result<Self, SampleError> {
        let moves = ChartMoves::new(kernel)?;
        let a = moves.max_block_dim();
        let shape = KernelShape {
            aux: 0,
            normals: a,
            uniforms: moves.uniforms(),
        };
        Ok(FittedProposal {
            moves,
            shape,
            mv: Move::default(),
            eps: vec![0.0; a],
            eps_new: vec![0.0; a],
            work: vec![0.0; a],
        })
    }

    pub fn kernel(&self) -> &FittedKernel {
        self.moves.kernel()
    }

    /// One proposal from `x` into `y`: returns (log q(y|x), log q(x|y)) as densities of
    /// Cartesian positions at fixed pose; log q(x|y) = −∞ for a null move (y = x).
    fn propose_one(
        &mut self,
        x: &[[f64; 3]],
        z: &[f64],
        u: &[f64],
        y: &mut [[f64; 3]],
    ) -> (f64, f64) {
        let mv = &mut self.mv;
        self.moves.plan(x, u, mv);
        let cond = self.moves.conditional(mv.block);
        let a = cond.vars.len();
        // ε of the current state (relative to the current torsions' conditional mean), then
        // ε′ = ρ ε + √(1 − ρ²) z: N(ε′; ρ ε, (1 − ρ²) I) forward, N(ε; ρ ε′, (1 − ρ²) I) back.
        let log_gauss_cur = self.moves.reverse_innovation(mv, &mut self.eps);
        let rho = self.moves.kernel().fit.rest_correlation;
        let (log_f, log_r) = if rho == 0.0 {
            self.eps_new[..a].copy_from_slice(&z[..a]);
            (cond.log_density_of_noise(&z[..a]), log_gauss_cur)
        } else {
            let c = (1.0 - rho * rho).sqrt();
            for i in 0..a {
                self.eps_new[i] = rho * self.eps[i] + c * z[i];
            }
            let log_n = |d: &mut dyn Iterator<Item = f64>| {
                d.map(|v| -0.5 * v * v).sum::<f64>()
                    - a as f64 * (c.ln() + 0.5 * (2.0 * std::f64::consts::PI).ln())
            };
            let f = log_n(&mut (0..a).map(|i| z[i]));
            let r = log_n(&mut (0..a).map(|i| (self.eps[i] - rho * self.eps_new[i]) / c));
            (f - cond.log_det(), r - cond.log_det())
        };
        let log_f = mv.log_hist_forward + log_f;
        let log_r = mv.log_hist_reverse + log_r;
        if !self.moves.complete(mv, &self.eps_new[..a], &mut self.work) {
            y.copy_from_slice(x);
            return (0.0, f64::NEG_INFINITY);
        }
        let zm = &self.moves.kernel().zmatrix;
        zm.to_cartesian(&mv.q_new, &mv.pose, y);
        (
            log_f - zm.log_jacobian(&mv.q_new),
            log_r - zm.log_jacobian(&mv.q),
        )
    }
}

impl ProposalKernel for FittedProposal {
    fn n_atoms(&self) -> usize {
        self.moves.n_atoms()
    }

    fn shape(&self) -> KernelShape {
        self.shape
    }

    fn propose(
        &mut self,
        req: &ProposalRequest<'_>,
        out: &mut Proposals,
    ) -> Result<(), SampleError> {
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
