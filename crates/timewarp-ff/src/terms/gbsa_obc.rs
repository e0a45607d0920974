//! Generalized Born implicit solvent, OBC1/OBC2 flavour, with the ACE non-polar surface term,
//! exactly as OpenMM's `CustomGBForce` from `implicit/obc1.xml` / `implicit/obc2.xml` computes
//! it (NOTES.md §2.5, §9.3).
//!
//! Per atom: charge q, offset radius or = ρ − 0.009 nm, scaled offset radius sr = S·or.
//!
//! 1. Descreening integral over all other atoms (bonded ones included), pairs with r ≥ r_c
//!    skipped when a cutoff is used:
//!    I_i = Σ_j [r + sr_j ≥ or_i] ½(1/L − 1/U + ¼(r − sr_j²/r)(1/U² − 1/L²) + ½ ln(L/U)/r),
//!    U = r + sr_j, L = max(or_i, |r − sr_j|).
//! 2. Born radius: ψ = I·or, B = 1 / (1/or − tanh(αψ − βψ² + γψ³)/ρ).
//! 3. Energy, P = −K_GB (1/ε_in − 1/ε_out):
//!    E_self = Σ_i ½ P q_i²/B_i,  E_SA = Σ_i 28.3919551 (ρ_i + 0.14)² (ρ_i/B_i)⁶,
//!    E_pair = Σ_{i<j} P q_i q_j (1/f_ij − s),  f_ij = √(r² + B_iB_j exp(−r²/(4B_iB_j))),
//!    s = 1/r_c with a cutoff (pairs with r ≥ r_c skipped), 0 without.
//!
//! Forces by the chain rule in three pair passes: (1) I and ∂I_i/∂r_ij; (2) explicit pair
//! forces and ∂E/∂B_i; (3) F −= Σ (∂E/∂B_i)(dB_i/dI_i)(∂I_i/∂r_ij) r̂_ij, where
//! dB/dI = B² (or/ρ) sech²(t) (α − 2βψ + 3γψ²), t = αψ − βψ² + γψ³.

use super::vec3::{add_scaled, dot, sub};

/// Per-atom GB parameters and model constants.
#[derive(Debug, Clone)]
pub(crate) struct GbParams {
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
    pub charge: Vec<f64>,
    /// or = ρ − 0.009 nm
    pub offset_radius: Vec<f64>,
    /// sr = S · or
    pub scaled_radius: Vec<f64>,
    /// ρ, nm
    pub radius: Vec<f64>,
    /// 28.3919551 (ρ + 0.14)² ρ⁶, so that E_SA,i = sa_coeff_i / B_i⁶
    pub sa_coeff: Vec<f64>,
    /// P = −K_GB (1/ε_in − 1/ε_out), kJ mol⁻¹ nm e⁻²
    pub prefactor: f64,
    pub cutoff: Option<f64>,
    /// [`skip_threshold`] of `cutoff`: pairs with r² ≥ this are skipped.
    pub skip_r2: f64,
}

/// The smallest r² whose rounded square root is ≥ r_c, so that `r2 >= t` is exactly OpenMM's
/// `r >= cutoff` test (`r = sqrt(r2)`) without taking the square root.
pub(crate) fn skip_threshold(cutoff: Option<f64>) -> f64 {
    let Some(rc) = cutoff else {
        return f64::INFINITY;
    };
    let mut t = rc * rc;
    while t.sqrt() < rc {
        t = t.next_up();
    }
    while t.next_down().sqrt() >= rc {
        t = t.next_down();
    }
    t
}

/// Work arrays of one evaluation (kept per thread, grown on demand, never shrunk).
#[derive(Debug, Default)]
pub(crate) struct GbScratch {
    /// I_i, then (after pass 2) C_i = ∂E/∂B_i · dB_i/dI_i
    integral: Vec<f64>,
    /// B_i
    pub born: Vec<f64>,
    /// dB_i/dI_i
    db_di: Vec<f64>,
    /// ∂E/∂B_i
    de_db: Vec<f64>,
    /// per pair i<j: (∂g_ij/∂r)/r and (∂g_ji/∂r)/r
    dg_over_r: Vec<[f64; 2]>,
}

impl GbScratch {
    fn prepare(&mut self, n: usize, forces: bool) {
        for v in [
            &mut self.integral,
            &mut self.born,
            &mut self.db_di,
            &mut self.de_db,
        ] {
            v.clear();
            v.resize(n, 0.0);
        }
        if forces {
            self.dg_over_r.clear();
            self.dg_over_r.resize(n * n.saturating_sub(1) / 2, [0.0; 2]);
        }
    }
}

/// Energies of the three GB parts, kJ/mol.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct GbEnergy {
    pub self_energy: f64,
    pub pair: f64,
    pub surface: f64,
}

/// The OBC descreening integral g(r; or_i, sr_j) and, if `DERIV`, ∂g/∂r.
#[inline(always)]
fn descreening<const DERIV: bool>(r: f64, inv_r: f64, or_i: f64, sr_j: f64) -> (f64, f64) {
    if r + sr_j - or_i < 0.0 {
        return (0.0, 0.0); // atom i lies entirely inside j's descreening sphere: step() = 0
    }
    let u = r + sr_j;
    let d = (r - sr_j).abs();
    let l = if d > or_i { d } else { or_i };
    let inv_ul = 1.0 / (u * l);
    let inv_u = l * inv_ul;
    let inv_l = u * inv_ul;
    let inv_u2 = inv_u * inv_u;
    let inv_l2 = inv_l * inv_l;
    let log_lu = (l * inv_u).ln();
    let sr2 = sr_j * sr_j;
    let a = r - sr2 * inv_r; // r − sr²/r
    let g = 0.5 * (inv_l - inv_u + 0.25 * a * (inv_u2 - inv_l2) + 0.5 * log_lu * inv_r);
    if !DERIV {
        return (g, 0.0);
    }
    // dL/dr = sign(r − sr) where |r − sr| > or, else 0
    let dl = if d > or_i { (r - sr_j).signum() } else { 0.0 };
    let dg = 0.5
        * (-dl * inv_l2
            + inv_u2
            + 0.25 * (1.0 + sr2 * inv_r * inv_r) * (inv_u2 - inv_l2)
            + 0.25 * a * (-2.0 * inv_u2 * inv_u + 2.0 * dl * inv_l2 * inv_l)
            + 0.5 * (dl * inv_l - inv_u) * inv_r
            - 0.5 * log_lu * inv_r * inv_r);
    (g, dg)
}

/// Pass 1 + Born radii: fills `s.born` (and, with `FORCES`, `s.db_di` and the per-pair
/// derivatives of the integral).
fn born_radii_pass<const FORCES: bool>(p: &GbParams, pos: &[[f64; 3]], s: &mut GbScratch) {
    let n = pos.len();
    s.prepare(n, FORCES);
    let skip_r2 = p.skip_r2;
    let mut pair = 0;
    for i in 0..n {
        let (or_i, sr_i) = (p.offset_radius[i], p.scaled_radius[i]);
        let mut integral_i = 0.0;
        for j in i + 1..n {
            let d = sub(pos[i], pos[j]);
            let r2 = dot(d, d);
            if r2 >= skip_r2 {
                pair += 1;
                continue;
            }
            let r = r2.sqrt();
            let inv_r = 1.0 / r;
            let (g_ij, dg_ij) = descreening::<FORCES>(r, inv_r, or_i, p.scaled_radius[j]);
            let (g_ji, dg_ji) = descreening::<FORCES>(r, inv_r, p.offset_radius[j], sr_i);
            integral_i += g_ij;
            s.integral[j] += g_ji;
            if FORCES {
                s.dg_over_r[pair] = [dg_ij * inv_r, dg_ji * inv_r];
            }
            pair += 1;
        }
        s.integral[i] += integral_i;
    }
    let (alpha, beta, gamma) = (p.alpha, p.beta, p.gamma);
    for i in 0..n {
        let or = p.offset_radius[i];
        let psi = s.integral[i] * or;
        let t = psi * (alpha + psi * (-beta + gamma * psi));
        let th = t.tanh();
        let b = 1.0 / (1.0 / or - th / p.radius[i]);
        s.born[i] = b;
        if FORCES {
            s.db_di[i] = b
                * b
                * (or / p.radius[i])
                * (1.0 - th * th)
                * (alpha + psi * (-2.0 * beta + 3.0 * gamma * psi));
        }
    }
}

/// Born radii B_i (nm) at `pos`.
pub(crate) fn born_radii(p: &GbParams, pos: &[[f64; 3]], s: &mut GbScratch) -> Vec<f64> {
    born_radii_pass::<false>(p, pos, s);
    s.born.clone()
}

/// GB energy (self + pair + surface); adds forces when `FORCES`. Leaves B in `s.born`.
pub(crate) fn gbsa_obc<const FORCES: bool>(
    p: &GbParams,
    pos: &[[f64; 3]],
    forces: &mut [[f64; 3]],
    s: &mut GbScratch,
) -> GbEnergy {
    let n = pos.len();
    born_radii_pass::<FORCES>(p, pos, s);

    // Single-particle terms and their ∂E/∂B.
    let mut e_self = 0.0;
    let mut e_sa = 0.0;
    for i in 0..n {
        let inv_b = 1.0 / s.born[i];
        let half_pq2 = 0.5 * p.prefactor * p.charge[i] * p.charge[i];
        let inv_b6 = (inv_b * inv_b * inv_b).powi(2);
        e_self += half_pq2 * inv_b;
        e_sa += p.sa_coeff[i] * inv_b6;
        if FORCES {
            s.de_db[i] = -half_pq2 * inv_b * inv_b - 6.0 * p.sa_coeff[i] * inv_b6 * inv_b;
        }
    }

    // Pass 2: pair term, its explicit forces and its ∂E/∂B.
    let skip_r2 = p.skip_r2;
    let shift = p.cutoff.map_or(0.0, |c| 1.0 / c);
    let mut e_pair = 0.0;
    for i in 0..n {
        let bi = s.born[i];
        let pqi = p.prefactor * p.charge[i];
        let mut fi = [0.0; 3];
        let mut de_dbi = 0.0;
        for j in i + 1..n {
            let d = sub(pos[i], pos[j]);
            let r2 = dot(d, d);
            if r2 >= skip_r2 {
                continue;
            }
            let bj = s.born[j];
            let bb = bi * bj;
            let x = r2 / (4.0 * bb);
            let ex = (-x).exp();
            let inv_f = 1.0 / (r2 + bb * ex).sqrt();
            let pqq = pqi * p.charge[j];
            e_pair += pqq * (inv_f - shift);
            if FORCES {
                let de_df = -pqq * inv_f * inv_f;
                // ∂f/∂r = r (1 − e/4)/f;  ∂f/∂B_i = B_j e (1 + r²/(4B_iB_j)) / (2f)
                let f = -de_df * (1.0 - 0.25 * ex) * inv_f;
                add_scaled(&mut fi, d, f);
                add_scaled(&mut forces[j], d, -f);
                let common = de_df * ex * (1.0 + x) * 0.5 * inv_f;
                de_dbi += common * bj;
                s.de_db[j] += common * bi;
            }
        }
        if FORCES {
            add_scaled(&mut forces[i], fi, 1.0);
            s.de_db[i] += de_dbi;
        }
    }

    // Pass 3: chain rule through the Born radii, C_i = ∂E/∂B_i · dB_i/dI_i.
    if FORCES {
        for i in 0..n {
            s.integral[i] = s.de_db[i] * s.db_di[i];
        }
        let mut pair = 0;
        for i in 0..n {
            let ci = s.integral[i];
            let mut fi = [0.0; 3];
            for j in i + 1..n {
                let [dgij, dgji] = s.dg_over_r[pair];
                pair += 1;
                let w = ci * dgij + s.integral[j] * dgji;
                if w == 0.0 {
                    continue;
                }
                let d = sub(pos[i], pos[j]);
                add_scaled(&mut fi, d, -w);
                add_scaled(&mut forces[j], d, w);
            }
            add_scaled(&mut forces[i], fi, 1.0);
        }
    }
    GbEnergy {
        self_energy: e_self,
        pair: e_pair,
        surface: e_sa,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_threshold_reproduces_sqrt_test() {
        for rc in [0.3, 0.5, 0.8, 1.1, 2.0, 2.5, 1.0 / 3.0] {
            let t = skip_threshold(Some(rc));
            assert!(t.sqrt() >= rc && t.next_down().sqrt() < rc, "rc = {rc}");
        }
        assert_eq!(skip_threshold(None), f64::INFINITY);
    }

    /// ∂g/∂r of the descreening integral against a central difference, in all three regimes
    /// of L = max(or_i, |r − sr_j|) and the engulfed case.
    #[test]
    fn descreening_derivative() {
        for (r, or_i, sr_j) in [
            (0.3, 0.15, 0.1),
            (0.12, 0.15, 0.1),
            (0.05, 0.15, 0.3),
            (0.1, 0.3, 0.05),
        ] {
            let h = 1e-6;
            let (g, dg) = descreening::<true>(r, 1.0 / r, or_i, sr_j);
            let gp = descreening::<false>(r + h, 1.0 / (r + h), or_i, sr_j).0;
            let gm = descreening::<false>(r - h, 1.0 / (r - h), or_i, sr_j).0;
            assert!(
                ((gp - gm) / (2.0 * h) - dg).abs() < 1e-6 * dg.abs().max(1.0),
                "{r} {or_i} {sr_j}: {g} {dg}"
            );
        }
    }
}
