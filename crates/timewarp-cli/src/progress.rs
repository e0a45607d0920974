//! Progress bars with rate and ETA for long work; `--quiet` turns them off.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar driven by the libraries' `(done, total)` callbacks.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// `unit` names what is counted ("steps", "pairs", "iterations").
    pub fn new(label: &str, unit: &str, quiet: bool) -> Self {
        let bar = ProgressBar::new(0);
        if quiet {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        let template = format!(
            "{label:>8} [{{elapsed_precise}}] {{wide_bar:.cyan/blue}} {{human_pos}}/{{human_len}} {unit} \
             ({{per_sec}}, ETA {{eta}}) {{msg}}"
        );
        bar.set_style(ProgressStyle::with_template(&template).expect("valid template"));
        Progress { bar }
    }

    /// Callback for library functions: sets position and length.
    pub fn callback(&self) -> impl Fn(u64, u64) + Sync + '_ {
        move |done, total| {
            if self.bar.length() != Some(total) {
                self.bar.set_length(total);
            }
            self.bar.set_position(done);
        }
    }

    /// Prints a line to stdout with the bar cleared first (plain `println!` would be overdrawn
    /// by it).
    pub fn println(&self, line: &str) {
        self.bar.suspend(|| println!("{line}"));
    }

    pub fn finish(&self) {
        self.bar.finish();
    }
}
