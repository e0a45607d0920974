//! The NLL training loop on synthetic data: the loss goes down, the run folder is complete.

mod common;

use common::{temp_dir, tiny_config};
use timewarp_train::synthetic::{ou_trajectory, ALANINE_DIPEPTIDE};
use timewarp_train::{CpuBackend, PreparedData, TrainConfig, Trainer};

#[test]
fn nll_goes_down_and_run_folder_is_complete() {
    let out = temp_dir("nll");
    let cfg = TrainConfig {
        steps: 60,
        lag_steps: 2,
        val_every: 20,
        ..tiny_config()
    };
    let traj = ou_trajectory("ala2-like", &ALANINE_DIPEPTIDE, 400, 1, 0.05, 0.9, 3);
    let data = PreparedData::from_memory(&cfg, vec![traj]).unwrap();

    // Validation NLL of the untrained model.
    let device = Default::default();
    let mut data0 = PreparedData::from_memory(
        &cfg,
        vec![ou_trajectory(
            "ala2-like",
            &ALANINE_DIPEPTIDE,
            400,
            1,
            0.05,
            0.9,
            3,
        )],
    )
    .unwrap();
    let model0 = timewarp_flow::TimewarpFlow::<timewarp_train::CpuBackend>::try_new(
        &cfg.flow_config().unwrap(),
        cfg.seed,
        &device,
    )
    .unwrap();
    use burn::module::AutodiffModule;
    let nll0 = timewarp_train::trainer::validation_nll(
        &model0.valid(),
        &mut data0.dataset,
        &data0.val,
        16,
        cfg.seed,
        &device,
    )
    .unwrap();

    let calls = std::sync::atomic::AtomicU64::new(0);
    let progress = |done: u64, total: u64| {
        assert!(done <= total);
        calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    };
    // The run folder is opened as `train` opens it (lock, record), then trained
    // on in-memory data.
    let control = timewarp_rundir::RunControl::new(false, &progress);
    let session = timewarp_train::trainer::open_run(&cfg, &[], &out, &control).unwrap();
    let s = Trainer::<CpuBackend>::open(&cfg, data, &out, false, &device)
        .and_then(|t| t.run(&progress, &|_, _| {}))
        .unwrap();
    session.finish(&s).unwrap();
    assert_eq!(calls.into_inner(), 60);
    assert_eq!(s.steps, 60);
    let best = s.best_val_nll.unwrap();
    assert!(best < nll0 - 1.0, "validation NLL {nll0} -> {best}");
    assert!(s.baseline_val_nll.is_finite());
    assert!(s.pairs_per_s > 0.0);

    for f in [
        "metrics.csv",
        "loss.png",
        "loss.svg",
        "run.json",
        "last/model.safetensors",
        "last/optimiser.bin",
        "last/state.json",
        "best/model.safetensors",
        "best/config.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    let header = "step,epoch,train_loss,train_nll,val_nll,lr,grad_norm,pairs_per_s";
    assert!(rows[0].starts_with(header));
    // Step 0 (validation of the initial weights) and every 5 steps.
    assert_eq!(rows.len(), 1 + 1 + 12);
    assert!(rows[1].starts_with("0,0,,,"), "{}", rows[1]);
    let initial: f64 = rows[1].split(',').nth(4).unwrap().parse().unwrap();
    // metrics.csv has 6 decimals.
    assert!((initial - nll0).abs() < 1e-6, "{initial} vs {nll0}");
    assert!((s.initial_val_nll.unwrap() - nll0).abs() < 1e-12);
    let first: f64 = rows[2].split(',').nth(3).unwrap().parse().unwrap();
    let last: f64 = rows[rows.len() - 1]
        .split(',')
        .nth(3)
        .unwrap()
        .parse()
        .unwrap();
    assert!(last < first - 1.0, "train NLL {first} -> {last}");
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["command"], "train");
    assert_eq!(run["completed"], true);
    let summary = &run["summary"];
    assert_eq!(summary["steps"], 60);
    assert!(
        summary["baseline_val_nll"].as_f64().is_some()
            && summary["best_val_nll"].as_f64().is_some()
    );

    // The best checkpoint loads and reproduces its validation NLL.
    let best_model =
        timewarp_flow::load_checkpoint::<burn::backend::NdArray<f32>>(out.join("best"), &device)
            .unwrap();
    let mut data1 = PreparedData::from_memory(
        &cfg,
        vec![ou_trajectory(
            "ala2-like",
            &ALANINE_DIPEPTIDE,
            400,
            1,
            0.05,
            0.9,
            3,
        )],
    )
    .unwrap();
    let again = timewarp_train::trainer::validation_nll(
        &best_model,
        &mut data1.dataset,
        &data1.val,
        16,
        cfg.seed,
        &device,
    )
    .unwrap();
    assert!(
        (again - best).abs() < 1e-4 * best.abs().max(1.0),
        "{again} vs {best}"
    );

    // A second run into the same folder without resume is refused.
    let data2 = PreparedData::from_memory(
        &cfg,
        vec![ou_trajectory("x", &ALANINE_DIPEPTIDE, 100, 1, 0.05, 0.9, 3)],
    )
    .unwrap();
    let err = Trainer::<CpuBackend>::open(&cfg, data2, &out, false, &device)
        .and_then(|t| t.run(&|_, _| {}, &|_, _| {}))
        .unwrap_err();
    assert!(err.to_string().contains("already holds"), "{err}");
    std::fs::remove_dir_all(&out).unwrap();
}
