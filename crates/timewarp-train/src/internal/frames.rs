//! The data of internal-chart training: for every molecule of the MD, the internal coordinates
//! of its frames in its fitted kernel's Z-matrix, split in time (the last part of every
//! trajectory validates), its fitted kernel and its force field. A kernel of one molecule trains
//! on that molecule's MD only; a pooled kernel (`timewarp fit --pooled`) on every peptide of a
//! data set, each with the kernel the pooled one makes for it.

use std::path::PathBuf;

use timewarp_ff::{ForceField, System, SystemOptions};
use timewarp_mol::traj::{find_trajectories, read_traj};
use timewarp_mol::Topology;
use timewarp_sample::fitted::{FittedKernel, KernelFile, MoleculeIdentity};

use crate::error::{DataError, TrainError};

/// One molecule's frames as internal coordinates.
pub struct ChartFrames {
    /// The trajectory name of its first trajectory (a data set's peptide name, e.g. `AK`).
    pub name: String,
    pub topology: Topology,
    pub system: System,
    /// The fitted kernel of this molecule the flow refines.
    pub kernel: FittedKernel,
    /// 3N − 6 coordinates per frame.
    pub train: Vec<Vec<f64>>,
    pub val: Vec<Vec<f64>>,
    /// `dir/name` of every trajectory read.
    pub sources: Vec<String>,
}

/// Reads every trajectory under `data` (folders of `timewarp md`, replicas and data-set peptides
/// included), grouped by molecule; the last `val_fraction` of each trajectory's frames is
/// validation data.
pub fn load_molecules(
    kernel: &KernelFile,
    data: &[PathBuf],
    val_fraction: f64,
    options: &SystemOptions,
) -> Result<Vec<ChartFrames>, TrainError> {
    if data.is_empty() {
        return Err(TrainError::Config("no training data given".into()));
    }
    if !(val_fraction > 0.0 && val_fraction < 1.0) {
        return Err(TrainError::Config(format!(
            "validation fraction {val_fraction} must lie in (0, 1)"
        )));
    }
    let mut molecules: Vec<(MoleculeIdentity, ChartFrames)> = Vec::new();
    for dir in data {
        let found = find_trajectories(dir).map_err(DataError::Mol)?;
        for (d, name) in found {
            let origin = d.join(&name).display().to_string();
            let (pdb, arrays) = read_traj(&d, &name).map_err(DataError::Mol)?;
            let identity = MoleculeIdentity::of(&pdb.topology);
            let m = match molecules.iter().position(|(id, _)| *id == identity) {
                Some(m) => m,
                None => {
                    let fitted = kernel
                        .for_molecule(&pdb.topology, &origin)
                        .map_err(|e| TrainError::Config(e.to_string()))?;
                    let system = ForceField::amber14()
                        .create_system(&pdb.topology, options)
                        .map_err(|e| TrainError::ForceField {
                            peptide: identity.sequence(),
                            path: d.clone(),
                            detail: e.to_string(),
                        })?;
                    molecules.push((
                        identity,
                        ChartFrames {
                            name: name.clone(),
                            topology: pdb.topology,
                            system,
                            kernel: fitted,
                            train: Vec::new(),
                            val: Vec::new(),
                            sources: Vec::new(),
                        },
                    ));
                    molecules.len() - 1
                }
            };
            let mol = &mut molecules[m].1;
            let zm = &mol.kernel.zmatrix;
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
                    mol.train.push(q)
                } else {
                    mol.val.push(q)
                }
            }
            mol.sources.push(origin);
        }
    }
    for (_, m) in &molecules {
        if m.train.is_empty() || m.val.is_empty() {
            return Err(TrainError::Config(format!(
                "{}: {} training and {} validation frames: too few to train on",
                m.name,
                m.train.len(),
                m.val.len()
            )));
        }
    }
    Ok(molecules.into_iter().map(|(_, m)| m).collect())
}
