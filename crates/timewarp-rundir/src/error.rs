//! Errors of the run-folder owner; every variant names the file or folder at fault.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RunDirError {
    /// An operating-system error on `path` (the message includes the error, not as a source, so
    /// that chains printed by the CLI do not repeat it).
    #[error("{path}: {err}")]
    Io { path: PathBuf, err: std::io::Error },
    #[error("{path}: {message}")]
    Json { path: PathBuf, message: String },
    /// Another process holds the folder.
    #[error("{dir} is in use by another timewarp process (pid {pid}, `{command}`, since {since}); wait for it to finish or choose another folder")]
    Locked {
        dir: PathBuf,
        pid: u32,
        command: String,
        since: String,
    },
    /// The folder holds something this command must not touch.
    #[error("{dir}: {message}")]
    Refused { dir: PathBuf, message: String },
}

impl RunDirError {
    pub fn io(path: impl Into<PathBuf>, err: std::io::Error) -> Self {
        RunDirError::Io {
            path: path.into(),
            err,
        }
    }
}
