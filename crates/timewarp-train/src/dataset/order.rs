//! Which training pairs each optimiser step sees. With one peptide (or [`Balance::Pair`]):
//! epochs without replacement, batches of molecules of one size ([`epoch_batches`]). With
//! several peptides and [`Balance::Peptide`]: every batch element first draws a peptide
//! uniformly, then one of its pairs ([`PeptideSampler`]), so that peptides with long
//! trajectories do not dominate. Both orders are pure functions of the seed and the position
//! in the run, so a resumed run sees the batches an uninterrupted one would.

use super::pairs::PairRef;
use super::trajectory::TrajectoryInfo;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How training pairs are drawn when the data hold several peptides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Balance {
    /// Each batch element picks a peptide uniformly, then a pair of that peptide uniformly
    /// (replicas of a peptide pooled): every peptide weighs the same, whatever its trajectory
    /// length. Batches are drawn with replacement, as a pure function of (seed, step).
    #[default]
    Peptide,
    /// Uniform over all pairs, in epochs without replacement (the official Timewarp order):
    /// a peptide weighs in proportion to its number of pairs.
    Pair,
}

/// Draws batches with per-peptide balance ([`Balance::Peptide`]).
#[derive(Debug, Clone)]
pub struct PeptideSampler {
    /// Peptide names, sorted, and the pairs of each.
    names: Vec<String>,
    groups: Vec<Vec<PairRef>>,
}

/// Salt of the per-peptide sampling stream (independent of the epoch order and augmentation).
const BALANCE_SALT: u64 = 0x6261_6c61_6e63_6531;

impl PeptideSampler {
    /// Groups `pairs` by the peptide name of their trajectory (replicas pooled).
    pub fn new(pairs: &[PairRef], infos: &[TrajectoryInfo]) -> Self {
        let mut by_name: BTreeMap<&str, Vec<PairRef>> = Default::default();
        for r in pairs {
            by_name
                .entry(infos[r.traj as usize].name.as_str())
                .or_default()
                .push(*r);
        }
        let (names, groups) = by_name.into_iter().map(|(n, g)| (n.to_string(), g)).unzip();
        PeptideSampler { names, groups }
    }

    pub fn n_peptides(&self) -> usize {
        self.groups.len()
    }

    /// Peptide names (sorted) and their pair counts.
    pub fn peptides(&self) -> impl Iterator<Item = (&str, usize)> {
        self.names
            .iter()
            .map(String::as_str)
            .zip(self.groups.iter().map(Vec::len))
    }

    /// The `batch` pairs of optimiser step `step`: for each element a peptide p ~ U{peptides},
    /// then a pair ~ U{pairs of p}. ChaCha8 stream `step` of the seed, so a resumed run draws
    /// the same batches as an uninterrupted one.
    pub fn batch(&self, batch: usize, seed: u64, step: u64) -> Vec<PairRef> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ BALANCE_SALT);
        rng.set_stream(step);
        (0..batch)
            .map(|_| {
                let g = &self.groups[rng.random_range(0..self.groups.len())];
                g[rng.random_range(0..g.len())]
            })
            .collect()
    }
}

/// The per-peptide sampler when `balance` asks for it and the pairs span at least two
/// peptides; `None` means the epoch order of [`epoch_batches`] (with a single peptide both
/// balances give every pair the same weight, and the epoch order draws without replacement).
pub fn peptide_sampler(
    balance: Balance,
    pairs: &[PairRef],
    infos: &[TrajectoryInfo],
) -> Option<PeptideSampler> {
    match balance {
        Balance::Pair => None,
        Balance::Peptide => Some(PeptideSampler::new(pairs, infos)).filter(|s| s.n_peptides() > 1),
    }
}

/// The batches of one epoch: pairs shuffled with a seed derived from (seed, epoch), then
/// sorted by molecule size (a stable sort, so the order within a size is random), cut into
/// batches of `batch` pairs, and the batches shuffled. Batches hence hold molecules of equal
/// size, except at the borders between sizes. The order is a pure function of (seed, epoch),
/// so a resumed run recomputes it and continues at the saved batch.
pub fn epoch_batches(
    pairs: &[PairRef],
    infos: &[TrajectoryInfo],
    batch: usize,
    seed: u64,
    epoch: u64,
) -> Vec<Vec<PairRef>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ epoch.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut order = pairs.to_vec();
    order.shuffle(&mut rng);
    order.sort_by_key(|r| infos[r.traj as usize].n_atoms);
    let mut batches: Vec<Vec<PairRef>> = order.chunks(batch.max(1)).map(|c| c.to_vec()).collect();
    batches.shuffle(&mut rng);
    batches
}
