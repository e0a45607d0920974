//! The self-contained `report.html`: metric tables and the figures as base64 PNG, no external
//! resources (the SVG versions sit next to it in `plots/` for papers).

use crate::basins::{Basin, Populations};
use crate::plots::Rendered;
use crate::report::{DatasetMetrics, Metrics};
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
    cards(&mut h, m);
    for w in &m.warnings {
        let _ = writeln!(h, "<div class=\"warn\">{}</div>", escape(w));
    }
    comparison_table(&mut h, m);
    datasets_table(&mut h, m);
    populations_table(&mut h, m);
    coverage_section(&mut h, m);
    if let Some(t) = &m.tica {
        let _ = write!(
            h,
            "<h2>TICA model (fitted on MD)</h2><p>{} features (C/N/S distances, sin/cos of φ, ψ, ω), lag {} frames.</p><table><tr><th>component</th><th>eigenvalue λ</th><th>implied timescale / frames</th></tr>",
            t.n_features, t.lag_frames
        );
        for (i, (l, ts)) in t.eigenvalues.iter().zip(&t.timescales_frames).enumerate() {
            let _ = write!(
                h,
                "<tr><td>TIC{i}</td><td>{}</td><td>{}</td></tr>",
                num(Some(*l), 4),
                num(Some(*ts), 1)
            );
        }
        h.push_str("</table>\n");
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
    methods(&mut h, m);
    h.push_str("</body></html>\n");
    h
}

fn cards(h: &mut String, m: &Metrics) {
    h.push_str("<div class=\"cards\">");
    let card = |h: &mut String, k: &str, v: String, class: &str| {
        let _ = write!(h, "<div class=\"card\"><div class=\"v {class}\">{v}</div><div class=\"k\">{k}</div></div>");
    };
    let obs = m.ess_observable.as_deref().unwrap_or("—");
    let class = match m.speedup {
        Some(s) if s >= 1.0 && !m.coverage.missed_states => "good",
        Some(_) => "bad",
        None => "",
    };
    card(
        h,
        &format!("speed-up (ESS/s on {}, model ÷ MD)", escape(obs)),
        m.speedup
            .map_or("—".into(), |s| format!("{}×", num(Some(s), 2))),
        class,
    );
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
        num(md.ess_per_second, 4),
        num_err(md.potential_energy.map(|u| u.mean), md.potential_energy_stderr, 2),
    );
    pops(h, &md.populations, md.populations_stderr.as_ref());
    h.push_str("</tr>");
    for c in &m.comparisons {
        let jsd: Vec<String> = c.jsd_phi_psi.iter().map(|j| num(Some(*j), 4)).collect();
        let speedup = match (c.speedup, c.missed_states) {
            (Some(s), true) => format!("{} (misses states: 0)", num(Some(s), 3)),
            (s, _) => num(s, 3),
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
            num(c.ess_per_second, 4),
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
        "<h2>Data sets</h2><table><tr><th></th><th>MD</th><th>{}</th></tr>",
        escape(&first_label(m))
    );
    let row = |h: &mut String, k: &str, f: &dyn Fn(&DatasetMetrics) -> String| {
        let _ = write!(
            h,
            "<tr><td>{k}</td><td>{}</td><td>{}</td></tr>",
            f(&m.md),
            f(&m.samples)
        );
    };
    row(h, "command", &|d| {
        escape(d.command.as_deref().unwrap_or("—"))
    });
    row(h, "wall time / s", &|d| num(d.wall_seconds, 1));
    row(h, "trajectories", &|d| d.n_trajectories.to_string());
    row(h, "frames", &|d| d.n_frames.to_string());
    let obs = escape(m.ess_observable.as_deref().unwrap_or("—"));
    row(h, &format!("τ<sub>int</sub> of {obs} / frames"), &|d| {
        num(d.ess.map(|e| e.tau_int), 2)
    });
    row(h, &format!("ESS of {obs}"), &|d| {
        num(d.ess.map(|e| e.ess), 1)
    });
    row(h, &format!("ESS/s of {obs}"), &|d| num(d.ess_per_second, 4));
    if m.md.ess_tic1.is_some() {
        row(h, "ESS of TIC1", &|d| num(d.ess_tic1.map(|e| e.ess), 1));
        row(h, "ESS/s of TIC1", &|d| num(d.ess_per_second_tic1, 4));
    }
    row(h, "potential energy / kJ mol⁻¹ (mean ± sd)", &|d| {
        d.potential_energy.map_or("—".into(), |s| {
            format!("{} ± {}", num(Some(s.mean), 1), num(Some(s.std), 1))
        })
    });
    row(
        h,
        "mean potential energy ± standard error / kJ mol⁻¹",
        &|d| {
            num_err(
                d.potential_energy.map(|u| u.mean),
                d.potential_energy_stderr,
                2,
            )
        },
    );
    row(h, "β↔αR transitions (core sets)", &|d| {
        d.basin_transitions.map_or("—".into(), |n| n.to_string())
    });
    row(h, "transitions / s", &|d| num(d.transitions_per_second, 4));
    row(h, "frames that moved", &|d| d.moved_frames.to_string());
    row(h, "median |Δφ| / |Δψ| of moved frames / deg", &|d| {
        format!(
            "{} / {}",
            num(d.median_abs_dphi_accepted, 1),
            num(d.median_abs_dpsi_accepted, 1)
        )
    });
    row(h, "frames with a bond off by > 20 %", &|d| {
        format!(
            "{} ({})",
            d.bonds.frames_with_outlier,
            pct(d.bonds.outlier_fraction)
        )
    });
    row(h, "largest relative bond deviation", &|d| {
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
    h.push_str("</table>\n");
    let _ = writeln!(
        h,
        "<p>Speed-up (ESS/s model ÷ MD): {} on {obs}, {} on TIC1; official (0 if states are missed): {}.</p>",
        num(m.speedup, 3),
        num(m.speedup_tic1, 3),
        num(m.speedup_official, 3)
    );
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
            let err =
                |p: &crate::report::ResiduePopulations| p.populations_stderr.map(|e| e.get(b));
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
        h.push_str("<table><tr><th>TICA state (minimum at TIC0, TIC1)</th><th>F / kT</th><th>MD</th><th>model</th><th></th></tr>");
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
        h.push_str("</table>");
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
Time series show MD against simulated time (ns) and chains against MCMC steps: one MD frame is not one MCMC step, so the two axes are not comparable. \
TICA: symmetrised mean-free covariances, C0 regularised by dropping eigenvalues ≤ 10⁻⁶; \
ESS = N/τ<sub>int</sub> with τ<sub>int</sub> = −1 + 2 Σ<sub>k&lt;k₀</sub> ρ<sub>k</sub> summed up to the first non-positive autocorrelation (official Timewarp estimator), chains combined by adding their ESS; \
ESS/s divides by the command's wall time from run.json. Bond deviations are relative to each bond's mean MD length. \
The ESS observable of this report is {}.</p></div>",
        escape(m.ess_observable.as_deref().unwrap_or("—"))
    );
}
