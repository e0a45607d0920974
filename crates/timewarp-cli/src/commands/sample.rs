//! `timewarp sample`: exact Metropolis–Hastings MCMC with flow proposals.

use crate::config::{load_section, write_toml_atomic, ForceFieldSettings};
use crate::progress::Progress;
use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use timewarp_sample::{ModelDevice, SampleConfig, SampleSummary};

/// The flags `timewarp sample` and `timewarp explore` share.
#[derive(clap::Args)]
pub struct ChainArgs {
    /// Trained model: a `timewarp train` run folder, a checkpoint folder, or official weights.
    #[arg(long)]
    pub model: PathBuf,
    /// Starting structure (PDB).
    #[arg(long)]
    pub pdb: PathBuf,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Steps per chain.
    #[arg(long)]
    steps: Option<u64>,
    /// Chains from the same start (one RNG stream each).
    #[arg(long)]
    chains: Option<usize>,
    /// RNG seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Langevin MD (ps) at the target temperature before the chains start (0: start as is).
    #[arg(long)]
    equilibrate_ps: Option<f64>,
    /// cpu or cuda.
    #[arg(long)]
    device: Option<String>,
    /// Continue from the checkpoint in --out.
    #[arg(long)]
    pub resume: bool,
}

impl ChainArgs {
    /// Overrides the fields of a `[sample]` / `[explore]` config that were given as flags.
    pub fn apply(
        &self,
        steps: &mut u64,
        chains: &mut usize,
        seed: &mut u64,
        equilibrate_ps: &mut f64,
        model_device: &mut ModelDevice,
    ) -> Result<()> {
        if let Some(v) = self.steps { *steps = v; }
        if let Some(v) = self.chains { *chains = v; }
        if let Some(v) = self.seed { *seed = v; }
        if let Some(v) = self.equilibrate_ps { *equilibrate_ps = v; }
        if let Some(v) = &self.device { *model_device = device(v)?; }
        Ok(())
    }
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    chain: ChainArgs,
    /// TOML file with `[sample]` and `[forcefield]` sections; flags override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Proposals drawn per MH iteration (batch B).
    #[arg(long)]
    proposals: Option<usize>,
}

pub fn device(s: &str) -> Result<ModelDevice> {
    match s {
        "cpu" => Ok(ModelDevice::Cpu),
        "cuda" => Ok(ModelDevice::Cuda),
        other => bail!("--device must be cpu or cuda, got '{other}'"),
    }
}

pub fn main(args: Args, quiet: bool) -> Result<()> {
    let mut cfg: SampleConfig = load_section(args.config.as_deref(), "sample")?;
    let ff: ForceFieldSettings = load_section(args.config.as_deref(), "forcefield")?;
    let c = &args.chain;
    c.apply(&mut cfg.steps, &mut cfg.chains, &mut cfg.seed, &mut cfg.equilibrate_ps, &mut cfg.device)?;
    if let Some(v) = args.proposals { cfg.proposals = v; }
    let s = run(cfg, &ff, &c.model, &c.pdb, &c.out, c.resume, quiet)?;
    print_summary(&s);
    Ok(())
}

/// Samples with an effective configuration (also used by `timewarp run`).
pub fn run(mut cfg: SampleConfig, ff: &ForceFieldSettings, model: &Path, pdb: &Path, out: &Path, resume: bool, quiet: bool) -> Result<SampleSummary> {
    cfg.forcefield = ff.options()?;
    cfg.name.get_or_insert_with(|| timewarp_md::name_from_path(pdb));
    run_chain_command("sample", &cfg, ff, out, quiet, |progress| {
        timewarp_sample::run_sample(&cfg, model, pdb, out, resume, progress)
            .with_context(|| format!("MCMC from {} with model {} failed", pdb.display(), model.display()))
    })
}

/// What `sample` and `explore` share: the effective config (`[forcefield]` + `[section]`) written
/// into `out`, and a progress bar around the chain run.
pub fn run_chain_command<C: Serialize>(
    section: &str,
    cfg: &C,
    ff: &ForceFieldSettings,
    out: &Path,
    quiet: bool,
    body: impl FnOnce(&(dyn Fn(u64, u64) + Sync)) -> Result<SampleSummary>,
) -> Result<SampleSummary> {
    let mut effective = toml::Table::new();
    effective.insert("forcefield".into(), toml::Value::try_from(ff)?);
    effective.insert(section.into(), toml::Value::try_from(cfg)?);
    write_toml_atomic(&out.join("config.toml"), &effective)?;
    let bar = Progress::new(section, "steps", quiet);
    let s = body(&bar.callback())?;
    bar.finish();
    Ok(s)
}

pub fn print_summary(s: &SampleSummary) {
    println!(
        "{:?}: {} chain(s) × {} steps, {} proposals, acceptance rate {:.4}{}, {:.1} s → {}",
        s.command,
        s.chains,
        s.steps,
        s.n_proposals,
        s.acceptance_rate,
        if s.biased { " (biased exploration: not Boltzmann samples)" } else { "" },
        s.wall_seconds_this_run,
        s.out_dir.display()
    );
}
