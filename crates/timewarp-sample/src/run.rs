//! The chain driver behind `timewarp sample` and `timewarp explore`: output folders, trajectory
//! files, checkpoints and exact resume, progress, `run.json`. Generic over the proposal kernel
//! and the energy, so that it runs the flow on a force field as well as toy kernels on analytic
//! potentials.
//!
//! Output folder: `run.json` and `checkpoint.json` at the top; the trajectories of chain c in
//! `chain-CCC/` when there are several chains, else in the folder itself (as `timewarp md` does
//! with replicas). Each iteration's recorded states go to the writers; every
//! `checkpoint_every` iterations or `checkpoint_seconds` seconds the NPZs are rewritten, the
//! XTCs flushed, then `checkpoint.json` (sampler snapshot: positions, counters, RNG streams,
//! frames per chain) written atomically. A resumed run cuts the trajectory files back to the
//! checkpoint and continues bit for bit as if it had never stopped.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use timewarp_mol::Topology;

use crate::checkpoint::SamplerSnapshot;
use crate::chirality::ChiralityGuard;
use crate::config::ChainSettings;
use crate::diagnostics::{read_proposal_log, ProposalLog, RejectionSummary, PROPOSALS_CSV};
use crate::energy::BatchEnergy;
use crate::kernel::ProposalKernel;
use crate::mh::beta;
use crate::output::{chain_dir, ChainWriter};
use crate::sampler::{AcceptanceRule, ChainStats, Recorded, Sampler, Timing};
use crate::SampleError;
use timewarp_rundir::{read_json, write_json_atomic, RunControl, Session};

/// File name of the checkpoint.
pub const CHECKPOINT_JSON: &str = "checkpoint.json";
const CHECKPOINT_FORMAT: &str = "timewarp-sample-checkpoint";
const CHECKPOINT_VERSION: u32 = 1;

/// Which command produced a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Command {
    Sample,
    Explore,
}

/// The molecule a run works on.
#[derive(Debug, Clone, Copy)]
pub struct RunInput<'a> {
    /// Trajectory name (`<name>-traj-*` files).
    pub name: &'a str,
    pub topology: &'a Topology,
    /// Starting positions, nm.
    pub start: &'a [[f64; 3]],
}

/// What one chain did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainSummary {
    pub chain: usize,
    pub dir: PathBuf,
    pub stats: ChainStats,
    pub acceptance_rate: f64,
    /// U of the last state, kJ/mol.
    pub final_energy: f64,
    pub n_frames: usize,
}

/// What a run did; written to `run.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleSummary {
    pub command: Command,
    /// True for exploration: its trajectories are not samples of the Boltzmann distribution.
    pub biased: bool,
    pub name: String,
    pub out_dir: PathBuf,
    /// False when the run stopped early (`stop_after_iterations`); `--resume` continues it.
    pub completed: bool,
    /// Wall-clock seconds over all invocations.
    pub wall_seconds: f64,
    pub wall_seconds_this_run: f64,
    /// Accepted steps / steps, over all chains.
    pub acceptance_rate: f64,
    /// Proposals computed (flow samples and energies), including those after the first
    /// acceptance of a batch.
    pub n_proposals: u64,
    /// Iterations (batched proposal rounds) over all chains.
    pub iterations: u64,
    /// Lock-step iterations of the driver (one flow call each).
    pub driver_iterations: u64,
    /// Steps per chain requested.
    pub steps: u64,
    pub chains: usize,
    pub n_atoms: usize,
    pub n_frames: usize,
    pub temperature_k: f64,
    pub chirality_rejections: u64,
    pub nonfinite_proposals: u64,
    /// Time in the proposal kernel (flow) and the energies, seconds over all invocations.
    pub timing: Timing,
    /// Chain steps per second over all chains and invocations.
    pub steps_per_second: f64,
    pub proposals_per_second: f64,
    pub per_chain: Vec<ChainSummary>,
    /// Why proposals were rejected (from `proposals.csv`; absent when `record_proposals` is off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<RejectionSummary>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RunCheckpoint {
    format: String,
    version: u32,
    command: Command,
    name: String,
    settings: ChainSettings,
    sampler: SamplerSnapshot,
    /// Frames of each chain's NPZ that belong to this checkpoint.
    frames: Vec<usize>,
    wall_seconds: f64,
    driver_iterations: u64,
    /// Length of `proposals.csv` at the checkpoint.
    #[serde(default)]
    proposal_log_bytes: Option<u64>,
}

fn checkpoint_path(out_dir: &Path) -> PathBuf {
    out_dir.join(CHECKPOINT_JSON)
}

/// Checks that a checkpoint can be continued with the settings of this invocation.
fn check_resumable(
    ck: &RunCheckpoint,
    command: Command,
    name: &str,
    s: &ChainSettings,
    rule: &AcceptanceRule,
    path: &Path,
) -> Result<(), SampleError> {
    let bad = |message: String| {
        Err(SampleError::Resume {
            path: path.to_path_buf(),
            message,
        })
    };
    if ck.format != CHECKPOINT_FORMAT || ck.version != CHECKPOINT_VERSION {
        return bad(format!(
            "unknown checkpoint format {} v{}",
            ck.format, ck.version
        ));
    }
    if ck.command != command {
        return bad(format!("it was written by `timewarp {:?}`", ck.command).to_lowercase());
    }
    if ck.name != name {
        return bad(format!("it holds trajectory {:?}, not {name:?}", ck.name));
    }
    let old = &ck.settings;
    let same = old.chains == s.chains
        && old.seed == s.seed
        && old.temperature_k == s.temperature_k
        && old.forcefield == s.forcefield
        && old.start_model == s.start_model
        && old.equilibrate_ps == s.equilibrate_ps
        && old.save_every == s.save_every
        && old.tau_ps == s.tau_ps
        && old.chirality_guard == s.chirality_guard
        && old.record_proposals == s.record_proposals
        && ck.sampler.rule == *rule;
    if !same {
        return bad("the run was started with other settings (chains, seed, temperature, force field, \
                    start, save_every, tau, chirality guard, proposal records or proposal rule); only `steps` and the \
                    checkpoint intervals may change on resume"
            .into());
    }
    if ck.frames.len() != s.chains {
        return bad(format!(
            "{} chains' frame counts for {} chains",
            ck.frames.len(),
            s.chains
        ));
    }
    Ok(())
}

/// Runs the chains of `rule` with proposals from `kernel` and energies from `energy` in the open
/// output folder of `session` (continuing its checkpoint when the session resumes); the caller
/// finishes the session with the returned summary.
#[allow(clippy::too_many_arguments)]
pub fn run_chains<K, E>(
    command: Command,
    settings: &ChainSettings,
    rule: AcceptanceRule,
    input: RunInput<'_>,
    kernel: &mut K,
    energy: &E,
    session: &Session,
    control: &RunControl<'_>,
) -> Result<SampleSummary, SampleError>
where
    K: ProposalKernel + ?Sized,
    E: BatchEnergy + ?Sized,
{
    let t0 = Instant::now();
    settings.validate()?;
    let n = input.topology.n_atoms();
    if input.start.len() != n || kernel.n_atoms() != n || energy.n_atoms() != n {
        return Err(SampleError::Shape(format!(
            "atom counts disagree: topology {n}, start {}, proposal kernel {}, energy {}",
            input.start.len(),
            kernel.n_atoms(),
            energy.n_atoms()
        )));
    }
    let out_dir = session.dir();
    let ck_path = checkpoint_path(out_dir);
    let has_checkpoint = session.resuming() && ck_path.is_file();
    let dirs: Vec<PathBuf> = (0..settings.chains)
        .map(|c| chain_dir(out_dir, settings.chains, c))
        .collect();

    // 1. Fresh start or resume.
    let (mut sampler, mut writers, mut log, wall_before, mut driver_iterations) = if has_checkpoint
    {
        let ck: RunCheckpoint = read_json(&ck_path)?;
        check_resumable(&ck, command, input.name, settings, &rule, &ck_path)?;
        let sampler = Sampler::from_snapshot(&ck.sampler, &ck_path)?;
        let writers = dirs
            .iter()
            .zip(&ck.frames)
            .map(|(d, &f)| ChainWriter::resume(d, input.name, n, f))
            .collect::<Result<Vec<_>, _>>()?;
        let log = match (settings.record_proposals, ck.proposal_log_bytes) {
            (true, Some(bytes)) => Some(ProposalLog::resume(out_dir, bytes)?),
            (true, None) => {
                return Err(SampleError::Resume {
                    path: ck_path.clone(),
                    message: "the checkpoint has no proposal log".into(),
                })
            }
            (false, _) => None,
        };
        tracing::info!(
            "resuming {} from {} steps per chain",
            out_dir.display(),
            sampler.chains[0].stats.steps
        );
        (sampler, writers, log, ck.wall_seconds, ck.driver_iterations)
    } else {
        let mut e0 = [0.0];
        energy.energies(input.start, &mut e0);
        let guard = if settings.chirality_guard {
            ChiralityGuard::for_topology(input.topology, input.start)
        } else {
            ChiralityGuard::disabled()
        };
        let sampler = Sampler::new(
            input.start,
            e0[0],
            settings.chains,
            settings.seed,
            rule,
            beta(settings.temperature_k),
            guard,
        )?;
        let mut writers = Vec::with_capacity(dirs.len());
        for d in &dirs {
            let mut w = ChainWriter::create(d, input.name, input.topology, input.start)?;
            w.record(0, 0.0, e0[0], input.start)?;
            writers.push(w);
        }
        let log = if settings.record_proposals {
            Some(ProposalLog::create(out_dir)?)
        } else {
            None
        };
        (sampler, writers, log, 0.0, 0)
    };
    sampler.record_proposals = settings.record_proposals;

    // 2. Iterate.
    let total = settings.steps.saturating_mul(settings.chains as u64);
    let time_of = |step: u64| settings.tau_ps.map_or(step as f64, |tau| step as f64 * tau);
    let mut sink_error: Option<SampleError> = None;
    let mut iterations_this_run = 0u64;
    let mut last_checkpoint = Instant::now();
    let mut since_checkpoint = 0u64;
    let mut completed = true;
    let write_checkpoint = |sampler: &Sampler,
                            writers: &mut [ChainWriter],
                            log: &mut Option<ProposalLog>,
                            driver_iterations: u64|
     -> Result<(), SampleError> {
        for w in writers.iter_mut() {
            w.flush()?;
        }
        let proposal_log_bytes = log.as_mut().map(ProposalLog::flush).transpose()?;
        let ck = RunCheckpoint {
            format: CHECKPOINT_FORMAT.into(),
            version: CHECKPOINT_VERSION,
            command,
            name: input.name.to_string(),
            settings: settings.clone(),
            sampler: sampler.snapshot(),
            frames: writers.iter().map(ChainWriter::n_frames).collect(),
            wall_seconds: wall_before + t0.elapsed().as_secs_f64(),
            driver_iterations,
            proposal_log_bytes,
        };
        Ok(write_json_atomic(&ck_path, &ck)?)
    };
    (control.progress)(sampler.total_stats().steps, total);
    loop {
        if control.stop_after.is_some_and(|s| iterations_this_run >= s) {
            completed = sampler
                .chains
                .iter()
                .all(|c| c.stats.steps >= settings.steps);
            break;
        }
        let mut sink = |r: Recorded<'_>| {
            if r.step.is_multiple_of(settings.save_every) && sink_error.is_none() {
                if let Err(e) = writers[r.chain].record(r.step, time_of(r.step), r.energy, r.x) {
                    sink_error = Some(e);
                }
            }
        };
        if !sampler.iterate(kernel, energy, settings.steps, &mut sink)? {
            break;
        }
        if let Some(e) = sink_error.take() {
            return Err(e);
        }
        if let Some(log) = log.as_mut() {
            log.append(&sampler.take_records())?;
        }
        driver_iterations += 1;
        iterations_this_run += 1;
        since_checkpoint += 1;
        let stats = sampler.total_stats();
        (control.progress)(stats.steps, total);
        (control.status)("acceptance", stats.acceptance_rate());
        let due_by_count =
            settings.checkpoint_every > 0 && since_checkpoint >= settings.checkpoint_every;
        let due_by_time = settings.checkpoint_seconds > 0.0
            && last_checkpoint.elapsed().as_secs_f64() >= settings.checkpoint_seconds;
        if due_by_count || due_by_time {
            write_checkpoint(&sampler, &mut writers, &mut log, driver_iterations)?;
            last_checkpoint = Instant::now();
            since_checkpoint = 0;
        }
    }

    // 3. Final files and run.json.
    write_checkpoint(&sampler, &mut writers, &mut log, driver_iterations)?;
    let diagnostics = match log {
        Some(_) => Some(RejectionSummary::of(
            &read_proposal_log(&out_dir.join(PROPOSALS_CSV))?,
            sampler.beta,
        )),
        None => None,
    };
    let wall_seconds = wall_before + t0.elapsed().as_secs_f64();
    let stats = sampler.total_stats();
    let per_chain = sampler
        .chains
        .iter()
        .enumerate()
        .map(|(c, ch)| ChainSummary {
            chain: c,
            dir: dirs[c].clone(),
            stats: ch.stats,
            acceptance_rate: ch.stats.acceptance_rate(),
            final_energy: ch.energy,
            n_frames: writers[c].n_frames(),
        })
        .collect();
    let summary = SampleSummary {
        command,
        biased: command == Command::Explore,
        name: input.name.to_string(),
        out_dir: out_dir.to_path_buf(),
        completed,
        wall_seconds,
        wall_seconds_this_run: t0.elapsed().as_secs_f64(),
        acceptance_rate: stats.acceptance_rate(),
        n_proposals: stats.proposals,
        iterations: stats.iterations,
        driver_iterations,
        steps: settings.steps,
        chains: settings.chains,
        n_atoms: n,
        n_frames: writers.iter().map(ChainWriter::n_frames).sum(),
        temperature_k: settings.temperature_k,
        chirality_rejections: stats.chirality_rejections,
        nonfinite_proposals: stats.nonfinite_proposals,
        timing: sampler.timing,
        steps_per_second: stats.steps as f64 / sampler.timing.iterate_seconds.max(1e-12),
        proposals_per_second: stats.proposals as f64 / sampler.timing.iterate_seconds.max(1e-12),
        per_chain,
        diagnostics,
    };
    Ok(summary)
}
