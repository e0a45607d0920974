//! The training configuration (`[train]` of a TOML file; the CLI writes the effective one to
//! `RUN/config.toml`).

use crate::dataset::{Balance, Split};
use crate::error::TrainError;
use crate::loss::AcceptanceConfig;
use crate::schedule::{LrDecay, LrSchedule};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use timewarp_flow::FlowConfig;

/// Which loss is minimised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LossKind {
    /// Per-atom negative log-likelihood (the official first training stage).
    #[default]
    Nll,
    /// w_nll·NLL + w_acc·acceptance loss (the official fine-tuning stage), see
    /// [`AcceptanceConfig`].
    Acceptance,
}

/// Everything `timewarp train` can be told. Defaults follow the official
/// `configs/kernel_transformer_nvp.yaml` where it applies (lag 1000 steps, batch 32, Adam,
/// linear warm-up, random rotations and auxiliary velocities); learning rate, warm-up and step
/// count are set for the small `demo` model trained in minutes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// Model size: `tiny`, `demo`, `ad` (official alanine-dipeptide model) or `2aa`.
    pub preset: String,
    /// A full model configuration; overrides `preset` when given.
    pub flow: Option<FlowConfig>,
    /// Start from the weights of this flow checkpoint folder (warm start, e.g. acceptance
    /// fine-tuning of an NLL-trained model); the optimiser starts fresh.
    pub init_from: Option<PathBuf>,
    /// The fitted internal-coordinate kernel (`timewarp fit`) that an internal-chart flow refines
    /// (its base distribution and chart); needed for a model of chart `internal` unless
    /// `init_from` or a resumed checkpoint brings one.
    pub kernel: Option<PathBuf>,
    /// Lag τ in MD steps (official `step_width`): pairs are frames whose steps differ by τ.
    pub lag_steps: i64,
    /// Optimiser steps.
    pub steps: u64,
    /// Pairs per batch.
    pub batch: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// Linear warm-up steps.
    pub warmup_steps: u64,
    /// Decay after the warm-up.
    pub lr_decay: LrDecay,
    /// Clip the global gradient norm to this value (`None`: no clipping, as the official default).
    pub clip_grad_norm: Option<f64>,
    /// Validate every this many steps (and at the end).
    pub val_every: u64,
    /// At most this many validation pairs (evenly spaced subset).
    pub val_max_pairs: usize,
    /// Stop after this many validations without a new best (`None`: never).
    pub patience: Option<u64>,
    /// Write the resumable `last/` checkpoint every this many steps (and at the end).
    pub checkpoint_every: u64,
    /// Write a `metrics.csv` row every this many steps.
    pub log_every: u64,
    /// Seed of the initial weights, the data order and the augmentation.
    pub seed: u64,
    /// Training/validation split of the data (ignored when `val_data` is given).
    pub split: Split,
    /// Separate validation trajectories; when empty, the split divides `data`. (A data set
    /// with a `manifest.json` brings its own `val` split; these are added to it.)
    pub val_data: Vec<PathBuf>,
    /// Sampling of training pairs across peptides: `peptide` (default: each batch element
    /// draws a peptide uniformly, then one of its pairs, replicas pooled) or `pair` (uniform
    /// over all pairs in epochs, the official order). With one peptide both use the epochs.
    pub balance: Balance,
    /// Random rotation + translation of every batch (official `data_augmentation`).
    pub augment: bool,
    /// Loss to minimise.
    pub loss: LossKind,
    /// Parameters of the acceptance loss.
    pub acceptance: AcceptanceConfig,
    /// Memory for cached trajectory positions (MiB).
    pub cache_mb: usize,
    /// At most this many training pairs are used to fit the Gaussian baseline.
    pub baseline_max_pairs: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            preset: "demo".into(),
            flow: None,
            init_from: None,
            kernel: None,
            lag_steps: 1000,
            steps: 2000,
            batch: 32,
            lr: 5e-4,
            warmup_steps: 100,
            lr_decay: LrDecay::Cosine { min_factor: 0.1 },
            clip_grad_norm: Some(10.0),
            val_every: 200,
            val_max_pairs: 2048,
            patience: None,
            checkpoint_every: 200,
            log_every: 10,
            seed: 0,
            split: Split::default(),
            val_data: Vec::new(),
            balance: Balance::Peptide,
            augment: true,
            loss: LossKind::Nll,
            acceptance: AcceptanceConfig::default(),
            cache_mb: 4096,
            baseline_max_pairs: 200_000,
        }
    }
}

/// Most optimiser steps of one run: far beyond any run, and small enough to stay an integer that
/// TOML (signed 64-bit) and f64 step arithmetic hold exactly.
pub const MAX_STEPS: u64 = 1_000_000_000_000;
/// Most trajectory cache, MiB (1 PiB): `cache_mb` is shifted to bytes.
pub const MAX_CACHE_MB: usize = 1 << 30;

impl TrainConfig {
    /// The model configuration: `flow` if given, else the named preset.
    pub fn flow_config(&self) -> Result<FlowConfig, TrainError> {
        let cfg = match &self.flow {
            Some(f) => f.clone(),
            None => timewarp_flow::preset(&self.preset).ok_or_else(|| {
                TrainError::Config(format!(
                    "unknown preset '{}' (known: {})",
                    self.preset,
                    timewarp_flow::PRESET_NAMES.join(", ")
                ))
            })?,
        };
        cfg.validate()
            .map_err(|e| TrainError::Config(e.to_string()))?;
        Ok(cfg)
    }

    /// The learning-rate schedule.
    pub fn schedule(&self) -> LrSchedule {
        LrSchedule {
            base_lr: self.lr,
            warmup_steps: self.warmup_steps,
            total_steps: self.steps,
            decay: self.lr_decay,
        }
    }

    /// Checks the values that would otherwise fail late or silently. (A batch larger than the
    /// training data is refused by the trainers, which know the data.)
    pub fn validate(&self) -> Result<(), TrainError> {
        let bad = |m: String| Err(TrainError::Config(m));
        if self.lag_steps <= 0 {
            return bad(format!("lag_steps = {}: must be positive", self.lag_steps));
        }
        if self.batch == 0 {
            return bad("batch = 0: must be at least 1".into());
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad(format!("lr = {}: must be finite and positive", self.lr));
        }
        for (name, v) in [("steps", self.steps), ("warmup_steps", self.warmup_steps)] {
            if v > MAX_STEPS {
                return bad(format!(
                    "{name} = {v}: more than the limit of {MAX_STEPS:e} optimiser steps"
                ));
            }
        }
        if self.baseline_max_pairs == 0 {
            return bad("baseline_max_pairs = 0: must be at least 1".into());
        }
        if self.cache_mb > MAX_CACHE_MB {
            return bad(format!(
                "cache_mb = {}: more than the limit of {MAX_CACHE_MB} MiB",
                self.cache_mb
            ));
        }
        match self.lr_decay {
            LrDecay::Cosine { min_factor }
                if !(min_factor.is_finite() && (0.0..=1.0).contains(&min_factor)) =>
            {
                return bad(format!(
                    "lr_decay.min_factor = {min_factor}: must lie in [0, 1]"
                ));
            }
            LrDecay::Step { gamma, .. } if !(gamma.is_finite() && gamma > 0.0) => {
                return bad(format!(
                    "lr_decay.gamma = {gamma}: must be finite and positive"
                ));
            }
            _ => {}
        }
        if let Some(p) = self.patience {
            if p == 0 {
                return bad("patience = 0: must be at least 1 validation (or left out)".into());
            }
        }
        if let Some(c) = self.clip_grad_norm {
            if !(c.is_finite() && c > 0.0) {
                return bad(format!("clip_grad_norm = {c}: must be positive"));
            }
        }
        for (name, v) in [
            ("val_every", self.val_every),
            ("checkpoint_every", self.checkpoint_every),
            ("log_every", self.log_every),
        ] {
            if v == 0 {
                return bad(format!("{name} = 0: must be at least 1"));
            }
        }
        if self.val_max_pairs == 0 {
            return bad("val_max_pairs = 0: must be at least 1".into());
        }
        if let LrDecay::Step { every: 0, .. } = self.lr_decay {
            return bad("lr_decay.every = 0: must be at least 1".into());
        }
        // Checked whatever the loss: the internal-chart trainer scores its energies at this
        // temperature with either loss.
        let a = &self.acceptance;
        if !(a.temperature_k.is_finite() && a.temperature_k > 0.0) {
            return bad(format!(
                "acceptance.temperature_k = {}: must be finite and positive",
                a.temperature_k
            ));
        }
        for (name, w) in [
            ("acceptance.nll_weight", a.nll_weight),
            ("acceptance.acceptance_weight", a.acceptance_weight),
            ("acceptance.beta", a.beta),
        ] {
            if !(w.is_finite() && w >= 0.0) {
                return bad(format!("{name} = {w}: must be finite and non-negative"));
            }
        }
        if let Some(d) = a.max_energy_delta {
            if d.is_nan() {
                return bad(
                    "acceptance.max_energy_delta = NaN: give a number of kT, or leave it out"
                        .into(),
                );
            }
        }
        self.flow_config()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_round_trip() {
        let c = TrainConfig::default();
        c.validate().unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<TrainConfig>(&json).unwrap(), c);
        // Partial input takes the defaults for the rest.
        let text = r#"{"preset": "tiny", "loss": "acceptance",
            "split": {"by": "peptide", "val_fraction": 0.2}}"#;
        let p: TrainConfig = serde_json::from_str(text).unwrap();
        assert_eq!(p.preset, "tiny");
        assert_eq!(p.loss, LossKind::Acceptance);
        assert_eq!(p.split, Split::Peptide { val_fraction: 0.2 });
        assert_eq!(p.batch, 32);
        assert_eq!(p.balance, Balance::Peptide);
        let q: TrainConfig = serde_json::from_str(r#"{"balance": "pair"}"#).unwrap();
        assert_eq!(q.balance, Balance::Pair);
        assert!(serde_json::from_str::<TrainConfig>(r#"{"balance": "atom"}"#).is_err());
    }

    #[test]
    fn bad_values_are_named() {
        let c = TrainConfig {
            preset: "huge".into(),
            ..TrainConfig::default()
        };
        assert!(c.validate().unwrap_err().to_string().contains("huge"));
        let c = TrainConfig {
            lag_steps: 0,
            ..TrainConfig::default()
        };
        assert!(c.validate().unwrap_err().to_string().contains("lag_steps"));
        assert!(serde_json::from_str::<TrainConfig>(r#"{"batchsize": 3}"#).is_err());
    }

    #[test]
    fn non_finite_and_out_of_range_settings_are_refused_by_name() {
        let d = TrainConfig::default;
        let cases: Vec<(&str, TrainConfig)> = vec![
            (
                "lr",
                TrainConfig {
                    lr: f64::NAN,
                    ..d()
                },
            ),
            (
                "lr",
                TrainConfig {
                    lr: f64::INFINITY,
                    ..d()
                },
            ),
            (
                "steps",
                TrainConfig {
                    steps: u64::MAX,
                    ..d()
                },
            ),
            (
                "warmup_steps",
                TrainConfig {
                    warmup_steps: MAX_STEPS + 1,
                    ..d()
                },
            ),
            (
                "clip_grad_norm",
                TrainConfig {
                    clip_grad_norm: Some(f64::NAN),
                    ..d()
                },
            ),
            (
                "lr_decay.min_factor",
                TrainConfig {
                    lr_decay: LrDecay::Cosine {
                        min_factor: f64::NAN,
                    },
                    ..d()
                },
            ),
            (
                "lr_decay.min_factor",
                TrainConfig {
                    lr_decay: LrDecay::Cosine { min_factor: 2.0 },
                    ..d()
                },
            ),
            (
                "lr_decay.gamma",
                TrainConfig {
                    lr_decay: LrDecay::Step {
                        every: 10,
                        gamma: f64::INFINITY,
                    },
                    ..d()
                },
            ),
            (
                "patience",
                TrainConfig {
                    patience: Some(0),
                    ..d()
                },
            ),
            (
                "baseline_max_pairs",
                TrainConfig {
                    baseline_max_pairs: 0,
                    ..d()
                },
            ),
            (
                "cache_mb",
                TrainConfig {
                    cache_mb: usize::MAX,
                    ..d()
                },
            ),
            (
                "acceptance.temperature_k",
                TrainConfig {
                    acceptance: AcceptanceConfig {
                        temperature_k: f64::NAN,
                        ..Default::default()
                    },
                    ..d()
                },
            ),
            (
                "acceptance.nll_weight",
                TrainConfig {
                    acceptance: AcceptanceConfig {
                        nll_weight: f64::NAN,
                        ..Default::default()
                    },
                    ..d()
                },
            ),
            (
                "acceptance.acceptance_weight",
                TrainConfig {
                    acceptance: AcceptanceConfig {
                        acceptance_weight: -1.0,
                        ..Default::default()
                    },
                    ..d()
                },
            ),
            (
                "acceptance.beta",
                TrainConfig {
                    acceptance: AcceptanceConfig {
                        beta: f64::INFINITY,
                        ..Default::default()
                    },
                    ..d()
                },
            ),
            (
                "acceptance.max_energy_delta",
                TrainConfig {
                    acceptance: AcceptanceConfig {
                        max_energy_delta: Some(f64::NAN),
                        ..Default::default()
                    },
                    ..d()
                },
            ),
        ];
        for (key, c) in cases {
            let e = c.validate().unwrap_err().to_string();
            assert!(e.contains(&format!("{key} = ")), "{key}: {e}");
        }
    }
}
