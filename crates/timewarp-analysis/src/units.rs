//! Units of the report: durations are stored in ps and shown in the unit that suits them.

/// A duration in ps written in the unit that suits it (fs, ps, ns, µs), three significant
/// digits.
pub fn format_ps(ps: f64) -> String {
    let (v, unit) = match ps.abs() {
        a if a >= 1e6 => (ps / 1e6, "µs"),
        a if a >= 1e3 => (ps / 1e3, "ns"),
        a if a >= 1.0 || a == 0.0 => (ps, "ps"),
        _ => (ps * 1e3, "fs"),
    };
    let digits = match v.abs() {
        a if a >= 100.0 => 0,
        a if a >= 10.0 => 1,
        _ => 2,
    };
    format!("{v:.digits$} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_the_unit_that_suits_them() {
        assert_eq!(format_ps(0.5), "500 fs");
        assert_eq!(format_ps(2.0), "2.00 ps");
        assert_eq!(format_ps(1500.0), "1.50 ns");
        assert_eq!(format_ps(3.0e6), "3.00 µs");
        assert_eq!(format_ps(0.0), "0.00 ps");
    }
}
