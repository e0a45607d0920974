//! ESS of AR(1) series against the closed form, and TICA recovering a planted slow mode.

#![allow(clippy::needless_range_loop)]

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use timewarp_analysis::autocorr::{autocorrelation, combined_ess, effective_sample_size};
use timewarp_analysis::features::FeatureMatrix;
use timewarp_analysis::tica::{Tica, TicaOptions};

/// x_t = ρ x_{t−1} + √(1−ρ²) ε_t, started in equilibrium.
fn ar1(rho: f64, n: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let s = (1.0 - rho * rho).sqrt();
    let mut x: f64 = StandardNormal.sample(rng);
    (0..n)
        .map(|_| {
            let e: f64 = StandardNormal.sample(rng);
            x = rho * x + s * e;
            x
        })
        .collect()
}

#[test]
fn ess_of_ar1_matches_closed_form() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for rho in [0.0, 0.5, 0.9, 0.97] {
        let n = 200_000;
        let x = ar1(rho, n, &mut rng);
        let e = effective_sample_size(&x);
        let tau = (1.0 + rho) / (1.0 - rho);
        // Truncating at the first non-positive ρ_k biases τ slightly low and adds noise of
        // order τ √(2k₀/N); 8 % covers both at N = 2·10⁵.
        assert!(
            (e.tau_int - tau).abs() / tau < 0.08,
            "ρ = {rho}: τ = {} vs {tau}",
            e.tau_int
        );
        assert!((e.ess - n as f64 / tau).abs() / (n as f64 / tau) < 0.08);
        // The autocorrelation itself: ρ_k ≈ ρ^k.
        let acf = autocorrelation(&x);
        for k in 1..4 {
            assert!(
                (acf[k] - rho.powi(k as i32)).abs() < 0.02,
                "ρ_{k} = {} vs {}",
                acf[k],
                rho.powi(k as i32)
            );
        }
    }
}

#[test]
fn independent_chains_add_their_ess() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let a = ar1(0.8, 50_000, &mut rng);
    let b = ar1(0.8, 50_000, &mut rng);
    let c = combined_ess(&[&a, &b]);
    let sum = effective_sample_size(&a).ess + effective_sample_size(&b).ess;
    assert!((c.ess - sum).abs() < 1e-9);
    assert_eq!(c.n, 100_000);
    assert!((c.tau_int - 9.0).abs() / 9.0 < 0.1, "τ = {}", c.tau_int);
}

#[test]
fn tica_recovers_a_planted_slow_mode() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let n = 40_000;
    // Latent processes: one slow (ρ = 0.995), one medium (0.9), three fast (white noise),
    // with *larger* variance on the fast ones so that PCA would pick those instead.
    let slow = ar1(0.995, n, &mut rng);
    let medium = ar1(0.9, n, &mut rng);
    let fast: Vec<Vec<f64>> = (0..3).map(|_| ar1(0.0, n, &mut rng)).collect();
    let latent = |t: usize| {
        [
            slow[t],
            medium[t],
            3.0 * fast[0][t],
            3.0 * fast[1][t],
            3.0 * fast[2][t],
        ]
    };
    // Mix into 5 observed features with a fixed well-conditioned matrix, plus offsets.
    let mix = [
        [1.0, 0.3, 0.5, -0.2, 0.1],
        [-0.4, 1.0, 0.2, 0.6, -0.3],
        [0.2, -0.5, 1.0, 0.1, 0.4],
        [0.6, 0.2, -0.3, 1.0, 0.2],
        [-0.1, 0.4, 0.3, -0.5, 1.0],
    ];
    let mut data = Vec::with_capacity(n * 5);
    for t in 0..n {
        let z = latent(t);
        for (i, row) in mix.iter().enumerate() {
            data.push(10.0 * i as f64 + row.iter().zip(&z).map(|(m, v)| m * v).sum::<f64>());
        }
    }
    let fm = FeatureMatrix {
        n_frames: n,
        n_features: 5,
        data,
        names: (0..5).map(|i| format!("x{i}")).collect(),
    };
    let lag = 10;
    let model = Tica::fit(
        &[&fm],
        TicaOptions {
            lag,
            epsilon: 1e-8,
            dim: None,
        },
    )
    .unwrap();
    // Eigenvalues: ρ^τ of each latent process.
    assert!(
        (model.eigenvalues[0] - 0.995f64.powi(lag as i32)).abs() < 0.03,
        "{:?}",
        model.eigenvalues
    );
    assert!(
        (model.eigenvalues[1] - 0.9f64.powi(lag as i32)).abs() < 0.05,
        "{:?}",
        model.eigenvalues
    );
    assert!(model.eigenvalues[2].abs() < 0.05);
    // TIC0 is the slow process (up to sign), TIC1 the medium one.
    let y = model.transform(&fm, 2).unwrap();
    let corr = |k: usize, z: &[f64]| {
        let a: Vec<f64> = y.chunks_exact(2).map(|r| r[k]).collect();
        let (ma, mz) = (
            a.iter().sum::<f64>() / n as f64,
            z.iter().sum::<f64>() / n as f64,
        );
        let cov: f64 = a.iter().zip(z).map(|(p, q)| (p - ma) * (q - mz)).sum();
        let va: f64 = a.iter().map(|p| (p - ma).powi(2)).sum();
        let vz: f64 = z.iter().map(|q| (q - mz).powi(2)).sum();
        cov / (va * vz).sqrt()
    };
    assert!(
        corr(0, &slow).abs() > 0.99,
        "corr(TIC0, slow) = {}",
        corr(0, &slow)
    );
    assert!(
        corr(1, &medium).abs() > 0.97,
        "corr(TIC1, medium) = {}",
        corr(1, &medium)
    );
    // Unit variance under C0, implied timescale of TIC0 ≈ −1/ln 0.995 ≈ 200 frames.
    let var0 = y.chunks_exact(2).map(|r| r[0] * r[0]).sum::<f64>() / n as f64;
    assert!((var0 - 1.0).abs() < 0.05, "var = {var0}");
    let ts = model.timescales()[0];
    assert!((ts - 199.5).abs() / 199.5 < 0.35, "t0 = {ts}");
    // Components come with a fixed sign and sums in a fixed order: refitting, on any number of
    // threads, gives the same model bit for bit.
    for threads in [1, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let again = pool.install(|| {
            Tica::fit(
                &[&fm],
                TicaOptions {
                    lag,
                    epsilon: 1e-8,
                    dim: None,
                },
            )
            .unwrap()
        });
        assert_eq!(again, model, "{threads} threads");
    }
}

#[test]
fn tica_rejects_bad_input() {
    let fm = FeatureMatrix {
        n_frames: 5,
        n_features: 1,
        data: vec![1.0, 2.0, 3.0, 4.0, 5.0],
        names: vec!["x".into()],
    };
    assert!(Tica::fit(
        &[&fm],
        TicaOptions {
            lag: 10,
            ..Default::default()
        }
    )
    .is_err());
    assert!(Tica::fit(
        &[&fm],
        TicaOptions {
            lag: 0,
            ..Default::default()
        }
    )
    .is_err());
    let flat = FeatureMatrix {
        n_frames: 50,
        n_features: 1,
        data: vec![1.0; 50],
        names: vec!["x".into()],
    };
    assert!(Tica::fit(
        &[&flat],
        TicaOptions {
            lag: 1,
            ..Default::default()
        }
    )
    .is_err());
}
