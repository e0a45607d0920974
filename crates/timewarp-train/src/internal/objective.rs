//! The two objectives of the internal-chart flow, on batches of MD frames whose torsions (φ/ψ,
//! rotors) are kept: the flow learns the block's remaining coordinates given them.
//!
//! With g_A = μ_{A|B} ⊕ L ε the block's Gaussian variables (μ and L of the fitted kernel), the
//! flow models the innovations ε with auxiliary w in the same slots, on the skeleton x̂ of the
//! frame's torsions (see `timewarp_sample::internal_flow`).
//!
//! **NLL** of the MD frames: −log p_θ(ε_frame, w | x̂) with w ~ N(0, I).
//!
//! **Energy** (reverse Kullback–Leibler divergence to the Boltzmann conditional of the block,
//! augmented with N(w; 0, I)): for (ε′, w) drawn from the flow by reparameterisation,
//! ```text
//!   KL = E[ log p_θ(ε′, w | x̂) + ½‖w‖² + βU(X(q′)) − log J(q′) ] + const,   q′ = q ⊕_A (μ ⊕ L ε′)
//! ```
//! U is not a burn operation: the force field gives ∇_x U, the chart gives ∂(βU − log J)/∂q
//! (`ZMatrix::internal_gradient`), and ∂/∂ε′ = Lᵀ ∂/∂g_A; the surrogate Σ sg(∂/∂ε′)·ε′ carries that
//! gradient into the flow (sg = stop gradient). Draws outside the box or the chart's domain
//! are left out.
//!
//! Both report the Metropolis–Hastings acceptance of a move of the block's coordinates alone
//! with this proposal, min(1, w(ε′)/w(ε_frame)) with log w = −βU + log J + log N(w) − log p_θ:
//! the part of the acceptance that the flow can change.

use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use timewarp_ff::{Potential, System};
use timewarp_flow::host::{float_options, int_tensor, vectors_tensor};
use timewarp_flow::{FlowCondition, TimewarpFlow};
use timewarp_mol::internal::{Pose, ZMatrix};
use timewarp_sample::fitted::moves::{ChartMoves, Move};

/// A batch of frames on the host, in the flow's [b, N, 3] layout.
pub struct HostBatch {
    pub b: usize,
    pub n: usize,
    pub moves: Vec<Move>,
    pub slots: Vec<Vec<(usize, usize)>>,
    pub components: Vec<f64>,
    pub skeleton: Vec<f64>,
    /// The frames' innovations ε.
    pub eps: Vec<f64>,
    /// βU(X(q)) − log J(q) of the frames.
    pub frame_energy: Vec<f64>,
}

/// βU and ∇(βU) of one conformation.
fn reduced_energy(system: &System, beta: f64, x: &[[f64; 3]], grad: &mut [[f64; 3]]) -> f64 {
    let u = system.energy_forces(x, grad);
    for g in grad.iter_mut() {
        *g = g.map(|f| -beta * f);
    }
    beta * u
}

/// The frames `qs` (coordinates) with the blocks `blocks`, ready for the flow.
pub fn host_batch(
    moves: &mut ChartMoves,
    system: &System,
    beta: f64,
    qs: &[&[f64]],
    blocks: &[usize],
) -> HostBatch {
    let kernel = moves.shared_kernel();
    let zm = &kernel.zmatrix;
    let (b, n) = (qs.len(), zm.n_atoms());
    let mut hb = HostBatch {
        b,
        n,
        moves: Vec::with_capacity(b),
        slots: Vec::with_capacity(b),
        components: vec![0.0; b * n * 3],
        skeleton: vec![0.0; b * n * 3],
        eps: vec![0.0; b * n * 3],
        frame_energy: vec![0.0; b],
    };
    let mut x = vec![[0.0; 3]; n];
    let mut eps = vec![0.0; moves.max_block_dim()];
    for (k, (&q, &block)) in qs.iter().zip(blocks).enumerate() {
        let mut mv = Move::default();
        moves.plan_at(q, Pose::default(), block, &mut mv);
        zm.to_cartesian(&mv.q_new, &Pose::default(), &mut x);
        hb.skeleton[k * n * 3..(k + 1) * n * 3].copy_from_slice(x.as_flattened());
        moves.reverse_innovation(&mv, &mut eps);
        let slots = moves.slots(block);
        for (i, &(atom, c)) in slots.iter().enumerate() {
            hb.components[(k * n + atom) * 3 + c] = 1.0;
            hb.eps[(k * n + atom) * 3 + c] = eps[i];
        }
        hb.moves.push(mv);
        hb.slots.push(slots);
    }
    hb.frame_energy = hb
        .moves
        .par_iter()
        .map(|mv| {
            let mut x = vec![[0.0; 3]; n];
            let mut g = vec![[0.0; 3]; n];
            zm.to_cartesian(&mv.q, &Pose::default(), &mut x);
            reduced_energy(system, beta, &x, &mut g) - zm.log_jacobian(&mv.q)
        })
        .collect();
    hb
}

/// N(0, I) numbers in the masked slots, zero elsewhere.
pub fn masked_normal(rng: &mut ChaCha8Rng, components: &[f64]) -> Vec<f64> {
    components
        .iter()
        .map(|&m| {
            if m > 0.0 {
                rng.sample::<f64, _>(StandardNormal)
            } else {
                0.0
            }
        })
        .collect()
}

/// The tensors every flow call of a batch shares.
pub struct BatchTensors<B: Backend> {
    pub atom_types: Tensor<B, 2, Int>,
    pub mask: Tensor<B, 2>,
    pub skeleton: Tensor<B, 3>,
    pub components: Tensor<B, 3>,
}

impl<B: Backend> BatchTensors<B> {
    pub fn new(hb: &HostBatch, atom_types: &[i64], device: &B::Device) -> Self {
        let types: Vec<i64> = (0..hb.b).flat_map(|_| atom_types.iter().copied()).collect();
        BatchTensors {
            atom_types: int_tensor(types, [hb.b, hb.n], device),
            mask: Tensor::ones([hb.b, hb.n], float_options::<B>(device)),
            skeleton: vectors_tensor::<B>(hb.skeleton.clone(), hb.b, hb.n, device),
            components: vectors_tensor::<B>(hb.components.clone(), hb.b, hb.n, device),
        }
    }

    fn condition(&self) -> FlowCondition<B> {
        FlowCondition {
            atom_types: self.atom_types.clone(),
            mask: self.mask.clone(),
            x_coords: self.skeleton.clone(),
            x_velocs: self.skeleton.zeros_like(),
        }
    }
}

/// log p_θ(ε_frame, w | x̂) of the frames with the auxiliary `w` (masked), [b].
pub fn frame_log_prob<B: Backend>(
    flow: &TimewarpFlow<B>,
    hb: &HostBatch,
    t: &BatchTensors<B>,
    w: Vec<f64>,
    device: &B::Device,
) -> Tensor<B, 1> {
    let batch = t.condition().with_targets(
        vectors_tensor::<B>(hb.eps.clone(), hb.b, hb.n, device),
        vectors_tensor::<B>(w, hb.b, hb.n, device),
    );
    flow.data_to_latent_masked(&batch, t.components.clone())
        .log_prob()
}

/// A reparameterised draw (ε′, w) from the flow for every frame, and its log-density, [b].
pub fn draw<B: Backend>(
    flow: &TimewarpFlow<B>,
    t: &BatchTensors<B>,
    noise_p: Vec<f64>,
    noise_v: Vec<f64>,
    hb: &HostBatch,
    device: &B::Device,
) -> (Tensor<B, 3>, Tensor<B, 3>, Tensor<B, 1>) {
    let sp = flow.coords_prior_log_scale.val().exp().reshape([1, 1, 1]);
    let sv = flow.velocs_prior_log_scale.val().exp().reshape([1, 1, 1]);
    let z_p = vectors_tensor::<B>(noise_p, hb.b, hb.n, device) * sp;
    let z_v = vectors_tensor::<B>(noise_v, hb.b, hb.n, device) * sv;
    let s = flow.sample_with_latents_masked(&t.condition(), t.components.clone(), z_p, z_v);
    (s.y_coords, s.y_velocs, s.log_prob)
}

/// What the energy of the drawn conformations gives, per frame.
pub struct DrawEnergy {
    /// βU(X(q′)) − log J(q′); NaN for a draw outside the box or the domain.
    pub energy: Vec<f64>,
    /// ∂(βU − log J)/∂ε′ in the [b, N, 3] layout (zero for invalid draws and unmasked slots).
    pub gradient: Vec<f64>,
}

/// Completes every frame's move with the drawn innovations `eps_new` ([b·N·3]) and evaluates
/// βU − log J and its gradient with respect to ε′.
pub fn draw_energy(
    moves: &ChartMoves,
    system: &System,
    beta: f64,
    hb: &HostBatch,
    eps_new: &[f64],
) -> DrawEnergy {
    let zm: &ZMatrix = &moves.kernel().zmatrix;
    let n = hb.n;
    let d = zm.n_dofs();
    let results: Vec<(f64, Vec<(usize, f64)>)> = (0..hb.b)
        .into_par_iter()
        .map(|k| {
            let slots = &hb.slots[k];
            let a = slots.len();
            let eps: Vec<f64> = slots
                .iter()
                .map(|&(atom, c)| eps_new[(k * n + atom) * 3 + c])
                .collect();
            let mut mv = hb.moves[k].clone();
            let mut work = vec![0.0; a];
            if eps.iter().any(|e| !e.is_finite()) || !moves.complete(&mut mv, &eps, &mut work) {
                return (f64::NAN, Vec::new());
            }
            let mut x = vec![[0.0; 3]; n];
            let mut grad_x = vec![[0.0; 3]; n];
            zm.to_cartesian(&mv.q_new, &Pose::default(), &mut x);
            let u = reduced_energy(system, beta, &x, &mut grad_x);
            if !u.is_finite() || grad_x.iter().flatten().any(|g| !g.is_finite()) {
                return (f64::NAN, Vec::new());
            }
            let (mut gq, mut gj) = (vec![0.0; d], vec![0.0; d]);
            zm.internal_gradient(&x, &grad_x, &mut gq);
            zm.log_jacobian_gradient(&mv.q_new, &mut gj);
            // ∂/∂g_A, then through g_A = μ + L ε: ∂/∂ε_i = Σ_j L_ji ∂/∂g_j.
            let cond = moves.conditional(mv.block);
            let gm = &moves.kernel().gaussian;
            let dg: Vec<f64> = cond
                .vars
                .iter()
                .map(|&v| gq[gm.dofs[v]] - gj[gm.dofs[v]])
                .collect();
            let de: Vec<(usize, f64)> = (0..a)
                .map(|i| {
                    let s: f64 = (i..a).map(|j| cond.chol[j * a + i] * dg[j]).sum();
                    ((k * n + slots[i].0) * 3 + slots[i].1, s)
                })
                .collect();
            (u - zm.log_jacobian(&mv.q_new), de)
        })
        .collect();
    let mut out = DrawEnergy {
        energy: vec![f64::NAN; hb.b],
        gradient: vec![0.0; hb.b * n * 3],
    };
    for (k, (e, de)) in results.into_iter().enumerate() {
        out.energy[k] = e;
        for (at, g) in de {
            out.gradient[at] = g;
        }
    }
    out
}

/// ½‖w‖² over the masked slots, [b].
pub fn half_square<B: Backend>(w: Tensor<B, 3>, components: &Tensor<B, 3>) -> Tensor<B, 1> {
    (w.square() * components.clone()).sum_dims_squeeze::<1, _>(&[1, 2]) * 0.5
}

/// Mean MH acceptance of the block move ε_frame → ε′ from the log importance weights of both.
pub fn acceptance(log_w_new: &[f64], log_w_old: &[f64]) -> f64 {
    let n = log_w_old.len().max(1) as f64;
    log_w_new
        .iter()
        .zip(log_w_old)
        .map(|(&a, &b)| {
            if a.is_finite() && b.is_finite() {
                (a - b).min(0.0).exp()
            } else {
                0.0
            }
        })
        .sum::<f64>()
        / n
}
