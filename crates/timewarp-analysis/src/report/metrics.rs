//! The metric types: the schema of `metrics.json`. Keys and meanings of existing fields are
//! stable (tests, the pipeline and other tools read them); fields added later default when
//! absent, so older files still read. The HTML report renders these types and nothing else.

use crate::autocorr::Ess;
use crate::basins::Populations;
use crate::bonds::BondCheck;
use crate::coverage::MetastableState;
use crate::moves::ResidueMoves;
use crate::transitions::ResidueTransitions;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Default smallest effective sample size reported as a number. Below it the integrated
/// autocorrelation time is estimated from a handful of independent stretches of the chain: the
/// estimate itself has an error of the order of 100 % (Sokal's window estimator has relative
/// error ≈ √(2(2M+1)/N) with M ≳ 5 τ_int, i.e. ≈ √(20/ESS) ≈ 0.6 at ESS = 50), so ESS, ESS/s and
/// any speed-up built on them are "too small to estimate".
pub const DEFAULT_MIN_ESS: f64 = 50.0;

/// A chain whose saved frames hold fewer distinct configurations than this barely moves: it
/// cannot hold [`DEFAULT_MIN_ESS`] independent samples (each needs at least one new state, and
/// consecutive accepted moves are correlated), so its statistics describe its start.
pub const MIN_DISTINCT_STATES: usize = 100;

/// Metropolis–Hastings acceptance rates below this make a chain's ESS and speed-up
/// meaningless: a chain of 10⁴ steps then holds fewer than ten distinct states.
pub const MIN_ACCEPTANCE: f64 = 1e-3;

/// An ESS that can be reported as a number: finite and at least `min_ess`. An unknown ESS
/// (`None`) has nothing to distrust.
pub fn ess_is_trusted(ess: Option<f64>, min_ess: f64) -> bool {
    ess.is_none_or(|e| e.is_finite() && e >= min_ess)
}

fn default_min_ess() -> f64 {
    DEFAULT_MIN_ESS
}

/// Basin populations of one residue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResiduePopulations {
    pub residue: String,
    pub populations: Populations,
    /// Standard errors by blocking (20 blocks per trajectory, see [`crate::blocking`]).
    #[serde(default)]
    pub populations_stderr: Option<Populations>,
}

/// Summary statistics of a per-frame quantity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub mean: f64,
    pub std: f64,
    pub min: f64,
    pub max: f64,
}

impl Stats {
    pub fn of(x: &[f64]) -> Option<Stats> {
        let v: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / n;
        Some(Stats {
            mean,
            std: var.sqrt(),
            min: v.iter().copied().fold(f64::INFINITY, f64::min),
            max: v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        })
    }
}

/// Metrics of one data set (MD or a sample set).
///
/// Fields added after the first release default when absent, so older `metrics.json` files
/// still read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetMetrics {
    pub dir: PathBuf,
    /// `command` of run.json (`md`, `sample`, `explore`), if present.
    pub command: Option<String>,
    pub wall_seconds: Option<f64>,
    pub n_trajectories: usize,
    pub n_frames: usize,
    /// Basin populations of the first residue with φ and ψ (for alanine dipeptide, ALA).
    pub populations: Populations,
    /// Standard errors of `populations` by blocking (20 blocks per trajectory); `None` with
    /// fewer than two blocks.
    #[serde(default)]
    pub populations_stderr: Option<Populations>,
    pub populations_per_residue: Vec<ResiduePopulations>,
    /// β/C7eq ↔ αR transitions of the first residue with φ and ψ, counted between core sets
    /// (see [`crate::transitions`]) and summed over trajectories.
    #[serde(default)]
    pub basin_transitions: Option<usize>,
    #[serde(default)]
    pub basin_transitions_per_residue: Vec<ResidueTransitions>,
    /// `basin_transitions` ÷ wall time of run.json.
    #[serde(default)]
    pub transitions_per_second: Option<f64>,
    /// Frames that differ from the frame before them in the same trajectory (for an MH chain
    /// saved every step: the accepted moves).
    #[serde(default)]
    pub moved_frames: usize,
    /// Median |Δφ| (degrees, wrapped) of the first residue over the frames that moved; `None`
    /// when no frame moved.
    #[serde(default)]
    pub median_abs_dphi_accepted: Option<f64>,
    /// The same for ψ.
    #[serde(default)]
    pub median_abs_dpsi_accepted: Option<f64>,
    #[serde(default)]
    pub accepted_moves_per_residue: Vec<ResidueMoves>,
    /// ESS of the ESS observable (see [`Metrics::ess_observable`]); chains combined.
    pub ess: Option<Ess>,
    /// ESS of TIC1.
    pub ess_tic1: Option<Ess>,
    /// ESS per second of wall time (needs run.json).
    pub ess_per_second: Option<f64>,
    pub ess_per_second_tic1: Option<f64>,
    pub bonds: BondCheck,
    /// Potential energy (kJ/mol) over frames, if the trajectories store energies.
    pub potential_energy: Option<Stats>,
    /// Standard error of the mean potential energy (kJ/mol) by blocking (20 blocks per
    /// trajectory).
    #[serde(default)]
    pub potential_energy_stderr: Option<f64>,
    /// Physical time between saved frames, ps: the MD save interval (NPZ `time`), or for a
    /// chain save_every × τ (its NPZ `time` when the model's lag τ is known). `None` when the
    /// frames are not evenly spaced in time (logarithmic MD spacing) or τ is unknown; then
    /// timescales stay in frames.
    #[serde(default)]
    pub frame_interval_ps: Option<f64>,
    /// τ_int of the ESS observable in ps (τ_int in frames × `frame_interval_ps`).
    #[serde(default)]
    pub tau_int_ps: Option<f64>,
}

/// Which metastable states the samples miss.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    /// D of the official rule on TIC0/TIC1 (see [`crate::coverage`]).
    pub max_min_distance: Option<f64>,
    pub threshold: f64,
    /// D ≥ threshold: the official analysis counts the run as having missed states.
    pub missed_states: bool,
    /// Metastable states of the MD TIC0/TIC1 free-energy surface.
    pub tica_states: Vec<MetastableState>,
    /// Ramachandran basins (per residue) that MD populates (≥ `min_state_population`) and the
    /// samples never visit, e.g. `ALA 2 alphaL`.
    pub missed_basins: Vec<String>,
    /// The other way round: basins the samples populate (≥ `min_state_population`) that MD
    /// never visits — a wrong sampler, or an MD reference too short to be one.
    #[serde(default)]
    pub extra_basins: Vec<String>,
}

/// The fitted TICA model, summarised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicaSummary {
    pub lag_frames: usize,
    pub n_features: usize,
    /// Leading eigenvalues λ_i (autocorrelation of TIC i at the lag).
    pub eigenvalues: Vec<f64>,
    /// Implied timescales −τ/ln|λ_i| in MD frames.
    pub timescales_frames: Vec<f64>,
    /// Time between MD frames (ps), when they are evenly spaced.
    #[serde(default)]
    pub frame_interval_ps: Option<f64>,
    /// `timescales_frames` × `frame_interval_ps`, ps.
    #[serde(default)]
    pub timescales_ps: Option<Vec<f64>>,
}

/// One sample set against MD, for the side-by-side table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub label: String,
    pub dir: PathBuf,
    /// `command` of the set's run.json.
    pub command: Option<String>,
    pub n_frames: usize,
    pub wall_seconds: Option<f64>,
    /// Metropolis–Hastings acceptance rate from the set's run.json.
    pub acceptance_rate: Option<f64>,
    /// As [`DatasetMetrics::basin_transitions`].
    pub basin_transitions: Option<usize>,
    pub transitions_per_second: Option<f64>,
    /// As [`DatasetMetrics::moved_frames`] (the accepted moves of a chain saved every step).
    pub moved_frames: usize,
    pub median_abs_dphi_accepted: Option<f64>,
    pub median_abs_dpsi_accepted: Option<f64>,
    /// ESS/s of the ESS observable ([`Metrics::ess_observable`]).
    pub ess_per_second: Option<f64>,
    /// ESS of the ESS observable (chains combined); below [`Metrics::min_ess`] the report
    /// shows it, its ESS/s and speed-up as too small to estimate.
    #[serde(default)]
    pub ess: Option<f64>,
    /// ESS/s of this set ÷ ESS/s of MD, on the same observable.
    pub speedup: Option<f64>,
    /// `speedup`, or 0 when the set misses a metastable state (official rule).
    pub speedup_official: Option<f64>,
    /// JSD of φ/ψ against MD (nats), one per residue of [`Metrics::residues`].
    pub jsd_phi_psi: Vec<f64>,
    /// Mean potential energy (kJ/mol) and its blocking standard error.
    pub potential_energy_mean: Option<f64>,
    pub potential_energy_stderr: Option<f64>,
    /// Populations of the first residue and their blocking standard errors.
    pub populations: Populations,
    pub populations_stderr: Option<Populations>,
    pub missed_states: bool,
    pub missed_basins: Vec<String>,
    /// As [`Coverage::extra_basins`].
    #[serde(default)]
    pub extra_basins: Vec<String>,
}

/// Everything `analyze` measures; written to `metrics.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub md: DatasetMetrics,
    /// The first sample set.
    pub samples: DatasetMetrics,
    /// Residues with φ and ψ, in order (labels such as `ALA 2`).
    pub residues: Vec<String>,
    /// Jensen–Shannon divergence (natural log, nats, ∈ [0, ln 2]) between MD and sample φ/ψ
    /// histograms (36 × 36 bins), one per residue of `residues` (first sample set).
    pub jsd_phi_psi: Vec<f64>,
    /// What ESS is computed on: `TIC0`, or `cos φ(<residue>)` when TICA is impossible.
    pub ess_observable: Option<String>,
    /// ESS/s of samples ÷ ESS/s of MD on the ESS observable (first sample set).
    pub speedup: Option<f64>,
    /// The same on TIC1.
    pub speedup_tic1: Option<f64>,
    /// `speedup`, or 0 when the samples miss a metastable state (official rule).
    pub speedup_official: Option<f64>,
    /// Metropolis–Hastings acceptance rate from the samples' run.json (first sample set).
    pub acceptance_rate: Option<f64>,
    /// Coverage of the first sample set.
    pub coverage: Coverage,
    pub tica: Option<TicaSummary>,
    /// Every sample set (the first included) against MD, in the order given.
    #[serde(default)]
    pub comparisons: Vec<Comparison>,
    /// Things the user should know (missing run.json, reduced TICA lag, …), the automatic
    /// sampling checks among them (a chain that barely moves, basins missed, ESS too small).
    pub warnings: Vec<String>,
    /// At least one sampling check of `warnings` failed: the speed-up and the distributions
    /// of the affected sets do not measure the sampler.
    #[serde(default)]
    pub sampling_failed: bool,
    /// The smallest ESS this analysis reported as a number ([`ess_is_trusted`]).
    #[serde(default = "default_min_ess")]
    pub min_ess: f64,
    /// Where the inputs came from (their run.json records) and what made this analysis.
    #[serde(default)]
    pub provenance: Option<Provenance>,
}

/// Where the numbers come from: each input's run record and this analysis' own version and date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Version of the tool that wrote the report.
    pub tool_version: String,
    /// When the report was written, UTC (`YYYY-MM-DD HH:MM:SS UTC`).
    pub generated_utc: String,
    /// MD first, then every sample set.
    pub inputs: Vec<InputProvenance>,
}

/// What the run record of one input folder says. Every field is `None` where the record (or
/// the record itself) is absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputProvenance {
    /// `MD` or the sample set's label.
    pub label: String,
    pub dir: PathBuf,
    pub command: Option<String>,
    /// Version of timewarp that produced the folder.
    pub version: Option<String>,
    /// Whether the run finished (an interrupted run's frames are a prefix).
    pub completed: Option<bool>,
    /// Heat-bath (MD) or target (MCMC) temperature, K.
    pub temperature_k: Option<f64>,
    /// Simulated time, ns: MD production steps × dt over all replicas, or a chain's steps × τ
    /// over all chains.
    pub simulated_ns: Option<f64>,
    /// MD throughput, simulated ns per wall-clock day (all replicas).
    pub ns_per_day: Option<f64>,
    /// The model or fitted proposal a chain used (path of the `proposal` input).
    pub proposal: Option<String>,
    /// The run's effective settings as recorded.
    #[serde(default)]
    pub settings: serde_json::Value,
}
