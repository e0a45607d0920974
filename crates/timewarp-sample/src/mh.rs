//! The Metropolis–Hastings acceptance rule in the augmented space, and the adaptive batch size.
//!
//! Target: π(x, v) ∝ exp(−U(x)/kT − ½‖v‖²), with auxiliary velocities v ~ N(0, I) (Timewarp's
//! "random velocities" mode). For a proposal (y, w) ~ q(· | x, v) the acceptance probability is
//!
//! α = min(1, π(y, w) q(x, v | y, w) / (π(x, v) q(y, w | x, v))),
//!
//! so that −log of the ratio is
//!
//! ΔU/kT + ½(‖w‖² − ‖v‖²) + log q(y, w | x, v) − log q(x, v | y, w),   ΔU = U(y) − U(x).
//!
//! This is the exponent of the official sampler (`energy + p_xy − p_yx`). A proposal is accepted
//! when log u < −(that exponent), u ~ U(0, 1); a NaN anywhere rejects.

use serde::{Deserialize, Serialize};
use timewarp_ff::constants::BOLTZ;

/// 1/kT in mol/kJ at temperature `kelvin`.
pub fn beta(kelvin: f64) -> f64 {
    1.0 / (BOLTZ * kelvin)
}

/// −log of the MH ratio π(y,w) q(x,v|y,w) / (π(x,v) q(y,w|x,v)).
///
/// `u_x`, `u_y` in kJ/mol; `v_sq` = ‖v‖², `w_sq` = ‖w‖²; log-densities in nats.
#[inline]
pub fn neg_log_mh_ratio(
    beta: f64,
    u_x: f64,
    u_y: f64,
    v_sq: f64,
    w_sq: f64,
    log_q_forward: f64,
    log_q_reverse: f64,
) -> f64 {
    beta * (u_y - u_x) + 0.5 * (w_sq - v_sq) + log_q_forward - log_q_reverse
}

/// Acceptance probability min(1, exp(−e)) for an exponent `e` (0 for NaN).
#[inline]
pub fn acceptance_probability(neg_log_ratio: f64) -> f64 {
    if neg_log_ratio.is_nan() {
        0.0
    } else {
        (-neg_log_ratio).exp().min(1.0)
    }
}

/// How the auxiliary velocities are Gibbs-resampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum VelocityRefresh {
    /// A fresh v ~ N(0, I) for every proposal of the batch. The batch of B proposals from x is
    /// then exactly B successive (Gibbs refresh + MH step)s that all start from x until the first
    /// acceptance, so the chain is exact for any B, fixed or adaptive. Default.
    #[default]
    PerProposal,
    /// One v per iteration shared by all B proposals, as the official sampler does. Exact only
    /// for B = 1: when the proposal depends on v, the number of steps spent at x before a
    /// refresh depends on v, which biases the chain for B > 1 (shown by this crate's tests).
    PerIteration,
}

/// Adaptive number of parallel proposals: B is chosen so that at least one of them is accepted
/// with probability `target`, given a running estimate p of the per-proposal acceptance
/// probability: 1 − (1 − p)^B ≥ target ⇔ B = ⌈log(1 − target) / log(1 − p)⌉, clamped to
/// [1, max]. p is an exponential moving average (factor `smoothing`) over the outcomes of the
/// proposals that entered the chain; it starts at 10⁻³ so that the first iterations use `max`.
/// With [`VelocityRefresh::PerProposal`] the chain's law does not depend on B, so adapting B
/// keeps the chain exact.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdaptiveBatch {
    pub max: usize,
    pub target: f64,
    pub smoothing: f64,
    /// Current estimate of the per-proposal acceptance probability.
    pub acceptance_estimate: f64,
}

impl AdaptiveBatch {
    pub fn new(max: usize, target: f64, smoothing: f64) -> Self {
        AdaptiveBatch {
            max: max.max(1),
            target,
            smoothing,
            acceptance_estimate: 1e-3,
        }
    }

    /// Number of proposals for the next iteration.
    pub fn batch_size(&self) -> usize {
        let p_reject = (1.0 - self.acceptance_estimate).clamp(1e-3, 1.0 - 1e-3);
        let b = ((1.0 - self.target).ln() / p_reject.ln()).ceil();
        if b.is_finite() {
            (b as usize).clamp(1, self.max)
        } else {
            self.max
        }
    }

    /// Updates the estimate with `rejected` rejections followed, if `accepted`, by one acceptance.
    pub fn update(&mut self, rejected: usize, accepted: bool) {
        let s = self.smoothing;
        self.acceptance_estimate *= (1.0 - s).powi(rejected as i32);
        if accepted {
            self.acceptance_estimate = (1.0 - s) * self.acceptance_estimate + s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_signs() {
        // Downhill in energy, no kinetic change, symmetric proposal: always accepted.
        assert_eq!(
            acceptance_probability(neg_log_mh_ratio(1.0, 5.0, 3.0, 1.0, 1.0, -2.0, -2.0)),
            1.0
        );
        // Uphill by 1 kT: exp(−1).
        let a = acceptance_probability(neg_log_mh_ratio(1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0));
        assert!((a - (-1.0f64).exp()).abs() < 1e-15);
        // A proposal that is easy to propose forward (large log q_fwd) and hard to reverse is
        // penalised: α = q_rev/q_fwd.
        let a = acceptance_probability(neg_log_mh_ratio(1.0, 0.0, 0.0, 0.0, 0.0, 0.0, -2.0));
        assert!((a - (-2.0f64).exp()).abs() < 1e-15);
        // Kinetic energy: a larger proposed velocity is penalised by exp(−½(‖w‖² − ‖v‖²)).
        let a = acceptance_probability(neg_log_mh_ratio(1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0));
        assert!((a - (-1.0f64).exp()).abs() < 1e-15);
        assert_eq!(acceptance_probability(f64::NAN), 0.0);
        assert_eq!(
            acceptance_probability(neg_log_mh_ratio(
                1.0,
                0.0,
                f64::INFINITY,
                0.0,
                0.0,
                0.0,
                0.0
            )),
            0.0
        );
    }

    #[test]
    fn beta_at_310k() {
        assert!((1.0 / beta(310.0) - 2.577_483_411_627_5).abs() < 1e-9);
    }

    #[test]
    fn adaptive_batch_targets_one_acceptance() {
        let mut a = AdaptiveBatch::new(100, 0.9, 0.01);
        assert_eq!(a.batch_size(), 100);
        a.acceptance_estimate = 0.1;
        // 1 − 0.9^B ≥ 0.9 ⇔ B ≥ log 0.1 / log 0.9 = 21.85
        assert_eq!(a.batch_size(), 22);
        a.acceptance_estimate = 0.95;
        assert_eq!(a.batch_size(), 1);
        let mut a = AdaptiveBatch::new(100, 0.9, 0.5);
        a.acceptance_estimate = 0.5;
        a.update(1, true);
        assert!((a.acceptance_estimate - (0.5 * 0.25 + 0.5)).abs() < 1e-15);
        a.update(2, false);
        assert!((a.acceptance_estimate - 0.625 * 0.25).abs() < 1e-15);
    }
}
