//! `timewarp analyze` with several `--samples` (DIR and LABEL=DIR) on the official-layout
//! trajectory of shared/testdata, and its error for a `--samples` without trajectories.

use std::path::PathBuf;
use std::process::Command;

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata");

fn timewarp() -> Command {
    Command::new(env!("CARGO_BIN_EXE_timewarp"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "timewarp-cli-analyze-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn analyze_compares_several_sample_sets_side_by_side() {
    let dir = scratch("several");
    let out = dir.join("report");
    let run = timewarp()
        .args([
            "analyze",
            "--md",
            TESTDATA,
            "--samples",
            TESTDATA,
            "--samples",
        ])
        .arg(format!("copy={TESTDATA}"))
        .arg("--out")
        .arg(&out)
        .args(["--tica-lag", "5"])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    let labels: Vec<&str> = m["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["testdata", "copy"]);
    // The first set fills the top-level fields, as with a single --samples.
    assert_eq!(m["jsd_phi_psi"], m["comparisons"][0]["jsd_phi_psi"]);
    assert!(m["samples"]["basin_transitions"].is_u64());
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("copy:"), "{stdout}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<td>copy</td>"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn analyze_names_a_samples_folder_without_trajectories() {
    let dir = scratch("bad-samples");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = dir.join("report");
    for (spec, culprit) in [
        (format!("B={}", empty.display()), "B="),
        (dir.join("missing").display().to_string(), "missing"),
    ] {
        let run = timewarp()
            .args([
                "analyze",
                "--md",
                TESTDATA,
                "--samples",
                TESTDATA,
                "--samples",
            ])
            .arg(&spec)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(!run.status.success());
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(
            stderr.contains("--samples") && stderr.contains(culprit),
            "{stderr}"
        );
        assert!(!out.exists(), "nothing is written for bad input");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
