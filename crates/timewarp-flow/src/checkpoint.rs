//! Our checkpoint format: a folder with
//!
//! - `model.safetensors`: the weights under the official state-dict names and layout (so one
//!   name scheme serves our checkpoints and imported PyTorch weights), in the model's precision;
//! - `config.json`: the [`FlowConfig`].
//!
//! Other files in the folder (e.g. a training state written by the training code) are left
//! alone. Each file is written to a temporary name and renamed, so a crash never leaves a
//! half-written file behind.

use std::path::Path;

use burn::tensor::backend::Backend;
use thiserror::Error;

use crate::config::{ConfigError, FlowConfig};
use crate::flow::TimewarpFlow;
use crate::import::{flow_from_state_dict, flow_to_state_dict, ImportError};
use crate::state_dict::{read_safetensors, write_atomic, write_safetensors, StateDictError};

/// Weights file inside a checkpoint folder.
pub const MODEL_FILE: &str = "model.safetensors";
/// Config file inside a checkpoint folder.
pub const CONFIG_FILE: &str = "config.json";

#[derive(Debug, Error)]
pub enum CheckpointError {
    #[error("checkpoint {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    File(#[from] StateDictError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(
        "checkpoint {path}: the config passed to save_checkpoint does not describe this model"
    )]
    ConfigMismatch { path: String },
}

/// Save `model` and its `config` into the folder `dir` (created if needed).
pub fn save_checkpoint<B: Backend>(
    dir: impl AsRef<Path>,
    model: &TimewarpFlow<B>,
    config: &FlowConfig,
) -> Result<(), CheckpointError> {
    let dir = dir.as_ref();
    config.validate()?;
    // The prior log-scales in the config are initial values only; everything else must agree.
    let architecture = |c: &FlowConfig| FlowConfig {
        coords_prior_log_scale: 0.0,
        velocs_prior_log_scale: 0.0,
        ..c.clone()
    };
    if architecture(config) != architecture(model.config()) {
        return Err(CheckpointError::ConfigMismatch {
            path: dir.display().to_string(),
        });
    }
    std::fs::create_dir_all(dir).map_err(|source| CheckpointError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    write_safetensors(&flow_to_state_dict(model), &dir.join(MODEL_FILE))?;
    let json = serde_json::to_string_pretty(config).expect("FlowConfig serialises to JSON");
    write_atomic(&dir.join(CONFIG_FILE), json.as_bytes())?;
    Ok(())
}

/// Load a checkpoint folder written by [`save_checkpoint`] onto `device`.
pub fn load_checkpoint<B: Backend>(
    dir: impl AsRef<Path>,
    device: &B::Device,
) -> Result<TimewarpFlow<B>, CheckpointError> {
    let dir = dir.as_ref();
    let config = FlowConfig::from_json_file(dir.join(CONFIG_FILE))?;
    let weights = dir.join(MODEL_FILE);
    let dict = read_safetensors(&weights)?;
    Ok(flow_from_state_dict(
        &config,
        &dict,
        &weights.display().to_string(),
        device,
    )?)
}
