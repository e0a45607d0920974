//! `timewarp bench`: one table of this machine's throughput — force field (single and batched),
//! MD steps, flow training and MCMC proposals — with warm-up excluded and first-step time shown.

use crate::config::ForceFieldSettings;
use anyhow::{Context, Result};
use rand::SeedableRng;
use std::path::PathBuf;
use std::time::Instant;
use timewarp_ff::Potential;
use timewarp_md::{LangevinMiddle, LangevinMiddleIntegrator, MdState};
use timewarp_sample::ModelDevice;

#[derive(clap::Args)]
pub struct Args {
    /// Structure to benchmark (PDB).
    #[arg(long)]
    pdb: PathBuf,
    /// A trained model (run folder / checkpoint): adds the MCMC proposal rows.
    #[arg(long)]
    model: Option<PathBuf>,
    /// A fitted internal-coordinate kernel (`timewarp fit`): adds its MCMC rows, on one thread
    /// and on all.
    #[arg(long)]
    kernel: Option<PathBuf>,
    /// Model preset for the training row (tiny, demo, ad, 2aa); `none` skips it.
    #[arg(long, default_value = "demo")]
    preset: String,
    /// Training batch size.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// Trajectory folder for the training row (default: synthetic alanine-dipeptide-sized data).
    #[arg(long)]
    data: Vec<PathBuf>,
    /// Proposal batch sizes B for the sampler rows.
    #[arg(long, value_delimiter = ',', default_value = "1,10,100")]
    proposals: Vec<usize>,
    /// cpu or cuda (flow rows).
    #[arg(long, default_value = "cpu")]
    device: ModelDevice,
    /// Seconds per measurement (roughly).
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
}

/// Calls `f` repeatedly for about `seconds` after one warm-up call; returns calls per second.
fn rate(seconds: f64, mut f: impl FnMut()) -> f64 {
    f();
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        f();
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

pub fn main(args: Args, _quiet: bool) -> Result<()> {
    let pdb = timewarp_mol::pdb::read_pdb(&args.pdb)?;
    let x0 = pdb.models[0].clone();
    let system = ForceFieldSettings::default().system(&pdb.topology, &args.pdb)?;
    let n = system.n_atoms();
    let threads = rayon::current_num_threads();
    println!(
        "timewarp bench: {} ({n} atoms), amber14-obc1 + 2.0 nm cutoff, {threads} threads",
        args.pdb.display()
    );
    println!("{:<44} {:>14} {:>12}", "what", "rate", "unit");

    let mut forces = vec![[0.0; 3]; n];
    let r = rate(args.seconds, || {
        system.energy_forces(&x0, &mut forces);
    });
    println!(
        "{:<44} {:>14.0} {:>12}",
        "energy+forces, one conformation, 1 thread", r, "evals/s"
    );

    let batch = 256;
    let confs: Vec<[f64; 3]> = (0..batch).flat_map(|_| x0.iter().copied()).collect();
    let mut bforces = vec![[0.0; 3]; batch * n];
    let mut energies = vec![0.0; batch];
    let r = rate(args.seconds, || {
        system.energy_forces_batch(&confs, Some(&mut bforces), &mut energies)
    });
    println!(
        "{:<44} {:>14.0} {:>12}",
        format!("energy+forces, batch of {batch}, {threads} threads"),
        r * batch as f64,
        "evals/s"
    );

    let params = LangevinMiddle {
        temperature_k: 310.0,
        friction_per_ps: 0.3,
        dt_ps: 0.0005,
    };
    let integrator = LangevinMiddleIntegrator::new(params, system.masses(), true)?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let mut v0 = vec![[0.0; 3]; n];
    timewarp_md::velocities::maxwell_boltzmann(system.masses(), 310.0, true, &mut rng, &mut v0);
    let mut state = MdState::new(&system, x0.clone(), v0)?;
    let r = rate(args.seconds, || {
        for _ in 0..100 {
            integrator.step(&system, &mut state, &mut rng);
        }
    });
    println!(
        "{:<44} {:>14.0} {:>12}",
        "LangevinMiddle MD, 1 thread",
        r * 100.0,
        "steps/s"
    );

    if args.preset != "none" {
        let cfg = timewarp_train::TrainConfig {
            preset: args.preset.clone(),
            batch: args.batch,
            ..Default::default()
        };
        let device = args.device;
        let (warmup, timed) = if device == timewarp_train::ModelDevice::Cuda {
            (5, 20)
        } else {
            (2, 5)
        };
        let b = timewarp_train::bench_train_on_device(&cfg, &args.data, warmup, timed, device)?;
        println!(
            "{:<44} {:>14.1} {:>12}",
            format!(
                "training, preset {} ({} params), batch {}",
                b.preset, b.num_params, b.batch
            ),
            b.pairs_per_s,
            "pairs/s"
        );
        println!(
            "{:<44} {:>14.2} {:>12}",
            "  first training step", b.first_step_s, "s"
        );
    }

    if let Some(model) = &args.model {
        let cfg = timewarp_sample::BenchConfig {
            proposals: args.proposals.clone(),
            device: args.device,
            ..Default::default()
        };
        let source = timewarp_sample::ProposalSource::Flow {
            model: model.clone(),
        };
        let table = timewarp_sample::bench_sampler(&cfg, &source, &args.pdb)
            .with_context(|| format!("cannot benchmark the sampler with {}", model.display()))?;
        println!("\nMCMC proposals (flow + batched force field):\n{table}");
    }
    if let Some(kernel) = &args.kernel {
        // B = 1 and one chain (the fitted kernel's default), then as many chains as threads.
        let source = timewarp_sample::ProposalSource::Fitted {
            kernel: kernel.clone(),
        };
        let run = |chains: usize| {
            let cfg = timewarp_sample::BenchConfig {
                proposals: vec![1],
                chains,
                iterations: 20_000 / chains as u64,
                ..Default::default()
            };
            timewarp_sample::bench_sampler(&cfg, &source, &args.pdb)
                .with_context(|| format!("cannot benchmark the sampler with {}", kernel.display()))
        };
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()?
            .install(|| run(1))?;
        println!("\nMCMC proposals (fitted internal-coordinate kernel + force field), one thread:\n{one}");
        let all = run(threads)?;
        println!("MCMC proposals, {threads} chains on {threads} threads:\n{all}");
    }
    Ok(())
}
