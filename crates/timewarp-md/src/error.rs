//! Errors of the MD engine. Each names the step, replica or file at fault.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum MdError {
    /// Inconsistent or out-of-range settings.
    #[error("invalid MD configuration: {0}")]
    Config(String),
    /// The minimiser could not start.
    #[error("energy minimisation failed: {0}")]
    Minimization(String),
    /// Non-finite or absurd energy or coordinates during dynamics.
    #[error("simulation blew up in replica {replica} at step {step}: {what}")]
    BlowUp {
        replica: usize,
        step: u64,
        what: String,
    },
    /// Reading or writing a file.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A checkpoint that cannot be used to resume.
    #[error("checkpoint {}: {reason}", path.display())]
    Checkpoint { path: PathBuf, reason: String },
    /// A data-set manifest that cannot be read or does not match the request.
    #[error("data-set manifest {}: {reason}", path.display())]
    Manifest { path: PathBuf, reason: String },
    /// A molecule or trajectory file error from timewarp-mol.
    #[error(transparent)]
    Mol(#[from] timewarp_mol::MolError),
    /// The force field cannot parameterise the structure.
    #[error(transparent)]
    ForceField(#[from] timewarp_ff::FfError),
    /// The output folder is locked, holds something else, or cannot be written.
    #[error(transparent)]
    Folder(#[from] timewarp_rundir::RunDirError),
}

impl MdError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        MdError::Io {
            path: path.into(),
            source,
        }
    }
}
