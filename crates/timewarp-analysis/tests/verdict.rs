//! The report says when sampling failed: the verdict banner and its automatic checks (a chain
//! that never or barely moves, basins missed, ESS too small to estimate), the strict speed-up
//! in the headline card, times in ps/ns, provenance from the inputs' run.json records, φ/ψ
//! traces, and a page that fits a phone (viewport tag, tables that scroll).

mod common;

use common::{generate, scratch, write_traj, Synth};
use std::path::{Path, PathBuf};
use timewarp_analysis::units::format_ps;
use timewarp_analysis::{analyze, AnalyzeOptions, Metrics};
use timewarp_rundir::{InputIdentity, RunRecord};

/// A finished run record as `timewarp md` / `timewarp sample` write it.
fn write_record(
    dir: &Path,
    command: &str,
    settings: serde_json::Value,
    inputs: Vec<InputIdentity>,
    wall: f64,
    summary: serde_json::Value,
) {
    RunRecord::start(command, settings, inputs)
        .finish(wall, &summary)
        .unwrap()
        .write(dir)
        .unwrap();
}

/// MD that mixes: 3000 frames 0.5 ps apart, recorded at 310 K with dt = 2 fs, 1.5 · 10⁶
/// production steps (3 ns) in one replica at 123.4 ns/day.
fn write_md(dir: &Path) {
    let (top, pos, ang) = generate(&Synth::new(3000, 0.05, 10));
    write_traj(dir, "ala2", &top, &pos, &ang);
    write_record(
        dir,
        "md",
        serde_json::json!({"md": {"temperature_k": 310.0, "dt_fs": 2.0, "save_every": 250}}),
        vec![],
        600.0,
        serde_json::json!({"ns_per_day": 123.4, "steps": 1_500_000, "replicas": [{"steps_done": 1_500_000}]}),
    );
}

/// A chain's run record: τ = 0.5 ps per step, 3000 steps, the flow of `runs/train`.
fn write_sample_record(dir: &Path, acceptance: f64) {
    write_record(
        dir,
        "sample",
        serde_json::json!({"sample": {"tau_ps": 0.5, "temperature_k": 310.0}, "proposal": {"flow": {"model": "runs/train"}}}),
        vec![InputIdentity {
            role: "proposal".into(),
            path: PathBuf::from("runs/train"),
            digest: "run:0123456789abcdef".into(),
        }],
        200.0,
        serde_json::json!({"acceptance_rate": acceptance, "steps": 3000, "chains": 1}),
    );
}

/// Samples from `synth` with a sample run record.
fn write_samples(dir: &Path, synth: &Synth, acceptance: f64) {
    let (top, pos, ang) = generate(synth);
    write_traj(dir, "ala2", &top, &pos, &ang);
    write_sample_record(dir, acceptance);
}

struct Run {
    root: PathBuf,
    metrics: Metrics,
    json: serde_json::Value,
    html: String,
}

impl Run {
    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.root.join("report").join(name)).unwrap()
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// MD and the samples written by `samples` into scratch folders, analysed with `configure`.
fn analyse(
    name: &str,
    samples: impl FnOnce(&Path),
    configure: impl FnOnce(&mut AnalyzeOptions),
) -> Run {
    let root = scratch(name);
    let (md, sm, out) = (root.join("md"), root.join("samples"), root.join("report"));
    write_md(&md);
    samples(&sm);
    let mut opts = AnalyzeOptions::new(&md, &sm, &out);
    opts.tica_lag = 5;
    configure(&mut opts);
    let metrics = analyze(&opts).unwrap();
    let json =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    Run {
        root,
        metrics,
        json,
        html,
    }
}

/// The HTML of the element that opens with `start`, up to the end of its first `</div></div>`
/// or `</div>\n`.
fn element<'a>(html: &'a str, start: &str) -> &'a str {
    let i = html
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in the page"));
    let rest = &html[i..];
    let end = rest.find("</div>\n").unwrap_or(rest.len());
    &rest[..end]
}

fn warnings_of(json: &serde_json::Value) -> Vec<String> {
    json["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_chain_that_never_moves_fails_the_verdict_in_metrics_json_and_the_banner() {
    let run = analyse(
        "verdict-stuck",
        |dir| {
            // 500 copies of one frame: a chain that rejected every proposal.
            let (top, pos, ang) = generate(&Synth::new(1, 0.1, 2));
            let frames = 500;
            let positions: Vec<f32> = pos
                .iter()
                .copied()
                .cycle()
                .take(pos.len() * frames)
                .collect();
            write_traj(dir, "ala2", &top, &positions, &vec![ang[0]; frames]);
            write_sample_record(dir, 0.0);
        },
        |_| {},
    );
    assert!(run.metrics.sampling_failed);
    assert_eq!(run.json["sampling_failed"], true);
    let warnings = warnings_of(&run.json);
    assert!(
        warnings.iter().any(|w| w.contains("never moved")),
        "{warnings:?}"
    );
    // The banner opens the page, says so, and lists the warning.
    let banner = element(&run.html, "<div class=\"verdict");
    assert!(banner.contains("verdict failed") && banner.contains("Sampling failed"));
    assert!(banner.contains("never moved"), "{banner}");
    assert!(run.html.find("id=\"verdict\"") < run.html.find("class=\"cards\""));
}

#[test]
fn a_chain_with_few_distinct_states_barely_moves() {
    // 2000 frames, but a new state only every 40th: 50 distinct states.
    let run = analyse(
        "verdict-few-states",
        |dir| {
            let (top, pos, ang) = generate(&Synth::new(50, 0.3, 5));
            let per_frame = pos.len() / 50;
            let mut positions = Vec::new();
            let mut angles = Vec::new();
            for k in 0..50 {
                for _ in 0..40 {
                    positions.extend_from_slice(&pos[k * per_frame..(k + 1) * per_frame]);
                    angles.push(ang[k]);
                }
            }
            write_traj(dir, "ala2", &top, &positions, &angles);
            write_sample_record(dir, 0.02);
        },
        |_| {},
    );
    assert_eq!(run.metrics.samples.moved_frames, 49);
    let warnings = warnings_of(&run.json);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("barely moves") && w.contains("50 distinct states")),
        "{warnings:?}"
    );
    assert!(run.metrics.sampling_failed);
}

#[test]
fn basins_the_samples_miss_are_warned_about_and_the_headline_shows_the_strict_speedup() {
    // The samples never leave β/C7eq; MD visits all three basins.
    let run = analyse(
        "verdict-one-basin",
        |dir| {
            let mut synth = Synth::new(3000, 0.2, 21);
            synth.basins = vec![1];
            write_samples(dir, &synth, 0.3);
        },
        |_| {},
    );
    let m = &run.metrics;
    assert!(m.sampling_failed);
    let warnings = warnings_of(&run.json);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("never visits basins that MD populates")
                && w.contains("ALA 2 alphaR")),
        "{warnings:?}"
    );
    // The headline card holds the strict (official) speed-up, not the plain ratio.
    let card = element(&run.html, "<div class=\"card\" id=\"strict-speedup\"");
    assert!(card.contains("strict speed-up"), "{card}");
    let strict = m.speedup_official.unwrap();
    let value = &card[card.find("<div class=\"v").unwrap()..];
    let value = &value[value.find('>').unwrap() + 1..value.find("</div>").unwrap()];
    assert!(value.ends_with('×'), "{value}");
    let shown: f64 = value.trim_end_matches('×').parse().unwrap();
    assert!(
        (shown - strict).abs() < 0.006,
        "card {value}, strict {strict}"
    );
    if m.coverage.missed_states {
        assert_eq!(strict, 0.0);
        assert_ne!(m.speedup, Some(0.0), "the plain ratio is not zeroed");
    }
}

#[test]
fn basins_only_the_samples_visit_are_warned_about() {
    // MD confined to αR and β; the samples also visit αL.
    let root = scratch("verdict-extra-basin");
    let (md, sm, out) = (root.join("md"), root.join("samples"), root.join("report"));
    let mut synth = Synth::new(3000, 0.05, 10);
    synth.basins = vec![0, 1];
    let (top, pos, ang) = generate(&synth);
    write_traj(&md, "ala2", &top, &pos, &ang);
    write_record(
        &md,
        "md",
        serde_json::json!({}),
        vec![],
        600.0,
        serde_json::json!({}),
    );
    write_samples(&sm, &Synth::new(3000, 0.2, 22), 0.3);
    let mut opts = AnalyzeOptions::new(&md, &sm, &out);
    opts.tica_lag = 5;
    let m = analyze(&opts).unwrap();
    assert_eq!(m.coverage.extra_basins, vec!["ALA 2 alphaL".to_string()]);
    assert!(
        m.warnings
            .iter()
            .any(|w| w.contains("MD never visits") && w.contains("ALA 2 alphaL")),
        "{:?}",
        m.warnings
    );
    assert!(m.sampling_failed);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn an_ess_below_the_threshold_is_too_small_to_estimate_not_a_number() {
    // A healthy chain judged against an ESS threshold no run of this size can reach.
    let run = analyse(
        "verdict-ess",
        |dir| write_samples(dir, &Synth::new(3000, 0.2, 23), 0.3),
        |o| o.min_ess = 1e9,
    );
    let m = &run.metrics;
    let ess = m.samples.ess.unwrap().ess;
    assert!(ess < 1e9);
    assert_eq!(run.json["min_ess"], 1e9);
    let warnings = warnings_of(&run.json);
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("samples: ESS of TIC0") && w.contains("too small to estimate")),
        "{warnings:?}"
    );
    assert!(m.sampling_failed);
    // The data-set table shows no number for the ESS, and the headline is marked.
    let row = element(&run.html, "<tr><td>ESS of TIC0</td>");
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("too small to estimate"), "{row}");
    assert!(!row.contains(&format!("{ess:.1}")), "{row}");
    let card = element(&run.html, "<div class=\"card\" id=\"strict-speedup\"");
    assert!(card.contains("not trustworthy"), "{card}");
}

#[test]
fn a_sound_run_passes_with_times_provenance_traces_and_a_page_that_fits_a_phone() {
    let run = analyse(
        "verdict-sound",
        |dir| write_samples(dir, &Synth::new(3000, 0.2, 24), 0.3),
        |_| {},
    );
    let m = &run.metrics;
    assert!(!m.sampling_failed, "{:?}", m.warnings);
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    assert!(element(&run.html, "<div class=\"verdict").contains("Sampling checks passed"));

    // Time: MD frames are 0.5 ps apart; TICA timescales and τ_int follow in ps.
    assert_eq!(m.md.frame_interval_ps, Some(0.5));
    let tica = m.tica.as_ref().unwrap();
    assert_eq!(tica.frame_interval_ps, Some(0.5));
    let ps = tica.timescales_ps.as_ref().unwrap();
    for (f, t) in tica.timescales_frames.iter().zip(ps) {
        assert!((t - 0.5 * f).abs() < 1e-9 * t.abs().max(1.0));
    }
    assert!(
        run.html.contains(&format_ps(ps[0])),
        "TIC0 timescale in ps/ns"
    );
    let tau = m.md.tau_int_ps.unwrap();
    assert!((tau - 0.5 * m.md.ess.unwrap().tau_int).abs() < 1e-9);
    assert!(run.html.contains(&format_ps(tau)));
    assert!(!run.html.contains("implied timescale / frames"));

    // Provenance from the run.json records, and the tool's version and the date.
    let p = m.provenance.as_ref().unwrap();
    assert_eq!(p.tool_version, env!("CARGO_PKG_VERSION"));
    assert!(
        p.generated_utc.ends_with(" UTC") && p.generated_utc.len() == 23,
        "{}",
        p.generated_utc
    );
    let (md, sm) = (&p.inputs[0], &p.inputs[1]);
    assert_eq!(
        (md.label.as_str(), md.command.as_deref()),
        ("MD", Some("md"))
    );
    assert_eq!(md.temperature_k, Some(310.0));
    assert!((md.simulated_ns.unwrap() - 3.0).abs() < 1e-9);
    assert_eq!(md.ns_per_day, Some(123.4));
    assert_eq!(sm.proposal.as_deref(), Some("runs/train"));
    assert!((sm.simulated_ns.unwrap() - 1.5).abs() < 1e-9);
    assert_eq!(run.json["provenance"]["inputs"][0]["temperature_k"], 310.0);
    let section = &run.html[run
        .html
        .find("<h2>Provenance</h2>")
        .expect("provenance section")..];
    for text in [
        env!("CARGO_PKG_VERSION"),
        &p.generated_utc,
        "310.0",
        "123.4",
        "3.00 ns",
        "runs/train",
    ] {
        assert!(section.contains(text), "{text} not in provenance");
    }

    // φ/ψ against time for every residue, MD in ns and the chain in steps of τ.
    let svg = run.file("plots/phi_psi_time_samples.svg");
    assert!(svg.contains("ALA 2") && svg.contains("MD time / ns") && svg.contains("τ = 500 fs"));
    assert!(run.html.contains("φ and ψ of ALA 2 against time"));

    // Populations with block errors in the populations table.
    assert!(run.html.contains(" ± "));

    // A phone: the viewport tag, and every table inside a horizontally scrolling box.
    assert!(run
        .html
        .contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
    let tables = run.html.matches("<table").count();
    assert!(tables >= 4);
    assert_eq!(
        run.html.matches("<div class=\"scroll\"><table").count(),
        tables
    );
}
