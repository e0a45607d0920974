//! `timewarp md`: Langevin MD of one structure in the official Timewarp trajectory layout.

use crate::config::{load_section, write_toml_atomic, ForceFieldSettings};
use crate::progress::Progress;
use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use timewarp_md::{MdConfig, SpacingKind};

#[derive(clap::Args)]
pub struct Args {
    /// Starting structure (PDB with all hydrogens).
    #[arg(long)]
    pdb: PathBuf,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
    /// TOML file with `[md]` and `[forcefield]` sections; flags override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Production steps per replica.
    #[arg(long, conflicts_with = "ns")]
    steps: Option<u64>,
    /// Production length per replica in ns (instead of --steps).
    #[arg(long)]
    ns: Option<f64>,
    /// Burn-in steps (not saved).
    #[arg(long)]
    burn_in_steps: Option<u64>,
    /// Temperature in K (default 310).
    #[arg(long)]
    temperature: Option<f64>,
    /// Langevin friction in 1/ps (default 0.3).
    #[arg(long)]
    friction: Option<f64>,
    /// Time step in fs (default 0.5).
    #[arg(long)]
    dt_fs: Option<f64>,
    /// Frame interval in steps.
    #[arg(long)]
    save_every: Option<u64>,
    /// Frame spacing: regular or log (the official k·interval + {0, 1, 10, 100, …}).
    #[arg(long)]
    spacing: Option<String>,
    /// Independent replicas, run in parallel.
    #[arg(long)]
    replicas: Option<usize>,
    /// Worker threads (0: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// RNG seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Trajectory name (default: the PDB file stem).
    #[arg(long)]
    name: Option<String>,
    /// Skip energy minimisation.
    #[arg(long)]
    no_minimize: bool,
    /// Force field (amber14-obc1 | amber14-obc2).
    #[arg(long)]
    forcefield: Option<String>,
    /// Cutoff in nm or `none`.
    #[arg(long)]
    cutoff: Option<String>,
    /// Continue from the checkpoint in --out.
    #[arg(long)]
    resume: bool,
}

/// The effective configuration written next to the output.
#[derive(Serialize)]
struct Effective<'a> {
    forcefield: &'a ForceFieldSettings,
    md: &'a MdConfig,
}

pub fn spacing_kind(s: &str) -> Result<SpacingKind> {
    match s {
        "regular" => Ok(SpacingKind::Regular),
        "log" => Ok(SpacingKind::Log),
        other => bail!("--spacing must be 'regular' or 'log', got '{other}'"),
    }
}

pub fn main(args: Args, quiet: bool) -> Result<()> {
    let mut cfg: MdConfig = load_section(args.config.as_deref(), "md")?;
    let mut ff: ForceFieldSettings = load_section(args.config.as_deref(), "forcefield")?;
    if let Some(v) = args.forcefield { ff.forcefield = v; }
    if let Some(v) = args.cutoff { ff.cutoff = v; }
    if let Some(v) = args.temperature { cfg.temperature_k = v; }
    if let Some(v) = args.friction { cfg.friction_per_ps = v; }
    if let Some(v) = args.dt_fs { cfg.dt_fs = v; }
    if let Some(v) = args.steps { cfg.steps = v; }
    if let Some(ns) = args.ns { cfg.steps = cfg.steps_for_ns(ns); }
    if let Some(v) = args.burn_in_steps { cfg.burn_in_steps = v; }
    if let Some(v) = args.save_every { cfg.save_every = v; }
    if let Some(v) = &args.spacing { cfg.spacing = spacing_kind(v)?; }
    if let Some(v) = args.replicas { cfg.replicas = v; }
    if let Some(v) = args.threads { cfg.threads = v; }
    if let Some(v) = args.seed { cfg.seed = v; }
    if args.no_minimize { cfg.minimize = false; }
    cfg.name = args.name.or(cfg.name).or_else(|| Some(timewarp_md::name_from_path(&args.pdb)));
    run(&cfg, &ff, &args.pdb, &args.out, args.resume, quiet)
}

/// Runs MD with an effective configuration (also used by `timewarp run`).
pub fn run(cfg: &MdConfig, ff: &ForceFieldSettings, pdb_path: &Path, out: &Path, resume: bool, quiet: bool) -> Result<()> {
    cfg.validate()?;
    let pdb = timewarp_mol::pdb::read_pdb(pdb_path)?;
    let system = ff.system(&pdb.topology, pdb_path)?;
    write_toml_atomic(&out.join("config.toml"), &Effective { forcefield: ff, md: cfg })?;
    let bar = Progress::new("md", "steps", quiet);
    let summary = timewarp_md::run_md(cfg, &pdb, &system, system.masses(), out, resume, &bar.callback())
        .with_context(|| format!("MD of {} failed", pdb_path.display()))?;
    bar.finish();
    println!(
        "md: {} frames of {} atoms in {} ({:.1} ns/day per replica, {:.0} steps/s per replica, {:.1} s)",
        summary.n_frames,
        summary.n_atoms,
        out.display(),
        summary.ns_per_day_per_replica,
        summary.steps_per_second_per_replica,
        summary.wall_seconds_this_run
    );
    Ok(())
}
