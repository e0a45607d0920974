//! The pair data set: conditioning states x(t) and targets x(t+τ) from MD trajectories.
//!
//! A training pair is two frames of one trajectory whose MD step numbers differ by exactly the
//! lag τ (the official `step_width`): frame i pairs with the frame whose step is `step[i] + τ`,
//! if there is one, so regular and the official logarithmic frame spacing both work. The flow
//! learns p(x(t+τ) | x(t)) from these pairs.
//!
//! - `pairs`: the index of all pairs ([`PairDataset`], [`PairRef`]), positions loaded on
//!   demand.
//! - `trajectory`: a trajectory in memory ([`Trajectory`]) and what the index keeps of it.
//! - `batch`: pairs padded into the flow's dense batch layout ([`PairBatch`]).
//! - `order`: which pairs each optimiser step sees ([`epoch_batches`], [`PeptideSampler`]).
//! - `split`: training and validation pairs ([`split_pairs`]).
//! - `files`, `manifest`: trajectory files in the official layout ([`read_trajectory`]) and
//!   data sets of many peptides written by `timewarp md` ([`read_md_dataset`]).
//! - `cache`: the byte-bounded LRU cache of positions, so data sets larger than memory train
//!   (slowly if the cache thrashes).

mod batch;
mod cache;
mod files;
mod manifest;
mod order;
mod pairs;
mod split;
mod trajectory;

pub use batch::PairBatch;
pub use files::{
    discover, read_positions, read_topology, read_trajectory, TrajectoryFiles, ARRAYS_SUFFIX,
    STATE0_SUFFIX,
};
pub use manifest::{is_md_dataset, read_md_dataset, MdDatasetSplits, MD_DATASET_MANIFEST};
pub use order::{epoch_batches, peptide_sampler, Balance, PeptideSampler};
pub use pairs::{frame_pairs, PairDataset, PairRef};
pub use split::{split_pairs, subsample, Split, SplitPairs};
pub use trajectory::{AtomTyper, Trajectory, TrajectoryInfo};

#[cfg(test)]
mod tests;
