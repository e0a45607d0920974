//! `timewarp fit`: the internal-coordinate proposal fitted from MD (φ/ψ and rotor transition
//! histograms at lag τ, and a φ/ψ-conditional Gaussian over the other internal coordinates).
//! `timewarp sample --proposal fitted --kernel OUT` samples with it.

use crate::config::load_section;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use timewarp_rundir::RunControl;
use timewarp_sample::fitted::{run_fit, FitConfig, FitSummary};

#[derive(clap::Args)]
pub struct Args {
    /// MD output folder(s) of one molecule, or with --pooled of several peptides (`timewarp md`;
    /// subfolders are read too).
    #[arg(long, required = true)]
    md: Vec<PathBuf>,
    /// Output folder: kernel.json (kernel.json.gz with --pooled), config.toml, run.json.
    #[arg(long)]
    out: PathBuf,
    /// Lag τ of the transition histograms, ps (a multiple of the MD frame spacing).
    #[arg(long)]
    lag_ps: Option<f64>,
    /// ρ ∈ [0, 1) of the correlated (Crank–Nicolson) proposal of bonds, angles and rigid
    /// torsions; 0: independent of their current values.
    #[arg(long)]
    rest_correlation: Option<f64>,
    /// Weight w ∈ [0, 1) of the independence component of the φ/ψ moves: the φ/ψ marginal of
    /// the MD (with --pooled: of every training residue), proposed whatever the current state.
    #[arg(long)]
    marginal_mix: Option<f64>,
    /// Probability p ∈ (0, 1] with which each rotor moves along with a φ/ψ move (random scan;
    /// the rotors of side-chain blocks always move).
    #[arg(long)]
    rotor_move_probability: Option<f64>,
    /// Harmonics per rotor in the features of the Gaussian's mean (0: φ/ψ alone).
    #[arg(long)]
    rotor_harmonics: Option<usize>,
    /// One kernel pooled over the peptides of the MD (a data set of `timewarp md`) by residue
    /// type: it samples any peptide whose residue types were in the data, e.g.
    /// `timewarp sample --proposal fitted --kernel OUT --pdb other.pdb`.
    #[arg(long)]
    pooled: bool,
    /// TOML file with a `[fit]` section; flags override it.
    #[arg(long)]
    config: Option<PathBuf>,
}

pub fn main(args: Args, _quiet: bool) -> Result<()> {
    let mut cfg: FitConfig = load_section(args.config.as_deref(), "fit")?;
    if let Some(t) = args.lag_ps {
        cfg.lag_ps = t;
    }
    if let Some(r) = args.rest_correlation {
        cfg.rest_correlation = r;
    }
    if let Some(w) = args.marginal_mix {
        cfg.marginal_mix = w;
    }
    if let Some(p) = args.rotor_move_probability {
        cfg.rotor_move_probability = p;
    }
    if let Some(h) = args.rotor_harmonics {
        cfg.rotor_harmonics = h;
    }
    if args.pooled {
        cfg.pooled = true;
    }
    let s = run(&cfg, &args.md, &args.out)?;
    print_summary(&s);
    Ok(())
}

/// Fits with an effective configuration (also used by `timewarp run`); `config.toml` is written
/// once the output folder is locked and accepted.
pub fn run(cfg: &FitConfig, md: &[PathBuf], out: &Path) -> Result<FitSummary> {
    cfg.validate()?;
    let mut effective = toml::Table::new();
    effective.insert("fit".into(), toml::Value::try_from(cfg)?);
    // A fit has no checkpoint: an interrupted one is simply done again (resume).
    let control = RunControl {
        resume: true,
        ..RunControl::default()
    }
    .with_file("config.toml", toml::to_string_pretty(&effective)?);
    let dirs: Vec<String> = md.iter().map(|d| d.display().to_string()).collect();
    run_fit(cfg, md, out, &control)
        .with_context(|| format!("fitting a kernel to {} failed", dirs.join(", ")))
}

pub fn print_summary(s: &FitSummary) {
    let frames: usize = s.sources.iter().map(|x| x.frames).sum();
    let pairs: usize = s.sources.iter().map(|x| x.pairs).sum();
    println!(
        "fit: {} from {frames} frames ({pairs} pairs at τ = {} ps): {} {}, {} rotors, {}-dimensional Gaussian, {:.1} s → {}",
        s.molecule,
        s.tau_ps,
        if s.molecule.contains("peptides:") {
            "residue groups"
        } else {
            "blocks"
        },
        s.blocks.join(", "),
        s.rotors,
        s.gaussian_dim,
        s.wall_seconds,
        s.kernel.display()
    );
}
