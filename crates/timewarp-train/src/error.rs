//! Errors of the training crate. Every variant names the file, trajectory or setting at fault.

use std::path::PathBuf;
use thiserror::Error;

/// Problems with the training data.
#[derive(Debug, Error)]
pub enum DataError {
    /// Trajectory files missing or misnamed.
    #[error(transparent)]
    Layout(#[from] timewarp_rundir::LayoutError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A trajectory or structure file that cannot be read (the error names the file).
    #[error(transparent)]
    Mol(#[from] timewarp_mol::MolError),
    #[error("{origin}: {detail}")]
    Read { origin: String, detail: String },
    #[error("{origin}: inconsistent shapes: {detail}")]
    Shape { origin: String, detail: String },
    #[error("{origin}: atom {atom} is {element}, which the flow's atom vocabulary does not know")]
    UnknownElement {
        origin: String,
        atom: usize,
        element: String,
    },
    #[error(
        "a split by peptide needs at least two peptides, found {found}; use the time-block split"
    )]
    TooFewPeptides { found: usize },
    #[error(
        "no training pairs: no two frames are {lag} MD steps apart in the training part of the \
         data"
    )]
    NoTrainingPairs { lag: i64 },
    #[error(
        "no validation pairs: no two frames are {lag} MD steps apart in the validation part of \
         the data"
    )]
    NoValidationPairs { lag: i64 },
    #[error("invalid data setting: {0}")]
    Config(String),
}

/// Everything that can stop a training run.
#[derive(Debug, Error)]
pub enum TrainError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error("invalid training configuration: {0}")]
    Config(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("checkpoint {path}: {detail}")]
    Checkpoint { path: PathBuf, detail: String },
    #[error("force field for {peptide} ({path}): {detail}")]
    ForceField {
        peptide: String,
        path: PathBuf,
        detail: String,
    },
    #[error(
        "step {step}: the loss is not finite ({value}); lower the learning rate or enable \
         gradient clipping"
    )]
    NonFinite { step: u64, value: f64 },
    #[error("plot {path}: {detail}")]
    Plot { path: PathBuf, detail: String },
    /// The run folder is locked, holds something else, or cannot be written.
    #[error(transparent)]
    Folder(#[from] timewarp_rundir::RunDirError),
}

impl TrainError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> TrainError {
        let path = path.into();
        move |source| TrainError::Io { path, source }
    }
}

impl From<timewarp_rundir::LayoutError> for TrainError {
    fn from(e: timewarp_rundir::LayoutError) -> Self {
        TrainError::Data(e.into())
    }
}
