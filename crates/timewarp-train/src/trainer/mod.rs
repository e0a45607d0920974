//! The training loop of `timewarp train` for Cartesian-chart flows (the internal chart trains
//! in [`crate::internal`]).
//!
//! One step: take the next batch of the order ([`crate::dataset::epoch_batches`] or the
//! per-peptide sampler), pad it, apply the random rigid motion, draw auxiliary velocities,
//! evaluate the loss, back-propagate, clip the global gradient norm, and let Adam update the
//! weights with the scheduled learning rate. Every `val_every` steps the validation NLL per
//! atom is computed (no augmentation, fixed auxiliary velocities so that successive validations
//! are comparable); the best model goes to `best/`, and `last/` is written every
//! `checkpoint_every` steps with everything a resumed run needs.
//!
//! - [`train`]: the entry point, generic over the backend; [`train_on_device`] picks the
//!   backend at run time.
//! - [`Trainer`] (`run.rs`): the phases of a run: open or resume, step, validate, checkpoint,
//!   finish.
//! - [`PreparedData`] (`data.rs`): the pairs after indexing and splitting.
//! - [`Learner`] (`step.rs`): one optimiser step.
//! - [`validation_nll`], [`validation_acceptance`] (`validate.rs`).

mod data;
mod entry;
mod run;
mod step;
mod validate;

pub use data::PreparedData;
pub use entry::{open_run, train, train_on_device};
pub use run::Trainer;
pub use step::{Learner, StepStats};
pub use validate::{validation_acceptance, validation_nll};

use serde::Serialize;
use std::path::PathBuf;

/// What a finished (or early-stopped) run reports (the `summary` of its `run.json`).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct TrainSummary {
    pub run_dir: PathBuf,
    /// Optimiser steps done (all sessions).
    pub steps: u64,
    pub best_val_nll: Option<f64>,
    pub best_step: Option<u64>,
    /// Validation NLL per atom of the final weights.
    pub final_val_nll: Option<f64>,
    /// Validation NLL per atom of the initial weights.
    pub initial_val_nll: Option<f64>,
    /// Validation NLL per atom of the fitted Gaussian displacement baseline.
    pub baseline_val_nll: f64,
    pub wall_seconds: f64,
    /// Training throughput of this session (pairs per second of step time).
    pub pairs_per_s: f64,
    pub train_pairs: usize,
    pub val_pairs: usize,
    pub num_params: usize,
    pub stopped_early: bool,
    /// Step the run was resumed from, if it was.
    pub resumed_from: Option<u64>,
    /// Internal-chart flows: validation MH acceptance of a block move of the fitted kernel
    /// (the identity flow) and of the final flow.
    pub initial_val_acceptance: Option<f64>,
    pub final_val_acceptance: Option<f64>,
}
