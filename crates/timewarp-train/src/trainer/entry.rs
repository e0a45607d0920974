//! The entry point of training: open the run folder, train the chart's flow, record the
//! summary; and the choice of backend at run time.

use super::data::PreparedData;
use super::run::Trainer;
use super::TrainSummary;
use crate::checkpoint::{find_checkpoint, LAST_DIR};
use crate::config::TrainConfig;
use crate::error::TrainError;
use burn::tensor::backend::AutodiffBackend;
use std::path::{Path, PathBuf};
use timewarp_flow::Chart;
use timewarp_rundir::{InputIdentity, RunControl, RunRecord, Session};
use timewarp_sample::ModelDevice;

/// Trains on the trajectories (or MD data sets) under `data` into the run folder `out`, on
/// backend `B`. The folder is opened first (locked, inspected, the files of `control` written,
/// e.g. the CLI's `config.toml`); a folder holding the finished run returns its summary. With
/// `control.resume`, an interrupted run continues from `out/last/` and ends with the weights an
/// uninterrupted one would have.
pub fn train<B: AutodiffBackend>(
    cfg: &TrainConfig,
    data: &[PathBuf],
    out: &Path,
    control: &RunControl<'_>,
    device: &B::Device,
) -> Result<TrainSummary, TrainError> {
    cfg.validate()?;
    let session = open_run(cfg, data, out, control)?;
    if session.is_complete() {
        return serde_json::from_value(session.record().summary.clone()).map_err(|e| {
            TrainError::Checkpoint {
                path: out.join(timewarp_rundir::RUN_JSON),
                detail: e.to_string(),
            }
        });
    }
    let resume = session.resuming();
    let summary = if cfg.flow_config()?.chart == Chart::Internal {
        let (progress, status) = (control.progress, control.status);
        crate::internal::train_internal::<B>(cfg, data, out, resume, device, progress, status)?
    } else {
        let prepared = PreparedData::from_paths(cfg, data)?;
        let trainer = Trainer::<B>::open(cfg, prepared, out, resume, device)?;
        trainer.run(control.progress, control.status)?
    };
    session.finish(&summary)?;
    Ok(summary)
}

/// [`train`] on the backend `device` names: burn's ndarray backend on the CPU, or the first
/// CUDA GPU (only in builds with the `cuda` feature).
pub fn train_on_device(
    cfg: &TrainConfig,
    data: &[PathBuf],
    out: &Path,
    control: &RunControl<'_>,
    device: ModelDevice,
) -> Result<TrainSummary, TrainError> {
    timewarp_sample::on_backend!(
        device,
        crate::CpuBackend,
        crate::CudaBackend,
        |B| train::<B>(cfg, data, out, control, &Default::default()),
        else Err(crate::cuda_not_built())
    )
}

/// Opens the run folder `out` of a training run (locked, inspected; see `timewarp_rundir`): the
/// record's settings are the configuration but for how long to train and how often to
/// validate and checkpoint (the run's extent, which may grow on resume); its inputs the data
/// folders and the models it starts from.
pub fn open_run(
    cfg: &TrainConfig,
    data: &[PathBuf],
    out: &Path,
    control: &RunControl<'_>,
) -> Result<Session, TrainError> {
    let mut settings = serde_json::to_value(cfg).map_err(|e| TrainError::Config(e.to_string()))?;
    let mut extent = serde_json::Map::new();
    if let serde_json::Value::Object(m) = &mut settings {
        for key in [
            "steps",
            "val_every",
            "checkpoint_every",
            "log_every",
            "cache_mb",
        ] {
            if let Some(v) = m.remove(key) {
                extent.insert(key.into(), v);
            }
        }
    }
    let mut inputs = Vec::new();
    for d in data.iter().chain(&cfg.val_data) {
        inputs.push(InputIdentity::of("data", d)?);
    }
    for (role, p) in [("kernel", &cfg.kernel), ("init_from", &cfg.init_from)] {
        if let Some(p) = p {
            inputs.push(InputIdentity::of(role, p)?);
        }
    }
    let settings = serde_json::json!({ "train": settings });
    let record =
        RunRecord::start("train", settings, inputs).with_extent(serde_json::Value::Object(extent));
    let checkpointed = find_checkpoint(out, LAST_DIR).is_some();
    Ok(Session::open_with(out, record, control, checkpointed)?)
}
