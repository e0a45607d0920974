//! The training loop of `timewarp train`.
//!
//! One step: take the next batch of the epoch order, pad it, apply the random rigid motion,
//! draw auxiliary velocities, evaluate the loss, back-propagate, clip the global gradient norm,
//! and let Adam update the weights with the scheduled learning rate. Every `val_every` steps the
//! validation NLL per atom is computed (no augmentation, fixed auxiliary velocities so that
//! successive validations are comparable); the best model goes to `best/`, and `last/` is
//! written every `checkpoint_every` steps with everything a resumed run needs.

use crate::acceptance::EnergyBridge;
use crate::augment::{auxiliary_velocities, random_rigid_motion};
use crate::baseline::GaussianBaseline;
use crate::checkpoint::{
    find_checkpoint, read_state, write_checkpoint_dir, write_state, TrainState, BEST_DIR, LAST_DIR,
    OPTIMISER_FILE,
};
use crate::config::{LossKind, TrainConfig};
use crate::dataset::{
    discover, epoch_batches, is_md_dataset, peptide_sampler, read_md_dataset, split_pairs, subsample, PairBatch, PairDataset,
    PairRef, Trajectory, TrajectoryFiles,
};
use crate::error::{DataError, TrainError};
use crate::loss::{acceptance_loss, nll_per_molecule, to_flow_batch, LossTerms};
use crate::metrics::{plot_loss, MetricsLog, MetricsRow};
use crate::optim::{clip_global_norm, global_grad_norm, Optim};
use burn::module::AutodiffModule;
use burn::optim::GradientsParams;
use burn::tensor::backend::{AutodiffBackend, Backend};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;
use timewarp_flow::{load_checkpoint, save_checkpoint, FlowConfig, TimewarpFlow};
use timewarp_rundir::{InputIdentity, RunControl, RunRecord, Session};

/// Salt of the validation velocity stream (independent of the training stream).
const VAL_SALT: u64 = 0x7661_6c69_6461_7465;

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

/// Live status of the run, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainStatus {
    pub step: u64,
    pub total: u64,
    pub epoch: u64,
    pub train_loss: f64,
    pub train_nll: f64,
    pub val_nll: Option<f64>,
    pub best_val_nll: Option<f64>,
    pub lr: f64,
    pub grad_norm: f64,
    pub pairs_per_s: f64,
}

/// `progress(done, total)` after every step.
pub type ProgressFn<'a> = dyn Fn(u64, u64) + Sync + 'a;
/// Called after every logged step with the current [`TrainStatus`].
pub type StatusFn<'a> = dyn Fn(&TrainStatus) + Sync + 'a;

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
            val_files.get_or_insert_with(Vec::new).extend(discover(&cfg.val_data)?);
        }
        let n_train_files = train_files.len();
        let by_file = val_files.is_some();
        let all: Vec<_> = train_files.into_iter().chain(val_files.unwrap_or_default()).collect();
        let dataset = PairDataset::from_files(&all, cfg.lag_steps, &timewarp_flow::atom_type_of, cfg.cache_mb << 20)?;
        let (train, val) = if by_file {
            let (mut train, mut val) = (Vec::new(), Vec::new());
            for (t, info) in dataset.trajectories.iter().enumerate() {
                let dst = if t < n_train_files { &mut train } else { &mut val };
                dst.extend(info.pairs.iter().map(|&(x, y)| PairRef { traj: t as u32, x, y }));
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
        let dataset = PairDataset::from_memory(trajs, cfg.lag_steps, &timewarp_flow::atom_type_of)?;
        let s = split_pairs(&dataset.trajectories, &cfg.split, cfg.seed)?;
        Self::checked(dataset, s.train, s.val, cfg)
    }

    fn checked(dataset: PairDataset, train: Vec<PairRef>, val: Vec<PairRef>, cfg: &TrainConfig) -> Result<Self, TrainError> {
        if train.is_empty() {
            return Err(DataError::NoTrainingPairs { lag: cfg.lag_steps }.into());
        }
        if val.is_empty() {
            return Err(DataError::NoValidationPairs { lag: cfg.lag_steps }.into());
        }
        let val = subsample(&val, cfg.val_max_pairs);
        Ok(PreparedData { dataset, train, val, energy: None })
    }
}

/// Training and validation trajectories of MD data sets (every folder of `data` must hold a
/// `manifest.json`): the complete peptides of the `train` and `val` splits.
fn md_dataset_files(data: &[PathBuf]) -> Result<(Vec<TrajectoryFiles>, Vec<TrajectoryFiles>), TrainError> {
    let (mut train, mut val) = (Vec::new(), Vec::new());
    for dir in data {
        if !is_md_dataset(dir) {
            return Err(TrainError::Config(format!(
                "{} has no manifest.json, but other --data folders are MD data sets: give either data sets or trajectory folders",
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
            return Err(TrainError::Config(format!("MD data set {} has no complete peptide in its train split", dir.display())));
        }
        train.extend(discover(&s.train)?);
        val.extend(discover(&s.val)?);
    }
    Ok((train, val))
}

/// Trains on the trajectories under `data` into the run folder `out`; see [`train_on`].
pub fn train<B: AutodiffBackend>(
    cfg: &TrainConfig,
    data: &[PathBuf],
    out: &Path,
    resume: bool,
    device: &B::Device,
    progress: &ProgressFn<'_>,
) -> Result<TrainSummary, TrainError> {
    train_with_control::<B>(cfg, data, out, &RunControl::new(resume, progress), device)
}

/// [`train`] with full control: the files of `control` are written into `out` once it is open
/// (locked and inspected), e.g. the CLI's `config.toml`.
pub fn train_with_control<B: AutodiffBackend>(
    cfg: &TrainConfig,
    data: &[PathBuf],
    out: &Path,
    control: &RunControl<'_>,
    device: &B::Device,
) -> Result<TrainSummary, TrainError> {
    cfg.validate()?;
    let progress = control.progress;
    let session = open_run(cfg, data, out, control)?;
    if session.is_complete() {
        return serde_json::from_value(session.record().summary.clone())
            .map_err(|e| TrainError::Checkpoint { path: out.join(timewarp_rundir::RUN_JSON), detail: e.to_string() });
    }
    let summary = if cfg.flow_config()?.chart == timewarp_flow::Chart::Internal {
        crate::internal::train_internal::<B>(cfg, data, out, session.resuming(), device, progress)?
    } else {
        let prepared = PreparedData::from_paths(cfg, data)?;
        train_on::<B>(cfg, prepared, out, session.resuming(), device, progress, &|_| {})?
    };
    session.finish(&summary)?;
    Ok(summary)
}

/// Opens the run folder `out` of a training run (locked, inspected; see `timewarp_rundir`): the
/// record's settings are the configuration but for how long to train and how often to
/// validate and checkpoint (the run's extent, which may grow on resume); its inputs the data
/// folders and the models it starts from.
pub fn open_run(cfg: &TrainConfig, data: &[PathBuf], out: &Path, control: &RunControl<'_>) -> Result<Session, TrainError> {
    let mut settings = serde_json::to_value(cfg).map_err(|e| TrainError::Config(e.to_string()))?;
    let mut extent = serde_json::Map::new();
    if let serde_json::Value::Object(m) = &mut settings {
        for key in ["steps", "val_every", "checkpoint_every", "log_every", "cache_mb"] {
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
    let record = RunRecord::start("train", serde_json::json!({ "train": settings }), inputs).with_extent(serde_json::Value::Object(extent));
    let checkpointed = find_checkpoint(out, LAST_DIR).is_some();
    Ok(Session::open_with(out, record, control, checkpointed)?)
}

/// [`train`] on the CPU (`Autodiff<NdArray<f32>>`).
pub fn train_cpu(
    cfg: &TrainConfig,
    data: &[PathBuf],
    out: &Path,
    resume: bool,
    progress: &ProgressFn<'_>,
) -> Result<TrainSummary, TrainError> {
    train::<crate::CpuBackend>(cfg, data, out, resume, &Default::default(), progress)
}

/// [`train`] on the first CUDA GPU (`Autodiff<Cuda>`).
#[cfg(feature = "cuda")]
pub fn train_cuda(
    cfg: &TrainConfig,
    data: &[PathBuf],
    out: &Path,
    resume: bool,
    progress: &ProgressFn<'_>,
) -> Result<TrainSummary, TrainError> {
    train::<crate::CudaBackend>(cfg, data, out, resume, &Default::default(), progress)
}

/// Losses and norms of one step.
#[derive(Debug, Clone, Copy, Default)]
pub struct StepStats {
    pub terms: LossTerms,
    pub grad_norm: f64,
    pub lr: f64,
}

/// What one optimiser step needs besides the model.
pub struct StepContext<'a, B: AutodiffBackend> {
    pub cfg: &'a TrainConfig,
    pub optim: &'a mut Optim<TimewarpFlow<B>, B>,
    pub dataset: &'a mut PairDataset,
    pub host: &'a mut PairBatch,
    pub rng: &'a mut ChaCha8Rng,
    pub energy: Option<&'a mut EnergyBridge>,
    pub device: &'a B::Device,
}

/// One optimiser step on the pairs `refs` with learning rate `lr`.
pub fn train_step<B: AutodiffBackend>(
    model: TimewarpFlow<B>,
    refs: &[PairRef],
    lr: f64,
    step: u64,
    ctx: &mut StepContext<'_, B>,
) -> Result<(TimewarpFlow<B>, StepStats), TrainError> {
    ctx.dataset.fill_batch(refs, ctx.host)?;
    if ctx.cfg.augment {
        random_rigid_motion(ctx.rng, ctx.host);
    }
    auxiliary_velocities(ctx.rng, ctx.host);
    let (terms, grads) = match ctx.cfg.loss {
        LossKind::Nll => {
            let parts = data_parallel_parts::<B>(ctx.device, ctx.host.batch_size());
            let (v, grads) = crate::parallel::nll_gradients(&model, ctx.host, parts, ctx.device);
            (LossTerms { loss: v, nll: v, ..LossTerms::default() }, grads)
        }
        LossKind::Acceptance => {
            let bridge = ctx.energy.as_deref_mut().expect("acceptance loss has an energy bridge");
            let infos = &ctx.dataset.trajectories;
            let batch = to_flow_batch::<B>(ctx.host, ctx.device);
            let (loss, terms) = acceptance_loss(&model, ctx.host, &batch, infos, bridge, &ctx.cfg.acceptance, ctx.rng)?;
            (terms, terms.loss.is_finite().then(|| GradientsParams::from_grads(loss.backward(), &model)))
        }
    };
    let Some(mut grads) = grads.filter(|_| terms.loss.is_finite()) else {
        return Err(TrainError::NonFinite { step: step + 1, value: terms.loss });
    };
    let grad_norm = match ctx.cfg.clip_grad_norm {
        Some(c) => clip_global_norm::<B, _>(&model, &mut grads, c),
        None => global_grad_norm::<B, _>(&model, &grads),
    };
    if !grad_norm.is_finite() {
        return Err(TrainError::NonFinite { step: step + 1, value: grad_norm });
    }
    let model = ctx.optim.step(lr, model, grads);
    Ok((model, StepStats { terms, grad_norm, lr }))
}

/// How many threads share one NLL batch (see [`crate::parallel`]): the rayon pool's size on the
/// CPU backend (ndarray), at least 8 examples each; 1 on GPUs, which parallelise inside each op.
fn data_parallel_parts<B: AutodiffBackend>(device: &B::Device, batch: usize) -> usize {
    if B::name(device).contains("ndarray") {
        rayon::current_num_threads().min(batch / 8).max(1)
    } else {
        1
    }
}

/// Validation NLL per atom: mean over `pairs` of −log p(y | x)/n, without augmentation and
/// with auxiliary velocities from a stream seeded by `seed` (the same draws at every
/// validation).
pub fn validation_nll<B: Backend>(
    model: &TimewarpFlow<B>,
    dataset: &mut PairDataset,
    pairs: &[PairRef],
    batch: usize,
    seed: u64,
    device: &B::Device,
) -> Result<f64, TrainError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ VAL_SALT);
    let mut sorted = pairs.to_vec();
    sorted.sort_by_key(|r| (dataset.trajectories[r.traj as usize].n_atoms, r.traj, r.x));
    let mut host = PairBatch::default();
    let mut total = 0.0;
    for chunk in sorted.chunks(batch.max(1)) {
        dataset.fill_batch(chunk, &mut host)?;
        auxiliary_velocities(&mut rng, &mut host);
        let fb = to_flow_batch::<B>(&host, device);
        let nll: Vec<f64> = nll_per_molecule(model, &fb).into_data().iter::<f64>().collect();
        total += nll.iter().sum::<f64>();
    }
    Ok(total / pairs.len().max(1) as f64)
}

/// At most this many validation pairs score the acceptance objective (each needs a flow
/// sample, a reverse density and two force-field evaluations).
const MAX_ACCEPTANCE_VAL_PAIRS: usize = 512;

/// The acceptance objective on validation pairs: w_nll·NLL + w_acc·(−log a + β log p)/n averaged
/// over the pairs, and the mean MH acceptance min(1, a) of the flow's proposals from the
/// validation states. Noise and auxiliary velocities come from a stream seeded by `seed`, the
/// same at every validation, so that successive validations compare weights, not draws.
#[allow(clippy::too_many_arguments)]
pub fn validation_acceptance<B: Backend>(
    model: &TimewarpFlow<B>,
    dataset: &mut PairDataset,
    pairs: &[PairRef],
    batch: usize,
    cfg: &crate::loss::AcceptanceConfig,
    bridge: &mut EnergyBridge,
    seed: u64,
    device: &B::Device,
) -> Result<(f64, f64), TrainError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ VAL_SALT);
    let stride = pairs.len().div_ceil(MAX_ACCEPTANCE_VAL_PAIRS).max(1);
    let subset: Vec<PairRef> = pairs.iter().step_by(stride).copied().collect();
    let mut host = PairBatch::default();
    let (mut loss, mut acceptance, mut count) = (0.0, 0.0, 0usize);
    for chunk in subset.chunks(batch.max(1)) {
        dataset.fill_batch(chunk, &mut host)?;
        auxiliary_velocities(&mut rng, &mut host);
        let fb = to_flow_batch::<B>(&host, device);
        let (_, terms) = acceptance_loss(model, &host, &fb, &dataset.trajectories, bridge, cfg, &mut rng)?;
        loss += terms.loss * chunk.len() as f64;
        acceptance += terms.acceptance * chunk.len() as f64;
        count += chunk.len();
    }
    let n = count.max(1) as f64;
    Ok((loss / n, acceptance / n))
}

pub(crate) fn fresh_state(seed: u64) -> TrainState {
    let rng = ChaCha8Rng::seed_from_u64(seed);
    TrainState {
        step: 0,
        epoch: 0,
        batch_in_epoch: 0,
        rng: timewarp_rundir::RngState::capture(&rng),
        best_val_nll: None,
        best_val_loss: None,
        best_step: None,
        validations_since_best: 0,
        wall_seconds: 0.0,
        pairs_seen: 0,
        initial_val_nll: None,
    }
}

pub(crate) fn rng_from_state(s: &TrainState) -> Result<ChaCha8Rng, TrainError> {
    s.rng.restore().map_err(|detail| TrainError::Checkpoint { path: crate::checkpoint::STATE_FILE.into(), detail })
}

pub(crate) fn store_rng(s: &mut TrainState, rng: &ChaCha8Rng) {
    s.rng = timewarp_rundir::RngState::capture(rng);
}

fn ckpt_err(path: &Path) -> impl Fn(timewarp_flow::CheckpointError) -> TrainError + '_ {
    move |e| TrainError::Checkpoint { path: path.to_path_buf(), detail: e.to_string() }
}

/// Same architecture (the prior log-scales of a config are initial values only).
fn same_architecture(a: &FlowConfig, b: &FlowConfig) -> bool {
    let strip = |c: &FlowConfig| FlowConfig { coords_prior_log_scale: 0.0, velocs_prior_log_scale: 0.0, ..c.clone() };
    strip(a) == strip(b)
}

/// Window of per-step statistics between two metric rows.
#[derive(Default)]
struct Window {
    steps: u64,
    acceptance: f64,
    energy_delta: f64,
    loss: f64,
    nll: f64,
    grad_norm: f64,
    pairs: u64,
    seconds: f64,
}

/// Trains on prepared data into the run folder `out`.
///
/// With `resume`, continues from `out/last/` (model, optimiser moments, data order and random
/// stream), so that an interrupted run and an uninterrupted one give the same weights. Without
/// it, `out` must not hold a run already.
pub fn train_on<B: AutodiffBackend>(
    cfg: &TrainConfig,
    mut data: PreparedData,
    out: &Path,
    resume: bool,
    device: &B::Device,
    progress: &ProgressFn<'_>,
    status: &StatusFn<'_>,
) -> Result<TrainSummary, TrainError> {
    cfg.validate()?;
    // The epoch order would silently cap such a batch (while run.json records the setting).
    if cfg.batch > data.train.len() {
        return Err(TrainError::Config(format!(
            "batch = {} is larger than the {} training pairs of the data (lag_steps = {}); lower batch",
            cfg.batch,
            data.train.len(),
            cfg.lag_steps
        )));
    }
    let session_start = Instant::now();
    std::fs::create_dir_all(out).map_err(TrainError::io(out))?;
    let flow_cfg = cfg.flow_config()?;
    let last = find_checkpoint(out, LAST_DIR);
    if !resume && last.is_some() {
        return Err(TrainError::Config(format!(
            "{} already holds a training run (last/); resume it or choose another folder",
            out.display()
        )));
    }

    // Baseline on the same validation pairs.
    let fit_pairs = subsample(&data.train, cfg.baseline_max_pairs);
    let baseline = GaussianBaseline::fit(&mut data.dataset, &fit_pairs)?;
    let baseline_val_nll = baseline.nll_per_atom(&mut data.dataset, &data.val)?;
    tracing::info!(baseline_val_nll, train_pairs = data.train.len(), val_pairs = data.val.len(), "Gaussian baseline");

    // Model, optimiser and training state.
    let (mut model, mut optim, mut state, resumed_from) = match (resume, last) {
        (true, Some(dir)) => {
            let model: TimewarpFlow<B> = load_checkpoint(&dir, device).map_err(ckpt_err(&dir))?;
            if !same_architecture(model.config(), &flow_cfg) {
                return Err(TrainError::Checkpoint {
                    path: dir.clone(),
                    detail: "the checkpoint's model differs from the configured preset/flow".into(),
                });
            }
            let opt_path = dir.join(OPTIMISER_FILE);
            let bytes = std::fs::read(&opt_path).map_err(TrainError::io(&opt_path))?;
            let optim = Optim::new()
                .load(&bytes, &model, device)
                .map_err(|detail| TrainError::Checkpoint { path: opt_path.clone(), detail })?;
            let state = read_state(&dir)?;
            tracing::info!(step = state.step, "resuming");
            let from = Some(state.step);
            (model, optim, state, from)
        }
        _ => {
            let model = match &cfg.init_from {
                Some(dir) => {
                    let m: TimewarpFlow<B> = load_checkpoint(dir, device).map_err(ckpt_err(dir))?;
                    if !same_architecture(m.config(), &flow_cfg) && cfg.flow.is_some() {
                        return Err(TrainError::Checkpoint {
                            path: dir.clone(),
                            detail: "init_from holds a different model than the configured flow".into(),
                        });
                    }
                    m
                }
                None => TimewarpFlow::try_new(&flow_cfg, cfg.seed, device).map_err(|e| TrainError::Config(e.to_string()))?,
            };
            (model, Optim::new(), fresh_state(cfg.seed), None)
        }
    };
    let model_cfg = model.config().clone();
    let num_params = model.num_params();
    let mut rng = rng_from_state(&state)?;
    let mut metrics = MetricsLog::open(out, resumed_from)?;
    let schedule = cfg.schedule();
    if cfg.loss == LossKind::Acceptance && data.energy.is_none() {
        data.energy =
            Some(EnergyBridge::new(data.dataset.trajectories.len(), cfg.acceptance.temperature_k, Default::default()));
    }
    let val_batch = cfg.batch * 2;

    let sampler = peptide_sampler(cfg.balance, &data.train, &data.dataset.trajectories);
    if let Some(s) = &sampler {
        let (lo, hi) = s.peptides().fold((usize::MAX, 0), |(lo, hi), (_, k)| (lo.min(k), hi.max(k)));
        tracing::info!(
            "{} training peptides, each drawn with equal probability ({lo} to {hi} pairs per peptide)",
            s.n_peptides()
        );
    }
    let mut batches = epoch_batches(&data.train, &data.dataset.trajectories, cfg.batch, cfg.seed, state.epoch);
    let mut host = PairBatch::default();
    let mut window = Window::default();
    let (mut session_pairs, mut session_seconds) = (0u64, 0.0f64);
    let mut last_val: Option<(u64, f64)> = None;
    let mut stopped_early = false;
    let wall = |state: &TrainState| state.wall_seconds + session_start.elapsed().as_secs_f64();

    let save_last = |model: &TimewarpFlow<B>, optim: &Optim<TimewarpFlow<B>, B>, state: &TrainState| {
        write_checkpoint_dir(out, LAST_DIR, |dir| {
            save_checkpoint(dir, model, &model_cfg).map_err(ckpt_err(dir))?;
            let bytes = optim.save(model).map_err(|detail| TrainError::Checkpoint { path: dir.to_path_buf(), detail })?;
            timewarp_rundir::write_atomic(&dir.join(OPTIMISER_FILE), &bytes)?;
            write_state(dir, state)
        })
    };

    if state.step == 0 && state.initial_val_nll.is_none() {
        // Validation before training (official `run_valid_first`): the starting point of the
        // validation curve and a check that the data and model fit together.
        let v = validation_nll(&model.valid(), &mut data.dataset, &data.val, val_batch, cfg.seed, device)?;
        state.initial_val_nll = Some(v);
        metrics.push(MetricsRow {
            step: 0,
            epoch: 0,
            train_loss: f64::NAN,
            train_nll: f64::NAN,
            val_nll: Some(v),
            lr: 0.0,
            grad_norm: f64::NAN,
            pairs_per_s: f64::NAN,
            wall_s: wall(&state),
            acceptance: None,
            energy_delta_kt: None,
            val_loss: (cfg.loss == LossKind::Nll).then_some(v),
            val_acceptance: None,
        })?;
    }
    while state.step < cfg.steps {
        let drawn;
        let refs: &[PairRef] = match &sampler {
            Some(s) => {
                drawn = s.batch(cfg.batch, cfg.seed, state.step);
                &drawn
            }
            None => {
                if state.batch_in_epoch as usize >= batches.len() {
                    state.epoch += 1;
                    state.batch_in_epoch = 0;
                    batches = epoch_batches(&data.train, &data.dataset.trajectories, cfg.batch, cfg.seed, state.epoch);
                }
                &batches[state.batch_in_epoch as usize]
            }
        };
        let t0 = Instant::now();
        let lr = schedule.lr(state.step);
        let mut ctx = StepContext {
            cfg,
            optim: &mut optim,
            dataset: &mut data.dataset,
            host: &mut host,
            rng: &mut rng,
            energy: data.energy.as_mut(),
            device,
        };
        let (m, stats) = train_step(model, refs, lr, state.step, &mut ctx)?;
        model = m;
        let dt = t0.elapsed().as_secs_f64();
        state.step += 1;
        state.pairs_seen += refs.len() as u64;
        if sampler.is_some() {
            // Epochs of drawn pairs: as many draws as there are training pairs.
            state.epoch = state.pairs_seen / data.train.len() as u64;
        } else {
            state.batch_in_epoch += 1;
        }
        session_pairs += refs.len() as u64;
        session_seconds += dt;
        window.steps += 1;
        window.loss += stats.terms.loss;
        window.nll += stats.terms.nll;
        window.grad_norm += stats.grad_norm;
        window.acceptance += stats.terms.acceptance;
        window.energy_delta += stats.terms.energy_delta;
        window.pairs += refs.len() as u64;
        window.seconds += dt;

        let final_step = state.step == cfg.steps;
        let (mut val_nll, mut val_loss, mut val_acceptance) = (None, None, None);
        if state.step % cfg.val_every == 0 || final_step {
            let v = validation_nll(&model.valid(), &mut data.dataset, &data.val, val_batch, cfg.seed, device)?;
            val_nll = Some(v);
            last_val = Some((state.step, v));
            // `best/` keeps the weights with the lowest validation value of the loss being
            // minimised: the NLL, or the acceptance objective when fine-tuning (whose NLL is
            // not what it optimises).
            let objective = match (cfg.loss, data.energy.as_mut()) {
                (LossKind::Acceptance, Some(bridge)) => {
                    let (l, a) = validation_acceptance(
                        &model.valid(), &mut data.dataset, &data.val, val_batch, &cfg.acceptance, bridge, cfg.seed, device,
                    )?;
                    val_acceptance = Some(a);
                    l
                }
                _ => v,
            };
            val_loss = Some(objective);
            let best_so_far = state.best_val_loss.or(state.best_val_nll);
            if best_so_far.is_none_or(|b| objective < b) {
                state.best_val_loss = Some(objective);
                state.best_val_nll = Some(v);
                state.best_step = Some(state.step);
                state.validations_since_best = 0;
                store_rng(&mut state, &rng);
                let st = TrainState { wall_seconds: wall(&state), ..state.clone() };
                write_checkpoint_dir(out, BEST_DIR, |dir| {
                    save_checkpoint(dir, &model, &model_cfg).map_err(ckpt_err(dir))?;
                    write_state(dir, &st)
                })?;
            } else {
                state.validations_since_best += 1;
            }
            if cfg.patience.is_some_and(|p| state.validations_since_best >= p) {
                stopped_early = true;
            }
        }
        if state.step % cfg.log_every == 0 || val_nll.is_some() || final_step || stopped_early {
            let k = window.steps.max(1) as f64;
            let row = MetricsRow {
                step: state.step,
                epoch: state.epoch,
                train_loss: window.loss / k,
                train_nll: window.nll / k,
                val_nll,
                lr,
                grad_norm: window.grad_norm / k,
                pairs_per_s: window.pairs as f64 / window.seconds.max(1e-12),
                wall_s: wall(&state),
                acceptance: (cfg.loss == LossKind::Acceptance).then(|| window.acceptance / k),
                energy_delta_kt: (cfg.loss == LossKind::Acceptance).then(|| window.energy_delta / k),
                val_loss,
                val_acceptance,
            };
            status(&TrainStatus {
                step: state.step,
                total: cfg.steps,
                epoch: state.epoch,
                train_loss: row.train_loss,
                train_nll: row.train_nll,
                val_nll,
                best_val_nll: state.best_val_nll,
                lr,
                grad_norm: row.grad_norm,
                pairs_per_s: row.pairs_per_s,
            });
            metrics.push(row)?;
            window = Window::default();
        }
        if state.step % cfg.checkpoint_every == 0 || final_step || stopped_early {
            store_rng(&mut state, &rng);
            let st = TrainState { wall_seconds: wall(&state), ..state.clone() };
            save_last(&model, &optim, &st)?;
            plot_loss(out, &metrics.rows, Some(baseline_val_nll))?;
        }
        progress(state.step, cfg.steps);
        if stopped_early {
            tracing::info!(step = state.step, "early stopping: no improvement in {} validations", state.validations_since_best);
            break;
        }
    }

    // A resumed run that had already finished still reports its final validation.
    let final_val_nll = match last_val {
        Some((s, v)) if s == state.step => Some(v),
        _ => Some(validation_nll(&model.valid(), &mut data.dataset, &data.val, val_batch, cfg.seed, device)?),
    };
    plot_loss(out, &metrics.rows, Some(baseline_val_nll))?;
    let summary = TrainSummary {
        run_dir: out.to_path_buf(),
        steps: state.step,
        best_val_nll: state.best_val_nll,
        best_step: state.best_step,
        final_val_nll,
        initial_val_nll: state.initial_val_nll,
        baseline_val_nll,
        wall_seconds: wall(&state),
        pairs_per_s: session_pairs as f64 / session_seconds.max(1e-12),
        train_pairs: data.train.len(),
        val_pairs: data.val.len(),
        num_params,
        stopped_early,
        resumed_from,
        initial_val_acceptance: None,
        final_val_acceptance: None,
    };
    Ok(summary)
}

