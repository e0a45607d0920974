//! Throughput of the heavy parts of `analyze` on realistic sizes:
//! autocorrelation of a 10⁶-frame series, TICA on tetrapeptide-sized features
//! (30 heavy atoms → 435 distances + 18 sin/cos), and the official missed-state distance.

use criterion::{criterion_group, criterion_main, Criterion};
use timewarp_analysis::autocorr::effective_sample_size;
use timewarp_analysis::coverage::max_min_distance;
use timewarp_analysis::features::FeatureMatrix;
use timewarp_analysis::linalg::{symmetric_eigen, Matrix};
use timewarp_analysis::tica::{Tica, TicaOptions};

/// Deterministic pseudo-random numbers in [−0.5, 0.5) (SplitMix64).
fn noise(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) as f64 / u64::MAX as f64 - 0.5
        })
        .collect()
}

fn ar1(n: usize, rho: f64, seed: u64) -> Vec<f64> {
    let e = noise(n, seed);
    let mut x = 0.0;
    e.iter()
        .map(|v| {
            x = rho * x + v;
            x
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let series = ar1(1_000_000, 0.99, 1);
    c.bench_function("ess_1e6_frames", |b| {
        b.iter(|| effective_sample_size(&series))
    });

    let d = 453;
    let mut a = Matrix::zeros(d);
    let r = noise(d * d, 5);
    for i in 0..d {
        for j in 0..=i {
            a.set(i, j, r[i * d + j]);
            a.set(j, i, r[i * d + j]);
        }
    }
    let mut g = c.benchmark_group("eigen");
    g.sample_size(10);
    g.bench_function("symmetric_eigen_453", |b| b.iter(|| symmetric_eigen(&a)));
    g.finish();

    let n = 20_000;
    let data = noise(n * d, 2);
    let fm = FeatureMatrix {
        n_frames: n,
        n_features: d,
        data,
        names: vec![String::new(); d],
    };
    let mut g = c.benchmark_group("tica");
    g.sample_size(10);
    g.bench_function("fit_20k_frames_453_features", |b| {
        b.iter(|| {
            Tica::fit(
                &[&fm],
                TicaOptions {
                    lag: 10,
                    ..Default::default()
                },
            )
            .unwrap()
        })
    });
    g.finish();

    let pts = |seed| -> Vec<[f64; 2]> {
        noise(2 * 200_000, seed)
            .chunks_exact(2)
            .map(|c| [c[0], c[1]])
            .collect()
    };
    let (md, sm) = (pts(3), pts(4));
    let mut g = c.benchmark_group("coverage");
    g.sample_size(10);
    g.bench_function("max_min_distance_2e5_vs_2e5_stride10", |b| {
        b.iter(|| max_min_distance(&md, &sm, 10))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
