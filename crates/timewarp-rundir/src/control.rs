//! How a long command runs: continue from a checkpoint or start fresh, report progress, and
//! optionally stop early (after a number of units of work) with a checkpoint written.

/// `progress(done, total)` in the command's units (MD steps, chain steps, optimiser steps).
pub type Progress<'a> = dyn Fn(u64, u64) + Sync + 'a;

/// `status(name, value)`: a live figure of the work for progress displays, e.g.
/// `("loss", 1.23)` of a training run or `("acceptance", 0.23)` (a fraction) of a chain.
pub type Status<'a> = dyn Fn(&str, f64) + Sync + 'a;

/// Run control shared by every resumable command.
pub struct RunControl<'a> {
    /// Continue from the folder's checkpoint if there is one (else start fresh).
    pub resume: bool,
    pub progress: &'a Progress<'a>,
    /// Live figures of the work (loss, acceptance), reported as often as progress or less.
    pub status: &'a Status<'a>,
    /// Stop after this many units of work in this invocation (checkpoint written); `None`: run
    /// to the end. Used to split long runs into jobs and by the kill-and-resume tests.
    pub stop_after: Option<u64>,
    /// Files to write into the output folder once it is open (locked and inspected), before the
    /// work starts: e.g. the CLI's `config.toml`. A refused run writes none of them.
    pub files: Vec<(String, Vec<u8>)>,
}

impl Default for RunControl<'_> {
    fn default() -> Self {
        RunControl {
            resume: false,
            progress: &|_, _| {},
            status: &|_, _| {},
            stop_after: None,
            files: Vec::new(),
        }
    }
}

impl<'a> RunControl<'a> {
    pub fn new(resume: bool, progress: &'a Progress<'a>) -> Self {
        RunControl {
            resume,
            progress,
            status: &|_, _| {},
            stop_after: None,
            files: Vec::new(),
        }
    }

    /// With `status` receiving the live figures of the work.
    pub fn with_status(mut self, status: &'a Status<'a>) -> Self {
        self.status = status;
        self
    }

    /// With `name` written into the folder after it is opened.
    pub fn with_file(mut self, name: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.files.push((name.to_string(), bytes.into()));
        self
    }
}
