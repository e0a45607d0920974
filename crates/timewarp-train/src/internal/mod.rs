//! Training of the Timewarp flow in the internal-coordinate chart (`timewarp train` with a model
//! of chart `internal`, e.g. the `ic` preset, and `--kernel KERNEL`).
//!
//! The flow refines a fitted kernel (`timewarp fit`): it starts as the identity — exactly the
//! fitted proposal — and learns the distribution of each block's bonds, angles, rigid torsions
//! and offsets given the block's φ/ψ and rotors ([`objective`]). `loss = "nll"` fits the MD
//! frames; `loss = "acceptance"` minimises `acceptance_weight`·KL(energy) + `nll_weight`·NLL,
//! the reverse Kullback–Leibler divergence to the Boltzmann distribution that the MH chain
//! targets. Every checkpoint folder holds the flow (`config.json`, `model.safetensors`) and the
//! fitted kernel it refines (`kernel.json`: Z-matrix, histograms, Gaussian), so that
//! `timewarp sample --model RUN` needs nothing else. With a pooled kernel (`timewarp fit
//! --pooled`) the flow trains on every peptide of a data set — each batch from one peptide,
//! drawn uniformly, with the kernel the pooled one makes for it — and the checkpoint holds the
//! pooled kernel, so the model samples any peptide whose residue types it covers. `best/` has
//! the highest validation acceptance of the block move (acceptance loss) or the lowest validation
//! NLL (NLL loss) — the starting flow itself (step 0) when no validation beats it.

pub mod frames;
pub mod objective;

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::AutodiffModule;
use burn::optim::GradientsParams;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::Tensor;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use timewarp_flow::host::{float_tensor, vectors_tensor};
use timewarp_flow::{atom_type_of, load_checkpoint, save_checkpoint, Chart, TimewarpFlow};
use timewarp_sample::fitted::moves::ChartMoves;
use timewarp_sample::fitted::KernelFile;

use crate::checkpoint::{
    find_checkpoint, read_state, write_checkpoint_dir, write_state, TrainState, BEST_DIR, LAST_DIR,
    OPTIMISER_FILE,
};
use crate::config::{LossKind, TrainConfig};
use crate::error::TrainError;
use crate::metrics::{plot_loss, MetricsLog, MetricsRow};
use crate::optim::{clip_global_norm, global_grad_norm, Optim};
use crate::trainer::TrainSummary;
use frames::{load_molecules, ChartFrames};
use objective::{
    acceptance, draw, draw_energy, frame_log_prob, half_square, host_batch, masked_normal,
    BatchTensors, HostBatch,
};
use timewarp_rundir::control::Progress;

/// Salt of the validation noise stream.
const VAL_SALT: u64 = 0x6963_2d76_616c;
/// Fraction of every trajectory (its end) that validates.
const VAL_FRACTION: f64 = 0.1;

/// Values of one evaluation (training batch or validation set).
#[derive(Debug, Clone, Copy, Default)]
struct Eval {
    loss: f64,
    nll: f64,
    kl: f64,
    acceptance: f64,
    energy_delta: f64,
}

impl Eval {
    /// self += w · e, value by value (weighted averages over chunks and molecules).
    fn add_scaled(&mut self, w: f64, e: &Eval) {
        self.loss += w * e.loss;
        self.nll += w * e.nll;
        self.kl += w * e.kl;
        self.acceptance += w * e.acceptance;
        self.energy_delta += w * e.energy_delta;
    }
}

/// One molecule of the training data with its moves and atom types.
struct Molecule {
    frames: ChartFrames,
    moves: ChartMoves,
    types: Vec<i64>,
}

impl Molecule {
    fn new(frames: ChartFrames) -> Result<Self, TrainError> {
        let types = atom_types(&frames)?;
        let moves = ChartMoves::new(frames.kernel.clone())
            .map_err(|e| TrainError::Config(e.to_string()))?;
        Ok(Molecule {
            frames,
            moves,
            types,
        })
    }
}

/// The molecule's atom types.
fn atom_types(frames: &ChartFrames) -> Result<Vec<i64>, TrainError> {
    frames
        .topology
        .atoms
        .iter()
        .enumerate()
        .map(|(i, a)| {
            atom_type_of(a.element).ok_or_else(|| {
                TrainError::Config(format!(
                    "{}: element {} is not in the model's vocabulary",
                    frames.topology.atom_label(i),
                    a.element
                ))
            })
        })
        .collect()
}

/// Forward pass of both objectives on the frames `qs`; returns the loss tensor (differentiable
/// on an autodiff backend) and its values. `rng` gives the blocks and the noise.
#[allow(clippy::too_many_arguments)]
fn evaluate<B: Backend>(
    flow: &TimewarpFlow<B>,
    moves: &mut ChartMoves,
    frames: &ChartFrames,
    types: &[i64],
    qs: &[&[f64]],
    cfg: &TrainConfig,
    rng: &mut ChaCha8Rng,
    device: &B::Device,
) -> (Tensor<B, 1>, Eval) {
    let beta = 1.0 / (crate::acceptance::BOLTZMANN_KJ_PER_MOL_K * cfg.acceptance.temperature_k);
    let n_blocks = moves.kernel().blocks.len();
    let blocks: Vec<usize> = qs.iter().map(|_| rng.random_range(0..n_blocks)).collect();
    let hb: HostBatch = host_batch(moves, &frames.system, beta, qs, &blocks);
    let t = BatchTensors::<B>::new(&hb, types, device);
    let vector = |v: Vec<f64>| float_tensor::<B, 1>(v, [hb.b], device);
    let dims: Vec<f64> = hb.slots.iter().map(|s| s.len().max(1) as f64).collect();
    // NLL of the frames, with fresh auxiliary variables.
    let w_frame = masked_normal(rng, &hb.components);
    let half_w_frame: Vec<f64> = w_frame
        .chunks(hb.n * 3)
        .map(|w| 0.5 * w.iter().map(|v| v * v).sum::<f64>())
        .collect();
    let lp_frame = frame_log_prob(flow, &hb, &t, w_frame, device);
    let nll = (lp_frame.clone().neg() / vector(dims.clone())).mean();
    let lp_frame_host = host(lp_frame);
    // A reparameterised draw and its energy.
    let (noise_p, noise_v) = (
        masked_normal(rng, &hb.components),
        masked_normal(rng, &hb.components),
    );
    let (eps_new, w_new, lp_new) = draw(flow, &t, noise_p, noise_v, &hb, device);
    let eps_host = host(eps_new.clone().flatten::<1>(0, 2));
    let e = draw_energy(moves, &frames.system, beta, &hb, &eps_host);
    let valid: Vec<f64> = e
        .energy
        .iter()
        .map(|v| if v.is_finite() { 1.0 } else { 0.0 })
        .collect();
    let n_valid = valid.iter().sum::<f64>().max(1.0);
    let grad_t = vectors_tensor::<B>(e.gradient.clone(), hb.b, hb.n, device);
    let half_w_new = half_square(w_new, &t.components);
    let surrogate = (eps_new * grad_t).sum_dims_squeeze::<1, _>(&[1, 2]);
    let per = (lp_new.clone() + half_w_new.clone() + surrogate) / vector(dims.clone());
    let kl_loss = (per * vector(valid.clone())).sum() / n_valid;
    let loss = match cfg.loss {
        LossKind::Nll => nll.clone(),
        LossKind::Acceptance => {
            kl_loss * cfg.acceptance.acceptance_weight + nll.clone() * cfg.acceptance.nll_weight
        }
    };
    // Values: KL per variable (up to a constant), and the acceptance of the block move
    // frame → draw.
    let (lp_new_host, half_w_new_host) = (host(lp_new), host(half_w_new));
    let log_w_new: Vec<f64> = (0..hb.b)
        .map(|k| -e.energy[k] - half_w_new_host[k] - lp_new_host[k])
        .collect();
    let log_w_old: Vec<f64> = (0..hb.b)
        .map(|k| -hb.frame_energy[k] - half_w_frame[k] - lp_frame_host[k])
        .collect();
    let ok = |k: &usize| valid[*k] > 0.0;
    let kl = (0..hb.b)
        .filter(ok)
        .map(|k| -log_w_new[k] / dims[k])
        .sum::<f64>()
        / n_valid;
    let energy_delta = (0..hb.b)
        .filter(ok)
        .map(|k| e.energy[k] - hb.frame_energy[k])
        .sum::<f64>()
        / n_valid;
    let eval = Eval {
        loss: host(loss.clone())[0],
        nll: host(nll)[0],
        kl,
        acceptance: acceptance(&log_w_new, &log_w_old),
        energy_delta,
    };
    (loss, eval)
}

fn host<B: Backend>(t: Tensor<B, 1>) -> Vec<f64> {
    t.into_data().iter::<f64>().collect()
}

/// Validation on at most `val_max_pairs` validation frames (evenly spaced, shared equally by the
/// molecules, each molecule weighing the same) with a fixed noise stream, so that successive
/// validations are comparable.
fn validate<B: Backend>(
    flow: &TimewarpFlow<B>,
    molecules: &mut [Molecule],
    cfg: &TrainConfig,
    device: &B::Device,
) -> Eval {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ VAL_SALT);
    let per = (cfg.val_max_pairs / molecules.len()).max(1);
    let w = 1.0 / molecules.len() as f64;
    let mut sum = Eval::default();
    for m in molecules.iter_mut() {
        let e = validate_molecule(flow, m, per, cfg, &mut rng, device);
        sum.add_scaled(w, &e);
    }
    sum
}

/// Validation of one molecule on at most `max_frames` of its validation frames.
fn validate_molecule<B: Backend>(
    flow: &TimewarpFlow<B>,
    molecule: &mut Molecule,
    max_frames: usize,
    cfg: &TrainConfig,
    rng: &mut ChaCha8Rng,
    device: &B::Device,
) -> Eval {
    let Molecule {
        frames,
        moves,
        types,
    } = molecule;
    let n = frames.val.len().min(max_frames).max(1);
    let stride = frames.val.len() as f64 / n as f64;
    let qs: Vec<&[f64]> = (0..n)
        .map(|i| frames.val[(i as f64 * stride) as usize].as_slice())
        .collect();
    let mut sum = Eval::default();
    for chunk in qs.chunks((2 * cfg.batch).max(1)) {
        let (_, e) = evaluate(flow, moves, frames, types, chunk, cfg, rng, device);
        let w = chunk.len() as f64 / n as f64;
        sum.add_scaled(w, &e);
    }
    sum
}

/// Writes a checkpoint folder: the flow, the kernel it refines, the state (and the optimiser).
fn save<B: AutodiffBackend>(
    out: &Path,
    name: &str,
    flow: &TimewarpFlow<B>,
    kernel: &KernelFile,
    state: &TrainState,
    optim: Option<&Optim<TimewarpFlow<B>, B>>,
) -> Result<PathBuf, TrainError> {
    write_checkpoint_dir(out, name, |dir| {
        save_checkpoint(dir, flow, flow.config()).map_err(|e| TrainError::Checkpoint {
            path: dir.to_path_buf(),
            detail: e.to_string(),
        })?;
        kernel.save(dir).map_err(|e| TrainError::Checkpoint {
            path: dir.join(kernel.file_name()),
            detail: e.to_string(),
        })?;
        if let Some(o) = optim {
            let bytes = o.save(flow).map_err(|detail| TrainError::Checkpoint {
                path: dir.to_path_buf(),
                detail,
            })?;
            timewarp_rundir::write_atomic(&dir.join(OPTIMISER_FILE), &bytes)?;
        }
        write_state(dir, state)
    })
}

/// The fitted kernel the flow refines: the one in the checkpoint being continued, else in
/// `init_from`, else `cfg.kernel`.
fn kernel_to_refine(
    cfg: &TrainConfig,
    last: Option<&Path>,
    resume: bool,
) -> Result<KernelFile, TrainError> {
    let kernel_dir = match (last, &cfg.init_from) {
        (Some(d), _) if resume => d.to_path_buf(),
        (_, Some(d)) => d.clone(),
        _ => cfg.kernel.clone().ok_or_else(|| {
            TrainError::Config(
                "an internal-chart flow refines a fitted kernel: give --kernel KERNEL (made by \
                 `timewarp fit`)"
                    .into(),
            )
        })?,
    };
    KernelFile::load(&kernel_dir).map_err(|e| TrainError::Config(e.to_string()))
}

/// The flow, optimiser and training state to go on with: those of the last checkpoint when
/// resuming, else a fresh start (from `init_from`, or the identity flow: the fitted kernel).
#[allow(clippy::type_complexity)]
fn start_or_continue<B: AutodiffBackend>(
    cfg: &TrainConfig,
    flow_cfg: &timewarp_flow::FlowConfig,
    last: Option<&Path>,
    resume: bool,
    device: &B::Device,
) -> Result<
    (
        TimewarpFlow<B>,
        Optim<TimewarpFlow<B>, B>,
        TrainState,
        Option<u64>,
    ),
    TrainError,
> {
    let started = match (resume, last) {
        (true, Some(dir)) => {
            let flow: TimewarpFlow<B> =
                load_checkpoint(dir, device).map_err(|e| TrainError::Checkpoint {
                    path: dir.to_path_buf(),
                    detail: e.to_string(),
                })?;
            let opt_path = dir.join(OPTIMISER_FILE);
            let bytes = std::fs::read(&opt_path).map_err(TrainError::io(&opt_path))?;
            let optim = Optim::new().load(&bytes, &flow, device).map_err(|detail| {
                TrainError::Checkpoint {
                    path: opt_path.clone(),
                    detail,
                }
            })?;
            let state = read_state(dir)?;
            let from = Some(state.step);
            (flow, optim, state, from)
        }
        _ => {
            let flow = match &cfg.init_from {
                Some(dir) => {
                    load_checkpoint::<B>(dir, device).map_err(|e| TrainError::Checkpoint {
                        path: dir.clone(),
                        detail: e.to_string(),
                    })?
                }
                None => TimewarpFlow::try_new(flow_cfg, cfg.seed, device)
                    .map_err(|e| TrainError::Config(e.to_string()))?
                    .with_identity_couplings(),
            };
            (flow, Optim::new(), TrainState::fresh(cfg.seed), None)
        }
    };
    Ok(started)
}

/// Trains an internal-chart flow on the MD under `data` into the run folder `out`, refining the
/// fitted kernel `cfg.kernel` (or, when resuming or starting from `init_from`, the kernel in
/// that checkpoint).
pub fn train_internal<B: AutodiffBackend>(
    cfg: &TrainConfig,
    data: &[PathBuf],
    out: &Path,
    resume: bool,
    device: &B::Device,
    progress: &Progress<'_>,
    status: &timewarp_rundir::control::Status<'_>,
) -> Result<TrainSummary, TrainError> {
    cfg.validate()?;
    let session_start = Instant::now();
    let flow_cfg = cfg.flow_config()?;
    std::fs::create_dir_all(out).map_err(TrainError::io(out))?;
    let last = find_checkpoint(out, LAST_DIR);
    if !resume && last.is_some() {
        return Err(TrainError::Config(format!(
            "{} already holds a training run (last/); resume it or choose another folder",
            out.display()
        )));
    }
    let kernel = kernel_to_refine(cfg, last.as_deref(), resume)?;
    let loaded = load_molecules(
        &kernel,
        data,
        VAL_FRACTION,
        &timewarp_ff::SystemOptions::default(),
    )?;
    // Frames are drawn with replacement, so a larger batch would run, but it would only repeat
    // frames: it is a wrong setting, not a bigger sample.
    for m in &loaded {
        if cfg.batch > m.train.len() {
            return Err(TrainError::Config(format!(
                "batch = {} is larger than the {} training frames of {}; lower batch",
                cfg.batch,
                m.train.len(),
                m.name
            )));
        }
    }
    let mut molecules = loaded
        .into_iter()
        .map(Molecule::new)
        .collect::<Result<Vec<_>, _>>()?;
    let (train_pairs, val_pairs) = molecules.iter().fold((0, 0), |(t, v), m| {
        (t + m.frames.train.len(), v + m.frames.val.len())
    });

    let (mut flow, mut optim, mut state, resumed_from) =
        start_or_continue::<B>(cfg, &flow_cfg, last.as_deref(), resume, device)?;
    if flow.config().chart != Chart::Internal {
        return Err(TrainError::Config(
            "the model to continue is not an internal-chart flow".into(),
        ));
    }
    let mut rng = state.restore_rng()?;
    let mut metrics = MetricsLog::open(out, resumed_from)?;
    let schedule = cfg.schedule();
    let num_params = flow.num_params();
    let better = |new: &Eval, best: Option<f64>| match cfg.loss {
        LossKind::Acceptance => best.is_none_or(|b| -new.acceptance < b),
        LossKind::Nll => best.is_none_or(|b| new.nll < b),
    };
    let score = |e: &Eval| match cfg.loss {
        LossKind::Acceptance => -e.acceptance,
        LossKind::Nll => e.nll,
    };
    let initial = validate(&flow.valid(), &mut molecules, cfg, device);
    if resumed_from.is_none() {
        state.initial_val_nll = Some(initial.nll);
        tracing::info!(
            val_nll = initial.nll,
            val_acceptance = initial.acceptance,
            "the starting flow (the identity: the fitted kernel, unless init_from)"
        );
        // The start competes for best/: training that never beats it on validation leaves the
        // starting flow there, so a fine-tuned model is never worse than where it began.
        state.best_val_loss = Some(score(&initial));
        state.best_val_nll = Some(initial.nll);
        state.best_step = Some(0);
        save(out, BEST_DIR, &flow, &kernel, &state, None)?;
    }
    let mut window = (0u64, Eval::default(), 0.0f64);
    let mut last_val = initial;
    let mut session_frames = 0usize;
    let mut session_seconds = 0.0f64;
    progress(state.step, cfg.steps);
    while state.step < cfg.steps {
        let t0 = Instant::now();
        // One molecule per batch, each as often (a lone molecule draws nothing).
        let m = match molecules.len() {
            1 => 0,
            k => rng.random_range(0..k),
        };
        let Molecule {
            frames,
            moves,
            types,
        } = &mut molecules[m];
        let idx: Vec<usize> = (0..cfg.batch)
            .map(|_| rng.random_range(0..frames.train.len()))
            .collect();
        let qs: Vec<&[f64]> = idx.iter().map(|&i| frames.train[i].as_slice()).collect();
        let lr = schedule.lr(state.step);
        let (loss, e) = evaluate(&flow, moves, frames, types, &qs, cfg, &mut rng, device);
        if !e.loss.is_finite() {
            return Err(TrainError::NonFinite {
                step: state.step + 1,
                value: e.loss,
            });
        }
        let mut grads = GradientsParams::from_grads(loss.backward(), &flow);
        let grad_norm = match cfg.clip_grad_norm {
            Some(c) => clip_global_norm::<B, _>(&flow, &mut grads, c),
            None => global_grad_norm::<B, _>(&flow, &grads),
        };
        if !grad_norm.is_finite() {
            return Err(TrainError::NonFinite {
                step: state.step + 1,
                value: grad_norm,
            });
        }
        flow = optim.step(lr, flow, grads);
        state.step += 1;
        state.pairs_seen += cfg.batch as u64;
        let dt = t0.elapsed().as_secs_f64();
        session_seconds += dt;
        session_frames += cfg.batch;
        window.0 += 1;
        window.1.loss += e.loss;
        window.1.nll += e.nll;
        window.1.acceptance += e.acceptance;
        window.1.energy_delta += e.energy_delta;
        window.2 += grad_norm;
        let validate_now = state.step % cfg.val_every == 0 || state.step == cfg.steps;
        let mut val = None;
        if validate_now {
            let v = validate(&flow.valid(), &mut molecules, cfg, device);
            if better(&v, state.best_val_loss) {
                state.best_val_loss = Some(score(&v));
                state.best_val_nll = Some(v.nll);
                state.best_step = Some(state.step);
                save(out, BEST_DIR, &flow, &kernel, &state, None)?;
            }
            last_val = v;
            val = Some(v);
        }
        if state.step % cfg.log_every == 0 || validate_now {
            let k = window.0.max(1) as f64;
            status("loss", window.1.loss / k);
            metrics.push(MetricsRow {
                step: state.step,
                epoch: 0,
                train_loss: window.1.loss / k,
                train_nll: window.1.nll / k,
                val_nll: val.map(|v| v.nll),
                lr,
                grad_norm: window.2 / k,
                pairs_per_s: session_frames as f64 / session_seconds.max(1e-9),
                wall_s: state.wall_seconds + session_start.elapsed().as_secs_f64(),
                acceptance: Some(window.1.acceptance / k),
                energy_delta_kt: Some(window.1.energy_delta / k),
                val_loss: val.map(|v| score(&v)),
                val_acceptance: val.map(|v| v.acceptance),
            })?;
            window = (0, Eval::default(), 0.0);
        }
        if state.step % cfg.checkpoint_every == 0 || state.step == cfg.steps {
            state.store_rng(&rng);
            let mut saved = state.clone();
            saved.wall_seconds += session_start.elapsed().as_secs_f64();
            save(out, LAST_DIR, &flow, &kernel, &saved, Some(&optim))?;
        }
        progress(state.step, cfg.steps);
    }
    let _ = plot_loss(out, &metrics.rows, None);
    let wall_seconds = state.wall_seconds + session_start.elapsed().as_secs_f64();
    Ok(TrainSummary {
        run_dir: out.to_path_buf(),
        steps: state.step,
        best_val_nll: state.best_val_nll,
        best_step: state.best_step,
        final_val_nll: Some(last_val.nll),
        initial_val_nll: state.initial_val_nll,
        baseline_val_nll: initial.nll,
        wall_seconds,
        pairs_per_s: session_frames as f64 / session_seconds.max(1e-9),
        train_pairs,
        val_pairs,
        num_params,
        stopped_early: false,
        resumed_from,
        initial_val_acceptance: Some(initial.acceptance),
        final_val_acceptance: Some(last_val.acceptance),
    })
}
