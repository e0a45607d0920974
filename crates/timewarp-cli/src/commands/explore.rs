//! `timewarp explore`: fast, biased exploration with flow proposals. A proposal is accepted when
//! U(y) − U(x) ≤ threshold and no stereocentre flips; there is no density ratio, so the chain
//! does NOT sample the Boltzmann distribution — it finds metastable states quickly.

use crate::config::{load_section, ForceFieldSettings};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use timewarp_sample::{ExploreConfig, SampleSummary};

#[derive(clap::Args)]
pub struct Args {
    /// Trained model: a `timewarp train` run folder, a checkpoint folder, or official weights.
    #[arg(long)]
    model: PathBuf,
    /// Starting structure (PDB).
    #[arg(long)]
    pdb: PathBuf,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
    /// TOML file with `[explore]` and `[forcefield]` sections; flags override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Steps per chain.
    #[arg(long)]
    steps: Option<u64>,
    /// Parallel chains from the same start.
    #[arg(long)]
    chains: Option<usize>,
    /// Largest accepted energy increase U(y) − U(x), kJ/mol.
    #[arg(long)]
    threshold: Option<f64>,
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
    resume: bool,
}

pub fn main(args: Args, quiet: bool) -> Result<()> {
    let mut cfg: ExploreConfig = load_section(args.config.as_deref(), "explore")?;
    let ff: ForceFieldSettings = load_section(args.config.as_deref(), "forcefield")?;
    if let Some(v) = args.steps { cfg.steps = v; }
    if let Some(v) = args.chains { cfg.chains = v; }
    if let Some(v) = args.threshold { cfg.threshold_kj = v; }
    if let Some(v) = args.seed { cfg.seed = v; }
    if let Some(v) = args.equilibrate_ps { cfg.equilibrate_ps = v; }
    if let Some(v) = &args.device { cfg.device = super::sample::device(v)?; }
    let s = run(cfg, &ff, &args.model, &args.pdb, &args.out, args.resume, quiet)?;
    super::sample::print_summary(&s);
    Ok(())
}

/// Explores with an effective configuration (also used by `timewarp run`).
pub fn run(mut cfg: ExploreConfig, ff: &ForceFieldSettings, model: &Path, pdb: &Path, out: &Path, resume: bool, quiet: bool) -> Result<SampleSummary> {
    cfg.forcefield = ff.options()?;
    cfg.name.get_or_insert_with(|| timewarp_md::name_from_path(pdb));
    super::sample::run_chain_command("explore", &cfg, ff, out, quiet, |progress| {
        timewarp_sample::run_explore(&cfg, model, pdb, out, resume, progress)
            .with_context(|| format!("exploration from {} with model {} failed", pdb.display(), model.display()))
    })
}
