//! `analyze` on degenerate inputs: a trajectory without frames is an error naming its folder
//! (not a report of NaN JSDs), and a chain that never moved or hardly moved gets a warning in
//! `metrics.json` next to its speed-up.

mod common;

use common::{generate, scratch, write_run_json, write_traj, Synth};
use std::path::Path;
use timewarp_analysis::{analyze, AnalysisError, AnalyzeOptions, Metrics};
use timewarp_mol::traj::TrajArrays;

/// MD that mixes (600 s), the reference of every test here.
fn write_md(dir: &Path) {
    let (top, pos, ang) = generate(&Synth::new(3000, 0.05, 10));
    write_traj(dir, "ala2", &top, &pos, &ang);
    write_run_json(dir, "md", 600.0, None);
}

fn run(md: &Path, samples: &Path, out: &Path) -> Result<Metrics, AnalysisError> {
    let mut opts = AnalyzeOptions::new(md, samples, out);
    opts.tica_lag = 5;
    analyze(&opts)
}

#[test]
fn trajectory_without_frames_is_refused_naming_the_folder() {
    let root = scratch("no-frames");
    let (md, empty) = (root.join("md"), root.join("empty"));
    write_md(&md);
    let (top, _, _) = generate(&Synth::new(1, 0.1, 1));
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::copy(common::ALA2, empty.join("ala2-traj-state0.pdb")).unwrap();
    TrajArrays::new(top.n_atoms())
        .write_npz_atomic(&empty.join("ala2-traj-arrays.npz"))
        .unwrap();
    write_run_json(&empty, "sample", 10.0, Some(0.5));

    // As the sample set, and as the MD.
    for (md_dir, sm_dir, what) in [
        (&md, &empty, "sample set `empty` folder"),
        (&empty, &md, "MD folder"),
    ] {
        let out = root.join("report");
        let err = run(md_dir, sm_dir, &out).unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(err, AnalysisError::TooFewFrames { n_frames: 0, .. }),
            "{text}"
        );
        assert!(
            text.contains(what) && text.contains(&empty.display().to_string()),
            "{text}"
        );
        assert!(!out.join("metrics.json").exists(), "{text}");
    }
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn chain_that_never_moved_is_warned_about_next_to_its_speedup() {
    let root = scratch("never-moved");
    let (md, samples, out) = (root.join("md"), root.join("samples"), root.join("report"));
    write_md(&md);
    // 500 copies of one frame, as written by a chain that rejected every proposal.
    let (top, pos, ang) = generate(&Synth::new(1, 0.1, 2));
    let frames = 500;
    let positions: Vec<f32> = pos
        .iter()
        .copied()
        .cycle()
        .take(pos.len() * frames)
        .collect();
    write_traj(&samples, "ala2", &top, &positions, &vec![ang[0]; frames]);
    // No acceptance rate in run.json: the frames alone show it.
    write_run_json(&samples, "sample", 1.0, None);
    let m = run(&md, &samples, &out).unwrap();
    assert_eq!(m.samples.moved_frames, 0);
    let warning = m
        .warnings
        .iter()
        .find(|w| w.contains("never moved"))
        .unwrap_or_else(|| panic!("no warning in {:?}", m.warnings));
    assert!(warning.starts_with("samples:"), "{warning}");
    if let Some(s) = m.speedup {
        assert!(warning.contains(&format!("{s:.3}")), "{warning}");
    }
    // metrics.json carries it.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    assert!(json["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w.as_str().unwrap().contains("never moved")));

    // An acceptance rate of 0 in run.json says the same.
    let (top, pos, ang) = generate(&Synth::new(400, 0.2, 3));
    write_traj(&samples, "ala2", &top, &pos, &ang);
    write_run_json(&samples, "sample", 1.0, Some(0.0));
    let m = run(&md, &samples, &out).unwrap();
    assert!(
        m.warnings.iter().any(|w| w.contains("never moved")),
        "{:?}",
        m.warnings
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn acceptance_below_one_in_a_thousand_is_warned_about() {
    let root = scratch("low-acceptance");
    let (md, samples, out) = (root.join("md"), root.join("samples"), root.join("report"));
    write_md(&md);
    let (top, pos, ang) = generate(&Synth::new(400, 0.2, 4));
    write_traj(&samples, "ala2", &top, &pos, &ang);
    write_run_json(&samples, "sample", 1.0, Some(5e-4));
    let m = run(&md, &samples, &out).unwrap();
    assert!(
        m.warnings
            .iter()
            .any(|w| w.contains("acceptance rate 5.00e-4") && w.contains("hardly moved")),
        "{:?}",
        m.warnings
    );
    // A healthy rate gives no such warning.
    write_run_json(&samples, "sample", 1.0, Some(0.2));
    let m = run(&md, &samples, &out).unwrap();
    assert!(
        !m.warnings.iter().any(|w| w.contains("moved")),
        "{:?}",
        m.warnings
    );
    std::fs::remove_dir_all(&root).unwrap();
}
