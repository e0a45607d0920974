//! Section "a sample set against MD": φ/ψ Jensen–Shannon divergence, speed-ups (plain and
//! official) and coverage of the metastable states of MD.
//!
//! Speed-up follows the Timewarp paper: effective sample size per second of wall time of the
//! slowest TICA coordinate (TIC0 of a TICA model fitted on MD), samples ÷ MD. The official
//! analysis sets the speed-up of a peptide whose samples miss a metastable state to zero
//! (`speedup_official`, the strict value the headline shows); `speedup` is the plain ratio.

use super::metrics::{Comparison, Coverage, DatasetMetrics};
use super::per_dataset::dataset_metrics;
use super::reference::Reference;
use super::series::Series;
use crate::basins::Basin;
use crate::coverage;
use crate::dihedral::PhiPsi;
use crate::histogram::Histogram2D;
use crate::jsd::jsd_phi_psi;

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
    // A basin counts as visited by a data set once it holds ≥ `min_state_population` of its
    // frames; "never visits" means not one frame.
    let visited = |p: f64| p >= min_state_population.max(f64::MIN_POSITIVE);
    let (mut missed_basins, mut extra_basins) = (Vec::new(), Vec::new());
    for (r, p) in pairs.iter().enumerate() {
        for b in Basin::ALL {
            let m = md_m.populations_per_residue[r].populations.get(b);
            let s = sm_m.populations_per_residue[r].populations.get(b);
            if visited(m) && s == 0.0 {
                missed_basins.push(format!("{} {}", p.label, b.key()));
            }
            if visited(s) && m == 0.0 {
                extra_basins.push(format!("{} {}", p.label, b.key()));
            }
        }
    }
    Coverage {
        max_min_distance,
        threshold: coverage::OFFICIAL_THRESHOLD,
        missed_states: max_min_distance.is_some_and(|d| d >= coverage::OFFICIAL_THRESHOLD),
        tica_states,
        missed_basins,
        extra_basins,
    }
}

/// One sample set measured against MD.
pub(super) struct SampleSetAnalysis {
    pub(super) label: String,
    pub(super) metrics: DatasetMetrics,
    pub(super) jsd_phi_psi: Vec<f64>,
    pub(super) speedup: Option<f64>,
    pub(super) speedup_tic1: Option<f64>,
    pub(super) speedup_official: Option<f64>,
    pub(super) acceptance_rate: Option<f64>,
    pub(super) coverage: Coverage,
}

impl SampleSetAnalysis {
    /// The metrics of sample set `sm` and its comparison with MD (`md`, `md_m`).
    pub(super) fn compute(
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

    pub(super) fn comparison(&self) -> Comparison {
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
            ess: m.ess.map(|e| e.ess),
            speedup: self.speedup,
            speedup_official: self.speedup_official,
            jsd_phi_psi: self.jsd_phi_psi.clone(),
            potential_energy_mean: m.potential_energy.map(|s| s.mean),
            potential_energy_stderr: m.potential_energy_stderr,
            populations: m.populations,
            populations_stderr: m.populations_stderr,
            missed_states: self.coverage.missed_states,
            missed_basins: self.coverage.missed_basins.clone(),
            extra_basins: self.coverage.extra_basins.clone(),
        }
    }
}
