//! Trajectory output of one replica in the official Timewarp layout:
//!
//! * `<name>-traj-arrays.npz` — step, time (ps), energies [potential, kinetic] (kJ/mol),
//!   positions (nm), velocities (nm/ps), forces (kJ/mol/nm); float32 coordinates like the
//!   official `NPZReporter`. Rewritten atomically at every checkpoint and at the end.
//! * `<name>-traj.xtc` — viewer trajectory (0.001 nm precision), appended frame by frame and
//!   flushed at checkpoints; on resume it is cut back to the checkpoint's frame count.
//! * `<name>-traj.pdb` — the same frames as MODEL blocks, only for short runs.
//!
//! All frames are kept in memory (T × N × 3 × 3 float32 values: 100 k frames of a 22-atom
//! peptide are 80 MB) because NPZ cannot be appended to.

use crate::integrator::MdState;
use crate::MdError;
use std::path::{Path, PathBuf};
use timewarp_mol::pdb::PdbTrajectoryWriter;
use timewarp_mol::traj::{arrays_path, TrajArrays, XtcWriter};
use timewarp_mol::Topology;

pub use timewarp_rundir::layout::{pdb_traj_path, xtc_path};

/// Collects frames and writes the trajectory files of one replica.
pub struct TrajectoryReporter {
    npz_path: PathBuf,
    frames: TrajArrays,
    xtc: XtcWriter,
    pdb: Option<PdbTrajectoryWriter>,
}

impl TrajectoryReporter {
    /// Start new trajectory files in `dir` (truncating old ones); `with_pdb` adds the
    /// multi-model PDB.
    pub fn create(
        dir: &Path,
        name: &str,
        topology: &Topology,
        with_pdb: bool,
    ) -> Result<Self, MdError> {
        let pdb = if with_pdb {
            Some(PdbTrajectoryWriter::create(
                &pdb_traj_path(dir, name),
                topology,
            )?)
        } else {
            None
        };
        Ok(Self {
            npz_path: arrays_path(dir, name),
            frames: TrajArrays::new(topology.n_atoms()),
            xtc: XtcWriter::create(&xtc_path(dir, name))?,
            pdb,
        })
    }

    /// Continue the files of an interrupted run after its first `keep_frames` frames (those of
    /// the checkpoint). Frames written after the checkpoint are dropped: the resumed run
    /// writes them again, identically. With `keep_frames == 0` the files start afresh as in
    /// [`TrajectoryReporter::create`].
    pub fn resume(
        dir: &Path,
        name: &str,
        topology: &Topology,
        keep_frames: usize,
        with_pdb: bool,
    ) -> Result<Self, MdError> {
        if keep_frames == 0 {
            return Self::create(dir, name, topology, with_pdb);
        }
        let npz_path = arrays_path(dir, name);
        let n = topology.n_atoms();
        let mut frames = TrajArrays::read_npz(&npz_path)?;
        if frames.n_atoms != n {
            return Err(MdError::Checkpoint {
                path: npz_path,
                reason: format!("trajectory has {} atoms, the molecule {n}", frames.n_atoms),
            });
        }
        if frames.n_frames() < keep_frames
            || frames.velocities.is_empty()
            || frames.forces.is_empty()
        {
            return Err(MdError::Checkpoint {
                path: npz_path,
                reason: format!(
                    "holds {} complete frames but the checkpoint needs {keep_frames}",
                    frames.n_frames()
                ),
            });
        }
        truncate(&mut frames, keep_frames);
        let xtc = XtcWriter::resume(&xtc_path(dir, name), keep_frames)?;
        let pdb_path = pdb_traj_path(dir, name);
        let pdb = if pdb_path.exists() {
            Some(PdbTrajectoryWriter::resume(
                &pdb_path,
                topology,
                keep_frames,
            )?)
        } else {
            None
        };
        Ok(Self {
            npz_path,
            frames,
            xtc,
            pdb,
        })
    }

    /// Frames recorded so far.
    pub fn n_frames(&self) -> usize {
        self.frames.n_frames()
    }

    pub fn frames(&self) -> &TrajArrays {
        &self.frames
    }

    /// Record the state at integrator step `step` (time = step · Δt).
    pub fn record(
        &mut self,
        step: u64,
        time_ps: f64,
        kinetic_energy: f64,
        state: &MdState,
    ) -> Result<(), MdError> {
        self.frames.push_frame(
            step as i64,
            time_ps,
            [state.potential_energy, kinetic_energy],
            &state.positions,
            Some(&state.velocities),
            Some(&state.forces),
        );
        // XTC's step field is 32 bits; viewers only use it as a label
        self.xtc
            .append_frame((step % (1 << 32)) as i64, time_ps, &state.positions)?;
        if let Some(pdb) = &mut self.pdb {
            pdb.append_model(&state.positions)?;
        }
        Ok(())
    }

    /// Make everything recorded so far durable: NPZ atomically, viewer files flushed.
    pub fn flush(&mut self) -> Result<(), MdError> {
        self.frames.write_npz_atomic(&self.npz_path)?;
        self.xtc.flush()?;
        if let Some(pdb) = &mut self.pdb {
            pdb.flush()?;
        }
        Ok(())
    }

    /// Flush and close the files (the PDB trajectory gets its `END`).
    pub fn finish(mut self) -> Result<TrajArrays, MdError> {
        self.flush()?;
        if let Some(pdb) = self.pdb.take() {
            pdb.finish()?;
        }
        Ok(std::mem::take(&mut self.frames))
    }
}

/// Keep the first `t` frames.
fn truncate(a: &mut TrajArrays, t: usize) {
    let n3 = 3 * a.n_atoms;
    a.step.truncate(t);
    a.time.truncate(t);
    a.energies.truncate(t);
    a.positions.truncate(t * n3);
    a.velocities.truncate(t * n3);
    a.forces.truncate(t * n3);
}
