//! Output folders are safe (our issue 18): a finished pipeline run with an edited configuration
//! is refused, naming the changed setting, and nothing in the folder changes; two processes on
//! one folder: one is refused with the holder's pid, the other finishes whole; a refused run
//! leaves the folder byte for byte as it was; `train --out` on an MD folder is refused; a
//! `timewarp sample` killed with SIGKILL and resumed equals an uninterrupted one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn timewarp() -> Command {
    Command::new(env!("CARGO_BIN_EXE_timewarp"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("timewarp-folders-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ala2() -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/ala2.pdb"
    ))
    .to_path_buf()
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn run_err(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        !out.status.success(),
        "succeeded but should have been refused: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const MD_FLAGS: [&str; 10] = [
    "--steps",
    "8000",
    "--burn-in-steps",
    "200",
    "--save-every",
    "20",
    "--spacing",
    "regular",
    "--quiet",
    "--no-minimize",
];

#[test]
fn an_edited_pipeline_config_is_refused_and_the_folder_is_untouched() {
    let dir = scratch("edited");
    let out = dir.join("run");
    let config = |temperature: f64| {
        format!(
            r#"
[run]
out = "{}"
[md]
temperature_k = {temperature}
steps = 8000
burn_in_steps = 200
save_every = 20
spacing = "regular"
replicas = 1
[fit]
lag_ps = 0.1
[train]
preset = "ic-tiny"
steps = 2
batch = 4
val_every = 2
val_max_pairs = 8
checkpoint_every = 2
[sample]
steps = 5
proposals = 1
[explore]
steps = 3
chains = 1
[analyze]
tica_lag = 2
"#,
            out.display()
        )
    };
    let cfg = dir.join("a.toml");
    std::fs::write(&cfg, config(310.0)).unwrap();
    run_ok(timewarp().arg("run").arg(&cfg).arg("--quiet"));
    let before = snapshot(&out);
    std::fs::write(&cfg, config(400.0)).unwrap();
    let err = run_err(timewarp().arg("run").arg(&cfg).arg("--quiet"));
    assert!(err.contains("md.temperature_k: 310.0 → 400.0"), "{err}");
    assert!(err.contains("--restart-from md"), "{err}");
    assert_eq!(snapshot(&out), before, "a refused run changed the folder");
    // Restarting from the MD redoes everything at 400 K.
    run_ok(
        timewarp()
            .arg("run")
            .arg(&cfg)
            .arg("--quiet")
            .args(["--restart-from", "md"]),
    );
    let md = timewarp_rundir::RunRecord::read(&out.join("md"))
        .unwrap()
        .unwrap();
    assert_eq!(md.settings["md"]["temperature_k"], 400.0);
    assert!(std::fs::read_to_string(out.join("config.toml"))
        .unwrap()
        .contains("temperature_k = 400.0"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn two_writers_of_one_folder_one_is_refused_by_pid_and_the_other_completes() {
    let dir = scratch("two");
    let out = dir.join("md");
    let spawn = |seed: &str| {
        timewarp()
            .args(["md", "--pdb"])
            .arg(ala2())
            .arg("--out")
            .arg(&out)
            .args([
                "--steps",
                "60000",
                "--burn-in-steps",
                "200",
                "--save-every",
                "200",
                "--spacing",
                "regular",
                "--quiet",
                "--no-minimize",
                "--seed",
                seed,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let a = spawn("7");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let b = spawn("8");
    let (ra, rb) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let ok = [ra.status.success(), rb.status.success()];
    assert_eq!(
        ok.iter().filter(|&&s| s).count(),
        1,
        "exactly one writer must succeed: {ok:?}"
    );
    let refused = if ra.status.success() { &rb } else { &ra };
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("in use by another timewarp process (pid") && err.contains("timewarp md"),
        "{err}"
    );
    // The winner's output is complete and readable by our readers, and records its own seed.
    let (_, arrays) = timewarp_mol::traj::read_traj_dir(&out).unwrap();
    assert_eq!(arrays.n_frames(), 301);
    let record = timewarp_rundir::RunRecord::read(&out).unwrap().unwrap();
    assert!(record.completed);
    let seed = record.settings["md"]["seed"].as_u64().unwrap();
    assert_eq!(seed, if ra.status.success() { 7 } else { 8 });
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn refused_runs_leave_the_folder_byte_for_byte_and_train_will_not_write_into_md() {
    let dir = scratch("refused");
    let md = dir.join("md");
    run_ok(
        timewarp()
            .args(["md", "--pdb"])
            .arg(ala2())
            .arg("--out")
            .arg(&md)
            .args(MD_FLAGS),
    );
    let before = snapshot(&md);
    // Other settings into the finished folder (with or without --resume).
    for extra in [&["--seed", "9"][..], &["--seed", "9", "--resume"][..]] {
        let err = run_err(
            timewarp()
                .args(["md", "--pdb"])
                .arg(ala2())
                .arg("--out")
                .arg(&md)
                .args(MD_FLAGS)
                .args(extra),
        );
        assert!(err.contains("md.seed: 0 → 9"), "{err}");
        assert_eq!(snapshot(&md), before);
    }
    // The same command again: complete, nothing rewritten.
    run_ok(
        timewarp()
            .args(["md", "--pdb"])
            .arg(ala2())
            .arg("--out")
            .arg(&md)
            .args(MD_FLAGS),
    );
    assert_eq!(snapshot(&md), before);
    // train --data D --out D: the MD's run.json is not replaced.
    let err = run_err(
        timewarp()
            .args(["train", "--data"])
            .arg(&md)
            .arg("--out")
            .arg(&md)
            .args(["--preset", "tiny", "--steps", "1", "--quiet"]),
    );
    assert!(err.contains("holds the output of `timewarp md`"), "{err}");
    assert_eq!(snapshot(&md), before);
    let _ = std::fs::remove_dir_all(&dir);
}

/// SIGKILL in the middle of a fitted-kernel chain (which accepts half of its moves), then
/// `--resume`: the trajectory and the proposal log equal those of an uninterrupted run.
#[test]
fn a_killed_chain_resumes_bit_for_bit() {
    let dir = scratch("kill");
    let md = dir.join("md");
    run_ok(
        timewarp()
            .args(["md", "--pdb"])
            .arg(ala2())
            .arg("--out")
            .arg(&md)
            .args(MD_FLAGS),
    );
    let kernel = dir.join("kernel");
    run_ok(
        timewarp()
            .args(["fit", "--md"])
            .arg(&md)
            .arg("--out")
            .arg(&kernel)
            .args(["--lag-ps", "0.1"]),
    );
    let sample = |out: &Path, resume: bool| {
        let mut c = timewarp();
        c.args(["sample", "--proposal", "fitted", "--kernel"])
            .arg(&kernel)
            .arg("--pdb")
            .arg(ala2())
            .arg("--out")
            .arg(out)
            .args(["--steps", "100000", "--equilibrate-ps", "0.5", "--quiet"]);
        if resume {
            c.arg("--resume");
        }
        c
    };
    let whole = dir.join("whole");
    run_ok(&mut sample(&whole, false));
    let parts = dir.join("parts");
    // A checkpoint every 0.2 s of wall time; kill after the first few.
    std::fs::write(
        dir.join("often.toml"),
        "[sample]\ncheckpoint_seconds = 0.2\n",
    )
    .unwrap();
    let mut child = sample(&parts, false)
        .arg("--config")
        .arg(dir.join("often.toml"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !parts.join("checkpoint.json").is_file() && started.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(700));
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the chain finished before the kill; make it longer"
    );
    run_ok(
        sample(&parts, true)
            .arg("--config")
            .arg(dir.join("often.toml")),
    );
    let read = |d: &Path| {
        timewarp_mol::traj::TrajArrays::read_npz(&d.join("ala2-traj-arrays.npz")).unwrap()
    };
    assert_eq!(read(&whole), read(&parts));
    assert_eq!(
        std::fs::read(whole.join("proposals.csv")).unwrap(),
        std::fs::read(parts.join("proposals.csv")).unwrap()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
