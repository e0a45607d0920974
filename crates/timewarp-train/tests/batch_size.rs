//! A batch larger than the training data is refused with the number of training pairs (the
//! Cartesian trainer) or frames (the internal-chart trainer, which draws frames with
//! replacement), before any training work, instead of being capped silently or repeating
//! frames while `run.json` records the setting.

mod common;

use common::{temp_dir, testdata, tiny_config, write_jittered_trajectory};
use timewarp_rundir::RunControl;
use timewarp_sample::fitted::fit::FitTrajectory;
use timewarp_sample::fitted::{fit_kernel, FitConfig};
use timewarp_train::synthetic::{ou_trajectory, ALANINE_DIPEPTIDE};
use timewarp_train::{
    train_on_device, CpuBackend, ModelDevice, PreparedData, TrainConfig, TrainError, Trainer,
};

#[test]
fn batch_larger_than_the_training_pairs_is_refused_naming_both() {
    let out = temp_dir("batch-pairs");
    let cfg = TrainConfig {
        lag_steps: 2,
        batch: 100_000_000,
        ..tiny_config()
    };
    let traj = ou_trajectory("ala2-like", &ALANINE_DIPEPTIDE, 60, 1, 0.05, 0.9, 3);
    let data = PreparedData::from_memory(&cfg, vec![traj]).unwrap();
    let pairs = data.train.len();
    let device = Default::default();
    let err = Trainer::<CpuBackend>::open(&cfg, data, &out, false, &device)
        .and_then(|t| t.run(&|_, _| {}, &|_, _| {}))
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, TrainError::Config(_)), "{text}");
    assert!(
        text.contains("batch = 100000000") && text.contains(&format!("{pairs} training pairs")),
        "{text}"
    );
    // Refused before anything is written.
    assert!(!out.join("last").exists() && !out.join("metrics.csv").exists());

    // A batch of exactly the training pairs is fine.
    let cfg = TrainConfig {
        batch: pairs,
        steps: 1,
        val_every: 1,
        checkpoint_every: 1,
        log_every: 1,
        ..cfg
    };
    let traj = ou_trajectory("ala2-like", &ALANINE_DIPEPTIDE, 60, 1, 0.05, 0.9, 3);
    let data = PreparedData::from_memory(&cfg, vec![traj]).unwrap();
    Trainer::<CpuBackend>::open(&cfg, data, &temp_dir("batch-pairs-ok"), false, &device)
        .and_then(|t| t.run(&|_, _| {}, &|_, _| {}))
        .unwrap();
}

#[test]
fn internal_chart_batch_larger_than_the_training_frames_is_refused() {
    let dir = temp_dir("batch-frames");
    let md = dir.join("md");
    let frames = 300;
    write_jittered_trajectory(&testdata("ala2.pdb"), &md, "ala2", frames, 10, 0.003, 5);
    // The fitted kernel the flow refines: lag of one frame (10 steps of 0.5 fs).
    let (pdb, arrays) = timewarp_mol::traj::read_traj(&md, "ala2").unwrap();
    let trajectory = FitTrajectory {
        label: "ala2".into(),
        positions: &arrays.positions,
        time: &arrays.time,
    };
    let kernel = fit_kernel(
        &pdb.topology,
        &[trajectory],
        &FitConfig {
            lag_ps: 0.005,
            ..FitConfig::default()
        },
    )
    .unwrap();
    let kernel_dir = dir.join("kernel");
    kernel.save(&kernel_dir).unwrap();

    let cfg = TrainConfig {
        preset: "ic-tiny".into(),
        kernel: Some(kernel_dir),
        // more than the 270 training frames, small enough that an unchecked run would finish
        batch: 1000,
        steps: 2,
        ..TrainConfig::default()
    };
    let out = dir.join("run");
    let control = RunControl::new(false, &|_, _| {});
    let err = train_on_device(&cfg, &[md], &out, &control, ModelDevice::Cpu).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, TrainError::Config(_)), "{text}");
    // 10 % of the frames validate.
    let train_frames = frames - frames / 10;
    assert!(
        text.contains("batch = 1000 ") && text.contains(&format!("{train_frames} training frames")),
        "{text}"
    );
    assert!(!out.join("last").exists());
}
