//! `timewarp explore`: fast, biased exploration with flow (or fitted) proposals. A proposal is
//! accepted when
//! U(y) − U(x) ≤ threshold and no stereocentre flips; there is no density ratio, so the chain
//! does NOT sample the Boltzmann distribution — it finds metastable states quickly.

use crate::config::{load_section, ForceFieldSettings};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use timewarp_sample::{ExploreConfig, ProposalSource, SampleSummary};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    chain: super::sample::ChainArgs,
    /// TOML file with `[explore]` and `[forcefield]` sections; flags override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Largest accepted energy increase U(y) − U(x), kJ/mol.
    #[arg(long)]
    threshold: Option<f64>,
}

pub fn main(args: Args, quiet: bool) -> Result<()> {
    let mut cfg: ExploreConfig = load_section(args.config.as_deref(), "explore")?;
    let ff: ForceFieldSettings = load_section(args.config.as_deref(), "forcefield")?;
    let c = &args.chain;
    c.apply(&mut cfg.chain)?;
    if let Some(v) = args.threshold {
        cfg.threshold.threshold_kj = v;
    }
    let s = run(cfg, &ff, &c.source()?, &c.pdb, &c.out, c.resume, quiet)?;
    super::sample::print_summary(&s);
    Ok(())
}

/// Explores with an effective configuration (also used by `timewarp run`).
pub fn run(
    mut cfg: ExploreConfig,
    ff: &ForceFieldSettings,
    source: &ProposalSource,
    pdb: &Path,
    out: &Path,
    resume: bool,
    quiet: bool,
) -> Result<SampleSummary> {
    cfg.chain.forcefield = ff.options()?;
    cfg.chain
        .name
        .get_or_insert_with(|| timewarp_md::name_from_path(pdb));
    super::sample::run_chain_command("explore", &cfg, ff, quiet, |control| {
        timewarp_sample::run_explore(
            &cfg,
            source,
            pdb,
            out,
            &timewarp_rundir::RunControl { resume, ..control },
        )
        .with_context(|| {
            format!(
                "exploration from {} with {} failed",
                pdb.display(),
                super::sample::describe(source)
            )
        })
    })
}
