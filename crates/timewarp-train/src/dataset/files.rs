//! Trajectory files in the official layout, read with timewarp-mol (the only place that
//! touches the file formats): `<name>-traj-state0.pdb` (topology) and `<name>-traj-arrays.npz`
//! (`step`, `time`, `energies`, `positions`, `velocities`, `forces`).

use super::trajectory::Trajectory;
use crate::error::DataError;
use std::path::Path;
use timewarp_mol::pdb::read_pdb;
use timewarp_mol::traj::TrajArrays;
use timewarp_mol::Topology;

pub use timewarp_rundir::layout::{discover, TrajectoryFiles, ARRAYS_SUFFIX, STATE0_SUFFIX};

fn read_arrays(path: &Path) -> Result<TrajArrays, DataError> {
    // the reader's errors name the file
    TrajArrays::read_npz(path).map_err(DataError::Mol)
}

/// The topology of a trajectory (its state-0 PDB).
pub fn read_topology(state0: &Path) -> Result<Topology, DataError> {
    read_pdb(state0).map(|p| p.topology).map_err(DataError::Mol)
}

/// Reads a whole trajectory (topology elements, steps, positions) and checks that the files
/// agree.
pub fn read_trajectory(f: &TrajectoryFiles) -> Result<Trajectory, DataError> {
    let top = read_topology(&f.state0)?;
    let arrays = read_arrays(&f.arrays)?;
    let origin = f.arrays.display().to_string();
    if arrays.n_atoms != top.n_atoms() {
        return Err(DataError::Shape {
            origin,
            detail: format!(
                "{} atoms per frame, but {} has {}",
                arrays.n_atoms,
                f.state0.display(),
                top.n_atoms()
            ),
        });
    }
    let t = arrays.n_frames();
    if arrays.step.len() != t {
        return Err(DataError::Read {
            origin,
            detail: "no 'step' array: pairs are defined by MD step numbers (official layout)"
                .into(),
        });
    }
    if let Some(k) = arrays.positions.iter().position(|v| !v.is_finite()) {
        let n = arrays.n_atoms;
        return Err(DataError::Read {
            origin,
            detail: format!(
                "non-finite position in frame {} (step {}), atom {}",
                k / (3 * n),
                arrays.step[k / (3 * n)],
                (k / 3) % n + 1
            ),
        });
    }
    Ok(Trajectory {
        name: f.name.clone(),
        elements: top.atoms.iter().map(|a| a.element).collect(),
        steps: arrays.step,
        positions: arrays.positions,
    })
}

/// Positions of a trajectory already indexed with `n_frames` frames of `n_atoms` atoms
/// (reloaded on demand by the data set's cache).
pub fn read_positions(
    arrays: &Path,
    n_frames: usize,
    n_atoms: usize,
) -> Result<Vec<f32>, DataError> {
    let a = read_arrays(arrays)?;
    if a.n_atoms != n_atoms || a.n_frames() != n_frames {
        return Err(DataError::Shape {
            origin: arrays.display().to_string(),
            detail: format!(
                "the file changed during training: {} frames of {} atoms, indexed {} of {}",
                a.n_frames(),
                a.n_atoms,
                n_frames,
                n_atoms
            ),
        });
    }
    Ok(a.positions)
}
