//! An output folder of a timewarp command (`md`, `sample`, `explore`): its trajectories in the
//! official layout (`<name>-traj-state0.pdb` + `<name>-traj-arrays.npz`, one pair per
//! trajectory, e.g. per replica or chain) and the `run.json` that every command writes:
//! `{"command": "md"|"sample"|"explore", "wall_seconds": f64, ...}`, plus
//! `"acceptance_rate": f64` for `sample`.

use crate::error::AnalysisError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use timewarp_mol::traj::read_traj;
use timewarp_mol::Topology;

/// What the run record (`run.json`, `timewarp_rundir::RunRecord`) says about the command that
/// produced a folder, as the analysis uses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub command: String,
    /// Wall-clock time of the whole command in seconds.
    pub wall_seconds: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acceptance_rate: Option<f64>,
    /// True for exploration runs: not samples of the Boltzmann distribution.
    #[serde(default)]
    pub biased: bool,
}

/// One trajectory: topology from its state-0 PDB and the frames of its NPZ.
#[derive(Debug, Clone)]
pub struct Trajectory {
    /// Folder holding the two files.
    pub dir: PathBuf,
    pub name: String,
    pub topology: Topology,
    pub n_atoms: usize,
    /// Positions in nm, `n_frames × n_atoms × 3`.
    pub positions: Vec<f32>,
    /// Potential energy per frame in kJ/mol (empty when the file has none).
    pub potential_energy: Vec<f64>,
    /// Simulation time per frame in ps (NPZ `time`; empty when the file has none).
    pub time: Vec<f64>,
    /// Integrator or chain step per frame (NPZ `step`; empty when the file has none).
    pub step: Vec<i64>,
}

impl Trajectory {
    /// The same trajectory without its frames: enough to check that another one holds the
    /// same molecule ([`check_same_molecule`]).
    pub fn header(&self) -> Trajectory {
        Trajectory {
            dir: self.dir.clone(),
            name: self.name.clone(),
            topology: self.topology.clone(),
            n_atoms: self.n_atoms,
            positions: Vec::new(),
            potential_energy: Vec::new(),
            time: Vec::new(),
            step: Vec::new(),
        }
    }

    pub fn n_frames(&self) -> usize {
        if self.n_atoms == 0 {
            0
        } else {
            self.positions.len() / (3 * self.n_atoms)
        }
    }
}

/// A folder's trajectories and run information.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub dir: PathBuf,
    pub run: Option<RunInfo>,
    pub trajectories: Vec<Trajectory>,
}

impl Dataset {
    pub fn n_frames(&self) -> usize {
        self.trajectories.iter().map(Trajectory::n_frames).sum()
    }

    /// Topology of the first trajectory (all are checked to agree).
    pub fn topology(&self) -> &Topology {
        &self.trajectories[0].topology
    }
}

/// Folder and name of every trajectory of `dir` and of its immediate subfolders (e.g. one
/// `replica-NNN/` or `chain-NNN/` each), in sorted folder order. Errors name `dir` when it is
/// not a folder or holds no trajectory.
pub fn find_trajectories(dir: &Path) -> Result<Vec<(PathBuf, String)>, AnalysisError> {
    if !dir.is_dir() {
        let (kind, what) = if dir.exists() {
            (std::io::ErrorKind::NotADirectory, "not a folder")
        } else {
            (std::io::ErrorKind::NotFound, "no such folder")
        };
        return Err(AnalysisError::io(dir, std::io::Error::new(kind, what)));
    }
    timewarp_mol::traj::find_trajectories(dir).map_err(|e| match e {
        timewarp_mol::MolError::TrajDir { .. } => AnalysisError::NoTrajectory {
            dir: dir.to_path_buf(),
        },
        other => AnalysisError::Mol {
            path: dir.to_path_buf(),
            message: other.to_string(),
        },
    })
}

/// Read every trajectory of `dir` (and of its immediate subfolders, see
/// [`find_trajectories`]) and its `run.json` (absent `run.json` gives `run: None`).
pub fn load_dataset(dir: &Path) -> Result<Dataset, AnalysisError> {
    let mut trajectories = Vec::new();
    for (d, name) in find_trajectories(dir)? {
        let (pdb, arrays) = read_traj(&d, &name).map_err(|e| AnalysisError::Mol {
            path: d.clone(),
            message: e.to_string(),
        })?;
        let traj = Trajectory {
            dir: d,
            topology: pdb.topology,
            n_atoms: arrays.n_atoms,
            potential_energy: arrays.energies.iter().map(|e| e[0]).collect(),
            time: arrays.time,
            step: arrays.step,
            positions: arrays.positions,
            name,
        };
        check_finite(&traj)?;
        trajectories.push(traj);
    }
    let first = &trajectories[0];
    for t in &trajectories[1..] {
        check_same_molecule(first, t)?;
    }
    Ok(Dataset {
        dir: dir.to_path_buf(),
        run: read_run_info(dir)?,
        trajectories,
    })
}

/// `dir/run.json`, or `None` if the file does not exist.
pub fn read_run_info(dir: &Path) -> Result<Option<RunInfo>, AnalysisError> {
    let record = timewarp_rundir::RunRecord::read(dir).map_err(|e| AnalysisError::Mol {
        path: dir.join(timewarp_rundir::RUN_JSON),
        message: e.to_string(),
    })?;
    Ok(record.map(|r| RunInfo {
        command: r.command,
        wall_seconds: r.wall_seconds,
        acceptance_rate: r.summary.get("acceptance_rate").and_then(|v| v.as_f64()),
        biased: r
            .summary
            .get("biased")
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
    }))
}

/// Both trajectories describe the same molecule: same atom count, names and elements.
pub fn check_same_molecule(a: &Trajectory, b: &Trajectory) -> Result<(), AnalysisError> {
    let file = |t: &Trajectory| timewarp_mol::traj::state0_path(&t.dir, &t.name);
    if a.n_atoms != b.n_atoms {
        return Err(AnalysisError::AtomCountMismatch {
            path: file(b),
            found: b.n_atoms,
            expected: a.n_atoms,
            expected_from: file(a),
        });
    }
    for (i, (x, y)) in a.topology.atoms.iter().zip(&b.topology.atoms).enumerate() {
        if x.name != y.name || x.element != y.element {
            return Err(AnalysisError::Topology(format!(
                "{}: atom {} is {}, but in {} it is {}",
                file(b).display(),
                i + 1,
                b.topology.atom_label(i),
                file(a).display(),
                a.topology.atom_label(i)
            )));
        }
    }
    Ok(())
}

fn check_finite(t: &Trajectory) -> Result<(), AnalysisError> {
    if let Some(k) = t.positions.iter().position(|v| !v.is_finite()) {
        let path = timewarp_mol::traj::arrays_path(&t.dir, &t.name);
        return Err(AnalysisError::NonFinite {
            what: format!(
                "{} positions, atom {}",
                path.display(),
                t.topology.atom_label((k / 3) % t.n_atoms)
            ),
            frame: k / (3 * t.n_atoms),
        });
    }
    Ok(())
}
