//! The data of internal-chart training: the internal coordinates of every MD frame of one
//! molecule in the fitted kernel's Z-matrix, split in time (the last part of every trajectory
//! validates), and the force field of the molecule.

use std::path::PathBuf;

use timewarp_ff::{ForceField, System, SystemOptions};
use timewarp_mol::traj::{find_trajectories, read_traj};
use timewarp_mol::Topology;
use timewarp_sample::fitted::FittedKernel;

use crate::error::{DataError, TrainError};

/// Frames of the MD as internal coordinates.
pub struct ChartFrames {
    pub topology: Topology,
    pub system: System,
    /// 3N − 6 coordinates per frame.
    pub train: Vec<Vec<f64>>,
    pub val: Vec<Vec<f64>>,
    /// `dir/name` of every trajectory read.
    pub sources: Vec<String>,
}

impl ChartFrames {
    /// Reads every trajectory under `data` (folders of `timewarp md`, replicas included); the
    /// last `val_fraction` of each trajectory's frames is validation data.
    pub fn load(
        kernel: &FittedKernel,
        data: &[PathBuf],
        val_fraction: f64,
        options: &SystemOptions,
    ) -> Result<Self, TrainError> {
        if data.is_empty() {
            return Err(TrainError::Config("no training data given".into()));
        }
        if !(val_fraction > 0.0 && val_fraction < 1.0) {
            return Err(TrainError::Config(format!(
                "validation fraction {val_fraction} must lie in (0, 1)"
            )));
        }
        let zm = &kernel.zmatrix;
        let (mut train, mut val, mut sources) = (Vec::new(), Vec::new(), Vec::new());
        let mut topology: Option<Topology> = None;
        for dir in data {
            let found = find_trajectories(dir).map_err(DataError::Mol)?;
            for (d, name) in found {
                let origin = d.join(&name).display().to_string();
                let (pdb, arrays) = read_traj(&d, &name).map_err(DataError::Mol)?;
                kernel
                    .check_molecule(&pdb.topology, &origin)
                    .map_err(|e| TrainError::Config(e.to_string()))?;
                let n = arrays.n_atoms;
                let frames = arrays.n_frames();
                let n_val = ((frames as f64 * val_fraction).round() as usize)
                    .clamp(1, frames.saturating_sub(1).max(1));
                let mut x = vec![[0.0; 3]; n];
                for f in 0..frames {
                    for (a, p) in x.iter_mut().zip(arrays.frame_positions(f).chunks_exact(3)) {
                        *a = [p[0] as f64, p[1] as f64, p[2] as f64];
                    }
                    let mut q = vec![0.0; zm.n_dofs()];
                    zm.to_internal(&x, &mut q);
                    if f < frames - n_val {
                        train.push(q)
                    } else {
                        val.push(q)
                    }
                }
                sources.push(origin);
                topology.get_or_insert(pdb.topology);
            }
        }
        let topology = topology.expect("find_trajectories returns at least one trajectory");
        if train.is_empty() || val.is_empty() {
            return Err(TrainError::Config(format!(
                "{} training and {} validation frames: too few to train on",
                train.len(),
                val.len()
            )));
        }
        let system = ForceField::amber14()
            .create_system(&topology, options)
            .map_err(|e| TrainError::ForceField {
                peptide: kernel.molecule.sequence(),
                path: data[0].clone(),
                detail: e.to_string(),
            })?;
        Ok(ChartFrames {
            topology,
            system,
            train,
            val,
            sources,
        })
    }
}
