//! Time in a data set: how far apart its saved frames are in physical time, and the x axis of
//! its time-series figures. An MD frame and an MCMC step are different units: MD frames are
//! `save_every · dt` of simulated time apart (NPZ `time`, ps); a Timewarp chain step stands for
//! the model's lag τ (NPZ `time` = step · τ when τ is known, else the bare step counter). Times
//! are only compared where both are known.

use crate::dataset::{RunInfo, Trajectory};
use crate::units::format_ps;
use serde_json::Value;
use timewarp_rundir::RunRecord;

/// Whether a data set is MD: by its run.json command, or (no run.json) by being the reference.
pub(super) fn is_md(run: Option<&RunInfo>, is_reference: bool) -> bool {
    match run {
        Some(r) => r.command == "md",
        None => is_reference,
    }
}

/// The first number stored under `key` anywhere in `v` (settings are nested per command, e.g.
/// `{"sample": {"tau_ps": 0.5}}`).
pub(super) fn find_number(v: &Value, key: &str) -> Option<f64> {
    match v {
        Value::Object(m) => m
            .get(key)
            .and_then(Value::as_f64)
            .or_else(|| m.values().find_map(|x| find_number(x, key))),
        Value::Array(a) => a.iter().find_map(|x| find_number(x, key)),
        _ => None,
    }
}

/// NPZ `time` of `t` holds physical time: always for MD; for a chain when the run recorded its
/// τ, or when `time` is not just the step counter (which is what a chain without τ writes).
fn time_is_physical(t: &Trajectory, md: bool, record: Option<&RunRecord>) -> bool {
    let n = t.n_frames();
    if t.time.len() != n {
        return false;
    }
    if md || record.is_some_and(|r| find_number(&r.settings, "tau_ps").is_some()) {
        return true;
    }
    t.step.len() == n
        && t.time
            .iter()
            .zip(&t.step)
            .any(|(time, &step)| (time - step as f64).abs() > 1e-9)
}

/// Physical time between saved frames of `t` (ps) when its `time` is physical and evenly
/// spaced (to 10⁻⁶ relative); `None` for logarithmic MD spacing, unknown τ or < 2 frames.
pub(super) fn frame_interval_ps(
    t: &Trajectory,
    md: bool,
    record: Option<&RunRecord>,
) -> Option<f64> {
    if !time_is_physical(t, md, record) || t.time.len() < 2 {
        return None;
    }
    let d0 = t.time[1] - t.time[0];
    let even = t
        .time
        .windows(2)
        .all(|w| ((w[1] - w[0]) - d0).abs() <= 1e-6 * d0.abs());
    (d0 > 0.0 && d0.is_finite() && even).then_some(d0)
}

/// Physical time of one chain step (τ, ps): from the run record, else from NPZ `time`/`step`.
fn step_ps(t: &Trajectory, record: Option<&RunRecord>) -> Option<f64> {
    if let Some(tau) = record.and_then(|r| find_number(&r.settings, "tau_ps")) {
        return Some(tau);
    }
    if !time_is_physical(t, false, record) || t.step.len() < 2 {
        return None;
    }
    let (n, first) = (t.step.len() - 1, 0);
    let steps = (t.step[n] - t.step[first]) as f64;
    (steps > 0.0).then(|| (t.time[n] - t.time[first]) / steps)
}

/// What the x axis of a time-series figure is for one data set.
#[derive(Clone)]
pub(super) struct Clock {
    /// Axis label with unit.
    pub(super) desc: String,
    /// x of every frame of the first trajectory.
    pub(super) x: Vec<f64>,
}

impl Clock {
    /// MD is plotted against simulated time in ns (NPZ `time`, stored in ps); chains against
    /// their step counter (NPZ `step`), with the physical time of a step (τ) in the label when
    /// known: a saved MD frame and an MCMC step are different units and the figure does not
    /// pretend otherwise. Frame indices where the arrays are missing.
    pub(super) fn of(
        t: &Trajectory,
        run: Option<&RunInfo>,
        record: Option<&RunRecord>,
        is_reference: bool,
    ) -> Clock {
        let n = t.n_frames();
        let frames = |desc: &str| Clock {
            desc: desc.to_string(),
            x: (0..n).map(|i| i as f64).collect(),
        };
        if is_md(run, is_reference) {
            return match t.time.len() == n {
                true => Clock {
                    desc: "MD time / ns".to_string(),
                    x: t.time.iter().map(|ps| ps / 1000.0).collect(),
                },
                false => frames("MD frame"),
            };
        }
        let unit = match run.map(|r| r.command.as_str()) {
            Some("sample") => "MCMC step",
            Some("explore") => "exploration step",
            _ => "step (NPZ `step`)",
        };
        let desc = match step_ps(t, record) {
            Some(tau) => format!("{unit} (1 step = τ = {})", format_ps(tau)),
            None => format!("{unit} (τ unknown)"),
        };
        match t.step.len() == n {
            true => Clock {
                desc,
                x: t.step.iter().map(|&s| s as f64).collect(),
            },
            false => frames("saved frame"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_found_in_nested_settings() {
        let v = serde_json::json!({"sample": {"chain": {"tau_ps": 0.5}}, "proposal": {}});
        assert_eq!(find_number(&v, "tau_ps"), Some(0.5));
        assert_eq!(find_number(&v, "dt_fs"), None);
    }
}
