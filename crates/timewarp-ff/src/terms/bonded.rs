//! Bonded terms: harmonic bonds, harmonic angles, periodic torsions (propers and impropers).
//!
//! Each function returns the energy of its term (kJ/mol) and, when `FORCES` is true, adds
//! F = −∇E (kJ mol⁻¹ nm⁻¹) into `forces`.

use super::vec3::{add_scaled, cross, dot, sub};
use crate::params::{HarmonicAngle, HarmonicBond, PeriodicTorsion};

/// E = Σ ½ k (r − r0)²;  F_i = −k (r − r0) (x_i − x_j)/r,  F_j = −F_i.
pub(crate) fn harmonic_bonds<const FORCES: bool>(
    bonds: &[HarmonicBond],
    pos: &[[f64; 3]],
    forces: &mut [[f64; 3]],
) -> f64 {
    let mut energy = 0.0;
    for b in bonds {
        let [i, j] = b.atoms;
        let d = sub(pos[i], pos[j]);
        let r = dot(d, d).sqrt();
        let dr = r - b.length;
        energy += 0.5 * b.k * dr * dr;
        if FORCES && r > 0.0 {
            let f = -b.k * dr / r;
            add_scaled(&mut forces[i], d, f);
            add_scaled(&mut forces[j], d, -f);
        }
    }
    energy
}

/// E = Σ ½ k (θ − θ0)², θ = atan2(|u × v|, u·v) with u = x_a − x_b, v = x_c − x_b.
///
/// With p = u × v: ∂θ/∂x_a = u × p / (|u|² |p|), ∂θ/∂x_c = −v × p / (|v|² |p|),
/// ∂θ/∂x_b = −(∂θ/∂x_a + ∂θ/∂x_c). At exactly linear geometry (p = 0) the direction of the
/// force is undefined and no force is applied.
pub(crate) fn harmonic_angles<const FORCES: bool>(
    angles: &[HarmonicAngle],
    pos: &[[f64; 3]],
    forces: &mut [[f64; 3]],
) -> f64 {
    let mut energy = 0.0;
    for a in angles {
        let [ia, ib, ic] = a.atoms;
        let u = sub(pos[ia], pos[ib]);
        let v = sub(pos[ic], pos[ib]);
        let p = cross(u, v);
        let p_norm = dot(p, p).sqrt();
        let theta = p_norm.atan2(dot(u, v));
        let dtheta = theta - a.angle;
        energy += 0.5 * a.k * dtheta * dtheta;
        if FORCES && p_norm > 0.0 {
            let de_dtheta = a.k * dtheta;
            let fa = cross(u, p);
            let fc = cross(v, p);
            let sa = -de_dtheta / (dot(u, u) * p_norm);
            let sc = de_dtheta / (dot(v, v) * p_norm);
            add_scaled(&mut forces[ia], fa, sa);
            add_scaled(&mut forces[ic], fc, sc);
            add_scaled(&mut forces[ib], fa, -sa);
            add_scaled(&mut forces[ib], fc, -sc);
        }
    }
    energy
}

/// Torsion terms grouped by atom quadruple, so that the dihedral geometry of a quadruple with
/// several Fourier terms (ff14SB has up to four) is computed once.
#[derive(Debug, Clone, Default)]
pub(crate) struct TorsionSet {
    /// One entry per Fourier term, as assigned (the public table).
    pub terms: Vec<PeriodicTorsion>,
    /// Consecutive runs of `terms` on the same atoms: (atoms, first term, end).
    groups: Vec<([usize; 4], usize, usize)>,
    /// Per term: (n, k, k cos φ0, k sin φ0).
    fourier: Vec<(u32, f64, f64, f64)>,
}

impl TorsionSet {
    pub fn new(terms: Vec<PeriodicTorsion>) -> Self {
        let mut groups: Vec<([usize; 4], usize, usize)> = Vec::new();
        for (t, term) in terms.iter().enumerate() {
            match groups.last_mut() {
                Some(g) if g.0 == term.atoms => g.2 = t + 1,
                _ => groups.push((term.atoms, t, t + 1)),
            }
        }
        let fourier = terms
            .iter()
            .map(|t| (t.periodicity, t.k, t.k * t.phase.cos(), t.k * t.phase.sin()))
            .collect();
        TorsionSet {
            terms,
            groups,
            fourier,
        }
    }
}

/// E = Σ k (1 + cos(n φ − φ0)) with φ the IUPAC dihedral of atoms (i, j, k, l):
/// r_ij = x_i − x_j, r_kj = x_k − x_j, r_kl = x_k − x_l, m = r_ij × r_kj, n = r_kj × r_kl,
/// cos φ = m·n / (|m||n|), sin φ = |r_kj| r_ij·n / (|m||n|)  (i.e. φ = atan2(|r_kj| r_ij·n, m·n)).
/// cos nφ and sin nφ follow by the angle-addition recurrence, and
/// k cos(nφ − φ0) = cos nφ · k cos φ0 + sin nφ · k sin φ0, so no trigonometric call is needed.
///
/// Forces (Bekker's decomposition, as in GROMACS): with φ' = dE/dφ = −Σ k n sin(nφ − φ0),
/// f_i = −φ' |r_kj| m/|m|², f_l = φ' |r_kj| n/|n|², s = (r_ij·r_kj) f_i/|r_kj|² −
/// (r_kl·r_kj) f_l/|r_kj|²; F_i = f_i, F_j = s − f_i, F_k = −f_l − s, F_l = f_l.
/// For collinear atoms (m or n = 0) φ is undefined; like atan2(0, 0) it is taken as 0, without
/// force.
pub(crate) fn periodic_torsions<const FORCES: bool>(
    set: &TorsionSet,
    pos: &[[f64; 3]],
    forces: &mut [[f64; 3]],
) -> f64 {
    let mut energy = 0.0;
    for &([i, j, k, l], first, end) in &set.groups {
        let r_ij = sub(pos[i], pos[j]);
        let r_kj = sub(pos[k], pos[j]);
        let r_kl = sub(pos[k], pos[l]);
        let m = cross(r_ij, r_kj);
        let n = cross(r_kj, r_kl);
        let kj2 = dot(r_kj, r_kj);
        let kj = kj2.sqrt();
        let m2 = dot(m, m);
        let n2 = dot(n, n);
        let defined = m2 > 0.0 && n2 > 0.0;
        let (cos_phi, sin_phi) = if defined {
            let inv_mn = 1.0 / (m2 * n2).sqrt();
            (dot(m, n) * inv_mn, kj * dot(r_ij, n) * inv_mn)
        } else {
            (1.0, 0.0)
        };
        let mut de_dphi = 0.0;
        for &(per, kf, k_cos0, k_sin0) in &set.fourier[first..end] {
            let (mut c, mut s) = (1.0, 0.0);
            for _ in 0..per {
                (c, s) = (c * cos_phi - s * sin_phi, s * cos_phi + c * sin_phi);
            }
            energy += kf + c * k_cos0 + s * k_sin0;
            de_dphi -= per as f64 * (s * k_cos0 - c * k_sin0);
        }
        if FORCES && defined {
            let fi_s = -de_dphi * kj / m2;
            let fl_s = de_dphi * kj / n2;
            let p = dot(r_ij, r_kj) / kj2;
            let q = dot(r_kl, r_kj) / kj2;
            // f_i = fi_s m, f_l = fl_s n, s = p f_i − q f_l
            for c in 0..3 {
                let fi = fi_s * m[c];
                let fl = fl_s * n[c];
                let s = p * fi - q * fl;
                forces[i][c] += fi;
                forces[j][c] += s - fi;
                forces[k][c] += -fl - s;
                forces[l][c] += fl;
            }
        }
    }
    energy
}
