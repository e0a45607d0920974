//! Scaled-down end-to-end run of `timewarp run` (seconds): every stage's artefacts exist and are
//! valid, and a second invocation skips the completed stages.

use std::path::{Path, PathBuf};
use std::process::Command;

fn timewarp() -> Command {
    Command::new(env!("CARGO_BIN_EXE_timewarp"))
}

fn tiny_config(out: &Path) -> String {
    format!(
        r#"
[run]
out = "{}"
[md]
steps = 20000
burn_in_steps = 1000
save_every = 50
spacing = "regular"
replicas = 2
seed = 3
checkpoint_every = 5000
[fit]
lag_ps = 0.25
[train]
preset = "ic-tiny"
loss = "nll"
steps = 6
batch = 8
val_every = 3
val_max_pairs = 16
checkpoint_every = 3
[finetune]
preset = "ic-tiny"
loss = "acceptance"
steps = 4
batch = 8
val_every = 2
val_max_pairs = 16
checkpoint_every = 2
[sample]
steps = 30
chains = 2
proposals = 1
[explore]
steps = 20
chains = 2
[analyze]
tica_lag = 2
"#,
        out.display()
    )
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("timewarp-cli-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn pipeline_produces_every_artefact_and_skips_completed_stages() {
    let dir = scratch("pipeline");
    let out = dir.join("run");
    let cfg = dir.join("tiny.toml");
    std::fs::write(&cfg, tiny_config(&out)).unwrap();
    let first = timewarp()
        .arg("run")
        .arg(&cfg)
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(
        first.status.success(),
        "timewarp run failed: {}",
        String::from_utf8_lossy(&first.stderr)
    );

    for stage in [
        "md",
        "kernel",
        "model",
        "finetune",
        "sample",
        "sample-fitted",
        "explore",
        "report",
    ] {
        let record = timewarp_rundir::RunRecord::read(&out.join(stage))
            .unwrap()
            .unwrap_or_else(|| panic!("stage {stage} has no run.json"));
        assert!(record.completed, "stage {stage} not complete");
        assert!(
            !out.join(stage).join(".timewarp.lock").exists(),
            "stage {stage} still locked"
        );
    }
    // MD: official layout per replica, readable.
    for r in ["replica-000", "replica-001"] {
        let (pdb, arrays) = timewarp_mol::traj::read_traj_dir(&out.join("md").join(r)).unwrap();
        assert_eq!(pdb.topology.n_atoms(), 22);
        assert_eq!(arrays.n_frames(), 401);
        assert!(arrays.positions.iter().all(|x| x.is_finite()));
    }
    // The fitted kernel, and the internal-chart model: best checkpoint (with the kernel it
    // refines), metrics and loss curve.
    assert!(out.join("kernel/kernel.json").is_file());
    for f in [
        "best/config.json",
        "best/model.safetensors",
        "best/kernel.json",
        "metrics.csv",
        "loss.png",
    ] {
        assert!(out.join("model").join(f).is_file(), "model/{f} missing");
    }
    // Fine-tuned model (the proposal of the chains): its final weights and the acceptance column.
    for f in ["best/config.json", "best/model.safetensors", "metrics.csv"] {
        assert!(
            out.join("finetune").join(f).is_file(),
            "finetune/{f} missing"
        );
    }
    let metrics = std::fs::read_to_string(out.join("finetune/metrics.csv")).unwrap();
    assert!(
        metrics.lines().next().unwrap().contains("acceptance"),
        "{metrics}"
    );
    // Samples of both chains: official layout with the start + 30 steps per chain.
    for set in ["sample", "sample-fitted"] {
        for c in ["chain-000", "chain-001"] {
            let (_, s) = timewarp_mol::traj::read_traj_dir(&out.join(set).join(c)).unwrap();
            assert_eq!(s.n_frames(), 31, "{set}/{c}");
        }
        assert!(out.join(set).join("proposals.csv").is_file());
    }
    // Report: metrics.json with the contract's keys.
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report/metrics.json")).unwrap())
            .unwrap();
    for set in ["md", "samples"] {
        for key in ["alphaL", "alphaR", "beta_C7eq"] {
            let p = m[set]["populations"][key].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&p));
        }
        assert!(m[set].get("ess_per_second").is_some());
    }
    assert_eq!(m["jsd_phi_psi"].as_array().unwrap().len(), 1);
    assert!(m.get("speedup").is_some());
    assert!(m["acceptance_rate"].as_f64().is_some());
    let labels: Vec<&str> = m["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["flow", "fitted"]);
    let html = std::fs::read_to_string(out.join("report/report.html")).unwrap();
    assert!(
        html.contains("data:image/png;base64,"),
        "report has no embedded plots"
    );

    // Second run: every stage skipped, nothing rewritten.
    let before = std::fs::metadata(out.join("sample/chain-000/alanine-dipeptide-traj-arrays.npz"))
        .unwrap()
        .modified()
        .unwrap();
    let second = timewarp()
        .arg("run")
        .arg(&cfg)
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(second.status.success());
    let text = String::from_utf8_lossy(&second.stdout);
    assert_eq!(text.matches("already complete").count(), 8, "{text}");
    let after = std::fs::metadata(out.join("sample/chain-000/alanine-dipeptide-traj-arrays.npz"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn print_config_is_the_bundled_default_and_parses() {
    let out = timewarp().args(["run", "--print-config"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("[md]")
            && text.contains("[fit]")
            && text.contains("[train]")
            && text.contains("[finetune]")
            && text.contains("[sample]")
    );
    let table: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(
        table["forcefield"]["forcefield"].as_str(),
        Some("amber14-obc1")
    );
}

#[test]
fn energy_json_matches_the_contract_and_errors_name_the_problem() {
    let pdb = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/ala2.pdb"
    );
    let out = timewarp()
        .args(["energy", "--pdb", pdb, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for k in ["bond", "angle", "torsion", "nonbonded", "gb", "total"] {
        assert!(v[k].as_f64().unwrap().is_finite(), "{k}");
    }
    assert!((v["total"].as_f64().unwrap() - (-125.95011004503074)).abs() < 1e-6);
    assert_eq!(v["forces"].as_array().unwrap().len(), 22);

    let bad = timewarp()
        .args(["energy", "--pdb", pdb, "--cutoff", "abc"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--cutoff"));
    let bad = timewarp()
        .args([
            "build",
            "--sequence",
            "AXE",
            "--no-minimize",
            "--out",
            "/dev/null",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("'X' at position 2"));
}
