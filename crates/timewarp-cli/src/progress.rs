//! Progress bars with rate and ETA for long work; `--quiet` turns them off.
//!
//! A bar shows the libraries' `(done, total)` progress, the rate with three significant digits
//! (`1.23k steps/s`, `4.0 s/step`), and, after it, a live figure the library reports through
//! [`timewarp_rundir::RunControl::status`] (the training loss, the running acceptance of a
//! chain) or a message of the command (the burn-in and production phases of MD).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Shortest interval between two redraws of a live figure.
pub const STATUS_INTERVAL_MS: u64 = 100;

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
            "{{prefix:>8}} [{{elapsed_precise}}] {{wide_bar:.cyan/blue}} {{human_pos}}/{{human_len}} {unit} \
             ({{rate}}, ETA {{eta}}) {{msg}}"
        );
        let unit = unit.to_string();
        let style = ProgressStyle::with_template(&template)
            .expect("valid template")
            .with_key(
                "rate",
                move |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = w.write_str(&format_rate(s.per_sec(), &unit));
                },
            );
        bar.set_style(style);
        bar.set_prefix(label.to_string());
        Progress { bar }
    }

    /// Whether the bar draws nothing (`--quiet`).
    pub fn is_hidden(&self) -> bool {
        self.bar.is_hidden()
    }

    /// Callback for library functions: sets position and length.
    pub fn callback(&self) -> impl Fn(u64, u64) + Sync + '_ {
        move |done, total| self.set(done, total)
    }

    /// Sets position and length.
    pub fn set(&self, done: u64, total: u64) {
        if self.bar.length() != Some(total) {
            self.bar.set_length(total);
        }
        self.bar.set_position(done);
    }

    /// Status callback for library functions ([`timewarp_rundir::RunControl::status`]): shows
    /// the named figure after the bar, e.g. `loss 1.234` or `acceptance 23.4%`.
    ///
    /// Chains report once per iteration (thousands per second with a fitted kernel), so the
    /// text is formatted at most every [`STATUS_INTERVAL_MS`] and not at all when the bar is
    /// hidden.
    pub fn status_callback(&self) -> impl Fn(&str, f64) + Sync + '_ {
        let start = Instant::now();
        // Milliseconds since `start` of the last redraw + 1 (0: never drawn).
        let drawn = AtomicU64::new(0);
        move |name, value| {
            if self.bar.is_hidden() {
                return;
            }
            let now = start.elapsed().as_millis() as u64 + 1;
            let last = drawn.load(Ordering::Relaxed);
            if last != 0 && now < last + STATUS_INTERVAL_MS {
                return;
            }
            drawn.store(now, Ordering::Relaxed);
            self.bar.set_message(format_status(name, value))
        }
    }

    /// The label before the bar and the text after it, for work in phases (`burn-in`, `md`):
    /// both change when the label does.
    pub fn set_phase(&self, label: &str, message: impl FnOnce() -> String) {
        if self.bar.prefix() != label {
            self.bar.set_prefix(label.to_string());
            self.bar.set_message(message());
        }
    }

    /// The text after the bar.
    pub fn set_message(&self, message: impl Into<String>) {
        self.bar.set_message(message.into());
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

/// Three significant digits: `1.23`, `12.3`, `123`.
fn three_digits(v: f64) -> String {
    if v >= 99.95 {
        format!("{v:.0}")
    } else if v >= 9.995 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A rate with three significant digits and an SI prefix: `1.23k steps/s`, `45.6 steps/s`;
/// below one per second as time per unit (`4.00 s/step`), which is easier to read.
pub fn format_rate(per_sec: f64, unit: &str) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        return format!("– {unit}/s");
    }
    if per_sec < 1.0 {
        let one = unit
            .strip_suffix('s')
            .filter(|s| !s.is_empty())
            .unwrap_or(unit);
        let secs = 1.0 / per_sec;
        return if secs >= 1e4 {
            format!("{secs:.0} s/{one}")
        } else {
            format!("{} s/{one}", three_digits(secs))
        };
    }
    let mut v = per_sec;
    let mut prefix = "";
    for p in ["k", "M", "G", "T"] {
        // 999.96 rounds to "1000": switch to the next prefix there already
        if v < 999.95 {
            break;
        }
        v /= 1000.0;
        prefix = p;
    }
    format!("{}{prefix} {unit}/s", three_digits(v))
}

/// A live figure as shown after the bar: fractions named `acceptance…` in percent
/// (`acceptance 23.4%`), anything else with four significant digits (`loss 1.234`,
/// `loss -123.5`).
pub fn format_status(name: &str, value: f64) -> String {
    let mut s = String::from(name);
    if !value.is_finite() {
        let _ = write!(s, " {value}");
    } else if name.starts_with("acceptance") {
        let _ = write!(s, " {:.1}%", 100.0 * value);
    } else {
        let a = value.abs();
        let decimals = if a >= 1000.0 || a == 0.0 {
            0
        } else {
            (3 - a.log10().floor() as i32).clamp(0, 6) as usize
        };
        let _ = write!(s, " {value:.decimals$}");
    }
    s
}

/// A step count in groups of three digits, as the bar shows its position: `2,002,000`.
pub fn format_count(n: u64) -> String {
    indicatif::HumanCount(n).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_have_three_significant_digits() {
        assert_eq!(format_rate(1234.5678, "steps"), "1.23k steps/s");
        assert_eq!(format_rate(45.678, "steps"), "45.7 steps/s");
        assert_eq!(format_rate(999.99, "steps"), "1.00k steps/s");
        assert_eq!(format_rate(2.5e6, "pairs"), "2.50M pairs/s");
        assert_eq!(format_rate(0.25, "steps"), "4.00 s/step");
        assert_eq!(format_rate(0.0, "steps"), "– steps/s");
    }

    #[test]
    fn status_figures() {
        assert_eq!(format_status("loss", 1.234_567), "loss 1.235");
        assert_eq!(format_status("loss", -123.456), "loss -123.5");
        assert_eq!(format_status("acceptance", 0.234), "acceptance 23.4%");
        assert_eq!(format_count(2_002_000), "2,002,000");
        assert_eq!(format_count(61), "61");
    }
}
