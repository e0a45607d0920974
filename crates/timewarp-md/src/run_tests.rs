//! Tests of the run driver on an analytic potential: output layout, kill-and-resume
//! equality, replicas, extension, blow-ups, refusals.

use crate::analytic::HarmonicChain;
use crate::checkpoint::Checkpoint;
use crate::run::run_md_inner;
use crate::{run_md, MdConfig, MdError, SpacingKind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use timewarp_ff::Potential;
use timewarp_mol::pdb::PdbFile;
use timewarp_mol::traj::{arrays_path, read_xtc, state0_path, TrajArrays};

/// A PDB of the chain, slightly off its minimum, as carbon atoms of one UNK residue.
fn chain_pdb(chain: &HarmonicChain) -> PdbFile {
    let mut text = String::new();
    for (i, p) in chain.equilibrium().iter().enumerate() {
        let jitter = 0.01 * ((i * 7 % 5) as f64 - 2.0);
        text.push_str(&format!(
            "HETATM{:>5} {:<4} UNK A   1    {:>8.3}{:>8.3}{:>8.3}  1.00  0.00           C\n",
            i + 1,
            format!("C{}", i + 1),
            10.0 * p[0] + jitter,
            10.0 * p[1] - jitter,
            10.0 * p[2] + 0.5 * jitter
        ));
    }
    text.push_str("END\n");
    timewarp_mol::parse_pdb(&text, "chain.pdb").unwrap()
}

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("twmd-run-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn quiet(_: u64, _: u64) {}

fn small_cfg() -> MdConfig {
    MdConfig {
        name: Some("chain".into()),
        steps: 3000,
        burn_in_steps: 500,
        save_every: 1000,
        spacing: SpacingKind::Log,
        checkpoint_every: 400,
        seed: 11,
        minimize_tolerance: 0.1,
        ..MdConfig::default()
    }
}

fn read_frames(dir: &Path) -> TrajArrays {
    TrajArrays::read_npz(&arrays_path(dir, "chain")).unwrap()
}

#[test]
fn writes_the_official_layout() {
    let chain = HarmonicChain::new(8);
    let pdb = chain_pdb(&chain);
    let dir = scratch("layout");
    let cfg = small_cfg();
    let calls = AtomicUsize::new(0);
    let progress = |done: u64, total: u64| {
        assert!(done <= total);
        calls.fetch_add(1, Ordering::Relaxed);
    };
    let s = run_md(&cfg, &pdb, &chain, &chain.masses(), &dir, false, &progress).unwrap();
    assert!(calls.load(Ordering::Relaxed) >= 3);
    let m = s.minimization.unwrap();
    assert!(m.converged && m.final_energy <= m.initial_energy);

    let t = read_frames(&dir);
    let expect: Vec<i64> = [
        0, 1, 10, 100, 1000, 1001, 1010, 1100, 2000, 2001, 2010, 2100, 3000,
    ]
    .iter()
    .map(|p| 500 + p)
    .collect();
    assert_eq!(t.step, expect);
    assert_eq!(s.n_frames, expect.len());
    for (st, tm) in t.step.iter().zip(&t.time) {
        assert!((tm - *st as f64 * 0.0005).abs() < 1e-12);
    }
    assert_eq!(t.velocities.len(), t.positions.len());
    assert_eq!(t.forces.len(), t.positions.len());
    // stored energies and forces belong to the stored positions and velocities
    let masses = chain.masses();
    let mut f = vec![[0.0; 3]; 8];
    for k in 0..t.n_frames() {
        let x = t.frame_positions_f64(k);
        let u = chain.energy_forces(&x, &mut f);
        let fk = &t.forces[k * 24..(k + 1) * 24];
        let scale = f.iter().flatten().fold(1.0f64, |a, b| a.max(b.abs()));
        for (a, b) in f.iter().flatten().zip(fk) {
            // f32 storage of positions makes the recomputed force differ by ~ k·1e-7·r
            assert!(
                (a - *b as f64).abs() < 1e-3 * scale,
                "frame {k}: {a} vs {b}"
            );
        }
        assert!((u - t.energies[k][0]).abs() < 1e-2 + 1e-5 * u.abs());
        let v = &t.velocities[k * 24..(k + 1) * 24];
        let ke: f64 = v
            .chunks(3)
            .zip(&masses)
            .map(|(c, m)| 0.5 * m * c.iter().map(|x| (*x as f64).powi(2)).sum::<f64>())
            .sum();
        assert!((ke - t.energies[k][1]).abs() < 1e-5 * ke.max(1.0));
    }
    // viewer trajectories and state 0
    let xtc = read_xtc(&dir.join("chain-traj.xtc")).unwrap();
    assert_eq!(xtc.len(), t.n_frames());
    assert_eq!(xtc[3].step as i64, t.step[3]);
    let models = timewarp_mol::read_pdb(&dir.join("chain-traj.pdb"))
        .unwrap()
        .models;
    assert_eq!(models.len(), t.n_frames());
    let state0 = timewarp_mol::read_pdb(&state0_path(&dir, "chain")).unwrap();
    assert_eq!(state0.topology.n_atoms(), 8);
    // The summary (run_md_command records it in run.json).
    let run = serde_json::to_value(&s).unwrap();
    for key in ["wall_seconds", "ns_per_day", "steps", "n_frames"] {
        assert!(run[key].is_number(), "summary lacks {key}");
    }
    // a second run into the same folder is refused without resume
    let e = run_md(&cfg, &pdb, &chain, &chain.masses(), &dir, false, &quiet).unwrap_err();
    assert!(e.to_string().contains("already holds a run"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn kill_and_resume_gives_identical_frames() {
    let chain = HarmonicChain::new(6);
    let pdb = chain_pdb(&chain);
    let cfg = MdConfig {
        temperature_k: 310.0,
        friction_per_ps: 5.0,
        ..small_cfg()
    };
    let masses = chain.masses();

    let a = scratch("resume-a");
    run_md(&cfg, &pdb, &chain, &masses, &a, false, &quiet).unwrap();
    let full = read_frames(&a);

    // killed at step 2520 (last checkpoint 2400): XTC/PDB hold frames beyond the checkpoint
    let b = scratch("resume-b");
    let e = run_md_inner(&cfg, &pdb, &chain, &masses, &b, false, &quiet, Some(2520)).unwrap_err();
    assert!(matches!(e, MdError::Config(_)));
    let ck = Checkpoint::load(&b.join("checkpoint.json"), 6).unwrap();
    assert_eq!(ck.step, 2400);
    assert_eq!(read_frames(&b).n_frames(), ck.n_frames);
    let s = run_md(&cfg, &pdb, &chain, &masses, &b, true, &quiet).unwrap();
    assert_eq!(s.replicas[0].resumed_from_step, Some(2400));
    assert!(s.minimization.is_none());
    let resumed = read_frames(&b);
    assert_eq!(
        resumed, full,
        "resumed trajectory differs from the uninterrupted one"
    );
    let xa = read_xtc(&a.join("chain-traj.xtc")).unwrap();
    let xb = read_xtc(&b.join("chain-traj.xtc")).unwrap();
    assert_eq!(xa.len(), xb.len());
    assert!(xa
        .iter()
        .zip(&xb)
        .all(|(p, q)| p.step == q.step && p.positions_nm == q.positions_nm));
    let pa = timewarp_mol::read_pdb(&a.join("chain-traj.pdb"))
        .unwrap()
        .models;
    let pb = timewarp_mol::read_pdb(&b.join("chain-traj.pdb"))
        .unwrap()
        .models;
    assert_eq!(pa, pb);

    // resuming a finished run does nothing and keeps the frames
    let again = run_md(&cfg, &pdb, &chain, &masses, &b, true, &quiet).unwrap();
    assert_eq!(again.replicas[0].steps_this_run, 0);
    assert_eq!(read_frames(&b), full);

    // extending a finished run equals running longer from the start
    let longer = MdConfig {
        steps: 4500,
        ..cfg.clone()
    };
    run_md(&longer, &pdb, &chain, &masses, &b, true, &quiet).unwrap();
    let c = scratch("resume-c");
    run_md(&longer, &pdb, &chain, &masses, &c, false, &quiet).unwrap();
    assert_eq!(read_frames(&b), read_frames(&c));

    // a different protocol is refused, naming the setting
    let other = MdConfig { seed: 12, ..longer };
    let e = run_md(&other, &pdb, &chain, &masses, &b, true, &quiet).unwrap_err();
    assert!(e.to_string().contains("seed"), "{e}");
    for d in [a, b, c] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn replicas_use_independent_streams() {
    let chain = HarmonicChain::new(5);
    let pdb = chain_pdb(&chain);
    let masses = chain.masses();
    let cfg = MdConfig {
        replicas: 3,
        threads: 2,
        steps: 1000,
        save_every: 100,
        spacing: SpacingKind::Regular,
        ..small_cfg()
    };
    let dir = scratch("replicas");
    let s = run_md(&cfg, &pdb, &chain, &masses, &dir, false, &quiet).unwrap();
    assert_eq!(s.replicas.len(), 3);
    let t: Vec<TrajArrays> = (0..3)
        .map(|r| read_frames(&dir.join(format!("replica-{r:03}"))))
        .collect();
    assert_ne!(t[0].positions, t[1].positions);
    assert_ne!(t[1].positions, t[2].positions);
    assert!(t.iter().all(|x| x.n_frames() == 11));
    // replica 0 of a multi-replica run is the single-replica run with the same seed
    let single = scratch("replicas-single");
    run_md(
        &MdConfig {
            replicas: 1,
            ..cfg.clone()
        },
        &pdb,
        &chain,
        &masses,
        &single,
        false,
        &quiet,
    )
    .unwrap();
    assert_eq!(read_frames(&single), t[0]);
    // resume after a kill of all replicas
    let k = scratch("replicas-kill");
    assert!(run_md_inner(&cfg, &pdb, &chain, &masses, &k, false, &quiet, Some(900)).is_err());
    run_md(&cfg, &pdb, &chain, &masses, &k, true, &quiet).unwrap();
    for (r, tr) in t.iter().enumerate() {
        assert_eq!(&read_frames(&k.join(format!("replica-{r:03}"))), tr);
    }
    for d in [dir, single, k] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

/// The chain, until `fail_after` evaluations; then a NaN energy.
struct Exploding {
    chain: HarmonicChain,
    calls: AtomicUsize,
    fail_after: usize,
}

impl Potential for Exploding {
    fn n_atoms(&self) -> usize {
        self.chain.n
    }
    fn energy_forces(&self, x: &[[f64; 3]], f: &mut [[f64; 3]]) -> f64 {
        let e = self.chain.energy_forces(x, f);
        if self.calls.fetch_add(1, Ordering::Relaxed) >= self.fail_after {
            f64::NAN
        } else {
            e
        }
    }
}

#[test]
fn blow_up_names_step_and_replica_and_keeps_valid_files() {
    let chain = HarmonicChain::new(5);
    let pdb = chain_pdb(&chain);
    let masses = chain.masses();
    let cfg = MdConfig {
        minimize: false,
        burn_in_steps: 0,
        steps: 1000,
        save_every: 10,
        spacing: SpacingKind::Regular,
        checkpoint_every: 100,
        ..small_cfg()
    };
    let p = Exploding {
        chain: chain.clone(),
        calls: AtomicUsize::new(0),
        fail_after: 555,
    };
    let dir = scratch("blowup");
    let e = run_md(&cfg, &pdb, &p, &masses, &dir, false, &quiet).unwrap_err();
    match e {
        MdError::BlowUp {
            replica,
            step,
            ref what,
        } => {
            assert_eq!((replica, step), (0, 555));
            assert!(what.contains("NaN"), "{what}");
        }
        other => panic!("expected a blow-up, got {other}"),
    }
    assert!(e.to_string().contains("step 555"));
    let t = read_frames(&dir);
    assert_eq!(t.step.last(), Some(&550));
    assert_eq!(
        read_xtc(&dir.join("chain-traj.xtc")).unwrap().len(),
        t.n_frames()
    );

    // absurd energies count too
    struct Huge(HarmonicChain);
    impl Potential for Huge {
        fn n_atoms(&self) -> usize {
            self.0.n
        }
        fn energy_forces(&self, x: &[[f64; 3]], f: &mut [[f64; 3]]) -> f64 {
            self.0.energy_forces(x, f) + 2e7
        }
    }
    let d2 = scratch("blowup-huge");
    let e = run_md(&cfg, &pdb, &Huge(chain), &masses, &d2, false, &quiet).unwrap_err();
    assert!(matches!(e, MdError::BlowUp { step: 0, .. }), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&d2).unwrap();
}

#[test]
fn equipartition_on_the_chain() {
    // ⟨KE⟩ = (3N − 3)/2 k_B T with CM motion removed; error from block averages
    use crate::integrator::{LangevinMiddle, LangevinMiddleIntegrator, MdState};
    use crate::replicas::replica_rng;
    use crate::velocities::maxwell_boltzmann;
    let chain = HarmonicChain::new(12);
    let masses = chain.masses();
    let p = LangevinMiddle {
        temperature_k: 310.0,
        friction_per_ps: 5.0,
        dt_ps: 0.0005,
    };
    let integ = LangevinMiddleIntegrator::new(p, &masses, true).unwrap();
    let mut rng = replica_rng(3, 0);
    let mut v = vec![[0.0; 3]; 12];
    maxwell_boltzmann(&masses, 310.0, true, &mut rng, &mut v);
    let mut s = MdState::new(&chain, chain.equilibrium(), v).unwrap();
    for _ in 0..2000 {
        integ.step(&chain, &mut s, &mut rng);
    }
    let (blocks, per_block) = (40, 1000);
    let mut means = Vec::new();
    for _ in 0..blocks {
        let mut acc = 0.0;
        for _ in 0..per_block {
            integ.step(&chain, &mut s, &mut rng);
            acc += s.kinetic_energy(&masses);
        }
        means.push(acc / per_block as f64);
    }
    let mean = means.iter().sum::<f64>() / blocks as f64;
    let sem = (means.iter().map(|m| (m - mean).powi(2)).sum::<f64>()
        / (blocks * (blocks - 1)) as f64)
        .sqrt();
    let expect = 0.5 * (3.0 * 12.0 - 3.0) * timewarp_ff::constants::BOLTZ * 310.0;
    // LangevinMiddle's half-step KE has an O(Δt²) bias, far below the statistical error here
    assert!(
        (mean - expect).abs() < 4.0 * sem + 1e-3 * expect,
        "⟨KE⟩ = {mean} ± {sem}, expected {expect}"
    );
}
