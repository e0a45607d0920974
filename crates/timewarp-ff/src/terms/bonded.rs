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

/// E = Σ k (1 + cos(n φ − φ0)) with φ the IUPAC dihedral of atoms (i, j, k, l):
/// r_ij = x_i − x_j, r_kj = x_k − x_j, r_kl = x_k − x_l, m = r_ij × r_kj, n = r_kj × r_kl,
/// φ = atan2(|r_kj| r_ij·n, m·n).
///
/// Forces (Bekker's decomposition, as in GROMACS): with φ' = dE/dφ,
/// f_i = −φ' |r_kj| m/|m|², f_l = φ' |r_kj| n/|n|², s = (r_ij·r_kj) f_i/|r_kj|² −
/// (r_kl·r_kj) f_l/|r_kj|²; F_i = f_i, F_j = s − f_i, F_k = −f_l − s, F_l = f_l.
pub(crate) fn periodic_torsions<const FORCES: bool>(
    torsions: &[PeriodicTorsion],
    pos: &[[f64; 3]],
    forces: &mut [[f64; 3]],
) -> f64 {
    let mut energy = 0.0;
    for t in torsions {
        let [i, j, k, l] = t.atoms;
        let r_ij = sub(pos[i], pos[j]);
        let r_kj = sub(pos[k], pos[j]);
        let r_kl = sub(pos[k], pos[l]);
        let m = cross(r_ij, r_kj);
        let n = cross(r_kj, r_kl);
        let kj2 = dot(r_kj, r_kj);
        let kj = kj2.sqrt();
        let phi = (kj * dot(r_ij, n)).atan2(dot(m, n));
        let arg = t.periodicity as f64 * phi - t.phase;
        energy += t.k * (1.0 + arg.cos());
        if FORCES {
            let m2 = dot(m, m);
            let n2 = dot(n, n);
            if m2 == 0.0 || n2 == 0.0 {
                continue; // collinear: dihedral undefined
            }
            let de_dphi = -t.k * t.periodicity as f64 * arg.sin();
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
