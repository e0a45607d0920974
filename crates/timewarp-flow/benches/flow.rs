//! Throughput of the flow on CPU (burn NdArray, f32) for alanine dipeptide (22 atoms):
//! log p(y | x) and sampling, for the official `ad` model size and the `demo` preset, at
//! batch 256. Criterion reports pairs/s as elements/s.
//!
//! `cargo bench -p timewarp-flow --bench flow`

use std::hint::black_box;
use std::time::Duration;

use burn::backend::NdArray;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde_json::Value;
use timewarp_flow::{preset, FlowBatch, PairExample, TimewarpFlow};

type B = NdArray<f32>;

const BATCH: usize = 256;

/// Alanine dipeptide (atom types, PDB coordinates in nm) from the parity fixture.
fn alanine_dipeptide() -> (Vec<i64>, Vec<[f64; 3]>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/parity/fixture_small.json"
    );
    let fixture: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("parity fixture")).unwrap();
    let molecule = &fixture["molecule"];
    let types = molecule["atom_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_i64().unwrap())
        .collect();
    let coords = molecule["pdb_coords_nm"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| std::array::from_fn(|k| p[k].as_f64().unwrap()))
        .collect();
    (types, coords)
}

/// BATCH noisy copies of the molecule: x = PDB + 0.02 nm noise, y = x + 0.03 nm noise,
/// velocities ~ N(0, 1).
fn pair_batch(device: &burn::tensor::Device<B>) -> FlowBatch<B> {
    let (types, coords) = alanine_dipeptide();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut noisy = |base: &[[f64; 3]], scale: f64| -> Vec<[f64; 3]> {
        base.iter()
            .map(|p| std::array::from_fn(|k| p[k] + scale * rng.sample::<f64, _>(StandardNormal)))
            .collect()
    };
    let zero = vec![[0.0; 3]; coords.len()];
    let states: Vec<[Vec<[f64; 3]>; 4]> = (0..BATCH)
        .map(|_| {
            let x = noisy(&coords, 0.02);
            let y = noisy(&x, 0.03);
            [x, noisy(&zero, 1.0), y, noisy(&zero, 1.0)]
        })
        .collect();
    let pairs: Vec<PairExample<'_>> = states
        .iter()
        .map(|[x, xv, y, yv]| PairExample {
            atom_types: &types,
            x_coords: x,
            x_velocs: xv,
            y_coords: y,
            y_velocs: yv,
        })
        .collect();
    FlowBatch::from_examples(&pairs, None, device).unwrap()
}

fn bench_preset(c: &mut Criterion, name: &str, measurement: Duration) {
    let device = Default::default();
    let model = TimewarpFlow::<B>::new(&preset(name).unwrap(), &device);
    let batch = pair_batch(&device);
    let cond = batch.condition();
    let mut group = c.benchmark_group(format!("{name} (22 atoms, batch {BATCH})"));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(measurement);
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("log_prob", |b| {
        b.iter(|| black_box(model.log_prob(&batch).into_data()))
    });
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    group.bench_function("sample", |b| {
        b.iter(|| black_box(model.sample(&cond, &mut rng).log_prob.into_data()))
    });
    group.finish();
}

fn flow_benches(c: &mut Criterion) {
    bench_preset(c, "demo", Duration::from_secs(5));
    bench_preset(c, "ad", Duration::from_secs(20));
}

criterion_group!(benches, flow_benches);
criterion_main!(benches);
