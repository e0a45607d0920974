//! A command's hold on its output folder from start to finish: the lock, the inspection, and
//! the run record written when the run starts and when it ends.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::atomic::write_atomic;
use crate::lock::FolderLock;
use crate::record::{inspect, FolderState, RunRecord};
use crate::RunDirError;

/// An open output folder. Dropping it without [`Session::finish`] leaves the record unfinished
/// (a later `--resume` continues the run) and releases the lock.
#[derive(Debug)]
pub struct Session {
    dir: PathBuf,
    _lock: FolderLock,
    record: RunRecord,
    state: FolderState,
    resume: bool,
    started: Instant,
}

impl Session {
    /// Locks `dir` for `record.command`, inspects it (see [`inspect`]) and, unless the run there
    /// is already complete, writes the starting record. `checkpointed`: whether the folder holds
    /// the command's own checkpoint (from a run killed before it wrote its record).
    pub fn open(
        dir: &Path,
        record: RunRecord,
        resume: bool,
        checkpointed: bool,
    ) -> Result<Session, RunDirError> {
        let lock = FolderLock::acquire(dir, &format!("timewarp {}", record.command))?;
        let state = inspect(dir, &record, resume, checkpointed)?;
        let record = match &state {
            FolderState::Complete(old) => old.clone(),
            FolderState::Resume(old) => {
                let mut r = record;
                r.wall_seconds = old.wall_seconds;
                r.write(dir)?;
                r
            }
            FolderState::New => {
                record.write(dir)?;
                record
            }
        };
        let resume = match &state {
            FolderState::Resume(_) => true,
            FolderState::New => resume && checkpointed,
            FolderState::Complete(_) => false,
        };
        Ok(Session {
            dir: dir.to_path_buf(),
            _lock: lock,
            record,
            state,
            resume,
            started: Instant::now(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the folder already holds the finished run (nothing to do).
    pub fn is_complete(&self) -> bool {
        matches!(self.state, FolderState::Complete(_))
    }

    /// Whether the command continues an earlier run from its checkpoint.
    pub fn resuming(&self) -> bool {
        self.resume
    }

    /// The record: the starting one, or the finished one of a complete folder.
    pub fn record(&self) -> &RunRecord {
        &self.record
    }

    /// Opens `dir` as [`Session::open`] does and writes the files of `control` into it.
    pub fn open_with(
        dir: &Path,
        record: RunRecord,
        control: &crate::RunControl<'_>,
        checkpointed: bool,
    ) -> Result<Session, RunDirError> {
        let s = Session::open(dir, record, control.resume, checkpointed)?;
        if !s.is_complete() {
            for (name, bytes) in &control.files {
                s.write_file(name, bytes)?;
            }
        }
        Ok(s)
    }

    /// Writes a file of the run into the folder (atomically).
    pub fn write_file(&self, name: &str, bytes: &[u8]) -> Result<(), RunDirError> {
        write_atomic(&self.dir.join(name), bytes)
    }

    /// Wall-clock seconds of earlier invocations plus this one so far.
    pub fn wall_seconds(&self) -> f64 {
        self.record.wall_seconds + self.started.elapsed().as_secs_f64()
    }

    /// Writes the finished record with the command's `summary`; returns it.
    pub fn finish<S: Serialize>(self, summary: &S) -> Result<RunRecord, RunDirError> {
        let wall = self.wall_seconds();
        let done = self.record.clone().finish(wall, summary)?;
        done.write(&self.dir)?;
        Ok(done)
    }
}
