//! Unit tests of the pair data set: pairing by step, splits, padding, epoch order, peptide
//! balance, the LRU cache.

use super::cache::PositionCache;
use super::*;
use crate::error::DataError;
use std::sync::Arc;
use timewarp_mol::Element;

fn typer(e: Element) -> Option<i64> {
    match e {
        Element::C => Some(0),
        Element::H => Some(1),
        _ => None,
    }
}

fn traj(name: &str, n: usize, steps: Vec<i64>) -> Trajectory {
    let t = steps.len();
    Trajectory {
        name: name.into(),
        elements: vec![Element::C; n],
        positions: (0..t * n * 3).map(|k| k as f32).collect(),
        steps,
    }
}

#[test]
fn pairs_with_regular_spacing() {
    let p = frame_pairs(&[0, 10, 20, 30, 40], 20);
    assert_eq!(p, vec![(0, 2), (1, 3), (2, 4)]);
}

#[test]
fn pairs_with_log_spacing() {
    // Official log spacing: each block of 10 000 steps saves at 0, 1, 10, 100, 1000 steps.
    let steps = vec![
        0, 1, 10, 100, 1000, 10000, 10001, 10010, 10100, 11000, 20000,
    ];
    assert_eq!(frame_pairs(&steps, 1000), vec![(0, 4), (5, 9)]);
    assert_eq!(
        frame_pairs(&steps, 10000),
        vec![(0, 5), (1, 6), (2, 7), (3, 8), (4, 9), (5, 10)]
    );
    assert!(frame_pairs(&steps, 7).is_empty());
}

#[test]
fn time_block_split_drops_straddling_pairs() {
    let ds = PairDataset::from_memory(
        vec![traj("a", 2, (0..10).map(|s| s * 10).collect())],
        10,
        &typer,
    )
    .unwrap();
    let s = split_pairs(&ds.trajectories, &Split::TimeBlock { val_fraction: 0.2 }, 0).unwrap();
    // boundary at step 72: training pairs end before it, validation pairs start after it.
    assert_eq!(s.train.len(), 7); // (0,1) … (6,7)
    assert_eq!(
        s.val.iter().map(|r| (r.x, r.y)).collect::<Vec<_>>(),
        vec![(8, 9)]
    );
}

#[test]
fn peptide_split_keeps_replicas_together() {
    let trajs = vec![
        traj("a", 2, vec![0, 1, 2]),
        traj("b", 3, vec![0, 1, 2]),
        traj("a", 2, vec![0, 1, 2]),
        traj("c", 4, vec![0, 1, 2]),
    ];
    let ds = PairDataset::from_memory(trajs, 1, &typer).unwrap();
    let s = split_pairs(&ds.trajectories, &Split::Peptide { val_fraction: 0.34 }, 7).unwrap();
    assert_eq!(s.train.len() + s.val.len(), 8);
    let name = |r: &PairRef| ds.trajectories[r.traj as usize].name.clone();
    for v in &s.val {
        assert!(s.train.iter().all(|t| name(t) != name(v)));
    }
    assert!(!s.val.is_empty());
    let single = PairDataset::from_memory(vec![traj("a", 2, vec![0, 1])], 1, &typer).unwrap();
    assert!(matches!(
        split_pairs(
            &single.trajectories,
            &Split::Peptide { val_fraction: 0.5 },
            0
        ),
        Err(DataError::TooFewPeptides { .. })
    ));
}

#[test]
fn unknown_element_is_named() {
    let mut t = traj("x", 2, vec![0, 1]);
    t.elements[1] = Element::Zn;
    let e = PairDataset::from_memory(vec![t], 1, &typer)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("Zn") && e.contains("atom 2"), "{e}");
}

#[test]
fn batches_are_padded_and_sorted_by_size() {
    let trajs = vec![
        traj("a", 2, (0..20).collect()),
        traj("b", 3, (0..20).collect()),
    ];
    let mut ds = PairDataset::from_memory(trajs, 1, &typer).unwrap();
    let s = split_pairs(&ds.trajectories, &Split::TimeBlock { val_fraction: 0.0 }, 0).unwrap();
    assert_eq!(s.train.len(), 38);
    let batches = epoch_batches(&s.train, &ds.trajectories, 4, 1, 0);
    assert_eq!(batches.iter().map(|b| b.len()).sum::<usize>(), 38);
    let mixed = batches
        .iter()
        .filter(|b| b.iter().any(|r| r.traj == 0) && b.iter().any(|r| r.traj == 1))
        .count();
    assert!(mixed <= 1);
    // Deterministic per (seed, epoch), different across epochs.
    assert_eq!(batches, epoch_batches(&s.train, &ds.trajectories, 4, 1, 0));
    assert_ne!(batches, epoch_batches(&s.train, &ds.trajectories, 4, 1, 1));

    let refs = [
        PairRef {
            traj: 0,
            x: 3,
            y: 4,
        },
        PairRef {
            traj: 1,
            x: 0,
            y: 1,
        },
    ];
    let mut b = PairBatch::default();
    ds.fill_batch(&refs, &mut b).unwrap();
    assert_eq!(b.n_max, 3);
    assert_eq!(b.n_atoms, vec![2, 3]);
    // Example 0: frame 3 of a 2-atom trajectory starts at 3·2·3 = 18.
    assert_eq!(&b.x_coords[..6], &[18., 19., 20., 21., 22., 23.]);
    assert_eq!(&b.x_coords[6..9], &[0., 0., 0.]);
    assert_eq!(&b.y_coords[..3], &[24., 25., 26.]);
    assert_eq!(b.real_mask(), vec![1., 1., 0., 1., 1., 1.]);
}

/// Two peptides with 10:1 pair counts: 100 and 10 pairs.
fn unbalanced() -> PairDataset {
    let trajs = vec![
        traj("big", 2, (0..101).collect()),
        traj("small", 3, (0..11).collect()),
    ];
    PairDataset::from_memory(trajs, 1, &typer).unwrap()
}

/// Fraction of the first `n_batches` batches' elements that come from peptide "big".
fn big_fraction(batches: impl Iterator<Item = Vec<PairRef>>, n_batches: usize) -> f64 {
    let (mut big, mut all) = (0usize, 0usize);
    for b in batches.take(n_batches) {
        big += b.iter().filter(|r| r.traj == 0).count();
        all += b.len();
    }
    big as f64 / all as f64
}

#[test]
fn peptide_balance_weighs_peptides_equally_and_pair_balance_weighs_pairs() {
    let ds = unbalanced();
    let s = split_pairs(&ds.trajectories, &Split::TimeBlock { val_fraction: 0.0 }, 0).unwrap();
    assert_eq!(s.train.len(), 110);
    // 200 batches of 32 = 6400 draws. Under `peptide` the expected share of "big" is 1/2
    // (binomial standard deviation 0.006); under `pair` it is 100/110 = 0.909. Tolerance
    // ±0.03 for both, five standard deviations of the peptide draw.
    let sampler = peptide_sampler(Balance::Peptide, &s.train, &ds.trajectories).unwrap();
    assert_eq!(
        sampler.peptides().collect::<Vec<_>>(),
        vec![("big", 100), ("small", 10)]
    );
    let f = big_fraction((0..).map(|step| sampler.batch(32, 3, step)), 200);
    assert!((f - 0.5).abs() < 0.03, "peptide balance: big fraction {f}");
    assert!(peptide_sampler(Balance::Pair, &s.train, &ds.trajectories).is_none());
    let epochs = (0..).flat_map(|e| epoch_batches(&s.train, &ds.trajectories, 32, 3, e));
    let f = big_fraction(epochs, 200);
    assert!(
        (f - 100.0 / 110.0).abs() < 0.03,
        "pair balance: big fraction {f}"
    );
    // Pure function of (seed, step); every drawn pair is a real training pair.
    assert_eq!(sampler.batch(32, 3, 17), sampler.batch(32, 3, 17));
    assert_ne!(sampler.batch(32, 3, 17), sampler.batch(32, 3, 18));
    assert!(sampler.batch(64, 1, 0).iter().all(|r| s.train.contains(r)));
    // One peptide: the epoch order, whatever the balance.
    let single = PairDataset::from_memory(vec![traj("a", 2, (0..5).collect())], 1, &typer).unwrap();
    let p = split_pairs(
        &single.trajectories,
        &Split::TimeBlock { val_fraction: 0.0 },
        0,
    )
    .unwrap();
    assert!(peptide_sampler(Balance::Peptide, &p.train, &single.trajectories).is_none());
}

#[test]
fn cache_evicts_least_recently_used() {
    let mut c = PositionCache::new(3 * 4 * 2);
    c.insert(0, Arc::new(vec![0.0; 3]));
    c.insert(1, Arc::new(vec![0.0; 3]));
    assert!(c.get(0).is_some());
    c.insert(2, Arc::new(vec![0.0; 3]));
    assert!(c.get(1).is_none());
    assert!(c.get(0).is_some() && c.get(2).is_some());
    assert_eq!(c.loads, 3);
}
