//! The trajectory layout every command reads and writes: the official Timewarp file pair of a
//! trajectory called `<name>`,
//!
//! | file | content |
//! |---|---|
//! | `<name>-traj-state0.pdb` | topology and first frame |
//! | `<name>-traj-arrays.npz` | `step`, `time`, `energies`, `positions`, … (see `timewarp_mol::traj`) |
//! | `<name>-traj.xtc` | the frames again, for viewers (MD and MCMC) |
//! | `<name>-traj.pdb` | a multi-model PDB for small runs (MD) |
//!
//! and where such pairs are found: one folder, its `replica-NNN/` or `chain-NNN/` subfolders,
//! or (for training data) any depth of folders.

use std::path::{Path, PathBuf};
use thiserror::Error;

/// Suffix of the topology file of a trajectory.
pub const STATE0_SUFFIX: &str = "-traj-state0.pdb";
/// Suffix of the arrays file of a trajectory.
pub const ARRAYS_SUFFIX: &str = "-traj-arrays.npz";
/// Suffix of the viewer trajectory.
pub const XTC_SUFFIX: &str = "-traj.xtc";
/// Suffix of the multi-model PDB trajectory.
pub const PDB_TRAJ_SUFFIX: &str = "-traj.pdb";

/// `<dir>/<name>-traj-state0.pdb`.
pub fn state0_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}{STATE0_SUFFIX}"))
}

/// `<dir>/<name>-traj-arrays.npz`.
pub fn arrays_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}{ARRAYS_SUFFIX}"))
}

/// `<dir>/<name>-traj.xtc`.
pub fn xtc_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}{XTC_SUFFIX}"))
}

/// `<dir>/<name>-traj.pdb`.
pub fn pdb_traj_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}{PDB_TRAJ_SUFFIX}"))
}

/// Why trajectory files could not be found.
#[derive(Debug, Error)]
pub enum LayoutError {
    #[error("{path}: no such file or folder")]
    Missing { path: PathBuf },
    #[error("{path}: no '*{ARRAYS_SUFFIX}' trajectory found (searched sub-folders too)")]
    NoTrajectories { path: PathBuf },
    #[error("{path}: not a trajectory arrays file (expected a name ending in '{ARRAYS_SUFFIX}')")]
    BadName { path: PathBuf },
    #[error("{arrays}: its topology file {state0} is missing")]
    MissingTopology { arrays: PathBuf, state0: PathBuf },
    #[error("{path}: {err}")]
    Io { path: PathBuf, err: std::io::Error },
}

/// The two files of one trajectory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrajectoryFiles {
    pub name: String,
    pub arrays: PathBuf,
    pub state0: PathBuf,
}

impl TrajectoryFiles {
    /// The pair that `arrays` (a `…-traj-arrays.npz` file) belongs to; its topology must exist.
    pub fn for_arrays(arrays: &Path) -> Result<TrajectoryFiles, LayoutError> {
        let file_name = arrays
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let Some(name) = file_name.strip_suffix(ARRAYS_SUFFIX) else {
            return Err(LayoutError::BadName {
                path: arrays.to_path_buf(),
            });
        };
        let state0 = arrays.with_file_name(format!("{name}{STATE0_SUFFIX}"));
        if !state0.is_file() {
            return Err(LayoutError::MissingTopology {
                arrays: arrays.to_path_buf(),
                state0,
            });
        }
        Ok(TrajectoryFiles {
            name: name.to_string(),
            arrays: arrays.to_path_buf(),
            state0,
        })
    }

    /// The folder holding the pair.
    pub fn dir(&self) -> &Path {
        self.arrays.parent().unwrap_or(Path::new("."))
    }
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, LayoutError> {
    let io = |err| LayoutError::Io {
        path: dir.to_path_buf(),
        err,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort();
    Ok(entries)
}

/// Names of the complete trajectories (state-0 PDB and arrays both present) in `dir`, sorted.
pub fn traj_names(dir: &Path) -> Result<Vec<String>, LayoutError> {
    let mut names = Vec::new();
    for entry in sorted_entries(dir)? {
        let Some(file_name) = entry.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if let Some(name) = file_name.strip_suffix(ARRAYS_SUFFIX) {
            if state0_path(dir, name).is_file() {
                names.push(name.to_string());
            }
        }
    }
    Ok(names)
}

/// Every trajectory under `paths`: a path may be an `…-traj-arrays.npz` file, a folder holding
/// such files, or a folder of such folders (`timewarp md --replicas` writes `replica-000/`, …);
/// folders are searched recursively, files before subfolders, in name order. A path that holds
/// no trajectory is an error naming it.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<TrajectoryFiles>, LayoutError> {
    let mut found = Vec::new();
    for p in paths {
        let before = found.len();
        if p.is_file() {
            found.push(TrajectoryFiles::for_arrays(p)?);
        } else if p.is_dir() {
            walk(p, &mut found)?;
        } else {
            return Err(LayoutError::Missing { path: p.clone() });
        }
        if found.len() == before {
            return Err(LayoutError::NoTrajectories { path: p.clone() });
        }
    }
    Ok(found)
}

fn walk(dir: &Path, found: &mut Vec<TrajectoryFiles>) -> Result<(), LayoutError> {
    let entries = sorted_entries(dir)?;
    for e in &entries {
        if e.is_file()
            && e.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(ARRAYS_SUFFIX))
        {
            found.push(TrajectoryFiles::for_arrays(e)?);
        }
    }
    for e in &entries {
        if e.is_dir() {
            walk(e, found)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_finds_pairs_at_any_depth_and_names_what_is_missing() {
        let root = std::env::temp_dir().join(format!("timewarp-layout-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let sub = root.join("replica-001");
        std::fs::create_dir_all(&sub).unwrap();
        for (dir, name) in [(&root, "b"), (&root, "a"), (&sub, "a")] {
            std::fs::write(state0_path(dir, name), "").unwrap();
            std::fs::write(arrays_path(dir, name), "").unwrap();
        }
        let found = discover(std::slice::from_ref(&root)).unwrap();
        let names: Vec<_> = found
            .iter()
            .map(|f| (f.dir().to_path_buf(), f.name.clone()))
            .collect();
        assert_eq!(
            names,
            [
                (root.clone(), "a".into()),
                (root.clone(), "b".into()),
                (sub.clone(), "a".into())
            ]
        );
        assert_eq!(traj_names(&root).unwrap(), ["a", "b"]);

        std::fs::remove_file(state0_path(&sub, "a")).unwrap();
        let e = discover(std::slice::from_ref(&root)).unwrap_err();
        assert!(matches!(e, LayoutError::MissingTopology { .. }), "{e}");
        let empty = root.join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        let e = discover(std::slice::from_ref(&empty))
            .unwrap_err()
            .to_string();
        assert!(e.contains("empty") && e.contains(ARRAYS_SUFFIX), "{e}");
        let e = discover(&[root.join("nothing")]).unwrap_err();
        assert!(matches!(e, LayoutError::Missing { .. }));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
