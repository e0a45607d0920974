//! `run_md`: the logic of `timewarp md`.
//!
//! 1. minimise the first model of the PDB (once, shared by all replicas), write
//!    `<name>-traj-state0.pdb` (the minimised structure) into every replica folder;
//! 2. per replica (in parallel, rayon, `threads` workers): Maxwell–Boltzmann velocities from the
//!    replica's ChaCha8 stream, burn-in, velocity re-draw, production with frame spacing,
//!    checkpoints every `checkpoint_every` steps;
//! 3. the summary (timings, steps, frames, minimisation), which [`run_md_command`] records in
//!    the folder's `run.json` (`timewarp_rundir::RunRecord`).
//!
//! With one replica the trajectory files go straight into `out_dir`; with R > 1 into
//! `out_dir/replica-000/` … each in the official layout.

use crate::config::MdConfig;
use crate::integrator::LangevinMiddleIntegrator;
use crate::minimize::{minimize, MinimizeOptions, MinimizeReport};
use crate::replicas::{checkpoint_path, ReplicaSummary, RunContext, Start};
use crate::MdError;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::time::Instant;
use timewarp_ff::Potential;
use timewarp_ff::SystemOptions;
use timewarp_mol::pdb::{write_pdb_file, PdbFile};
use timewarp_mol::traj::state0_path;
use timewarp_rundir::{InputIdentity, RunControl, RunRecord, Session};

/// What `run_md` did (the `summary` of the folder's `run.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MdSummary {
    pub name: String,
    pub out_dir: PathBuf,
    /// Wall-clock seconds of the whole run over all invocations: this invocation plus the
    /// longest time a replica had run before it (from its checkpoint).
    pub wall_seconds: f64,
    /// Wall-clock seconds of this invocation.
    pub wall_seconds_this_run: f64,
    /// Simulated nanoseconds per wall-clock day in this invocation, all replicas together.
    pub ns_per_day: f64,
    /// The same per replica.
    pub ns_per_day_per_replica: f64,
    /// Integration steps per second per replica in this invocation.
    pub steps_per_second_per_replica: f64,
    /// Production steps per replica.
    pub steps: u64,
    pub burn_in_steps: u64,
    /// Frames over all replicas.
    pub n_frames: usize,
    pub n_atoms: usize,
    pub minimization: Option<MinimizeReport>,
    pub replicas: Vec<ReplicaSummary>,
}

/// Folder of replica `r`: `out_dir` itself for a single replica, else `out_dir/replica-RRR`.
pub fn replica_dir(out_dir: &Path, replicas: usize, r: usize) -> PathBuf {
    if replicas == 1 {
        out_dir.to_path_buf()
    } else {
        out_dir.join(format!("replica-{r:03}"))
    }
}

/// The `<name>` of a PDB path: its file stem (`data/ala2.pdb` → `ala2`).
pub fn name_from_path(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "md".into())
}

/// Run molecular dynamics of the first model of `pdb` under `potential` (atom masses `masses`,
/// dalton) and write the trajectories into `out_dir`.
///
/// `resume`: continue the replicas that have a checkpoint in `out_dir` (others start fresh);
/// with the same settings the frames are identical to an uninterrupted run. Without `resume`,
/// an output folder that already holds a checkpoint is refused. `progress(done, total)` is
/// called every 1000 steps per replica with integration steps over all replicas.
pub fn run_md(
    cfg: &MdConfig,
    pdb: &PdbFile,
    potential: &dyn Potential,
    masses: &[f64],
    out_dir: &Path,
    resume: bool,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<MdSummary, MdError> {
    run_md_inner(cfg, pdb, potential, masses, out_dir, resume, progress, None)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn run_md_inner(
    cfg: &MdConfig,
    pdb: &PdbFile,
    potential: &dyn Potential,
    masses: &[f64],
    out_dir: &Path,
    resume: bool,
    progress: &(dyn Fn(u64, u64) + Sync),
    stop_after: Option<u64>,
) -> Result<MdSummary, MdError> {
    let t0 = Instant::now();
    cfg.validate()?;
    let topology = &pdb.topology;
    let n = topology.n_atoms();
    let Some(first_model) = pdb.models.first() else {
        return Err(MdError::Config("the PDB file has no coordinates".into()));
    };
    if first_model.len() != n || potential.n_atoms() != n || masses.len() != n {
        return Err(MdError::Config(format!(
            "atom counts disagree: topology {n}, coordinates {}, force field {}, masses {}",
            first_model.len(),
            potential.n_atoms(),
            masses.len()
        )));
    }
    if let Some((i, p)) = first_model
        .iter()
        .enumerate()
        .find(|(_, p)| p.iter().any(|c| !c.is_finite()))
    {
        return Err(MdError::Config(format!(
            "{} has non-finite coordinates {p:?}",
            topology.atom_label(i)
        )));
    }
    let name = cfg.trajectory_name();
    let dirs: Vec<PathBuf> = (0..cfg.replicas)
        .map(|r| replica_dir(out_dir, cfg.replicas, r))
        .collect();
    for d in &dirs {
        std::fs::create_dir_all(d).map_err(|e| MdError::io(d, e))?;
    }
    let has_checkpoint: Vec<bool> = dirs.iter().map(|d| checkpoint_path(d).is_file()).collect();
    if !resume {
        if let Some(d) = dirs
            .iter()
            .zip(&has_checkpoint)
            .find_map(|(d, &c)| c.then_some(d))
        {
            return Err(MdError::Config(format!(
                "{} already holds a run (checkpoint.json); resume it or choose another output folder",
                d.display()
            )));
        }
    }

    // 1. minimisation, once, for the replicas that start fresh
    let fresh = has_checkpoint.iter().any(|&c| !(resume && c));
    let mut minimization = None;
    let mut start_positions = first_model.clone();
    if fresh && cfg.minimize {
        let opts = MinimizeOptions {
            tolerance: cfg.minimize_tolerance,
            max_iterations: cfg.minimize_max_iterations,
            ..MinimizeOptions::default()
        };
        let report = minimize(potential, &mut start_positions, &opts)?;
        if !report.converged {
            tracing::warn!(
                "minimisation stopped at RMS force {:.3} kJ/mol/nm (tolerance {}) after {} iterations",
                report.rms_force,
                cfg.minimize_tolerance,
                report.iterations
            );
        }
        minimization = Some(report);
    }

    // 2. replicas
    let integrator = LangevinMiddleIntegrator::new(cfg.integrator(), masses, cfg.remove_cm_motion)?;
    let ctx = RunContext {
        cfg,
        topology,
        potential,
        masses,
        integrator,
        name,
        done: AtomicU64::new(0),
        total: cfg.total_steps() * cfg.replicas as u64,
        progress,
        stop_after,
    };
    let run_one = |r: usize| -> Result<ReplicaSummary, MdError> {
        let dir = &dirs[r];
        let start = if resume && has_checkpoint[r] {
            Start::Resume
        } else {
            write_pdb_file(&state0_path(dir, name), topology, &start_positions)?;
            Start::Fresh(start_positions.clone())
        };
        ctx.run_replica(r, dir, start)
    };
    let results: Vec<Result<ReplicaSummary, MdError>> = if cfg.replicas == 1 {
        vec![run_one(0)]
    } else {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(cfg.threads)
            .build()
            .map_err(|e| {
                MdError::Config(format!("cannot start {} worker threads: {e}", cfg.threads))
            })?;
        pool.install(|| (0..cfg.replicas).into_par_iter().map(run_one).collect())
    };
    let replicas = results.into_iter().collect::<Result<Vec<_>, _>>()?;

    // 3. run record
    let wall_this = t0.elapsed().as_secs_f64();
    let prior = replicas
        .iter()
        .map(|r| r.wall_seconds_before)
        .fold(0.0, f64::max);
    let steps_this_run: u64 = replicas.iter().map(|r| r.steps_this_run).sum();
    let ns_this_run = steps_this_run as f64 * cfg.dt_ps() * 1e-3;
    let per_day = |ns: f64| {
        if wall_this > 0.0 {
            ns / wall_this * 86400.0
        } else {
            0.0
        }
    };
    let summary = MdSummary {
        name: name.to_string(),
        out_dir: out_dir.to_path_buf(),
        wall_seconds: prior + wall_this,
        wall_seconds_this_run: wall_this,
        ns_per_day: per_day(ns_this_run),
        ns_per_day_per_replica: per_day(ns_this_run / cfg.replicas as f64),
        steps_per_second_per_replica: if wall_this > 0.0 {
            steps_this_run as f64 / cfg.replicas as f64 / wall_this
        } else {
            0.0
        },
        steps: cfg.steps,
        burn_in_steps: cfg.burn_in_steps,
        n_frames: replicas.iter().map(|r| r.n_frames).sum(),
        n_atoms: n,
        minimization,
        replicas,
    };
    Ok(summary)
}

/// The record of an MD run in `run.json`: settings (MD and force field) and the starting
/// structure; how many production steps and how often to checkpoint are the run's extent (a
/// finished run can be extended with `resume`).
pub fn md_record(
    cfg: &MdConfig,
    forcefield: &SystemOptions,
    pdb: &PdbFile,
    source: &Path,
) -> RunRecord {
    let mut md = serde_json::to_value(cfg).unwrap_or_default();
    let mut extent = serde_json::Map::new();
    if let serde_json::Value::Object(m) = &mut md {
        for key in ["steps", "checkpoint_every", "threads"] {
            if let Some(v) = m.remove(key) {
                extent.insert(key.into(), v);
            }
        }
    }
    let structure =
        serde_json::json!({ "topology": pdb.topology, "positions": pdb.models.first() });
    let settings = serde_json::json!({ "md": md, "forcefield": forcefield });
    RunRecord::start(
        "md",
        settings,
        vec![InputIdentity::value("pdb", source, &structure)],
    )
    .with_extent(serde_json::Value::Object(extent))
}

/// `timewarp md` on one structure: reads `pdb_path`, opens `out_dir` (locked and inspected, see
/// `timewarp_rundir`; the files of `control` are written once it is open), runs [`run_md`] with
/// the amber14 force field and `forcefield` options, and records the run. A folder that holds
/// the finished run with the same settings is not run again; its summary is returned.
pub fn run_md_command(
    cfg: &MdConfig,
    forcefield: &SystemOptions,
    pdb_path: &Path,
    out_dir: &Path,
    control: &RunControl<'_>,
) -> Result<MdSummary, MdError> {
    cfg.validate()?;
    let pdb = timewarp_mol::read_pdb(pdb_path)?;
    let system = timewarp_ff::ForceField::amber14().create_system(&pdb.topology, forcefield)?;
    let checkpointed = (0..cfg.replicas)
        .any(|r| checkpoint_path(&replica_dir(out_dir, cfg.replicas, r)).is_file());
    let session = Session::open_with(
        out_dir,
        md_record(cfg, forcefield, &pdb, pdb_path),
        control,
        checkpointed,
    )?;
    if session.is_complete() {
        return serde_json::from_value(session.record().summary.clone()).map_err(|e| {
            MdError::Config(format!(
                "{}: {e}",
                out_dir.join(timewarp_rundir::RUN_JSON).display()
            ))
        });
    }
    let summary = run_md_inner(
        cfg,
        &pdb,
        &system,
        system.masses(),
        out_dir,
        session.resuming(),
        control.progress,
        control.stop_after,
    )?;
    if summary
        .replicas
        .iter()
        .all(|r| r.steps_done == cfg.total_steps())
    {
        session.finish(&summary)?;
    }
    Ok(summary)
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;
