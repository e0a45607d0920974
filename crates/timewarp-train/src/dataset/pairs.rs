//! The index of all training pairs of a set of trajectories. It keeps only (trajectory,
//! frame x, frame y); a trajectory's positions are loaded when a batch needs them and kept in
//! the LRU cache.

use super::cache::PositionCache;
use super::files::{read_positions, read_trajectory, TrajectoryFiles};
use super::trajectory::{AtomTyper, Source, Trajectory, TrajectoryInfo};
use crate::error::DataError;
use std::collections::HashMap;
use std::sync::Arc;

/// One training example: frame `x` and frame `y` (τ later) of trajectory `traj`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairRef {
    pub traj: u32,
    pub x: u32,
    pub y: u32,
}

/// All frame pairs (i, j) with `step[j] = step[i] + τ`.
pub fn frame_pairs(steps: &[i64], lag_steps: i64) -> Vec<(u32, u32)> {
    let by_step: HashMap<i64, u32> = steps
        .iter()
        .enumerate()
        .map(|(i, &s)| (s, i as u32))
        .collect();
    steps
        .iter()
        .enumerate()
        .filter_map(|(i, &s)| by_step.get(&(s + lag_steps)).map(|&j| (i as u32, j)))
        .collect()
}

/// Index of all pairs of a set of trajectories, with on-demand loading of positions.
pub struct PairDataset {
    pub trajectories: Vec<TrajectoryInfo>,
    pub lag_steps: i64,
    cache: PositionCache,
}

impl PairDataset {
    /// Builds the index of `trajectory files` (see [`super::discover`]): reads each file once
    /// to find its pairs, then drops the positions (they are reloaded on demand).
    pub fn from_files(
        files: &[TrajectoryFiles],
        lag_steps: i64,
        atom_type: &AtomTyper,
        cache_bytes: usize,
    ) -> Result<Self, DataError> {
        let mut trajectories = Vec::with_capacity(files.len());
        let mut cache = PositionCache::new(cache_bytes);
        for (t, f) in files.iter().enumerate() {
            let mut traj = read_trajectory(f)?;
            let origin = f.arrays.display().to_string();
            let source = Source::Files {
                arrays: f.arrays.clone(),
            };
            // Keep the positions just read while the budget allows (no second read).
            let positions = Arc::new(std::mem::take(&mut traj.positions));
            if positions.len() * 4 <= cache_bytes {
                cache.insert(t as u32, positions);
            }
            let state0 = Some(f.state0.clone());
            trajectories.push(TrajectoryInfo::index(
                traj, state0, source, lag_steps, atom_type, &origin,
            )?);
        }
        cache.loads = 0;
        Ok(PairDataset {
            trajectories,
            lag_steps,
            cache,
        })
    }

    /// A data set of trajectories already in memory (synthetic data, tests, benchmarks).
    pub fn from_memory(
        trajs: Vec<Trajectory>,
        lag_steps: i64,
        atom_type: &AtomTyper,
    ) -> Result<Self, DataError> {
        let mut trajectories = Vec::with_capacity(trajs.len());
        for mut t in trajs {
            let n = t.n_atoms();
            if t.positions.len() != t.n_frames() * n * 3 {
                return Err(DataError::Shape {
                    origin: format!("in-memory trajectory '{}'", t.name),
                    detail: format!(
                        "{} position values for {} frames of {} atoms",
                        t.positions.len(),
                        t.n_frames(),
                        n
                    ),
                });
            }
            let origin = format!("in-memory trajectory '{}'", t.name);
            let source = Source::Memory(Arc::new(std::mem::take(&mut t.positions)));
            trajectories.push(TrajectoryInfo::index(
                t, None, source, lag_steps, atom_type, &origin,
            )?);
        }
        Ok(PairDataset {
            trajectories,
            lag_steps,
            cache: PositionCache::new(usize::MAX),
        })
    }

    /// Positions of trajectory `t`, loading it if it is not cached.
    pub fn positions(&mut self, t: u32) -> Result<Arc<Vec<f32>>, DataError> {
        let info = &self.trajectories[t as usize];
        match &info.source {
            Source::Memory(p) => Ok(p.clone()),
            Source::Files { arrays } => {
                if let Some(p) = self.cache.get(t) {
                    return Ok(p);
                }
                let p = Arc::new(read_positions(arrays, info.n_frames, info.n_atoms)?);
                self.cache.insert(t, p.clone());
                Ok(p)
            }
        }
    }

    /// Number of trajectory loads so far (cache misses), for diagnostics.
    pub fn loads(&self) -> u64 {
        self.cache.loads
    }
}
