//! Training from trajectory folders in the official layout: two peptides of different sizes,
//! replica sub-folders, splits by time block and by peptide.

mod common;

use common::{temp_dir, testdata, tiny_config, write_jittered_trajectory};
use timewarp_rundir::RunControl;
use timewarp_train::trainer::PreparedData;
use timewarp_train::{train_on_device, DataError, ModelDevice, Split, TrainConfig, TrainError};

#[test]
fn two_peptides_of_different_sizes_train() {
    let data = temp_dir("files-data");
    // ala2 (22 atoms) as two replicas in sub-folders, ace-ala3-nme (42 atoms) beside them.
    write_jittered_trajectory(
        &testdata("ala2.pdb"),
        &data.join("ala2/replica-000"),
        "ala2",
        50,
        10,
        0.01,
        1,
    );
    write_jittered_trajectory(
        &testdata("ala2.pdb"),
        &data.join("ala2/replica-001"),
        "ala2",
        50,
        10,
        0.01,
        2,
    );
    write_jittered_trajectory(
        &testdata("ace_ala3_nme.pdb"),
        &data.join("ala3"),
        "ace_ala3_nme",
        50,
        10,
        0.01,
        3,
    );

    let cfg = TrainConfig {
        steps: 30,
        ..tiny_config()
    };
    let prepared = PreparedData::from_paths(&cfg, std::slice::from_ref(&data)).unwrap();
    let sizes: Vec<usize> = prepared
        .dataset
        .trajectories
        .iter()
        .map(|t| t.n_atoms)
        .collect();
    assert_eq!(sizes, vec![22, 22, 42]);
    // 49 pairs per trajectory; the last 20 % of each trajectory's time is validation.
    assert_eq!(prepared.train.len() + prepared.val.len(), 3 * (49 - 1));

    let out = temp_dir("files-run");
    let control = RunControl::new(false, &|_, _| {});
    let s = train_on_device(
        &cfg,
        std::slice::from_ref(&data),
        &out,
        &control,
        ModelDevice::Cpu,
    )
    .unwrap();
    assert_eq!(s.steps, 30);
    assert!(s.best_val_nll.unwrap() < 10.0);
    assert!(s.baseline_val_nll.is_finite());
    let m = timewarp_flow::load_checkpoint::<burn::backend::NdArray<f32>>(
        out.join("best"),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(m.config(), &timewarp_flow::preset("tiny").unwrap());

    // Split by peptide: replicas stay together, and the held-out peptide is never trained on.
    let cfg_p = TrainConfig {
        split: Split::Peptide { val_fraction: 0.5 },
        ..cfg.clone()
    };
    let p = PreparedData::from_paths(&cfg_p, std::slice::from_ref(&data)).unwrap();
    let name = |t: u32| p.dataset.trajectories[t as usize].name.clone();
    let val_names: std::collections::BTreeSet<String> =
        p.val.iter().map(|r| name(r.traj)).collect();
    let train_names: std::collections::BTreeSet<String> =
        p.train.iter().map(|r| name(r.traj)).collect();
    assert_eq!(val_names.len(), 1);
    assert!(val_names.is_disjoint(&train_names));

    // Separate validation folders.
    let cfg_v = TrainConfig {
        val_data: vec![data.join("ala3")],
        ..cfg.clone()
    };
    let v = PreparedData::from_paths(&cfg_v, &[data.join("ala2")]).unwrap();
    assert_eq!(v.train.len(), 2 * 49);
    assert_eq!(v.val.len(), 49);

    // A lag that no two frames have is reported.
    let cfg_l = TrainConfig {
        lag_steps: 7,
        ..cfg.clone()
    };
    match PreparedData::from_paths(&cfg_l, std::slice::from_ref(&data)) {
        Err(TrainError::Data(DataError::NoTrainingPairs { lag: 7 })) => {}
        other => panic!("expected NoTrainingPairs, got {:?}", other.err()),
    }
    // A folder without trajectories is named in the error.
    let empty = temp_dir("files-empty");
    let err = PreparedData::from_paths(&cfg, std::slice::from_ref(&empty))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("files-empty"), "{err}");

    for d in [data, out, empty] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn official_npz_trajectory_is_indexed() {
    // The official test trajectory (implicit-2olx) uses the official log spacing of steps.
    let file = testdata("implicit-2olx-traj-arrays.npz");
    let arrays = timewarp_mol::traj::TrajArrays::read_npz(&file).unwrap();
    let steps = &arrays.step;
    let lag = 1000;
    let files = timewarp_train::dataset::discover(std::slice::from_ref(&file)).unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].name, "implicit-2olx");
    let ds = timewarp_train::dataset::PairDataset::from_files(
        &files,
        lag,
        &timewarp_flow::atom_type_of,
        1 << 30,
    )
    .unwrap();
    let expected = steps
        .iter()
        .filter(|&&s| steps.contains(&(s + lag)))
        .count();
    assert_eq!(ds.trajectories[0].pairs.len(), expected);
    assert!(expected > 0);
}

#[test]
fn config_round_trips_through_toml() {
    // The CLI writes the effective configuration as TOML (`RUN/config.toml`).
    let mut cfg = TrainConfig {
        flow: timewarp_flow::preset("tiny"),
        val_data: vec!["a/b".into()],
        ..TrainConfig::default()
    };
    cfg.acceptance.max_energy_delta = Some(50.0);
    let text = toml::to_string(&cfg).unwrap();
    let back: TrainConfig = toml::from_str(&text).unwrap();
    assert_eq!(back, cfg);
    let default_text = toml::to_string(&TrainConfig::default()).unwrap();
    assert_eq!(
        toml::from_str::<TrainConfig>(&default_text).unwrap(),
        TrainConfig::default()
    );
    let partial: TrainConfig = toml::from_str(
        "preset = \"tiny\"\nloss = \"acceptance\"\n\
         [lr_decay]\nkind = \"step\"\nevery = 100\ngamma = 0.5\n",
    )
    .unwrap();
    assert_eq!(
        partial.lr_decay,
        timewarp_train::LrDecay::Step {
            every: 100,
            gamma: 0.5
        }
    );
}
