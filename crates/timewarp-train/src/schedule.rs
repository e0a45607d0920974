//! Learning-rate schedules: linear warm-up followed by a decay.
//!
//! The official Timewarp training uses a linear warm-up, lr(s) = lr₀·min(1, s/W), and a constant
//! rate afterwards. Long runs profit from a decay after the warm-up, so this module adds cosine
//! and step decay. The rate depends only on the step number, so a resumed run needs no schedule
//! state besides the step.

use serde::{Deserialize, Serialize};

/// Decay applied after the warm-up.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum LrDecay {
    /// lr(s) = lr₀ (the official behaviour).
    #[default]
    Constant,
    /// Cosine annealing from lr₀ to `min_factor`·lr₀ between the end of the warm-up and the
    /// last step: lr = lr₀·(f + (1 − f)·½(1 + cos(π·p))), p ∈ [0, 1] the fraction of decay done.
    Cosine {
        #[serde(default)]
        min_factor: f64,
    },
    /// lr = lr₀·γ^⌊(s − W)/every⌋.
    Step { every: u64, gamma: f64 },
}

/// Learning rate as a function of the optimiser step (0-based: step 0 is the first update).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LrSchedule {
    pub base_lr: f64,
    pub warmup_steps: u64,
    pub total_steps: u64,
    pub decay: LrDecay,
}

impl LrSchedule {
    /// Learning rate used for the update with index `step`.
    ///
    /// Warm-up: lr₀·(step + 1)/W for step < W, so that the first update already moves the
    /// weights (PyTorch's `LambdaLR` with s/W gives exactly zero on the first step, which wastes
    /// one batch).
    pub fn lr(&self, step: u64) -> f64 {
        let lr0 = self.base_lr;
        if step < self.warmup_steps {
            return lr0 * (step + 1) as f64 / self.warmup_steps as f64;
        }
        let since = step - self.warmup_steps;
        match self.decay {
            LrDecay::Constant => lr0,
            LrDecay::Cosine { min_factor } => {
                let span = self.total_steps.saturating_sub(self.warmup_steps).max(1);
                let p = (since as f64 / span as f64).min(1.0);
                let f = min_factor.clamp(0.0, 1.0);
                lr0 * (f + (1.0 - f) * 0.5 * (1.0 + (std::f64::consts::PI * p).cos()))
            }
            LrDecay::Step { every, gamma } => {
                let k = since / every.max(1);
                lr0 * gamma.powi(k.min(i32::MAX as u64) as i32)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sched(decay: LrDecay) -> LrSchedule {
        LrSchedule {
            base_lr: 1e-3,
            warmup_steps: 10,
            total_steps: 110,
            decay,
        }
    }

    #[test]
    fn warmup_is_linear_and_reaches_base() {
        let s = sched(LrDecay::Constant);
        assert!((s.lr(0) - 1e-4).abs() < 1e-15);
        assert!((s.lr(4) - 5e-4).abs() < 1e-15);
        assert!((s.lr(9) - 1e-3).abs() < 1e-15);
        assert!((s.lr(1000) - 1e-3).abs() < 1e-15);
    }

    #[test]
    fn cosine_goes_from_base_to_floor() {
        let s = sched(LrDecay::Cosine { min_factor: 0.1 });
        assert!((s.lr(10) - 1e-3).abs() < 1e-12);
        assert!((s.lr(60) - 0.55e-3).abs() < 1e-12);
        assert!((s.lr(110) - 1e-4).abs() < 1e-12);
        assert!((s.lr(500) - 1e-4).abs() < 1e-12);
        for k in 10..110 {
            assert!(s.lr(k + 1) <= s.lr(k));
        }
    }

    #[test]
    fn step_decay_multiplies_by_gamma() {
        let s = sched(LrDecay::Step {
            every: 20,
            gamma: 0.5,
        });
        assert!((s.lr(29) - 1e-3).abs() < 1e-15);
        assert!((s.lr(30) - 5e-4).abs() < 1e-15);
        assert!((s.lr(50) - 2.5e-4).abs() < 1e-15);
    }

    #[test]
    fn no_warmup() {
        let s = LrSchedule {
            base_lr: 2.0,
            warmup_steps: 0,
            total_steps: 10,
            decay: LrDecay::Constant,
        };
        assert_eq!(s.lr(0), 2.0);
    }
}
