//! Time-lagged independent component analysis (TICA; Molgedey & Schuster 1994,
//! Pérez-Hernández et al. 2013).
//!
//! From trajectories of features x_t ∈ ℝ^d and a lag τ (in frames), with the M = Σ (T − τ)
//! time-lagged pairs (x_t, x_{t+τ}) taken inside each trajectory:
//!
//! ```text
//!   μ  = 1/(2M) Σ (x_t + x_{t+τ})                                   (mean over both halves)
//!   C0 = 1/(2M) Σ [(x_t−μ)(x_t−μ)ᵀ + (x_{t+τ}−μ)(x_{t+τ}−μ)ᵀ]        (instantaneous)
//!   Cτ = 1/(2M) Σ [(x_t−μ)(x_{t+τ}−μ)ᵀ + (x_{t+τ}−μ)(x_t−μ)ᵀ]        (time-lagged, symmetrised)
//! ```
//!
//! and the independent components solve the generalized eigenproblem Cτ v = λ C0 v. It is
//! regularised by whitening with the eigenvectors of C0 whose eigenvalues exceed ε
//! (W = U_ε S_ε^{−1/2}, discarding near-singular directions such as rigid distances), then
//! diagonalising the symmetric Wᵀ Cτ W. Components come sorted by λ (slowest first), each
//! normalised to unit variance under C0; λ_i = ⟨y_i(t) y_i(t+τ)⟩ and the implied timescale
//! is t_i = −τ / ln|λ_i|.

use crate::error::AnalysisError;
use crate::features::FeatureMatrix;
use crate::linalg::{symmetric_eigen, Matrix};
use rayon::prelude::*;

/// How to fit a TICA model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TicaOptions {
    /// Lag time τ in frames.
    pub lag: usize,
    /// Eigenvalues of C0 at or below this are discarded (absolute, in feature units²).
    pub epsilon: f64,
    /// Keep at most this many components (all if `None`).
    pub dim: Option<usize>,
}

impl Default for TicaOptions {
    fn default() -> Self {
        TicaOptions {
            lag: 10,
            epsilon: 1e-6,
            dim: Some(10),
        }
    }
}

/// A fitted TICA model.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tica {
    pub lag: usize,
    pub mean: Vec<f64>,
    /// λ_i, descending.
    pub eigenvalues: Vec<f64>,
    /// Component i as a d-vector: y_i = (x − μ) · components[i].
    pub components: Vec<Vec<f64>>,
}

impl Tica {
    /// Fit on one or more trajectories of the same features.
    pub fn fit(trajectories: &[&FeatureMatrix], opts: TicaOptions) -> Result<Tica, AnalysisError> {
        let tau = opts.lag;
        if tau == 0 {
            return Err(AnalysisError::Tica("lag must be at least 1 frame".into()));
        }
        let d = trajectories.first().map_or(0, |f| f.n_features);
        if d == 0 {
            return Err(AnalysisError::Tica("no features".into()));
        }
        if trajectories.iter().any(|f| f.n_features != d) {
            return Err(AnalysisError::Tica(
                "trajectories have different feature counts".into(),
            ));
        }
        let m: usize = trajectories
            .iter()
            .map(|f| f.n_frames.saturating_sub(tau))
            .sum();
        if m < 2 {
            let longest = trajectories.iter().map(|f| f.n_frames).max().unwrap_or(0);
            return Err(AnalysisError::TooFewFrames {
                what: format!("TICA at lag {tau}"),
                n_frames: longest,
                needed: tau + 2,
            });
        }

        // Mean over both ends of all lagged pairs.
        let mut mean = vec![0.0; d];
        for f in trajectories {
            for t in 0..f.n_frames.saturating_sub(tau) {
                for (mu, (a, b)) in mean.iter_mut().zip(f.row(t).iter().zip(f.row(t + tau))) {
                    *mu += a + b;
                }
            }
        }
        mean.iter_mut().for_each(|v| *v /= (2 * m) as f64);

        let (c0, ct) = lagged_covariances(trajectories, &mean, tau, m);

        // Whitening: C0 = U S Uᵀ, keep s > ε.
        let e0 = symmetric_eigen(&c0);
        let kept: Vec<usize> = (0..d).filter(|&k| e0.values[k] > opts.epsilon).collect();
        if kept.is_empty() {
            return Err(AnalysisError::Tica(format!(
                "all feature variances are ≤ ε = {} (frames identical?)",
                opts.epsilon
            )));
        }
        let r = kept.len();
        // W: d × r, column k = u_k / √s_k.
        let w: Vec<Vec<f64>> = kept
            .iter()
            .map(|&k| {
                e0.vectors[k]
                    .iter()
                    .map(|u| u / e0.values[k].sqrt())
                    .collect()
            })
            .collect();
        // Wᵀ Cτ W (r × r).
        let ct_w: Vec<Vec<f64>> = w.iter().map(|wk| mat_vec(&ct, wk)).collect();
        let mut small = Matrix::zeros(r);
        for a in 0..r {
            for b in 0..r {
                small.set(a, b, dot(&w[a], &ct_w[b]));
            }
        }
        let et = symmetric_eigen(&small);
        let keep = opts.dim.unwrap_or(r).min(r);
        let mut components = Vec::with_capacity(keep);
        for v in et.vectors.iter().take(keep) {
            // Component in feature space: W v.
            let mut c = vec![0.0; d];
            for (wk, vk) in w.iter().zip(v) {
                for (ci, wi) in c.iter_mut().zip(wk) {
                    *ci += wi * vk;
                }
            }
            // Fix the arbitrary sign: largest coefficient positive.
            let big = c
                .iter()
                .cloned()
                .fold(0.0f64, |acc, x| if x.abs() > acc.abs() { x } else { acc });
            if big < 0.0 {
                c.iter_mut().for_each(|x| *x = -*x);
            }
            components.push(c);
        }
        Ok(Tica {
            lag: tau,
            mean,
            eigenvalues: et.values[..keep].to_vec(),
            components,
        })
    }

    pub fn dim(&self) -> usize {
        self.components.len()
    }

    /// Implied timescales t_i = −τ / ln|λ_i| in frames (∞ for |λ| ≥ 1, NaN for λ = 0).
    pub fn timescales(&self) -> Vec<f64> {
        self.eigenvalues
            .iter()
            .map(|l| {
                let a = l.abs();
                if a >= 1.0 {
                    f64::INFINITY
                } else {
                    -(self.lag as f64) / a.ln()
                }
            })
            .collect()
    }

    /// Project every frame on the first `k` components: `n_frames × k`, row-major.
    pub fn transform(&self, features: &FeatureMatrix, k: usize) -> Result<Vec<f64>, AnalysisError> {
        if features.n_features != self.mean.len() {
            return Err(AnalysisError::Tica(format!(
                "model has {} features, data {}",
                self.mean.len(),
                features.n_features
            )));
        }
        let k = k.min(self.dim());
        let mut out = vec![0.0; features.n_frames * k];
        if k == 0 {
            return Ok(out);
        }
        out.par_chunks_mut(k).enumerate().for_each(|(t, y)| {
            let x = features.row(t);
            for (yi, c) in y.iter_mut().zip(&self.components) {
                *yi = x
                    .iter()
                    .zip(&self.mean)
                    .zip(c)
                    .map(|((x, m), c)| (x - m) * c)
                    .sum();
            }
        });
        Ok(out)
    }
}

/// Frames per block in the covariance accumulation: the block's mean-free rows stay in L2
/// while one output row at a time stays in L1.
const BLOCK: usize = 64;
/// Independent parts accumulated in parallel (fixed, for reproducible sums).
const PARTS: usize = 8;

/// Symmetrised C0 and Cτ about `mean` (see module docs), accumulated in parallel over parts
/// of the lagged pairs.
fn lagged_covariances(
    trajectories: &[&FeatureMatrix],
    mean: &[f64],
    tau: usize,
    m: usize,
) -> (Matrix, Matrix) {
    let d = mean.len();
    let pairs: Vec<(usize, usize)> = trajectories
        .iter()
        .enumerate()
        .flat_map(|(i, f)| (0..f.n_frames.saturating_sub(tau)).map(move |t| (i, t)))
        .collect();
    // A fixed split into contiguous parts, summed in order, so that the result does not depend
    // on the number of threads or on scheduling (floating-point addition is not associative).
    let part_len = pairs.len().div_ceil(PARTS).max(1);
    let partial: Vec<(Vec<f64>, Vec<f64>)> = pairs
        .par_chunks(part_len)
        .map(|part| {
            let (mut c0, mut ct) = (vec![0.0; d * d], vec![0.0; d * d]);
            let mut a = Vec::with_capacity(BLOCK * d);
            let mut b = Vec::with_capacity(BLOCK * d);
            for chunk in part.chunks(BLOCK) {
                // Mean-free x_t (a) and x_{t+τ} (b) of the block, one row per pair.
                a.clear();
                b.clear();
                for &(i, t) in chunk {
                    let f = trajectories[i];
                    a.extend(f.row(t).iter().zip(mean).map(|(x, mu)| x - mu));
                    b.extend(f.row(t + tau).iter().zip(mean).map(|(y, mu)| y - mu));
                }
                // Upper triangles only (mirrored at the end): row p of C0 and Cτ gains
                // Σ_t a_p a_q + b_p b_q and Σ_t a_p b_q + b_p a_q for q ≥ p.
                for p in 0..d {
                    let row0 = &mut c0[p * d + p..(p + 1) * d];
                    let rowt = &mut ct[p * d + p..(p + 1) * d];
                    for (at, bt) in a.chunks_exact(d).zip(b.chunks_exact(d)) {
                        let (ap, bp) = (at[p], bt[p]);
                        for (((c0q, ctq), aq), bq) in row0
                            .iter_mut()
                            .zip(rowt.iter_mut())
                            .zip(&at[p..])
                            .zip(&bt[p..])
                        {
                            *c0q += ap * aq + bp * bq;
                            *ctq += ap * bq + bp * aq;
                        }
                    }
                }
            }
            (c0, ct)
        })
        .collect();
    let (mut c0, mut ct) = (vec![0.0; d * d], vec![0.0; d * d]);
    for (p0, pt) in &partial {
        c0.iter_mut().zip(p0).for_each(|(x, y)| *x += y);
        ct.iter_mut().zip(pt).for_each(|(x, y)| *x += y);
    }
    let norm = 1.0 / (2 * m) as f64;
    let mut c0m = Matrix::zeros(d);
    let mut ctm = Matrix::zeros(d);
    for p in 0..d {
        for q in p..d {
            c0m.set(p, q, c0[p * d + q] * norm);
            c0m.set(q, p, c0[p * d + q] * norm);
            ctm.set(p, q, ct[p * d + q] * norm);
            ctm.set(q, p, ct[p * d + q] * norm);
        }
    }
    (c0m, ctm)
}

fn mat_vec(a: &Matrix, x: &[f64]) -> Vec<f64> {
    (0..a.n)
        .map(|i| dot(&a.data[i * a.n..(i + 1) * a.n], x))
        .collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
