//! [`SampleConfig`] (`timewarp sample`, exact MH-MCMC) and [`ExploreConfig`]
//! (`timewarp explore`, biased exploration). Defaults follow the Timewarp paper: 310 K, B = 100
//! parallel proposals for sampling, an energy threshold of 300 kJ/mol for exploration, amber14 +
//! GB-OBC1 with a 2 nm non-periodic cutoff.

use serde::{Deserialize, Serialize};
use timewarp_ff::SystemOptions;

use crate::mh::VelocityRefresh;
use crate::SampleError;

/// Where the flow runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ModelDevice {
    /// burn's ndarray backend, f32.
    #[default]
    Cpu,
    /// burn's CUDA backend, f32 (needs the `cuda` feature).
    Cuda,
}

/// Settings shared by sampling and exploration: chains, output, checkpoints, energy, model
/// (the common fields of [`SampleConfig`] and [`ExploreConfig`], which list them flat so that
/// TOML files stay flat and unknown keys are refused).
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
    /// ...and at least every this many seconds of wall-clock time; 0: never by time.
    pub checkpoint_seconds: f64,
    pub device: ModelDevice,
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
            checkpoint_seconds: 300.0,
            device: ModelDevice::Cpu,
        }
    }
}

impl ChainSettings {
    pub fn validate(&self) -> Result<(), SampleError> {
        let bad = |s: String| Err(SampleError::Config(s));
        if self.chains == 0 {
            return bad("chains must be at least 1".into());
        }
        if self.save_every == 0 {
            return bad("save_every must be at least 1 step".into());
        }
        if !(self.temperature_k.is_finite() && self.temperature_k > 0.0) {
            return bad(format!("temperature_k must be positive, got {}", self.temperature_k));
        }
        if let Some(t) = self.tau_ps {
            if !(t.is_finite() && t > 0.0) {
                return bad(format!("tau_ps must be positive, got {t}"));
            }
        }
        if !(self.equilibrate_ps.is_finite() && self.equilibrate_ps >= 0.0) {
            return bad(format!("equilibrate_ps must be ≥ 0, got {}", self.equilibrate_ps));
        }
        if self.checkpoint_seconds.is_nan() || self.checkpoint_seconds < 0.0 {
            return bad(format!("checkpoint_seconds must be ≥ 0, got {}", self.checkpoint_seconds));
        }
        Ok(())
    }
}

/// `timewarp sample`: exact MH-MCMC with flow proposals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SampleConfig {
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
    /// ...and at least every this many seconds of wall-clock time; 0: never by time.
    pub checkpoint_seconds: f64,
    pub device: ModelDevice,
    /// Proposals per iteration B (the maximum when `adaptive`).
    pub proposals: usize,
    /// Choose B each iteration so that at least one proposal is accepted with probability
    /// `target_at_least_one` (official `--sample--adaptive-parallelism`).
    pub adaptive: bool,
    pub target_at_least_one: f64,
    /// Moving-average factor of the acceptance estimate behind the adaptive B.
    pub smoothing: f64,
    /// `per-proposal` (exact, default) or `per-iteration` (the official scheme; biased for B > 1).
    pub velocity_refresh: VelocityRefresh,
}

impl Default for SampleConfig {
    fn default() -> Self {
        let c = ChainSettings::default();
        SampleConfig {
            name: c.name,
            steps: c.steps,
            chains: c.chains,
            seed: c.seed,
            temperature_k: c.temperature_k,
            forcefield: c.forcefield,
            start_model: c.start_model,
            equilibrate_ps: c.equilibrate_ps,
            save_every: c.save_every,
            tau_ps: c.tau_ps,
            chirality_guard: c.chirality_guard,
            checkpoint_every: c.checkpoint_every,
            checkpoint_seconds: c.checkpoint_seconds,
            device: c.device,
            proposals: 100,
            adaptive: false,
            target_at_least_one: 0.9,
            smoothing: 0.01,
            velocity_refresh: VelocityRefresh::PerProposal,
        }
    }
}

impl SampleConfig {
    /// The settings shared with exploration.
    pub fn settings(&self) -> ChainSettings {
        ChainSettings {
            name: self.name.clone(),
            steps: self.steps,
            chains: self.chains,
            seed: self.seed,
            temperature_k: self.temperature_k,
            forcefield: self.forcefield,
            start_model: self.start_model,
            equilibrate_ps: self.equilibrate_ps,
            save_every: self.save_every,
            tau_ps: self.tau_ps,
            chirality_guard: self.chirality_guard,
            checkpoint_every: self.checkpoint_every,
            checkpoint_seconds: self.checkpoint_seconds,
            device: self.device,
        }
    }

    pub fn validate(&self) -> Result<(), SampleError> {
        self.settings().validate()?;
        if self.proposals == 0 {
            return Err(SampleError::Config("proposals must be at least 1".into()));
        }
        if !(self.target_at_least_one > 0.0 && self.target_at_least_one < 1.0) {
            return Err(SampleError::Config(format!(
                "target_at_least_one must lie in (0, 1), got {}",
                self.target_at_least_one
            )));
        }
        if !(self.smoothing > 0.0 && self.smoothing <= 1.0) {
            return Err(SampleError::Config(format!("smoothing must lie in (0, 1], got {}", self.smoothing)));
        }
        Ok(())
    }

    pub fn rule(&self) -> crate::AcceptanceRule {
        crate::AcceptanceRule::Metropolis {
            proposals: self.proposals,
            adaptive: self.adaptive,
            target_at_least_one: self.target_at_least_one,
            smoothing: self.smoothing,
            velocity_refresh: self.velocity_refresh,
        }
    }
}

/// `timewarp explore`: P parallel chains from one start, each step accepted when the energy
/// rises by at most `threshold_kj` and no stereocentre flips. Biased by construction: the
/// output is not a sample of the Boltzmann distribution, it finds new states fast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExploreConfig {
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
    /// ...and at least every this many seconds of wall-clock time; 0: never by time.
    pub checkpoint_seconds: f64,
    pub device: ModelDevice,
    /// Largest accepted energy increase U(y) − U(x), kJ/mol.
    pub threshold_kj: f64,
}

impl Default for ExploreConfig {
    fn default() -> Self {
        let c = ChainSettings::default();
        ExploreConfig {
            name: c.name,
            steps: c.steps,
            chains: 10,
            seed: c.seed,
            temperature_k: c.temperature_k,
            forcefield: c.forcefield,
            start_model: c.start_model,
            equilibrate_ps: c.equilibrate_ps,
            save_every: c.save_every,
            tau_ps: c.tau_ps,
            chirality_guard: c.chirality_guard,
            checkpoint_every: c.checkpoint_every,
            checkpoint_seconds: c.checkpoint_seconds,
            device: c.device,
            threshold_kj: 300.0,
        }
    }
}

impl ExploreConfig {
    /// The settings shared with sampling.
    pub fn settings(&self) -> ChainSettings {
        ChainSettings {
            name: self.name.clone(),
            steps: self.steps,
            chains: self.chains,
            seed: self.seed,
            temperature_k: self.temperature_k,
            forcefield: self.forcefield,
            start_model: self.start_model,
            equilibrate_ps: self.equilibrate_ps,
            save_every: self.save_every,
            tau_ps: self.tau_ps,
            chirality_guard: self.chirality_guard,
            checkpoint_every: self.checkpoint_every,
            checkpoint_seconds: self.checkpoint_seconds,
            device: self.device,
        }
    }

    pub fn validate(&self) -> Result<(), SampleError> {
        self.settings().validate()?;
        if self.threshold_kj.is_nan() {
            return Err(SampleError::Config("threshold_kj is NaN".into()));
        }
        Ok(())
    }

    pub fn rule(&self) -> crate::AcceptanceRule {
        crate::AcceptanceRule::Threshold { max_increase: self.threshold_kj }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_and_validate() {
        let s = SampleConfig::default();
        s.validate().unwrap();
        assert_eq!((s.temperature_k, s.proposals, s.velocity_refresh), (310.0, 100, VelocityRefresh::PerProposal));
        let back: SampleConfig = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
        let e = ExploreConfig::default();
        e.validate().unwrap();
        assert_eq!(e.threshold_kj, 300.0);
        let back: ExploreConfig = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
        assert_eq!(e.settings().chains, e.chains);
    }

    #[test]
    fn partial_configs_take_defaults_and_typos_are_refused() {
        let s: SampleConfig = serde_json::from_str(r#"{"steps": 5, "velocity_refresh": "per-iteration"}"#).unwrap();
        assert_eq!((s.steps, s.proposals, s.velocity_refresh), (5, 100, VelocityRefresh::PerIteration));
        assert!(serde_json::from_str::<SampleConfig>(r#"{"stepz": 5}"#).is_err());
        assert!(serde_json::from_str::<ExploreConfig>(r#"{"proposals": 5}"#).is_err());
    }

    #[test]
    fn bad_values_name_the_setting() {
        let bad = |c: SampleConfig, what: &str| assert!(c.validate().unwrap_err().to_string().contains(what), "{what}");
        bad(SampleConfig { proposals: 0, ..SampleConfig::default() }, "proposals");
        bad(SampleConfig { chains: 0, ..SampleConfig::default() }, "chains");
        bad(SampleConfig { save_every: 0, ..SampleConfig::default() }, "save_every");
        bad(SampleConfig { temperature_k: -1.0, ..SampleConfig::default() }, "temperature_k");
        bad(SampleConfig { target_at_least_one: 1.0, ..SampleConfig::default() }, "target_at_least_one");
        bad(SampleConfig { tau_ps: Some(0.0), ..SampleConfig::default() }, "tau_ps");
        let e = ExploreConfig { threshold_kj: f64::NAN, ..ExploreConfig::default() };
        assert!(e.validate().is_err());
    }
}
