//! Training losses: the per-atom negative log-likelihood and the acceptance loss.
//!
//! **NLL** (official `NegativeLogLikelihoodLoss`, the parity fixture's `nll_loss`):
//! L = −(1/B) Σ_b log p(y_b | x_b) / n_b, with n_b the number of real atoms.
//!
//! **Acceptance** (official `AcceptanceLoss` inside a `ConvexCombinationLoss` with the NLL, as in
//! the paper's fine-tuning stage): with auxiliary velocities x^v ~ N(0, I), a reparameterised
//! proposal y = f_θ(z; x), z = σ·ε, and reduced energies u = U/k_BT,
//! ```text
//!   −log a(x, y) = [u(y^p) + ½‖y^v‖²] − [u(x^p) + ½‖x^v‖²] + log p_θ(y | x) − log p_θ(x | y)
//!   L_acc = (1/B) Σ_b (−log a_b + β·log p_θ(y_b | x_b)) / n_b
//!   L = w_nll·L_nll + w_acc·L_acc
//! ```
//! (with random velocities the official code does not flip them in the reverse density). The
//! β term is the negative conditional entropy and keeps the proposals from collapsing. u(y) is
//! not a burn operation: the force field gives u and ∇u = −F/k_BT, and the straight-through
//! surrogate ũ(y) = Σ (y − sg(y))·∇u + u has the value u and the gradient ∇u (sg = stop
//! gradient). The official code clamps −log a with `max=0`, which zeroes the loss exactly where
//! the acceptance is below one; we clamp with min = 0 instead, which is −log min(1, a) as the
//! official comment intends (option `clamp`).

use crate::acceptance::{EnergyBridge, ReducedEnergies};
use crate::augment::fill_standard_normal;
use crate::dataset::{PairBatch, TrajectoryInfo};
use crate::error::TrainError;
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use rand::Rng;
use serde::{Deserialize, Serialize};
use timewarp_flow::host::{float_tensor, int_tensor};
use timewarp_flow::{FlowBatch, TimewarpFlow};

/// Settings of the acceptance loss (official `NLLAndAcceptanceLossConfig`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AcceptanceConfig {
    /// Weight of the NLL in the convex combination.
    pub nll_weight: f64,
    /// Weight of the acceptance term.
    pub acceptance_weight: f64,
    /// β of the entropy term β·log p(y | x) (official default 0.2).
    pub beta: f64,
    /// Use −log min(1, a) instead of −log a.
    pub clamp: bool,
    /// Temperature of the target Boltzmann distribution (K).
    pub temperature_k: f64,
    /// Drop proposals whose reduced energy rises by more than this (k_BT) from the loss
    /// (official `high_energy_threshold`; `None` keeps all finite ones).
    pub max_energy_delta: Option<f64>,
}

impl Default for AcceptanceConfig {
    fn default() -> Self {
        AcceptanceConfig {
            nll_weight: 0.9,
            acceptance_weight: 0.1,
            beta: 0.2,
            clamp: false,
            temperature_k: 310.0,
            max_energy_delta: None,
        }
    }
}

/// Uploads a host batch as the flow's [`FlowBatch`].
pub fn to_flow_batch<B: Backend>(h: &PairBatch, device: &B::Device) -> FlowBatch<B> {
    let (b, n) = (h.batch_size(), h.n_max);
    let vec3 = |v: &[f32]| float_tensor::<B, 3>(v.to_vec(), [b, n, 3], device);
    FlowBatch {
        atom_types: int_tensor::<B, 2>(h.atom_types.clone(), [b, n], device),
        mask: float_tensor::<B, 2>(h.real_mask(), [b, n], device),
        x_coords: vec3(&h.x_coords),
        x_velocs: vec3(&h.x_velocs),
        y_coords: vec3(&h.y_coords),
        y_velocs: vec3(&h.y_velocs),
    }
}

/// −log p(y_b | x_b)/n_b per molecule, [B].
pub fn nll_per_molecule<B: Backend>(model: &TimewarpFlow<B>, batch: &FlowBatch<B>) -> Tensor<B, 1> {
    (model.log_prob(batch) / batch.num_atoms()).neg()
}

/// The per-atom NLL loss, −mean_b(log p_b / n_b), as a one-element tensor.
pub fn nll_loss<B: Backend>(model: &TimewarpFlow<B>, batch: &FlowBatch<B>) -> Tensor<B, 1> {
    nll_per_molecule(model, batch).mean()
}

/// Straight-through surrogate of the reduced energy, [B]: value u_b, gradient ∇u w.r.t. `y`.
///
/// `e` holds u and ∇u at the values of `y` [B, N, 3]. The surrogate is written
/// ũ = Σ (y − sg(y))·∇u + u, which equals Σ y·sg(∇u) + sg(u − Σ y·∇u): the first term is
/// exactly zero in value, so ũ = u to the last bit of u, and its gradient is ∇u.
pub fn energy_surrogate<B: Backend>(y: Tensor<B, 3>, e: &ReducedEnergies) -> Tensor<B, 1> {
    let [b, n, _] = y.dims();
    let device = y.device();
    let grad = float_tensor::<B, 3>(e.gradient.clone(), [b, n, 3], &device);
    let u: Vec<f64> = e.energy.clone();
    let u = float_tensor::<B, 1>(u, [b], &device);
    ((y.clone() - y.detach()) * grad)
        .sum_dim(2)
        .sum_dim(1)
        .reshape([b])
        + u
}

/// Values of the loss terms of one batch (for logging).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LossTerms {
    /// The loss that is minimised.
    pub loss: f64,
    /// NLL per atom of the data pairs.
    pub nll: f64,
    /// Mean −log a per atom of the proposals kept (acceptance loss only).
    pub neg_log_acceptance: f64,
    /// Mean Metropolis–Hastings acceptance probability min(1, a) of the proposals drawn
    /// (failed proposals count as 0; acceptance loss only).
    pub acceptance: f64,
    /// Mean reduced energy change u(y) − u(x) per molecule (acceptance loss only).
    pub energy_delta: f64,
    /// Proposals kept / drawn (acceptance loss only).
    pub kept: usize,
    pub drawn: usize,
}

/// The combined NLL + acceptance loss of a batch whose auxiliary velocities are already drawn.
/// Returns the loss tensor (one element) and the values of its terms.
#[allow(clippy::too_many_arguments)]
pub fn acceptance_loss<B: Backend, R: Rng + ?Sized>(
    model: &TimewarpFlow<B>,
    host: &PairBatch,
    batch: &FlowBatch<B>,
    infos: &[TrajectoryInfo],
    bridge: &mut EnergyBridge,
    cfg: &AcceptanceConfig,
    rng: &mut R,
) -> Result<(Tensor<B, 1>, LossTerms), TrainError> {
    let device = batch.mask.device();
    let (b, n) = (host.batch_size(), host.n_max);
    let nll_b = nll_per_molecule(model, batch);
    let nll = nll_b.clone().mean();
    let n_atoms = batch.num_atoms();

    // Reparameterised proposal y = f_θ(σ ε; x).
    let mut eps = vec![0f32; b * n * 3];
    fill_standard_normal(rng, &mut eps);
    let eps_p = float_tensor::<B, 3>(eps.clone(), [b, n, 3], &device);
    fill_standard_normal(rng, &mut eps);
    let eps_v = float_tensor::<B, 3>(eps, [b, n, 3], &device);
    let sigma_p = model.coords_prior_log_scale.val().exp().reshape([1, 1, 1]);
    let sigma_v = model.velocs_prior_log_scale.val().exp().reshape([1, 1, 1]);
    let cond = batch.condition();
    let sample = model.sample_with_latents(&cond, eps_p * sigma_p, eps_v * sigma_v);
    let logp_xy = sample.log_prob.clone();
    let reverse = FlowBatch {
        atom_types: batch.atom_types.clone(),
        mask: batch.mask.clone(),
        x_coords: sample.y_coords.clone(),
        x_velocs: sample.y_velocs.clone(),
        y_coords: batch.x_coords.clone(),
        y_velocs: batch.x_velocs.clone(),
    };
    let logp_yx = model.log_prob(&reverse);

    // Reduced energies: u(x) from the data (a constant), u(y) with its force-field gradient.
    let y_host: Vec<f32> = sample.y_coords.clone().into_data().iter::<f32>().collect();
    let u_x = bridge.evaluate(infos, &host.traj, &host.n_atoms, n, &host.x_coords)?;
    let u_y = bridge.evaluate(infos, &host.traj, &host.n_atoms, n, &y_host)?;
    let mask3 = batch.mask.clone().reshape([b, n, 1]);
    let kinetic = |v: Tensor<B, 3>| {
        (v.square() * mask3.clone())
            .sum_dim(2)
            .sum_dim(1)
            .reshape([b])
            * 0.5
    };
    let e_y = energy_surrogate(sample.y_coords.clone(), &u_y) + kinetic(sample.y_velocs.clone());
    let x_kin: Vec<f32> = (0..b)
        .map(|i| {
            let r = i * n * 3..(i * n + host.n_atoms[i]) * 3;
            0.5 * host.x_velocs[r].iter().map(|v| v * v).sum::<f32>()
        })
        .collect();
    let e_x: Vec<f32> = (0..b).map(|i| u_x.energy[i] as f32 + x_kin[i]).collect();
    let e_x = float_tensor::<B, 1>(e_x, [b], &device);

    let mut neg_log_acc = e_y - e_x + logp_xy.clone() - logp_yx;
    let nla_host: Vec<f64> = neg_log_acc.clone().into_data().iter::<f64>().collect();
    if cfg.clamp {
        neg_log_acc = neg_log_acc.clamp_min(0.0);
    }
    let total = (neg_log_acc.clone() + logp_xy * cfg.beta) / n_atoms.clone();

    // Keep proposals with finite energies (and below the energy threshold): a clash of the
    // flow's sample gives an infinite or NaN force-field energy, and NaN·0 would poison the sum.
    let kept: Vec<i64> = (0..b)
        .filter(|&i| {
            let (ux, uy) = (u_x.energy[i], u_y.energy[i]);
            ux.is_finite() && uy.is_finite() && cfg.max_energy_delta.is_none_or(|m| uy - ux <= m)
        })
        .map(|i| i as i64)
        .collect();
    let mut terms = LossTerms {
        drawn: b,
        kept: kept.len(),
        ..LossTerms::default()
    };
    let mut loss = nll.clone() * cfg.nll_weight;
    if !kept.is_empty() {
        let idx = int_tensor::<B, 1>(kept.clone(), [kept.len()], &device);
        let acc = total.select(0, idx.clone()).mean();
        loss = loss + acc * cfg.acceptance_weight;
        let k = kept.len() as f64;
        terms.neg_log_acceptance = kept
            .iter()
            .map(|&i| nla_host[i as usize] / host.n_atoms[i as usize] as f64)
            .sum::<f64>()
            / k;
        terms.acceptance = kept
            .iter()
            .map(|&i| (-nla_host[i as usize]).exp().min(1.0))
            .filter(|a| a.is_finite())
            .sum::<f64>()
            / b as f64;
        terms.energy_delta = kept
            .iter()
            .map(|&i| u_y.energy[i as usize] - u_x.energy[i as usize])
            .sum::<f64>()
            / kept.len() as f64;
    }
    terms.nll = nll.into_scalar_f64();
    terms.loss = loss.clone().into_scalar_f64();
    Ok((loss, terms))
}

/// Reads a one-element tensor as f64.
pub(crate) trait ScalarF64 {
    fn into_scalar_f64(self) -> f64;
}

impl<B: Backend> ScalarF64 for Tensor<B, 1> {
    fn into_scalar_f64(self) -> f64 {
        self.into_data().iter::<f64>().next().unwrap_or(f64::NAN)
    }
}
