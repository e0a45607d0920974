//! Pairs padded into one batch on the host, in the official dense layout the flow reads.

use super::pairs::{PairDataset, PairRef};
use crate::error::DataError;

/// A padded batch on the host, f32, in the official dense layout: real atoms first, padded
/// slots with atom type 0 and zero coordinates.
#[derive(Debug, Clone, Default)]
pub struct PairBatch {
    pub n_max: usize,
    /// Real atoms of each example.
    pub n_atoms: Vec<usize>,
    /// Trajectory index of each example.
    pub traj: Vec<u32>,
    /// [B·N] flow vocabulary indices.
    pub atom_types: Vec<i64>,
    /// [B·N·3] x^p(t) in nm.
    pub x_coords: Vec<f32>,
    /// [B·N·3] x^p(t+τ) in nm.
    pub y_coords: Vec<f32>,
    /// [B·N·3] auxiliary velocities of x(t) (filled by the augmentation).
    pub x_velocs: Vec<f32>,
    /// [B·N·3] auxiliary velocities of x(t+τ).
    pub y_velocs: Vec<f32>,
}

impl PairBatch {
    /// A zeroed batch of `batch` examples with `n_max` atom slots each.
    pub fn zeros(batch: usize, n_max: usize) -> Self {
        let mut b = PairBatch::default();
        b.reset(batch, n_max);
        b
    }

    /// Resizes and zeroes the buffers, keeping their allocations.
    pub fn reset(&mut self, batch: usize, n_max: usize) {
        self.n_max = n_max;
        self.n_atoms.clear();
        self.n_atoms.resize(batch, 0);
        self.traj.clear();
        self.traj.resize(batch, 0);
        for v in [
            &mut self.x_coords,
            &mut self.y_coords,
            &mut self.x_velocs,
            &mut self.y_velocs,
        ] {
            v.clear();
            v.resize(batch * n_max * 3, 0.0);
        }
        self.atom_types.clear();
        self.atom_types.resize(batch * n_max, 0);
    }

    pub fn batch_size(&self) -> usize {
        self.n_atoms.len()
    }

    /// Padding mask in the flow's convention: 1.0 for a real atom, 0.0 for padding, [B·N].
    pub fn real_mask(&self) -> Vec<f32> {
        let mut m = vec![0.0; self.batch_size() * self.n_max];
        for (b, &n) in self.n_atoms.iter().enumerate() {
            m[b * self.n_max..b * self.n_max + n].fill(1.0);
        }
        m
    }
}

impl PairDataset {
    /// Fills `out` with the pairs `refs`, padded to the largest molecule among them. Velocities
    /// are zeroed (the augmentation draws them).
    pub fn fill_batch(&mut self, refs: &[PairRef], out: &mut PairBatch) -> Result<(), DataError> {
        let n_max = refs
            .iter()
            .map(|r| self.trajectories[r.traj as usize].n_atoms)
            .max()
            .unwrap_or(0);
        out.reset(refs.len(), n_max);
        for (b, r) in refs.iter().enumerate() {
            let pos = self.positions(r.traj)?;
            let info = &self.trajectories[r.traj as usize];
            let n = info.n_atoms;
            out.n_atoms[b] = n;
            out.traj[b] = r.traj;
            out.atom_types[b * n_max..b * n_max + n].copy_from_slice(&info.atom_types);
            let (x0, y0) = (r.x as usize * n * 3, r.y as usize * n * 3);
            let slots = b * n_max * 3..(b * n_max + n) * 3;
            out.x_coords[slots.clone()].copy_from_slice(&pos[x0..x0 + n * 3]);
            out.y_coords[slots].copy_from_slice(&pos[y0..y0 + n * 3]);
        }
        Ok(())
    }
}
