//! Crash-safe file replacement, through the workspace's one implementation
//! (`timewarp_rundir::write_atomic_with`: temporary file beside the target, fsync, rename, fsync
//! of the folder; a killed process leaves the old file or the new one, never a mix).

pub(crate) use timewarp_rundir::write_atomic_with as write_atomic;

impl From<timewarp_rundir::RunDirError> for crate::MolError {
    fn from(e: timewarp_rundir::RunDirError) -> Self {
        match e {
            timewarp_rundir::RunDirError::Io { path, err } => crate::MolError::Io { path, err },
            other => crate::MolError::Io {
                path: std::path::PathBuf::new(),
                err: std::io::Error::other(other.to_string()),
            },
        }
    }
}
