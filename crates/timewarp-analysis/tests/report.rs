//! `analyze` end to end on synthetic alanine-dipeptide trajectories and on the official-layout
//! trajectory of shared/testdata.

mod common;

use common::{generate, scratch, write_run_json, write_traj, Synth, BASINS};
use timewarp_analysis::{analyze, AnalysisError, AnalyzeOptions, Metrics, SampleSet};

#[test]
fn synthetic_generator_sets_the_requested_angles() {
    let (_, _, angles) = generate(&Synth::new(300, 0.05, 1));
    // Every frame lies near one of the basin centres (wobble σ = 12°, so within 60°).
    for (phi, psi) in angles {
        let near = BASINS.iter().any(|((a, b), _)| {
            let d = |x: f64, y: f64| ((x - y + 180.0).rem_euclid(360.0) - 180.0).abs();
            d(phi.to_degrees(), *a) < 60.0 && d(psi.to_degrees(), *b) < 60.0
        });
        assert!(near, "({}, {})", phi.to_degrees(), psi.to_degrees());
    }
}

#[test]
fn good_model_report() {
    let root = scratch("good");
    let (md_dir, sm_dir, out) = (root.join("md"), root.join("samples"), root.join("report"));
    let (top, md_pos, md_ang) = generate(&Synth::new(6000, 0.01, 10));
    write_traj(&md_dir, "ala2", &top, &md_pos, &md_ang);
    write_run_json(&md_dir, "md", 600.0, None);
    // Samples: two chains in chain-NNN/ subfolders, mixing 20× faster, in a third of the time.
    for c in 0..2 {
        let (top, pos, ang) = generate(&Synth::new(1500, 0.2, 20 + c));
        write_traj(
            &sm_dir.join(format!("chain-{c:03}")),
            "ala2",
            &top,
            &pos,
            &ang,
        );
    }
    write_run_json(&sm_dir, "sample", 200.0, Some(0.37));

    let mut opts = AnalyzeOptions::new(&md_dir, &sm_dir, &out);
    opts.tica_lag = 5;
    // The synthetic MD (and slow chain) hold an ESS of 10–20: enough for this test of the
    // numbers, below the default threshold of 50 (tested in tests/verdict.rs).
    opts.min_ess = 10.0;
    let m = analyze(&opts).unwrap();

    // Files.
    for f in [
        "report.html",
        "metrics.json",
        "plots/ramachandran_ALA_2.png",
        "plots/ramachandran_ALA_2.svg",
        "plots/dihedral_profiles_ALA_2.png",
        "plots/tica_free_energy.png",
        "plots/tica_profiles.svg",
        "plots/energy_and_bonds.png",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("data:image/png;base64,"));
    assert!(
        !html.contains("src=\"http"),
        "report must be self-contained"
    );
    // metrics.json keys.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    for ds in ["md", "samples"] {
        for key in ["alphaL", "alphaR", "beta_C7eq"] {
            assert!(
                json[ds]["populations"][key].is_number(),
                "{ds}.populations.{key}"
            );
        }
        assert!(
            json[ds]["ess_per_second"].is_number(),
            "{ds}.ess_per_second"
        );
        assert!(json[ds]["n_frames"].is_number());
    }
    assert_eq!(json["jsd_phi_psi"].as_array().unwrap().len(), 1);
    assert!(json["speedup"].is_number());
    assert_eq!(json["acceptance_rate"].as_f64(), Some(0.37));

    // Values.
    assert_eq!(m.residues, vec!["ALA 2".to_string()]);
    assert_eq!(m.md.n_frames, 6000);
    assert_eq!(m.samples.n_frames, 3000);
    assert_eq!(m.samples.n_trajectories, 2);
    let p = m.md.populations;
    assert!((p.alpha_l + p.alpha_r + p.beta_c7eq - 1.0).abs() < 1e-12);
    for (pop, want) in [
        (m.samples.populations.alpha_r, 0.3),
        (m.samples.populations.beta_c7eq, 0.6),
        (m.samples.populations.alpha_l, 0.1),
    ] {
        assert!(
            (pop - want).abs() < 0.06,
            "sample population {pop} vs {want}"
        );
    }
    assert!(m.jsd_phi_psi[0] < 0.1, "JSD {}", m.jsd_phi_psi[0]);
    assert!(
        !m.coverage.missed_states,
        "D = {:?}",
        m.coverage.max_min_distance
    );
    assert!(m.coverage.missed_basins.is_empty());
    assert!(!m.coverage.tica_states.is_empty());
    assert_eq!(m.ess_observable.as_deref(), Some("TIC0"));
    // Samples decorrelate much faster per frame and per second: speed-up well above 1.
    let (e_md, e_sm) = (m.md.ess.unwrap(), m.samples.ess.unwrap());
    assert!(
        e_sm.tau_int < e_md.tau_int,
        "τ samples {} vs MD {}",
        e_sm.tau_int,
        e_md.tau_int
    );
    let speedup = m.speedup.unwrap();
    assert!((speedup - (e_sm.ess / 200.0) / (e_md.ess / 600.0)).abs() < 1e-9);
    assert!(speedup > 2.0, "speed-up {speedup}");
    assert_eq!(m.speedup_official, m.speedup);
    assert_eq!(m.samples.bonds.frames_with_outlier, 0);
    assert_eq!(m.md.bonds.frames_with_outlier, 0);
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    keep_for_inspection(&root, "good");
}

/// With `TIMEWARP_KEEP_REPORT=DIR`, leave the test folders in DIR/<name> for a manual look
/// (e.g. a headless-browser screenshot of report.html); otherwise remove them.
fn keep_for_inspection(root: &std::path::Path, name: &str) {
    match std::env::var_os("TIMEWARP_KEEP_REPORT") {
        Some(keep) => {
            let dest = std::path::Path::new(&keep).join(name);
            let _ = std::fs::remove_dir_all(&dest);
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::rename(root, &dest).unwrap();
        }
        None => std::fs::remove_dir_all(root).unwrap(),
    }
}

#[test]
fn bad_model_misses_alpha_l_and_breaks_bonds() {
    let root = scratch("bad");
    let (md_dir, sm_dir, out) = (root.join("md"), root.join("samples"), root.join("report"));
    let (top, md_pos, md_ang) = generate(&Synth::new(4000, 0.02, 30));
    write_traj(&md_dir, "ala2", &top, &md_pos, &md_ang);
    write_run_json(&md_dir, "md", 100.0, None);
    let mut s = Synth::new(2000, 0.2, 31);
    s.basins = vec![0, 1];
    s.break_bond_every = Some(10);
    let (top, pos, ang) = generate(&s);
    write_traj(&sm_dir, "ala2", &top, &pos, &ang);
    // No run.json for the samples: no speed-up, a warning.
    let mut opts = AnalyzeOptions::new(&md_dir, &sm_dir, &out);
    opts.tica_lag = 5;
    let m = analyze(&opts).unwrap();
    assert_eq!(m.samples.populations.alpha_l, 0.0);
    assert!(m.md.populations.alpha_l > 0.05);
    assert_eq!(m.coverage.missed_basins, vec!["ALA 2 alphaL".to_string()]);
    assert!(
        m.coverage.missed_states,
        "official rule should flag the missing αL basin: D = {:?}",
        m.coverage.max_min_distance
    );
    assert!(
        m.coverage.tica_states.iter().any(|s| s.missed),
        "{:?}",
        m.coverage.tica_states
    );
    assert_eq!(m.samples.bonds.frames_with_outlier, 200);
    assert!((m.samples.bonds.outlier_fraction - 0.1).abs() < 1e-12);
    assert!(m.samples.bonds.max_relative_deviation > 1.0);
    assert!(m
        .samples
        .bonds
        .worst_bond
        .as_deref()
        .unwrap()
        .contains("ACE"));
    assert!(m.jsd_phi_psi[0] > 0.05);
    assert_eq!(m.speedup, None);
    assert_eq!(m.acceptance_rate, None);
    assert!(m.samples.ess_per_second.is_none());
    assert!(
        m.warnings.iter().any(|w| w.contains("run.json")),
        "{:?}",
        m.warnings
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("ALA 2 alphaL"));
    keep_for_inspection(&root, "bad");
}

#[test]
fn official_testdata_trajectory_against_itself() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata");
    let out = scratch("testdata");
    let mut opts = AnalyzeOptions::new(dir, dir, &out);
    opts.tica_lag = 5;
    let m = analyze(&opts).unwrap();
    assert_eq!(m.md.n_frames, 200);
    // 2olx has charged termini: two inner residues with φ and ψ.
    assert_eq!(m.residues.len(), 2);
    assert!(m.jsd_phi_psi.iter().all(|&j| j == 0.0));
    assert_eq!(m.coverage.max_min_distance, Some(0.0));
    assert_eq!(m.md.ess, m.samples.ess);
    assert!(m.speedup.is_none(), "no run.json in testdata");
    assert!(out.join("report.html").is_file());
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn errors_name_the_culprit() {
    let root = scratch("errors");
    let empty = root.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata");
    let err = analyze(&AnalyzeOptions::new(&empty, dir, root.join("out"))).unwrap_err();
    assert!(matches!(err, AnalysisError::NoTrajectory { .. }), "{err}");
    assert!(err.to_string().contains("empty"));
    let err = analyze(&AnalyzeOptions::new(
        root.join("nope"),
        dir,
        root.join("out"),
    ))
    .unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
    // Samples of a different molecule.
    let (top, pos, ang) = generate(&Synth::new(50, 0.1, 1));
    write_traj(&root.join("ala2"), "ala2", &top, &pos, &ang);
    let err = analyze(&AnalyzeOptions::new(
        root.join("ala2"),
        dir,
        root.join("out"),
    ))
    .unwrap_err();
    assert!(err.to_string().contains("atoms"), "{err}");
    // A broken run.json is reported with its path.
    std::fs::write(root.join("ala2/run.json"), "{not json").unwrap();
    let err = analyze(&AnalyzeOptions::new(
        root.join("ala2"),
        root.join("ala2"),
        root.join("out"),
    ))
    .unwrap_err();
    assert!(err.to_string().contains("run.json"), "{err}");
    let mut bad = AnalyzeOptions::new(root.join("ala2"), root.join("ala2"), root.join("out"));
    bad.min_state_population = 2.0;
    assert!(matches!(analyze(&bad), Err(AnalysisError::Options(_))));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn tiny_and_short_inputs_give_warnings_not_panics() {
    let root = scratch("tiny");
    let (md_dir, sm_dir, out) = (root.join("md"), root.join("samples"), root.join("report"));
    let (top, pos, ang) = generate(&Synth::new(30, 0.1, 50));
    write_traj(&md_dir, "ala2", &top, &pos, &ang);
    write_run_json(&md_dir, "md", 1.0, None);
    let (top, pos, ang) = generate(&Synth::new(1, 0.1, 51));
    write_traj(&sm_dir, "ala2", &top, &pos, &ang);
    write_run_json(&sm_dir, "sample", 1.0, Some(0.0));
    let mut opts = AnalyzeOptions::new(&md_dir, &sm_dir, &out);
    opts.tica_lag = 20; // longer than a third of the MD trajectory
    let m = analyze(&opts).unwrap();
    assert_eq!(m.tica.as_ref().unwrap().lag_frames, 3);
    assert!(
        m.warnings.iter().any(|w| w.contains("TICA lag reduced")),
        "{:?}",
        m.warnings
    );
    assert_eq!(m.samples.n_frames, 1);
    assert_eq!(m.samples.ess.unwrap().ess, 1.0);
    assert!(out.join("report.html").is_file());
    // The JSON is valid and readable back.
    let text = std::fs::read_to_string(out.join("metrics.json")).unwrap();
    let _: serde_json::Value = serde_json::from_str(&text).unwrap();
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn options_deserialise_with_defaults() {
    let opts: AnalyzeOptions =
        serde_json::from_str(r#"{"md_dir": "md", "samples_dir": "s", "out_dir": "o"}"#).unwrap();
    assert_eq!(opts, AnalyzeOptions::new("md", "s", "o"));
    assert_eq!(opts.tica_lag, 10);
}

/// Every frame written twice: a chain that rejects every other proposal.
fn with_rejections(
    positions: &[f32],
    angles: &[(f64, f64)],
    n_atoms: usize,
) -> (Vec<f32>, Vec<(f64, f64)>) {
    let n3 = 3 * n_atoms;
    let pos = positions
        .chunks_exact(n3)
        .flat_map(|f| f.iter().chain(f.iter()).copied())
        .collect();
    let ang = angles.iter().flat_map(|a| [*a, *a]).collect();
    (pos, ang)
}

#[test]
fn several_sample_sets_write_comparisons_with_both_labels() {
    let root = scratch("several");
    let (md_dir, fast_dir, slow_dir, out) = (
        root.join("md"),
        root.join("fast"),
        root.join("slow-chain"),
        root.join("report"),
    );
    let (top, pos, ang) = generate(&Synth::new(4000, 0.01, 60));
    write_traj(&md_dir, "ala2", &top, &pos, &ang);
    write_run_json(&md_dir, "md", 400.0, None);
    for c in 0..2 {
        let (top, pos, ang) = generate(&Synth::new(1000, 0.2, 61 + c));
        write_traj(
            &fast_dir.join(format!("chain-{c:03}")),
            "ala2",
            &top,
            &pos,
            &ang,
        );
    }
    write_run_json(&fast_dir, "sample", 100.0, Some(0.4));
    // The slow set: 1000 distinct states, each saved twice (every other proposal rejected).
    let (top, pos, ang) = generate(&Synth::new(1000, 0.02, 63));
    let (pos2, ang2) = with_rejections(&pos, &ang, top.n_atoms());
    write_traj(&slow_dir, "ala2", &top, &pos2, &ang2);
    write_run_json(&slow_dir, "sample", 100.0, Some(0.5));

    let sets = vec![
        SampleSet::parse(fast_dir.to_str().unwrap()).unwrap(),
        SampleSet::parse(&format!("slow={}", slow_dir.display())).unwrap(),
    ];
    assert_eq!(sets[0].label, "fast");
    let mut opts = AnalyzeOptions::with_sample_sets(&md_dir, sets, &out).unwrap();
    opts.tica_lag = 5;
    // The synthetic MD (and slow chain) hold an ESS of 10–20: enough for this test of the
    // numbers, below the default threshold of 50 (tested in tests/verdict.rs).
    opts.min_ess = 10.0;
    let m = analyze(&opts).unwrap();

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    let comparisons = json["comparisons"].as_array().unwrap();
    let labels: Vec<&str> = comparisons
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["fast", "slow"]);
    for c in comparisons {
        for key in [
            "acceptance_rate",
            "transitions_per_second",
            "ess_per_second",
            "speedup",
            "potential_energy_mean",
            "potential_energy_stderr",
            "median_abs_dphi_accepted",
        ] {
            assert!(c[key].is_number(), "{}: {key}", c["label"]);
        }
        assert!(c["basin_transitions"].is_u64(), "{}", c["label"]);
        assert_eq!(c["jsd_phi_psi"].as_array().unwrap().len(), 1);
        for key in ["alphaL", "alphaR", "beta_C7eq"] {
            assert!(c["populations"][key].is_number());
            assert!(
                c["populations_stderr"][key].as_f64().unwrap() > 0.0,
                "{key}"
            );
        }
    }
    // The first set keeps filling the top-level fields.
    assert_eq!(json["samples"]["dir"].as_str(), fast_dir.to_str());
    assert_eq!(json["acceptance_rate"].as_f64(), Some(0.4));
    assert_eq!(comparisons[0]["speedup"], json["speedup"]);
    assert_eq!(comparisons[0]["jsd_phi_psi"], json["jsd_phi_psi"]);
    assert_eq!(comparisons[1]["acceptance_rate"].as_f64(), Some(0.5));
    for ds in ["md", "samples"] {
        for key in [
            "basin_transitions",
            "transitions_per_second",
            "median_abs_dphi_accepted",
            "median_abs_dpsi_accepted",
            "potential_energy_stderr",
        ] {
            assert!(json[ds][key].is_number(), "{ds}.{key}");
        }
        assert_eq!(
            json[ds]["basin_transitions_per_residue"][0]["residue"],
            "ALA 2"
        );
        assert!(json[ds]["populations_stderr"]["alphaR"].is_number());
    }

    // Values: the fast set switches basin 10× as often as the slow one, per frame.
    let (fast, slow) = (&m.comparisons[0], &m.comparisons[1]);
    let (n_fast, n_slow) = (
        fast.basin_transitions.unwrap(),
        slow.basin_transitions.unwrap(),
    );
    assert!(
        n_fast > 3 * n_slow.max(1),
        "transitions fast {n_fast}, slow {n_slow}"
    );
    assert!((fast.transitions_per_second.unwrap() - n_fast as f64 / 100.0).abs() < 1e-12);
    assert!(m.md.basin_transitions.unwrap() > 0);
    // Every second frame of the slow chain repeats the one before: 999 moves in 2000 frames.
    assert_eq!(slow.n_frames, 2000);
    assert_eq!(slow.moved_frames, 999);
    assert_eq!(
        m.samples.moved_frames,
        2000 - 2,
        "two fast chains, every frame moves"
    );
    let ratio = |c: &timewarp_analysis::Comparison| c.speedup.unwrap() / c.ess_per_second.unwrap();
    assert!(
        (ratio(fast) - ratio(slow)).abs() < 1e-9 * ratio(fast),
        "same MD ESS/s"
    );
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);

    // Figures: one time series per set, MD against ns and chains against MCMC steps.
    for label in ["fast", "slow"] {
        let svg =
            std::fs::read_to_string(out.join(format!("plots/phi_psi_time_{label}.svg"))).unwrap();
        assert!(
            svg.contains("MD time / ns") && svg.contains("MCMC step"),
            "{label}"
        );
        assert!(out
            .join(format!("plots/phi_psi_time_{label}.png"))
            .is_file());
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("name=\"viewport\" content=\"width=device-width, initial-scale=1\""));
    assert!(
        html.contains("side by side")
            && html.contains("<td>fast</td>")
            && html.contains("<td>slow</td>")
    );
    assert!(
        !html.contains("src=\"http"),
        "report must be self-contained"
    );
    keep_for_inspection(&root, "several");
}

#[test]
fn rejected_frames_change_neither_median_moves_nor_transitions() {
    // The same chain with and without a repeat of every frame has the same accepted moves.
    let root = scratch("moves");
    let (md_dir, a_dir, b_dir, out) = (
        root.join("md"),
        root.join("a"),
        root.join("b"),
        root.join("report"),
    );
    let (top, pos, ang) = generate(&Synth::new(600, 0.05, 70));
    write_traj(&md_dir, "ala2", &top, &pos, &ang);
    write_traj(&a_dir, "ala2", &top, &pos, &ang);
    let (pos2, ang2) = with_rejections(&pos, &ang, top.n_atoms());
    write_traj(&b_dir, "ala2", &top, &pos2, &ang2);
    let sets = vec![SampleSet::from_dir(&a_dir), SampleSet::new("b", &b_dir)];
    let mut opts = AnalyzeOptions::with_sample_sets(&md_dir, sets, &out).unwrap();
    opts.tica_lag = 5;
    let m = analyze(&opts).unwrap();
    let (a, b) = (&m.comparisons[0], &m.comparisons[1]);
    assert!(a.median_abs_dphi_accepted.unwrap() > 0.0);
    assert_eq!(a.median_abs_dphi_accepted, b.median_abs_dphi_accepted);
    assert_eq!(a.median_abs_dpsi_accepted, b.median_abs_dpsi_accepted);
    assert_eq!(a.basin_transitions, b.basin_transitions);
    assert_eq!(m.md.basin_transitions, a.basin_transitions);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn sample_set_errors_name_the_set() {
    let root = scratch("set-errors");
    let md = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata");
    let empty = root.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let sets = vec![SampleSet::from_dir(md), SampleSet::new("B", &empty)];
    let err = analyze(&AnalyzeOptions::with_sample_sets(md, sets, root.join("out")).unwrap())
        .unwrap_err();
    assert!(matches!(err, AnalysisError::NoTrajectory { .. }), "{err}");
    assert!(err.to_string().contains("empty"), "{err}");
    // A file is not a folder.
    let file = root.join("file.txt");
    std::fs::write(&file, "x").unwrap();
    let sets = vec![SampleSet::from_dir(md), SampleSet::from_dir(&file)];
    let err = analyze(&AnalyzeOptions::with_sample_sets(md, sets, root.join("out")).unwrap())
        .unwrap_err();
    assert!(
        err.to_string().contains("file.txt") && err.to_string().contains("not a folder"),
        "{err}"
    );
    // Two sets with the same label.
    let sets = vec![SampleSet::new("x", md), SampleSet::new("x", md)];
    let err = analyze(&AnalyzeOptions::with_sample_sets(md, sets, root.join("out")).unwrap())
        .unwrap_err();
    assert!(
        matches!(err, AnalysisError::Options(_)) && err.to_string().contains("`x`"),
        "{err}"
    );
    assert!(AnalyzeOptions::with_sample_sets(md, vec![], root.join("out")).is_err());
    assert!(
        !root.join("out").exists(),
        "nothing is written before the inputs are checked"
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn sample_set_specs_parse_as_dir_or_label_equals_dir() {
    let root = scratch("parse");
    let s = SampleSet::parse("flow=runs/sample").unwrap();
    assert_eq!(
        (s.label.as_str(), s.dir.as_path()),
        ("flow", std::path::Path::new("runs/sample"))
    );
    let s = SampleSet::parse("runs/sample/").unwrap();
    assert_eq!(s.label, "sample");
    // An existing folder whose name holds `=` is taken whole.
    let odd = root.join("a=b");
    std::fs::create_dir_all(&odd).unwrap();
    let s = SampleSet::parse(odd.to_str().unwrap()).unwrap();
    assert_eq!((s.label.as_str(), s.dir.as_path()), ("a=b", odd.as_path()));
    assert!(SampleSet::parse("=dir").is_err());
    assert!(SampleSet::parse("label=").is_err());
    assert!(SampleSet::parse("").is_err());
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn single_set_analysis_has_one_comparison_and_old_metrics_json_still_reads() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata");
    let out = scratch("compat");
    let mut opts = AnalyzeOptions::new(dir, dir, &out);
    opts.tica_lag = 5;
    let m = analyze(&opts).unwrap();
    assert_eq!(m.comparisons.len(), 1);
    assert_eq!(m.comparisons[0].label, "testdata");
    assert_eq!(m.comparisons[0].jsd_phi_psi, m.jsd_phi_psi);
    // metrics.json of an earlier version, without the fields added since, deserialises.
    let mut v = serde_json::to_value(&m).unwrap();
    v.as_object_mut().unwrap().remove("comparisons");
    for ds in ["md", "samples"] {
        let d = v[ds].as_object_mut().unwrap();
        for key in [
            "populations_stderr",
            "basin_transitions",
            "basin_transitions_per_residue",
            "transitions_per_second",
            "moved_frames",
            "median_abs_dphi_accepted",
            "median_abs_dpsi_accepted",
            "accepted_moves_per_residue",
            "potential_energy_stderr",
        ] {
            assert!(d.remove(key).is_some(), "{key}");
        }
        for r in d["populations_per_residue"].as_array_mut().unwrap() {
            r.as_object_mut().unwrap().remove("populations_stderr");
        }
    }
    let old: Metrics = serde_json::from_value(v).unwrap();
    assert_eq!(old.samples.populations, m.samples.populations);
    assert!(old.comparisons.is_empty());
    std::fs::remove_dir_all(&out).unwrap();
}

/// Manual check of what a person sees: renders report.html in headless Chromium and saves a
/// screenshot next to it. Run with
/// `cargo test -p timewarp-analysis --release --test report -- --ignored --nocapture`;
/// skipped (passes) where no `chromium` is installed.
#[test]
#[ignore]
fn report_renders_in_headless_chromium() {
    let Some(chromium) = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            std::process::Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
    else {
        eprintln!("no chromium: skipped");
        return;
    };
    let root = std::env::temp_dir().join("timewarp-analysis-screenshot");
    let _ = std::fs::remove_dir_all(&root);
    let (md_dir, sm_dir, out) = (root.join("md"), root.join("samples"), root.join("report"));
    let (top, pos, ang) = generate(&Synth::new(3000, 0.01, 40));
    write_traj(&md_dir, "ala2", &top, &pos, &ang);
    write_run_json(&md_dir, "md", 300.0, None);
    let (top, pos, ang) = generate(&Synth::new(1500, 0.2, 41));
    write_traj(&sm_dir, "ala2", &top, &pos, &ang);
    write_run_json(&sm_dir, "sample", 100.0, Some(0.25));
    let mut opts = AnalyzeOptions::new(&md_dir, &sm_dir, &out);
    opts.tica_lag = 5;
    analyze(&opts).unwrap();
    let shot = out.join("screenshot.png");
    let status = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--window-size=1400,2000",
        ])
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", out.join("report.html").display()))
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    assert!(png.len() > 20_000, "screenshot suspiciously small");
    eprintln!("screenshot: {}", shot.display());
}
