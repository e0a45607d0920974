//! Section "provenance": where each input came from, read from its run.json
//! (`timewarp_rundir::RunRecord`: command, version, settings, inputs, summary), and what made
//! the report (this crate's version, the date).

use super::clock::find_number;
use super::metrics::{InputProvenance, Provenance};
use super::series::Series;
use serde_json::Value;
use std::time::{SystemTime, UNIX_EPOCH};

/// The provenance of MD and every sample set, stamped with the tool version and now.
pub(super) fn provenance<'a>(series: impl Iterator<Item = &'a Series>) -> Provenance {
    Provenance {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        generated_utc: utc_now(),
        inputs: series.map(input_provenance).collect(),
    }
}

fn input_provenance(s: &Series) -> InputProvenance {
    let record = s.record.as_ref();
    let summary = record.map(|r| &r.summary);
    let settings = record.map(|r| &r.settings);
    let number = |key: &str| {
        settings
            .and_then(|v| find_number(v, key))
            .or_else(|| summary.and_then(|v| find_number(v, key)))
    };
    InputProvenance {
        label: s.label.clone(),
        dir: s.dir.clone(),
        command: record.map(|r| r.command.clone()),
        version: record.map(|r| r.version.clone()),
        completed: record.map(|r| r.completed),
        temperature_k: number("temperature_k"),
        simulated_ns: simulated_ns(s),
        ns_per_day: summary
            .and_then(|v| v.get("ns_per_day"))
            .and_then(Value::as_f64),
        proposal: record.and_then(|r| {
            r.inputs
                .iter()
                .find(|i| i.role == "proposal" || i.role == "model")
                .map(|i| i.path.display().to_string())
        }),
        settings: settings.cloned().unwrap_or(Value::Null),
    }
}

/// Simulated time in ns. MD: production steps × dt × replicas from the record (burn-in is not
/// saved and not counted). A chain: steps × τ × chains. Otherwise, with evenly spaced frames,
/// frames × frame interval (the saved span).
fn simulated_ns(s: &Series) -> Option<f64> {
    let from_record = s.record.as_ref().and_then(|r| {
        let steps = find_number(&r.summary, "steps")?;
        let step_ps = match r.command.as_str() {
            "md" => find_number(&r.settings, "dt_fs")? / 1000.0,
            _ => find_number(&r.settings, "tau_ps")?,
        };
        let copies = r
            .summary
            .get("replicas")
            .and_then(Value::as_array)
            .map(Vec::len)
            .or_else(|| find_number(&r.summary, "chains").map(|c| c as usize))
            .unwrap_or(1)
            .max(1);
        Some(steps * step_ps * copies as f64 / 1000.0)
    });
    from_record.or_else(|| {
        s.frame_interval_ps
            .map(|dt| s.n_frames() as f64 * dt / 1000.0)
    })
}

/// The current time, UTC, as `YYYY-MM-DD HH:MM:SS UTC`.
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc_string(secs)
}

/// Seconds since 1970-01-01 UTC as a calendar date and time (proleptic Gregorian; the
/// days-to-civil algorithm of H. Hinnant, `chrono`'s `civil_from_days`).
fn utc_string(secs: u64) -> String {
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::utc_string;

    #[test]
    fn calendar_dates_of_known_instants() {
        assert_eq!(utc_string(0), "1970-01-01 00:00:00 UTC");
        // 2000-02-29 (a leap day of a century leap year) 12:34:56.
        assert_eq!(utc_string(951_827_696), "2000-02-29 12:34:56 UTC");
        assert_eq!(utc_string(1_798_761_599), "2026-12-31 23:59:59 UTC");
    }
}
