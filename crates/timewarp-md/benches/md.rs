//! Steps per second of LangevinMiddle MD on the Timewarp protocol force field (amber14 +
//! GB-OBC1, 2 nm cutoff): one replica on one thread, and one replica per core in parallel.
//!
//! `cargo bench -p timewarp-md --bench md`. Criterion reports time per batch of STEPS steps;
//! steps/s = STEPS / time (its "thrpt" column, in elements/s).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rayon::prelude::*;
use std::path::Path;
use timewarp_ff::{ForceField, System, SystemOptions};
use timewarp_md::integrator::{LangevinMiddleIntegrator, MdState};
use timewarp_md::minimize::{minimize, MinimizeOptions};
use timewarp_md::replicas::replica_rng;
use timewarp_md::velocities::maxwell_boltzmann;
use timewarp_md::MdConfig;

const STEPS: u64 = 2000;

fn prepare(pdb_name: &str) -> (System, MdState, LangevinMiddleIntegrator) {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata"
    ))
    .join(pdb_name);
    let pdb = timewarp_mol::read_pdb(&path).unwrap();
    let system = ForceField::amber14()
        .create_system(&pdb.topology, &SystemOptions::default())
        .unwrap();
    let cfg = MdConfig::default();
    let masses = system.masses().to_vec();
    let mut x = pdb.models[0].clone();
    minimize(&system, &mut x, &MinimizeOptions::default()).unwrap();
    let mut v = vec![[0.0; 3]; masses.len()];
    maxwell_boltzmann(
        &masses,
        cfg.temperature_k,
        true,
        &mut replica_rng(1, 0),
        &mut v,
    );
    let state = MdState::new(&system, x, v).unwrap();
    let integ = LangevinMiddleIntegrator::new(cfg.integrator(), &masses, true).unwrap();
    (system, state, integ)
}

fn bench_md(c: &mut Criterion) {
    for name in ["ala2.pdb", "ace_ala3_nme.pdb"] {
        let (system, state, integ) = prepare(name);
        let mut group = c.benchmark_group(format!("md_{}", name.trim_end_matches(".pdb")));
        group.sample_size(10);

        group.throughput(Throughput::Elements(STEPS));
        let mut s = state.clone();
        let mut rng = replica_rng(1, 0);
        group.bench_function("1_thread", |b| {
            b.iter(|| {
                for _ in 0..STEPS {
                    integ.step(&system, &mut s, &mut rng);
                }
            })
        });

        let cores = rayon::current_num_threads();
        group.throughput(Throughput::Elements(STEPS * cores as u64));
        let mut replicas: Vec<_> = (0..cores)
            .map(|r| (state.clone(), replica_rng(1, r)))
            .collect();
        group.bench_function(format!("{cores}_replicas_parallel"), |b| {
            b.iter(|| {
                replicas.par_iter_mut().for_each(|(s, rng)| {
                    for _ in 0..STEPS {
                        integ.step(&system, s, rng);
                    }
                })
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench_md);
criterion_main!(benches);
