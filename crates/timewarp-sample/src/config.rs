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

/// Settings shared by sampling and exploration: chains, output, checkpoints, energy, model.
/// [`SampleConfig`] and [`ExploreConfig`] hold them flattened, so that their TOML sections stay
/// flat; unknown keys are refused (see [`split_flat`]).
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

/// Keys of the JSON object that `value` serialises to.
fn keys_of<T: Serialize>(value: &T) -> Vec<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// Deserialises a flat table into [`ChainSettings`] and the command's own settings `O`, each
/// missing key taking its value from `defaults`, and refuses keys that neither part knows.
/// (serde's `flatten` cannot be combined with `deny_unknown_fields`.)
fn split_flat<'de, D, O>(deserializer: D, defaults: (ChainSettings, O)) -> Result<(ChainSettings, O), D::Error>
where
    D: serde::Deserializer<'de>,
    O: Serialize + serde::de::DeserializeOwned,
{
    use serde::de::Error;
    let given = match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Object(m) => m,
        other => return Err(D::Error::custom(format!("expected a table of settings, got {other}"))),
    };
    let as_map = |v: serde_json::Value| match v {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    let mut chain = as_map(serde_json::to_value(&defaults.0).map_err(D::Error::custom)?);
    let mut own = as_map(serde_json::to_value(&defaults.1).map_err(D::Error::custom)?);
    for (key, value) in given {
        if chain.contains_key(&key) {
            chain.insert(key, value);
        } else if own.contains_key(&key) {
            own.insert(key, value);
        } else {
            let mut known = keys_of(&defaults.0);
            known.extend(keys_of(&defaults.1));
            return Err(D::Error::custom(format!("unknown field `{key}`, expected one of {}", known.join(", "))));
        }
    }
    let chain = ChainSettings::deserialize(serde_json::Value::Object(chain)).map_err(D::Error::custom)?;
    let own = O::deserialize(serde_json::Value::Object(own)).map_err(D::Error::custom)?;
    Ok((chain, own))
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
        MhSettings { proposals: None, adaptive: false, target_at_least_one: 0.9, smoothing: 0.01, velocity_refresh: VelocityRefresh::PerProposal }
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
    pub fn validate(&self) -> Result<(), SampleError> {
        self.chain.validate()?;
        if self.mh.proposals == Some(0) {
            return Err(SampleError::Config("proposals must be at least 1".into()));
        }
        Ok(())
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
        ThresholdSettings { threshold_kj: 300.0 }
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
        ExploreConfig { chain: ChainSettings { chains: 10, ..ChainSettings::default() }, threshold: ThresholdSettings::default() }
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
    pub fn validate(&self) -> Result<(), SampleError> {
        self.chain.validate()?;
        if self.threshold.threshold_kj.is_nan() {
            return Err(SampleError::Config("threshold_kj is NaN".into()));
        }
        Ok(())
    }

    pub fn rule(&self) -> crate::AcceptanceRule {
        crate::AcceptanceRule::Threshold { max_increase: self.threshold.threshold_kj }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_and_validate() {
        let s = SampleConfig::default();
        s.validate().unwrap();
        assert_eq!((s.chain.temperature_k, s.mh.proposals, s.mh.velocity_refresh), (310.0, None, VelocityRefresh::PerProposal));
        let back: SampleConfig = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
        let e = ExploreConfig::default();
        e.validate().unwrap();
        assert_eq!((e.threshold.threshold_kj, e.chain.chains), (300.0, 10));
        let back: ExploreConfig = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
        // The TOML form is flat.
        let text = toml::to_string(&s).unwrap();
        assert!(text.contains("steps = 10000") && !text.contains("[chain]"), "{text}");
    }

    #[test]
    fn partial_configs_take_defaults_and_typos_are_refused() {
        let s: SampleConfig = serde_json::from_str(r#"{"steps": 5, "velocity_refresh": "per-iteration", "proposals": 7}"#).unwrap();
        assert_eq!((s.chain.steps, s.mh.proposals, s.mh.velocity_refresh), (5, Some(7), VelocityRefresh::PerIteration));
        let err = serde_json::from_str::<SampleConfig>(r#"{"stepz": 5}"#).unwrap_err().to_string();
        assert!(err.contains("stepz") && err.contains("steps"), "{err}");
        assert!(serde_json::from_str::<ExploreConfig>(r#"{"proposals": 5}"#).is_err());
        let e: ExploreConfig = serde_json::from_str(r#"{"threshold_kj": 100, "seed": 3}"#).unwrap();
        assert_eq!((e.threshold.threshold_kj, e.chain.seed, e.chain.chains), (100.0, 3, 10));
        let t: SampleConfig = toml::from_str("steps = 3\ntemperature_k = 300\n").unwrap();
        assert_eq!((t.chain.steps, t.chain.temperature_k), (3, 300.0));
    }

    #[test]
    fn bad_values_name_the_setting() {
        let bad = |c: SampleConfig, what: &str| assert!(c.validate().unwrap_err().to_string().contains(what), "{what}");
        let with = |f: fn(&mut SampleConfig)| {
            let mut c = SampleConfig::default();
            f(&mut c);
            c
        };
        bad(with(|c| c.mh.proposals = Some(0)), "proposals");
        bad(with(|c| c.chain.chains = 0), "chains");
        bad(with(|c| c.chain.save_every = 0), "save_every");
        bad(with(|c| c.chain.temperature_k = -1.0), "temperature_k");
        bad(with(|c| c.chain.tau_ps = Some(0.0)), "tau_ps");
        let mut e = ExploreConfig::default();
        e.threshold.threshold_kj = f64::NAN;
        assert!(e.validate().is_err());
    }
}
