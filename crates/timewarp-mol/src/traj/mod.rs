//! Trajectory formats: the official Timewarp NPZ layout ([`TrajArrays`]) with its state-0 PDB,
//! and XTC for viewers ([`XtcWriter`]).
//!
//! A Timewarp trajectory folder holds, for a trajectory called `<name>`,
//! `<name>-traj-state0.pdb` (topology and first frame) and `<name>-traj-arrays.npz`.

mod npz;
mod xtc;

pub use npz::{TrajArrays, KEYS};
pub use xtc::{read_xtc, XtcFrame, XtcWriter};

use crate::pdb::{read_pdb, PdbFile};
use crate::MolError;
use std::path::{Path, PathBuf};

pub use timewarp_rundir::layout::{arrays_path, state0_path, ARRAYS_SUFFIX, STATE0_SUFFIX};

/// Names of the complete trajectories (state-0 PDB and arrays both present) in `dir`, sorted.
pub fn traj_names(dir: &Path) -> Result<Vec<String>, MolError> {
    timewarp_rundir::layout::traj_names(dir).map_err(|e| match e {
        timewarp_rundir::LayoutError::Io { path, err } => MolError::io(path, err),
        other => MolError::TrajDir {
            dir: dir.to_path_buf(),
            reason: other.to_string(),
        },
    })
}

/// Folder and name of every trajectory of `dir` and of its immediate subfolders (one
/// `replica-NNN/` or `chain-NNN/` each), in sorted folder order. Errors name `dir` when it is
/// not a folder or holds no trajectory.
pub fn find_trajectories(dir: &Path) -> Result<Vec<(PathBuf, String)>, MolError> {
    if !dir.is_dir() {
        let what = if dir.exists() {
            "not a folder"
        } else {
            "no such folder"
        };
        return Err(MolError::io(dir, std::io::Error::other(what)));
    }
    let mut dirs = vec![dir.to_path_buf()];
    let mut subdirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| MolError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    subdirs.sort();
    dirs.extend(subdirs);
    let mut found = Vec::new();
    for d in dirs {
        found.extend(traj_names(&d)?.into_iter().map(|n| (d.clone(), n)));
    }
    if found.is_empty() {
        return Err(MolError::TrajDir {
            dir: dir.to_path_buf(),
            reason: format!("no trajectory (<name>{STATE0_SUFFIX} with <name>{ARRAYS_SUFFIX}) in it or its subfolders"),
        });
    }
    Ok(found)
}

/// Read trajectory `name` of `dir`: its state-0 PDB and its arrays, checked to hold the same
/// number of atoms.
pub fn read_traj(dir: &Path, name: &str) -> Result<(PdbFile, TrajArrays), MolError> {
    let pdb = read_pdb(&state0_path(dir, name))?;
    let arrays_file = arrays_path(dir, name);
    let arrays = TrajArrays::read_npz(&arrays_file)?;
    if arrays.n_atoms != pdb.topology.n_atoms() {
        return Err(MolError::AtomCount {
            context: format!(
                "{} (positions) vs {}",
                arrays_file.display(),
                state0_path(dir, name).display()
            ),
            expected: pdb.topology.n_atoms(),
            found: arrays.n_atoms,
        });
    }
    Ok((pdb, arrays))
}

/// Read the one trajectory of `dir` (see [`read_traj`]); an error when there is none or more
/// than one.
///
/// ```
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata");
/// # if !std::path::Path::new(dir).exists() { return; }
/// let (state0, arrays) = timewarp_mol::traj::read_traj_dir(std::path::Path::new(dir)).unwrap();
/// assert_eq!(arrays.n_atoms, state0.topology.n_atoms());
/// ```
pub fn read_traj_dir(dir: &Path) -> Result<(PdbFile, TrajArrays), MolError> {
    let names = traj_names(dir)?;
    match names.as_slice() {
        [name] => read_traj(dir, name),
        [] => Err(MolError::TrajDir {
            dir: dir.to_path_buf(),
            reason: format!("no <name>{STATE0_SUFFIX} with a matching <name>{ARRAYS_SUFFIX}"),
        }),
        many => Err(MolError::TrajDir {
            dir: dir.to_path_buf(),
            reason: format!(
                "{} trajectories ({}); name one",
                many.len(),
                many.join(", ")
            ),
        }),
    }
}
