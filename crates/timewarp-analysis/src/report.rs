//! `analyze`: compare a model's samples with MD and write `metrics.json`, `report.html` and
//! the figures (`plots/*.png`, `plots/*.svg`).
//!
//! Speed-up follows the Timewarp paper: effective sample size per second of wall time of the
//! slowest TICA coordinate (TIC0 of a TICA model fitted on MD), samples ÷ MD. The official
//! analysis sets the speed-up of a peptide whose samples miss a metastable state to zero
//! (`speedup_official`); `speedup` is the plain ratio.

use crate::autocorr::{autocorrelation, combined_ess, Ess};
use crate::basins::{Basin, Populations};
use crate::bonds::{self, BondCheck};
use crate::coverage::{self, MetastableState};
use crate::dataset::{check_same_molecule, load_dataset, Dataset};
use crate::dihedral::{dihedral_series, phi_psi_pairs, PhiPsi};
use crate::error::AnalysisError;
use crate::features::{FeatureMatrix, FeatureSpec};
use crate::histogram::{Axis, Histogram1D, Histogram2D};
use crate::html;
use crate::jsd::jsd_phi_psi;
use crate::plots::{self, Curve, FreeEnergyMaps, Guide, LinePanel, LinePanels, Rendered};
use crate::tica::{Tica, TicaOptions};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Options of `timewarp analyze`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalyzeOptions {
    /// Output folder of `timewarp md` (the reference).
    pub md_dir: PathBuf,
    /// Output folder of `timewarp sample` or `timewarp explore`.
    pub samples_dir: PathBuf,
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
            out_dir: out_dir.into(),
            tica_lag: default_tica_lag(),
            min_state_population: default_min_state_population(),
            write_svg: true,
        }
    }
}

/// Basin populations of one residue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResiduePopulations {
    pub residue: String,
    pub populations: Populations,
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

/// Metrics of one data set (MD or samples).
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
    pub populations_per_residue: Vec<ResiduePopulations>,
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

/// Everything `analyze` measures; written to `metrics.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub md: DatasetMetrics,
    pub samples: DatasetMetrics,
    /// Residues with φ and ψ, in order (labels such as `ALA 2`).
    pub residues: Vec<String>,
    /// Jensen–Shannon divergence (natural log, nats, ∈ [0, ln 2]) between MD and sample φ/ψ
    /// histograms (36 × 36 bins), one per residue of `residues`.
    pub jsd_phi_psi: Vec<f64>,
    /// What ESS is computed on: `TIC0`, or `cos φ(<residue>)` when TICA is impossible.
    pub ess_observable: Option<String>,
    /// ESS/s of samples ÷ ESS/s of MD on the ESS observable.
    pub speedup: Option<f64>,
    /// The same on TIC1.
    pub speedup_tic1: Option<f64>,
    /// `speedup`, or 0 when the samples miss a metastable state (official rule).
    pub speedup_official: Option<f64>,
    /// Metropolis–Hastings acceptance rate from the samples' run.json.
    pub acceptance_rate: Option<f64>,
    pub coverage: Coverage,
    pub tica: Option<TicaSummary>,
    /// Things the user should know (missing run.json, reduced TICA lag, …).
    pub warnings: Vec<String>,
}

/// Read both folders, compute [`Metrics`], and write `report.html`, `metrics.json` and
/// `plots/` into `opts.out_dir`.
pub fn analyze(opts: &AnalyzeOptions) -> Result<Metrics, AnalysisError> {
    if !(0.0..1.0).contains(&opts.min_state_population) {
        return Err(AnalysisError::Options(format!(
            "min_state_population must be in [0, 1), got {}",
            opts.min_state_population
        )));
    }
    let md = load_dataset(&opts.md_dir)?;
    let samples = load_dataset(&opts.samples_dir)?;
    check_same_molecule(&md.trajectories[0], &samples.trajectories[0])
        .map_err(|e| AnalysisError::Topology(format!("samples do not match MD: {e}")))?;
    let analysis = Analysis::compute(&md, &samples, opts)?;
    let figures = analysis.figures()?;
    write_outputs(&opts.out_dir, &analysis.metrics, &figures, opts.write_svg)?;
    Ok(analysis.metrics)
}

/// Per-residue φ/ψ series of one data set (trajectories concatenated) and per trajectory.
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

/// (TIC0, TIC1) of every frame.
type TicPoints = Vec<[f64; 2]>;

/// All intermediate results needed for metrics and figures.
struct Analysis {
    metrics: Metrics,
    pairs: Vec<PhiPsi>,
    md_angles: Angles,
    sm_angles: Angles,
    /// TIC0/TIC1 points of MD and samples (all trajectories), if TICA ran.
    tics: Option<(TicPoints, TicPoints)>,
    md_energy: Vec<f64>,
    sm_energy: Vec<f64>,
    md_bond_dev: Vec<f64>,
    sm_bond_dev: Vec<f64>,
    /// The ESS observable per trajectory, for the autocorrelation figure.
    md_obs: Option<Observables>,
    sm_obs: Option<Observables>,
}

impl Analysis {
    fn compute(
        md: &Dataset,
        sm: &Dataset,
        opts: &AnalyzeOptions,
    ) -> Result<Analysis, AnalysisError> {
        let mut warnings = Vec::new();
        let top = md.topology();
        let pairs = phi_psi_pairs(top);
        if pairs.is_empty() {
            warnings.push("no residue has both φ and ψ: no Ramachandran analysis".to_string());
        }
        let md_angles = angles(md, &pairs);
        let sm_angles = angles(sm, &pairs);
        let residues: Vec<String> = pairs.iter().map(|p| p.label.clone()).collect();
        let jsd_phi_psi: Vec<f64> = (0..pairs.len())
            .map(|r| {
                jsd_phi_psi(
                    &md_angles.phi[r],
                    &md_angles.psi[r],
                    &sm_angles.phi[r],
                    &sm_angles.psi[r],
                )
                .unwrap_or(f64::NAN)
            })
            .collect();

        // TICA on MD, projections of both data sets.
        let spec = FeatureSpec::timewarp(top);
        let md_feats: Vec<FeatureMatrix> = md
            .trajectories
            .iter()
            .map(|t| spec.compute(&t.positions, t.n_atoms))
            .collect();
        let longest = md_feats.iter().map(|f| f.n_frames).max().unwrap_or(0);
        let mut lag = opts.tica_lag.max(1);
        if longest < 2 * lag + 2 {
            let reduced = (longest / 10).max(1);
            warnings.push(format!(
                "TICA lag reduced from {lag} to {reduced} frames: the longest MD trajectory has only {longest} frames"
            ));
            lag = reduced;
        }
        let tica = match Tica::fit(
            &md_feats.iter().collect::<Vec<_>>(),
            TicaOptions {
                lag,
                ..TicaOptions::default()
            },
        ) {
            Ok(t) if t.dim() >= 2 => Some(t),
            Ok(_) => {
                warnings.push("TICA found fewer than two components: no TIC0/TIC1 analysis".into());
                None
            }
            Err(e) => {
                warnings.push(format!("no TICA: {e}"));
                None
            }
        };
        let project = |ds: &Dataset,
                       feats: Option<&[FeatureMatrix]>,
                       t: &Tica|
         -> Result<Vec<Vec<[f64; 2]>>, AnalysisError> {
            let owned: Vec<FeatureMatrix>;
            let feats = match feats {
                Some(f) => f,
                None => {
                    owned = ds
                        .trajectories
                        .iter()
                        .map(|t| spec.compute(&t.positions, t.n_atoms))
                        .collect();
                    &owned
                }
            };
            feats
                .iter()
                .map(|f| {
                    Ok(t.transform(f, 2)?
                        .chunks_exact(2)
                        .map(|c| [c[0], c[1]])
                        .collect())
                })
                .collect()
        };
        let (md_tics, sm_tics) = match &tica {
            Some(t) => (
                Some(project(md, Some(&md_feats), t)?),
                Some(project(sm, None, t)?),
            ),
            None => (None, None),
        };

        // ESS observables: TIC0 (and TIC1), else cos φ of the first residue.
        let observables =
            |tics: &Option<Vec<Vec<[f64; 2]>>>, ds: &Dataset| -> Option<Observables> {
                if let Some(tr) = tics {
                    return Some(Observables {
                        primary: tr
                            .iter()
                            .map(|v| v.iter().map(|p| p[0]).collect())
                            .collect(),
                        tic1: Some(
                            tr.iter()
                                .map(|v| v.iter().map(|p| p[1]).collect())
                                .collect(),
                        ),
                    });
                }
                let p = pairs.first()?;
                Some(Observables {
                    primary: ds
                        .trajectories
                        .iter()
                        .map(|t| {
                            dihedral_series(&t.positions, t.n_atoms, p.phi)
                                .iter()
                                .map(|a| a.cos())
                                .collect()
                        })
                        .collect(),
                    tic1: None,
                })
            };
        let ess_observable = if tica.is_some() {
            Some("TIC0".to_string())
        } else {
            pairs.first().map(|p| format!("cos φ({})", p.label))
        };
        let md_obs = observables(&md_tics, md);
        let sm_obs = observables(&sm_tics, sm);

        // Bonds: MD mean length as reference.
        let bonds_list = &top.bonds;
        let md_len: Vec<Vec<f64>> = md
            .trajectories
            .iter()
            .map(|t| bonds::bond_lengths(&t.positions, t.n_atoms, bonds_list))
            .collect();
        let sm_len: Vec<Vec<f64>> = sm
            .trajectories
            .iter()
            .map(|t| bonds::bond_lengths(&t.positions, t.n_atoms, bonds_list))
            .collect();
        let md_len_all: Vec<f64> = md_len.concat();
        let sm_len_all: Vec<f64> = sm_len.concat();
        let reference = bonds::mean_lengths(&md_len_all, bonds_list.len());

        let md_energy: Vec<f64> = md
            .trajectories
            .iter()
            .flat_map(|t| t.potential_energy.iter().copied())
            .collect();
        let sm_energy: Vec<f64> = sm
            .trajectories
            .iter()
            .flat_map(|t| t.potential_energy.iter().copied())
            .collect();

        let dataset_metrics =
            |ds: &Dataset, a: &Angles, obs: &Option<Observables>, len: &[f64], energy: &[f64]| {
                let per_residue: Vec<ResiduePopulations> = pairs
                    .iter()
                    .enumerate()
                    .map(|(r, p)| ResiduePopulations {
                        residue: p.label.clone(),
                        populations: Populations::from_angles(&a.phi[r], &a.psi[r]),
                    })
                    .collect();
                let ess = obs.as_ref().map(|o| {
                    combined_ess(&o.primary.iter().map(Vec::as_slice).collect::<Vec<_>>())
                });
                let ess_tic1 = obs
                    .as_ref()
                    .and_then(|o| o.tic1.as_ref())
                    .map(|t| combined_ess(&t.iter().map(Vec::as_slice).collect::<Vec<_>>()));
                let wall = ds.run.as_ref().map(|r| r.wall_seconds);
                DatasetMetrics {
                    dir: ds.dir.clone(),
                    command: ds.run.as_ref().map(|r| r.command.clone()),
                    wall_seconds: wall,
                    n_trajectories: ds.trajectories.len(),
                    n_frames: ds.n_frames(),
                    populations: per_residue
                        .first()
                        .map(|r| r.populations)
                        .unwrap_or_default(),
                    populations_per_residue: per_residue,
                    ess_per_second: ess.and_then(|e| wall.and_then(|w| e.per_second(w))),
                    ess_per_second_tic1: ess_tic1.and_then(|e| wall.and_then(|w| e.per_second(w))),
                    ess,
                    ess_tic1,
                    bonds: bonds::check_bonds(top, bonds_list, len, &reference),
                    potential_energy: Stats::of(energy),
                }
            };
        let md_m = dataset_metrics(md, &md_angles, &md_obs, &md_len_all, &md_energy);
        let sm_m = dataset_metrics(sm, &sm_angles, &sm_obs, &sm_len_all, &sm_energy);
        if sm.run.as_ref().is_some_and(|r| r.biased) {
            warnings.push(
                "the samples come from exploration (biased): populations, JSD and free energies are not Boltzmann estimates"
                    .to_string(),
            );
        }
        for (label, ds) in [("MD", md), ("samples", sm)] {
            if ds.run.is_none() {
                warnings.push(format!(
                    "{label}: no run.json in {}: wall time unknown, no ESS per second or speed-up",
                    ds.dir.display()
                ));
            }
        }
        let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(s), Some(m)) if m > 0.0 => Some(s / m),
            _ => None,
        };
        let speedup = ratio(sm_m.ess_per_second, md_m.ess_per_second);
        let speedup_tic1 = ratio(sm_m.ess_per_second_tic1, md_m.ess_per_second_tic1);

        // Coverage.
        let tics = md_tics
            .as_ref()
            .zip(sm_tics.as_ref())
            .map(|(a, b)| (a.concat(), b.concat()));
        let (max_min_distance, tica_states) = match &tics {
            Some((a, b)) => {
                let (ax, ay) = coverage::tic_grid(a, 25);
                let h_md = Histogram2D::from_pairs(ax, ay, a.iter().map(|p| (p[0], p[1])));
                let h_sm = Histogram2D::from_pairs(ax, ay, b.iter().map(|p| (p[0], p[1])));
                (
                    coverage::max_min_distance(a, b, coverage::OFFICIAL_STRIDE),
                    coverage::metastable_states(&h_md, &h_sm, opts.min_state_population),
                )
            }
            None => (None, Vec::new()),
        };
        let missed_states = max_min_distance.is_some_and(|d| d >= coverage::OFFICIAL_THRESHOLD);
        let mut missed_basins = Vec::new();
        for (r, p) in pairs.iter().enumerate() {
            for b in Basin::ALL {
                let m = md_m.populations_per_residue[r].populations.get(b);
                let s = sm_m.populations_per_residue[r].populations.get(b);
                if m >= opts.min_state_population.max(f64::MIN_POSITIVE) && s == 0.0 {
                    missed_basins.push(format!("{} {}", p.label, b.key()));
                }
            }
        }
        let speedup_official = speedup.map(|s| if missed_states { 0.0 } else { s });

        let tica_summary = tica.as_ref().map(|t| TicaSummary {
            lag_frames: t.lag,
            n_features: t.mean.len(),
            eigenvalues: t.eigenvalues.iter().take(5).copied().collect(),
            timescales_frames: t.timescales().into_iter().take(5).collect(),
        });
        let acceptance_rate = sm.run.as_ref().and_then(|r| r.acceptance_rate);

        let md_bond_dev = bonds::relative_deviations(&md_len_all, &reference);
        let sm_bond_dev = bonds::relative_deviations(&sm_len_all, &reference);
        Ok(Analysis {
            metrics: Metrics {
                md: md_m,
                samples: sm_m,
                residues,
                jsd_phi_psi,
                ess_observable,
                speedup,
                speedup_tic1,
                speedup_official,
                acceptance_rate,
                coverage: Coverage {
                    max_min_distance,
                    threshold: coverage::OFFICIAL_THRESHOLD,
                    missed_states,
                    tica_states,
                    missed_basins,
                },
                tica: tica_summary,
                warnings,
            },
            pairs,
            md_angles,
            sm_angles,
            tics,
            md_energy,
            sm_energy,
            md_bond_dev,
            sm_bond_dev,
            md_obs,
            sm_obs,
        })
    }

    fn figures(&self) -> Result<Vec<Rendered>, AnalysisError> {
        let mut out = Vec::new();
        let deg = |v: &[f64]| -> Vec<f64> { v.iter().map(|a| a.to_degrees()).collect() };
        let angle_axis = |n| Axis {
            lo: -180.0,
            hi: 180.0,
            n,
            periodic: true,
        };
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
        for (r, p) in self.pairs.iter().enumerate() {
            let slug = p.label.replace(' ', "_");
            let h = |a: &Angles| {
                Histogram2D::from_pairs(
                    angle_axis(60),
                    angle_axis(60),
                    deg(&a.phi[r]).into_iter().zip(deg(&a.psi[r])),
                )
            };
            let panels = vec![
                ("MD".to_string(), h(&self.md_angles)),
                ("model".to_string(), h(&self.sm_angles)),
            ];
            out.push(plots::render(&FreeEnergyMaps {
                name: format!("ramachandran_{slug}"),
                title: format!("Ramachandran free energy, {}", p.label),
                x_desc: "φ / deg".into(),
                y_desc: "ψ / deg".into(),
                f_max: FreeEnergyMaps::auto_f_max(&panels, 12.0),
                panels,
                guides: guides.clone(),
            })?);
            let prof = |name: &str, md: &[f64], sm: &[f64]| LinePanel {
                x_desc: format!("{name} / deg"),
                y_desc: "F / kT".into(),
                x_range: (-180.0, 180.0),
                curves: vec![
                    Curve::free_energy("MD", &Histogram1D::from_values(angle_axis(72), deg(md))),
                    Curve::free_energy("model", &Histogram1D::from_values(angle_axis(72), deg(sm))),
                ],
                log_y: false,
            };
            out.push(plots::render(&LinePanels {
                name: format!("dihedral_profiles_{slug}"),
                title: format!("Free-energy profiles of φ and ψ, {}", p.label),
                panels: vec![
                    prof("φ", &self.md_angles.phi[r], &self.sm_angles.phi[r]),
                    prof("ψ", &self.md_angles.psi[r], &self.sm_angles.psi[r]),
                ],
            })?);
        }
        if let Some((md, sm)) = &self.tics {
            let all = || md.iter().chain(sm.iter());
            let ax = Axis::spanning(all().map(|p| p[0]), 60);
            let ay = Axis::spanning(all().map(|p| p[1]), 60);
            let h =
                |v: &[[f64; 2]]| Histogram2D::from_pairs(ax, ay, v.iter().map(|p| (p[0], p[1])));
            let panels = vec![("MD".to_string(), h(md)), ("model".to_string(), h(sm))];
            out.push(plots::render(&FreeEnergyMaps {
                name: "tica_free_energy".into(),
                title: "Free energy on the slowest TICA coordinates (TICA fitted on MD)".into(),
                x_desc: "TIC0".into(),
                y_desc: "TIC1".into(),
                f_max: FreeEnergyMaps::auto_f_max(&panels, 12.0),
                panels,
                guides: Vec::new(),
            })?);
            let prof = |k: usize, axis: Axis| LinePanel {
                x_desc: format!("TIC{k}"),
                y_desc: "F / kT".into(),
                x_range: (axis.lo, axis.hi),
                curves: vec![
                    Curve::free_energy(
                        "MD",
                        &Histogram1D::from_values(Axis { n: 80, ..axis }, md.iter().map(|p| p[k])),
                    ),
                    Curve::free_energy(
                        "model",
                        &Histogram1D::from_values(Axis { n: 80, ..axis }, sm.iter().map(|p| p[k])),
                    ),
                ],
                log_y: false,
            };
            out.push(plots::render(&LinePanels {
                name: "tica_profiles".into(),
                title: "Free-energy profiles along TIC0 and TIC1".into(),
                panels: vec![prof(0, ax), prof(1, ay)],
            })?);
        }
        if let (Some(md), Some(sm), Some(obs)) =
            (&self.md_obs, &self.sm_obs, &self.metrics.ess_observable)
        {
            // Autocorrelation of the first trajectory of each, up to a few MD decorrelation times.
            let acf_md = autocorrelation(md.primary.first().map_or(&[][..], Vec::as_slice));
            let acf_sm = autocorrelation(sm.primary.first().map_or(&[][..], Vec::as_slice));
            let tau = self
                .metrics
                .md
                .ess
                .map_or(10.0, |e| e.tau_int)
                .max(self.metrics.samples.ess.map_or(10.0, |e| e.tau_int));
            let max_lag =
                ((4.0 * tau).ceil() as usize).clamp(10, acf_md.len().max(acf_sm.len()).max(11) - 1);
            let curve = |label: &str, acf: &[f64]| Curve {
                label: label.to_string(),
                x: (0..acf.len().min(max_lag + 1)).map(|k| k as f64).collect(),
                y: acf.iter().take(max_lag + 1).copied().collect(),
            };
            out.push(plots::render(&LinePanels {
                name: "autocorrelation".into(),
                title: format!("Autocorrelation of {obs} (first trajectory of each data set)"),
                panels: vec![LinePanel {
                    x_desc: "lag / frames".into(),
                    y_desc: "autocorrelation ρ".into(),
                    x_range: (0.0, max_lag as f64),
                    curves: vec![curve("MD", &acf_md), curve("model", &acf_sm)],
                    log_y: false,
                }],
            })?);
        }
        let mut hist_panels = Vec::new();
        if !self.md_energy.is_empty() || !self.sm_energy.is_empty() {
            let axis = energy_axis(&self.md_energy, &self.sm_energy, 80);
            let mut curves = Vec::new();
            for (label, e) in [("MD", &self.md_energy), ("model", &self.sm_energy)] {
                if !e.is_empty() {
                    curves.push(Curve::density_steps(label, &clamped_histogram(axis, e)));
                }
            }
            hist_panels.push(LinePanel {
                x_desc: "potential energy / kJ mol⁻¹ (end bins hold values beyond)".into(),
                y_desc: "probability density".into(),
                x_range: (axis.lo, axis.hi),
                curves,
                log_y: false,
            });
        }
        if !self.md_bond_dev.is_empty() {
            let axis = Axis::new(-0.5, 0.5, 100);
            hist_panels.push(LinePanel {
                x_desc: "(r − r_MD) / r_MD, all bonds (end bins hold values beyond)".into(),
                y_desc: "probability density".into(),
                x_range: (axis.lo, axis.hi),
                curves: vec![
                    Curve::density_steps("MD", &clamped_histogram(axis, &self.md_bond_dev)),
                    Curve::density_steps("model", &clamped_histogram(axis, &self.sm_bond_dev)),
                ],
                log_y: true,
            });
        }
        if !hist_panels.is_empty() {
            out.push(plots::render(&LinePanels {
                name: "energy_and_bonds".into(),
                title: "Potential energies and bond lengths".into(),
                panels: hist_panels,
            })?);
        }
        Ok(out)
    }
}

/// Energy axis: the MD range widened to show samples, but at most 5 MD widths beyond it so
/// that a few exploded configurations do not squash the MD distribution.
fn energy_axis(md: &[f64], sm: &[f64], n: usize) -> Axis {
    let finite = |v: &[f64]| {
        v.iter()
            .copied()
            .filter(|x| x.is_finite())
            .collect::<Vec<_>>()
    };
    let (m, s) = (finite(md), finite(sm));
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
        std::fs::write(&png, &f.png).map_err(|e| AnalysisError::io(&png, e))?;
        if write_svg {
            let svg = plots_dir.join(format!("{}.svg", f.name));
            std::fs::write(&svg, &f.svg).map_err(|e| AnalysisError::io(&svg, e))?;
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

/// Write to `<path>.tmp`, then rename over `path`.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), AnalysisError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).map_err(|e| AnalysisError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| AnalysisError::io(path, e))
}
