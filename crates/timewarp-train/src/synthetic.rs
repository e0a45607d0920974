//! Synthetic trajectories for tests and benchmarks (no MD needed).
//!
//! Every atom fluctuates around a reference structure as an Ornstein–Uhlenbeck process sampled
//! at unit steps: r_{t+1} = r̄ + ρ (r_t − r̄) + √(1 − ρ²) σ ξ, ξ ~ N(0, I). Over a lag of k
//! frames, r_{t+k} | r_t ~ N(r̄ + ρᵏ (r_t − r̄), (1 − ρ²ᵏ) σ² I): the conditional mean depends
//! on the conditioning state, so a conditional model can beat the fixed Gaussian baseline.

use crate::dataset::Trajectory;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use timewarp_mol::Element;

/// Elements of alanine dipeptide (ACE-ALA-NME, 22 atoms) in the order of the official test PDB.
pub const ALANINE_DIPEPTIDE: [Element; 22] = {
    use Element::{C, H, N, O};
    [
        H, C, H, H, C, O, N, H, C, H, C, H, H, H, C, O, N, H, C, H, H, H,
    ]
};

/// A synthetic trajectory of `n_frames` frames, one every `step_stride` MD steps, of the atoms
/// `elements`, with fluctuation σ = `sigma_nm` and one-frame correlation ρ = `rho`.
pub fn ou_trajectory(
    name: &str,
    elements: &[Element],
    n_frames: usize,
    step_stride: i64,
    sigma_nm: f64,
    rho: f64,
    seed: u64,
) -> Trajectory {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = elements.len();
    // Reference structure: a self-avoiding chain with 0.15 nm bonds.
    let mut reference = vec![[0.0f64; 3]; n];
    for i in 1..n {
        loop {
            let d: [f64; 3] = std::array::from_fn(|_| rng.sample(StandardNormal));
            let len = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
            let p: [f64; 3] = std::array::from_fn(|k| reference[i - 1][k] + 0.15 * d[k] / len);
            let clash = reference[..i - 1]
                .iter()
                .any(|q| (0..3).map(|k| (p[k] - q[k]).powi(2)).sum::<f64>() < 0.12f64.powi(2));
            if !clash {
                reference[i] = p;
                break;
            }
        }
    }
    let noise = (1.0 - rho * rho).sqrt() * sigma_nm;
    let mut state: Vec<[f64; 3]> = reference
        .iter()
        .map(|r| std::array::from_fn(|k| r[k] + sigma_nm * rng.sample::<f64, _>(StandardNormal)))
        .collect();
    let mut positions = Vec::with_capacity(n_frames * n * 3);
    for _ in 0..n_frames {
        positions.extend(state.iter().flat_map(|p| p.map(|v| v as f32)));
        for (p, r) in state.iter_mut().zip(&reference) {
            for k in 0..3 {
                p[k] = r[k] + rho * (p[k] - r[k]) + noise * rng.sample::<f64, _>(StandardNormal);
            }
        }
    }
    Trajectory {
        name: name.to_string(),
        elements: elements.to_vec(),
        steps: (0..n_frames as i64).map(|f| f * step_stride).collect(),
        positions,
    }
}
