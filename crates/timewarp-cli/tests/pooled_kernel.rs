//! A fitted kernel pooled over peptides by residue type (`timewarp fit --pooled`) samples a
//! dipeptide that is not in its data; a residue type it never saw is refused, naming the residue;
//! several molecules without `--pooled` are refused with the hint; a flow refining the pooled
//! kernel trains on all the peptides and samples the unseen one.

use std::path::PathBuf;
use std::process::{Command, Output};

fn timewarp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_timewarp"))
        .args(args)
        .arg("--quiet")
        .output()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("timewarp-pooled-{name}-{}", std::process::id()));
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

fn ok(o: Output) -> String {
    assert!(o.status.success(), "{}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn a_pooled_kernel_samples_an_unseen_dipeptide_and_names_an_unseen_residue_type() {
    let dir = scratch("transfer");
    let s = |p: &str| dir.join(p).to_str().unwrap().to_string();
    // MD of AG and GA: ALA is seen first (the Z-matrix root) in AG and second in GA, so AA is
    // covered although it is not in the data. 300 frames, 10 fs apart, per peptide.
    ok(timewarp(&[
        "md",
        "--sequences",
        "AG,GA",
        "--out",
        &s("md"),
        "--steps",
        "6000",
        "--burn-in-steps",
        "200",
        "--save-every",
        "20",
        "--spacing",
        "regular",
        "--split",
        "1,0,0",
        "--seed",
        "3",
    ]));
    // Without --pooled, two molecules are refused with the hint.
    let o = timewarp(&[
        "fit",
        "--md",
        &s("md"),
        "--out",
        &s("one"),
        "--lag-ps",
        "0.1",
    ]);
    assert!(!o.status.success());
    assert!(text(&o).contains("--pooled"), "{}", text(&o));
    assert!(!dir.join("one/kernel.json").exists());

    let fit = ok(timewarp(&[
        "fit",
        "--pooled",
        "--md",
        &s("md"),
        "--out",
        &s("pool"),
        "--lag-ps",
        "0.1",
    ]));
    assert!(fit.contains("2 peptides"), "{fit}");
    // A pooled kernel is megabytes of numbers: written gzip-compressed.
    assert!(!dir.join("pool/kernel.json").exists());
    let kernel: serde_json::Value =
        timewarp_rundir::read_json(&dir.join("pool/kernel.json.gz")).unwrap();
    assert_eq!(kernel["format"], "timewarp-pooled-kernel");
    let mut peptides: Vec<&str> = kernel["peptides"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    peptides.sort();
    assert_eq!(peptides, ["AG", "GA"]);
    for group in [
        "ALA/root",
        "ALA/after",
        "GLY/root",
        "GLY/after",
        "ACE/before",
    ] {
        assert!(kernel["groups"].get(group).is_some(), "no group {group}");
    }

    // AA is in neither peptide of the data.
    ok(timewarp(&[
        "build",
        "--sequence",
        "AA",
        "--out",
        &s("AA.pdb"),
    ]));
    let sample = ok(timewarp(&[
        "sample",
        "--proposal",
        "fitted",
        "--kernel",
        &s("pool"),
        "--pdb",
        &s("AA.pdb"),
        "--out",
        &s("sample-AA"),
        "--steps",
        "100",
        "--chains",
        "2",
    ]));
    assert!(sample.contains("acceptance rate"), "{sample}");
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("sample-AA/run.json")).unwrap())
            .unwrap();
    assert_eq!(run["completed"], true, "{run}");

    // A flow refining the pooled kernel trains on both peptides and samples AA.
    let train = ok(timewarp(&[
        "train",
        "--preset",
        "ic-tiny",
        "--kernel",
        &s("pool"),
        "--data",
        &s("md"),
        "--out",
        &s("flow"),
        "--steps",
        "4",
        "--batch",
        "8",
    ]));
    assert!(train.contains("train: 4 steps"), "{train}");
    let flow_sample = ok(timewarp(&[
        "sample",
        "--model",
        &s("flow/best"),
        "--pdb",
        &s("AA.pdb"),
        "--out",
        &s("flow-AA"),
        "--steps",
        "20",
        "--proposals",
        "4",
    ]));
    assert!(flow_sample.contains("acceptance rate"), "{flow_sample}");

    // Tryptophan was never in the data: the error names the residue and what the kernel knows.
    ok(timewarp(&[
        "build",
        "--sequence",
        "WA",
        "--no-minimize",
        "--out",
        &s("WA.pdb"),
    ]));
    let o = timewarp(&[
        "sample",
        "--kernel",
        &s("pool"),
        "--pdb",
        &s("WA.pdb"),
        "--out",
        &s("sample-WA"),
        "--steps",
        "10",
    ]);
    assert!(!o.status.success());
    let e = text(&o);
    assert!(
        e.contains("TRP 2 (type TRP)")
            && e.contains("no training peptide")
            && e.contains("ALA, GLY"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The shipped transferable model (`models/dipeptides`, made by
/// `scripts/transfer-dipeptides.sh`).
fn shipped() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/dipeptides"
    ))
}

#[test]
fn the_shipped_model_lists_its_training_peptides_and_samples_a_held_out_dipeptide() {
    let model = shipped();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(model.join("manifest.json")).unwrap())
            .unwrap();
    let names = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect()
    };
    let peptides = names(&manifest["peptides"]);
    let held_out = names(&manifest["splits"]["held_out"]);
    assert!(peptides.len() >= 20, "{peptides:?}");
    assert!(
        held_out.iter().all(|h| !peptides.contains(h)),
        "{held_out:?}"
    );
    // The flow's kernel and the baseline were fitted on exactly the manifest's peptides.
    for kernel in ["kernel.json.gz", "baseline/kernel.json.gz"] {
        let k: serde_json::Value = timewarp_rundir::read_json(&model.join(kernel)).unwrap();
        assert_eq!(k["format"], "timewarp-pooled-kernel", "{kernel}");
        let mut fitted = names(&k["peptides"]);
        let mut listed = peptides.clone();
        fitted.sort();
        listed.sort();
        assert_eq!(fitted, listed, "{kernel}");
    }

    let dir = scratch("shipped");
    let s = |p: &str| dir.join(p).to_str().unwrap().to_string();
    let held = &held_out[0];
    ok(timewarp(&[
        "build",
        "--sequence",
        held,
        "--out",
        &s("held.pdb"),
    ]));
    let model_s = model.to_str().unwrap();
    let flow = ok(timewarp(&[
        "sample",
        "--model",
        model_s,
        "--pdb",
        &s("held.pdb"),
        "--out",
        &s("flow"),
        "--steps",
        "100",
        "--proposals",
        "1",
        "--equilibrate-ps",
        "0",
    ]));
    assert!(flow.contains("acceptance rate"), "{flow}");
    let baseline = ok(timewarp(&[
        "sample",
        "--proposal",
        "fitted",
        "--kernel",
        &model.join("baseline").to_string_lossy(),
        "--pdb",
        &s("held.pdb"),
        "--out",
        &s("baseline"),
        "--steps",
        "100",
        "--equilibrate-ps",
        "0",
    ]));
    assert!(baseline.contains("acceptance rate"), "{baseline}");

    // A residue type outside the training set (doubly protonated histidine): a clear error.
    ok(timewarp(&[
        "build",
        "--sequence",
        "H(HIP)A",
        "--no-minimize",
        "--out",
        &s("hip.pdb"),
    ]));
    let o = timewarp(&[
        "sample",
        "--model",
        model_s,
        "--pdb",
        &s("hip.pdb"),
        "--out",
        &s("hip"),
        "--steps",
        "10",
    ]);
    assert!(!o.status.success());
    let e = text(&o);
    assert!(
        e.contains("HIS 2 (type HIP)") && e.contains("no training peptide"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
