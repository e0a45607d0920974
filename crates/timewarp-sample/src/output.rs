//! Trajectory files of one chain, in the layout of `timewarp md` (the official Timewarp layout):
//!
//! * `<name>-traj-state0.pdb` — the starting structure (topology for every reader);
//! * `<name>-traj-arrays.npz` — `step` (chain step), `time` (step × τ in ps when τ is known,
//!   else the step index), `energies` ([U, 0] kJ/mol: the chain has no physical kinetic
//!   energy), `positions` (nm, float32); rewritten atomically at each checkpoint;
//! * `<name>-traj.xtc` — viewer trajectory, appended, cut back to the checkpoint on resume.
//!
//! Frames are kept in memory (T × N × 3 float32) because NPZ cannot be appended to.

use std::path::{Path, PathBuf};

use timewarp_mol::pdb::write_pdb_file;
use timewarp_mol::traj::{arrays_path, state0_path, TrajArrays, XtcWriter};
use timewarp_mol::Topology;

use crate::SampleError;

pub use timewarp_rundir::layout::xtc_path;

/// Folder of chain `c`: `out_dir` itself for a single chain, else `out_dir/chain-CCC`.
pub fn chain_dir(out_dir: &Path, chains: usize, c: usize) -> PathBuf {
    if chains == 1 {
        out_dir.to_path_buf()
    } else {
        out_dir.join(format!("chain-{c:03}"))
    }
}

/// The trajectory files of one chain.
pub struct ChainWriter {
    npz_path: PathBuf,
    frames: TrajArrays,
    xtc: XtcWriter,
}

impl ChainWriter {
    /// New files in `dir` (created if needed), with `start` as the state-0 structure.
    pub fn create(
        dir: &Path,
        name: &str,
        topology: &Topology,
        start: &[[f64; 3]],
    ) -> Result<Self, SampleError> {
        std::fs::create_dir_all(dir).map_err(|e| SampleError::io(dir, e))?;
        write_pdb_file(&state0_path(dir, name), topology, start)?;
        Ok(ChainWriter {
            npz_path: arrays_path(dir, name),
            frames: TrajArrays::new(topology.n_atoms()),
            xtc: XtcWriter::create(&xtc_path(dir, name))?,
        })
    }

    /// Continue the files of an interrupted run, keeping their first `keep_frames` frames (those
    /// of the checkpoint; later frames are written again, identically, by the resumed run).
    pub fn resume(
        dir: &Path,
        name: &str,
        n_atoms: usize,
        keep_frames: usize,
    ) -> Result<Self, SampleError> {
        let npz_path = arrays_path(dir, name);
        let mut frames = TrajArrays::read_npz(&npz_path)?;
        let bad = |message: String| SampleError::Resume {
            path: npz_path.clone(),
            message,
        };
        if frames.n_atoms != n_atoms {
            return Err(bad(format!(
                "trajectory has {} atoms, the molecule {n_atoms}",
                frames.n_atoms
            )));
        }
        if frames.n_frames() < keep_frames {
            return Err(bad(format!(
                "holds {} frames but the checkpoint needs {keep_frames}",
                frames.n_frames()
            )));
        }
        frames.truncate_frames(keep_frames);
        let xtc = XtcWriter::resume(&xtc_path(dir, name), keep_frames)?;
        Ok(ChainWriter {
            npz_path,
            frames,
            xtc,
        })
    }

    pub fn n_frames(&self) -> usize {
        self.frames.n_frames()
    }

    pub fn frames(&self) -> &TrajArrays {
        &self.frames
    }

    /// Append the state of chain step `step`.
    pub fn record(
        &mut self,
        step: u64,
        time: f64,
        energy: f64,
        x: &[[f64; 3]],
    ) -> Result<(), SampleError> {
        self.frames
            .push_frame(step as i64, time, [energy, 0.0], x, None, None);
        // XTC stores the step in 32 bits; viewers use it only as a label.
        self.xtc.append_frame((step % (1 << 31)) as i64, time, x)?;
        Ok(())
    }

    /// Write the NPZ (atomically) and flush the XTC.
    pub fn flush(&mut self) -> Result<(), SampleError> {
        self.frames.write_npz_atomic(&self.npz_path)?;
        self.xtc.flush()?;
        Ok(())
    }
}
