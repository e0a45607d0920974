//! Errors of the samplers. Every variant names the file, chain, step or atom at fault.

use std::path::PathBuf;

/// Everything that can stop `timewarp sample` / `timewarp explore`.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Json { path: PathBuf, message: String },
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Molecule(#[from] timewarp_mol::MolError),
    #[error(transparent)]
    ForceField(#[from] timewarp_ff::FfError),
    #[error("model: {0}")]
    Model(String),
    /// A fitted internal-coordinate kernel that cannot be fitted, read or used.
    #[error("fitted kernel: {0}")]
    Kernel(String),
    #[error(
        "the starting structure has a non-finite potential energy ({energy} kJ/mol); \
         minimise it or check {what}"
    )]
    NonFiniteStart { energy: f64, what: String },
    #[error("chain {chain}, step {step}: non-finite {what}")]
    NonFinite {
        chain: usize,
        step: u64,
        what: String,
    },
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// The output folder is locked, holds something else, or cannot be written.
    #[error(transparent)]
    Folder(#[from] timewarp_rundir::RunDirError),
    #[error("cannot resume from {path}: {message}")]
    Resume { path: PathBuf, message: String },
}

impl SampleError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SampleError::Io {
            path: path.into(),
            source,
        }
    }
}
