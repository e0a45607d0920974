//! The steps of a block move in the chart that every kernel built on a [`FittedKernel`] shares:
//! choose the block, move its φ/ψ and rotors by their transition histograms, find the
//! conditional mean of its Gaussian variables in both directions, and complete the move from
//! the standardised innovation ε′ of those variables, g′_A = μ_{A|B} ⊕ L ε′ (the fitted kernel
//! draws ε′ ~ N(0, I); the internal-chart flow transforms it).

use timewarp_mol::geometry::{angle_difference, wrap_angle, Vec3};
use timewarp_mol::internal::{Dof, Pose};

use super::gaussian::Conditional;
use super::FittedKernel;
use crate::SampleError;

/// Uniforms per move before the rotors': block choice, then the φ/ψ cell and position.
const FIXED_UNIFORMS: usize = 4;
/// Uniforms per rotor: its cell, its position in the cell, and whether it moves.
const ROTOR_UNIFORMS: usize = 3;

/// One planned move of one conformation.
#[derive(Debug, Clone, Default)]
pub struct Move {
    pub pose: Pose,
    pub block: usize,
    /// Coordinates of the current state.
    pub q: Vec<f64>,
    /// The proposal: torsions moved, the block's Gaussian variables at the forward conditional
    /// mean until [`ChartMoves::complete`] adds the innovation.
    pub q_new: Vec<f64>,
    /// μ_{A|B} at the new torsions (forward) and at the current ones (reverse), |A| entries.
    pub mean_forward: Vec<f64>,
    pub mean_reverse: Vec<f64>,
    /// log-densities of the histogram moves, forward and reverse.
    pub log_hist_forward: f64,
    pub log_hist_reverse: f64,
}

/// A fitted kernel with its block conditionals prepared.
pub struct ChartMoves {
    /// Shared, so that a caller can hold the Z-matrix while the moves use their scratch.
    kernel: std::sync::Arc<FittedKernel>,
    conditionals: Vec<Conditional>,
    features: Vec<f64>,
    mu: Vec<f64>,
    g: Vec<f64>,
}

impl ChartMoves {
    pub fn new(kernel: FittedKernel) -> Result<Self, SampleError> {
        kernel.validate().map_err(SampleError::Kernel)?;
        let conditionals = kernel
            .blocks
            .iter()
            .map(|b| {
                kernel
                    .gaussian
                    .conditional(&b.gaussian)
                    .map_err(|e| SampleError::Kernel(format!("block {}: {e}", b.label)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (f, g) = (kernel.gaussian.features.len(), kernel.gaussian.dim());
        Ok(ChartMoves {
            kernel: std::sync::Arc::new(kernel),
            conditionals,
            features: vec![0.0; f],
            mu: vec![0.0; g],
            g: vec![0.0; g],
        })
    }

    pub fn kernel(&self) -> &FittedKernel {
        &self.kernel
    }

    /// The kernel as a shared handle (a reference count, not a copy): lets the caller borrow the
    /// Z-matrix across calls that need the moves mutably.
    pub fn shared_kernel(&self) -> std::sync::Arc<FittedKernel> {
        self.kernel.clone()
    }

    pub fn n_atoms(&self) -> usize {
        self.kernel.zmatrix.n_atoms()
    }

    /// Largest number of Gaussian variables in a block.
    pub fn max_block_dim(&self) -> usize {
        self.kernel
            .blocks
            .iter()
            .map(|b| b.gaussian.len())
            .max()
            .unwrap_or(0)
    }

    /// Uniforms one move consumes.
    pub fn uniforms(&self) -> usize {
        FIXED_UNIFORMS
            + ROTOR_UNIFORMS
                * self
                    .kernel
                    .blocks
                    .iter()
                    .map(|b| b.rotors.len())
                    .max()
                    .unwrap_or(0)
    }

    pub fn conditional(&self, block: usize) -> &Conditional {
        &self.conditionals[block]
    }

    /// (atom, component) of every Gaussian variable of `block` (component 0 bond, 1 angle,
    /// 2 torsion): where its innovation sits in a per-atom [N, 3] layout.
    pub fn slots(&self, block: usize) -> Vec<(usize, usize)> {
        let k = &self.kernel;
        k.blocks[block]
            .gaussian
            .iter()
            .map(|&v| match k.zmatrix.dofs()[k.gaussian.dofs[v]] {
                Dof::Bond { atom } => (atom, 0),
                Dof::Angle { atom } => (atom, 1),
                Dof::Torsion { atom, .. } => (atom, 2),
            })
            .collect()
    }

    /// μ_{A|B} of `block` at the coordinates `q` into `out`.
    fn conditional_mean(&mut self, block: usize, q: &[f64], out: &mut Vec<f64>) {
        let gm = &self.kernel.gaussian;
        for (gj, &dof) in self.g.iter_mut().zip(&gm.dofs) {
            *gj = q[dof];
        }
        gm.features.eval(q, &mut self.features);
        gm.mean(&self.features, &mut self.mu);
        let cond = &self.conditionals[block];
        out.resize(cond.vars.len(), 0.0);
        cond.mean(&self.mu, &self.g, &gm.periodic, out);
    }

    /// Plans a move from `x` with the uniforms `u` (see [`ChartMoves::uniforms`]) into `mv`.
    pub fn plan(&mut self, x: &[Vec3], u: &[f64], mv: &mut Move) {
        let d = self.kernel.zmatrix.n_dofs();
        mv.q.resize(d, 0.0);
        mv.pose = self.kernel.zmatrix.to_internal(x, &mut mv.q);
        mv.q_new.clone_from(&mv.q);
        let n_blocks = self.kernel.blocks.len();
        mv.block = ((u[0] * n_blocks as f64) as usize).min(n_blocks - 1);
        let block = &self.kernel.blocks[mv.block];
        let (mut log_f, mut log_r) = (0.0, 0.0);
        if let Some(bb) = &block.backbone {
            let from = [mv.q[bb.phi], mv.q[bb.psi]];
            let mut to = [0.0; 2];
            bb.transitions.sample(&from, &u[1..4], &mut to);
            mv.q_new[bb.phi] = to[0];
            mv.q_new[bb.psi] = to[1];
            log_f += bb.transitions.log_density(&from, &to);
            log_r += bb.transitions.log_density(&to, &from);
        }
        // Random scan: in a block with a φ/ψ move each rotor moves with probability p, decided
        // by a uniform of its own (independent of the state, so the move that leaves it where
        // it is and the one that moves it are each exact; the reverse move makes the same
        // choice).
        let p_rotor = if block.backbone.is_some() {
            self.kernel.fit.rotor_move_probability
        } else {
            1.0
        };
        for (r, rot) in block.rotors.iter().enumerate() {
            let ur = &u[FIXED_UNIFORMS + ROTOR_UNIFORMS * r..][..ROTOR_UNIFORMS];
            if ur[2] >= p_rotor {
                continue;
            }
            let from = [mv.q[rot.dof]];
            let mut to = [0.0];
            rot.transitions.sample(&from, &ur[..2], &mut to);
            mv.q_new[rot.dof] = to[0];
            log_f += rot.transitions.log_density(&from, &to);
            log_r += rot.transitions.log_density(&to, &from);
        }
        mv.log_hist_forward = log_f;
        mv.log_hist_reverse = log_r;
        let (q, q_new) = (std::mem::take(&mut mv.q), std::mem::take(&mut mv.q_new));
        let mut mf = std::mem::take(&mut mv.mean_forward);
        let mut mr = std::mem::take(&mut mv.mean_reverse);
        self.conditional_mean(mv.block, &q_new, &mut mf);
        self.conditional_mean(mv.block, &q, &mut mr);
        (mv.q, mv.q_new, mv.mean_forward, mv.mean_reverse) = (q, q_new, mf, mr);
        self.set_block(mv.block, &mv.mean_forward.clone(), &mut mv.q_new);
    }

    /// A move of `block` from the coordinates `q` that keeps every torsion where it is: only the
    /// block's Gaussian variables change (what training conditions on, torsions taken from MD).
    pub fn plan_at(&mut self, q: &[f64], pose: Pose, block: usize, mv: &mut Move) {
        mv.pose = pose;
        mv.block = block;
        mv.q.clear();
        mv.q.extend_from_slice(q);
        mv.q_new.clone_from(&mv.q);
        mv.log_hist_forward = 0.0;
        mv.log_hist_reverse = 0.0;
        let mut m = std::mem::take(&mut mv.mean_forward);
        self.conditional_mean(block, q, &mut m);
        mv.mean_reverse.clone_from(&m);
        self.set_block(block, &m, &mut mv.q_new);
        mv.mean_forward = m;
    }

    /// Writes `values` (|A| entries) into the block's Gaussian variables of `q`, torsions wrapped.
    fn set_block(&self, block: usize, values: &[f64], q: &mut [f64]) {
        let gm = &self.kernel.gaussian;
        for (&v, &val) in self.conditionals[block].vars.iter().zip(values) {
            q[gm.dofs[v]] = if gm.periodic[v] { wrap_angle(val) } else { val };
        }
    }

    /// The current coordinates with the block's Gaussian variables at their reverse conditional
    /// mean: the skeleton the reverse move is conditioned on.
    pub fn reverse_skeleton(&self, mv: &Move, q: &mut Vec<f64>) {
        q.clone_from(&mv.q);
        self.set_block(mv.block, &mv.mean_reverse, q);
    }

    /// The innovation ε = L⁻¹ (g_A ⊖ μ_{A|B}) of the current state's block variables (what the
    /// reverse move must propose), into `eps` (|A| entries). Returns log N(g_A; μ, L Lᵀ)
    /// = log N(ε; 0, I) − log|L|, the fitted kernel's reverse density of these variables.
    pub fn reverse_innovation(&self, mv: &Move, eps: &mut [f64]) -> f64 {
        let gm = &self.kernel.gaussian;
        let cond = &self.conditionals[mv.block];
        for (i, &v) in cond.vars.iter().enumerate() {
            let cur = mv.q[gm.dofs[v]];
            eps[i] = if gm.periodic[v] {
                angle_difference(cur, mv.mean_reverse[i])
            } else {
                cur - mv.mean_reverse[i]
            };
        }
        cond.whiten(&mut eps[..cond.vars.len()])
    }

    /// Completes `mv.q_new` with the innovation `eps` (|A| entries): g′_A = μ_{A|B} ⊕ L ε′.
    /// Returns false for a null move: a torsion component of L ε′ outside (−π, π) (the box that
    /// makes the density on the circle exact, see [`super::gaussian`]) or a proposal outside
    /// the chart's domain. `work` is scratch of |A| entries.
    pub fn complete(&self, mv: &mut Move, eps: &[f64], work: &mut [f64]) -> bool {
        let gm = &self.kernel.gaussian;
        let cond = &self.conditionals[mv.block];
        cond.scale_noise(eps, work);
        let mut inside = true;
        for (i, &v) in cond.vars.iter().enumerate() {
            let dof = gm.dofs[v];
            if gm.periodic[v] {
                inside &= work[i].abs() < std::f64::consts::PI;
                mv.q_new[dof] = wrap_angle(mv.mean_forward[i] + work[i]);
            } else {
                mv.q_new[dof] = mv.mean_forward[i] + work[i];
            }
        }
        inside && self.kernel.zmatrix.in_domain(&mv.q_new)
    }
}
