//! Training-step throughput on the CPU: one optimiser step (batch assembly, augmentation,
//! forward, backward, clipping, Adam) of the `tiny` and `demo` presets on a synthetic
//! alanine-dipeptide-sized trajectory. `cargo bench -p timewarp-train`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use timewarp_flow::TimewarpFlow;
use timewarp_train::dataset::epoch_batches;
use timewarp_train::optim::Optim;
use timewarp_train::synthetic::{ou_trajectory, ALANINE_DIPEPTIDE};
use timewarp_train::trainer::{Learner, PreparedData};
use timewarp_train::{CpuBackend, TrainConfig};

fn bench_steps(c: &mut Criterion) {
    let mut group = c.benchmark_group("train_step");
    group.sample_size(10);
    for (preset, batch) in [("tiny", 32usize), ("demo", 32)] {
        let cfg = TrainConfig {
            preset: preset.into(),
            batch,
            lag_steps: 1,
            ..TrainConfig::default()
        };
        let traj = ou_trajectory("ala2-like", &ALANINE_DIPEPTIDE, 1024, 1, 0.05, 0.9, 0);
        let mut data = PreparedData::from_memory(&cfg, vec![traj]).unwrap();
        let device = Default::default();
        let model: TimewarpFlow<CpuBackend> =
            TimewarpFlow::try_new(&cfg.flow_config().unwrap(), 0, &device).unwrap();
        let mut learner = Learner::new(model, Optim::new(), ChaCha8Rng::seed_from_u64(0));
        let batches = epoch_batches(&data.train, &data.dataset.trajectories, batch, 0, 0);
        let mut k = 0usize;
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_function(format!("{preset}/batch{batch}/22atoms"), |b| {
            b.iter(|| {
                let refs = &batches[k % batches.len()];
                k += 1;
                learner
                    .step(&cfg, &mut data, refs, 1e-4, k as u64, &device)
                    .unwrap();
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_steps);
criterion_main!(benches);
