//! The owner of everything a timewarp command writes into its output folder.
//!
//! - [`atomic`]: durable atomic replacement of a file (temporary file in the same folder, fsync
//!   of the file and the folder, clean-up on failure) — the one way any crate writes a file that
//!   must survive a kill whole.
//! - [`lock`]: an exclusive lock on an output folder, held for the whole command; a second
//!   writer is refused with the holder's pid and command, a lock left by a killed process is
//!   taken over.
//! - [`record`]: the run record `run.json` — command, settings and the identity of the inputs,
//!   their fingerprint, completion, wall time and the command's own summary — and
//!   [`record::inspect`], which decides whether a folder is new, resumable or refused *before*
//!   anything is written.
//! - [`layout`]: the trajectory files (`<name>-traj-state0.pdb`, `<name>-traj-arrays.npz`, …)
//!   and where they are found.
//! - [`rng`]: the exact state of a ChaCha8 random stream, for checkpoints.
//! - [`control`]: how a long command runs (resume or not, progress, stop early).
//! - [`session`]: a command's hold on its folder from start to finish (lock, inspection, the
//!   record at start and at the end).
//!
//! Every command follows one order: validate flags and inputs → [`Session::open`] (lock, then
//! inspect) → only then write.

pub mod atomic;
pub mod control;
mod error;
pub mod layout;
pub mod lock;
pub mod record;
pub mod rng;
pub mod session;

pub use atomic::{
    find_replaced_dir, read_json, replace_dir_atomic, write_atomic, write_atomic_with,
    write_json_atomic, write_json_gz_atomic,
};
pub use control::RunControl;
pub use error::RunDirError;
pub use layout::{LayoutError, TrajectoryFiles};
pub use lock::FolderLock;
pub use record::{inspect, Fingerprint, FolderState, InputIdentity, RunRecord, RUN_JSON};
pub use rng::RngState;
pub use session::Session;
