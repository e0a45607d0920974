//! Where a flow runs, and the one place that turns a [`ModelDevice`] into a burn backend type.
//!
//! burn selects the backend by type, so running "on the device the user named" is a `match`
//! whose arms instantiate the same generic code with different backend types, the CUDA arm only
//! in builds with the `cuda` feature. [`on_backend!`](crate::on_backend) writes that match once
//! for every crate that dispatches (sampling, training, their benchmarks).

use serde::{Deserialize, Serialize};

/// Where the flow runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ModelDevice {
    /// burn's ndarray backend, f32.
    #[default]
    Cpu,
    /// burn's CUDA backend, f32 (needs the `cuda` feature).
    Cuda,
}

impl ModelDevice {
    /// What `device = cuda` means in a build without the `cuda` feature (every dispatch on
    /// the device says the same).
    pub const CUDA_NOT_BUILT: &'static str = "device = cuda, but timewarp was built without the \
        `cuda` feature: rebuild with `cargo build --release --features cuda`";
}

impl std::str::FromStr for ModelDevice {
    type Err = String;

    /// `cpu` or `cuda`, as in `device = "cuda"` of a TOML section.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "cpu" => Ok(ModelDevice::Cpu),
            "cuda" => Ok(ModelDevice::Cuda),
            other => Err(format!("device must be cpu or cuda, got '{other}'")),
        }
    }
}

/// Evaluates `body` with the type `B` bound to the backend that `device` names: `cpu_backend`
/// for [`ModelDevice::Cpu`], `cuda_backend` for [`ModelDevice::Cuda`] in builds with the
/// `cuda` feature, and `not_built` for CUDA in builds without it. The `cuda` feature is that of
/// the crate where the macro is used, which must forward it to its burn backends.
///
/// ```ignore
/// on_backend!(device, CpuBackend, CudaBackend, |B| train::<B>(cfg, &Default::default()),
///     else Err(not_built()))
/// ```
#[macro_export]
macro_rules! on_backend {
    ($device:expr, $cpu:ty, $cuda:ty, |$b:ident| $body:expr, else $not_built:expr) => {
        match $device {
            $crate::ModelDevice::Cpu => {
                type $b = $cpu;
                $body
            }
            #[cfg(feature = "cuda")]
            $crate::ModelDevice::Cuda => {
                type $b = $cuda;
                $body
            }
            #[cfg(not(feature = "cuda"))]
            $crate::ModelDevice::Cuda => $not_built,
        }
    };
}
