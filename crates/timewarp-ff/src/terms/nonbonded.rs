//! OpenMM's `NonbondedForce` for a non-periodic molecule: Coulomb + Lennard-Jones over all
//! pairs that are not 1-2/1-3/1-4 bonded, plus the scaled 1-4 pairs (NOTES.md §2.4, §9.2).
//!
//! Regular pair (i, j), Lorentz–Berthelot σ_ij = (σ_i + σ_j)/2, ε_ij = √(ε_i ε_j):
//!   E = K q_i q_j (1/r + k_rf r² − c_rf) + 4 ε_ij ((σ_ij/r)¹² − (σ_ij/r)⁶)
//! With `NoCutoff` k_rf = c_rf = 0 and every pair counts. With `CutoffNonPeriodic` only pairs
//! with r² ≤ r_c² count (LJ truncated, not shifted) and, for the reaction-field dielectric
//! ε_rf, k_rf = r_c⁻³ (ε_rf − 1)/(2ε_rf + 1), c_rf = r_c⁻¹ 3ε_rf/(2ε_rf + 1).
//! 1-4 pairs: E = K qq/r + 4ε((σ/r)¹² − (σ/r)⁶) at any distance, never reaction-field modified.

use super::vec3::{add_scaled, dot, sub};
use crate::constants::ONE_4PI_EPS0;
use crate::params::Pair14;

/// Reaction-field cutoff treatment of regular pairs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ReactionField {
    pub cutoff: f64,
    pub krf: f64,
    pub crf: f64,
}

impl ReactionField {
    /// OpenMM `ReferenceLJCoulombIxn::setUseCutoff`.
    pub fn new(cutoff: f64, dielectric: f64) -> Self {
        let krf = cutoff.powi(-3) * (dielectric - 1.0) / (2.0 * dielectric + 1.0);
        let crf = (1.0 / cutoff) * (3.0 * dielectric) / (2.0 * dielectric + 1.0);
        ReactionField { cutoff, krf, crf }
    }
}

/// Per-atom nonbonded parameters and the pair lists derived from the bond graph.
#[derive(Debug, Clone)]
pub(crate) struct NonbondedParams {
    pub charge: Vec<f64>,
    /// σ_i / 2, so that σ_ij = half_sigma_i + half_sigma_j.
    pub half_sigma: Vec<f64>,
    /// √ε_i, so that ε_ij = sqrt_eps_i sqrt_eps_j.
    pub sqrt_eps: Vec<f64>,
    /// Excluded partners j > i of atom i (1-2, 1-3 and 1-4), sorted:
    /// `excluded[excluded_start[i]..excluded_start[i + 1]]`.
    pub excluded_start: Vec<usize>,
    pub excluded: Vec<usize>,
    pub pairs14: Vec<Pair14>,
    pub reaction_field: Option<ReactionField>,
}

/// Energies of the four parts, kJ/mol.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct NonbondedEnergy {
    pub coulomb: f64,
    pub lj: f64,
    pub coulomb14: f64,
    pub lj14: f64,
}

/// Energy of the regular pairs and the 1-4 pairs; adds forces when `FORCES`.
pub(crate) fn nonbonded<const FORCES: bool>(
    p: &NonbondedParams,
    pos: &[[f64; 3]],
    forces: &mut [[f64; 3]],
) -> NonbondedEnergy {
    let n = pos.len();
    let (cutoff2, krf, crf) = match p.reaction_field {
        Some(rf) => (rf.cutoff * rf.cutoff, rf.krf, rf.crf),
        None => (f64::INFINITY, 0.0, 0.0),
    };
    let mut e_coul = 0.0;
    let mut e_lj = 0.0;
    for i in 0..n {
        let xi = pos[i];
        let qi = ONE_4PI_EPS0 * p.charge[i];
        let si = p.half_sigma[i];
        let ei = p.sqrt_eps[i];
        let excluded = &p.excluded[p.excluded_start[i]..p.excluded_start[i + 1]];
        let mut next_excluded = 0;
        let mut fi = [0.0; 3];
        for j in i + 1..n {
            if next_excluded < excluded.len() && excluded[next_excluded] == j {
                next_excluded += 1;
                continue;
            }
            let d = sub(xi, pos[j]);
            let r2 = dot(d, d);
            if r2 > cutoff2 {
                continue;
            }
            let inv_r2 = 1.0 / r2;
            let inv_r = inv_r2.sqrt();
            let qq = qi * p.charge[j];
            let sig = si + p.half_sigma[j];
            let eps4 = 4.0 * ei * p.sqrt_eps[j];
            let sr2 = sig * sig * inv_r2;
            let sr6 = sr2 * sr2 * sr2;
            e_coul += qq * (inv_r + krf * r2 - crf);
            e_lj += eps4 * (sr6 * sr6 - sr6);
            if FORCES {
                // r dE/dr
                let r_de_dr =
                    qq * (-inv_r + 2.0 * krf * r2) + eps4 * (6.0 * sr6 - 12.0 * sr6 * sr6);
                let f = -r_de_dr * inv_r2;
                add_scaled(&mut fi, d, f);
                add_scaled(&mut forces[j], d, -f);
            }
        }
        if FORCES {
            add_scaled(&mut forces[i], fi, 1.0);
        }
    }

    let mut e_coul14 = 0.0;
    let mut e_lj14 = 0.0;
    for pair in &p.pairs14 {
        let [i, j] = pair.atoms;
        let d = sub(pos[i], pos[j]);
        let inv_r2 = 1.0 / dot(d, d);
        let inv_r = inv_r2.sqrt();
        let qq = ONE_4PI_EPS0 * pair.charge_prod;
        let eps4 = 4.0 * pair.epsilon;
        let sr2 = pair.sigma * pair.sigma * inv_r2;
        let sr6 = sr2 * sr2 * sr2;
        e_coul14 += qq * inv_r;
        e_lj14 += eps4 * (sr6 * sr6 - sr6);
        if FORCES {
            let r_de_dr = -qq * inv_r + eps4 * (6.0 * sr6 - 12.0 * sr6 * sr6);
            let f = -r_de_dr * inv_r2;
            add_scaled(&mut forces[i], d, f);
            add_scaled(&mut forces[j], d, -f);
        }
    }
    NonbondedEnergy {
        coulomb: e_coul,
        lj: e_lj,
        coulomb14: e_coul14,
        lj14: e_lj14,
    }
}
