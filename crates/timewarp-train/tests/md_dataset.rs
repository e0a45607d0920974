//! Training on an MD data set (a folder with the `manifest.json` of `timewarp md` over several
//! peptides): the train split trains, the val split validates, the test split and incomplete
//! peptides are never read.

mod common;

use common::{temp_dir, testdata, tiny_config, write_jittered_trajectory};
use std::collections::BTreeSet;
use timewarp_md::dataset::{
    Manifest, PeptideEntry, PeptideStatus, SplitFractions, SplitName, SplitSpec, MANIFEST_FORMAT,
};
use timewarp_rundir::RunControl;
use timewarp_train::dataset::{read_md_dataset, Balance};
use timewarp_train::trainer::PreparedData;
use timewarp_train::{train_on_device, ModelDevice, TrainConfig};

fn entry(name: &str, split: SplitName, status: PeptideStatus) -> PeptideEntry {
    PeptideEntry {
        name: name.into(),
        sequence: None,
        source: Some(format!("{name}.pdb").into()),
        folder: name.into(),
        n_atoms: None,
        seed: 0,
        split,
        status,
        error: (status == PeptideStatus::Failed).then(|| "blew up".to_string()),
    }
}

#[test]
fn the_manifest_decides_what_trains_validates_and_stays_unread() {
    let data = temp_dir("md-dataset");
    // train: ala2 (two replicas) and ace-ala3-nme; val: dip_gly; test: garbage that would fail
    // to load; a failed train peptide and a pending val peptide without any files.
    write_jittered_trajectory(
        &testdata("ala2.pdb"),
        &data.join("ala2/replica-000"),
        "ala2",
        40,
        10,
        0.01,
        1,
    );
    write_jittered_trajectory(
        &testdata("ala2.pdb"),
        &data.join("ala2/replica-001"),
        "ala2",
        40,
        10,
        0.01,
        2,
    );
    write_jittered_trajectory(
        &testdata("ace_ala3_nme.pdb"),
        &data.join("ala3"),
        "ala3",
        20,
        10,
        0.01,
        3,
    );
    write_jittered_trajectory(
        &testdata("dip_gly.pdb"),
        &data.join("gly"),
        "gly",
        30,
        10,
        0.01,
        4,
    );
    std::fs::create_dir_all(data.join("secret")).unwrap();
    std::fs::write(data.join("secret/secret-traj-arrays.npz"), b"not an npz").unwrap();
    std::fs::write(data.join("secret/secret-traj-state0.pdb"), b"garbage").unwrap();
    let manifest = Manifest {
        format: MANIFEST_FORMAT.into(),
        md: Default::default(),
        forcefield: Default::default(),
        split: SplitSpec::new(SplitFractions::default(), 0),
        peptides: vec![
            entry("ala2", SplitName::Train, PeptideStatus::Complete),
            entry("secret", SplitName::Test, PeptideStatus::Complete),
            entry("broken", SplitName::Train, PeptideStatus::Failed),
            entry("ala3", SplitName::Train, PeptideStatus::Complete),
            entry("gly", SplitName::Val, PeptideStatus::Complete),
            entry("later", SplitName::Val, PeptideStatus::Pending),
        ],
    };
    manifest.write(&data.join("manifest.json")).unwrap();

    let splits = read_md_dataset(&data).unwrap();
    assert_eq!(splits.train, vec![data.join("ala2"), data.join("ala3")]);
    assert_eq!(splits.val, vec![data.join("gly")]);
    assert_eq!(splits.n_test, 1);
    assert_eq!(splits.incomplete, ["broken (failed)", "later (pending)"]);

    let cfg = TrainConfig {
        steps: 12,
        balance: Balance::Peptide,
        ..tiny_config()
    };
    let p = PreparedData::from_paths(&cfg, std::slice::from_ref(&data)).unwrap();
    let name = |t: u32| p.dataset.trajectories[t as usize].name.clone();
    let train: BTreeSet<String> = p.train.iter().map(|r| name(r.traj)).collect();
    let val: BTreeSet<String> = p.val.iter().map(|r| name(r.traj)).collect();
    assert_eq!(
        train,
        BTreeSet::from(["ala2".to_string(), "ala3".to_string()])
    );
    assert_eq!(val, BTreeSet::from(["gly".to_string()]));
    // Every pair of the train peptides trains (no time-block split inside a data set).
    assert_eq!(p.train.len(), 2 * 39 + 19);
    assert_eq!(p.val.len(), 29);
    assert!(p.dataset.trajectories.iter().all(|t| t.name != "secret"));

    let out = temp_dir("md-dataset-run");
    let control = RunControl::new(false, &|_, _| {});
    let s = train_on_device(
        &cfg,
        std::slice::from_ref(&data),
        &out,
        &control,
        ModelDevice::Cpu,
    )
    .unwrap();
    assert_eq!((s.steps, s.train_pairs, s.val_pairs), (12, 97, 29));
    assert!(s.final_val_nll.unwrap().is_finite());

    // A data set and a plain trajectory folder together are refused.
    let e = PreparedData::from_paths(&cfg, &[data.clone(), data.join("ala3")])
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("manifest.json"), "{e}");
    for d in [data, out] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn a_manifest_of_another_format_is_named() {
    let data = temp_dir("md-dataset-format");
    std::fs::write(
        data.join("manifest.json"),
        r#"{"format": "other/2", "peptides": []}"#,
    )
    .unwrap();
    let e = read_md_dataset(&data).unwrap_err().to_string();
    assert!(e.contains("manifest.json") && e.contains("other/2"), "{e}");
    std::fs::remove_dir_all(data).unwrap();
}
