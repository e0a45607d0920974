//! `timewarp run`: the whole Timewarp pipeline — MD data → training (NLL, then optional
//! acceptance fine-tuning) → exact MCMC and exploration
//! → analysis report — each stage in its own folder under `--out`, resumable, and skipped when
//! its output is already complete (a `stage.json` marker is written atomically at the end of a
//! stage; a stage without it is resumed from its own checkpoint).

use crate::config::{write_toml_atomic, ForceFieldSettings};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The bundled default: alanine dipeptide, amber14/OBC1, 310 K, sized for ~10–15 min on 2 cores.
pub const DEFAULT_CONFIG: &str = include_str!("../../../../configs/alanine-dipeptide.toml");
const DEFAULT_PDB: &str = include_str!("../../data/alanine-dipeptide.pdb");

#[derive(clap::Args)]
pub struct Args {
    /// Pipeline configuration (TOML); default: the bundled alanine-dipeptide demo.
    config: Option<PathBuf>,
    /// Print the configuration that would run (the bundled default without CONFIG) and exit.
    #[arg(long)]
    print_config: bool,
    /// Output folder (overrides `[run] out`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Train and sample on cpu or cuda.
    #[arg(long)]
    device: Option<String>,
}

/// `[run]`: what to simulate and where to write.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunSettings {
    /// Starting structure; `None`: the bundled alanine dipeptide.
    pub pdb: Option<PathBuf>,
    /// Output folder.
    pub out: PathBuf,
    /// cpu or cuda, for training and sampling.
    pub device: String,
}

impl Default for RunSettings {
    fn default() -> Self {
        Self { pdb: None, out: PathBuf::from("timewarp-run"), device: "cpu".into() }
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
    pub train: timewarp_train::TrainConfig,
    /// Optional second training stage (the official protocol's fine-tuning): starts from the
    /// best NLL model of `[train]` and minimises the acceptance loss (`loss` and `init_from` are
    /// set by the pipeline). Without this section the chains use the NLL model.
    #[serde(default)]
    pub finetune: Option<timewarp_train::TrainConfig>,
    #[serde(default)]
    pub sample: timewarp_sample::SampleConfig,
    #[serde(default)]
    pub explore: timewarp_sample::ExploreConfig,
    #[serde(default)]
    pub analyze: super::analyze::AnalyzeSettings,
}

impl PipelineConfig {
    pub fn parse(text: &str, source: &str) -> Result<Self> {
        toml::from_str(text).with_context(|| format!("invalid pipeline configuration {source}"))
    }
}

/// Marker written when a stage has completed.
#[derive(Serialize, Deserialize)]
struct StageDone {
    stage: String,
    wall_seconds: f64,
}

fn done_marker(dir: &Path) -> PathBuf {
    dir.join("stage.json")
}

fn is_done(dir: &Path) -> bool {
    done_marker(dir).is_file()
}

fn mark_done(dir: &Path, stage: &str, started: Instant) -> Result<()> {
    let text = serde_json::to_string_pretty(&StageDone { stage: stage.into(), wall_seconds: started.elapsed().as_secs_f64() })?;
    let tmp = dir.join("stage.json.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, done_marker(dir)).with_context(|| format!("cannot write {}", done_marker(dir).display()))?;
    Ok(())
}

/// Runs one stage unless its marker exists; `body(resume)` gets whether to resume.
fn stage(name: &str, dir: &Path, resume_probe: &[&str], body: impl FnOnce(bool) -> Result<()>) -> Result<()> {
    if is_done(dir) {
        println!("[{name}] already complete in {} — skipped", dir.display());
        return Ok(());
    }
    let resume = resume_probe.iter().any(|p| dir.join(p).exists());
    println!("[{name}] {} → {}", if resume { "resuming" } else { "starting" }, dir.display());
    let started = Instant::now();
    body(resume).with_context(|| format!("stage '{name}' failed (run the same command again to resume it)"))?;
    mark_done(dir, name, started)
}

pub fn main(args: Args, quiet: bool) -> Result<()> {
    let (text, source) = match &args.config {
        Some(p) => (
            std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?,
            p.display().to_string(),
        ),
        None => (DEFAULT_CONFIG.to_string(), "(bundled alanine-dipeptide default)".to_string()),
    };
    let mut cfg = PipelineConfig::parse(&text, &source)?;
    if args.print_config {
        print!("{text}");
        return Ok(());
    }
    if let Some(o) = args.out {
        cfg.run.out = o;
    }
    if let Some(d) = args.device {
        cfg.run.device = d;
    }
    run(cfg, quiet)
}

/// Runs the pipeline.
pub fn run(mut cfg: PipelineConfig, quiet: bool) -> Result<()> {
    let out = cfg.run.out.clone();
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let pdb = match &cfg.run.pdb {
        Some(p) => p.clone(),
        None => {
            let p = out.join("alanine-dipeptide.pdb");
            if !p.is_file() {
                std::fs::write(&p, DEFAULT_PDB).with_context(|| format!("cannot write {}", p.display()))?;
            }
            p
        }
    };
    if !pdb.is_file() {
        bail!("[run] pdb {} does not exist", pdb.display());
    }
    write_toml_atomic(&out.join("config.toml"), &cfg)?;
    let t0 = Instant::now();
    let name = timewarp_md::name_from_path(&pdb);
    let (md_dir, model_dir) = (out.join("md"), out.join("model"));
    let (sample_dir, explore_dir, report_dir) = (out.join("sample"), out.join("explore"), out.join("report"));

    cfg.md.name.get_or_insert_with(|| name.clone());
    stage("md", &md_dir, &["checkpoint.json", "replica-000/checkpoint.json"], |resume| {
        super::md::run(&cfg.md, &cfg.forcefield, &pdb, &md_dir, resume, quiet)
    })?;

    stage("train", &model_dir, &["last"], |resume| {
        let s = super::train::run(&cfg.train, std::slice::from_ref(&md_dir), &model_dir, &cfg.run.device, resume, quiet)?;
        super::train::print_summary(&s);
        Ok(())
    })?;

    // The proposal: the fine-tuned model when there is a fine-tuning stage (its `best/` is the
    // lowest validation value of the acceptance objective, not of the NLL).
    let proposal_model = match cfg.finetune.clone() {
        None => model_dir.clone(),
        Some(mut ft) => {
            let finetune_dir = out.join("finetune");
            ft.loss = timewarp_train::LossKind::Acceptance;
            ft.init_from = Some(model_dir.join("best"));
            ft.acceptance.temperature_k = cfg.md.temperature_k;
            stage("finetune", &finetune_dir, &["last"], |resume| {
                let s = super::train::run(&ft, std::slice::from_ref(&md_dir), &finetune_dir, &cfg.run.device, resume, quiet)?;
                super::train::print_summary(&s);
                Ok(())
            })?;
            finetune_dir.join("best")
        }
    };

    // Start the chains from the MD start structure (equilibrated by the sampler, see
    // `equilibrate_ps`).
    let start = first_state0(&md_dir)?;
    let device = super::sample::device(&cfg.run.device)?;
    cfg.sample.chain.device = device;
    cfg.explore.chain.device = device;
    cfg.sample.chain.name.get_or_insert_with(|| name.clone());
    cfg.explore.chain.name.get_or_insert_with(|| name.clone());
    if cfg.sample.chain.tau_ps.is_none() {
        let lag_steps = cfg.finetune.as_ref().map_or(cfg.train.lag_steps, |f| f.lag_steps);
        cfg.sample.chain.tau_ps = Some(lag_steps as f64 * cfg.md.dt_ps());
    }
    if cfg.explore.chain.tau_ps.is_none() {
        cfg.explore.chain.tau_ps = cfg.sample.chain.tau_ps;
    }
    let proposal = timewarp_sample::ProposalSource::Flow { model: proposal_model };
    stage("sample", &sample_dir, &["checkpoint.json"], |resume| {
        let s = super::sample::run(cfg.sample.clone(), &cfg.forcefield, &proposal, &start, &sample_dir, resume, quiet)?;
        super::sample::print_summary(&s);
        Ok(())
    })?;
    stage("explore", &explore_dir, &["checkpoint.json"], |resume| {
        let s = super::explore::run(cfg.explore.clone(), &cfg.forcefield, &proposal, &start, &explore_dir, resume, quiet)?;
        super::sample::print_summary(&s);
        Ok(())
    })?;
    stage("report", &report_dir, &[], |_| {
        super::analyze::run(&cfg.analyze, &md_dir, &sample_dir, &report_dir)?;
        // The exploration gets its own report: which basins it reached (it is biased, so its
        // populations are not Boltzmann populations).
        let explore_report = report_dir.join("explore");
        let e = super::analyze::run(&cfg.analyze, &md_dir, &explore_dir, &explore_report)?;
        println!("exploration visited: αL {:.3}, αR {:.3}, β/C7eq {:.3} (fractions of its frames; biased)",
            e.samples.populations.alpha_l, e.samples.populations.alpha_r, e.samples.populations.beta_c7eq);
        Ok(())
    })?;
    if let Ok(text) = std::fs::read_to_string(report_dir.join("metrics.json")) {
        if let Ok(m) = serde_json::from_str::<timewarp_analysis::Metrics>(&text) {
            println!("\nsummary ({:.0} s this invocation):", t0.elapsed().as_secs_f64());
            super::analyze::print_summary(&m, &report_dir);
        }
    }
    Ok(())
}

/// The state-0 PDB of the MD stage (replica 0 when there are replicas).
fn first_state0(md_dir: &Path) -> Result<PathBuf> {
    for dir in [md_dir.to_path_buf(), md_dir.join("replica-000")] {
        if let Ok(rd) = std::fs::read_dir(&dir) {
            let mut found: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.to_string_lossy().ends_with("-traj-state0.pdb"))
                .collect();
            found.sort();
            if let Some(p) = found.into_iter().next() {
                return Ok(p);
            }
        }
    }
    bail!("no *-traj-state0.pdb in {}", md_dir.display())
}
