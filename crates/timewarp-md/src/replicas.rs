//! One replica of a `timewarp md` run: velocities, burn-in, production with frame spacing,
//! checkpoints, blow-up detection. [`crate::run_md`] runs several of these in parallel.
//!
//! Step bookkeeping: `step` counts integration steps since the start of dynamics (burn-in
//! included), as OpenMM's `Simulation.currentStep` in the official script, so the NPZ `step`
//! and `time = step · Δt` include the burn-in. After each step the "events" of the new step
//! count happen in this order: velocity re-draw at the end of burn-in, frame, checkpoint. A
//! checkpoint at step s therefore contains everything up to and including the events of s.

use crate::checkpoint::{Checkpoint, CHECKPOINT_FILE};
use crate::config::{protocol_differences, MdConfig};
use crate::integrator::{LangevinMiddleIntegrator, MdState};
use crate::reporter::TrajectoryReporter;
use crate::velocities::maxwell_boltzmann;
use crate::MdError;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use timewarp_ff::Potential;
use timewarp_mol::Topology;

/// How often (steps) a replica reports progress.
const PROGRESS_EVERY: u64 = 1000;

/// What a finished replica reports.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ReplicaSummary {
    pub replica: usize,
    pub dir: PathBuf,
    /// Integration steps done in total (burn-in included).
    pub steps_done: u64,
    /// Steps integrated by this invocation.
    pub steps_this_run: u64,
    pub n_frames: usize,
    /// Step of the checkpoint this invocation continued from, if any.
    pub resumed_from_step: Option<u64>,
    /// Wall-clock seconds over all invocations.
    pub wall_seconds: f64,
    /// Wall-clock seconds of the invocations before this one (0 for a fresh start).
    pub wall_seconds_before: f64,
    /// Averages over the saved frames (kJ/mol, K).
    pub mean_potential_energy: f64,
    pub mean_kinetic_energy: f64,
    pub mean_temperature_k: f64,
}

/// Everything shared by the replicas of one run.
pub(crate) struct RunContext<'a> {
    pub cfg: &'a MdConfig,
    pub topology: &'a Topology,
    pub potential: &'a dyn Potential,
    pub masses: &'a [f64],
    pub integrator: LangevinMiddleIntegrator,
    pub name: &'a str,
    /// Progress over all replicas.
    pub done: AtomicU64,
    pub total: u64,
    pub progress: &'a (dyn Fn(u64, u64) + Sync),
    /// Abort switch for tests: stop (as if killed) once a replica reaches this step.
    pub stop_after: Option<u64>,
}

/// How a replica starts.
pub(crate) enum Start {
    /// Fresh: minimised positions (state-0 PDB already written).
    Fresh(Vec<[f64; 3]>),
    /// Continue from the checkpoint in the replica's folder.
    Resume,
}

/// The RNG of replica `r`: ChaCha8 keyed by the seed, stream id r.
pub fn replica_rng(seed: u64, replica: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(replica as u64);
    rng
}

/// Checkpoint path of a replica folder.
pub fn checkpoint_path(dir: &Path) -> PathBuf {
    dir.join(CHECKPOINT_FILE)
}

impl RunContext<'_> {
    fn add_progress(&self, steps: u64) {
        let done = self.done.fetch_add(steps, Ordering::Relaxed) + steps;
        (self.progress)(done, self.total);
    }

    fn blow_up(&self, state: &MdState) -> Option<String> {
        let u = state.potential_energy;
        if !u.is_finite() {
            return Some(format!("potential energy is {u}"));
        }
        if u.abs() > self.cfg.max_abs_energy {
            return Some(format!(
                "|potential energy| = {u:.6e} kJ/mol exceeds {:.1e}",
                self.cfg.max_abs_energy
            ));
        }
        for (i, (x, v)) in state.positions.iter().zip(&state.velocities).enumerate() {
            if x.iter().chain(v).any(|c| !c.is_finite()) {
                return Some(format!(
                    "{} has position {x:?} nm and velocity {v:?} nm/ps",
                    self.topology.atom_label(i)
                ));
            }
        }
        None
    }

    /// Run replica `replica` in `dir` to `burn_in_steps + steps`.
    pub fn run_replica(
        &self,
        replica: usize,
        dir: &Path,
        start: Start,
    ) -> Result<ReplicaSummary, MdError> {
        let t0 = Instant::now();
        let cfg = self.cfg;
        let masses = self.masses;
        let burn_in = cfg.burn_in_steps;
        let total = cfg.total_steps();
        let spacing = cfg.frame_spacing();
        let dt = cfg.dt_ps();
        let ckpt_path = checkpoint_path(dir);

        let (mut state, mut rng, mut step, mut reporter, prior_wall, resumed_from) = match start {
            Start::Resume => {
                let ck = Checkpoint::load(&ckpt_path, masses.len())?;
                let bad = |reason: String| MdError::Checkpoint {
                    path: ckpt_path.clone(),
                    reason,
                };
                let diff = protocol_differences(&ck.protocol, &cfg.protocol());
                if !diff.is_empty() {
                    return Err(bad(format!(
                        "written with different settings: {}",
                        diff.join("; ")
                    )));
                }
                if ck.replica != replica {
                    return Err(bad(format!(
                        "belongs to replica {}, not {replica}",
                        ck.replica
                    )));
                }
                if ck.step > total {
                    return Err(bad(format!(
                        "is at step {} beyond the requested burn-in + steps = {total}; ask for at least that many",
                        ck.step
                    )));
                }
                let rng = ck.rng.restore().map_err(bad)?;
                let state = MdState::new(self.potential, ck.positions, ck.velocities)?;
                let with_pdb = spacing.count_frames(cfg.steps) <= cfg.pdb_trajectory_max_frames;
                let reporter = TrajectoryReporter::resume(
                    dir,
                    self.name,
                    self.topology,
                    ck.n_frames,
                    with_pdb,
                )?;
                self.add_progress(ck.step);
                (
                    state,
                    rng,
                    ck.step,
                    reporter,
                    ck.wall_seconds,
                    Some(ck.step),
                )
            }
            Start::Fresh(positions) => {
                let mut rng = replica_rng(cfg.seed, replica);
                let mut velocities = vec![[0.0; 3]; masses.len()];
                maxwell_boltzmann(
                    masses,
                    cfg.temperature_k,
                    cfg.remove_cm_motion,
                    &mut rng,
                    &mut velocities,
                );
                let state = MdState::new(self.potential, positions, velocities)?;
                if let Some(what) = self.blow_up(&state) {
                    return Err(MdError::BlowUp {
                        replica,
                        step: 0,
                        what: format!("at the starting structure: {what}"),
                    });
                }
                let with_pdb = spacing.count_frames(cfg.steps) <= cfg.pdb_trajectory_max_frames;
                let mut reporter =
                    TrajectoryReporter::create(dir, self.name, self.topology, with_pdb)?;
                if burn_in == 0 {
                    reporter.record(0, 0.0, state.kinetic_energy(masses), &state)?;
                }
                (state, rng, 0, reporter, 0.0, None)
            }
        };
        let first_step = step;
        let mut unreported = 0;
        let save = |reporter: &mut TrajectoryReporter,
                    state: &MdState,
                    rng: &ChaCha8Rng,
                    step: u64|
         -> Result<(), MdError> {
            reporter.flush()?;
            let wall = prior_wall + t0.elapsed().as_secs_f64();
            Checkpoint::new(
                replica,
                step,
                reporter.n_frames(),
                wall,
                &state.positions,
                &state.velocities,
                rng,
                cfg.protocol(),
            )
            .save(&ckpt_path)
        };

        while step < total {
            self.integrator.step(self.potential, &mut state, &mut rng);
            step += 1;
            if let Some(what) = self.blow_up(&state) {
                // keep what was recorded before the blow-up; the checkpoint stays at its last step
                reporter.flush()?;
                return Err(MdError::BlowUp {
                    replica,
                    step,
                    what,
                });
            }
            if step == burn_in {
                maxwell_boltzmann(
                    masses,
                    cfg.temperature_k,
                    cfg.remove_cm_motion,
                    &mut rng,
                    &mut state.velocities,
                );
            }
            if step >= burn_in && spacing.is_frame(step - burn_in) {
                reporter.record(step, step as f64 * dt, state.kinetic_energy(masses), &state)?;
            }
            if cfg.checkpoint_every > 0 && step % cfg.checkpoint_every == 0 && step < total {
                save(&mut reporter, &state, &rng, step)?;
            }
            unreported += 1;
            if unreported == PROGRESS_EVERY {
                self.add_progress(unreported);
                unreported = 0;
            }
            if self.stop_after.is_some_and(|s| step >= s) {
                // simulated kill: leave the files exactly as the last checkpoint left them
                self.add_progress(unreported);
                return Err(MdError::Config(format!(
                    "stopped at step {step} (test hook)"
                )));
            }
        }
        self.add_progress(unreported);
        save(&mut reporter, &state, &rng, step)?;
        let wall_seconds = prior_wall + t0.elapsed().as_secs_f64();
        let frames = reporter.finish()?;
        let t = frames.n_frames().max(1) as f64;
        let mean_pe = frames.energies.iter().map(|e| e[0]).sum::<f64>() / t;
        let mean_ke = frames.energies.iter().map(|e| e[1]).sum::<f64>() / t;
        let n_dof = crate::integrator::degrees_of_freedom(masses, cfg.remove_cm_motion);
        Ok(ReplicaSummary {
            replica,
            dir: dir.to_path_buf(),
            steps_done: step,
            steps_this_run: step - first_step,
            n_frames: frames.n_frames(),
            resumed_from_step: resumed_from,
            wall_seconds,
            wall_seconds_before: prior_wall,
            mean_potential_energy: mean_pe,
            mean_kinetic_energy: mean_ke,
            mean_temperature_k: crate::integrator::instantaneous_temperature(mean_ke, n_dof),
        })
    }
}
