//! `timewarp run`: the whole pipeline, each stage in its own folder under `[run] out`, resumable,
//! and skipped when complete (see [`stages`]):
//!
//! ```text
//! md/             MD of the molecule: training data and reference        ([md])
//! kernel/         the fitted internal-coordinate proposal               ([fit])
//! model/          flow, stage 1 (likelihood of the MD)                  ([train])
//! finetune/       flow, stage 2 (acceptance / energy), optional         ([finetune])
//! sample/         exact MCMC with the flow                              ([sample])
//! sample-fitted/  exact MCMC with the fitted proposal                   ([sample])
//! explore/        biased exploration with the flow                      ([explore])
//! report/         MD, flow and fitted side by side; report/explore/     ([analyze])
//! ```
//! The chart of the flow follows the `[train]` model: an internal-chart preset (`ic`) refines the
//! fitted kernel of `kernel/`; a Cartesian preset (`demo`, `ad`, …) is the official model. The
//! chains start from the MD start structure, equilibrated by the sampler (`equilibrate_ps`).

pub mod stages;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;
use timewarp_analysis::report::SampleSet;
use timewarp_analysis::Metrics;
use timewarp_flow::Chart;
use timewarp_sample::fitted::FitConfig;
use timewarp_sample::{ModelDevice, ProposalSource};

use crate::commands;
use crate::config::{write_toml_atomic, ForceFieldSettings};
use stages::stage;

/// The bundled default: alanine dipeptide, amber14/OBC1, 310 K, sized for ~15 min on 2 cores.
pub const DEFAULT_CONFIG: &str = include_str!("../../../../configs/alanine-dipeptide.toml");
/// The bundled alanine dipeptide (ACE-ALA-NME).
pub const DEFAULT_PDB: &str = include_str!("../../data/alanine-dipeptide.pdb");

/// `[run]`: what to simulate and where to write.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunSettings {
    /// Starting structure; `None`: the bundled alanine dipeptide.
    pub pdb: Option<PathBuf>,
    /// Output folder.
    pub out: PathBuf,
    /// cpu or cuda, for training and sampling.
    pub device: ModelDevice,
}

impl Default for RunSettings {
    fn default() -> Self {
        Self {
            pdb: None,
            out: PathBuf::from("timewarp-run"),
            device: ModelDevice::Cpu,
        }
    }
}

/// The whole pipeline configuration: one section per stage.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    #[serde(default)]
    pub run: RunSettings,
    #[serde(default)]
    pub forcefield: ForceFieldSettings,
    #[serde(default)]
    pub md: timewarp_md::MdConfig,
    #[serde(default)]
    pub fit: FitConfig,
    #[serde(default)]
    pub train: timewarp_train::TrainConfig,
    /// Optional second training stage, starting from the best model of `[train]` (`init_from`
    /// and, for an internal-chart flow, `kernel` are set by the pipeline; `loss` should be
    /// `acceptance`). Without it the chains use the `[train]` model.
    #[serde(default)]
    pub finetune: Option<timewarp_train::TrainConfig>,
    /// Both chains (flow and fitted) use these settings.
    #[serde(default)]
    pub sample: timewarp_sample::SampleConfig,
    #[serde(default)]
    pub explore: timewarp_sample::ExploreConfig,
    #[serde(default)]
    pub analyze: commands::analyze::AnalyzeSettings,
}

impl PipelineConfig {
    pub fn parse(text: &str, source: &str) -> Result<Self> {
        toml::from_str(text).with_context(|| format!("invalid pipeline configuration {source}"))
    }

    /// The bundled alanine-dipeptide configuration.
    pub fn bundled() -> Self {
        Self::parse(DEFAULT_CONFIG, "(bundled)").expect("the bundled configuration parses")
    }

    /// The chart of the flow the pipeline trains.
    pub fn chart(&self) -> Result<Chart> {
        Ok(self.train.flow_config()?.chart)
    }
}

/// The folders of a pipeline run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub out: PathBuf,
    pub md: PathBuf,
    pub kernel: PathBuf,
    pub model: PathBuf,
    pub finetune: PathBuf,
    pub sample: PathBuf,
    pub sample_fitted: PathBuf,
    pub explore: PathBuf,
    pub report: PathBuf,
}

impl Layout {
    pub fn new(out: &Path) -> Self {
        let at = |s: &str| out.join(s);
        Layout {
            out: out.to_path_buf(),
            md: at("md"),
            kernel: at("kernel"),
            model: at("model"),
            finetune: at("finetune"),
            sample: at("sample"),
            sample_fitted: at("sample-fitted"),
            explore: at("explore"),
            report: at("report"),
        }
    }
}

/// The flow the chains use: the fine-tuned model when there is a fine-tuning stage (its `best/`
/// is chosen by the validation value of its objective), else the `[train]` model.
pub fn proposal_model(cfg: &PipelineConfig, layout: &Layout) -> PathBuf {
    match cfg.finetune {
        Some(_) => layout.finetune.join("best"),
        None => layout.model.join("best"),
    }
}

/// The `[finetune]` settings as the pipeline runs them: from the best `[train]` model, on the
/// same fitted kernel, at the MD temperature.
pub fn finetune_settings(
    cfg: &PipelineConfig,
    layout: &Layout,
) -> Option<timewarp_train::TrainConfig> {
    let mut ft = cfg.finetune.clone()?;
    ft.init_from = Some(layout.model.join("best"));
    ft.acceptance.temperature_k = cfg.md.temperature_k;
    Some(ft)
}

/// The τ of one chain step for the trajectories' time axis: the fitted kernel's lag for an
/// internal-chart flow and the fitted chain, the training lag for a Cartesian flow.
pub fn chain_tau_ps(cfg: &PipelineConfig, chart: Chart) -> f64 {
    match chart {
        Chart::Internal => cfg.fit.lag_ps,
        Chart::Cartesian => {
            let lag_steps = cfg
                .finetune
                .as_ref()
                .map_or(cfg.train.lag_steps, |f| f.lag_steps);
            lag_steps as f64 * cfg.md.dt_ps()
        }
    }
}

/// Runs the pipeline; returns the metrics of the report (flow chain first).
pub fn run(mut cfg: PipelineConfig, quiet: bool) -> Result<Metrics> {
    let layout = Layout::new(&cfg.run.out);
    let chart = cfg.chart()?;
    std::fs::create_dir_all(&layout.out)
        .with_context(|| format!("cannot create {}", layout.out.display()))?;
    let pdb = match &cfg.run.pdb {
        Some(p) => p.clone(),
        None => {
            let p = layout.out.join("alanine-dipeptide.pdb");
            if !p.is_file() {
                timewarp_rundir::write_atomic(&p, DEFAULT_PDB.as_bytes())?;
            }
            p
        }
    };
    if !pdb.is_file() {
        bail!("[run] pdb {} does not exist", pdb.display());
    }
    // The run folder itself: one `timewarp run` at a time. Its config.toml is written when the
    // whole pipeline has run with it (each stage records its own settings in its run.json), so a
    // refused or failed run never claims settings its outputs were not made with.
    let _lock = timewarp_rundir::FolderLock::acquire(&layout.out, "timewarp run")?;
    let t0 = Instant::now();
    let name = timewarp_md::name_from_path(&pdb);
    let device = cfg.run.device;

    cfg.md.name.get_or_insert_with(|| name.clone());
    stage("md", &layout.md, || {
        commands::md::run(&cfg.md, &cfg.forcefield, &pdb, &layout.md, true, quiet)
    })?;
    stage("fit", &layout.kernel, || {
        let s = commands::fit::run(&cfg.fit, std::slice::from_ref(&layout.md), &layout.kernel)?;
        commands::fit::print_summary(&s);
        Ok(())
    })?;
    let mut train = cfg.train.clone();
    if chart == Chart::Internal {
        train.kernel = Some(layout.kernel.clone());
        train.acceptance.temperature_k = cfg.md.temperature_k;
    }
    stage("train", &layout.model, || {
        let s = commands::train::run(
            &train,
            std::slice::from_ref(&layout.md),
            &layout.model,
            device,
            true,
            quiet,
        )?;
        commands::train::print_summary(&s);
        Ok(())
    })?;
    if let Some(ft) = finetune_settings(&cfg, &layout) {
        stage("finetune", &layout.finetune, || {
            let s = commands::train::run(
                &ft,
                std::slice::from_ref(&layout.md),
                &layout.finetune,
                device,
                true,
                quiet,
            )?;
            commands::train::print_summary(&s);
            Ok(())
        })?;
    }

    let start = first_state0(&layout.md)?;
    let tau = chain_tau_ps(&cfg, chart);
    for chain in [&mut cfg.sample.chain, &mut cfg.explore.chain] {
        chain.device = device;
        chain.name.get_or_insert_with(|| name.clone());
        chain.tau_ps.get_or_insert(tau);
    }
    let flow = ProposalSource::Flow {
        model: proposal_model(&cfg, &layout),
    };
    let fitted = ProposalSource::Fitted {
        kernel: layout.kernel.clone(),
    };
    let mut fitted_cfg = cfg.sample.clone();
    fitted_cfg.chain.tau_ps = Some(cfg.fit.lag_ps);
    for (label, dir, source, sample_cfg) in [
        ("sample", &layout.sample, &flow, &cfg.sample),
        ("sample-fitted", &layout.sample_fitted, &fitted, &fitted_cfg),
    ] {
        stage(label, dir, || {
            let s = commands::sample::run(
                sample_cfg.clone(),
                &cfg.forcefield,
                source,
                &start,
                dir,
                true,
                quiet,
            )?;
            commands::sample::print_summary(&s);
            Ok(())
        })?;
    }
    stage("explore", &layout.explore, || {
        let s = commands::explore::run(
            cfg.explore.clone(),
            &cfg.forcefield,
            &flow,
            &start,
            &layout.explore,
            true,
            quiet,
        )?;
        commands::sample::print_summary(&s);
        Ok(())
    })?;
    let sets = [
        SampleSet::new("flow", &layout.sample),
        SampleSet::new("fitted", &layout.sample_fitted),
    ];
    stage("report", &layout.report, || {
        commands::analyze::run_sets(&cfg.analyze, &layout.md, &sets, &layout.report)?;
        // The exploration gets its own report: which basins it reached (it is biased, so its
        // populations are not Boltzmann populations).
        let e = commands::analyze::run(
            &cfg.analyze,
            &layout.md,
            &layout.explore,
            &layout.report.join("explore"),
        )?;
        println!(
            "exploration visited: αL {:.3}, αR {:.3}, β/C7eq {:.3} (fractions of its frames; biased)",
            e.samples.populations.alpha_l, e.samples.populations.alpha_r, e.samples.populations.beta_c7eq
        );
        Ok(())
    })?;
    write_toml_atomic(&layout.out.join("config.toml"), &cfg)?;
    let text = std::fs::read_to_string(layout.report.join("metrics.json")).with_context(|| {
        format!(
            "cannot read {}",
            layout.report.join("metrics.json").display()
        )
    })?;
    let m: Metrics = serde_json::from_str(&text)
        .with_context(|| format!("invalid {}", layout.report.join("metrics.json").display()))?;
    println!(
        "\nsummary ({:.0} s this invocation):",
        t0.elapsed().as_secs_f64()
    );
    commands::analyze::print_summary(&m, &layout.report);
    Ok(m)
}

/// The state-0 PDB of the MD stage (replica 0 when there are replicas).
pub fn first_state0(md_dir: &Path) -> Result<PathBuf> {
    let found = timewarp_mol::traj::find_trajectories(md_dir)
        .with_context(|| format!("no MD trajectory in {}", md_dir.display()))?;
    let (dir, name) = found
        .into_iter()
        .next()
        .expect("find_trajectories returns at least one");
    Ok(timewarp_mol::traj::state0_path(&dir, &name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_config_is_the_internal_chart_pipeline() {
        let cfg = PipelineConfig::bundled();
        assert_eq!(cfg.chart().unwrap(), Chart::Internal);
        let layout = Layout::new(Path::new("/x"));
        assert_eq!(proposal_model(&cfg, &layout), Path::new("/x/finetune/best"));
        let ft = finetune_settings(&cfg, &layout).unwrap();
        assert_eq!(ft.init_from.as_deref(), Some(Path::new("/x/model/best")));
        assert_eq!(ft.acceptance.temperature_k, cfg.md.temperature_k);
        assert_eq!(chain_tau_ps(&cfg, Chart::Internal), cfg.fit.lag_ps);
        assert_eq!(cfg.sample.mh.proposals, Some(1));
    }

    #[test]
    fn a_cartesian_pipeline_takes_tau_from_the_training_lag() {
        let mut cfg = PipelineConfig::bundled();
        cfg.train.preset = "demo".into();
        cfg.finetune = None;
        assert_eq!(cfg.chart().unwrap(), Chart::Cartesian);
        assert!(
            (chain_tau_ps(&cfg, Chart::Cartesian) - cfg.train.lag_steps as f64 * cfg.md.dt_ps())
                .abs()
                < 1e-12
        );
        assert_eq!(
            proposal_model(&cfg, &Layout::new(Path::new("o"))),
            Path::new("o/model/best")
        );
    }

    #[test]
    fn unknown_sections_are_refused() {
        let err = PipelineConfig::parse("[mdd]\nsteps = 3\n", "x.toml").unwrap_err();
        assert!(format!("{err:#}").contains("mdd"), "{err:#}");
    }
}
