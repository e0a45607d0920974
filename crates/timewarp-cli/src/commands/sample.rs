//! `timewarp sample`: exact Metropolis–Hastings MCMC with flow or fitted internal-coordinate
//! proposals.

use crate::config::{load_section, ForceFieldSettings};
use crate::progress::Progress;
use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use timewarp_rundir::RunControl;
use timewarp_sample::{ChainSettings, ModelDevice, ProposalSource, SampleConfig, SampleSummary};

/// Which proposal kernel a chain uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProposalKind {
    /// A trained Timewarp flow (`--model`).
    Flow,
    /// A fitted internal-coordinate kernel (`--kernel`, made by `timewarp fit`).
    Fitted,
}

/// The flags `timewarp sample` and `timewarp explore` share.
#[derive(clap::Args)]
pub struct ChainArgs {
    /// Proposal kernel: flow (needs --model) or fitted (needs --kernel). Default: the one whose
    /// path is given.
    #[arg(long, value_enum)]
    proposal: Option<ProposalKind>,
    /// Trained model: a `timewarp train` run folder, a checkpoint folder, or official weights.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Fitted internal-coordinate kernel: a `timewarp fit` output folder or its kernel file.
    #[arg(long)]
    pub kernel: Option<PathBuf>,
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
    /// cpu or cuda (where a flow runs).
    #[arg(long)]
    device: Option<ModelDevice>,
    /// Continue from the checkpoint in --out.
    #[arg(long)]
    pub resume: bool,
}

impl ChainArgs {
    /// Overrides the chain settings of a `[sample]` / `[explore]` config that were given as flags.
    pub fn apply(&self, s: &mut ChainSettings) -> Result<()> {
        if let Some(v) = self.steps {
            s.steps = v;
        }
        if let Some(v) = self.chains {
            s.chains = v;
        }
        if let Some(v) = self.seed {
            s.seed = v;
        }
        if let Some(v) = self.equilibrate_ps {
            s.equilibrate_ps = v;
        }
        if let Some(v) = self.device {
            s.device = v;
        }
        Ok(())
    }

    /// The proposal kernel the flags name.
    pub fn source(&self) -> Result<ProposalSource> {
        let kind = match (self.proposal, &self.model, &self.kernel) {
            (Some(k), _, _) => k,
            (None, Some(_), None) => ProposalKind::Flow,
            (None, None, Some(_)) => ProposalKind::Fitted,
            (None, Some(_), Some(_)) => bail!("both --model and --kernel given: choose one with --proposal flow|fitted"),
            (None, None, None) => bail!("no proposal: give --model RUN (a trained flow) or --kernel KERNEL (a `timewarp fit` kernel)"),
        };
        match kind {
            ProposalKind::Flow => match &self.model {
                Some(m) => Ok(ProposalSource::Flow { model: m.clone() }),
                None => bail!("--proposal flow needs --model RUN"),
            },
            ProposalKind::Fitted => match &self.kernel {
                Some(k) => Ok(ProposalSource::Fitted { kernel: k.clone() }),
                None => bail!("--proposal fitted needs --kernel KERNEL (made by `timewarp fit`)"),
            },
        }
    }
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    chain: ChainArgs,
    /// TOML file with `[sample]` and `[forcefield]` sections; flags override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Proposals drawn per MH iteration (batch B; default 100 for a flow, 1 for a fitted kernel).
    #[arg(long)]
    proposals: Option<usize>,
}

pub fn main(args: Args, quiet: bool) -> Result<()> {
    let mut cfg: SampleConfig = load_section(args.config.as_deref(), "sample")?;
    let ff: ForceFieldSettings = load_section(args.config.as_deref(), "forcefield")?;
    let c = &args.chain;
    c.apply(&mut cfg.chain)?;
    if let Some(v) = args.proposals {
        cfg.mh.proposals = Some(v);
    }
    let s = run(cfg, &ff, &c.source()?, &c.pdb, &c.out, c.resume, quiet)?;
    print_summary(&s);
    Ok(())
}

/// Samples with an effective configuration (also used by `timewarp run`).
pub fn run(
    mut cfg: SampleConfig,
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
    run_chain_command("sample", &cfg, ff, quiet, |control| {
        timewarp_sample::run_sample(&cfg, source, pdb, out, &RunControl { resume, ..control })
            .with_context(|| {
                format!(
                    "MCMC from {} with {} failed",
                    pdb.display(),
                    describe(source)
                )
            })
    })
}

/// `model X` / `kernel X`, for messages.
pub fn describe(source: &ProposalSource) -> String {
    match source {
        ProposalSource::Flow { model } => format!("model {}", model.display()),
        ProposalSource::Fitted { kernel } => format!("fitted kernel {}", kernel.display()),
    }
}

/// What `sample` and `explore` share: the effective config (`[forcefield]` + `[section]`), which
/// the run writes into its folder as `config.toml` once the folder is accepted, and a progress
/// bar around the chain run.
pub fn run_chain_command<C: Serialize>(
    section: &str,
    cfg: &C,
    ff: &ForceFieldSettings,
    quiet: bool,
    body: impl FnOnce(RunControl<'_>) -> Result<SampleSummary>,
) -> Result<SampleSummary> {
    let mut effective = toml::Table::new();
    effective.insert("forcefield".into(), toml::Value::try_from(ff)?);
    effective.insert(section.into(), toml::Value::try_from(cfg)?);
    let bar = Progress::new(section, "steps", quiet);
    let progress = bar.callback();
    let status = bar.status_callback();
    let control = RunControl::new(false, &progress)
        .with_status(&status)
        .with_file("config.toml", toml::to_string_pretty(&effective)?);
    let s = body(control)?;
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
        if s.biased {
            " (biased exploration: not Boltzmann samples)"
        } else {
            ""
        },
        s.wall_seconds_this_run,
        s.out_dir.display()
    );
}
