//! Data-set runs on tiny MD of capped dipeptides (a few hundred steps each): layout and
//! manifest, skipping finished peptides, resuming and extending partial ones, failures that do
//! not stop the others, stable splits and seeds when peptides are added.

use super::*;
use crate::SpacingKind;
use std::time::SystemTime;
use timewarp_mol::traj::{arrays_path, TrajArrays};

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("twmd-dataset-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn tiny(steps: u64) -> DatasetConfig {
    DatasetConfig {
        md: MdConfig {
            steps,
            burn_in_steps: 50,
            save_every: 50,
            spacing: SpacingKind::Regular,
            checkpoint_every: 100,
            seed: 3,
            ..MdConfig::default()
        },
        forcefield: SystemOptions::default(),
        split: SplitFractions::default(),
    }
}

fn seqs(list: &[&str]) -> Vec<PeptideSource> {
    list.iter()
        .map(|s| PeptideSource::Sequence(s.to_string()))
        .collect()
}

fn mtime(p: &Path) -> SystemTime {
    std::fs::metadata(p).unwrap().modified().unwrap()
}

fn frames(out: &Path, name: &str) -> TrajArrays {
    TrajArrays::read_npz(&arrays_path(&out.join(name), name)).unwrap()
}

#[test]
fn names_and_dipeptides() {
    assert_eq!(sequence_name("AK"), "AK");
    assert_eq!(sequence_name("AH(HID)E"), "AH-HID-E");
    assert_eq!(sequence_name(" H(HIP)K(LYN) "), "H-HIP-K-LYN");
    assert_eq!(sequence_name("A/K"), "A_K");
    assert_eq!(PeptideSource::Pdb("data/ala2.pdb".into()).name(), "ala2");
    let all = all_dipeptides();
    assert_eq!(all.len(), 400);
    assert_eq!((all[0].as_str(), all[399].as_str()), ("AA", "YY"));
    let mut distinct = all.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 400);
    // Seeds depend on the name and the data-set seed only.
    assert_eq!(peptide_seed(3, "AK"), peptide_seed(3, "AK"));
    assert_ne!(peptide_seed(3, "AK"), peptide_seed(3, "KA"));
    assert_ne!(peptide_seed(3, "AK"), peptide_seed(4, "AK"));
}

#[test]
fn duplicate_names_of_different_sources_are_refused() {
    let out = scratch("dup");
    let peptides = vec![
        PeptideSource::Sequence("AK".into()),
        PeptideSource::Pdb("x/AK.pdb".into()),
    ];
    let e = run_md_dataset(&tiny(100), &peptides, &out, &()).unwrap_err();
    assert!(e.to_string().contains("same name 'AK'"), "{e}");
    assert!(!out.join(MANIFEST_FILE).exists());
    let e = run_md_dataset(&tiny(100), &seqs(&[""]), &out, &()).unwrap_err();
    assert!(e.to_string().contains("peptide name"), "{e}");
}

#[test]
fn runs_every_peptide_then_skips_finished_ones_and_extends_partial_ones() {
    let out = scratch("resume");
    let peptides = seqs(&["AG", "GA", "GG", "AG"]); // the duplicate runs once
    let first = run_md_dataset(&tiny(200), &peptides, &out, &()).unwrap();
    assert_eq!(first.reports.len(), 3);
    assert!(first
        .reports
        .iter()
        .all(|r| matches!(r.outcome, PeptideOutcome::Ran(_))));
    let m = Manifest::read(&out.join(MANIFEST_FILE)).unwrap();
    assert_eq!(m, first.manifest);
    assert_eq!(m.status_counts(), (3, 0, 0));
    // 3 peptides at 0.8/0.1/0.1: one in each split.
    for s in SplitName::ALL {
        assert_eq!(m.in_split(s).count(), 1, "{s}");
    }
    let gg = m.peptide("GG").unwrap();
    assert_eq!(gg.n_atoms, Some(26)); // ACE 6 + GLY 7 + GLY 7 + NME 6
    for p in &m.peptides {
        let t = frames(&out, &p.name);
        assert_eq!(t.n_frames(), 200 / 50 + 1); // production start included
        assert!(t.positions.iter().all(|x| x.is_finite()));
        assert_eq!(p.seed, peptide_seed(3, &p.name));
    }
    let stamp = mtime(&arrays_path(&out.join("GA"), "GA"));

    // Second invocation: nothing to do.
    let second = run_md_dataset(&tiny(200), &peptides, &out, &()).unwrap();
    assert!(second
        .reports
        .iter()
        .all(|r| r.outcome == PeptideOutcome::AlreadyComplete));
    assert_eq!(mtime(&arrays_path(&out.join("GA"), "GA")), stamp);
    assert_eq!(second.manifest, first.manifest);

    // Longer production: every peptide continues from its checkpoint.
    let third = run_md_dataset(&tiny(400), &peptides, &out, &()).unwrap();
    for r in &third.reports {
        let PeptideOutcome::Ran(s) = &r.outcome else {
            panic!("{} was not extended: {:?}", r.name, r.outcome)
        };
        assert_eq!(s.replicas[0].resumed_from_step, Some(250));
        assert_eq!(s.replicas[0].steps_this_run, 200);
    }
    assert_eq!(frames(&out, "GA").n_frames(), 9);
    let splits = |m: &Manifest| m.peptides.iter().map(|p| p.split).collect::<Vec<_>>();
    assert_eq!(splits(&third.manifest), splits(&first.manifest));

    // Other MD settings are refused, naming the difference.
    let mut hot = tiny(400);
    hot.md.temperature_k = 400.0;
    let e = run_md_dataset(&hot, &peptides, &out, &()).unwrap_err();
    assert!(e.to_string().contains("temperature_k"), "{e}");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_failing_peptide_is_recorded_and_the_others_go_on() {
    let out = scratch("fail");
    let peptides = seqs(&["AX", "GA", "G(HID)"]);
    let s = run_md_dataset(&tiny(100), &peptides, &out, &()).unwrap();
    let failed: Vec<&str> = s.failed().map(|r| r.name.as_str()).collect();
    assert_eq!(failed, ["AX", "G-HID"]);
    let m = Manifest::read(&out.join(MANIFEST_FILE)).unwrap();
    let ax = m.peptide("AX").unwrap();
    assert_eq!(ax.status, PeptideStatus::Failed);
    let e = ax.error.as_deref().unwrap();
    assert!(e.contains("'X'") && e.contains("position 2"), "{e}");
    assert_eq!(ax.n_atoms, None);
    assert!(m
        .peptide("G-HID")
        .unwrap()
        .error
        .as_deref()
        .unwrap()
        .contains("HID"));
    assert_eq!(m.peptide("GA").unwrap().status, PeptideStatus::Complete);
    assert_eq!(frames(&out, "GA").n_frames(), 3);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn added_peptides_keep_the_others_splits_and_trajectories() {
    let small = scratch("add-small");
    let large = scratch("add-large");
    let a = run_md_dataset(&tiny(100), &seqs(&["GA", "AG", "GG"]), &small, &()).unwrap();
    // The same data set grown by two peptides, in another order.
    let b = run_md_dataset(&tiny(100), &seqs(&["GG", "AA", "GA", "AG"]), &large, &()).unwrap();
    for name in ["GA", "AG", "GG"] {
        let (x, y) = (frames(&small, name), frames(&large, name));
        assert_eq!(x.positions, y.positions, "{name}");
    }
    // Growing the small data set in place keeps its splits.
    let c = run_md_dataset(
        &tiny(100),
        &seqs(&["GA", "AG", "GG", "AA", "GS"]),
        &small,
        &(),
    )
    .unwrap();
    for p in &a.manifest.peptides {
        assert_eq!(c.manifest.peptide(&p.name).unwrap().split, p.split);
    }
    assert_eq!(c.manifest.peptides.len(), 5);
    assert_eq!(b.manifest.peptides.len(), 4);
    let _ = std::fs::remove_dir_all(&small);
    let _ = std::fs::remove_dir_all(&large);
}

#[test]
fn concurrent_peptides_give_the_same_trajectories_as_one_at_a_time() {
    let (one, many) = (scratch("serial"), scratch("concurrent"));
    let peptides = seqs(&["AG", "GA", "GG"]);
    let serial = DatasetConfig {
        md: MdConfig {
            threads: 1,
            ..tiny(100).md
        },
        ..tiny(100)
    };
    // Three workers and one replica: all three peptides run at once.
    let concurrent = DatasetConfig {
        md: MdConfig {
            threads: 3,
            ..tiny(100).md
        },
        ..tiny(100)
    };
    let a = run_md_dataset(&serial, &peptides, &one, &()).unwrap();
    let b = run_md_dataset(&concurrent, &peptides, &many, &()).unwrap();
    // Reports come back in the requested order, and the trajectories are identical.
    let names = |s: &DatasetSummary| s.reports.iter().map(|r| r.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), ["AG", "GA", "GG"]);
    assert_eq!(names(&a), names(&b));
    for name in ["AG", "GA", "GG"] {
        assert_eq!(
            frames(&one, name).positions,
            frames(&many, name).positions,
            "{name}"
        );
    }
    assert!(b
        .manifest
        .peptides
        .iter()
        .all(|p| p.status == PeptideStatus::Complete));
    let _ = std::fs::remove_dir_all(&one);
    let _ = std::fs::remove_dir_all(&many);
}
