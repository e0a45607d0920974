//! A one-atom toy system with a known Boltzmann distribution, and a chi-square test.
#![allow(dead_code)]

pub mod chain;

use timewarp_ff::constants::BOLTZ;
use timewarp_ff::Potential;

pub const TEMPERATURE: f64 = 310.0;

pub fn kt() -> f64 {
    BOLTZ * TEMPERATURE
}

/// U(x)/kT = h (x₀² − 1)² + ½ (x₁² + x₂²)/s²: a symmetric double well along x₀ with a barrier
/// of h kT, harmonic across (x in nm).
#[derive(Debug, Clone, Copy)]
pub struct DoubleWell {
    pub h: f64,
    pub s: f64,
}

impl Potential for DoubleWell {
    fn n_atoms(&self) -> usize {
        1
    }

    fn energy_forces(&self, x: &[[f64; 3]], f: &mut [[f64; 3]]) -> f64 {
        let kt = kt();
        let [a, b, c] = x[0];
        let q = a * a - 1.0;
        let s2 = self.s * self.s;
        f[0] = [-kt * self.h * 4.0 * a * q, -kt * b / s2, -kt * c / s2];
        kt * (self.h * q * q + 0.5 * (b * b + c * c) / s2)
    }
}

/// Probability of each of `bins` equal bins on [lo, hi] under the x₀ marginal
/// p(x₀) ∝ exp(−h (x₀² − 1)²) (Simpson's rule; the mass outside [lo, hi] is negligible).
pub fn double_well_bin_probabilities(h: f64, lo: f64, hi: f64, bins: usize) -> Vec<f64> {
    let density = |x: f64| (-h * (x * x - 1.0).powi(2)).exp();
    let simpson = |a: f64, b: f64| {
        let m = 200;
        let dx = (b - a) / m as f64;
        let mut s = density(a) + density(b);
        for i in 1..m {
            s += density(a + i as f64 * dx) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        s * dx / 3.0
    };
    let w = (hi - lo) / bins as f64;
    let mass: Vec<f64> = (0..bins)
        .map(|i| simpson(lo + i as f64 * w, lo + (i + 1) as f64 * w))
        .collect();
    let z: f64 = mass.iter().sum();
    mass.iter().map(|m| m / z).collect()
}

/// Histogram of `samples` in `bins` equal bins on [lo, hi]; values outside go to the end bins.
pub fn histogram(samples: &[f64], lo: f64, hi: f64, bins: usize) -> Vec<f64> {
    let mut h = vec![0.0; bins];
    for &s in samples {
        let i = (((s - lo) / (hi - lo)) * bins as f64)
            .floor()
            .clamp(0.0, bins as f64 - 1.0) as usize;
        h[i] += 1.0;
    }
    h
}

/// Fewest expected counts per pooled bin of [`chi_square`] (Cochran's rule).
pub const MIN_EXPECTED: f64 = 5.0;

/// Pearson's chi-square statistic of observed counts against expected probabilities, adjacent
/// bins pooled until each holds at least [`MIN_EXPECTED`] expected counts: a tail bin expecting
/// 0.05 counts adds 20 for a single sample, which makes the statistic heavy-tailed rather than
/// χ²-distributed. Pooling lowers the degrees of freedom, so comparing with the unpooled
/// critical value is conservative.
pub fn chi_square(observed: &[f64], p: &[f64]) -> f64 {
    let n: f64 = observed.iter().sum();
    let mut pooled: Vec<(f64, f64)> = Vec::new();
    let (mut o_acc, mut e_acc) = (0.0, 0.0);
    for (o, p) in observed.iter().zip(p) {
        o_acc += o;
        e_acc += n * p;
        if e_acc >= MIN_EXPECTED {
            pooled.push((o_acc, e_acc));
            (o_acc, e_acc) = (0.0, 0.0);
        }
    }
    match pooled.last_mut() {
        Some(last) => {
            last.0 += o_acc;
            last.1 += e_acc;
        }
        None => pooled.push((o_acc, e_acc)),
    }
    pooled.iter().map(|(o, e)| (o - e).powi(2) / e).sum()
}

/// Upper α-quantile of the chi-square distribution with `dof` degrees of freedom
/// (Wilson–Hilferty: χ² ≈ k (1 − 2/(9k) + z √(2/(9k)))³), `z` the standard normal quantile.
pub fn chi_square_quantile(dof: usize, z: f64) -> f64 {
    let k = dof as f64;
    k * (1.0 - 2.0 / (9.0 * k) + z * (2.0 / (9.0 * k)).sqrt()).powi(3)
}

/// z for α = 10⁻³ (one-sided).
pub const Z_999: f64 = 3.090_232;
