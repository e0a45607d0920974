//! The training data of a run: the pair index and its training and validation pairs.

use crate::acceptance::EnergyBridge;
use crate::config::TrainConfig;
use crate::dataset::{
    discover, is_md_dataset, read_md_dataset, split_pairs, subsample, PairDataset, PairRef,
    Trajectory, TrajectoryFiles,
};
use crate::error::{DataError, TrainError};
use std::path::PathBuf;

/// Training data after indexing and splitting.
pub struct PreparedData {
    pub dataset: PairDataset,
    pub train: Vec<PairRef>,
    pub val: Vec<PairRef>,
    /// Force field of the acceptance loss; built from the trajectories' topologies when `None`.
    pub energy: Option<EnergyBridge>,
}

impl PreparedData {
    /// Indexes the trajectories under `data` (and `cfg.val_data`) and splits them.
    ///
    /// When the `data` folders are MD data sets (they hold a `manifest.json`, see
    /// [`read_md_dataset`]), the complete peptides of their `train` split are the training data
    /// and those of their `val` split (plus `cfg.val_data`) the validation data; `test`
    /// peptides are never read, and `cfg.split` is not used.
    pub fn from_paths(cfg: &TrainConfig, data: &[PathBuf]) -> Result<Self, TrainError> {
        if data.is_empty() {
            return Err(TrainError::Config("no training data given".into()));
        }
        let (train_files, mut val_files) = if data.iter().any(|d| is_md_dataset(d)) {
            let (train, val) = md_dataset_files(data)?;
            (train, Some(val))
        } else {
            (discover(data)?, None)
        };
        if !cfg.val_data.is_empty() {
            val_files
                .get_or_insert_with(Vec::new)
                .extend(discover(&cfg.val_data)?);
        }
        let n_train_files = train_files.len();
        let by_file = val_files.is_some();
        let all: Vec<_> = train_files
            .into_iter()
            .chain(val_files.unwrap_or_default())
            .collect();
        let atom_type = &timewarp_flow::atom_type_of;
        let dataset = PairDataset::from_files(&all, cfg.lag_steps, atom_type, cfg.cache_mb << 20)?;
        let (train, val) = if by_file {
            let (mut train, mut val) = (Vec::new(), Vec::new());
            for (t, info) in dataset.trajectories.iter().enumerate() {
                let dst = if t < n_train_files {
                    &mut train
                } else {
                    &mut val
                };
                dst.extend(info.pairs.iter().map(|&(x, y)| PairRef {
                    traj: t as u32,
                    x,
                    y,
                }));
            }
            (train, val)
        } else {
            let s = split_pairs(&dataset.trajectories, &cfg.split, cfg.seed)?;
            (s.train, s.val)
        };
        Self::checked(dataset, train, val, cfg)
    }

    /// Splits in-memory trajectories (synthetic data, tests, benchmarks).
    pub fn from_memory(cfg: &TrainConfig, trajs: Vec<Trajectory>) -> Result<Self, TrainError> {
        let atom_type = &timewarp_flow::atom_type_of;
        let dataset = PairDataset::from_memory(trajs, cfg.lag_steps, atom_type)?;
        let s = split_pairs(&dataset.trajectories, &cfg.split, cfg.seed)?;
        Self::checked(dataset, s.train, s.val, cfg)
    }

    fn checked(
        dataset: PairDataset,
        train: Vec<PairRef>,
        val: Vec<PairRef>,
        cfg: &TrainConfig,
    ) -> Result<Self, TrainError> {
        if train.is_empty() {
            return Err(DataError::NoTrainingPairs { lag: cfg.lag_steps }.into());
        }
        if val.is_empty() {
            return Err(DataError::NoValidationPairs { lag: cfg.lag_steps }.into());
        }
        let val = subsample(&val, cfg.val_max_pairs);
        Ok(PreparedData {
            dataset,
            train,
            val,
            energy: None,
        })
    }
}

/// Training and validation trajectories of MD data sets (every folder of `data` must hold a
/// `manifest.json`): the complete peptides of the `train` and `val` splits.
fn md_dataset_files(
    data: &[PathBuf],
) -> Result<(Vec<TrajectoryFiles>, Vec<TrajectoryFiles>), TrainError> {
    let (mut train, mut val) = (Vec::new(), Vec::new());
    for dir in data {
        if !is_md_dataset(dir) {
            return Err(TrainError::Config(format!(
                "{} has no manifest.json, but other --data folders are MD data sets: give \
                 either data sets or trajectory folders",
                dir.display()
            )));
        }
        let s = read_md_dataset(dir)?;
        tracing::info!(
            "MD data set {}: {} train and {} val peptides used, {} test peptides not read{}",
            dir.display(),
            s.train.len(),
            s.val.len(),
            s.n_test,
            if s.incomplete.is_empty() {
                String::new()
            } else {
                format!("; left out (MD not complete): {}", s.incomplete.join(", "))
            }
        );
        if s.train.is_empty() {
            return Err(TrainError::Config(format!(
                "MD data set {} has no complete peptide in its train split",
                dir.display()
            )));
        }
        train.extend(discover(&s.train)?);
        val.extend(discover(&s.val)?);
    }
    Ok((train, val))
}
