//! `analyze`: compare one or several sets of model samples with MD and write `metrics.json`,
//! `report.html` and the figures (`plots/*.png`, `plots/*.svg`).
//!
//! Speed-up follows the Timewarp paper: effective sample size per second of wall time of the
//! slowest TICA coordinate (TIC0 of a TICA model fitted on MD), samples ÷ MD. The official
//! analysis sets the speed-up of a peptide whose samples miss a metastable state to zero
//! (`speedup_official`); `speedup` is the plain ratio.
//!
//! Several sample sets (e.g. two samplers, or a model before and after fine-tuning) are
//! measured against the same MD reference by one function (`SampleSetAnalysis::compute`); the
//! first set also fills the top-level fields of [`Metrics`] (`samples`, `jsd_phi_psi`,
//! `speedup`, …) and every set gets a row in [`Metrics::comparisons`].

use crate::autocorr::{autocorrelation, combined_ess, Ess};
use crate::basins::{Basin, Populations};
use crate::blocking::{block_estimate, BLOCKS_PER_TRAJECTORY};
use crate::bonds::{self, BondCheck};
use crate::coverage::{self, MetastableState};
use crate::dataset::{
    check_same_molecule, find_trajectories, load_dataset, Dataset, RunInfo, Trajectory,
};
use crate::dihedral::{dihedral_series, phi_psi_pairs, PhiPsi};
use crate::error::AnalysisError;
use crate::features::{FeatureMatrix, FeatureSpec};
use crate::histogram::{Axis, Histogram1D, Histogram2D};
use crate::html;
use crate::jsd::jsd_phi_psi;
use crate::moves::{moved_frames, ResidueMoves};
use crate::plots::{
    self, AngleTraces, Curve, FreeEnergyMaps, Guide, LinePanel, LinePanels, Rendered, TraceRow,
};
use crate::tica::{Tica, TicaOptions};
use crate::transitions::{count_transitions_split, ResidueTransitions};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use timewarp_mol::Topology;

/// A set of samples to compare with MD: a label for tables and figures, and its folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleSet {
    pub label: String,
    pub dir: PathBuf,
}

impl SampleSet {
    pub fn new(label: impl Into<String>, dir: impl Into<PathBuf>) -> Self {
        SampleSet {
            label: label.into(),
            dir: dir.into(),
        }
    }

    /// Labelled with the folder's name (`runs/sample/` → `sample`).
    pub fn from_dir(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        let label = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .or_else(|| {
                let abs = std::fs::canonicalize(&dir).ok()?;
                Some(abs.file_name()?.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| dir.display().to_string());
        SampleSet { label, dir }
    }

    /// `DIR` or `LABEL=DIR`. A value that names an existing folder is taken whole (so a folder
    /// called `a=b` still works); otherwise it is split at the first `=`.
    pub fn parse(spec: &str) -> Result<SampleSet, AnalysisError> {
        if spec.is_empty() {
            return Err(AnalysisError::Options("empty sample set".into()));
        }
        if Path::new(spec).is_dir() {
            return Ok(SampleSet::from_dir(spec));
        }
        match spec.split_once('=') {
            Some((label, dir)) if !label.is_empty() && !dir.is_empty() => {
                Ok(SampleSet::new(label, dir))
            }
            Some(_) => Err(AnalysisError::Options(format!(
                "sample set `{spec}`: expected DIR or LABEL=DIR"
            ))),
            None => Ok(SampleSet::from_dir(spec)),
        }
    }
}

/// Options of `timewarp analyze`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalyzeOptions {
    /// Output folder of `timewarp md` (the reference).
    pub md_dir: PathBuf,
    /// Output folder of `timewarp sample` or `timewarp explore`: the first sample set, which
    /// fills the top-level fields of [`Metrics`].
    pub samples_dir: PathBuf,
    /// Label of `samples_dir` in comparisons and figures (default: its folder name).
    #[serde(default)]
    pub samples_label: Option<String>,
    /// Further sample sets, compared with MD side by side with the first.
    #[serde(default)]
    pub more_samples: Vec<SampleSet>,
    /// Where `report.html`, `metrics.json` and `plots/` go (created if needed).
    pub out_dir: PathBuf,
    /// TICA lag time in MD frames (reduced, with a warning, for trajectories too short for it).
    #[serde(default = "default_tica_lag")]
    pub tica_lag: usize,
    /// Smallest MD population of a metastable state that the samples are required to visit.
    #[serde(default = "default_min_state_population")]
    pub min_state_population: f64,
    /// Also write every figure as SVG next to the PNG.
    #[serde(default = "default_true")]
    pub write_svg: bool,
}

fn default_tica_lag() -> usize {
    10
}

fn default_min_state_population() -> f64 {
    0.01
}

fn default_true() -> bool {
    true
}

impl AnalyzeOptions {
    pub fn new(
        md_dir: impl Into<PathBuf>,
        samples_dir: impl Into<PathBuf>,
        out_dir: impl Into<PathBuf>,
    ) -> Self {
        AnalyzeOptions {
            md_dir: md_dir.into(),
            samples_dir: samples_dir.into(),
            samples_label: None,
            more_samples: Vec::new(),
            out_dir: out_dir.into(),
            tica_lag: default_tica_lag(),
            min_state_population: default_min_state_population(),
            write_svg: true,
        }
    }

    /// Several sample sets against one MD reference; the first fills the top-level fields.
    pub fn with_sample_sets(
        md_dir: impl Into<PathBuf>,
        sets: Vec<SampleSet>,
        out_dir: impl Into<PathBuf>,
    ) -> Result<Self, AnalysisError> {
        let mut sets = sets.into_iter();
        let first = sets
            .next()
            .ok_or_else(|| AnalysisError::Options("no sample set given".into()))?;
        Ok(AnalyzeOptions {
            samples_label: Some(first.label),
            more_samples: sets.collect(),
            ..AnalyzeOptions::new(md_dir, first.dir, out_dir)
        })
    }

    /// Every sample set, the first (`samples_dir`) first, with its label filled in.
    pub fn sample_sets(&self) -> Vec<SampleSet> {
        let first = match &self.samples_label {
            Some(l) => SampleSet::new(l.clone(), &self.samples_dir),
            None => SampleSet::from_dir(&self.samples_dir),
        };
        std::iter::once(first)
            .chain(self.more_samples.iter().cloned())
            .collect()
    }

    fn validate(&self) -> Result<(), AnalysisError> {
        if !(0.0..1.0).contains(&self.min_state_population) {
            return Err(AnalysisError::Options(format!(
                "min_state_population must be in [0, 1), got {}",
                self.min_state_population
            )));
        }
        let mut seen = HashSet::new();
        for s in self.sample_sets() {
            if s.label.is_empty() {
                return Err(AnalysisError::Options(format!(
                    "sample set {}: empty label",
                    s.dir.display()
                )));
            }
            if !seen.insert(s.label.clone()) {
                return Err(AnalysisError::Options(format!(
                    "two sample sets are labelled `{}` (the second is {}); give each a label with LABEL=DIR",
                    s.label,
                    s.dir.display()
                )));
            }
        }
        Ok(())
    }
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
    /// Things the user should know (missing run.json, reduced TICA lag, …).
    pub warnings: Vec<String>,
}

/// Read MD and every sample set of `opts`, compute [`Metrics`], and write `report.html`,
/// `metrics.json` and `plots/` into `opts.out_dir`.
pub fn analyze(opts: &AnalyzeOptions) -> Result<Metrics, AnalysisError> {
    opts.validate()?;
    let analysis = Analysis::compute(opts)?;
    let figures = analysis.figures()?;
    write_outputs(&opts.out_dir, &analysis.metrics, &figures, opts.write_svg)?;
    Ok(analysis.metrics)
}

/// Per-residue φ/ψ series of one data set, trajectories one after the other.
struct Angles {
    phi: Vec<Vec<f64>>,
    psi: Vec<Vec<f64>>,
}

fn angles(ds: &Dataset, pairs: &[PhiPsi]) -> Angles {
    let series = |q: [usize; 4]| -> Vec<f64> {
        ds.trajectories
            .iter()
            .flat_map(|t| dihedral_series(&t.positions, t.n_atoms, q))
            .collect()
    };
    Angles {
        phi: pairs.iter().map(|p| series(p.phi)).collect(),
        psi: pairs.iter().map(|p| series(p.psi)).collect(),
    }
}

/// The ESS observable per trajectory of one data set, and TIC1 when TICA ran.
struct Observables {
    primary: Vec<Vec<f64>>,
    tic1: Option<Vec<Vec<f64>>>,
}

/// (TIC0, TIC1) of every frame of one data set.
type TicFrames = Vec<[f64; 2]>;

/// (TIC0, TIC1) of every frame, per trajectory.
type TicPoints = Vec<TicFrames>;

/// What every data set is measured against, all from MD: the residues, the TICA model and
/// the MD bond lengths.
struct Reference {
    topology: Topology,
    pairs: Vec<PhiPsi>,
    spec: FeatureSpec,
    tica: Option<Tica>,
    /// Mean MD length of every bond of `topology.bonds` (nm).
    bond_lengths: Vec<f64>,
    ess_observable: Option<String>,
}

impl Reference {
    /// The reference of `md`, and the MD feature matrices (reused for projecting MD).
    fn build(
        md: &Dataset,
        requested_lag: usize,
        warnings: &mut Vec<String>,
    ) -> (Reference, Vec<FeatureMatrix>) {
        let topology = md.topology().clone();
        let pairs = phi_psi_pairs(&topology);
        if pairs.is_empty() {
            warnings.push("no residue has both φ and ψ: no Ramachandran analysis".to_string());
        }
        let spec = FeatureSpec::timewarp(&topology);
        let md_feats: Vec<FeatureMatrix> = md
            .trajectories
            .iter()
            .map(|t| spec.compute(&t.positions, t.n_atoms))
            .collect();
        let tica = fit_tica(&md_feats, requested_lag, warnings);
        let ess_observable = if tica.is_some() {
            Some("TIC0".to_string())
        } else {
            pairs.first().map(|p| format!("cos φ({})", p.label))
        };
        let md_lengths: Vec<f64> = md
            .trajectories
            .iter()
            .flat_map(|t| bonds::bond_lengths(&t.positions, t.n_atoms, &topology.bonds))
            .collect();
        let bond_lengths = bonds::mean_lengths(&md_lengths, topology.bonds.len());
        let reference = Reference {
            topology,
            pairs,
            spec,
            tica,
            bond_lengths,
            ess_observable,
        };
        (reference, md_feats)
    }

    fn residues(&self) -> Vec<String> {
        self.pairs.iter().map(|p| p.label.clone()).collect()
    }

    fn tica_summary(&self) -> Option<TicaSummary> {
        self.tica.as_ref().map(|t| TicaSummary {
            lag_frames: t.lag,
            n_features: t.mean.len(),
            eigenvalues: t.eigenvalues.iter().take(5).copied().collect(),
            timescales_frames: t.timescales().into_iter().take(5).collect(),
        })
    }
}

/// TICA on the MD features with lag `requested` frames, shortened (with a warning) when the
/// longest trajectory holds fewer than 2·lag + 2 frames. `None` (with a warning) when fewer
/// than two components come out.
fn fit_tica(
    md_feats: &[FeatureMatrix],
    requested: usize,
    warnings: &mut Vec<String>,
) -> Option<Tica> {
    let longest = md_feats.iter().map(|f| f.n_frames).max().unwrap_or(0);
    let mut lag = requested.max(1);
    if longest < 2 * lag + 2 {
        let reduced = (longest / 10).max(1);
        warnings.push(format!(
            "TICA lag reduced from {lag} to {reduced} frames: the longest MD trajectory has only {longest} frames"
        ));
        lag = reduced;
    }
    let options = TicaOptions {
        lag,
        ..TicaOptions::default()
    };
    match Tica::fit(&md_feats.iter().collect::<Vec<_>>(), options) {
        Ok(t) if t.dim() >= 2 => Some(t),
        Ok(_) => {
            warnings.push("TICA found fewer than two components: no TIC0/TIC1 analysis".into());
            None
        }
        Err(e) => {
            warnings.push(format!("no TICA: {e}"));
            None
        }
    }
}

/// (TIC0, TIC1) of every frame of every trajectory.
fn project(feats: &[FeatureMatrix], tica: &Tica) -> Result<TicPoints, AnalysisError> {
    feats
        .iter()
        .map(|f| {
            Ok(tica
                .transform(f, 2)?
                .chunks_exact(2)
                .map(|c| [c[0], c[1]])
                .collect())
        })
        .collect()
}

/// What the x axis of a time-series figure is for one data set.
struct Clock {
    /// Axis label with unit.
    desc: String,
    /// x of every frame of the first trajectory.
    x: Vec<f64>,
}

impl Clock {
    /// MD is plotted against simulated time in ns (NPZ `time`, stored in ps); chains against
    /// their step counter (NPZ `step`): a saved MD frame and an MCMC step are different units
    /// and the figure does not pretend otherwise. Frame indices where the arrays are missing.
    fn of(t: &Trajectory, run: Option<&RunInfo>, is_reference: bool) -> Clock {
        let n = t.n_frames();
        let command = run.map(|r| r.command.as_str());
        let frames = |desc: &str| Clock {
            desc: desc.to_string(),
            x: (0..n).map(|i| i as f64).collect(),
        };
        let steps = |desc: &str| match t.step.len() == n {
            true => Clock {
                desc: desc.to_string(),
                x: t.step.iter().map(|&s| s as f64).collect(),
            },
            false => frames("saved frame"),
        };
        let is_md = match command {
            Some(c) => c == "md",
            None => is_reference,
        };
        if is_md {
            return match t.time.len() == n {
                true => Clock {
                    desc: "MD time / ns".to_string(),
                    x: t.time.iter().map(|ps| ps / 1000.0).collect(),
                },
                false => frames("MD frame"),
            };
        }
        match command {
            Some("sample") => steps("MCMC step"),
            Some("explore") => steps("exploration step"),
            _ => steps("step (NPZ `step`)"),
        }
    }
}

/// Per-frame series of one data set (MD or a sample set), trajectories one after the other;
/// the positions are not kept.
struct Series {
    label: String,
    dir: PathBuf,
    run: Option<RunInfo>,
    /// Frames of each trajectory.
    lengths: Vec<usize>,
    angles: Angles,
    /// Frame differs from the one before it in its trajectory (see [`crate::moves`]).
    moved: Vec<bool>,
    tics: Option<TicPoints>,
    obs: Option<Observables>,
    /// Potential energies (kJ/mol) and how many each trajectory stores.
    energy: Vec<f64>,
    energy_lengths: Vec<usize>,
    /// Bond lengths, frames × bonds (nm).
    bond_lengths: Vec<f64>,
    /// Time axis of the first trajectory.
    clock: Clock,
}

impl Series {
    /// `feats`: the data set's TICA features when already computed (MD).
    fn of(
        ds: &Dataset,
        label: &str,
        reference: &Reference,
        feats: Option<Vec<FeatureMatrix>>,
        is_reference: bool,
    ) -> Result<Series, AnalysisError> {
        let lengths: Vec<usize> = ds.trajectories.iter().map(Trajectory::n_frames).collect();
        let angles = angles(ds, &reference.pairs);
        let tics = match &reference.tica {
            Some(t) => {
                let feats = feats.unwrap_or_else(|| {
                    ds.trajectories
                        .iter()
                        .map(|t| reference.spec.compute(&t.positions, t.n_atoms))
                        .collect()
                });
                Some(project(&feats, t)?)
            }
            None => None,
        };
        let obs = observables(tics.as_ref(), &angles, &lengths);
        let bonds = &reference.topology.bonds;
        Ok(Series {
            label: label.to_string(),
            dir: ds.dir.clone(),
            run: ds.run.clone(),
            moved: ds
                .trajectories
                .iter()
                .flat_map(|t| moved_frames(&t.positions, t.n_atoms))
                .collect(),
            energy: ds
                .trajectories
                .iter()
                .flat_map(|t| t.potential_energy.iter().copied())
                .collect(),
            energy_lengths: ds
                .trajectories
                .iter()
                .map(|t| t.potential_energy.len())
                .collect(),
            bond_lengths: ds
                .trajectories
                .iter()
                .flat_map(|t| bonds::bond_lengths(&t.positions, t.n_atoms, bonds))
                .collect(),
            clock: Clock::of(&ds.trajectories[0], ds.run.as_ref(), is_reference),
            lengths,
            angles,
            tics,
            obs,
        })
    }

    fn n_frames(&self) -> usize {
        self.lengths.iter().sum()
    }

    fn wall_seconds(&self) -> Option<f64> {
        self.run.as_ref().map(|r| r.wall_seconds)
    }

    /// TIC0/TIC1 of all frames.
    fn tic_points(&self) -> Option<TicFrames> {
        self.tics.as_ref().map(|t| t.concat())
    }
}

/// `values` (trajectories one after the other) cut back into trajectories.
fn split<'a>(values: &'a [f64], lengths: &[usize]) -> Vec<&'a [f64]> {
    let mut rest = values;
    lengths
        .iter()
        .map(|&n| {
            let (head, tail) = rest.split_at(n.min(rest.len()));
            rest = tail;
            head
        })
        .collect()
}

/// ESS observables: TIC0 (and TIC1) when TICA ran, else cos φ of the first residue.
fn observables(tics: Option<&TicPoints>, a: &Angles, lengths: &[usize]) -> Option<Observables> {
    if let Some(tr) = tics {
        let component = |k: usize| -> Vec<Vec<f64>> {
            tr.iter()
                .map(|v| v.iter().map(|p| p[k]).collect())
                .collect()
        };
        return Some(Observables {
            primary: component(0),
            tic1: Some(component(1)),
        });
    }
    let phi = a.phi.first()?;
    Some(Observables {
        primary: split(phi, lengths)
            .into_iter()
            .map(|t| t.iter().map(|v| v.cos()).collect())
            .collect(),
        tic1: None,
    })
}

/// Populations of every residue with their blocking errors.
fn residue_populations(s: &Series, pairs: &[PhiPsi]) -> Vec<ResiduePopulations> {
    pairs
        .iter()
        .enumerate()
        .map(|(r, p)| {
            let (phi, psi) = (&s.angles.phi[r], &s.angles.psi[r]);
            ResiduePopulations {
                residue: p.label.clone(),
                populations: Populations::from_angles(phi, psi),
                populations_stderr: Populations::block_stderr(phi, psi, &s.lengths),
            }
        })
        .collect()
}

/// Core-set β ↔ αR transitions of every residue.
fn residue_transitions(s: &Series, pairs: &[PhiPsi]) -> Vec<ResidueTransitions> {
    pairs
        .iter()
        .enumerate()
        .map(|(r, p)| ResidueTransitions {
            residue: p.label.clone(),
            transitions: count_transitions_split(&s.angles.phi[r], &s.angles.psi[r], &s.lengths),
        })
        .collect()
}

/// Median accepted |Δφ|, |Δψ| of every residue.
fn residue_moves(s: &Series, pairs: &[PhiPsi]) -> Vec<ResidueMoves> {
    pairs
        .iter()
        .enumerate()
        .map(|(r, p)| ResidueMoves::of(&p.label, &s.angles.phi[r], &s.angles.psi[r], &s.moved))
        .collect()
}

/// ESS of the observable's trajectories combined.
fn ess_of(chains: &[Vec<f64>]) -> Ess {
    combined_ess(&chains.iter().map(Vec::as_slice).collect::<Vec<_>>())
}

/// Everything measured on one data set by itself (no comparison with MD except the bond
/// reference).
fn dataset_metrics(s: &Series, reference: &Reference) -> DatasetMetrics {
    let per_residue = residue_populations(s, &reference.pairs);
    let transitions = residue_transitions(s, &reference.pairs);
    let moves = residue_moves(s, &reference.pairs);
    let ess = s.obs.as_ref().map(|o| ess_of(&o.primary));
    let ess_tic1 = s.obs.as_ref().and_then(|o| o.tic1.as_deref()).map(ess_of);
    let wall = s.wall_seconds();
    let per_second = |v: f64| wall.filter(|w| *w > 0.0 && w.is_finite()).map(|w| v / w);
    let basin_transitions = transitions.first().map(|t| t.transitions);
    DatasetMetrics {
        dir: s.dir.clone(),
        command: s.run.as_ref().map(|r| r.command.clone()),
        wall_seconds: wall,
        n_trajectories: s.lengths.len(),
        n_frames: s.n_frames(),
        populations: per_residue
            .first()
            .map(|r| r.populations)
            .unwrap_or_default(),
        populations_stderr: per_residue.first().and_then(|r| r.populations_stderr),
        populations_per_residue: per_residue,
        basin_transitions,
        basin_transitions_per_residue: transitions,
        transitions_per_second: basin_transitions.and_then(|n| per_second(n as f64)),
        moved_frames: s.moved.iter().filter(|&&m| m).count(),
        median_abs_dphi_accepted: moves.first().and_then(|m| m.median_abs_dphi),
        median_abs_dpsi_accepted: moves.first().and_then(|m| m.median_abs_dpsi),
        accepted_moves_per_residue: moves,
        ess_per_second: ess.and_then(|e| wall.and_then(|w| e.per_second(w))),
        ess_per_second_tic1: ess_tic1.and_then(|e| wall.and_then(|w| e.per_second(w))),
        ess,
        ess_tic1,
        bonds: bonds::check_bonds(
            &reference.topology,
            &reference.topology.bonds,
            &s.bond_lengths,
            &reference.bond_lengths,
        ),
        potential_energy: Stats::of(&s.energy),
        potential_energy_stderr: block_estimate(
            &s.energy,
            &s.energy_lengths,
            BLOCKS_PER_TRAJECTORY,
        )
        .map(|e| e.stderr),
    }
}

/// a ÷ b when both are known and b > 0.
fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(s), Some(m)) if m > 0.0 => Some(s / m),
        _ => None,
    }
}

/// Which metastable states of MD the sample set `sm` misses: the official TIC0/TIC1
/// distance rule, the named TICA states, and Ramachandran basins per residue.
fn coverage_of(
    md: &Series,
    sm: &Series,
    md_m: &DatasetMetrics,
    sm_m: &DatasetMetrics,
    pairs: &[PhiPsi],
    min_state_population: f64,
) -> Coverage {
    let (max_min_distance, tica_states) = match (md.tic_points(), sm.tic_points()) {
        (Some(a), Some(b)) => {
            let (ax, ay) = coverage::tic_grid(&a, 25);
            let h_md = Histogram2D::from_pairs(ax, ay, a.iter().map(|p| (p[0], p[1])));
            let h_sm = Histogram2D::from_pairs(ax, ay, b.iter().map(|p| (p[0], p[1])));
            (
                coverage::max_min_distance(&a, &b, coverage::OFFICIAL_STRIDE),
                coverage::metastable_states(&h_md, &h_sm, min_state_population),
            )
        }
        _ => (None, Vec::new()),
    };
    let mut missed_basins = Vec::new();
    for (r, p) in pairs.iter().enumerate() {
        for b in Basin::ALL {
            let m = md_m.populations_per_residue[r].populations.get(b);
            let s = sm_m.populations_per_residue[r].populations.get(b);
            if m >= min_state_population.max(f64::MIN_POSITIVE) && s == 0.0 {
                missed_basins.push(format!("{} {}", p.label, b.key()));
            }
        }
    }
    Coverage {
        max_min_distance,
        threshold: coverage::OFFICIAL_THRESHOLD,
        missed_states: max_min_distance.is_some_and(|d| d >= coverage::OFFICIAL_THRESHOLD),
        tica_states,
        missed_basins,
    }
}

/// One sample set measured against MD.
struct SampleSetAnalysis {
    label: String,
    metrics: DatasetMetrics,
    jsd_phi_psi: Vec<f64>,
    speedup: Option<f64>,
    speedup_tic1: Option<f64>,
    speedup_official: Option<f64>,
    acceptance_rate: Option<f64>,
    coverage: Coverage,
}

impl SampleSetAnalysis {
    /// The metrics of sample set `sm` and its comparison with MD (`md`, `md_m`).
    fn compute(
        sm: &Series,
        md: &Series,
        md_m: &DatasetMetrics,
        reference: &Reference,
        min_state_population: f64,
    ) -> SampleSetAnalysis {
        let metrics = dataset_metrics(sm, reference);
        let jsd_phi_psi = (0..reference.pairs.len())
            .map(|r| {
                jsd_phi_psi(
                    &md.angles.phi[r],
                    &md.angles.psi[r],
                    &sm.angles.phi[r],
                    &sm.angles.psi[r],
                )
                .unwrap_or(f64::NAN)
            })
            .collect();
        let coverage = coverage_of(
            md,
            sm,
            md_m,
            &metrics,
            &reference.pairs,
            min_state_population,
        );
        let speedup = ratio(metrics.ess_per_second, md_m.ess_per_second);
        SampleSetAnalysis {
            label: sm.label.clone(),
            speedup_tic1: ratio(metrics.ess_per_second_tic1, md_m.ess_per_second_tic1),
            speedup_official: speedup.map(|s| if coverage.missed_states { 0.0 } else { s }),
            speedup,
            acceptance_rate: sm.run.as_ref().and_then(|r| r.acceptance_rate),
            jsd_phi_psi,
            coverage,
            metrics,
        }
    }

    fn comparison(&self) -> Comparison {
        let m = &self.metrics;
        Comparison {
            label: self.label.clone(),
            dir: m.dir.clone(),
            command: m.command.clone(),
            n_frames: m.n_frames,
            wall_seconds: m.wall_seconds,
            acceptance_rate: self.acceptance_rate,
            basin_transitions: m.basin_transitions,
            transitions_per_second: m.transitions_per_second,
            moved_frames: m.moved_frames,
            median_abs_dphi_accepted: m.median_abs_dphi_accepted,
            median_abs_dpsi_accepted: m.median_abs_dpsi_accepted,
            ess_per_second: m.ess_per_second,
            speedup: self.speedup,
            speedup_official: self.speedup_official,
            jsd_phi_psi: self.jsd_phi_psi.clone(),
            potential_energy_mean: m.potential_energy.map(|s| s.mean),
            potential_energy_stderr: m.potential_energy_stderr,
            populations: m.populations,
            populations_stderr: m.populations_stderr,
            missed_states: self.coverage.missed_states,
            missed_basins: self.coverage.missed_basins.clone(),
        }
    }
}

/// Warnings about one data set: no run.json, or biased (exploration) samples.
fn dataset_warnings(s: &Series, warnings: &mut Vec<String>) {
    if s.run.as_ref().is_some_and(|r| r.biased) {
        warnings.push(format!(
            "{}: the samples come from exploration (biased): populations, JSD and free energies are not Boltzmann estimates",
            s.label
        ));
    }
    if s.run.is_none() {
        warnings.push(format!(
            "{}: no run.json in {}: wall time unknown, no ESS per second or speed-up",
            s.label,
            s.dir.display()
        ));
    }
}

/// Acceptance rates below this make a chain's ESS and speed-up meaningless: a chain of 10⁴
/// steps then holds fewer than ten distinct states.
const MIN_ACCEPTANCE: f64 = 1e-3;

/// Warnings about a sample set whose chain never moved or hardly moved: its ESS and speed-up
/// (and JSD) describe its start structure, not the sampler, and must not be read without them.
/// They are also printed to stderr at once, because they void the headline numbers on stdout.
fn mobility_warnings(r: &SampleSetAnalysis, warnings: &mut Vec<String>) {
    let m = &r.metrics;
    let speedup = match r.speedup {
        Some(s) => format!(", so its speed-up ({s:.3}) and ESS measure nothing"),
        None => ", so its ESS measures nothing".to_string(),
    };
    let acceptance = match r.acceptance_rate {
        Some(a) => format!(", acceptance rate {a}"),
        None => String::new(),
    };
    let never_moved =
        (m.n_frames > 1 && m.moved_frames == 0) || r.acceptance_rate.is_some_and(|a| a <= 0.0);
    let warning = if never_moved {
        format!(
            "{}: the chain never moved (no accepted move: {} of {} frames differ from the one before{acceptance}){speedup}",
            r.label,
            m.moved_frames,
            m.n_frames.saturating_sub(m.n_trajectories)
        )
    } else if let Some(a) = r.acceptance_rate.filter(|a| *a < MIN_ACCEPTANCE) {
        format!(
            "{}: acceptance rate {a:.2e} is below {MIN_ACCEPTANCE:e}: the chain hardly moved ({} frames differ from the one before){speedup}",
            r.label, m.moved_frames
        )
    } else {
        return;
    };
    eprintln!("warning: {warning}");
    warnings.push(warning);
}

/// A data set without frames would give NaN statistics (JSD, ESS) with a zero exit status: it
/// is an error naming the folder and the empty trajectory.
fn check_frames(ds: &Dataset, what: &str) -> Result<(), AnalysisError> {
    for t in &ds.trajectories {
        if t.n_frames() == 0 {
            return Err(AnalysisError::TooFewFrames {
                what: format!(
                    "{what} {}: trajectory {}",
                    ds.dir.display(),
                    timewarp_mol::traj::arrays_path(&t.dir, &t.name).display()
                ),
                n_frames: 0,
                needed: 1,
            });
        }
    }
    Ok(())
}

/// All intermediate results needed for metrics and figures.
struct Analysis {
    metrics: Metrics,
    reference: Reference,
    md: Series,
    /// One per sample set, in order, with its own metrics.
    sets: Vec<Series>,
    set_metrics: Vec<DatasetMetrics>,
}

impl Analysis {
    /// MD first (reference, TICA), then each sample set in turn; a data set's positions are
    /// dropped once its series are taken.
    fn compute(opts: &AnalyzeOptions) -> Result<Analysis, AnalysisError> {
        let sample_sets = opts.sample_sets();
        // Every folder must hold trajectories: fail before the expensive work.
        for set in &sample_sets {
            find_trajectories(&set.dir)?;
        }
        let mut warnings = Vec::new();
        let md_ds = load_dataset(&opts.md_dir)?;
        check_frames(&md_ds, "MD folder")?;
        let molecule = md_ds.trajectories[0].header();
        let (reference, md_feats) = Reference::build(&md_ds, opts.tica_lag, &mut warnings);
        let md = Series::of(&md_ds, "MD", &reference, Some(md_feats), true)?;
        drop(md_ds);
        let md_m = dataset_metrics(&md, &reference);
        dataset_warnings(&md, &mut warnings);

        let mut sets = Vec::with_capacity(sample_sets.len());
        let mut results = Vec::with_capacity(sample_sets.len());
        for set in &sample_sets {
            let ds = load_dataset(&set.dir)?;
            check_frames(&ds, &format!("sample set `{}` folder", set.label))?;
            check_same_molecule(&molecule, &ds.trajectories[0]).map_err(|e| {
                AnalysisError::Topology(format!(
                    "sample set `{}` does not match MD: {e}",
                    set.label
                ))
            })?;
            let s = Series::of(&ds, &set.label, &reference, None, false)?;
            drop(ds);
            dataset_warnings(&s, &mut warnings);
            let result =
                SampleSetAnalysis::compute(&s, &md, &md_m, &reference, opts.min_state_population);
            mobility_warnings(&result, &mut warnings);
            results.push(result);
            sets.push(s);
        }
        let comparisons = results.iter().map(SampleSetAnalysis::comparison).collect();
        let set_metrics: Vec<DatasetMetrics> = results.iter().map(|r| r.metrics.clone()).collect();
        let first = results.swap_remove(0);
        Ok(Analysis {
            metrics: Metrics {
                md: md_m,
                samples: first.metrics,
                residues: reference.residues(),
                jsd_phi_psi: first.jsd_phi_psi,
                ess_observable: reference.ess_observable.clone(),
                speedup: first.speedup,
                speedup_tic1: first.speedup_tic1,
                speedup_official: first.speedup_official,
                acceptance_rate: first.acceptance_rate,
                coverage: first.coverage,
                tica: reference.tica_summary(),
                comparisons,
                warnings,
            },
            reference,
            md,
            sets,
            set_metrics,
        })
    }

    /// MD first, then every sample set.
    fn all_series(&self) -> impl Iterator<Item = &Series> {
        std::iter::once(&self.md).chain(&self.sets)
    }

    fn figures(&self) -> Result<Vec<Rendered>, AnalysisError> {
        let mut out = Vec::new();
        for r in 0..self.reference.pairs.len() {
            out.push(self.ramachandran_figure(r)?);
            out.push(self.dihedral_profiles_figure(r)?);
        }
        out.extend(self.tica_figures()?);
        out.extend(self.autocorrelation_figure()?);
        out.extend(self.energy_and_bonds_figure()?);
        out.extend(self.time_series_figures()?);
        Ok(out)
    }

    /// φ/ψ free energy of residue `r`, one panel per data set.
    fn ramachandran_figure(&self, r: usize) -> Result<Rendered, AnalysisError> {
        let p = &self.reference.pairs[r];
        // Alanine-dipeptide basin borders: φ = 0; ψ = 50° and ψ = −120° for φ ≤ 0.
        let guides = vec![
            Guide::Vertical(0.0),
            Guide::Horizontal {
                y: 50.0,
                from: -180.0,
                to: 0.0,
            },
            Guide::Horizontal {
                y: -120.0,
                from: -180.0,
                to: 0.0,
            },
        ];
        let panels: Vec<(String, Histogram2D)> = self
            .all_series()
            .map(|s| {
                let h = Histogram2D::from_pairs(
                    angle_axis(60),
                    angle_axis(60),
                    degrees(&s.angles.phi[r])
                        .into_iter()
                        .zip(degrees(&s.angles.psi[r])),
                );
                (s.label.clone(), h)
            })
            .collect();
        plots::render(&FreeEnergyMaps {
            name: format!("ramachandran_{}", slug(&p.label)),
            title: format!("Ramachandran free energy, {}", p.label),
            x_desc: "φ / deg".into(),
            y_desc: "ψ / deg".into(),
            f_max: FreeEnergyMaps::auto_f_max(&panels, 12.0),
            panels,
            guides,
        })
    }

    /// Free-energy profiles of φ and ψ of residue `r`, one curve per data set.
    fn dihedral_profiles_figure(&self, r: usize) -> Result<Rendered, AnalysisError> {
        let p = &self.reference.pairs[r];
        let profile = |name: &str, angle: &dyn Fn(&Series) -> &[f64]| LinePanel {
            x_desc: format!("{name} / deg"),
            y_desc: "F / kT".into(),
            x_range: (-180.0, 180.0),
            curves: self
                .all_series()
                .map(|s| {
                    let h = Histogram1D::from_values(angle_axis(72), degrees(angle(s)));
                    Curve::free_energy(&s.label, &h)
                })
                .collect(),
            log_y: false,
        };
        plots::render(&LinePanels {
            name: format!("dihedral_profiles_{}", slug(&p.label)),
            title: format!("Free-energy profiles of φ and ψ, {}", p.label),
            panels: vec![
                profile("φ", &|s| &s.angles.phi[r]),
                profile("ψ", &|s| &s.angles.psi[r]),
            ],
        })
    }

    /// Free energy on TIC0/TIC1 (one panel per data set) and its profiles along each.
    fn tica_figures(&self) -> Result<Vec<Rendered>, AnalysisError> {
        let points: Option<Vec<(&str, TicFrames)>> = self
            .all_series()
            .map(|s| Some((s.label.as_str(), s.tic_points()?)))
            .collect();
        let Some(points) = points else {
            return Ok(Vec::new());
        };
        let all = || points.iter().flat_map(|(_, v)| v.iter());
        let ax = Axis::spanning(all().map(|p| p[0]), 60);
        let ay = Axis::spanning(all().map(|p| p[1]), 60);
        let panels: Vec<(String, Histogram2D)> = points
            .iter()
            .map(|(label, v)| {
                let h = Histogram2D::from_pairs(ax, ay, v.iter().map(|p| (p[0], p[1])));
                (label.to_string(), h)
            })
            .collect();
        let map = plots::render(&FreeEnergyMaps {
            name: "tica_free_energy".into(),
            title: "Free energy on the slowest TICA coordinates (TICA fitted on MD)".into(),
            x_desc: "TIC0".into(),
            y_desc: "TIC1".into(),
            f_max: FreeEnergyMaps::auto_f_max(&panels, 12.0),
            panels,
            guides: Vec::new(),
        })?;
        let profile = |k: usize, axis: Axis| LinePanel {
            x_desc: format!("TIC{k}"),
            y_desc: "F / kT".into(),
            x_range: (axis.lo, axis.hi),
            curves: points
                .iter()
                .map(|(label, v)| {
                    let h =
                        Histogram1D::from_values(Axis { n: 80, ..axis }, v.iter().map(|p| p[k]));
                    Curve::free_energy(label, &h)
                })
                .collect(),
            log_y: false,
        };
        let profiles = plots::render(&LinePanels {
            name: "tica_profiles".into(),
            title: "Free-energy profiles along TIC0 and TIC1".into(),
            panels: vec![profile(0, ax), profile(1, ay)],
        })?;
        Ok(vec![map, profiles])
    }

    /// Autocorrelation of the ESS observable, first trajectory of each data set, up to a few
    /// of the longest decorrelation times.
    fn autocorrelation_figure(&self) -> Result<Option<Rendered>, AnalysisError> {
        let Some(obs) = &self.metrics.ess_observable else {
            return Ok(None);
        };
        let acfs: Option<Vec<(&str, Vec<f64>)>> = self
            .all_series()
            .map(|s| {
                let first = s
                    .obs
                    .as_ref()?
                    .primary
                    .first()
                    .map_or(&[][..], Vec::as_slice);
                Some((s.label.as_str(), autocorrelation(first)))
            })
            .collect();
        let Some(acfs) = acfs else {
            return Ok(None);
        };
        let tau = std::iter::once(&self.metrics.md)
            .chain(&self.set_metrics)
            .map(|m| m.ess.map_or(10.0, |e| e.tau_int))
            .fold(10.0f64, f64::max);
        let longest = acfs.iter().map(|(_, a)| a.len()).max().unwrap_or(0);
        let max_lag = ((4.0 * tau).ceil() as usize).clamp(10, longest.max(11) - 1);
        let curve = |label: &str, acf: &[f64]| Curve {
            label: label.to_string(),
            x: (0..acf.len().min(max_lag + 1)).map(|k| k as f64).collect(),
            y: acf.iter().take(max_lag + 1).copied().collect(),
        };
        plots::render(&LinePanels {
            name: "autocorrelation".into(),
            title: format!("Autocorrelation of {obs} (first trajectory of each data set)"),
            panels: vec![LinePanel {
                x_desc: "lag / saved frames".into(),
                y_desc: "autocorrelation ρ".into(),
                x_range: (0.0, max_lag as f64),
                curves: acfs.iter().map(|(l, a)| curve(l, a)).collect(),
                log_y: false,
            }],
        })
        .map(Some)
    }

    /// Histograms of potential energies and of relative bond deviations from MD.
    fn energy_and_bonds_figure(&self) -> Result<Option<Rendered>, AnalysisError> {
        let mut panels = Vec::new();
        let others: Vec<&[f64]> = self.sets.iter().map(|s| s.energy.as_slice()).collect();
        if !self.md.energy.is_empty() || others.iter().any(|e| !e.is_empty()) {
            let axis = energy_axis(&self.md.energy, &others, 80);
            panels.push(LinePanel {
                x_desc: "potential energy / kJ mol⁻¹ (end bins hold values beyond)".into(),
                y_desc: "probability density".into(),
                x_range: (axis.lo, axis.hi),
                curves: self
                    .all_series()
                    .filter(|s| !s.energy.is_empty())
                    .map(|s| Curve::density_steps(&s.label, &clamped_histogram(axis, &s.energy)))
                    .collect(),
                log_y: false,
            });
        }
        if !self.md.bond_lengths.is_empty() {
            let axis = Axis::new(-0.5, 0.5, 100);
            panels.push(LinePanel {
                x_desc: "(r − r_MD) / r_MD, all bonds (end bins hold values beyond)".into(),
                y_desc: "probability density".into(),
                x_range: (axis.lo, axis.hi),
                curves: self
                    .all_series()
                    .map(|s| {
                        let dev = bonds::relative_deviations(
                            &s.bond_lengths,
                            &self.reference.bond_lengths,
                        );
                        Curve::density_steps(&s.label, &clamped_histogram(axis, &dev))
                    })
                    .collect(),
                log_y: true,
            });
        }
        if panels.is_empty() {
            return Ok(None);
        }
        plots::render(&LinePanels {
            name: "energy_and_bonds".into(),
            title: "Potential energies and bond lengths".into(),
            panels,
        })
        .map(Some)
    }

    /// φ and ψ of the first residue against time, one figure per sample set with MD above it;
    /// each on its own clock (MD in ns, chains in steps).
    fn time_series_figures(&self) -> Result<Vec<Rendered>, AnalysisError> {
        let Some(p) = self.reference.pairs.first() else {
            return Ok(Vec::new());
        };
        let md_row = trace_row(&self.md, "MD, first trajectory");
        let mut used = HashSet::new();
        let mut out = Vec::new();
        for s in &self.sets {
            let mut name = format!("phi_psi_time_{}", slug(&s.label));
            while !used.insert(name.clone()) {
                name.push('_');
            }
            out.push(plots::render(&AngleTraces {
                name,
                title: format!(
                    "φ and ψ of {} against time: MD vs {} (different clocks)",
                    p.label, s.label
                ),
                rows: vec![
                    md_row.clone(),
                    trace_row(s, &format!("{}, first trajectory", s.label)),
                ],
            })?);
        }
        Ok(out)
    }
}

/// Most frames a time-series panel shows (longer trajectories are strided evenly).
const MAX_TRACE_POINTS: usize = 5000;

/// φ and ψ (degrees) of the first residue over the first trajectory of `s`, strided to at
/// most [`MAX_TRACE_POINTS`] frames.
fn trace_row(s: &Series, label: &str) -> TraceRow {
    let n = s.lengths.first().copied().unwrap_or(0).min(s.clock.x.len());
    let stride = n.div_ceil(MAX_TRACE_POINTS).max(1);
    let pick = |v: &[f64]| -> Vec<f64> {
        v[..n.min(v.len())]
            .iter()
            .step_by(stride)
            .copied()
            .collect()
    };
    let desc = match stride {
        1 => s.clock.desc.clone(),
        k => format!("{} (every {k}th frame shown)", s.clock.desc),
    };
    TraceRow {
        label: label.to_string(),
        x_desc: desc,
        x: pick(&s.clock.x),
        angles: vec![
            ("φ".to_string(), degrees(&pick(&s.angles.phi[0]))),
            ("ψ".to_string(), degrees(&pick(&s.angles.psi[0]))),
        ],
    }
}

/// Radians to degrees.
fn degrees(v: &[f64]) -> Vec<f64> {
    v.iter().map(|a| a.to_degrees()).collect()
}

/// Periodic angle axis over [−180°, 180°) with `n` bins.
fn angle_axis(n: usize) -> Axis {
    Axis {
        lo: -180.0,
        hi: 180.0,
        n,
        periodic: true,
    }
}

/// A label made safe for a file name: letters, digits, `-` and `_`; the rest become `_`.
fn slug(label: &str) -> String {
    label
        .chars()
        .map(
            |c| match c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                true => c,
                false => '_',
            },
        )
        .collect()
}

/// Energy axis: the MD range widened to show the sample sets, but at most 5 MD widths beyond
/// it so that a few exploded configurations do not squash the MD distribution.
fn energy_axis(md: &[f64], sets: &[&[f64]], n: usize) -> Axis {
    let finite = |v: &[f64]| {
        v.iter()
            .copied()
            .filter(|x| x.is_finite())
            .collect::<Vec<_>>()
    };
    let (m, s) = (finite(md), finite(&sets.concat()));
    let base = if m.is_empty() { &s } else { &m };
    let lo_b = base.iter().copied().fold(f64::INFINITY, f64::min);
    let hi_b = base.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo_b.is_finite() {
        return Axis::new(0.0, 1.0, n);
    }
    let w = (hi_b - lo_b).max(1.0);
    let lo_s = s.iter().copied().fold(lo_b, f64::min).max(lo_b - 5.0 * w);
    let hi_s = s.iter().copied().fold(hi_b, f64::max).min(hi_b + 5.0 * w);
    Axis::spanning([lo_s, hi_s], n)
}

/// Histogram with values outside the axis counted in the first/last bin.
fn clamped_histogram(axis: Axis, values: &[f64]) -> Histogram1D {
    let eps = axis.width() * 1e-6;
    Histogram1D::from_values(
        axis,
        values
            .iter()
            .filter(|v| !v.is_nan())
            .map(|&v| v.clamp(axis.lo, axis.hi - eps)),
    )
}

fn write_outputs(
    out_dir: &Path,
    metrics: &Metrics,
    figures: &[Rendered],
    write_svg: bool,
) -> Result<(), AnalysisError> {
    let plots_dir = out_dir.join("plots");
    std::fs::create_dir_all(&plots_dir).map_err(|e| AnalysisError::io(&plots_dir, e))?;
    for f in figures {
        let png = plots_dir.join(format!("{}.png", f.name));
        write_atomic(&png, &f.png)?;
        if write_svg {
            let svg = plots_dir.join(format!("{}.svg", f.name));
            write_atomic(&svg, f.svg.as_bytes())?;
        }
    }
    let json_path = out_dir.join("metrics.json");
    let json = serde_json::to_string_pretty(metrics).map_err(|source| AnalysisError::Json {
        path: json_path.clone(),
        source,
    })?;
    write_atomic(&json_path, json.as_bytes())?;
    let html_path = out_dir.join("report.html");
    write_atomic(
        &html_path,
        html::report_html(metrics, figures, write_svg).as_bytes(),
    )
}

/// Write durably and atomically (`timewarp_rundir::write_atomic`).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), AnalysisError> {
    timewarp_rundir::write_atomic(path, bytes).map_err(|e| match e {
        timewarp_rundir::RunDirError::Io { path, err } => AnalysisError::io(path, err),
        other => AnalysisError::io(path, std::io::Error::other(other.to_string())),
    })
}
