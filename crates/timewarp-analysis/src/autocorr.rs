//! Autocorrelation, integrated autocorrelation time and effective sample size (ESS).
//!
//! The estimator is the one of the official Timewarp analysis (Klein et al. 2023), which uses
//! arviz's autocorrelation: the biased autocovariance
//!
//! ```text
//!     c_k = (1/N) Σ_{t=0}^{N−1−k} (x_t − x̄)(x_{t+k} − x̄),     ρ_k = c_k / c_0,
//! ```
//!
//! an integrated autocorrelation time summed up to (not including) the first lag k₀ with
//! ρ_{k₀} ≤ 0,
//!
//! ```text
//!     τ_int = −1 + 2 Σ_{k=0}^{k₀−1} ρ_k  = 1 + 2 Σ_{k=1}^{k₀−1} ρ_k,
//! ```
//!
//! and ESS = N / τ_int (the official code returns the fraction 1/τ_int and divides by the wall
//! time per sample, which is the same ESS per second as ESS / total wall time).
//! For an AR(1) process x_t = ρ x_{t−1} + ε_t, τ_int = (1 + ρ)/(1 − ρ).

use crate::fft::{fft_in_place, ifft_in_place, Complex};

/// Normalised autocorrelation ρ_k, k = 0…N−1 (ρ_0 = 1), by FFT with zero padding to ≥ 2N.
/// Returns an empty vector for a series shorter than 2 or with zero variance.
pub fn autocorrelation(x: &[f64]) -> Vec<f64> {
    let c = autocovariance(x);
    match c.first() {
        Some(&c0) if c0 > 0.0 && x.len() >= 2 => c.iter().map(|v| v / c0).collect(),
        _ => Vec::new(),
    }
}

/// Biased autocovariance c_k = (1/N) Σ_t (x_t − x̄)(x_{t+k} − x̄), k = 0…N−1.
pub fn autocovariance(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    if n == 0 {
        return Vec::new();
    }
    let mean = x.iter().sum::<f64>() / n as f64;
    let m = (2 * n).next_power_of_two();
    let mut buf: Vec<Complex> = vec![[0.0, 0.0]; m];
    for (b, &v) in buf.iter_mut().zip(x) {
        b[0] = v - mean;
    }
    fft_in_place(&mut buf);
    // Power spectrum |X|², whose inverse transform is the (zero-padded, hence non-circular)
    // autocovariance sum (Wiener–Khinchin).
    for b in buf.iter_mut() {
        *b = [b[0] * b[0] + b[1] * b[1], 0.0];
    }
    ifft_in_place(&mut buf);
    buf[..n].iter().map(|c| c[0] / n as f64).collect()
}

/// τ_int = −1 + 2 Σ_{k<k₀} |ρ_k|, k₀ the first lag with ρ ≤ 0 (or the whole series if
/// none is). `acf` must start with ρ_0 = 1. An empty `acf` gives NaN.
pub fn integrated_autocorrelation_time(acf: &[f64]) -> f64 {
    if acf.is_empty() {
        return f64::NAN;
    }
    let k0 = acf.iter().position(|&r| r <= 0.0).unwrap_or(acf.len());
    -1.0 + 2.0 * acf[..k0].iter().map(|r| r.abs()).sum::<f64>()
}

/// Effective sample size of a series, with its length and integrated autocorrelation time.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ess {
    /// Number of samples N.
    pub n: usize,
    /// Integrated autocorrelation time τ_int in samples (N / ESS when chains are combined).
    pub tau_int: f64,
    /// N / τ_int.
    pub ess: f64,
}

impl Ess {
    /// ESS per second of wall time.
    pub fn per_second(&self, wall_seconds: f64) -> Option<f64> {
        (wall_seconds > 0.0 && wall_seconds.is_finite()).then(|| self.ess / wall_seconds)
    }
}

/// ESS of one chain. A chain that never moves (zero variance) counts as one sample
/// (τ_int = N): a stuck sampler has produced one independent configuration.
pub fn effective_sample_size(x: &[f64]) -> Ess {
    let n = x.len();
    let acf = autocorrelation(x);
    if acf.is_empty() {
        return Ess {
            n,
            tau_int: n as f64,
            ess: n.min(1) as f64,
        };
    }
    let tau = integrated_autocorrelation_time(&acf);
    Ess {
        n,
        tau_int: tau,
        ess: n as f64 / tau,
    }
}

/// ESS of independent chains of the same observable: ESS = Σ_c ESS_c, τ_int = N / ESS.
pub fn combined_ess(chains: &[&[f64]]) -> Ess {
    let (mut n, mut ess) = (0usize, 0.0);
    for c in chains {
        let e = effective_sample_size(c);
        n += e.n;
        ess += e.ess;
    }
    let tau_int = if ess > 0.0 { n as f64 / ess } else { f64::NAN };
    Ess { n, tau_int, ess }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autocovariance_matches_direct_sum() {
        let x: Vec<f64> = (0..37)
            .map(|i| ((i * 13) % 7) as f64 + 0.1 * i as f64)
            .collect();
        let n = x.len();
        let mean = x.iter().sum::<f64>() / n as f64;
        let c = autocovariance(&x);
        for k in 0..n {
            let direct: f64 = (0..n - k)
                .map(|t| (x[t] - mean) * (x[t + k] - mean))
                .sum::<f64>()
                / n as f64;
            assert!((c[k] - direct).abs() < 1e-10, "lag {k}");
        }
        assert_eq!(autocorrelation(&x)[0], 1.0);
    }

    #[test]
    fn truncation_at_first_non_positive_lag() {
        // ρ = 1, 0.5, 0.25, −0.1, 0.3 → τ = −1 + 2(1.75) = 2.5 (the 0.3 after the sign
        // change is ignored).
        assert!(
            (integrated_autocorrelation_time(&[1.0, 0.5, 0.25, -0.1, 0.3]) - 2.5).abs() < 1e-15
        );
        // White-noise-like: ρ_1 ≤ 0 → τ = 1.
        assert_eq!(integrated_autocorrelation_time(&[1.0, 0.0, 0.2]), 1.0);
        // No sign change: the whole series counts.
        assert!((integrated_autocorrelation_time(&[1.0, 0.5]) - 2.0).abs() < 1e-15);
    }

    #[test]
    fn stuck_chain_is_one_sample() {
        let e = effective_sample_size(&[2.0; 10]);
        assert_eq!(e.ess, 1.0);
        assert_eq!(e.tau_int, 10.0);
        assert_eq!(effective_sample_size(&[]).ess, 0.0);
        assert_eq!(e.per_second(0.0), None);
        assert_eq!(e.per_second(2.0), Some(0.5));
    }
}
