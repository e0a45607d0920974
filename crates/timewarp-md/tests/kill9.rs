//! A real `kill -9` in the middle of a run: the test re-executes its own binary as a child that
//! runs MD, SIGKILLs it after its first checkpoint, checks that every file left behind is
//! readable, resumes in-process, and compares with an uninterrupted run. Where exactly the kill
//! lands does not matter: any point must leave valid files and resume to identical frames.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use timewarp_md::analytic::HarmonicChain;
use timewarp_md::{run_md, MdConfig, SpacingKind};
use timewarp_mol::pdb::PdbFile;
use timewarp_mol::traj::{arrays_path, read_xtc, TrajArrays};

const CHILD_ENV: &str = "TIMEWARP_MD_KILL9_CHILD_DIR";

fn chain() -> HarmonicChain {
    HarmonicChain::new(30)
}

fn chain_pdb(chain: &HarmonicChain) -> PdbFile {
    let mut text = String::new();
    for (i, p) in chain.equilibrium().iter().enumerate() {
        let name = format!("C{}", i % 100);
        text.push_str(&format!(
            "HETATM{:>5} {name:<4} UNK A   1    {:>8.3}{:>8.3}{:>8.3}  1.00  0.00           C\n",
            i + 1,
            10.0 * p[0] + 0.01 * (i % 3) as f64,
            10.0 * p[1],
            10.0 * p[2] - 0.01 * (i % 2) as f64
        ));
    }
    text.push_str("END\n");
    timewarp_mol::parse_pdb(&text, "chain.pdb").unwrap()
}

fn cfg() -> MdConfig {
    MdConfig {
        name: Some("chain".into()),
        steps: 100_000,
        burn_in_steps: 1000,
        save_every: 2000,
        spacing: SpacingKind::Log,
        checkpoint_every: 20_000,
        seed: 77,
        minimize_tolerance: 0.5,
        ..MdConfig::default()
    }
}

fn run(dir: &Path, resume: bool) {
    let c = chain();
    run_md(
        &cfg(),
        &chain_pdb(&c),
        &c,
        &c.masses(),
        dir,
        resume,
        &|_, _| {},
    )
    .unwrap();
}

/// The child's entry point; a no-op in a normal test run.
#[test]
fn kill9_child_entry() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        run(Path::new(&dir), false);
    }
}

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("twmd-kill9-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn kill9_leaves_valid_files_and_resumes_exactly() {
    let killed = scratch("killed");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "kill9_child_entry", "--test-threads", "1"])
        .env(CHILD_ENV, &killed)
        .spawn()
        .unwrap();
    // wait for the first checkpoint, then a little more so the kill lands mid-run
    let t0 = Instant::now();
    while !killed.join("checkpoint.json").exists() && t0.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(2));
    }
    std::thread::sleep(Duration::from_millis(40));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    // whatever the moment, the files on disk are complete
    let ck =
        timewarp_md::checkpoint::Checkpoint::load(&killed.join("checkpoint.json"), 30).unwrap();
    let frames = TrajArrays::read_npz(&arrays_path(&killed, "chain")).unwrap();
    assert!(frames.n_frames() >= ck.n_frames);
    timewarp_mol::read_pdb(&killed.join("chain-traj-state0.pdb")).unwrap();
    eprintln!(
        "killed after checkpoint at step {} ({} frames)",
        ck.step, ck.n_frames
    );

    run(&killed, true);
    let whole = scratch("whole");
    run(&whole, false);
    let a = TrajArrays::read_npz(&arrays_path(&whole, "chain")).unwrap();
    let b = TrajArrays::read_npz(&arrays_path(&killed, "chain")).unwrap();
    assert_eq!(a, b, "resumed run differs from the uninterrupted one");
    let xa = read_xtc(&whole.join("chain-traj.xtc")).unwrap();
    let xb = read_xtc(&killed.join("chain-traj.xtc")).unwrap();
    assert_eq!(xa.len(), xb.len());
    assert!(xa
        .iter()
        .zip(&xb)
        .all(|(p, q)| p.step == q.step && p.positions_nm == q.positions_nm));
    std::fs::remove_dir_all(&killed).unwrap();
    std::fs::remove_dir_all(&whole).unwrap();
}
