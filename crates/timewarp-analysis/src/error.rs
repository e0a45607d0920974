//! Errors of the analysis crate. Each names the file, residue, atom or frame at fault.

use std::path::PathBuf;

/// Everything that can go wrong while analysing trajectories and writing a report.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: invalid JSON: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{dir}: no trajectory found (expected `<name>-traj-arrays.npz` next to `<name>-traj-state0.pdb`)")]
    NoTrajectory { dir: PathBuf },
    #[error("{path}: missing topology file `{expected}` for this trajectory")]
    MissingTopology { path: PathBuf, expected: PathBuf },
    #[error("{path}: could not read molecule or trajectory: {message}")]
    Mol { path: PathBuf, message: String },
    #[error("{path}: {found} atoms, but {expected_from} has {expected}")]
    AtomCountMismatch {
        path: PathBuf,
        found: usize,
        expected: usize,
        expected_from: PathBuf,
    },
    #[error("{path}: positions hold {len} values, not a multiple of 3 × {n_atoms} atoms")]
    BadShape {
        path: PathBuf,
        len: usize,
        n_atoms: usize,
    },
    #[error("{what}: non-finite value at frame {frame}")]
    NonFinite { what: String, frame: usize },
    #[error("{what}: {n_frames} frames are too few (need at least {needed})")]
    TooFewFrames {
        what: String,
        n_frames: usize,
        needed: usize,
    },
    #[error("{0}")]
    Topology(String),
    #[error("TICA: {0}")]
    Tica(String),
    #[error("plot `{name}`: {message}")]
    Plot { name: String, message: String },
    #[error("invalid option: {0}")]
    Options(String),
}

impl AnalysisError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        AnalysisError::Io {
            path: path.into(),
            source,
        }
    }
}
