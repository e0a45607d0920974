//! `timewarp run`: the whole pipeline (see [`crate::pipeline`]); this module only parses flags.

use crate::pipeline::{self, PipelineConfig, DEFAULT_CONFIG};
use anyhow::{Context, Result};
use std::path::PathBuf;
use timewarp_sample::ModelDevice;

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
    device: Option<ModelDevice>,
    /// Redo this stage and every stage after it: their folders are removed first (md, kernel,
    /// model, finetune, sample, sample-fitted, explore, report). A stage whose settings changed
    /// is otherwise refused, so that nothing is replaced without being asked.
    #[arg(long, value_name = "STAGE")]
    restart_from: Option<String>,
}

pub fn main(args: Args, quiet: bool) -> Result<()> {
    let (text, source) = match &args.config {
        Some(p) => (
            std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?,
            p.display().to_string(),
        ),
        None => (
            DEFAULT_CONFIG.to_string(),
            "(bundled alanine-dipeptide default)".to_string(),
        ),
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
    if let Some(stage) = &args.restart_from {
        for dir in pipeline::stages::restart_from(&cfg.run.out, stage)? {
            println!("removed {dir}");
        }
    }
    pipeline::run(cfg, quiet)?;
    Ok(())
}
