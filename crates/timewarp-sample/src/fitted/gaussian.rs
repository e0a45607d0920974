//! The φ/ψ-conditional Gaussian over the coordinates that are neither backbone torsions nor
//! rotors (bonds, angles, rigid torsions and offsets): g ~ N(μ(q), Σ) with a mean linear in
//! harmonics of every residue's φ and ψ, μ(q) = Wᵀ f(φ, ψ), and one residual covariance Σ.
//!
//! A move of one block A of these variables keeps the others (B) fixed and draws A from the
//! Gaussian conditional: g_A | g_B ~ N(μ_A − K (g_B ⊖ μ_B), Λ_AA⁻¹) with Λ = Σ⁻¹ and
//! K = Λ_AA⁻¹ Λ_AB (⊖: differences of torsions wrapped into (−π, π]). The draw is
//! g'_A = μ_{A|B} ⊕ L z with L Lᵀ = Λ_AA⁻¹, and its log-density −½‖L⁻¹ d‖² − log|L| − |A|/2 log 2π.
//!
//! Torsions among the variables live on the circle. The kernel draws d = L z and, if a torsion
//! component has |d_i| ≥ π, proposes no move (a null move, i.e. a rejection): the proposal is
//! then the Gaussian truncated to the box |d_i| < π, whose density on the circle is exactly
//! N(d; 0, L Lᵀ)/P(box) with d the wrapped difference — and P(box) depends on Σ alone, so it
//! cancels in the Metropolis–Hastings ratio. No density on ℝ is wrapped.

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use timewarp_mol::geometry::angle_difference;

/// Harmonic features of the torsions that condition the Gaussian: f = (1; per residue cos φ,
/// sin φ, cos ψ, sin ψ, cos 2φ, sin 2φ, cos 2ψ, sin 2ψ, cos φ cos ψ, cos φ sin ψ, sin φ cos ψ,
/// sin φ sin ψ; per rotor χ its first `rotor_harmonics` harmonics cos kχ, sin kχ). The rotor
/// terms let the coordinates that a rotor carries follow it: the hydrogens of a methyl whose
/// surroundings differ by position, the ring atoms of proline whose pucker the ring's rotor
/// selects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Features {
    /// (φ, ψ) coordinate indices per residue.
    pub backbone: Vec<(usize, usize)>,
    /// Rotor coordinate indices (kernels made before rotor features hold none).
    #[serde(default)]
    pub rotors: Vec<usize>,
    /// Harmonics per rotor.
    #[serde(default)]
    pub rotor_harmonics: usize,
}

impl Features {
    pub const PER_RESIDUE: usize = 12;

    /// Backbone features only.
    pub fn backbone(backbone: Vec<(usize, usize)>) -> Features {
        Features {
            backbone,
            rotors: Vec::new(),
            rotor_harmonics: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.rotor_feature(self.rotors.len())
    }

    /// Index of the first feature (cos φ) of residue `r`; its `PER_RESIDUE` follow.
    pub fn backbone_feature(&self, r: usize) -> usize {
        1 + Self::PER_RESIDUE * r
    }

    /// Index of the first feature (cos χ) of rotor `k` (its position in `rotors`); its
    /// `2 · rotor_harmonics` follow, cos kχ then sin kχ for k = 1, 2, …
    pub fn rotor_feature(&self, k: usize) -> usize {
        self.backbone_feature(self.backbone.len()) + 2 * self.rotor_harmonics * k
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// f(q) into `out` (`len()` entries).
    pub fn eval(&self, q: &[f64], out: &mut [f64]) {
        out[0] = 1.0;
        for (r, &(p, s)) in self.backbone.iter().enumerate() {
            let (sp, cp) = q[p].sin_cos();
            let (ss, cs) = q[s].sin_cos();
            let o = &mut out[self.backbone_feature(r)..self.backbone_feature(r + 1)];
            o.copy_from_slice(&[
                cp,
                sp,
                cs,
                ss,
                cp * cp - sp * sp,
                2.0 * sp * cp,
                cs * cs - ss * ss,
                2.0 * ss * cs,
                cp * cs,
                cp * ss,
                sp * cs,
                sp * ss,
            ]);
        }
        let mut o = self.rotor_feature(0);
        for &r in &self.rotors {
            for k in 1..=self.rotor_harmonics {
                let (s, c) = (k as f64 * q[r]).sin_cos();
                out[o] = c;
                out[o + 1] = s;
                o += 2;
            }
        }
    }
}

/// The fitted model (plain data, saved in the kernel file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaussianModel {
    /// Coordinate indices of the variables.
    pub dofs: Vec<usize>,
    /// Which variables are torsions (differences wrapped).
    pub periodic: Vec<bool>,
    pub features: Features,
    /// Mean coefficients W, features × variables, row-major: μ_j = Σ_i f_i W[i][j]. For a
    /// torsion μ_j is an unwrapped angle near its circular mean.
    pub weights: Vec<f64>,
    /// Residual covariance Σ, variables × variables, row-major.
    pub covariance: Vec<f64>,
}

/// Why a Gaussian cannot be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GaussianError {
    #[error("{frames} frames are too few to fit a {dim}-dimensional Gaussian with {features} mean features (need at least {need})")]
    TooFewFrames {
        frames: usize,
        dim: usize,
        features: usize,
        need: usize,
    },
    #[error("the covariance of the fitted Gaussian is not positive definite")]
    NotPositiveDefinite,
}

impl GaussianModel {
    pub fn dim(&self) -> usize {
        self.dofs.len()
    }

    /// Least-squares fit: `samples` (T × dim, row-major, coordinate values with torsions as
    /// they are) against the features of `qs` (T conformations' coordinates).
    pub fn fit(
        dofs: Vec<usize>,
        periodic: Vec<bool>,
        features: Features,
        qs: &[&[f64]],
    ) -> Result<Self, GaussianError> {
        let (t, g, p) = (qs.len(), dofs.len(), features.len());
        let need = 2 * (g + p) + 10;
        if t < need {
            return Err(GaussianError::TooFewFrames {
                frames: t,
                dim: g,
                features: p,
                need,
            });
        }
        // Torsions: unwrap around their circular means so that a linear model applies.
        let centre: Vec<f64> = (0..g)
            .map(|j| {
                if periodic[j] {
                    let (s, c) = qs.iter().fold((0.0, 0.0), |(s, c), q| {
                        (s + q[dofs[j]].sin(), c + q[dofs[j]].cos())
                    });
                    s.atan2(c)
                } else {
                    0.0
                }
            })
            .collect();
        let value = |q: &[f64], j: usize| {
            if periodic[j] {
                centre[j] + angle_difference(q[dofs[j]], centre[j])
            } else {
                q[dofs[j]]
            }
        };
        let mut f = DMatrix::<f64>::zeros(t, p);
        let mut y = DMatrix::<f64>::zeros(t, g);
        let mut row = vec![0.0; p];
        for (k, q) in qs.iter().enumerate() {
            features.eval(q, &mut row);
            for i in 0..p {
                f[(k, i)] = row[i];
            }
            for j in 0..g {
                y[(k, j)] = value(q, j);
            }
        }
        // W = (FᵀF + λI)⁻¹ FᵀY, a tiny ridge for features that the data leave degenerate.
        let mut ftf = f.transpose() * &f;
        let ridge = 1e-9 * (0..p).map(|i| ftf[(i, i)]).fold(0.0, f64::max);
        for i in 0..p {
            ftf[(i, i)] += ridge;
        }
        let w = ftf
            .cholesky()
            .ok_or(GaussianError::NotPositiveDefinite)?
            .solve(&(f.transpose() * &y));
        let mut resid = &y - &f * &w;
        for j in 0..g {
            if periodic[j] {
                for k in 0..t {
                    resid[(k, j)] = angle_difference(resid[(k, j)], 0.0);
                }
            }
        }
        let mut cov = resid.transpose() * &resid / (t - p) as f64;
        // Relative jitter: keeps Σ positive definite when coordinates are nearly determined by
        // others, without changing any scale noticeably.
        for j in 0..g {
            cov[(j, j)] *= 1.0 + 1e-6;
            cov[(j, j)] += 1e-14;
        }
        Ok(GaussianModel {
            dofs,
            periodic,
            features,
            weights: (0..p * g).map(|idx| w[(idx / g, idx % g)]).collect(),
            covariance: (0..g * g).map(|idx| cov[(idx / g, idx % g)]).collect(),
        })
    }

    /// The mean μ(f) of every variable into `out`.
    pub fn mean(&self, f: &[f64], out: &mut [f64]) {
        let g = self.dim();
        out[..g].fill(0.0);
        for (i, &fi) in f.iter().enumerate() {
            let w = &self.weights[i * g..(i + 1) * g];
            for (o, &wij) in out.iter_mut().zip(w) {
                *o += fi * wij;
            }
        }
    }

    /// Marginal residual standard deviation of variable j.
    pub fn std(&self, j: usize) -> f64 {
        self.covariance[j * self.dim() + j].sqrt()
    }

    /// The conditional of the variables `vars` (indices into `dofs`) given all others.
    pub fn conditional(&self, vars: &[usize]) -> Result<Conditional, GaussianError> {
        let g = self.dim();
        let sigma = DMatrix::from_row_slice(g, g, &self.covariance);
        let lambda = sigma
            .cholesky()
            .ok_or(GaussianError::NotPositiveDefinite)?
            .inverse();
        let others: Vec<usize> = (0..g).filter(|j| !vars.contains(j)).collect();
        let (a, b) = (vars.len(), others.len());
        let laa = DMatrix::from_fn(a, a, |i, j| lambda[(vars[i], vars[j])]);
        let lab = DMatrix::from_fn(a, b, |i, j| lambda[(vars[i], others[j])]);
        let laa_inv = laa
            .cholesky()
            .ok_or(GaussianError::NotPositiveDefinite)?
            .inverse();
        let laa_inv = (&laa_inv + laa_inv.transpose()) * 0.5;
        let chol = laa_inv
            .clone()
            .cholesky()
            .ok_or(GaussianError::NotPositiveDefinite)?
            .l();
        let gain = &laa_inv * &lab;
        let log_det: f64 = (0..a).map(|i| chol[(i, i)].ln()).sum();
        Ok(Conditional {
            vars: vars.to_vec(),
            others,
            chol: (0..a * a).map(|k| chol[(k / a, k % a)]).collect(),
            gain: (0..a * b)
                .map(|k| gain[(k / b.max(1), k % b.max(1))])
                .collect(),
            log_norm: -log_det - 0.5 * a as f64 * (2.0 * std::f64::consts::PI).ln(),
        })
    }
}

/// A block's conditional, ready for sampling: L (lower, row-major), K, and the normaliser.
#[derive(Debug, Clone, PartialEq)]
pub struct Conditional {
    pub vars: Vec<usize>,
    pub others: Vec<usize>,
    /// Cholesky factor L of Λ_AA⁻¹, |A| × |A| row-major.
    pub chol: Vec<f64>,
    /// K = Λ_AA⁻¹ Λ_AB, |A| × |B| row-major.
    pub gain: Vec<f64>,
    /// −log|L| − |A|/2 log 2π.
    pub log_norm: f64,
}

impl Conditional {
    /// μ_{A|B} into `out` (|A| entries) from the full mean `mu` and the current values `g`
    /// of all variables; `periodic` as in the model.
    pub fn mean(&self, mu: &[f64], g: &[f64], periodic: &[bool], out: &mut [f64]) {
        let b = self.others.len();
        for (i, &v) in self.vars.iter().enumerate() {
            let mut m = mu[v];
            let k = &self.gain[i * b..(i + 1) * b];
            for (&kij, &o) in k.iter().zip(&self.others) {
                let d = if periodic[o] {
                    angle_difference(g[o], mu[o])
                } else {
                    g[o] - mu[o]
                };
                m -= kij * d;
            }
            out[i] = m;
        }
    }

    /// d = L z into `d`.
    pub fn scale_noise(&self, z: &[f64], d: &mut [f64]) {
        let a = self.vars.len();
        for i in 0..a {
            let row = &self.chol[i * a..i * a + i + 1];
            d[i] = row.iter().zip(&z[..=i]).map(|(l, z)| l * z).sum();
        }
    }

    /// Whitens `d` in place, d ← L⁻¹ d (forward substitution), and returns log N(d; 0, L Lᵀ).
    pub fn whiten(&self, d: &mut [f64]) -> f64 {
        let a = self.vars.len();
        let mut sq = 0.0;
        for i in 0..a {
            let row = &self.chol[i * a..i * a + i];
            let s: f64 = row.iter().zip(&d[..i]).map(|(l, y)| l * y).sum();
            d[i] = (d[i] - s) / self.chol[i * a + i];
            sq += d[i] * d[i];
        }
        -0.5 * sq + self.log_norm
    }

    /// log N(d; 0, L Lᵀ); `work` is scratch of |A| entries.
    pub fn log_density(&self, d: &[f64], work: &mut [f64]) -> f64 {
        let a = self.vars.len();
        work[..a].copy_from_slice(&d[..a]);
        self.whiten(&mut work[..a])
    }

    /// log|L| = Σ log L_ii: log N(L ε; 0, L Lᵀ) = log N(ε; 0, I) − log|L|.
    pub fn log_det(&self) -> f64 {
        let a = self.vars.len();
        (0..a).map(|i| self.chol[i * a + i].ln()).sum()
    }

    /// log N of a draw d = L z: the solve is z itself.
    pub fn log_density_of_noise(&self, z: &[f64]) -> f64 {
        -0.5 * z[..self.vars.len()].iter().map(|v| v * v).sum::<f64>() + self.log_norm
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> GaussianModel {
        // Three variables (the last a torsion), covariance with correlations, no features.
        GaussianModel {
            dofs: vec![0, 1, 2],
            periodic: vec![false, false, true],
            features: Features::backbone(vec![]),
            weights: vec![0.15, 1.9, 3.0],
            covariance: vec![4e-4, 1e-4, 0.0, 1e-4, 9e-4, 2e-3, 0.0, 2e-3, 0.04],
        }
    }

    #[test]
    fn conditional_of_everything_is_the_joint() {
        let m = model();
        let c = m.conditional(&[0, 1, 2]).unwrap();
        // L Lᵀ = Σ.
        for i in 0..3 {
            for j in 0..3 {
                let s: f64 = (0..3).map(|k| c.chol[i * 3 + k] * c.chol[j * 3 + k]).sum();
                assert!((s - m.covariance[i * 3 + j]).abs() < 1e-15);
            }
        }
        let z = [0.3, -1.2, 0.7];
        let mut d = [0.0; 3];
        c.scale_noise(&z, &mut d);
        let mut work = [0.0; 3];
        assert!((c.log_density(&d, &mut work) - c.log_density_of_noise(&z)).abs() < 1e-12);
    }

    #[test]
    fn conditional_matches_the_schur_complement() {
        let m = model();
        let c = m.conditional(&[1]).unwrap();
        // Σ_{1|0,2} = Σ11 − Σ1B Σ_BB⁻¹ Σ_B1 with B = {0, 2}: Σ_BB is diagonal here.
        let want = 9e-4 - 1e-4 * 1e-4 / 4e-4 - 2e-3 * 2e-3 / 0.04;
        assert!(
            (c.chol[0] * c.chol[0] - want).abs() < 1e-15,
            "{} vs {want}",
            c.chol[0] * c.chol[0]
        );
        // Mean shift: K = Σ1B Σ_BB⁻¹ (with the sign convention μ − K(g_B − μ_B) → −K = Σ1B Σ_BB⁻¹).
        let mu = [0.15, 1.9, 3.0];
        let g = [0.17, 0.0, 3.1];
        let mut out = [0.0];
        c.mean(&mu, &g, &m.periodic, &mut out);
        let want = 1.9 + 1e-4 / 4e-4 * 0.02 + 2e-3 / 0.04 * 0.1;
        assert!((out[0] - want).abs() < 1e-12, "{} vs {want}", out[0]);
    }

    #[test]
    fn fit_recovers_a_planted_linear_mean() {
        let features = Features::backbone(vec![(0, 1)]);
        let mut qs = Vec::new();
        let mut s = 1u64;
        let mut uni = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..4000 {
            let (phi, psi) = (
                uni() * std::f64::consts::TAU - std::f64::consts::PI,
                uni() * std::f64::consts::TAU - std::f64::consts::PI,
            );
            let noise = (uni() - 0.5) * 0.002;
            let bond = 0.15 + 0.01 * phi.cos() - 0.005 * (phi.sin() * psi.cos()) + noise;
            let tors = std::f64::consts::PI - 0.05 + 0.1 * psi.sin() + (uni() - 0.5) * 0.02;
            qs.push(vec![
                phi,
                psi,
                bond,
                timewarp_mol::geometry::wrap_angle(tors),
            ]);
        }
        let refs: Vec<&[f64]> = qs.iter().map(|q| q.as_slice()).collect();
        let m = GaussianModel::fit(vec![2, 3], vec![false, true], features.clone(), &refs).unwrap();
        let mut f = vec![0.0; features.len()];
        features.eval(&[0.3, -2.0], &mut f);
        let mut mu = [0.0; 2];
        m.mean(&f, &mut mu);
        let bond = 0.15 + 0.01 * 0.3f64.cos() - 0.005 * (0.3f64.sin() * (-2.0f64).cos());
        assert!((mu[0] - bond).abs() < 1e-4, "{} vs {bond}", mu[0]);
        let tors = std::f64::consts::PI - 0.05 + 0.1 * (-2.0f64).sin();
        assert!(
            angle_difference(mu[1], tors).abs() < 2e-3,
            "{} vs {tors}",
            mu[1]
        );
        // Residual std of the bond: uniform noise of width 0.002 → 0.002/√12.
        assert!(
            (m.std(0) - 0.002 / 12f64.sqrt()).abs() < 5e-5,
            "{}",
            m.std(0)
        );
    }

    #[test]
    fn rotor_features_are_the_rotors_harmonics_after_the_backbone_ones() {
        let f = Features {
            backbone: vec![(0, 1)],
            rotors: vec![2],
            rotor_harmonics: 2,
        };
        assert_eq!(f.len(), 1 + 12 + 4);
        let mut out = vec![0.0; f.len()];
        f.eval(&[0.3, -2.0, 0.7], &mut out);
        let expected = [0.7f64.cos(), 0.7f64.sin(), 1.4f64.cos(), 1.4f64.sin()];
        assert_eq!(out[13..], expected);
        assert_eq!(Features::backbone(vec![(0, 1)]).len(), 13);
    }
}
