//! `timewarp md` over several peptides: data-set layout and manifest, a second invocation that
//! skips every finished peptide, training across the peptides of the manifest's train split,
//! and the unchanged single-structure layout.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

fn timewarp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_timewarp"))
        .args(args)
        .arg("--quiet")
        .output()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("timewarp-cli-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(o: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn mtime(p: &Path) -> SystemTime {
    std::fs::metadata(p).unwrap().modified().unwrap()
}

/// Tiny MD: 100 burn-in + 400 production steps, a frame every 20 steps (21 frames).
const TINY: [&str; 10] = [
    "--steps",
    "400",
    "--burn-in-steps",
    "100",
    "--save-every",
    "20",
    "--spacing",
    "regular",
    "--seed",
    "5",
];

#[test]
fn three_dipeptides_make_a_resumable_data_set_that_trains() {
    let dir = scratch("md-dataset");
    let out = dir.join("ds");
    let out_s = out.to_str().unwrap();
    let mut args = vec![
        "md",
        "--sequences",
        "AG,GA",
        "--pdb",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/testdata/ala2.pdb"
        ),
        "--out",
        out_s,
    ];
    args.extend(TINY);
    let first = timewarp(&args);
    assert!(first.status.success(), "{}", text(&first));
    let stdout = String::from_utf8_lossy(&first.stdout).to_string();
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.starts_with("md ") && l.contains(" frames in "))
            .count(),
        3,
        "{stdout}"
    );

    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["format"], "timewarp-md-dataset/1");
    assert_eq!(manifest["md"]["steps"], 400);
    assert_eq!(manifest["split"]["train"], 0.8);
    let peptides = manifest["peptides"].as_array().unwrap();
    let names: Vec<&str> = peptides
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["AG", "GA", "ala2"]);
    let mut splits: Vec<&str> = peptides
        .iter()
        .map(|p| p["split"].as_str().unwrap())
        .collect();
    splits.sort();
    assert_eq!(splits, ["test", "train", "val"]);
    for p in peptides {
        let name = p["name"].as_str().unwrap();
        assert_eq!(p["status"], "complete", "{p}");
        assert_eq!(p["folder"], name);
        let (pdb, arrays) = timewarp_mol::traj::read_traj_dir(&out.join(name)).unwrap();
        assert_eq!(
            pdb.topology.n_atoms() as u64,
            p["n_atoms"].as_u64().unwrap()
        );
        assert_eq!(arrays.n_frames(), 21);
        assert!(out.join(name).join("run.json").is_file());
    }
    assert_eq!(peptides[2]["n_atoms"], 22);
    assert!(peptides[2]["source"]
        .as_str()
        .unwrap()
        .ends_with("ala2.pdb"));
    assert_eq!(peptides[0]["sequence"], "AG");
    assert!(out.join("config.toml").is_file());

    // Second invocation: every peptide is skipped, nothing is rewritten.
    let npz = out.join("GA/GA-traj-arrays.npz");
    let before = mtime(&npz);
    let second = timewarp(&args);
    assert!(second.status.success(), "{}", text(&second));
    let stdout = String::from_utf8_lossy(&second.stdout).to_string();
    assert_eq!(
        stdout.matches("already complete, skipped").count(),
        3,
        "{stdout}"
    );
    assert!(
        stdout.contains("0 run, 3 already complete, 0 failed"),
        "{stdout}"
    );
    assert_eq!(mtime(&npz), before);

    // Training across peptides: the train split only, validated on the val split.
    let run = dir.join("model");
    let train = timewarp(&[
        "train",
        "--data",
        out_s,
        "--out",
        run.to_str().unwrap(),
        "--preset",
        "tiny",
        "--lag-steps",
        "20",
        "--steps",
        "4",
        "--batch",
        "4",
    ]);
    assert!(train.status.success(), "{}", text(&train));
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("run.json")).unwrap()).unwrap();
    assert_eq!(record["summary"]["steps"], 4);
    // One peptide per split, 21 frames each: 20 pairs of lag 20 steps in train and in val.
    assert_eq!(record["summary"]["train_pairs"], 20);
    assert_eq!(record["summary"]["val_pairs"], 20);
    assert!(run.join("best/model.safetensors").is_file());
    let stderr = String::from_utf8_lossy(&train.stderr).to_string();
    assert!(
        stderr.contains("1 train") && stderr.contains("1 test"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failing_peptide_does_not_stop_the_others_and_the_exit_status_says_so() {
    let dir = scratch("md-dataset-fail");
    let out = dir.join("ds");
    let mut args = vec!["md", "--sequences", "AX,GG", "--out", out.to_str().unwrap()];
    args.extend(TINY);
    let o = timewarp(&args);
    assert!(!o.status.success());
    let all = text(&o);
    assert!(
        all.contains("AX") && all.contains("FAILED") && all.contains("'X'"),
        "{all}"
    );
    assert!(out.join("GG/GG-traj-arrays.npz").is_file(), "{all}");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["peptides"][0]["status"], "failed");
    assert_eq!(m["peptides"][1]["status"], "complete");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_sequence_file_names_file_and_line() {
    let dir = scratch("md-seqfile");
    let file = dir.join("peptides.txt");
    std::fs::write(&file, "# capped dipeptides\nAK\n\nGB  # typo\n").unwrap();
    let o = timewarp(&[
        "md",
        "--sequence-file",
        file.to_str().unwrap(),
        "--out",
        dir.join("ds").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("peptides.txt:4") && err.contains("'GB'"),
        "{err}"
    );
    assert!(!dir.join("ds").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn one_pdb_keeps_the_single_structure_layout() {
    let dir = scratch("md-single");
    let out = dir.join("md");
    let pdb = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/ala2.pdb"
    );
    let mut args = vec!["md", "--pdb", pdb, "--out", out.to_str().unwrap()];
    args.extend(TINY);
    let o = timewarp(&args);
    assert!(o.status.success(), "{}", text(&o));
    assert!(out.join("ala2-traj-arrays.npz").is_file());
    assert!(out.join("ala2-traj-state0.pdb").is_file());
    assert!(!out.join("manifest.json").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
