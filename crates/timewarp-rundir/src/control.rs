//! How a long command runs: continue from a checkpoint or start fresh, report progress, and
//! optionally stop early (after a number of units of work) with a checkpoint written.

/// `progress(done, total)` in the command's units (MD steps, chain steps, optimiser steps).
pub type Progress<'a> = dyn Fn(u64, u64) + Sync + 'a;

/// Run control shared by every resumable command.
pub struct RunControl<'a> {
    /// Continue from the folder's checkpoint if there is one (else start fresh).
    pub resume: bool,
    pub progress: &'a Progress<'a>,
    /// Stop after this many units of work in this invocation (checkpoint written); `None`: run
    /// to the end. Used to split long runs into jobs and by the kill-and-resume tests.
    pub stop_after: Option<u64>,
    /// Files to write into the output folder once it is open (locked and inspected), before the
    /// work starts: e.g. the CLI's `config.toml`. A refused run writes none of them.
    pub files: Vec<(String, Vec<u8>)>,
}

impl Default for RunControl<'_> {
    fn default() -> Self {
        RunControl { resume: false, progress: &|_, _| {}, stop_after: None, files: Vec::new() }
    }
}

impl<'a> RunControl<'a> {
    pub fn new(resume: bool, progress: &'a Progress<'a>) -> Self {
        RunControl { resume, progress, stop_after: None, files: Vec::new() }
    }

    /// With `name` written into the folder after it is opened.
    pub fn with_file(mut self, name: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.files.push((name.to_string(), bytes.into()));
        self
    }
}
