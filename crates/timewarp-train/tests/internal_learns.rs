//! The internal-chart flow learns what its fitted kernel lacks. A kernel fitted to a short
//! alanine-dipeptide MD is damaged: its Gaussian's mean follows φ/ψ only 90 % of the way (the
//! weights of the φ/ψ harmonics times 0.9; the short MD leaves them large, so this alone costs
//! ~0.7 nats per variable and all of the block move's acceptance). The flow starts as the
//! identity, i.e. exactly the damaged kernel, and its only way back is to learn, from the
//! Cartesian skeleton of each frame's torsions, how the bonds, angles and rigid torsions shift
//! with φ/ψ. Likelihood training must
//! close most of the gap in validation NLL between the damaged and the intact kernel, and raise
//! the validation acceptance of the block move.
//!
//! This is what makes "the flow keeps step 0 on the intact kernel" a statement about the data
//! rather than about a broken optimiser or conditioner.

use std::path::{Path, PathBuf};

use timewarp_ff::{ForceField, SystemOptions};
use timewarp_md::{run_md, MdConfig, SpacingKind};
use timewarp_rundir::RunControl;
use timewarp_sample::fitted::{run_fit, FitConfig, FittedKernel};
use timewarp_train::{CpuBackend, LossKind, TrainConfig, TrainSummary};

fn shared(p: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")).join(p)
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("timewarp-learns-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// How far the damaged mean follows φ/ψ: the φ/ψ harmonics' weights times this.
const SHRINK: f64 = 0.9;

fn nll_run(kernel: &Path, md: &Path, out: &Path, steps: u64) -> TrainSummary {
    let cfg = TrainConfig {
        preset: "ic".into(),
        kernel: Some(kernel.to_path_buf()),
        loss: LossKind::Nll,
        steps,
        batch: 32,
        lr: 3e-3,
        warmup_steps: 10,
        val_every: steps,
        val_max_pairs: 256,
        checkpoint_every: steps,
        seed: 0,
        ..TrainConfig::default()
    };
    let none = |_: u64, _: u64| {};
    timewarp_train::trainer::train::<CpuBackend>(
        &cfg,
        &[md.to_path_buf()],
        out,
        &RunControl::new(false, &none),
        &Default::default(),
    )
    .unwrap()
}

#[test]
fn nll_training_recovers_the_phi_psi_dependence_the_kernel_lost() {
    let root = scratch("fixture");
    // 80 ps of MD, a frame every 0.05 ps.
    let pdb = timewarp_mol::read_pdb(&shared("testdata/ala2.pdb")).unwrap();
    let system = ForceField::amber14()
        .create_system(&pdb.topology, &SystemOptions::default())
        .unwrap();
    let md_cfg = MdConfig {
        name: Some("ala2".into()),
        steps: 160_000,
        burn_in_steps: 4_000,
        save_every: 100,
        spacing: SpacingKind::Regular,
        seed: 5,
        ..MdConfig::default()
    };
    let md = root.join("md");
    run_md(
        &md_cfg,
        &pdb,
        &system,
        system.masses(),
        &md,
        false,
        &|_, _| {},
    )
    .unwrap();
    let intact = root.join("kernel");
    run_fit(
        &FitConfig {
            lag_ps: 1.0,
            ..FitConfig::default()
        },
        std::slice::from_ref(&md),
        &intact,
        &RunControl::default(),
    )
    .unwrap();

    // Strip the φ/ψ dependence of the Gaussian's mean: the rows of the φ/ψ harmonics (after the
    // constant) of the features × variables weights.
    let mut k = FittedKernel::load(&intact).unwrap();
    let g = k.gaussian.dofs.len();
    let f = &k.gaussian.features;
    let backbone_rows = f.backbone_feature(0)..f.rotor_feature(0);
    assert!(!backbone_rows.is_empty());
    let mut removed = 0.0f64;
    for row in backbone_rows {
        for w in &mut k.gaussian.weights[row * g..(row + 1) * g] {
            removed = removed.max(w.abs());
            *w *= SHRINK;
        }
    }
    assert!(removed > 1e-3, "the fitted mean did not follow φ/ψ");
    let damaged = root.join("damaged");
    k.save(&damaged).unwrap();

    let reference = nll_run(&intact, &md, &root.join("t-intact"), 1);
    let learned = nll_run(&damaged, &md, &root.join("t-damaged"), 300);
    let nll_intact = reference.initial_val_nll.unwrap();
    let (nll_damaged, nll_final) = (
        learned.initial_val_nll.unwrap(),
        learned.final_val_nll.unwrap(),
    );
    let gap = nll_damaged - nll_intact;
    assert!(
        gap > 0.02,
        "the damage costs too little to measure: {nll_damaged} vs {nll_intact}"
    );
    let recovered = (nll_damaged - nll_final) / gap;
    let (acc0, acc1) = (
        learned.initial_val_acceptance.unwrap(),
        learned.final_val_acceptance.unwrap(),
    );
    eprintln!(
        "validation NLL per coordinate: intact kernel {nll_intact:.4}, damaged {nll_damaged:.4}, \
         learned {nll_final:.4} ({:.0} % of the gap); block acceptance {acc0:.3} -> {acc1:.3} \
         (intact {:.3})",
        100.0 * recovered,
        reference.initial_val_acceptance.unwrap()
    );
    assert!(
        recovered > 0.5,
        "the flow recovered {:.0} % of the gap",
        100.0 * recovered
    );
    assert!(acc1 > acc0 + 0.05, "block acceptance {acc0} -> {acc1}");
    let _ = std::fs::remove_dir_all(&root);
}
