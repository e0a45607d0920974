//! A state dict on the host: named tensors in PyTorch's layout, read from and written to
//! `.safetensors` files.

use std::collections::BTreeMap;
use std::path::Path;

use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;
use thiserror::Error;

/// Precision a tensor is stored in on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredDtype {
    F32,
    F64,
}

/// One named tensor: row-major values (held as f64, exact for f32 sources) and its shape
/// (empty for a scalar).
#[derive(Debug, Clone, PartialEq)]
pub struct StateTensor {
    pub shape: Vec<usize>,
    pub values: Vec<f64>,
    pub dtype: StoredDtype,
}

impl StateTensor {
    pub fn new(shape: Vec<usize>, values: Vec<f64>, dtype: StoredDtype) -> Self {
        debug_assert_eq!(shape.iter().product::<usize>(), values.len());
        Self {
            shape,
            values,
            dtype,
        }
    }
}

/// Named tensors, ordered by name.
pub type StateDict = BTreeMap<String, StateTensor>;

/// A state-dict file that cannot be read or written.
#[derive(Debug, Error)]
pub enum StateDictError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not a valid safetensors file: {message}")]
    Safetensors { path: String, message: String },
    #[error("{path}: tensor {name} has dtype {dtype}; only F32 and F64 state dicts are supported")]
    Dtype {
        path: String,
        name: String,
        dtype: String,
    },
    #[error("{path}: {message}")]
    Pickle { path: String, message: String },
}

/// Read every tensor of a `.safetensors` file.
pub fn read_safetensors(path: &Path) -> Result<StateDict, StateDictError> {
    let p = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| StateDictError::Io {
        path: p.clone(),
        source,
    })?;
    let file = SafeTensors::deserialize(&bytes).map_err(|e| StateDictError::Safetensors {
        path: p.clone(),
        message: e.to_string(),
    })?;
    let mut dict = StateDict::new();
    for (name, view) in file.tensors() {
        let data = view.data();
        let (values, dtype): (Vec<f64>, _) = match view.dtype() {
            Dtype::F64 => (
                data.chunks_exact(8)
                    .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
                    .collect(),
                StoredDtype::F64,
            ),
            Dtype::F32 => (
                data.chunks_exact(4)
                    .map(|c| f32::from_le_bytes(c.try_into().unwrap()) as f64)
                    .collect(),
                StoredDtype::F32,
            ),
            other => {
                return Err(StateDictError::Dtype {
                    path: p,
                    name,
                    dtype: format!("{other:?}"),
                })
            }
        };
        dict.insert(name, StateTensor::new(view.shape().to_vec(), values, dtype));
    }
    Ok(dict)
}

/// Serialise a state dict in safetensors format (each tensor in its own dtype).
pub fn safetensors_bytes(dict: &StateDict, path: &Path) -> Result<Vec<u8>, StateDictError> {
    let buffers: Vec<(&String, &StateTensor, Vec<u8>)> = dict
        .iter()
        .map(|(name, t)| {
            let bytes = match t.dtype {
                StoredDtype::F64 => t.values.iter().flat_map(|v| v.to_le_bytes()).collect(),
                StoredDtype::F32 => t
                    .values
                    .iter()
                    .flat_map(|&v| (v as f32).to_le_bytes())
                    .collect(),
            };
            (name, t, bytes)
        })
        .collect();
    let views = buffers
        .iter()
        .map(|(name, t, bytes)| {
            let dtype = match t.dtype {
                StoredDtype::F64 => Dtype::F64,
                StoredDtype::F32 => Dtype::F32,
            };
            TensorView::new(dtype, t.shape.clone(), bytes).map(|view| (name.as_str(), view))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| StateDictError::Safetensors {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
    safetensors::serialize(views, None).map_err(|e| StateDictError::Safetensors {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

/// Write a file durably and atomically (`timewarp_rundir::write_atomic`).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StateDictError> {
    timewarp_rundir::write_atomic(path, bytes).map_err(|e| match e {
        timewarp_rundir::RunDirError::Io { path, err } => StateDictError::Io {
            path: path.display().to_string(),
            source: err,
        },
        other => StateDictError::Io {
            path: path.display().to_string(),
            source: std::io::Error::other(other.to_string()),
        },
    })
}

/// Write a state dict to a `.safetensors` file atomically.
pub fn write_safetensors(dict: &StateDict, path: &Path) -> Result<(), StateDictError> {
    write_atomic(path, &safetensors_bytes(dict, path)?)
}
