//! Sampler throughput with a randomly initialised flow of a preset on a PDB:
//! `cargo run --release -p timewarp-sample --example bench_sampler -- PRESET PDB [B ...]`
//! (e.g. `demo ../shared/testdata/ala2.pdb 1 10 100`). Weights are random, so acceptance is
//! meaningless; the timings are those of a trained model of the same size.

use burn::backend::NdArray;
use timewarp_flow::{preset, save_checkpoint, TimewarpFlow};
use timewarp_sample::{bench_sampler, BenchConfig, ProposalSource};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(name), Some(pdb)) = (args.first(), args.get(1)) else {
        return Err("usage: bench_sampler PRESET PDB [B ...]".into());
    };
    let cfg = preset(name).ok_or_else(|| format!("unknown preset {name}"))?;
    let proposals: Vec<usize> = if args.len() > 2 {
        args[2..]
            .iter()
            .map(|a| a.parse())
            .collect::<Result<_, _>>()?
    } else {
        vec![1, 10, 100]
    };
    let dir = std::env::temp_dir().join(format!("timewarp-bench-{name}-{}", std::process::id()));
    save_checkpoint(
        &dir,
        &TimewarpFlow::<NdArray<f32>>::new(&cfg, &Default::default()),
        &cfg,
    )?;
    let bench = BenchConfig {
        proposals,
        iterations: 30,
        warmup: 1,
        ..BenchConfig::default()
    };
    let table = bench_sampler(
        &bench,
        &ProposalSource::Flow { model: dir.clone() },
        std::path::Path::new(pdb),
    )?;
    print!("{table}");
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
