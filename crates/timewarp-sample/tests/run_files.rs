//! The chain driver end to end on the one-atom toy: files, run.json, exact resume, exploration.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use timewarp_mol::traj::{arrays_path, read_xtc, state0_path, TrajArrays};
use timewarp_mol::Topology;
use timewarp_rundir::{RunRecord, Session};
use timewarp_sample::kernel::gaussian::{GaussianRandomWalk, VelocityCoupledGaussian};
use timewarp_sample::output::xtc_path;
use timewarp_sample::{
    run_chains, AcceptanceRule, ChainSettings, Command, PotentialBatch, ProposalKernel, RunControl,
    RunInput, SampleSummary, VelocityRefresh, CHECKPOINT_JSON, RUN_JSON,
};

const WELL: DoubleWell = DoubleWell { h: 2.0, s: 0.5 };

fn one_atom() -> Topology {
    let line = "HETATM    1  C1  UNK A   1      10.000   0.000   0.000  1.00  0.00           C";
    timewarp_mol::parse_pdb(line, "toy").unwrap().topology
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("timewarp-sample-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn settings(chains: usize, steps: u64) -> ChainSettings {
    ChainSettings {
        steps,
        chains,
        seed: 42,
        save_every: 3,
        tau_ps: Some(0.5),
        chirality_guard: false,
        checkpoint_seconds: 0.0,
        ..ChainSettings::default()
    }
}

fn sample_rule() -> AcceptanceRule {
    AcceptanceRule::Metropolis {
        proposals: 5,
        adaptive: true,
        target_at_least_one: 0.9,
        smoothing: 0.05,
        velocity_refresh: VelocityRefresh::PerProposal,
    }
}

fn run(
    command: Command,
    s: &ChainSettings,
    rule: AcceptanceRule,
    kernel: &mut dyn ProposalKernel,
    out: &Path,
    resume: bool,
    stop: Option<u64>,
) -> SampleSummary {
    try_run(command, s, rule, kernel, out, resume, stop).unwrap()
}

/// The toy chains through an output-folder session whose record holds the settings but for
/// `steps` (the extent), as `timewarp sample` does.
fn try_run(
    command: Command,
    s: &ChainSettings,
    rule: AcceptanceRule,
    kernel: &mut dyn ProposalKernel,
    out: &Path,
    resume: bool,
    stop: Option<u64>,
) -> Result<SampleSummary, timewarp_sample::SampleError> {
    let top = one_atom();
    let input = RunInput {
        name: "toy",
        topology: &top,
        start: &[[1.0, 0.0, 0.0]],
    };
    let control = RunControl {
        resume,
        stop_after: stop,
        ..RunControl::default()
    };
    let settings = ChainSettings {
        steps: 0,
        ..s.clone()
    };
    let record = RunRecord::start(
        "toy",
        serde_json::json!({"chain": settings, "rule": rule}),
        vec![],
    )
    .with_extent(serde_json::json!(s.steps));
    let session = Session::open_with(out, record, &control, out.join(CHECKPOINT_JSON).is_file())?;
    if session.is_complete() {
        return Ok(serde_json::from_value(session.record().summary.clone()).unwrap());
    }
    let summary = run_chains(
        command,
        s,
        rule,
        input,
        kernel,
        &PotentialBatch(&WELL),
        &session,
        &control,
    )?;
    if summary.completed {
        session.finish(&summary)?;
    }
    Ok(summary)
}

fn vc() -> VelocityCoupledGaussian {
    VelocityCoupledGaussian {
        n_atoms: 1,
        drift: 0.5,
        sigma: 0.3,
        carry: -0.8,
        sigma_w: 0.6,
    }
}

#[test]
fn files_and_run_json() {
    let out = scratch("files");
    let s = settings(3, 300);
    let summary = run(
        Command::Sample,
        &s,
        sample_rule(),
        &mut vc(),
        &out,
        false,
        None,
    );
    assert!(summary.completed);
    let run_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(RUN_JSON)).unwrap()).unwrap();
    assert_eq!(run_json["command"], "toy");
    assert_eq!(run_json["completed"], true);
    let run_json = &run_json["summary"];
    assert_eq!(run_json["command"], "sample");
    assert_eq!(run_json["biased"], false);
    let rate = run_json["acceptance_rate"].as_f64().unwrap();
    assert!(rate > 0.05 && rate < 0.9, "acceptance {rate}");
    assert!(run_json["wall_seconds"].as_f64().unwrap() > 0.0);
    assert!(run_json["n_proposals"].as_u64().unwrap() >= 900);
    for c in 0..3 {
        let dir = out.join(format!("chain-{c:03}"));
        assert!(state0_path(&dir, "toy").is_file());
        let t = TrajArrays::read_npz(&arrays_path(&dir, "toy")).unwrap();
        // steps 0, 3, ..., 300
        assert_eq!(t.n_frames(), 101);
        assert_eq!(t.step[1], 3);
        assert_eq!(t.time[2], 3.0);
        assert!(t.time.iter().all(|x| x.is_finite()));
        assert!(t.energies.iter().all(|e| e[1] == 0.0 && e[0].is_finite()));
        assert!(t.velocities.is_empty());
        assert_eq!(read_xtc(&xtc_path(&dir, "toy")).unwrap().len(), 101);
    }
    // The same run again is complete: nothing is run, the recorded summary comes back.
    let again = run(
        Command::Sample,
        &s,
        sample_rule(),
        &mut vc(),
        &out,
        false,
        None,
    );
    assert_eq!(again, summary);
    // Another run (other seed) into the same folder is refused, naming the difference.
    let other = ChainSettings {
        seed: 43,
        ..s.clone()
    };
    let err = try_run(
        Command::Sample,
        &other,
        sample_rule(),
        &mut vc(),
        &out,
        true,
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("chain.seed: 42 → 43"), "{err}");
    std::fs::remove_dir_all(&out).unwrap();
}

fn read_chain(dir: &Path) -> TrajArrays {
    TrajArrays::read_npz(&arrays_path(dir, "toy")).unwrap()
}

/// Interrupted twice and resumed, with checkpoints in between, the chains are bit-identical to
/// an uninterrupted run with the same seed; extending `steps` on resume continues the chains.
#[test]
fn resume_equals_uninterrupted() {
    for (command, rule) in [
        (Command::Sample, sample_rule()),
        (
            Command::Explore,
            AcceptanceRule::Threshold { max_increase: 2.0 },
        ),
    ] {
        let s = ChainSettings {
            checkpoint_every: 60,
            ..settings(2, 400)
        };
        let whole = scratch("whole");
        let a = run(command, &s, rule, &mut vc(), &whole, false, None);
        let parts = scratch("parts");
        let p1 = run(command, &s, rule, &mut vc(), &parts, false, Some(10));
        assert!(!p1.completed);
        let early_checkpoint = std::fs::read(parts.join(CHECKPOINT_JSON)).unwrap();
        let p2 = run(command, &s, rule, &mut vc(), &parts, true, Some(25));
        assert!(!p2.completed);
        // A kill after the trajectories were written but before the checkpoint: the files hold
        // frames beyond the checkpoint, which the resumed run must drop and write again.
        std::fs::write(parts.join(CHECKPOINT_JSON), early_checkpoint).unwrap();
        let b = run(command, &s, rule, &mut vc(), &parts, true, None);
        assert!(b.completed);
        assert_eq!(a.acceptance_rate, b.acceptance_rate);
        assert_eq!(a.n_proposals, b.n_proposals);
        for c in 0..2 {
            let dir = |o: &Path| o.join(format!("chain-{c:03}"));
            let (ta, tb) = (read_chain(&dir(&whole)), read_chain(&dir(&parts)));
            assert_eq!(ta, tb, "{command:?} chain {c}");
            assert_eq!(
                read_xtc(&xtc_path(&dir(&parts), "toy")).unwrap().len(),
                ta.n_frames()
            );
            assert_eq!(a.per_chain[c].final_energy, b.per_chain[c].final_energy);
        }
        // Longer run on resume: continues from the end.
        let s2 = ChainSettings {
            steps: 500,
            ..s.clone()
        };
        let c2 = run(command, &s2, rule, &mut vc(), &parts, true, None);
        assert_eq!(c2.per_chain[0].stats.steps, 500);
        assert_eq!(read_chain(&parts.join("chain-000")).n_frames(), 1 + 500 / 3);
        // Changing the seed on resume is refused.
        let bad = ChainSettings { seed: 1, ..s2 };
        assert!(try_run(command, &bad, rule, &mut vc(), &parts, true, None).is_err());
        std::fs::remove_dir_all(&whole).unwrap();
        std::fs::remove_dir_all(&parts).unwrap();
    }
}

/// Exploration accepts exactly the steps whose energy rises by at most the threshold: with a
/// threshold of 0 every chain descends; with +∞ every proposal is taken; the run is marked
/// biased.
#[test]
fn exploration_threshold_rule() {
    let kt = kt();
    for (threshold, check) in [
        (0.0, "descent"),
        (0.5 * kt, "bounded rise"),
        (f64::INFINITY, "all"),
    ] {
        let out = scratch("explore");
        let s = ChainSettings {
            save_every: 1,
            ..settings(4, 200)
        };
        let mut k = GaussianRandomWalk {
            n_atoms: 1,
            sigma: 0.3,
        };
        let summary = run(
            Command::Explore,
            &s,
            AcceptanceRule::Threshold {
                max_increase: threshold,
            },
            &mut k,
            &out,
            false,
            None,
        );
        assert!(summary.biased);
        let rj: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join(RUN_JSON)).unwrap()).unwrap();
        assert_eq!(rj["summary"]["command"], "explore");
        assert_eq!(summary.n_proposals, 4 * 200);
        let mut finals = Vec::new();
        for c in 0..4 {
            let t = read_chain(&out.join(format!("chain-{c:03}")));
            assert_eq!(t.n_frames(), 201);
            let mut moved = 0;
            for w in t.energies.windows(2) {
                let rise = w[1][0] - w[0][0];
                assert!(rise <= threshold + 1e-12, "{check}: energy rose by {rise}");
                moved += (w[1][0] != w[0][0]) as u32;
            }
            if threshold.is_infinite() {
                assert_eq!(moved, 200);
            }
            if threshold == 0.0 {
                // The start is the global minimum (U = 0): a descent cannot leave it.
                assert_eq!(moved, 0);
            }
            finals.push(t.frame_positions(200).to_vec());
        }
        if threshold > 0.0 {
            // Independent random streams: the chains differ.
            assert_ne!(finals[0], finals[1]);
        }
        std::fs::remove_dir_all(&out).unwrap();
    }
}
