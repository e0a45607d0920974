//! Gaussian proposal kernels with closed-form densities. They make the Metropolis–Hastings
//! machinery testable against known targets: a sign error in the density ratio or a dropped
//! reverse density shows up as a biased histogram.

use super::{
    as_vectors, as_vectors_mut, log_standard_normal, ProposalKernel, ProposalRequest, Proposals,
};
use crate::SampleError;

/// log N(a; m, s² I) for one set of 3-vectors: −‖a − m‖²/(2s²) − d log s − (d/2) log 2π.
fn log_normal(a: &[[f64; 3]], m: impl Fn(usize, usize) -> f64, s: f64) -> f64 {
    let mut r2 = 0.0;
    for (i, ai) in a.iter().enumerate() {
        for (c, &aic) in ai.iter().enumerate() {
            let d = aic - m(i, c);
            r2 += d * d;
        }
    }
    let d = 3.0 * a.len() as f64;
    -0.5 * r2 / (s * s) - d * s.ln() - 0.5 * d * (2.0 * std::f64::consts::PI).ln()
}

/// Symmetric random walk in positions, fresh velocities:
/// y = x + σ z_x, w = z_v, so q(y, w | x, v) = N(y; x, σ²I) N(w; 0, I).
#[derive(Debug, Clone)]
pub struct GaussianRandomWalk {
    pub n_atoms: usize,
    /// Step size σ (nm).
    pub sigma: f64,
}

impl ProposalKernel for GaussianRandomWalk {
    fn n_atoms(&self) -> usize {
        self.n_atoms
    }

    fn propose(
        &mut self,
        req: &ProposalRequest<'_>,
        out: &mut Proposals,
    ) -> Result<(), SampleError> {
        let n = self.n_atoms;
        for k in 0..out.len() {
            let r = k * n..(k + 1) * n;
            let (x, v) = (&req.x[r.clone()], req.v_of(k));
            let (z_x, z_v) = req.cartesian_noise(k);
            for ((y, x), z) in out.y[r.clone()].iter_mut().zip(x).zip(z_x) {
                *y = std::array::from_fn(|c| x[c] + self.sigma * z[c]);
            }
            out.w[3 * n * k..3 * n * (k + 1)].copy_from_slice(z_v.as_flattened());
            let (y, w) = (&out.y[r], out.w_of(k));
            out.log_q_forward[k] =
                log_normal(y, |i, c| x[i][c], self.sigma) + log_standard_normal(w);
            out.log_q_reverse[k] =
                log_normal(x, |i, c| y[i][c], self.sigma) + log_standard_normal(v);
        }
        Ok(())
    }
}

/// Independence proposal: y = μ + s z_x, w = z_v, i.e. q(y, w | x, v) = N(y; μ, s²I) N(w; 0, I),
/// whatever the current state. Its density is asymmetric (q(y|x) ≠ q(x|y)), so dropping the
/// reverse density or swapping the signs biases the chain visibly.
#[derive(Debug, Clone)]
pub struct GaussianIndependence {
    /// Mean μ, one 3-vector per atom (nm).
    pub mean: Vec<[f64; 3]>,
    /// Standard deviation s (nm).
    pub sigma: f64,
}

impl ProposalKernel for GaussianIndependence {
    fn n_atoms(&self) -> usize {
        self.mean.len()
    }

    fn propose(
        &mut self,
        req: &ProposalRequest<'_>,
        out: &mut Proposals,
    ) -> Result<(), SampleError> {
        let n = self.mean.len();
        let mu = &self.mean;
        for k in 0..out.len() {
            let r = k * n..(k + 1) * n;
            let (z_x, z_v) = req.cartesian_noise(k);
            for ((y, m), z) in out.y[r.clone()].iter_mut().zip(mu).zip(z_x) {
                *y = std::array::from_fn(|c| m[c] + self.sigma * z[c]);
            }
            out.w[3 * n * k..3 * n * (k + 1)].copy_from_slice(z_v.as_flattened());
            let (x, v) = (&req.x[r.clone()], req.v_of(k));
            let (y, w) = (&out.y[r], out.w_of(k));
            out.log_q_forward[k] =
                log_normal(y, |i, c| mu[i][c], self.sigma) + log_standard_normal(w);
            out.log_q_reverse[k] =
                log_normal(x, |i, c| mu[i][c], self.sigma) + log_standard_normal(v);
        }
        Ok(())
    }
}

/// A kernel in which the proposal depends on the auxiliary velocity, like the Timewarp flow:
/// y = x + a v + σ z_x and w = b v + s_w z_v, so
/// q(y, w | x, v) = N(y; x + a v, σ²I) N(w; b v, s_w²I) and
/// q(x, v | y, w) = N(x; y + a w, σ²I) N(v; b w, s_w²I).
/// With it, how the velocities are refreshed matters (see [`crate::VelocityRefresh`]).
#[derive(Debug, Clone)]
pub struct VelocityCoupledGaussian {
    pub n_atoms: usize,
    /// Drift per unit velocity `a` (nm).
    pub drift: f64,
    /// Position noise σ (nm).
    pub sigma: f64,
    /// Velocity carry-over `b`.
    pub carry: f64,
    /// Velocity noise s_w.
    pub sigma_w: f64,
}

impl ProposalKernel for VelocityCoupledGaussian {
    fn n_atoms(&self) -> usize {
        self.n_atoms
    }

    fn propose(
        &mut self,
        req: &ProposalRequest<'_>,
        out: &mut Proposals,
    ) -> Result<(), SampleError> {
        let n = self.n_atoms;
        let (a, b) = (self.drift, self.carry);
        for k in 0..out.len() {
            let r = k * n..(k + 1) * n;
            let (x, v) = (&req.x[r.clone()], as_vectors(req.v_of(k)));
            let (z_x, z_v) = req.cartesian_noise(k);
            let w = as_vectors_mut(&mut out.w[3 * n * k..3 * n * (k + 1)]);
            for (i, (y, w)) in out.y[r.clone()].iter_mut().zip(w.iter_mut()).enumerate() {
                let (zx, zv) = (z_x[i], z_v[i]);
                *y = std::array::from_fn(|c| x[i][c] + a * v[i][c] + self.sigma * zx[c]);
                *w = std::array::from_fn(|c| b * v[i][c] + self.sigma_w * zv[c]);
            }
            let (y, w) = (&out.y[r], as_vectors(&out.w[3 * n * k..3 * n * (k + 1)]));
            let forward = log_normal(y, |i, c| x[i][c] + a * v[i][c], self.sigma)
                + log_normal(w, |i, c| b * v[i][c], self.sigma_w);
            let reverse = log_normal(x, |i, c| y[i][c] + a * w[i][c], self.sigma)
                + log_normal(v, |i, c| b * w[i][c], self.sigma_w);
            out.log_q_forward[k] = forward;
            out.log_q_reverse[k] = reverse;
        }
        Ok(())
    }
}
