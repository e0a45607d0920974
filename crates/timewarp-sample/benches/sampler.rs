//! Sampler throughput: one MH iteration (B flow proposals, reverse densities, B energies) with
//! random `demo`/`tiny` flows on alanine dipeptide, and the MH bookkeeping alone on a toy kernel.

use std::path::Path;

use burn::backend::NdArray;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use timewarp_ff::{ForceField, SystemOptions};
use timewarp_flow::{preset, TimewarpFlow};
use timewarp_mol::read_pdb;
use timewarp_sample::kernel::gaussian::GaussianRandomWalk;
use timewarp_sample::mh::beta;
use timewarp_sample::{AcceptanceRule, ChiralityGuard, FlowProposal, Sampler, VelocityRefresh};

fn rule(proposals: usize) -> AcceptanceRule {
    AcceptanceRule::Metropolis {
        proposals,
        adaptive: false,
        target_at_least_one: 0.9,
        smoothing: 0.01,
        velocity_refresh: VelocityRefresh::PerProposal,
    }
}

fn flow_iteration(c: &mut Criterion) {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/ala2.pdb"
    ));
    let Ok(pdb) = read_pdb(path) else { return };
    let system = ForceField::amber14()
        .create_system(&pdb.topology, &SystemOptions::default())
        .unwrap();
    let x = pdb.positions();
    let e0 = system.energy(x);
    let mut group = c.benchmark_group("mh_iteration_ala2");
    group.sample_size(10);
    for name in ["tiny", "demo"] {
        let cfg = preset(name).unwrap();
        let flow = TimewarpFlow::<NdArray<f32>>::new(&cfg, &Default::default());
        let mut kernel = FlowProposal::new(flow, &pdb.topology, Default::default()).unwrap();
        for b in [10, 100] {
            let guard = ChiralityGuard::for_topology(&pdb.topology, x);
            let mut s = Sampler::new(x, e0, 1, 0, rule(b), beta(310.0), guard).unwrap();
            group.bench_with_input(BenchmarkId::new(name, b), &b, |bench, _| {
                bench.iter(|| {
                    s.iterate(&mut kernel, &system, u64::MAX, &mut |_| {})
                        .unwrap()
                })
            });
        }
    }
    group.finish();
}

struct Quadratic;
impl timewarp_ff::Potential for Quadratic {
    fn n_atoms(&self) -> usize {
        22
    }
    fn energy_forces(&self, x: &[[f64; 3]], f: &mut [[f64; 3]]) -> f64 {
        let mut e = 0.0;
        for (xi, fi) in x.iter().zip(f.iter_mut()) {
            *fi = xi.map(|c| -c);
            e += 0.5 * (xi[0] * xi[0] + xi[1] * xi[1] + xi[2] * xi[2]);
        }
        e
    }
}

fn bookkeeping(c: &mut Criterion) {
    let x = vec![[0.0; 3]; 22];
    let mut kernel = GaussianRandomWalk {
        n_atoms: 22,
        sigma: 0.05,
    };
    let energy = timewarp_sample::PotentialBatch(&Quadratic);
    let mut s = Sampler::new(
        &x,
        0.0,
        8,
        0,
        rule(100),
        beta(310.0),
        ChiralityGuard::disabled(),
    )
    .unwrap();
    c.bench_function("mh_iteration_toy_8x100_proposals_22_atoms", |b| {
        b.iter(|| {
            s.iterate(&mut kernel, &energy, u64::MAX, &mut |_| {})
                .unwrap()
        })
    });
}

criterion_group!(benches, flow_iteration, bookkeeping);
criterion_main!(benches);
