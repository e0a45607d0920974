//! Force-field energies for the acceptance loss.
//!
//! The acceptance loss needs the reduced potential energy u(y) = U(y)/k_BT of the flow's
//! proposals and its gradient ∇u = −F(y)/k_BT, which our force field computes analytically.
//! [`EnergyBridge`] evaluates them for every molecule of a padded batch (in parallel with
//! rayon) and returns the gradient in the padded [B, N, 3] layout of the batch, zero in padding
//! slots. The loss then uses the straight-through surrogate (see [`crate::loss`]).

use crate::dataset::TrajectoryInfo;
use crate::error::TrainError;
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;
use timewarp_ff::{ForceField, Potential, SystemOptions};

/// Boltzmann constant in kJ/mol/K: the force field's [`timewarp_ff::constants::BOLTZ`], under
/// the name this crate's callers use (one value per physical quantity).
pub use timewarp_ff::constants::BOLTZ as BOLTZMANN_KJ_PER_MOL_K;

/// Reduced energies and their gradients for a batch.
#[derive(Debug, Clone, Default)]
pub struct ReducedEnergies {
    /// u_b = U(y_b)/k_BT per molecule, [B] (non-finite when the force field fails).
    pub energy: Vec<f64>,
    /// ∇u = −F/k_BT in nm⁻¹, [B·N·3], zero in padding slots and for non-finite molecules.
    pub gradient: Vec<f32>,
}

/// One potential per trajectory of the data set, built lazily from the trajectory's topology.
pub struct EnergyBridge {
    kt: f64,
    options: SystemOptions,
    /// Per trajectory; trajectories of the same peptide (name, atom count) share one.
    potentials: Vec<Option<Arc<dyn Potential + Send + Sync>>>,
    by_peptide: HashMap<(String, usize), Arc<dyn Potential + Send + Sync>>,
}

impl EnergyBridge {
    /// A bridge at `temperature_k` using the amber14 force field with `options` (default: the
    /// Timewarp protocol, GB-OBC1 and a 2 nm cutoff).
    pub fn new(n_trajectories: usize, temperature_k: f64, options: SystemOptions) -> Self {
        EnergyBridge {
            kt: BOLTZMANN_KJ_PER_MOL_K * temperature_k,
            options,
            potentials: vec![None; n_trajectories],
            by_peptide: HashMap::new(),
        }
    }

    /// A bridge with given potentials, one per trajectory (tests, custom potentials).
    pub fn with_potentials(
        potentials: Vec<Arc<dyn Potential + Send + Sync>>,
        temperature_k: f64,
    ) -> Self {
        EnergyBridge {
            kt: BOLTZMANN_KJ_PER_MOL_K * temperature_k,
            options: SystemOptions::default(),
            potentials: potentials.into_iter().map(Some).collect(),
            by_peptide: HashMap::new(),
        }
    }

    /// k_BT in kJ/mol.
    pub fn kt(&self) -> f64 {
        self.kt
    }

    /// Builds (once) the potential of trajectory `t`.
    fn potential(
        &mut self,
        t: usize,
        info: &TrajectoryInfo,
    ) -> Result<Arc<dyn Potential + Send + Sync>, TrainError> {
        if let Some(p) = &self.potentials[t] {
            return Ok(p.clone());
        }
        let key = (info.name.clone(), info.n_atoms);
        let p = match self.by_peptide.get(&key) {
            Some(p) => p.clone(),
            None => {
                let state0 = info.state0.clone().ok_or_else(|| {
                    TrainError::Config(format!(
                        "the acceptance loss needs a topology for {}, which was given without one",
                        info.origin()
                    ))
                })?;
                let fail = |detail: String| TrainError::ForceField {
                    peptide: info.name.clone(),
                    path: state0.clone(),
                    detail,
                };
                let top =
                    crate::dataset::read_topology(&state0).map_err(|e| fail(e.to_string()))?;
                let system = ForceField::amber14()
                    .create_system(&top, &self.options)
                    .map_err(|e| fail(e.to_string()))?;
                let p: Arc<dyn Potential + Send + Sync> = Arc::new(system);
                self.by_peptide.insert(key, p.clone());
                p
            }
        };
        if p.n_atoms() != info.n_atoms {
            return Err(TrainError::ForceField {
                peptide: info.name.clone(),
                path: info.state0.clone().unwrap_or_default(),
                detail: format!(
                    "the potential has {} atoms, the trajectory {}",
                    p.n_atoms(),
                    info.n_atoms
                ),
            });
        }
        self.potentials[t] = Some(p.clone());
        Ok(p)
    }

    /// u(y_b) and ∇u(y_b) for every molecule b of a padded batch: `coords` [B·N·3] in nm,
    /// `n_atoms[b]` real atoms of trajectory `traj[b]`.
    pub fn evaluate(
        &mut self,
        infos: &[TrajectoryInfo],
        traj: &[u32],
        n_atoms: &[usize],
        n_max: usize,
        coords: &[f32],
    ) -> Result<ReducedEnergies, TrainError> {
        let potentials = traj
            .iter()
            .map(|&t| self.potential(t as usize, &infos[t as usize]))
            .collect::<Result<Vec<_>, _>>()?;
        let kt = self.kt;
        let mut gradient = vec![0f32; coords.len()];
        let energy: Vec<f64> = gradient
            .par_chunks_mut(n_max * 3)
            .zip(potentials.par_iter())
            .enumerate()
            .map(|(b, (grad, pot))| {
                let n = n_atoms[b];
                let pos: Vec<[f64; 3]> = coords[b * n_max * 3..(b * n_max + n) * 3]
                    .chunks_exact(3)
                    .map(|p| [p[0] as f64, p[1] as f64, p[2] as f64])
                    .collect();
                if pos.iter().flatten().any(|v| !v.is_finite()) {
                    return f64::NAN;
                }
                let mut forces = vec![[0.0; 3]; n];
                let u = pot.energy_forces(&pos, &mut forces) / kt;
                // The loss is computed in f32: a near-clash whose energy or forces are finite in
                // f64 but overflow f32 would turn the loss or its gradient into ∞; such a
                // molecule counts as failed (left out of the loss, like a non-finite energy).
                if !(u as f32).is_finite() {
                    return f64::NAN;
                }
                for (g, f) in grad.chunks_exact_mut(3).zip(&forces) {
                    for k in 0..3 {
                        g[k] = (-f[k] / kt) as f32;
                    }
                }
                if grad.iter().any(|g| !g.is_finite()) {
                    grad.fill(0.0);
                    return f64::NAN;
                }
                u
            })
            .collect();
        Ok(ReducedEnergies { energy, gradient })
    }
}
