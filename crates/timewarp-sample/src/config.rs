//! [`SampleConfig`] (`timewarp sample`, exact MH-MCMC) and [`ExploreConfig`]
//! (`timewarp explore`, biased exploration). Defaults follow the Timewarp paper: 310 K, B = 100
//! parallel proposals for sampling, an energy threshold of 300 kJ/mol for exploration, amber14 +
//! GB-OBC1 with a 2 nm non-periodic cutoff.

use serde::{Deserialize, Serialize};
use timewarp_ff::SystemOptions;

pub use crate::device::ModelDevice;
use crate::mh::VelocityRefresh;
use crate::SampleError;

mod flat;
use flat::split_flat;

/// Settings shared by sampling and exploration: chains, output, checkpoints, energy, model.
/// [`SampleConfig`] and [`ExploreConfig`] hold them flattened, so that their TOML sections stay
/// flat; unknown keys are refused (see [`flat`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChainSettings {
    /// Trajectory name: files are `<name>-traj-*`. `None`: the PDB file stem.
    pub name: Option<String>,
    /// Steps per chain (states appended after the start).
    pub steps: u64,
    /// Independent chains from the same start; with more than one, chain c writes into
    /// `chain-CCC/` (the layout `timewarp md` uses for replicas).
    pub chains: usize,
    /// RNG seed; chain c uses ChaCha8 stream c of this seed.
    pub seed: u64,
    /// Temperature of the Boltzmann target, K.
    pub temperature_k: f64,
    /// Force field options (implicit solvent, cutoff).
    pub forcefield: SystemOptions,
    /// Model index of the PDB to start from.
    pub start_model: usize,
    /// Langevin MD at the target temperature before the chains start, ps (friction 1/ps, 0.5 fs
    /// steps; not recorded). A minimised structure sits ~N_dof·kT/2 below typical equilibrium
    /// energies, so every flow proposal from it looks improbable and the chain would be stuck
    /// until it climbs out; a few ps of MD start it in equilibrium. 0: start from the PDB as is.
    pub equilibrate_ps: f64,
    /// Record every this many chain steps (the start, step 0, is always recorded).
    pub save_every: u64,
    /// Physical time of one step, ps, for the NPZ `time` array (the model's lag τ). `None`:
    /// time = step index.
    pub tau_ps: Option<f64>,
    /// Reject proposals that invert a stereocentre (Cα; Cβ of Ile/Thr).
    pub chirality_guard: bool,
    /// Checkpoint (and write the trajectories so far) every this many iterations; 0: never by
    /// count.
    pub checkpoint_every: u64,
    /// ...and at least every this many seconds of wall-clock time; 0: never by time. A killed
    /// run loses at most this much work.
    pub checkpoint_seconds: f64,
    pub device: ModelDevice,
    /// Write `proposals.csv` (one line per considered proposal: outcome, ΔU by force-field term,
    /// the proposal-density part of −log α) and summarise it in `run.json`.
    pub record_proposals: bool,
}

impl Default for ChainSettings {
    fn default() -> Self {
        ChainSettings {
            name: None,
            steps: 10_000,
            chains: 1,
            seed: 0,
            temperature_k: 310.0,
            forcefield: SystemOptions::default(),
            start_model: 0,
            equilibrate_ps: 10.0,
            save_every: 1,
            tau_ps: None,
            chirality_guard: true,
            checkpoint_every: 0,
            checkpoint_seconds: 30.0,
            device: ModelDevice::Cpu,
            record_proposals: true,
        }
    }
}

impl ChainSettings {
    /// The range checks of the shared settings; each error names the key.
    pub fn validate(&self) -> Result<(), SampleError> {
        let bad = |s: String| Err(SampleError::Config(s));
        if self.chains == 0 {
            return bad("chains must be at least 1".into());
        }
        if self.save_every == 0 {
            return bad("save_every must be at least 1 step".into());
        }
        if !(self.temperature_k.is_finite() && self.temperature_k > 0.0) {
            return bad(format!(
                "temperature_k must be positive, got {}",
                self.temperature_k
            ));
        }
        if let Some(t) = self.tau_ps {
            if !(t.is_finite() && t > 0.0) {
                return bad(format!("tau_ps must be positive, got {t}"));
            }
        }
        if !(self.equilibrate_ps.is_finite() && self.equilibrate_ps >= 0.0) {
            return bad(format!(
                "equilibrate_ps must be ≥ 0, got {}",
                self.equilibrate_ps
            ));
        }
        if self.checkpoint_seconds.is_nan() || self.checkpoint_seconds < 0.0 {
            return bad(format!(
                "checkpoint_seconds must be ≥ 0, got {}",
                self.checkpoint_seconds
            ));
        }
        Ok(())
    }
}

/// The Metropolis–Hastings settings of `timewarp sample`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MhSettings {
    /// Proposals per iteration B (the maximum when `adaptive`). `None`: 100 for a flow (its
    /// proposals are cheapest in large batches), 1 for the fitted internal-coordinate kernel
    /// (it accepts often, so later proposals of a batch would mostly be discarded).
    pub proposals: Option<usize>,
    /// Choose B each iteration so that at least one proposal is accepted with probability
    /// `target_at_least_one` (official `--sample--adaptive-parallelism`).
    pub adaptive: bool,
    pub target_at_least_one: f64,
    /// Moving-average factor of the acceptance estimate behind the adaptive B.
    pub smoothing: f64,
    /// `per-proposal` (exact, default) or `per-iteration` (the official scheme; biased for B > 1).
    pub velocity_refresh: VelocityRefresh,
}

impl Default for MhSettings {
    fn default() -> Self {
        MhSettings {
            proposals: None,
            adaptive: false,
            target_at_least_one: 0.9,
            smoothing: 0.01,
            velocity_refresh: VelocityRefresh::PerProposal,
        }
    }
}

/// `timewarp sample`: exact MH-MCMC.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SampleConfig {
    #[serde(flatten)]
    pub chain: ChainSettings,
    #[serde(flatten)]
    pub mh: MhSettings,
}

impl<'de> Deserialize<'de> for SampleConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (chain, mh) = split_flat(d, (ChainSettings::default(), MhSettings::default()))?;
        Ok(SampleConfig { chain, mh })
    }
}

impl SampleConfig {
    /// The chain settings' checks and the acceptance rule's (those the sampler makes, made here
    /// before any file is touched). The kernel's default B is at least 1, so checking the rule
    /// with B = 1 where `proposals` is unset checks every other setting.
    pub fn validate(&self) -> Result<(), SampleError> {
        self.chain.validate()?;
        self.rule(1).validate()
    }

    /// The acceptance rule, with `default_proposals` where `proposals` is not set.
    pub fn rule(&self, default_proposals: usize) -> crate::AcceptanceRule {
        crate::AcceptanceRule::Metropolis {
            proposals: self.mh.proposals.unwrap_or(default_proposals),
            adaptive: self.mh.adaptive,
            target_at_least_one: self.mh.target_at_least_one,
            smoothing: self.mh.smoothing,
            velocity_refresh: self.mh.velocity_refresh,
        }
    }
}

/// The acceptance threshold of `timewarp explore`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThresholdSettings {
    /// Largest accepted energy increase U(y) − U(x), kJ/mol.
    pub threshold_kj: f64,
}

impl Default for ThresholdSettings {
    fn default() -> Self {
        ThresholdSettings {
            threshold_kj: 300.0,
        }
    }
}

/// `timewarp explore`: P parallel chains from one start, each step accepted when the energy
/// rises by at most `threshold_kj` and no stereocentre flips. Biased by construction: the
/// output is not a sample of the Boltzmann distribution, it finds new states fast.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExploreConfig {
    #[serde(flatten)]
    pub chain: ChainSettings,
    #[serde(flatten)]
    pub threshold: ThresholdSettings,
}

impl Default for ExploreConfig {
    /// Ten chains (exploration is about breadth), the other chain settings as for sampling.
    fn default() -> Self {
        ExploreConfig {
            chain: ChainSettings {
                chains: 10,
                ..ChainSettings::default()
            },
            threshold: ThresholdSettings::default(),
        }
    }
}

impl<'de> Deserialize<'de> for ExploreConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let defaults = ExploreConfig::default();
        let (chain, threshold) = split_flat(d, (defaults.chain, defaults.threshold))?;
        Ok(ExploreConfig { chain, threshold })
    }
}

impl ExploreConfig {
    /// The chain settings' checks and the acceptance rule's.
    pub fn validate(&self) -> Result<(), SampleError> {
        self.chain.validate()?;
        self.rule().validate()
    }

    pub fn rule(&self) -> crate::AcceptanceRule {
        crate::AcceptanceRule::Threshold {
            max_increase: self.threshold.threshold_kj,
        }
    }
}

#[cfg(test)]
mod tests;
