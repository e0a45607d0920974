//! A trajectory: in memory as read from its files ([`Trajectory`]), and the small index entry
//! the data set keeps of it for the whole run ([`TrajectoryInfo`]). Only positions are kept:
//! the training replaces the MD velocities by auxiliary N(0, I) draws (see [`crate::augment`]).

use super::pairs::frame_pairs;
use crate::error::DataError;
use std::path::PathBuf;
use std::sync::Arc;
use timewarp_mol::Element;

/// A trajectory as loaded into memory: what the data set needs from the files.
#[derive(Debug, Clone)]
pub struct Trajectory {
    /// Peptide name (`<name>` of the official layout); replicas share it.
    pub name: String,
    pub elements: Vec<Element>,
    /// MD step number of each frame.
    pub steps: Vec<i64>,
    /// Positions in nm, frame-major, flat [T·N·3].
    pub positions: Vec<f32>,
}

impl Trajectory {
    pub fn n_atoms(&self) -> usize {
        self.elements.len()
    }
    pub fn n_frames(&self) -> usize {
        self.steps.len()
    }
}

/// Where a trajectory's positions come from.
#[derive(Debug, Clone)]
pub(super) enum Source {
    Files { arrays: PathBuf },
    Memory(Arc<Vec<f32>>),
}

/// Maps an element to the flow's atom-type vocabulary.
pub type AtomTyper = dyn Fn(Element) -> Option<i64> + Sync;

/// Per-trajectory metadata kept for the whole run (small).
#[derive(Debug, Clone)]
pub struct TrajectoryInfo {
    pub name: String,
    /// The topology file (`…-traj-state0.pdb`), needed by the acceptance loss; `None` for
    /// in-memory trajectories.
    pub state0: Option<PathBuf>,
    pub n_atoms: usize,
    pub n_frames: usize,
    pub elements: Vec<Element>,
    /// Flow vocabulary index of every atom.
    pub atom_types: Vec<i64>,
    /// MD step number of every frame.
    pub steps: Vec<i64>,
    /// Frame pairs (x, y) with `steps[y] = steps[x] + τ`.
    pub pairs: Vec<(u32, u32)>,
    pub(super) source: Source,
}

impl TrajectoryInfo {
    /// Indexes `t` (its positions already moved into `source`): atom types and pairs at lag
    /// `lag_steps`; `origin` names it in errors.
    pub(super) fn index(
        t: Trajectory,
        state0: Option<PathBuf>,
        source: Source,
        lag_steps: i64,
        atom_type: &AtomTyper,
        origin: &str,
    ) -> Result<Self, DataError> {
        let atom_types = t
            .elements
            .iter()
            .enumerate()
            .map(|(i, &e)| {
                atom_type(e).ok_or_else(|| DataError::UnknownElement {
                    origin: origin.to_string(),
                    atom: i + 1,
                    element: e.symbol().to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrajectoryInfo {
            n_atoms: t.n_atoms(),
            n_frames: t.n_frames(),
            pairs: frame_pairs(&t.steps, lag_steps),
            name: t.name,
            state0,
            elements: t.elements,
            atom_types,
            steps: t.steps,
            source,
        })
    }

    /// A human-readable origin for error messages.
    pub fn origin(&self) -> String {
        match &self.source {
            Source::Files { arrays } => arrays.display().to_string(),
            Source::Memory(_) => format!("in-memory trajectory '{}'", self.name),
        }
    }
}
