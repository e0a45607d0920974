//! Throughput of the sampler: iterations/s, proposals/s, and where the time goes (flow vs force
//! field), for several batch sizes B. Called by `timewarp bench`; no files are written.

use std::fmt;
use std::path::Path;
use std::time::Instant;

use burn::tensor::backend::Backend;
use serde::{Deserialize, Serialize};
use timewarp_ff::SystemOptions;

use crate::chirality::ChiralityGuard;
use crate::commands::{flow_kernel, load_molecule, Molecule, ProposalSource};
use crate::config::{ChainSettings, ModelDevice};
use crate::energy::BatchEnergy;
use crate::fitted::{FittedProposal, KernelFile};
use crate::kernel::ProposalKernel;
use crate::mh::{beta, VelocityRefresh};
use crate::sampler::{AcceptanceRule, Sampler};
use crate::SampleError;

/// What to measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BenchConfig {
    /// Batch sizes B to measure (fixed B, exact MH).
    pub proposals: Vec<usize>,
    /// Chains advanced together (each iteration evaluates chains × B proposals).
    pub chains: usize,
    /// Timed proposals per chain and row (iterations = this ÷ B, at least 1), after `warmup`
    /// untimed iterations.
    pub iterations: u64,
    pub warmup: u64,
    pub temperature_k: f64,
    pub forcefield: SystemOptions,
    pub device: ModelDevice,
    pub seed: u64,
}

impl Default for BenchConfig {
    fn default() -> Self {
        BenchConfig {
            proposals: vec![1, 10, 100],
            chains: 1,
            iterations: 300,
            warmup: 1,
            temperature_k: 310.0,
            forcefield: SystemOptions::default(),
            device: ModelDevice::Cpu,
            seed: 0,
        }
    }
}

/// One measured configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchRow {
    pub proposals: usize,
    pub chains: usize,
    pub iterations: u64,
    pub iterations_per_second: f64,
    /// Proposals computed per second (flow sample + reverse density + energy).
    pub proposals_per_second: f64,
    /// Chain steps appended per second (depends on the acceptance rate).
    pub steps_per_second: f64,
    /// Mean wall-clock milliseconds per iteration in the flow and in the energies.
    pub flow_ms: f64,
    pub energy_ms: f64,
    pub acceptance_rate: f64,
}

/// Results of [`bench_sampler`]; `Display` prints a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchTable {
    pub model: String,
    pub molecule: String,
    pub n_atoms: usize,
    pub device: String,
    pub rows: Vec<BenchRow>,
}

impl fmt::Display for BenchTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "sampler: {}, {} ({} atoms), {}",
            self.model, self.molecule, self.n_atoms, self.device
        )?;
        writeln!(
            f,
            "{:>6} {:>6} {:>10} {:>12} {:>10} {:>10} {:>10} {:>8}",
            "B", "chains", "iter/s", "proposals/s", "steps/s", "kernel ms", "energy ms", "accept"
        )?;
        for r in &self.rows {
            writeln!(
                f,
                "{:>6} {:>6} {:>10.2} {:>12.1} {:>10.1} {:>10.2} {:>10.2} {:>8.3}",
                r.proposals,
                r.chains,
                r.iterations_per_second,
                r.proposals_per_second,
                r.steps_per_second,
                r.flow_ms,
                r.energy_ms,
                r.acceptance_rate
            )?;
        }
        Ok(())
    }
}

/// Measures `iterations` MH iterations with `proposals` proposals per chain after `warmup`
/// untimed ones, from `start`.
#[allow(clippy::too_many_arguments)]
pub fn bench_kernel<K, E>(
    kernel: &mut K,
    energy: &E,
    start: &[[f64; 3]],
    guard: ChiralityGuard,
    temperature_k: f64,
    proposals: usize,
    chains: usize,
    warmup: u64,
    iterations: u64,
    seed: u64,
) -> Result<BenchRow, SampleError>
where
    K: ProposalKernel + ?Sized,
    E: BatchEnergy + ?Sized,
{
    let mut e0 = [0.0];
    energy.energies(start, &mut e0);
    let rule = AcceptanceRule::Metropolis {
        proposals,
        adaptive: false,
        target_at_least_one: 0.9,
        smoothing: 0.01,
        velocity_refresh: VelocityRefresh::PerProposal,
    };
    let mut sampler = Sampler::new(start, e0[0], chains, seed, rule, beta(temperature_k), guard)?;
    for _ in 0..warmup {
        sampler.iterate(kernel, energy, u64::MAX, &mut |_| {})?;
    }
    let (timing0, stats0) = (sampler.timing, sampler.total_stats());
    let t0 = Instant::now();
    for _ in 0..iterations {
        sampler.iterate(kernel, energy, u64::MAX, &mut |_| {})?;
    }
    let seconds = t0.elapsed().as_secs_f64().max(1e-12);
    let stats = sampler.total_stats();
    let steps = stats.steps - stats0.steps;
    let accepted = stats.accepted - stats0.accepted;
    let it = iterations.max(1) as f64;
    Ok(BenchRow {
        proposals,
        chains,
        iterations,
        iterations_per_second: iterations as f64 / seconds,
        proposals_per_second: (stats.proposals - stats0.proposals) as f64 / seconds,
        steps_per_second: steps as f64 / seconds,
        flow_ms: 1e3 * (sampler.timing.proposal_seconds - timing0.proposal_seconds) / it,
        energy_ms: 1e3 * (sampler.timing.energy_seconds - timing0.energy_seconds) / it,
        acceptance_rate: if steps == 0 {
            0.0
        } else {
            accepted as f64 / steps as f64
        },
    })
}

/// One row per batch size of `cfg.proposals` with `kernel` on `molecule`.
fn rows<K: ProposalKernel + ?Sized>(
    cfg: &BenchConfig,
    kernel: &mut K,
    molecule: &Molecule,
) -> Result<Vec<BenchRow>, SampleError> {
    cfg.proposals
        .iter()
        .map(|&b| {
            let guard = ChiralityGuard::for_topology(&molecule.topology, &molecule.start);
            let iterations = cfg.iterations.div_ceil(b as u64).max(1);
            bench_kernel(
                kernel,
                &molecule.system,
                &molecule.start,
                guard,
                cfg.temperature_k,
                b,
                cfg.chains,
                cfg.warmup,
                iterations,
                cfg.seed,
            )
        })
        .collect()
}

fn table(what: String, molecule: &Molecule, device: String, rows: Vec<BenchRow>) -> BenchTable {
    BenchTable {
        model: what,
        molecule: molecule.name.clone(),
        n_atoms: molecule.topology.n_atoms(),
        device,
        rows,
    }
}

fn bench_flow_on_backend<B: Backend>(
    cfg: &BenchConfig,
    molecule: &Molecule,
    model: &Path,
    device: B::Device,
    device_name: &str,
) -> Result<BenchTable, SampleError> {
    let mut kernel = flow_kernel::<B>(model, &molecule.topology, device)?;
    let rows = rows(cfg, kernel.as_mut(), molecule)?;
    Ok(table(
        format!("flow {}", model.display()),
        molecule,
        device_name.to_string(),
        rows,
    ))
}

/// Throughput of exact MH sampling with the proposal of `source` on the molecule of `pdb`, one
/// row per batch size of `cfg.proposals`. `cfg.iterations` is divided by B (at least one
/// iteration), so each row draws about the same number of proposals.
pub fn bench_sampler(
    cfg: &BenchConfig,
    source: &ProposalSource,
    pdb: &Path,
) -> Result<BenchTable, SampleError> {
    if cfg.proposals.is_empty() || cfg.proposals.contains(&0) || cfg.chains == 0 {
        return Err(SampleError::Config(
            "bench needs batch sizes ≥ 1 and at least one chain".into(),
        ));
    }
    let settings = ChainSettings {
        temperature_k: cfg.temperature_k,
        forcefield: cfg.forcefield,
        ..ChainSettings::default()
    };
    let threads = rayon::current_num_threads();
    let model = match source {
        ProposalSource::Fitted { kernel } => {
            let molecule = load_molecule(&settings, pdb)?;
            let k = KernelFile::load(kernel)?
                .for_molecule(&molecule.topology, &pdb.display().to_string())?;
            let mut kernel_ = FittedProposal::new(k)?;
            let rows = rows(cfg, &mut kernel_, &molecule)?;
            return Ok(table(
                format!("fitted kernel {}", kernel.display()),
                &molecule,
                format!("cpu, {threads} thread(s)"),
                rows,
            ));
        }
        ProposalSource::Flow { model } => model,
    };
    let molecule = load_molecule(&settings, pdb)?;
    let label = match cfg.device {
        ModelDevice::Cpu => format!("cpu (ndarray f32, {threads} threads)"),
        ModelDevice::Cuda => "cuda (f32)".to_string(),
    };
    crate::on_backend!(
        cfg.device,
        burn::backend::NdArray<f32>,
        burn::backend::Cuda<f32>,
        |B| bench_flow_on_backend::<B>(cfg, &molecule, model, Default::default(), &label),
        else Err(SampleError::Config(ModelDevice::CUDA_NOT_BUILT.into()))
    )
}
