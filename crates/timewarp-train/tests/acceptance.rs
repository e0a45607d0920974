//! The acceptance loss: the energy surrogate has the force field's energy as value and −F/k_BT
//! as gradient (checked against finite differences of the energy), and fine-tuning runs.

mod common;

use burn::backend::{Autodiff, NdArray};
use common::{temp_dir, testdata, tiny_config, write_jittered_trajectory};
use std::path::Path;
use timewarp_ff::{ForceField, Potential, SystemOptions};
use timewarp_rundir::RunControl;
use timewarp_train::acceptance::{EnergyBridge, BOLTZMANN_KJ_PER_MOL_K};
use timewarp_train::dataset::PairDataset;
use timewarp_train::loss::energy_surrogate;
use timewarp_train::{train_on_device, LossKind, ModelDevice, TrainConfig};

type B = Autodiff<NdArray<f32>>;

#[test]
fn surrogate_gradient_is_minus_force_over_kt() {
    let dir = temp_dir("acc-fd");
    write_jittered_trajectory(&testdata("ala2.pdb"), &dir, "ala2", 3, 10, 0.005, 1);
    let files = timewarp_train::dataset::discover(std::slice::from_ref(&dir)).unwrap();
    let mut ds =
        PairDataset::from_files(&files, 10, &timewarp_flow::atom_type_of, 1 << 20).unwrap();
    let n = ds.trajectories[0].n_atoms;
    let pos = ds.positions(0).unwrap();
    // A padded batch of two copies of frame 1: one molecule in slot 0, and slot 1 with padding.
    let n_max = n + 3;
    let mut coords = vec![0f32; 2 * n_max * 3];
    coords[..n * 3].copy_from_slice(&pos[n * 3..2 * n * 3]);
    coords[n_max * 3..(n_max + n) * 3].copy_from_slice(&pos[n * 3..2 * n * 3]);
    let t_k = 310.0;
    let mut bridge = EnergyBridge::new(1, t_k, SystemOptions::default());
    let e = bridge
        .evaluate(&ds.trajectories, &[0, 0], &[n, n], n_max, &coords)
        .unwrap();
    assert!(e.energy[0].is_finite());
    assert_eq!(e.energy[0], e.energy[1]);
    assert!(
        e.gradient[n * 3..n_max * 3].iter().all(|&g| g == 0.0),
        "padding has no gradient"
    );

    // Surrogate: value u, gradient ∇u, through burn's autodiff.
    let device = Default::default();
    let y = timewarp_flow::host::float_tensor::<B, 3>(coords.clone(), [2, n_max, 3], &device)
        .require_grad();
    let sur = energy_surrogate(y.clone(), &e);
    let values: Vec<f64> = sur.clone().into_data().iter::<f64>().collect();
    for (b, v) in values.iter().enumerate() {
        assert!(
            (v - e.energy[b]).abs() < 1e-6 * e.energy[b].abs().max(10.0),
            "{} vs {}",
            v,
            e.energy[b]
        );
    }
    let grads = sur.sum().backward();
    let g: Vec<f64> = y.grad(&grads).unwrap().into_data().iter::<f64>().collect();

    // Central differences of U/kT with the force field in f64.
    let top = timewarp_train::dataset::read_topology(&dir.join("ala2-traj-state0.pdb")).unwrap();
    let system = ForceField::amber14()
        .create_system(&top, &SystemOptions::default())
        .unwrap();
    let kt = BOLTZMANN_KJ_PER_MOL_K * t_k;
    let x: Vec<[f64; 3]> = coords[..n * 3]
        .chunks(3)
        .map(|p| [p[0] as f64, p[1] as f64, p[2] as f64])
        .collect();
    let mut f = vec![[0.0; 3]; n];
    let u = |p: &[[f64; 3]], f: &mut Vec<[f64; 3]>| system.energy_forces(p, f) / kt;
    let u0 = u(&x, &mut f);
    assert!((u0 - e.energy[0]).abs() < 1e-9 * u0.abs().max(1.0));
    let h = 1e-6;
    let mut worst: f64 = 0.0;
    for atom in [0, 4, 6, 8, 14, n - 1] {
        for k in 0..3 {
            let (mut p, mut m) = (x.clone(), x.clone());
            p[atom][k] += h;
            m[atom][k] -= h;
            let fd = (u(&p, &mut f) - u(&m, &mut f)) / (2.0 * h);
            for b in 0..2 {
                let an = g[(b * n_max + atom) * 3 + k];
                let rel = (an - fd).abs() / fd.abs().max(1.0);
                worst = worst.max(rel);
                assert!(
                    rel < 1e-4,
                    "atom {atom} axis {k}: autodiff {an} vs finite difference {fd}"
                );
            }
        }
    }
    assert!(g[n * 3..n_max * 3].iter().all(|&v| v == 0.0));
    eprintln!("worst relative deviation from finite differences: {worst:.2e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn acceptance_run(data: &Path, out: &Path) -> timewarp_train::TrainSummary {
    let mut flow = timewarp_flow::preset("tiny").unwrap();
    // Start with proposals of a realistic size (σ_p = e⁻⁴ ≈ 0.02 nm).
    flow.coords_prior_log_scale = -4.0;
    let cfg = TrainConfig {
        flow: Some(flow),
        loss: LossKind::Acceptance,
        steps: 6,
        val_every: 3,
        checkpoint_every: 3,
        log_every: 1,
        ..tiny_config()
    };
    let control = RunControl::new(false, &|_, _| {});
    train_on_device(&cfg, &[data.to_path_buf()], out, &control, ModelDevice::Cpu).unwrap()
}

#[test]
fn acceptance_fine_tuning_runs_on_two_peptides() {
    let data = temp_dir("acc-data");
    write_jittered_trajectory(
        &testdata("ala2.pdb"),
        &data.join("ala2"),
        "ala2",
        60,
        10,
        0.003,
        1,
    );
    write_jittered_trajectory(
        &testdata("ace_ala3_nme.pdb"),
        &data.join("ala3"),
        "ala3",
        60,
        10,
        0.003,
        2,
    );
    let out = temp_dir("acc-run");
    let s = acceptance_run(&data, &out);
    assert_eq!(s.steps, 6);
    assert!(s.best_val_nll.unwrap().is_finite());
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let rows: Vec<Vec<f64>> = csv
        .lines()
        .skip(2) // header and the step-0 validation
        .map(|l| {
            l.split(',')
                .map(|v| v.parse().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), 6);
    for r in &rows {
        // The acceptance loss differs from the NLL and both are finite.
        assert!(r[2].is_finite() && r[3].is_finite());
        assert!((r[2] - r[3]).abs() > 1e-9);
        assert!(r[6] > 0.0);
        // Mean acceptance probability in [0, 1] and a finite energy change.
        assert!((0.0..=1.0).contains(&r[9]), "acceptance {}", r[9]);
        assert!(r[10].is_finite());
    }
    // Validations (steps 3 and 6) score the fine-tuning objective, which selects best/: it is
    // not the validation NLL, and the validation acceptance is a probability.
    for r in rows.iter().filter(|r| r[0] == 3.0 || r[0] == 6.0) {
        assert!(
            r[11].is_finite() && (r[11] - r[4]).abs() > 1e-9,
            "val_loss {} vs val_nll {}",
            r[11],
            r[4]
        );
        assert!((0.0..=1.0).contains(&r[12]), "val_acceptance {}", r[12]);
    }
    let best: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("best/state.json")).unwrap())
            .unwrap();
    let best_step = best["step"].as_u64().unwrap() as f64;
    let best_row = rows.iter().find(|r| r[0] == best_step).unwrap();
    let lowest = rows
        .iter()
        .filter(|r| r[11].is_finite())
        .map(|r| r[11])
        .fold(f64::INFINITY, f64::min);
    assert_eq!(best_row[11], lowest);
    std::fs::remove_dir_all(&data).unwrap();
    std::fs::remove_dir_all(&out).unwrap();
}
