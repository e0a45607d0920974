//! Reading trajectories with timewarp-mol (the only place that touches the file formats).

use crate::dataset::{Trajectory, TrajectoryFiles, TrajectoryInfo};
use crate::error::DataError;
use timewarp_mol::pdb::read_pdb;
use timewarp_mol::traj::TrajArrays;
use timewarp_mol::Topology;

fn read_arrays(path: &std::path::Path) -> Result<TrajArrays, DataError> {
    TrajArrays::read_npz(path).map_err(|e| DataError::Read { origin: path.display().to_string(), detail: e.to_string() })
}

/// The topology of a trajectory (its state-0 PDB).
pub fn read_topology(state0: &std::path::Path) -> Result<Topology, DataError> {
    read_pdb(state0)
        .map(|p| p.topology)
        .map_err(|e| DataError::Read { origin: state0.display().to_string(), detail: e.to_string() })
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
            detail: format!("{} atoms per frame, but {} has {}", arrays.n_atoms, f.state0.display(), top.n_atoms()),
        });
    }
    let t = arrays.n_frames();
    if arrays.step.len() != t {
        return Err(DataError::Read {
            origin,
            detail: "no 'step' array: pairs are defined by MD step numbers (official layout)".into(),
        });
    }
    if let Some(k) = arrays.positions.iter().position(|v| !v.is_finite()) {
        let n = arrays.n_atoms;
        return Err(DataError::Read {
            origin,
            detail: format!("non-finite position in frame {} (step {}), atom {}", k / (3 * n), arrays.step[k / (3 * n)], (k / 3) % n + 1),
        });
    }
    Ok(Trajectory {
        name: f.name.clone(),
        elements: top.atoms.iter().map(|a| a.element).collect(),
        steps: arrays.step,
        positions: arrays.positions,
    })
}

/// Positions of a trajectory already indexed (reloaded on demand by the data set's cache).
pub fn read_positions(info: &TrajectoryInfo, arrays: &std::path::Path) -> Result<Vec<f32>, DataError> {
    let a = read_arrays(arrays)?;
    if a.n_atoms != info.n_atoms || a.n_frames() != info.n_frames {
        return Err(DataError::Shape {
            origin: arrays.display().to_string(),
            detail: format!(
                "the file changed during training: {} frames of {} atoms, indexed {} of {}",
                a.n_frames(),
                a.n_atoms,
                info.n_frames,
                info.n_atoms
            ),
        });
    }
    Ok(a.positions)
}
