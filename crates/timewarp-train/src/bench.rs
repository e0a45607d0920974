//! Training throughput (`timewarp bench`): pairs per second of full optimiser steps (batch
//! assembly, augmentation, forward, backward, clipping, Adam), the first step timed separately
//! (it includes one-off allocations and, on a GPU, kernel compilation).

use crate::config::TrainConfig;
use crate::dataset::{epoch_batches, Trajectory};
use crate::error::TrainError;
use crate::optim::Optim;
use crate::synthetic::{ou_trajectory, ALANINE_DIPEPTIDE};
use crate::trainer::{Learner, PreparedData};
use burn::tensor::backend::AutodiffBackend;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;
use timewarp_flow::TimewarpFlow;
use timewarp_sample::ModelDevice;

/// Result of [`bench_train`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainBench {
    pub preset: String,
    pub batch: usize,
    /// Largest molecule in the benchmark data.
    pub n_atoms: usize,
    pub num_params: usize,
    /// Seconds of the very first step.
    pub first_step_s: f64,
    /// Warm-up steps excluded from the rate (after the first step).
    pub warmup_steps: u64,
    pub timed_steps: u64,
    /// Mean seconds per timed step.
    pub step_s: f64,
    /// Training pairs per second over the timed steps.
    pub pairs_per_s: f64,
    pub backend: String,
}

/// Times training steps of `cfg`'s model (preset or flow) with `cfg.batch` pairs, on the
/// trajectories under `data` or, when `data` is empty, on a synthetic alanine-dipeptide-sized
/// trajectory (22 atoms). `warmup_steps` steps after the first are run but not timed.
pub fn bench_train<B: AutodiffBackend>(
    cfg: &TrainConfig,
    data: &[PathBuf],
    warmup_steps: u64,
    timed_steps: u64,
    device: &B::Device,
) -> Result<TrainBench, TrainError> {
    let mut cfg = cfg.clone();
    let mut prepared = if data.is_empty() {
        cfg.lag_steps = 1;
        let traj: Trajectory = ou_trajectory(
            "synthetic-ala2",
            &ALANINE_DIPEPTIDE,
            2048,
            1,
            0.05,
            0.9,
            cfg.seed,
        );
        PreparedData::from_memory(&cfg, vec![traj])?
    } else {
        PreparedData::from_paths(&cfg, data)?
    };
    let flow_cfg = cfg.flow_config()?;
    let model: TimewarpFlow<B> = TimewarpFlow::try_new(&flow_cfg, cfg.seed, device)
        .map_err(|e| TrainError::Config(e.to_string()))?;
    let num_params = model.num_params();
    let n_atoms = prepared
        .dataset
        .trajectories
        .iter()
        .map(|t| t.n_atoms)
        .max()
        .unwrap_or(0);
    if cfg.loss == crate::config::LossKind::Acceptance && prepared.energy.is_none() {
        prepared.energy = Some(crate::acceptance::EnergyBridge::new(
            prepared.dataset.trajectories.len(),
            cfg.acceptance.temperature_k,
            Default::default(),
        ));
    }
    let mut learner = Learner::new(model, Optim::new(), ChaCha8Rng::seed_from_u64(cfg.seed));
    let schedule = cfg.schedule();
    let total = 1 + warmup_steps + timed_steps;
    let mut order = Vec::new();
    let mut epoch = 0;
    while (order.len() as u64) < total {
        order.extend(epoch_batches(
            &prepared.train,
            &prepared.dataset.trajectories,
            cfg.batch,
            cfg.seed,
            epoch,
        ));
        epoch += 1;
    }
    let (mut first_step_s, mut timed_s, mut timed_pairs) = (0.0, 0.0, 0u64);
    for (step, refs) in order.iter().take(total as usize).enumerate() {
        let t0 = Instant::now();
        let lr = schedule.lr(step as u64);
        learner.step(&cfg, &mut prepared, refs, lr, step as u64, device)?;
        // Wait for the device: reading a value synchronises asynchronous backends.
        let _ = learner.model().prior_scales();
        let dt = t0.elapsed().as_secs_f64();
        if step == 0 {
            first_step_s = dt;
        } else if step as u64 > warmup_steps {
            timed_s += dt;
            timed_pairs += refs.len() as u64;
        }
    }
    Ok(TrainBench {
        preset: if cfg.flow.is_some() {
            "custom".into()
        } else {
            cfg.preset.clone()
        },
        batch: cfg.batch,
        n_atoms,
        num_params,
        first_step_s,
        warmup_steps,
        timed_steps,
        step_s: timed_s / timed_steps.max(1) as f64,
        pairs_per_s: timed_pairs as f64 / timed_s.max(1e-12),
        backend: std::any::type_name::<B>().to_string(),
    })
}

/// [`bench_train`] on the backend `device` names (see [`crate::train_on_device`]).
pub fn bench_train_on_device(
    cfg: &TrainConfig,
    data: &[PathBuf],
    warmup_steps: u64,
    timed_steps: u64,
    device: ModelDevice,
) -> Result<TrainBench, TrainError> {
    timewarp_sample::on_backend!(
        device,
        crate::CpuBackend,
        crate::CudaBackend,
        |B| bench_train::<B>(cfg, data, warmup_steps, timed_steps, &Default::default()),
        else Err(crate::cuda_not_built())
    )
}
