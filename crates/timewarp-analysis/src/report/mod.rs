//! `analyze`: compare one or several sets of model samples with MD and write `metrics.json`,
//! `report.html` and the figures (`plots/*.png`, `plots/*.svg`).
//!
//! The analysis runs in sections, one function each (one private module each), over the
//! per-frame series (`series`) of every data set measured against one MD reference
//! (`reference`: residues, TICA, bond lengths):
//!
//! * `per_dataset`: one data set by itself (populations with block errors, transitions,
//!   moves, ESS, energies, bonds);
//! * `against_md`: a sample set against MD (JSD, speed-ups, coverage of MD's states);
//! * `checks`: the automatic sampling checks behind the report's verdict;
//! * `provenance`: where the inputs came from;
//! * `figures`, then `output` writes everything, the page by [`crate::html`].
//!
//! The first sample set also fills the top-level fields of [`Metrics`] (`samples`,
//! `jsd_phi_psi`, `speedup`, …) and every set gets a row in [`Metrics::comparisons`]. The
//! serialised types live in [`metrics`], which is all the HTML page reads.

mod against_md;
mod checks;
mod clock;
mod figures;
pub mod metrics;
mod options;
mod output;
mod per_dataset;
mod provenance;
mod reference;
mod series;

pub use metrics::{
    Comparison, Coverage, DatasetMetrics, InputProvenance, Metrics, Provenance, ResiduePopulations,
    Stats, TicaSummary,
};
pub use options::{AnalyzeOptions, SampleSet};

use crate::dataset::{check_same_molecule, find_trajectories, load_dataset, Trajectory};
use crate::error::AnalysisError;
use against_md::SampleSetAnalysis;
use checks::Findings;
use per_dataset::dataset_metrics;
use reference::Reference;
use series::Series;

/// Read MD and every sample set of `opts`, compute [`Metrics`], and write `report.html`,
/// `metrics.json` and `plots/` into `opts.out_dir`.
pub fn analyze(opts: &AnalyzeOptions) -> Result<Metrics, AnalysisError> {
    opts.validate()?;
    let analysis = Analysis::compute(opts)?;
    let figures = analysis.figures()?;
    output::write_outputs(&opts.out_dir, &analysis.metrics, &figures, opts.write_svg)?;
    Ok(analysis.metrics)
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
    /// dropped once its series are taken. Then the sampling checks and the provenance.
    fn compute(opts: &AnalyzeOptions) -> Result<Analysis, AnalysisError> {
        let sample_sets = opts.sample_sets();
        // Every folder must hold trajectories: fail before the expensive work.
        for set in &sample_sets {
            find_trajectories(&set.dir)?;
        }
        let mut findings = Findings::default();
        let (reference, md, molecule) = load_md(opts, &mut findings)?;
        let md_m = dataset_metrics(&md, &reference);
        checks::dataset_notes(&md, &mut findings);

        let mut sets = Vec::with_capacity(sample_sets.len());
        let mut results = Vec::with_capacity(sample_sets.len());
        for set in &sample_sets {
            let s = load_sample_set(set, &molecule, &reference)?;
            checks::dataset_notes(&s, &mut findings);
            let r =
                SampleSetAnalysis::compute(&s, &md, &md_m, &reference, opts.min_state_population);
            results.push(r);
            sets.push(s);
        }
        checks::sampling_checks(&md_m, &results, &reference, opts, &mut findings);
        let provenance = provenance::provenance(std::iter::once(&md).chain(&sets));
        let set_metrics = results.iter().map(|r| r.metrics.clone()).collect();
        Ok(Analysis {
            metrics: assemble(
                &reference,
                md_m,
                results,
                findings,
                provenance,
                opts.min_ess,
            ),
            set_metrics,
            reference,
            md,
            sets,
        })
    }

    /// MD first, then every sample set.
    fn all_series(&self) -> impl Iterator<Item = &Series> {
        std::iter::once(&self.md).chain(&self.sets)
    }
}

/// The MD folder: its reference (residues, TICA, bond lengths), its series, and its molecule
/// (the frame-less first trajectory every sample set must match).
fn load_md(
    opts: &AnalyzeOptions,
    findings: &mut Findings,
) -> Result<(Reference, Series, Trajectory), AnalysisError> {
    let md_ds = load_dataset(&opts.md_dir)?;
    checks::check_frames(&md_ds, "MD folder")?;
    let molecule = md_ds.trajectories[0].header();
    let mut warnings = Vec::new();
    let (reference, md_feats) = Reference::build(&md_ds, opts.tica_lag, &mut warnings);
    warnings.into_iter().for_each(|w| findings.note(w));
    let md = Series::of(&md_ds, "MD", &reference, Some(md_feats), true)?;
    Ok((reference, md, molecule))
}

/// One sample set's series, after checking that it holds frames of the MD molecule.
fn load_sample_set(
    set: &SampleSet,
    molecule: &Trajectory,
    reference: &Reference,
) -> Result<Series, AnalysisError> {
    let ds = load_dataset(&set.dir)?;
    checks::check_frames(&ds, &format!("sample set `{}` folder", set.label))?;
    check_same_molecule(molecule, &ds.trajectories[0]).map_err(|e| {
        AnalysisError::Topology(format!("sample set `{}` does not match MD: {e}", set.label))
    })?;
    Series::of(&ds, &set.label, reference, None, false)
}

/// [`Metrics`]: the first sample set fills the top-level fields, every set a comparison row.
fn assemble(
    reference: &Reference,
    md: DatasetMetrics,
    mut results: Vec<SampleSetAnalysis>,
    findings: Findings,
    provenance: Provenance,
    min_ess: f64,
) -> Metrics {
    let comparisons = results.iter().map(SampleSetAnalysis::comparison).collect();
    let tica = reference.tica_summary(md.frame_interval_ps);
    // `opts.sample_sets()` always holds the first set.
    let first = results.swap_remove(0);
    Metrics {
        md,
        samples: first.metrics,
        residues: reference.residues(),
        jsd_phi_psi: first.jsd_phi_psi,
        ess_observable: reference.ess_observable.clone(),
        speedup: first.speedup,
        speedup_tic1: first.speedup_tic1,
        speedup_official: first.speedup_official,
        acceptance_rate: first.acceptance_rate,
        coverage: first.coverage,
        tica,
        comparisons,
        warnings: findings.warnings,
        sampling_failed: findings.sampling_failed,
        min_ess,
        provenance: Some(provenance),
    }
}
