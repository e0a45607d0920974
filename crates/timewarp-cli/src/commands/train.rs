//! `timewarp train`: fit the Timewarp flow to MD pairs (x(t), x(t+τ)).

use crate::config::load_section;
use crate::progress::Progress;
use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use timewarp_rundir::RunControl;
use timewarp_sample::ModelDevice;
use timewarp_train::{TrainConfig, TrainSummary};

#[derive(clap::Args)]
pub struct Args {
    /// Trajectory folder(s) in the official layout (repeatable; replica-*/ sub-folders are found).
    #[arg(long, required = true)]
    data: Vec<PathBuf>,
    /// Run folder: checkpoints (best/, last/), metrics.csv, loss.png, run.json.
    #[arg(long)]
    out: PathBuf,
    /// TOML file with a `[train]` section; flags override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Model preset: tiny, demo, ad (official alanine-dipeptide size) or 2aa (Cartesian); ic
    /// (the internal-coordinate chart, needs --kernel).
    #[arg(long)]
    preset: Option<String>,
    /// Fitted internal-coordinate kernel (`timewarp fit`) that an internal-chart flow refines; a
    /// pooled kernel (`timewarp fit --pooled`) trains one flow on every peptide of the data.
    #[arg(long)]
    kernel: Option<PathBuf>,
    /// Loss: nll (likelihood of the MD) or acceptance (fine-tuning against the force field).
    #[arg(long)]
    loss: Option<String>,
    /// Lag τ in MD steps (pairs are frames whose steps differ by τ).
    #[arg(long)]
    lag_steps: Option<i64>,
    /// Optimiser steps.
    #[arg(long)]
    steps: Option<u64>,
    /// Pairs per batch.
    #[arg(long)]
    batch: Option<usize>,
    /// Peak learning rate.
    #[arg(long)]
    lr: Option<f64>,
    /// cpu or cuda (needs a build with `--features cuda`).
    #[arg(long, default_value = "cpu")]
    device: ModelDevice,
    /// Seed of the weights, data order and augmentation.
    #[arg(long)]
    seed: Option<u64>,
    /// Continue from the last checkpoint in --out.
    #[arg(long)]
    resume: bool,
}

pub fn main(args: Args, quiet: bool) -> Result<()> {
    let mut cfg: TrainConfig = load_section(args.config.as_deref(), "train")?;
    if let Some(v) = args.preset {
        cfg.preset = v;
    }
    if let Some(v) = args.kernel {
        cfg.kernel = Some(v);
    }
    if let Some(v) = args.loss {
        cfg.loss = match v.as_str() {
            "nll" => timewarp_train::LossKind::Nll,
            "acceptance" => timewarp_train::LossKind::Acceptance,
            other => bail!("--loss must be nll or acceptance, got '{other}'"),
        };
    }
    if let Some(v) = args.lag_steps {
        cfg.lag_steps = v;
    }
    if let Some(v) = args.steps {
        cfg.steps = v;
    }
    if let Some(v) = args.batch {
        cfg.batch = v;
    }
    if let Some(v) = args.lr {
        cfg.lr = v;
    }
    if let Some(v) = args.seed {
        cfg.seed = v;
    }
    let summary = run(&cfg, &args.data, &args.out, args.device, args.resume, quiet)?;
    print_summary(&summary);
    Ok(())
}

/// Trains with an effective configuration (also used by `timewarp run`).
pub fn run(
    cfg: &TrainConfig,
    data: &[PathBuf],
    out: &Path,
    device: ModelDevice,
    resume: bool,
    quiet: bool,
) -> Result<TrainSummary> {
    #[derive(Serialize)]
    struct Effective<'a> {
        train: &'a TrainConfig,
    }
    let config = toml::to_string_pretty(&Effective { train: cfg })
        .context("cannot serialise the configuration")?;
    print_md_datasets(data);
    let bar = Progress::new("train", "steps", quiet);
    let progress = bar.callback();
    let status = bar.status_callback();
    let control = RunControl::new(resume, &progress)
        .with_status(&status)
        .with_file("config.toml", config);
    let summary = timewarp_train::train_on_device(cfg, data, out, &control, device)
        .with_context(|| format!("training into {} failed", out.display()))?;
    bar.finish();
    Ok(summary)
}

/// One line (on stderr, shown without -v) per MD data set among `data`: the peptides of each
/// split that training uses. Unreadable ones are left to the trainer, whose error names them.
fn print_md_datasets(data: &[PathBuf]) {
    use timewarp_train::dataset::{is_md_dataset, read_md_dataset};
    for s in data
        .iter()
        .filter(|d| is_md_dataset(d))
        .filter_map(|d| read_md_dataset(d).ok())
    {
        let left_out = if s.incomplete.is_empty() {
            String::new()
        } else {
            format!("; left out (MD not complete): {}", s.incomplete.join(", "))
        };
        eprintln!(
            "train: MD data set {}: {} train and {} val peptides used, {} test peptides not read{left_out}",
            s.root.display(),
            s.train.len(),
            s.val.len(),
            s.n_test
        );
    }
}

pub fn print_summary(s: &TrainSummary) {
    let fmt = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{v:.4}"));
    println!(
        "train: {} steps, {} parameters, {:.0} pairs/s, {:.0} s → {}",
        s.steps,
        s.num_params,
        s.pairs_per_s,
        s.wall_seconds,
        s.run_dir.display()
    );
    if let (Some(a0), Some(a1)) = (s.initial_val_acceptance, s.final_val_acceptance) {
        println!(
            "  internal chart: validation NLL per coordinate {} (fitted kernel {:.4}); block-move acceptance {a1:.3} (fitted kernel {a0:.3}); best step {}",
            fmt(s.final_val_nll),
            s.baseline_val_nll,
            s.best_step.map_or("-".into(), |v| v.to_string())
        );
        return;
    }
    println!(
        "  validation NLL per atom: flow best {} (step {}), Gaussian displacement baseline {:.4}",
        fmt(s.best_val_nll),
        s.best_step.map_or("-".into(), |v| v.to_string()),
        s.baseline_val_nll
    );
}
