//! Standard errors of time averages of correlated series by blocking (batch means).
//!
//! Method: a fixed number of blocks per trajectory, [`BLOCKS_PER_TRAJECTORY`] = 20 (not a
//! Flyvbjerg–Petersen plateau search). Each trajectory of L frames is cut into
//! b = min(20, L) contiguous blocks of ⌊L/b⌋ or ⌈L/b⌉ frames (no frame dropped); trajectories
//! are never joined, so no block straddles the boundary between two of them. With K blocks in
//! all, block k holding n_k frames with mean m_k, N = Σ n_k and x̄ = Σ n_k m_k / N,
//!
//! ```text
//!     Var(x̄) ≈ K/(K−1) · Σ_k n_k² (m_k − x̄)² / N²,
//! ```
//!
//! which for equal blocks is the textbook Σ (m_k − x̄)² / (K(K−1)). It assumes the block means
//! are independent, i.e. blocks much longer than the integrated autocorrelation time τ_int;
//! blocks of length comparable to τ_int underestimate the error (a chain that crosses a barrier
//! once in its whole length gives an error that is too small, however it is computed).

use serde::{Deserialize, Serialize};

/// Blocks each trajectory is cut into.
pub const BLOCKS_PER_TRAJECTORY: usize = 20;

/// A time average with its blocking standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BlockEstimate {
    pub mean: f64,
    pub stderr: f64,
    /// Number of blocks K the error comes from.
    pub n_blocks: usize,
}

/// Mean and standard error of `values`, which holds trajectories one after the other
/// (`lengths[i]` frames each), by batch means with `blocks_per_trajectory` blocks per
/// trajectory. Non-finite values are left out of their block. `None` with fewer than two
/// non-empty blocks.
pub fn block_estimate(
    values: &[f64],
    lengths: &[usize],
    blocks_per_trajectory: usize,
) -> Option<BlockEstimate> {
    // (n_k, Σ x over block k)
    let mut blocks: Vec<(f64, f64)> = Vec::new();
    let mut start = 0;
    for &len in lengths {
        let end = (start + len).min(values.len());
        let traj = &values[start..end];
        start = end;
        let b = blocks_per_trajectory.max(1).min(traj.len());
        for k in 0..b {
            // Block k covers [k L / b, (k+1) L / b): sizes differ by at most one frame.
            let (lo, hi) = (k * traj.len() / b, (k + 1) * traj.len() / b);
            let (n, sum) = traj[lo..hi]
                .iter()
                .filter(|v| v.is_finite())
                .fold((0.0, 0.0), |(n, s), v| (n + 1.0, s + v));
            if n > 0.0 {
                blocks.push((n, sum));
            }
        }
    }
    let k = blocks.len();
    if k < 2 {
        return None;
    }
    let n_total: f64 = blocks.iter().map(|b| b.0).sum();
    let mean = blocks.iter().map(|b| b.1).sum::<f64>() / n_total;
    let ss: f64 = blocks
        .iter()
        .map(|&(n, s)| (s - n * mean).powi(2)) // n_k² (m_k − x̄)²
        .sum();
    let var = k as f64 / (k as f64 - 1.0) * ss / (n_total * n_total);
    Some(BlockEstimate {
        mean,
        stderr: var.sqrt(),
        n_blocks: k,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, Normal};

    #[test]
    fn equal_blocks_give_the_textbook_batch_means_error() {
        // One trajectory, 4 blocks of 2: means 1, 2, 3, 6 → x̄ = 3, Σ(m − x̄)² = 14,
        // Var = 14 / (4 · 3).
        let x = [1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 5.0, 7.0];
        let e = block_estimate(&x, &[8], 4).unwrap();
        assert!((e.mean - 3.0).abs() < 1e-12);
        assert!((e.stderr - (14.0f64 / 12.0).sqrt()).abs() < 1e-12);
        assert_eq!(e.n_blocks, 4);
        // Constant series: no error; one block: no estimate.
        assert_eq!(block_estimate(&[2.0; 40], &[40], 20).unwrap().stderr, 0.0);
        assert_eq!(block_estimate(&[2.0; 40], &[40], 1), None);
        assert_eq!(block_estimate(&[], &[], 20), None);
    }

    #[test]
    fn blocks_never_straddle_two_trajectories() {
        // Two trajectories of 3 frames, one block each: block means 0 and 1 exactly.
        let e = block_estimate(&[0.0, 0.0, 0.0, 1.0, 1.0, 1.0], &[3, 3], 1).unwrap();
        assert!((e.mean - 0.5).abs() < 1e-15);
        // Var = 2/1 · (9·0.25 + 9·0.25) / 36 = 0.25.
        assert!((e.stderr - 0.5).abs() < 1e-15);
    }

    /// AR(1) x_t = ρ x_{t−1} + ε_t, ε ~ N(0, 1), started in equilibrium (σ_x² = 1/(1−ρ²)).
    /// The mean of n frames has the closed-form variance
    /// Var(x̄_n) = (σ_x²/n) [1 + 2 Σ_{k=1}^{n−1} (1 − k/n) ρ^k]; M independent trajectories
    /// pooled divide it by M. The naive i.i.d. error would be √τ_int = √19 ≈ 4.4× too small.
    #[test]
    fn ar1_block_error_matches_closed_form_variance_of_the_mean() {
        let (rho, n, m): (f64, usize, usize) = (0.9, 20_000, 40);
        let var_x = 1.0 / (1.0 - rho * rho);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let eps = Normal::new(0.0, 1.0).unwrap();
        let mut values = Vec::with_capacity(n * m);
        for _ in 0..m {
            let mut x = var_x.sqrt() * eps.sample(&mut rng);
            for _ in 0..n {
                values.push(x);
                x = rho * x + eps.sample(&mut rng);
            }
        }
        let sum: f64 = (1..n)
            .map(|k| (1.0 - k as f64 / n as f64) * rho.powi(k as i32))
            .sum();
        let var_mean = var_x / n as f64 * (1.0 + 2.0 * sum) / m as f64;
        let e = block_estimate(&values, &vec![n; m], BLOCKS_PER_TRAJECTORY).unwrap();
        assert_eq!(e.n_blocks, 20 * m);
        // K = 800 blocks: the estimated variance has a relative sd of √(2/K) = 5 %, the error
        // half of it; blocks of 1000 frames ≫ τ_int = 19 bias it by ≈ 1 %.
        let ratio = e.stderr / var_mean.sqrt();
        assert!((ratio - 1.0).abs() < 0.1, "stderr ratio {ratio}");
        assert!(e.mean.abs() < 4.0 * var_mean.sqrt(), "mean {}", e.mean);
    }
}
