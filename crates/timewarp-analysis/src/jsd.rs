//! Jensen–Shannon divergence between histograms, in nats (natural logarithm).
//!
//! JSD(P‖Q) = ½ KL(P‖M) + ½ KL(Q‖M),  M = ½ (P + Q),  KL(P‖M) = Σ_i p_i ln(p_i / m_i),
//! with 0 ln 0 = 0. It is symmetric, finite even where one histogram has empty bins, and lies
//! in [0, ln 2]: 0 for identical distributions, ln 2 ≈ 0.693 for disjoint supports.

use crate::histogram::{normalise, Histogram2D};

/// Number of bins per angle of the φ/ψ histograms compared by [`jsd_phi_psi`] (10° bins).
pub const PHI_PSI_BINS: usize = 36;

/// JSD in nats between two histograms given as counts (or probabilities) on the same bins.
/// Each is normalised first. Returns `None` if the lengths differ or either is empty.
pub fn jensen_shannon(p_counts: &[f64], q_counts: &[f64]) -> Option<f64> {
    if p_counts.len() != q_counts.len() {
        return None;
    }
    let p = normalise(p_counts);
    let q = normalise(q_counts);
    if p.iter().sum::<f64>() == 0.0 || q.iter().sum::<f64>() == 0.0 {
        return None;
    }
    let mut jsd = 0.0;
    for (&pi, &qi) in p.iter().zip(&q) {
        let mi = 0.5 * (pi + qi);
        if pi > 0.0 {
            jsd += 0.5 * pi * (pi / mi).ln();
        }
        if qi > 0.0 {
            jsd += 0.5 * qi * (qi / mi).ln();
        }
    }
    // Clamp rounding below zero for identical inputs.
    Some(jsd.max(0.0))
}

/// JSD (nats) between the φ/ψ distributions of one residue in two ensembles, on
/// 36 × 36 periodic bins over [−180°, 180°)². Angles in radians.
pub fn jsd_phi_psi(phi_a: &[f64], psi_a: &[f64], phi_b: &[f64], psi_b: &[f64]) -> Option<f64> {
    let a = Histogram2D::ramachandran(phi_a, psi_a, PHI_PSI_BINS);
    let b = Histogram2D::ramachandran(phi_b, psi_b, PHI_PSI_BINS);
    jensen_shannon(&a.counts, &b.counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::LN_2;

    #[test]
    fn identical_histograms_have_zero_divergence() {
        let p = [3.0, 0.0, 5.0, 2.0];
        assert_eq!(jensen_shannon(&p, &p), Some(0.0));
        // scaling the counts does not matter
        let q: Vec<f64> = p.iter().map(|v| v * 7.0).collect();
        assert!(jensen_shannon(&p, &q).unwrap().abs() < 1e-15);
    }

    #[test]
    fn disjoint_histograms_have_ln2() {
        let p = [1.0, 4.0, 0.0, 0.0];
        let q = [0.0, 0.0, 2.0, 9.0];
        assert!((jensen_shannon(&p, &q).unwrap() - LN_2).abs() < 1e-15);
    }

    #[test]
    fn known_value_and_symmetry() {
        // P = (1/2, 1/2), Q = (1, 0): M = (3/4, 1/4);
        // JSD = ½[½ ln(2/3) + ½ ln 2] + ½ ln(4/3).
        let want = 0.5 * (0.5 * (2.0f64 / 3.0).ln() + 0.5 * 2f64.ln()) + 0.5 * (4.0f64 / 3.0).ln();
        let p = [1.0, 1.0];
        let q = [1.0, 0.0];
        assert!((jensen_shannon(&p, &q).unwrap() - want).abs() < 1e-15);
        assert!((jensen_shannon(&q, &p).unwrap() - want).abs() < 1e-15);
    }

    #[test]
    fn empty_or_mismatched_inputs() {
        assert_eq!(jensen_shannon(&[0.0, 0.0], &[1.0, 0.0]), None);
        assert_eq!(jensen_shannon(&[1.0], &[1.0, 0.0]), None);
    }

    #[test]
    fn phi_psi_on_periodic_bins() {
        // −179.9° and +179.9° are 0.2° apart across the periodic boundary but fall in
        // different 10° bins; −175° and −179.9° share bin 0.
        let a = [(-175f64).to_radians()];
        let b = [(-179.9f64).to_radians()];
        assert_eq!(jsd_phi_psi(&a, &a, &b, &b), Some(0.0));
        let c = [(60f64).to_radians()];
        assert!((jsd_phi_psi(&a, &a, &c, &c).unwrap() - LN_2).abs() < 1e-15);
    }
}
