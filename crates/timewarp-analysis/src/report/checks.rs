//! The automatic checks behind the report's verdict: notes about a data set (no run.json,
//! biased exploration samples) and the sampling checks whose failure means the numbers do not
//! measure the sampler —
//!
//! * a chain that never or barely moves: acceptance < [`MIN_ACCEPTANCE`], or fewer than
//!   [`MIN_DISTINCT_STATES`] distinct saved states;
//! * basins (and TICA states, official rule) that MD visits and the samples miss, or that the
//!   samples visit and MD never does;
//! * an ESS below the analysis' `min_ess` (default [`super::metrics::DEFAULT_MIN_ESS`]), too small
//!   to estimate.
//!
//! Each finding is one line of `metrics.json` `warnings`; a failed sampling check also sets
//! `sampling_failed` and is printed to stderr at once, because it voids the headline numbers.

use super::against_md::SampleSetAnalysis;
use super::metrics::{ess_is_trusted, DatasetMetrics, MIN_ACCEPTANCE, MIN_DISTINCT_STATES};
use super::options::AnalyzeOptions;
use super::reference::Reference;
use super::series::Series;
use crate::dataset::Dataset;
use crate::error::AnalysisError;

/// The warnings of an analysis, in the order found, and whether a sampling check failed.
#[derive(Debug, Default)]
pub(super) struct Findings {
    pub(super) warnings: Vec<String>,
    pub(super) sampling_failed: bool,
}

impl Findings {
    /// Something the reader should know that does not by itself void the numbers.
    pub(super) fn note(&mut self, warning: String) {
        self.warnings.push(warning);
    }

    /// A failed sampling check.
    fn failure(&mut self, warning: String) {
        eprintln!("warning: {warning}");
        self.warnings.push(warning);
        self.sampling_failed = true;
    }
}

/// Every sampling check: the ESS of MD, then per sample set its mobility, its coverage of
/// MD's basins and states, and its ESS.
pub(super) fn sampling_checks(
    md: &DatasetMetrics,
    sets: &[SampleSetAnalysis],
    reference: &Reference,
    opts: &AnalyzeOptions,
    f: &mut Findings,
) {
    let observable = reference.ess_observable.as_deref().unwrap_or("—");
    ess_check("MD", md, observable, opts.min_ess, f);
    for r in sets {
        mobility_check(r, f);
        coverage_check(r, opts.min_state_population, f);
        ess_check(&r.label, &r.metrics, observable, opts.min_ess, f);
    }
}

/// Notes about one data set: no run.json, or biased (exploration) samples.
pub(super) fn dataset_notes(s: &Series, f: &mut Findings) {
    if s.run.as_ref().is_some_and(|r| r.biased) {
        f.note(format!(
            "{}: the samples come from exploration (biased): populations, JSD and free energies are not Boltzmann estimates",
            s.label
        ));
    }
    if s.run.is_none() {
        f.note(format!(
            "{}: no run.json in {}: wall time unknown, no ESS per second or speed-up",
            s.label,
            s.dir.display()
        ));
    }
}

/// An ESS below `min_ess` (MD or samples): the τ_int behind it is itself a guess, so ESS/s
/// and any speed-up built on it are not numbers to report.
fn ess_check(label: &str, m: &DatasetMetrics, observable: &str, min_ess: f64, f: &mut Findings) {
    let Some(e) = m.ess else {
        return;
    };
    if ess_is_trusted(Some(e.ess), min_ess) {
        return;
    }
    let value = match e.ess.is_finite() {
        true => format!("{:.1}", e.ess),
        false => "not finite".to_string(),
    };
    f.failure(format!(
        "{label}: ESS of {observable} is {value}, below {min_ess}: too small to estimate; its ESS/s and any speed-up built on it are not trustworthy"
    ));
}

/// A chain that never moved, or hardly moved: its ESS and speed-up (and JSD) describe its
/// start structure, not the sampler, and must not be read without this warning.
fn mobility_check(r: &SampleSetAnalysis, f: &mut Findings) {
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
    // Each trajectory's first frame is a state; every frame that differs from the one before
    // it is another (an exact return to an earlier configuration has probability zero).
    let distinct_states = m.n_trajectories + m.moved_frames;
    if never_moved {
        f.failure(format!(
            "{}: the chain never moved (no accepted move: {} of {} frames differ from the one before{acceptance}){speedup}",
            r.label,
            m.moved_frames,
            m.n_frames.saturating_sub(m.n_trajectories)
        ));
    } else if let Some(a) = r.acceptance_rate.filter(|a| *a < MIN_ACCEPTANCE) {
        f.failure(format!(
            "{}: acceptance rate {a:.2e} is below {MIN_ACCEPTANCE:e}: the chain hardly moved ({} frames differ from the one before){speedup}",
            r.label, m.moved_frames
        ));
    } else if distinct_states < MIN_DISTINCT_STATES {
        f.failure(format!(
            "{}: the chain barely moves: {distinct_states} distinct states in {} frames (fewer than {MIN_DISTINCT_STATES}){speedup}",
            r.label, m.n_frames
        ));
    }
}

/// Basins and TICA states of MD that the samples miss, and basins that only the samples visit.
fn coverage_check(r: &SampleSetAnalysis, min_population: f64, f: &mut Findings) {
    let c = &r.coverage;
    if c.missed_states {
        f.failure(format!(
            "{}: misses a metastable state of MD on TIC0/TIC1 (D = {:.2} ≥ {}): official speed-up 0",
            r.label,
            c.max_min_distance.unwrap_or(f64::NAN),
            c.threshold
        ));
    }
    if !c.missed_basins.is_empty() {
        f.failure(format!(
            "{}: never visits basins that MD populates (≥ {:.1} %): {}",
            r.label,
            100.0 * min_population,
            c.missed_basins.join(", ")
        ));
    }
    if !c.extra_basins.is_empty() {
        f.failure(format!(
            "{}: populates basins (≥ {:.1} %) that MD never visits: {} — a wrong sampler, or an MD reference too short to be one",
            r.label,
            100.0 * min_population,
            c.extra_basins.join(", ")
        ));
    }
}

/// A data set without frames would give NaN statistics (JSD, ESS) with a zero exit status: it
/// is an error naming the folder and the empty trajectory.
pub(super) fn check_frames(ds: &Dataset, what: &str) -> Result<(), AnalysisError> {
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
