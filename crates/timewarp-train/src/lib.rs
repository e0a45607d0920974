//! Training of the Timewarp conditional flow (`timewarp train`, `timewarp bench`).
//!
//! - [`dataset`]: pairs (x(t), x(t+τ)) from trajectory folders, splits, padded batches.
//! - [`augment`]: random rigid motion per batch and auxiliary N(0, I) velocities.
//! - [`loss`]: per-atom NLL and the acceptance loss (force field via [`acceptance`]).
//! - [`optim`], [`schedule`]: Adam with global-norm clipping, warm-up and decay.
//! - [`checkpoint`], [`metrics`]: resumable run folders, `metrics.csv`, loss plots.
//! - [`baseline`]: the fixed Gaussian displacement model the flow must beat.
//! - [`trainer`]: [`train`], [`train_cpu`] (and `train_cuda`); [`bench`]: [`bench_train`].

pub mod acceptance;
pub mod augment;
pub mod baseline;
pub mod bench;
pub mod checkpoint;
pub mod config;
pub mod dataset;
pub mod error;
pub mod internal;
pub mod io;
pub mod loss;
pub mod metrics;
pub mod optim;
pub mod parallel;
pub mod schedule;
pub mod synthetic;
pub mod trainer;

pub use bench::{bench_train, bench_train_cpu, TrainBench};
#[cfg(feature = "cuda")]
pub use bench::bench_train_cuda;
pub use config::{LossKind, TrainConfig};
pub use dataset::Split;
pub use error::{DataError, TrainError};
pub use loss::AcceptanceConfig;
pub use schedule::LrDecay;
#[cfg(feature = "cuda")]
pub use trainer::train_cuda;
pub use trainer::{open_run, train, train_cpu, train_on, train_with_control, PreparedData, TrainStatus, TrainSummary};

/// The CPU training backend: burn's ndarray backend in f32 with autodiff.
pub type CpuBackend = burn::backend::Autodiff<burn::backend::NdArray<f32>>;

/// The CUDA training backend.
#[cfg(feature = "cuda")]
pub type CudaBackend = burn::backend::Autodiff<burn::backend::Cuda>;
