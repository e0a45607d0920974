//! The self-contained `report.html`: a verdict banner with the automatic sampling checks, the
//! headline cards, metric tables, provenance and the figures as base64 PNG, no external
//! resources (the SVG versions sit next to it in `plots/` for papers). It reads the metric
//! types of [`crate::report::metrics`] and nothing else of the analysis.

use crate::basins::{Basin, Populations};
use crate::plots::Rendered;
use crate::report::metrics::{
    ess_is_trusted, DatasetMetrics, Metrics, Provenance, ResiduePopulations, TicaSummary,
    MIN_ACCEPTANCE, MIN_DISTINCT_STATES,
};
use crate::units::format_ps;
use base64::Engine;
use std::fmt::Write;

/// Escape text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn num(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(x) if x.is_finite() => {
            if x != 0.0 && (x.abs() >= 1e5 || x.abs() < 1e-3) {
                format!("{x:.*e}", digits.min(3))
            } else {
                format!("{x:.digits$}")
            }
        }
        Some(x) if x.is_infinite() => if x > 0.0 { "∞" } else { "−∞" }.to_string(),
        _ => "—".to_string(),
    }
}

/// An effective sample size, or "too small to estimate" below `min_ess` (the τ_int behind it
/// is then itself a guess).
fn ess_text(ess: Option<f64>, min_ess: f64) -> String {
    match ess {
        None => "—".to_string(),
        Some(e) if ess_is_trusted(Some(e), min_ess) => num(Some(e), 1),
        Some(_) => format!(
            "<span class=\"bad\">too small to estimate</span> (ESS &lt; {})",
            num(Some(min_ess), 0)
        ),
    }
}

/// A quantity built on ESS (ESS/s, speed-up): its number only when every ESS behind it is
/// trustworthy.
fn ess_based(v: Option<f64>, digits: usize, ess: &[Option<f64>], min_ess: f64) -> String {
    let trusted = ess.iter().all(|&e| ess_is_trusted(e, min_ess));
    match (v, trusted) {
        (Some(_), false) => {
            "<span class=\"bad\">not trustworthy</span> (ESS too small to estimate)".to_string()
        }
        _ => num(v, digits),
    }
}

/// A duration in ps in its unit, or a frame count with its unit when the time is unknown.
fn duration(ps: Option<f64>, frames: Option<f64>) -> String {
    match (ps, frames) {
        (Some(t), _) if t.is_finite() => format_ps(t),
        (_, Some(f)) => format!("{} frames", num(Some(f), 1)),
        _ => "—".to_string(),
    }
}

fn pct(v: f64) -> String {
    format!("{:.1} %", 100.0 * v)
}

/// A population in percent with its standard error, `12.3 ± 0.4 %`.
fn pct_err(v: f64, err: Option<f64>) -> String {
    match err {
        Some(e) if e.is_finite() => format!("{:.1} ± {:.1} %", 100.0 * v, 100.0 * e),
        _ => pct(v),
    }
}

/// A value with its standard error, or the value alone when the error is unknown.
fn num_err(v: Option<f64>, err: Option<f64>, digits: usize) -> String {
    match (v, err) {
        (Some(_), Some(e)) if e.is_finite() => {
            format!("{} ± {}", num(v, digits), num(Some(e), digits))
        }
        _ => num(v, digits),
    }
}

const STYLE: &str = r#"
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; margin: 2em auto; max-width: 1300px; color: #222; padding: 0 1em; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.8em; }
.sub { color: #666; margin-top: 0; }
.cards { display: flex; flex-wrap: wrap; gap: 1em; margin: 1.2em 0; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 0.8em 1.2em; min-width: 12em; background: #fafafa; }
.card .v { font-size: 1.6em; font-weight: bold; }
.card .k { color: #555; font-size: 0.9em; }
.good { color: #1a7f37; } .bad { color: #c62828; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { border: 1px solid #ddd; padding: 0.3em 0.7em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f0f0f0; }
.warn { background: #fff4e5; border-left: 4px solid #f0a020; padding: 0.5em 1em; margin: 0.4em 0; }
.verdict { border-radius: 6px; padding: 0.7em 1.2em; margin: 1em 0; border: 2px solid; }
.verdict.failed { background: #fdecea; border-color: #c62828; }
.verdict.passed { background: #edf7ed; border-color: #1a7f37; }
.verdict .head { font-size: 1.2em; font-weight: bold; }
.verdict ul { margin: 0.4em 0 0 0; padding-left: 1.2em; }
.card .note { color: #555; font-size: 0.8em; }
details pre { white-space: pre-wrap; word-break: break-all; font-size: 0.85em; }
@media (max-width: 600px) { body { margin: 0.5em auto; } .card { min-width: 8em; } }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
.methods { font-size: 0.9em; color: #444; }
.scroll { overflow-x: auto; }
code { background: #f3f3f3; padding: 0 0.2em; }
"#;

/// The whole page.
pub fn report_html(m: &Metrics, figures: &[Rendered], svg_written: bool) -> String {
    let mut h = String::new();
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Timewarp analysis</title><style>{STYLE}</style></head><body>"
    );
    let _ = write!(
        h,
        "<h1>Timewarp analysis</h1><p class=\"sub\">MD: <code>{}</code>",
        escape(&m.md.dir.display().to_string())
    );
    if m.comparisons.is_empty() {
        let _ = write!(
            h,
            " &nbsp;·&nbsp; samples: <code>{}</code>",
            escape(&m.samples.dir.display().to_string())
        );
    }
    for c in &m.comparisons {
        let _ = write!(
            h,
            " &nbsp;·&nbsp; {}: <code>{}</code>",
            escape(&c.label),
            escape(&c.dir.display().to_string())
        );
    }
    h.push_str("</p>\n");
    verdict_banner(&mut h, m);
    cards(&mut h, m);
    comparison_table(&mut h, m);
    datasets_table(&mut h, m);
    populations_table(&mut h, m);
    coverage_section(&mut h, m);
    if let Some(t) = &m.tica {
        tica_section(&mut h, t);
    }
    h.push_str("<h2>Figures</h2>\n");
    let b64 = base64::engine::general_purpose::STANDARD;
    for f in figures {
        let svg_link = if svg_written {
            format!(
                " (<a href=\"plots/{0}.svg\">SVG</a>, <a href=\"plots/{0}.png\">PNG</a>)",
                escape(&f.name)
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            h,
            "<figure><img alt=\"{0}\" src=\"data:image/png;base64,{1}\"><figcaption>{0}{2}</figcaption></figure>",
            escape(&f.title),
            b64.encode(&f.png),
            svg_link
        );
    }
    if let Some(p) = &m.provenance {
        provenance_section(&mut h, p);
    }
    methods(&mut h, m);
    h.push_str("</body></html>\n");
    h
}

fn cards(h: &mut String, m: &Metrics) {
    h.push_str("<div class=\"cards\">");
    let card = |h: &mut String, k: &str, v: String, class: &str| {
        let _ = write!(h, "<div class=\"card\"><div class=\"v {class}\">{v}</div><div class=\"k\">{k}</div></div>");
    };
    strict_speedup_card(h, m);
    card(
        h,
        "MH acceptance rate",
        m.acceptance_rate.map_or("—".into(), pct),
        "",
    );
    let mean_jsd = if m.jsd_phi_psi.is_empty() {
        None
    } else {
        Some(m.jsd_phi_psi.iter().sum::<f64>() / m.jsd_phi_psi.len() as f64)
    };
    card(h, "mean JSD of φ/ψ (nats, ≤ ln 2)", num(mean_jsd, 4), "");
    let (txt, class) = if m.coverage.missed_states || !m.coverage.missed_basins.is_empty() {
        ("yes", "bad")
    } else if m.coverage.max_min_distance.is_some() || !m.residues.is_empty() {
        ("none", "good")
    } else {
        ("—", "")
    };
    card(h, "missed metastable states", txt.to_string(), class);
    let b = &m.samples.bonds;
    card(
        h,
        "sample frames with a broken bond (>20 %)",
        pct(b.outlier_fraction),
        if b.frames_with_outlier > 0 {
            "bad"
        } else {
            "good"
        },
    );
    h.push_str("</div>\n");
}

/// The headline: the strict speed-up (official rule: ESS/s ratio on the ESS observable, 0 when
/// the samples miss a metastable state of MD), with the plain ratio beneath it. Built on an ESS
/// too small to estimate it is shown as not trustworthy.
fn strict_speedup_card(h: &mut String, m: &Metrics) {
    let obs = escape(m.ess_observable.as_deref().unwrap_or("—"));
    let ess = [m.md.ess.map(|e| e.ess), m.samples.ess.map(|e| e.ess)];
    let trusted = ess.iter().all(|&e| ess_is_trusted(e, m.min_ess));
    let value = m
        .speedup_official
        .map_or("—".into(), |s| format!("{}×", num(Some(s), 2)));
    let class = match m.speedup_official {
        Some(s) if s >= 1.0 && trusted && !m.sampling_failed => "good",
        Some(_) => "bad",
        None => "",
    };
    let trust = match trusted {
        true => String::new(),
        false => "<div class=\"note bad\">ESS too small to estimate: not trustworthy</div>".into(),
    };
    let _ = write!(
        h,
        "<div class=\"card\" id=\"strict-speedup\"><div class=\"v {class}\">{value}</div><div class=\"k\">strict speed-up (ESS/s on {obs}, model ÷ MD; 0 when a metastable state is missed)</div>{trust}<div class=\"note\">plain ESS/s ratio: {}×</div></div>",
        num(m.speedup, 2)
    );
}

/// The verdict at the top: did any automatic sampling check fail, and every warning.
fn verdict_banner(h: &mut String, m: &Metrics) {
    let (class, head) = match m.sampling_failed {
        true => (
            "failed",
            "Sampling failed: the numbers below do not measure the sampler",
        ),
        false => ("passed", "Sampling checks passed"),
    };
    let _ = write!(
        h,
        "<div class=\"verdict {class}\" id=\"verdict\"><div class=\"head\">{head}</div>"
    );
    if m.warnings.is_empty() {
        h.push_str("<p>No warnings. Checked: acceptance and distinct states of each chain, basins visited by MD and by the samples, ESS large enough to estimate.</p>");
    } else {
        h.push_str("<ul>");
        for w in &m.warnings {
            let _ = write!(h, "<li>{}</li>", escape(w));
        }
        h.push_str("</ul>");
    }
    h.push_str("</div>\n");
}

/// Label of the first sample set (the one of the top-level fields).
fn first_label(m: &Metrics) -> String {
    m.comparisons
        .first()
        .map_or_else(|| "samples".to_string(), |c| c.label.clone())
}

/// MD and every sample set side by side: the columns of `comparisons`, with ± standard errors.
fn comparison_table(h: &mut String, m: &Metrics) {
    if m.comparisons.is_empty() {
        return;
    }
    let obs = escape(m.ess_observable.as_deref().unwrap_or("—"));
    let residue = escape(m.residues.first().map_or("—", String::as_str));
    h.push_str("<h2>MD and the sample sets side by side</h2><div class=\"scroll\"><table><tr><th>data set</th><th>frames</th><th>wall time / s</th><th>MH acceptance</th>");
    let _ = write!(
        h,
        "<th>β↔αR transitions ({residue})</th><th>transitions / s</th><th>median accepted |Δφ| / |Δψ| (deg)</th><th>ESS/s of {obs}</th><th>speed-up</th><th>JSD φ/ψ (nats)</th><th>⟨U⟩ / kJ mol⁻¹</th>"
    );
    for b in Basin::ALL {
        let _ = write!(h, "<th>{} ({residue})</th>", b.key());
    }
    h.push_str("</tr>");
    let pops = |h: &mut String, p: &Populations, e: Option<&Populations>| {
        for b in Basin::ALL {
            let _ = write!(h, "<td>{}</td>", pct_err(p.get(b), e.map(|e| e.get(b))));
        }
    };
    let moves =
        |dphi: Option<f64>, dpsi: Option<f64>| format!("{} / {}", num(dphi, 1), num(dpsi, 1));
    let transitions = |n: Option<usize>| n.map_or("—".to_string(), |n| n.to_string());
    let md = &m.md;
    let _ = write!(
        h,
        "<tr><td>MD (reference)</td><td>{}</td><td>{}</td><td>—</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>1 (reference)</td><td>0</td><td>{}</td>",
        md.n_frames,
        num(md.wall_seconds, 1),
        transitions(md.basin_transitions),
        num(md.transitions_per_second, 4),
        moves(md.median_abs_dphi_accepted, md.median_abs_dpsi_accepted),
        ess_based(md.ess_per_second, 4, &[md.ess.map(|e| e.ess)], m.min_ess),
        num_err(md.potential_energy.map(|u| u.mean), md.potential_energy_stderr, 2),
    );
    pops(h, &md.populations, md.populations_stderr.as_ref());
    h.push_str("</tr>");
    for c in &m.comparisons {
        let jsd: Vec<String> = c.jsd_phi_psi.iter().map(|j| num(Some(*j), 4)).collect();
        let ess = [c.ess, md.ess.map(|e| e.ess)];
        let speedup = match (c.speedup, c.missed_states) {
            (Some(s), true) => format!(
                "{} (misses states: 0)",
                ess_based(Some(s), 3, &ess, m.min_ess)
            ),
            (s, _) => ess_based(s, 3, &ess, m.min_ess),
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            escape(&c.label),
            c.n_frames,
            num(c.wall_seconds, 1),
            c.acceptance_rate.map_or("—".into(), pct),
            transitions(c.basin_transitions),
            num(c.transitions_per_second, 4),
            moves(c.median_abs_dphi_accepted, c.median_abs_dpsi_accepted),
            ess_based(c.ess_per_second, 4, &[c.ess], m.min_ess),
            speedup,
            if jsd.is_empty() { "—".to_string() } else { jsd.join(", ") },
            num_err(c.potential_energy_mean, c.potential_energy_stderr, 2),
        );
        pops(h, &c.populations, c.populations_stderr.as_ref());
        h.push_str("</tr>");
    }
    h.push_str("</table></div>\n");
    let _ = writeln!(
        h,
        "<p>± are standard errors by blocking (20 blocks per trajectory); they assume blocks much longer than the autocorrelation time and are too small otherwise. \
Transitions are counted between the β and αR core sets, per trajectory. \
Median moves are over consecutive saved frames that differ (for a chain saved every step, the accepted moves); for MD, over every saved frame. \
JSD is one value per residue ({}).</p>",
        escape(&m.residues.join(", "))
    );
}

fn datasets_table(h: &mut String, m: &Metrics) {
    let _ = write!(
        h,
        "<h2>Data sets</h2><div class=\"scroll\"><table><tr><th></th><th>MD</th><th>{}</th></tr>",
        escape(&first_label(m))
    );
    let mut r = PairRows {
        h,
        md: &m.md,
        samples: &m.samples,
    };
    r.row("command", |d| escape(d.command.as_deref().unwrap_or("—")));
    r.row("wall time / s", |d| num(d.wall_seconds, 1));
    r.row("trajectories", |d| d.n_trajectories.to_string());
    r.row("frames", |d| d.n_frames.to_string());
    time_and_ess_rows(&mut r, m);
    energy_move_and_bond_rows(&mut r);
    h.push_str("</table></div>\n");
    let obs = escape(m.ess_observable.as_deref().unwrap_or("—"));
    let _ = writeln!(
        h,
        "<p>Speed-up (ESS/s model ÷ MD): {} on {obs}, {} on TIC1; strict, official rule (0 if states are missed; the headline): {}.</p>",
        num(m.speedup, 3),
        num(m.speedup_tic1, 3),
        num(m.speedup_official, 3)
    );
}

/// Rows of the data-sets table: one quantity of MD and of the first sample set side by side.
struct PairRows<'a> {
    h: &'a mut String,
    md: &'a DatasetMetrics,
    samples: &'a DatasetMetrics,
}

impl PairRows<'_> {
    fn row(&mut self, k: &str, f: impl Fn(&DatasetMetrics) -> String) {
        let _ = write!(
            self.h,
            "<tr><td>{k}</td><td>{}</td><td>{}</td></tr>",
            f(self.md),
            f(self.samples)
        );
    }
}

/// Time between frames, τ_int in ps/ns, ESS and ESS/s (too small to estimate below `min_ess`).
fn time_and_ess_rows(r: &mut PairRows, m: &Metrics) {
    let obs = escape(m.ess_observable.as_deref().unwrap_or("—"));
    r.row("time between saved frames", |d| {
        d.frame_interval_ps
            .map_or("unknown (uneven spacing or τ unknown)".into(), format_ps)
    });
    r.row(&format!("τ<sub>int</sub> of {obs}"), |d| {
        let frames = d.ess.map(|e| e.tau_int);
        match d.tau_int_ps {
            Some(_) => format!(
                "{} ({} frames)",
                duration(d.tau_int_ps, None),
                num(frames, 1)
            ),
            None => duration(None, frames),
        }
    });
    let min = m.min_ess;
    r.row(&format!("ESS of {obs}"), |d| {
        ess_text(d.ess.map(|e| e.ess), min)
    });
    r.row(&format!("ESS/s of {obs}"), |d| {
        ess_based(d.ess_per_second, 4, &[d.ess.map(|e| e.ess)], min)
    });
    if m.md.ess_tic1.is_some() {
        r.row("ESS of TIC1", |d| ess_text(d.ess_tic1.map(|e| e.ess), min));
        r.row("ESS/s of TIC1", |d| {
            ess_based(d.ess_per_second_tic1, 4, &[d.ess_tic1.map(|e| e.ess)], min)
        });
    }
}

/// Energies, transitions, moves and bonds.
fn energy_move_and_bond_rows(r: &mut PairRows) {
    r.row("potential energy / kJ mol⁻¹ (mean ± sd)", |d| {
        d.potential_energy.map_or("—".into(), |s| {
            format!("{} ± {}", num(Some(s.mean), 1), num(Some(s.std), 1))
        })
    });
    r.row(
        "mean potential energy ± standard error / kJ mol⁻¹",
        |d| {
            num_err(
                d.potential_energy.map(|u| u.mean),
                d.potential_energy_stderr,
                2,
            )
        },
    );
    r.row("β↔αR transitions (core sets)", |d| {
        d.basin_transitions.map_or("—".into(), |n| n.to_string())
    });
    r.row("transitions / s", |d| num(d.transitions_per_second, 4));
    r.row("frames that moved", |d| d.moved_frames.to_string());
    r.row("median |Δφ| / |Δψ| of moved frames / deg", |d| {
        format!(
            "{} / {}",
            num(d.median_abs_dphi_accepted, 1),
            num(d.median_abs_dpsi_accepted, 1)
        )
    });
    r.row("frames with a bond off by > 20 %", |d| {
        format!(
            "{} ({})",
            d.bonds.frames_with_outlier,
            pct(d.bonds.outlier_fraction)
        )
    });
    r.row("largest relative bond deviation", |d| {
        format!(
            "{}{}",
            num(Some(d.bonds.max_relative_deviation), 3),
            d.bonds
                .worst_bond
                .as_ref()
                .map_or(String::new(), |b| format!(
                    "<br><small>{}</small>",
                    escape(b)
                ))
        )
    });
}

fn populations_table(h: &mut String, m: &Metrics) {
    if m.residues.is_empty() {
        return;
    }
    let label = escape(&first_label(m));
    h.push_str("<h2>Ramachandran basins and φ/ψ divergence</h2><div class=\"scroll\"><table><tr><th>residue</th><th>JSD (nats)</th>");
    for b in Basin::ALL {
        let _ = write!(h, "<th>{} MD</th><th>{} {label}</th>", b.key(), b.key());
    }
    h.push_str("</tr>");
    for (r, label) in m.residues.iter().enumerate() {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td>",
            escape(label),
            num(m.jsd_phi_psi.get(r).copied(), 4)
        );
        let (md, sm) = (
            &m.md.populations_per_residue[r],
            &m.samples.populations_per_residue[r],
        );
        for b in Basin::ALL {
            let err = |p: &ResiduePopulations| p.populations_stderr.map(|e| e.get(b));
            let _ = write!(
                h,
                "<td>{}</td><td>{}</td>",
                pct_err(md.populations.get(b), err(md)),
                pct_err(sm.populations.get(b), err(sm))
            );
        }
        h.push_str("</tr>");
    }
    h.push_str("</table></div>\n");
}

fn coverage_section(h: &mut String, m: &Metrics) {
    let c = &m.coverage;
    h.push_str("<h2>Coverage of metastable states</h2>");
    let _ = write!(
        h,
        "<p>Official rule: largest distance from an MD frame to the nearest sample on TIC0/TIC1 (scaled by the MD range, every 10th frame) D = {} ({} threshold {}).</p>",
        num(c.max_min_distance, 3),
        if c.missed_states { "≥" } else { "<" },
        c.threshold
    );
    if !c.tica_states.is_empty() {
        h.push_str("<div class=\"scroll\"><table><tr><th>TICA state (minimum at TIC0, TIC1)</th><th>F / kT</th><th>MD</th><th>model</th><th></th></tr>");
        for s in &c.tica_states {
            let _ = write!(
                h,
                "<tr><td>({}, {})</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
                num(Some(s.minimum[0]), 2),
                num(Some(s.minimum[1]), 2),
                num(Some(s.free_energy_kt), 2),
                pct(s.md_population),
                pct(s.samples_population),
                if s.missed { "bad" } else { "good" },
                if s.missed { "missed" } else { "visited" }
            );
        }
        h.push_str("</table></div>");
    }
    if !c.extra_basins.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"bad\">Ramachandran basins populated by the samples but never visited by MD: {}.</p>",
            escape(&c.extra_basins.join(", "))
        );
    }
    if c.missed_basins.is_empty() {
        h.push_str(
            "<p>Every Ramachandran basin that MD populates is visited by the samples.</p>\n",
        );
    } else {
        let _ = writeln!(
            h,
            "<p class=\"bad\">Ramachandran basins populated by MD but never sampled: {}.</p>",
            escape(&c.missed_basins.join(", "))
        );
    }
}

/// TICA eigenvalues and implied timescales, in ps/ns when the MD frames are evenly spaced.
fn tica_section(h: &mut String, t: &TicaSummary) {
    let lag = match t.frame_interval_ps {
        Some(dt) => format!(
            "{} frames = {}",
            t.lag_frames,
            format_ps(t.lag_frames as f64 * dt)
        ),
        None => format!(
            "{} frames (MD frames not evenly spaced in time)",
            t.lag_frames
        ),
    };
    let _ = write!(
        h,
        "<h2>TICA model (fitted on MD)</h2><p>{} features (C/N/S distances, sin/cos of φ, ψ, ω), lag {lag}.</p><div class=\"scroll\"><table><tr><th>component</th><th>eigenvalue λ</th><th>implied timescale</th></tr>",
        t.n_features
    );
    for (i, (l, ts)) in t.eigenvalues.iter().zip(&t.timescales_frames).enumerate() {
        let ps = t.timescales_ps.as_ref().and_then(|v| v.get(i).copied());
        let _ = write!(
            h,
            "<tr><td>TIC{i}</td><td>{}</td><td>{}</td></tr>",
            num(Some(*l), 4),
            duration(ps, Some(*ts))
        );
    }
    h.push_str("</table></div>\n");
}

/// Where each input came from (its run.json) and what wrote the report.
fn provenance_section(h: &mut String, p: &Provenance) {
    let _ = write!(
        h,
        "<h2>Provenance</h2><p id=\"provenance\">Report written by timewarp {} on {}.</p><div class=\"scroll\"><table><tr><th>data set</th><th>command</th><th>made by timewarp</th><th>completed</th><th>temperature / K</th><th>simulated time</th><th>MD ns/day</th><th>model / proposal</th><th>folder</th></tr>",
        escape(&p.tool_version),
        escape(&p.generated_utc)
    );
    let text = |v: Option<&str>| escape(v.unwrap_or("—"));
    for i in &p.inputs {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            escape(&i.label),
            text(i.command.as_deref()),
            text(i.version.as_deref()),
            i.completed.map_or("—", |c| if c { "yes" } else { "no (interrupted)" }),
            num(i.temperature_k, 1),
            duration(i.simulated_ns.map(|ns| ns * 1000.0), None),
            num(i.ns_per_day, 1),
            text(i.proposal.as_deref()),
            escape(&i.dir.display().to_string())
        );
    }
    h.push_str("</table></div>\n");
    let recorded =
        |v: &serde_json::Value| !(v.is_null() || v.as_object().is_some_and(|m| m.is_empty()));
    for i in p.inputs.iter().filter(|i| recorded(&i.settings)) {
        let settings = serde_json::to_string_pretty(&i.settings).unwrap_or_default();
        let _ = writeln!(
            h,
            "<details><summary>settings of {} (run.json)</summary><pre>{}</pre></details>",
            escape(&i.label),
            escape(&settings)
        );
    }
}

fn methods(h: &mut String, m: &Metrics) {
    let _ = writeln!(
        h,
        "<h2>Methods</h2><div class=\"methods\"><p>Dihedrals follow the IUPAC sign convention (as mdtraj). \
Free energies are F = −ln p in units of kT, zero at the most populated bin; white cells were never visited. \
JSD is the Jensen–Shannon divergence with the natural logarithm (nats, 0 … ln 2 ≈ 0.693) between 36 × 36-bin φ/ψ histograms. \
Basins: αL: φ &gt; 0; αR: φ ≤ 0 and −120° &lt; ψ ≤ 50°; β/C7eq: the rest. \
Standard errors (±) of populations and of ⟨U⟩ come from blocking: each trajectory is cut into 20 contiguous blocks and Var(x̄) ≈ K/(K−1) Σ<sub>k</sub> n<sub>k</sub>²(m<sub>k</sub> − x̄)²/N² over all K blocks; blocks shorter than the autocorrelation time make them too small. \
Transitions β/C7eq ↔ αR are counted by core sets (β core: −180° &lt; φ &lt; −45° and ψ &gt; 100° or ψ &lt; −160°; αR core: −130° &lt; φ &lt; −40° and −70° &lt; ψ &lt; 10°): a frame outside both cores keeps the last core visited, so recrossings of the barrier do not count; trajectories are counted separately. \
Move sizes: median of |Δφ| and |Δψ| (wrapped) over consecutive saved frames that differ in any coordinate, which for an MH chain saved every step are its accepted moves. \
Time series show MD against simulated time (ns) and chains against MCMC steps (one step stands for the model's lag τ where known): one MD frame is not one MCMC step, so the two axes are not comparable; timescales are given in ps/ns where the time between saved frames is known (MD save interval, or τ per chain step) and in frames otherwise. \
Sampling checks: a chain fails with acceptance below {MIN_ACCEPTANCE:e} or fewer than {MIN_DISTINCT_STATES} distinct saved states, with a basin that MD populates (≥ the minimum state population) and the samples never visit or the other way round, or when the official TIC0/TIC1 rule says a state is missed; an ESS below {} is too small to estimate (its τ<sub>int</sub> is then itself uncertain by tens of percent), and so are ESS/s and speed-ups built on it. \
TICA: symmetrised mean-free covariances, C0 regularised by dropping eigenvalues ≤ 10⁻⁶; \
ESS = N/τ<sub>int</sub> with τ<sub>int</sub> = −1 + 2 Σ<sub>k&lt;k₀</sub> ρ<sub>k</sub> summed up to the first non-positive autocorrelation (official Timewarp estimator), chains combined by adding their ESS; \
ESS/s divides by the command's wall time from run.json. Bond deviations are relative to each bond's mean MD length. \
The ESS observable of this report is {}.</p></div>",
        num(Some(m.min_ess), 0),
        escape(m.ess_observable.as_deref().unwrap_or("—"))
    );
}
