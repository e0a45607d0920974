//! A training run as a [`Trainer`]: opened fresh or resumed from `last/`, then stepped,
//! validated, logged and checkpointed until the configured steps (or early stopping), and
//! finished with a [`TrainSummary`].

use super::data::PreparedData;
use super::step::{Learner, StepStats};
use super::validate::{validation_acceptance, validation_nll};
use super::TrainSummary;
use crate::acceptance::EnergyBridge;
use crate::baseline::GaussianBaseline;
use crate::checkpoint::{
    find_checkpoint, read_state, write_checkpoint_dir, write_state, TrainState, BEST_DIR, LAST_DIR,
    OPTIMISER_FILE,
};
use crate::config::{LossKind, TrainConfig};
use crate::dataset::{epoch_batches, peptide_sampler, subsample, PairRef, PeptideSampler};
use crate::error::TrainError;
use crate::metrics::{plot_loss, MetricsLog, MetricsRow};
use crate::optim::Optim;
use crate::schedule::LrSchedule;
use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use std::path::{Path, PathBuf};
use std::time::Instant;
use timewarp_flow::{load_checkpoint, save_checkpoint, FlowConfig, TimewarpFlow};
use timewarp_rundir::control::{Progress, Status};

/// A training run in its run folder: the data, the model being trained, and the bookkeeping
/// that makes an interrupted run resume exactly where it was.
pub struct Trainer<B: AutodiffBackend> {
    cfg: TrainConfig,
    out: PathBuf,
    device: B::Device,
    data: PreparedData,
    learner: Learner<B>,
    /// What `last/` saves besides the weights and moments: step, epoch, random stream, best.
    state: TrainState,
    resumed_from: Option<u64>,
    model_cfg: FlowConfig,
    /// Validation NLL per atom of the Gaussian displacement baseline (the bar to beat).
    baseline_val_nll: f64,
    metrics: MetricsLog,
    schedule: LrSchedule,
    order: BatchOrder,
    /// Statistics of the steps since the last metrics row.
    window: Window,
    /// This session: its start, and the pairs and seconds of its steps (throughput).
    started: Instant,
    session_pairs: u64,
    session_seconds: f64,
    /// Step and value of the latest validation NLL.
    last_val: Option<(u64, f64)>,
    stopped_early: bool,
}

/// The order of training pairs ([`epoch_batches`] or [`PeptideSampler`]).
enum BatchOrder {
    /// Per-peptide draws, a pure function of (seed, step).
    Balanced(PeptideSampler),
    /// The batches of the current epoch, a pure function of (seed, epoch).
    Epochs(Vec<Vec<PairRef>>),
}

impl BatchOrder {
    /// The order `cfg.balance` asks for, at epoch `epoch` of the run.
    fn new(cfg: &TrainConfig, data: &PreparedData, epoch: u64) -> Self {
        let infos = &data.dataset.trajectories;
        match peptide_sampler(cfg.balance, &data.train, infos) {
            Some(s) => {
                let (lo, hi) = s
                    .peptides()
                    .fold((usize::MAX, 0), |(lo, hi), (_, k)| (lo.min(k), hi.max(k)));
                tracing::info!(
                    "{} training peptides, each drawn with equal probability ({lo} to {hi} pairs \
                     per peptide)",
                    s.n_peptides()
                );
                BatchOrder::Balanced(s)
            }
            None => BatchOrder::Epochs(epoch_batches(
                &data.train,
                infos,
                cfg.batch,
                cfg.seed,
                epoch,
            )),
        }
    }
}

/// Sums of per-step statistics between two metric rows.
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

/// The values of one validation.
struct Validation {
    /// Validation NLL per atom.
    nll: f64,
    /// Validation value of the loss being minimised (the NLL, or the acceptance objective).
    loss: f64,
    /// Mean MH acceptance of the flow's proposals (acceptance loss only).
    acceptance: Option<f64>,
}

impl<B: AutodiffBackend> Trainer<B> {
    /// Opens a run on prepared data in the run folder `out`: fits the Gaussian baseline on the
    /// same pairs, then starts from new weights (or `init_from`) or, with `resume`, continues
    /// from `out/last/` (model, optimiser moments, data order and random stream), so that an
    /// interrupted run and an uninterrupted one give the same weights. Without `resume`, `out`
    /// must not hold a run already.
    pub fn open(
        cfg: &TrainConfig,
        mut data: PreparedData,
        out: &Path,
        resume: bool,
        device: &B::Device,
    ) -> Result<Self, TrainError> {
        cfg.validate()?;
        // The epoch order would silently cap such a batch (while run.json records the setting).
        if cfg.batch > data.train.len() {
            return Err(TrainError::Config(format!(
                "batch = {} is larger than the {} training pairs of the data (lag_steps = {}); \
                 lower batch",
                cfg.batch,
                data.train.len(),
                cfg.lag_steps
            )));
        }
        let started = Instant::now();
        std::fs::create_dir_all(out).map_err(TrainError::io(out))?;
        let flow_cfg = cfg.flow_config()?;
        let last = find_checkpoint(out, LAST_DIR);
        if !resume && last.is_some() {
            return Err(TrainError::Config(format!(
                "{} already holds a training run (last/); resume it or choose another folder",
                out.display()
            )));
        }

        let baseline_val_nll = baseline_val_nll(cfg, &mut data)?;
        let (model, optim, state, resumed_from) = match (resume, last) {
            (true, Some(dir)) => {
                let (model, optim, state) = load_last(&dir, &flow_cfg, device)?;
                tracing::info!(step = state.step, "resuming");
                let from = Some(state.step);
                (model, optim, state, from)
            }
            _ => (
                initial_model(cfg, &flow_cfg, device)?,
                Optim::new(),
                TrainState::fresh(cfg.seed),
                None,
            ),
        };
        let model_cfg = model.config().clone();
        let learner = Learner::new(model, optim, state.restore_rng()?);
        let metrics = MetricsLog::open(out, resumed_from)?;
        if cfg.loss == LossKind::Acceptance && data.energy.is_none() {
            let n = data.dataset.trajectories.len();
            let t = cfg.acceptance.temperature_k;
            data.energy = Some(EnergyBridge::new(n, t, Default::default()));
        }
        let order = BatchOrder::new(cfg, &data, state.epoch);
        Ok(Trainer {
            cfg: cfg.clone(),
            out: out.to_path_buf(),
            device: device.clone(),
            schedule: cfg.schedule(),
            data,
            learner,
            state,
            resumed_from,
            model_cfg,
            baseline_val_nll,
            metrics,
            order,
            window: Window::default(),
            started,
            session_pairs: 0,
            session_seconds: 0.0,
            last_val: None,
            stopped_early: false,
        })
    }

    /// Trains until `cfg.steps` optimiser steps are done or early stopping ends the run;
    /// `progress(done, total)` after every step, `status("loss", mean)` with every metrics row.
    pub fn run(
        mut self,
        progress: &Progress<'_>,
        status: &Status<'_>,
    ) -> Result<TrainSummary, TrainError> {
        let TrainConfig {
            steps,
            val_every,
            log_every,
            checkpoint_every,
            ..
        } = self.cfg;
        self.validate_initial()?;
        while self.state.step < steps {
            let stats = self.step()?;
            let step = self.state.step;
            let final_step = step == steps;
            let val = if step.is_multiple_of(val_every) || final_step {
                Some(self.validate()?)
            } else {
                None
            };
            if step.is_multiple_of(log_every) || val.is_some() || final_step || self.stopped_early {
                self.log(&stats, val.as_ref(), status)?;
            }
            if step.is_multiple_of(checkpoint_every) || final_step || self.stopped_early {
                self.checkpoint()?;
            }
            progress(step, steps);
            if self.stopped_early {
                tracing::info!(
                    step,
                    "early stopping: no improvement in {} validations",
                    self.state.validations_since_best
                );
                break;
            }
        }
        self.finish()
    }

    /// One optimiser step on the next batch of the order.
    fn step(&mut self) -> Result<StepStats, TrainError> {
        let refs = self.next_batch();
        let t0 = Instant::now();
        let lr = self.schedule.lr(self.state.step);
        let (cfg, step) = (&self.cfg, self.state.step);
        let stats = self
            .learner
            .step(cfg, &mut self.data, &refs, lr, step, &self.device)?;
        let dt = t0.elapsed().as_secs_f64();
        self.state.step += 1;
        self.state.pairs_seen += refs.len() as u64;
        match self.order {
            // Epochs of drawn pairs: as many draws as there are training pairs.
            BatchOrder::Balanced(_) => {
                self.state.epoch = self.state.pairs_seen / self.data.train.len() as u64
            }
            BatchOrder::Epochs(_) => self.state.batch_in_epoch += 1,
        }
        self.session_pairs += refs.len() as u64;
        self.session_seconds += dt;
        let w = &mut self.window;
        w.steps += 1;
        w.loss += stats.terms.loss;
        w.nll += stats.terms.nll;
        w.grad_norm += stats.grad_norm;
        w.acceptance += stats.terms.acceptance;
        w.energy_delta += stats.terms.energy_delta;
        w.pairs += refs.len() as u64;
        w.seconds += dt;
        Ok(stats)
    }

    /// The pairs of the next step; opens the next epoch when the current one is used up.
    fn next_batch(&mut self) -> Vec<PairRef> {
        let (cfg, state) = (&self.cfg, &mut self.state);
        match &mut self.order {
            BatchOrder::Balanced(s) => s.batch(cfg.batch, cfg.seed, state.step),
            BatchOrder::Epochs(batches) => {
                if state.batch_in_epoch as usize >= batches.len() {
                    state.epoch += 1;
                    state.batch_in_epoch = 0;
                    let infos = &self.data.dataset.trajectories;
                    *batches =
                        epoch_batches(&self.data.train, infos, cfg.batch, cfg.seed, state.epoch);
                }
                batches[state.batch_in_epoch as usize].clone()
            }
        }
    }

    /// Validation before training (official `run_valid_first`): the starting point of the
    /// validation curve and a check that the data and model fit together.
    fn validate_initial(&mut self) -> Result<(), TrainError> {
        if self.state.step != 0 || self.state.initial_val_nll.is_some() {
            return Ok(());
        }
        let v = self.validation_nll()?;
        self.state.initial_val_nll = Some(v);
        self.metrics.push(MetricsRow {
            step: 0,
            epoch: 0,
            train_loss: f64::NAN,
            train_nll: f64::NAN,
            val_nll: Some(v),
            lr: 0.0,
            grad_norm: f64::NAN,
            pairs_per_s: f64::NAN,
            wall_s: self.wall_seconds(),
            acceptance: None,
            energy_delta_kt: None,
            val_loss: (self.cfg.loss == LossKind::Nll).then_some(v),
            val_acceptance: None,
        })
    }

    /// Validates the current weights. `best/` keeps the weights with the lowest validation
    /// value of the loss being minimised: the NLL, or the acceptance objective when
    /// fine-tuning (whose NLL is not what it optimises). `patience` validations without a new
    /// best stop the run.
    fn validate(&mut self) -> Result<Validation, TrainError> {
        let nll = self.validation_nll()?;
        self.last_val = Some((self.state.step, nll));
        let cfg = &self.cfg;
        let (loss, acceptance) = match (cfg.loss, self.data.energy.as_mut()) {
            (LossKind::Acceptance, Some(bridge)) => {
                let (l, a) = validation_acceptance(
                    &self.learner.model().valid(),
                    &mut self.data.dataset,
                    &self.data.val,
                    cfg.batch * 2,
                    &cfg.acceptance,
                    bridge,
                    cfg.seed,
                    &self.device,
                )?;
                (l, Some(a))
            }
            _ => (nll, None),
        };
        let best_so_far = self.state.best_val_loss.or(self.state.best_val_nll);
        if best_so_far.is_none_or(|b| loss < b) {
            let state = &mut self.state;
            state.best_val_loss = Some(loss);
            state.best_val_nll = Some(nll);
            state.best_step = Some(state.step);
            state.validations_since_best = 0;
            state.store_rng(self.learner.rng());
            let saved = TrainState {
                wall_seconds: self.wall_seconds(),
                ..self.state.clone()
            };
            let (model, model_cfg) = (self.learner.model(), &self.model_cfg);
            write_checkpoint_dir(&self.out, BEST_DIR, |dir| {
                save_checkpoint(dir, model, model_cfg).map_err(checkpoint_error(dir))?;
                write_state(dir, &saved)
            })?;
        } else {
            self.state.validations_since_best += 1;
        }
        if self
            .cfg
            .patience
            .is_some_and(|p| self.state.validations_since_best >= p)
        {
            self.stopped_early = true;
        }
        Ok(Validation {
            nll,
            loss,
            acceptance,
        })
    }

    /// Validation NLL per atom of the current weights (batches of twice the training batch).
    fn validation_nll(&mut self) -> Result<f64, TrainError> {
        validation_nll(
            &self.learner.model().valid(),
            &mut self.data.dataset,
            &self.data.val,
            self.cfg.batch * 2,
            self.cfg.seed,
            &self.device,
        )
    }

    /// Appends a row to `metrics.csv`: the means over the steps since the previous row, the
    /// learning rate of the latest step and its validation, if it ran one; the mean training
    /// loss goes to `status` too.
    fn log(
        &mut self,
        latest: &StepStats,
        val: Option<&Validation>,
        status: &Status<'_>,
    ) -> Result<(), TrainError> {
        let w = std::mem::take(&mut self.window);
        let k = w.steps.max(1) as f64;
        status("loss", w.loss / k);
        let fine_tuning = self.cfg.loss == LossKind::Acceptance;
        self.metrics.push(MetricsRow {
            step: self.state.step,
            epoch: self.state.epoch,
            train_loss: w.loss / k,
            train_nll: w.nll / k,
            val_nll: val.map(|v| v.nll),
            lr: latest.lr,
            grad_norm: w.grad_norm / k,
            pairs_per_s: w.pairs as f64 / w.seconds.max(1e-12),
            wall_s: self.wall_seconds(),
            acceptance: fine_tuning.then(|| w.acceptance / k),
            energy_delta_kt: fine_tuning.then(|| w.energy_delta / k),
            val_loss: val.map(|v| v.loss),
            val_acceptance: val.and_then(|v| v.acceptance),
        })
    }

    /// Writes `last/` (weights, optimiser moments, state with the random stream) and redraws
    /// the loss plot.
    fn checkpoint(&mut self) -> Result<(), TrainError> {
        self.state.store_rng(self.learner.rng());
        let saved = TrainState {
            wall_seconds: self.wall_seconds(),
            ..self.state.clone()
        };
        let (model, optim, model_cfg) =
            (self.learner.model(), self.learner.optim(), &self.model_cfg);
        write_checkpoint_dir(&self.out, LAST_DIR, |dir| {
            save_checkpoint(dir, model, model_cfg).map_err(checkpoint_error(dir))?;
            let bytes = optim.save(model).map_err(|detail| TrainError::Checkpoint {
                path: dir.to_path_buf(),
                detail,
            })?;
            timewarp_rundir::write_atomic(&dir.join(OPTIMISER_FILE), &bytes)?;
            write_state(dir, &saved)
        })?;
        plot_loss(&self.out, &self.metrics.rows, Some(self.baseline_val_nll))
    }

    /// The summary of the run. A resumed run that had already finished still reports its
    /// final validation.
    fn finish(mut self) -> Result<TrainSummary, TrainError> {
        let final_val_nll = match self.last_val {
            Some((s, v)) if s == self.state.step => v,
            _ => self.validation_nll()?,
        };
        plot_loss(&self.out, &self.metrics.rows, Some(self.baseline_val_nll))?;
        Ok(TrainSummary {
            run_dir: self.out.clone(),
            steps: self.state.step,
            best_val_nll: self.state.best_val_nll,
            best_step: self.state.best_step,
            final_val_nll: Some(final_val_nll),
            initial_val_nll: self.state.initial_val_nll,
            baseline_val_nll: self.baseline_val_nll,
            wall_seconds: self.wall_seconds(),
            pairs_per_s: self.session_pairs as f64 / self.session_seconds.max(1e-12),
            train_pairs: self.data.train.len(),
            val_pairs: self.data.val.len(),
            num_params: self.learner.model().num_params(),
            stopped_early: self.stopped_early,
            resumed_from: self.resumed_from,
            initial_val_acceptance: None,
            final_val_acceptance: None,
        })
    }

    /// Wall-clock seconds of the run: earlier sessions and this one so far.
    fn wall_seconds(&self) -> f64 {
        self.state.wall_seconds + self.started.elapsed().as_secs_f64()
    }
}

/// Validation NLL per atom of the Gaussian displacement baseline, fitted on (at most
/// `baseline_max_pairs` of) the training pairs: the value the flow must beat.
fn baseline_val_nll(cfg: &TrainConfig, data: &mut PreparedData) -> Result<f64, TrainError> {
    let fit_pairs = subsample(&data.train, cfg.baseline_max_pairs);
    let baseline = GaussianBaseline::fit(&mut data.dataset, &fit_pairs)?;
    let nll = baseline.nll_per_atom(&mut data.dataset, &data.val)?;
    tracing::info!(
        baseline_val_nll = nll,
        train_pairs = data.train.len(),
        val_pairs = data.val.len(),
        "Gaussian baseline"
    );
    Ok(nll)
}

/// The model, optimiser and state saved in the checkpoint folder `dir` (`last/`), which must
/// hold the configured architecture.
#[allow(clippy::type_complexity)]
fn load_last<B: AutodiffBackend>(
    dir: &Path,
    flow_cfg: &FlowConfig,
    device: &B::Device,
) -> Result<(TimewarpFlow<B>, Optim<TimewarpFlow<B>, B>, TrainState), TrainError> {
    let model: TimewarpFlow<B> = load_checkpoint(dir, device).map_err(checkpoint_error(dir))?;
    if !same_architecture(model.config(), flow_cfg) {
        return Err(TrainError::Checkpoint {
            path: dir.to_path_buf(),
            detail: "the checkpoint's model differs from the configured preset/flow".into(),
        });
    }
    let opt_path = dir.join(OPTIMISER_FILE);
    let bytes = std::fs::read(&opt_path).map_err(TrainError::io(&opt_path))?;
    let optim = Optim::new()
        .load(&bytes, &model, device)
        .map_err(|detail| TrainError::Checkpoint {
            path: opt_path.clone(),
            detail,
        })?;
    Ok((model, optim, read_state(dir)?))
}

/// The weights a new run starts from: `init_from` (which must hold the configured flow when
/// one is given), else new weights drawn with the seed.
fn initial_model<B: AutodiffBackend>(
    cfg: &TrainConfig,
    flow_cfg: &FlowConfig,
    device: &B::Device,
) -> Result<TimewarpFlow<B>, TrainError> {
    match &cfg.init_from {
        Some(dir) => {
            let m: TimewarpFlow<B> = load_checkpoint(dir, device).map_err(checkpoint_error(dir))?;
            if !same_architecture(m.config(), flow_cfg) && cfg.flow.is_some() {
                return Err(TrainError::Checkpoint {
                    path: dir.clone(),
                    detail: "init_from holds a different model than the configured flow".into(),
                });
            }
            Ok(m)
        }
        None => TimewarpFlow::try_new(flow_cfg, cfg.seed, device)
            .map_err(|e| TrainError::Config(e.to_string())),
    }
}

fn checkpoint_error(path: &Path) -> impl Fn(timewarp_flow::CheckpointError) -> TrainError + '_ {
    move |e| TrainError::Checkpoint {
        path: path.to_path_buf(),
        detail: e.to_string(),
    }
}

/// Same architecture (the prior log-scales of a config are initial values only).
fn same_architecture(a: &FlowConfig, b: &FlowConfig) -> bool {
    let strip = |c: &FlowConfig| FlowConfig {
        coords_prior_log_scale: 0.0,
        velocs_prior_log_scale: 0.0,
        ..c.clone()
    };
    strip(a) == strip(b)
}
