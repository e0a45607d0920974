//! Training of the Timewarp conditional flow (`timewarp train`, `timewarp bench`).
//!
//! - [`dataset`]: pairs (x(t), x(t+τ)) from trajectory folders, splits, order, padded batches.
//! - [`augment`]: random rigid motion per batch and auxiliary N(0, I) velocities.
//! - [`loss`]: per-atom NLL and the acceptance loss (force field via [`acceptance`]).
//! - [`optim`], [`schedule`]: Adam with global-norm clipping, warm-up and decay.
//! - [`checkpoint`], [`metrics`]: resumable run folders, `metrics.csv`, loss plots.
//! - [`baseline`]: the fixed Gaussian displacement model the flow must beat.
//! - [`trainer`]: [`train`] (generic over the backend), [`train_on_device`] (backend chosen at
//!   run time), the [`Trainer`] of a run; [`internal`]: the internal-chart flow;
//!   [`bench`](mod@bench): [`bench_train`], [`bench_train_on_device`].

pub mod acceptance;
pub mod augment;
pub mod baseline;
pub mod bench;
pub mod checkpoint;
pub mod config;
pub mod dataset;
pub mod error;
pub mod internal;
pub mod loss;
pub mod metrics;
pub mod optim;
pub mod parallel;
pub mod schedule;
pub mod synthetic;
pub mod trainer;

pub use bench::{bench_train, bench_train_on_device, TrainBench};
pub use config::{LossKind, TrainConfig};
pub use dataset::Split;
pub use error::{DataError, TrainError};
pub use loss::AcceptanceConfig;
pub use schedule::LrDecay;
pub use timewarp_sample::ModelDevice;
pub use trainer::{open_run, train, train_on_device, PreparedData, TrainSummary, Trainer};

/// The CPU training backend: burn's ndarray backend in f32 with autodiff.
pub type CpuBackend = burn::backend::Autodiff<burn::backend::NdArray<f32>>;

/// The CUDA training backend.
#[cfg(feature = "cuda")]
pub type CudaBackend = burn::backend::Autodiff<burn::backend::Cuda>;

/// The error of `device = cuda` in a build without the `cuda` feature.
#[cfg(not(feature = "cuda"))]
fn cuda_not_built() -> TrainError {
    TrainError::Config(ModelDevice::CUDA_NOT_BUILT.into())
}
