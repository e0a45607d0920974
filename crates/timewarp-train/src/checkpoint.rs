//! Run folders and resumable checkpoints.
//!
//! Layout of a run folder:
//! ```text
//! RUN/
//!   config.toml      effective configuration (written by the CLI)
//!   metrics.csv      one row per logged step
//!   loss.png, loss.svg
//!   run.json         summary
//!   last/            the newest state: flow checkpoint + optimiser.bin + state.json
//!   best/            the flow checkpoint with the lowest validation NLL (+ state.json)
//! ```
//! A checkpoint folder is replaced atomically by `timewarp_rundir::replace_dir_atomic`
//! (`NAME.tmp/` filled, `NAME/` → `NAME.old/`, `NAME.tmp/` → `NAME/`): a run killed at any
//! moment leaves either `NAME/` or `NAME.old/` complete, and [`find_checkpoint`] takes whichever
//! exists.

use crate::error::TrainError;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use timewarp_rundir::RngState;

/// Training progress, saved next to the weights so that `resume` continues exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Optimiser steps done.
    pub step: u64,
    /// Current epoch (pass over the training pairs) and the next batch in its order.
    pub epoch: u64,
    pub batch_in_epoch: u64,
    /// State of the augmentation random stream.
    pub rng: RngState,
    /// Validation NLL per atom of the best checkpoint and the step it was reached.
    pub best_val_nll: Option<f64>,
    /// Lowest validation value of the loss being minimised so far (what selects `best/`; the
    /// validation NLL for the NLL loss). `None` in states written before it existed.
    #[serde(default)]
    pub best_val_loss: Option<f64>,
    pub best_step: Option<u64>,
    /// Validations since the best one (early stopping).
    pub validations_since_best: u64,
    /// Wall-clock seconds spent in earlier sessions of this run.
    pub wall_seconds: f64,
    /// Training pairs processed so far.
    pub pairs_seen: u64,
    /// Validation NLL per atom of the initial weights (before the first step).
    #[serde(default)]
    pub initial_val_nll: Option<f64>,
}

impl TrainState {
    /// The state of a run before its first step: the random stream seeded by `seed`.
    pub fn fresh(seed: u64) -> Self {
        TrainState {
            step: 0,
            epoch: 0,
            batch_in_epoch: 0,
            rng: RngState::capture(&ChaCha8Rng::seed_from_u64(seed)),
            best_val_nll: None,
            best_val_loss: None,
            best_step: None,
            validations_since_best: 0,
            wall_seconds: 0.0,
            pairs_seen: 0,
            initial_val_nll: None,
        }
    }

    /// The random stream where the state left it.
    pub fn restore_rng(&self) -> Result<ChaCha8Rng, TrainError> {
        self.rng.restore().map_err(|detail| TrainError::Checkpoint {
            path: STATE_FILE.into(),
            detail,
        })
    }

    /// Records where the random stream is, so that a resumed run continues it.
    pub fn store_rng(&mut self, rng: &ChaCha8Rng) {
        self.rng = RngState::capture(rng);
    }
}

pub const STATE_FILE: &str = "state.json";
pub const OPTIMISER_FILE: &str = "optimiser.bin";
pub const LAST_DIR: &str = "last";
pub const BEST_DIR: &str = "best";

/// Writes a checkpoint folder `run/name/` atomically: `fill` writes the contents into a
/// temporary folder, which then replaces the old one.
pub fn write_checkpoint_dir(
    run: &Path,
    name: &str,
    fill: impl FnOnce(&Path) -> Result<(), TrainError>,
) -> Result<PathBuf, TrainError> {
    let dst = run.join(name);
    timewarp_rundir::replace_dir_atomic(&dst, fill)?;
    Ok(dst)
}

/// The complete checkpoint folder `run/name/`, or `run/name.old/` if a kill interrupted the
/// swap; `None` if neither exists.
pub fn find_checkpoint(run: &Path, name: &str) -> Option<PathBuf> {
    timewarp_rundir::find_replaced_dir(&run.join(name), |p| p.join(STATE_FILE).is_file())
}

/// Reads `state.json` of a checkpoint folder.
pub fn read_state(dir: &Path) -> Result<TrainState, TrainError> {
    let path = dir.join(STATE_FILE);
    let text = std::fs::read_to_string(&path).map_err(TrainError::io(&path))?;
    serde_json::from_str(&text).map_err(|e| TrainError::Checkpoint {
        path,
        detail: e.to_string(),
    })
}

/// Writes `state.json` into a checkpoint folder being filled.
pub fn write_state(dir: &Path, state: &TrainState) -> Result<(), TrainError> {
    Ok(timewarp_rundir::write_json_atomic(
        &dir.join(STATE_FILE),
        state,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(step: u64) -> TrainState {
        TrainState {
            step,
            epoch: 1,
            batch_in_epoch: 2,
            rng: timewarp_rundir::RngState {
                seed: "07".repeat(32),
                stream: 0,
                word_pos: "123456789012345678901234567890".into(),
            },
            best_val_nll: Some(-1.5),
            best_val_loss: Some(-1.5),
            best_step: Some(3),
            validations_since_best: 0,
            wall_seconds: 1.0,
            pairs_seen: 10,
            initial_val_nll: Some(3.0),
        }
    }

    #[test]
    fn checkpoint_dir_is_replaced_atomically() {
        let run = std::env::temp_dir().join(format!("tw-train-ckpt-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&run);
        std::fs::create_dir_all(&run).unwrap();
        assert!(find_checkpoint(&run, LAST_DIR).is_none());
        write_checkpoint_dir(&run, LAST_DIR, |d| write_state(d, &state(1))).unwrap();
        write_checkpoint_dir(&run, LAST_DIR, |d| write_state(d, &state(2))).unwrap();
        let found = find_checkpoint(&run, LAST_DIR).unwrap();
        assert_eq!(found, run.join(LAST_DIR));
        assert_eq!(read_state(&found).unwrap(), state(2));
        assert!(!run.join("last.tmp").exists() && !run.join("last.old").exists());

        // A kill between the two renames leaves only `last.old/`.
        std::fs::rename(run.join(LAST_DIR), run.join("last.old")).unwrap();
        let found = find_checkpoint(&run, LAST_DIR).unwrap();
        assert_eq!(read_state(&found).unwrap().step, 2);

        // A failing fill leaves the previous checkpoint in place.
        let err = write_checkpoint_dir(&run, BEST_DIR, |_| Err(TrainError::Config("boom".into())));
        assert!(err.is_err());
        assert!(find_checkpoint(&run, BEST_DIR).is_none());
        std::fs::remove_dir_all(&run).unwrap();
    }
}
