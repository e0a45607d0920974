//! Metastable basins of a residue's Ramachandran plane, as used for alanine dipeptide:
//!
//! * αL:        φ > 0
//! * αR:        φ ≤ 0 and −120° < ψ ≤ 50°
//! * β / C7eq:  everything else (φ ≤ 0 and ψ ≤ −120° or ψ > 50°; extended and C7eq)
//!
//! Angles are wrapped into [−180°, 180°) before classifying, so φ = 180° counts as −180° (β).

use crate::blocking::{block_estimate, BLOCKS_PER_TRAJECTORY};
use serde::{Deserialize, Serialize};

/// One of the three alanine-dipeptide basins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Basin {
    #[serde(rename = "alphaL")]
    AlphaL,
    #[serde(rename = "alphaR")]
    AlphaR,
    #[serde(rename = "beta_C7eq")]
    BetaC7eq,
}

impl Basin {
    pub const ALL: [Basin; 3] = [Basin::AlphaL, Basin::AlphaR, Basin::BetaC7eq];

    /// Key used in metrics.json.
    pub fn key(self) -> &'static str {
        match self {
            Basin::AlphaL => "alphaL",
            Basin::AlphaR => "alphaR",
            Basin::BetaC7eq => "beta_C7eq",
        }
    }

    /// Basin of a (φ, ψ) pair in radians.
    pub fn classify(phi: f64, psi: f64) -> Basin {
        let phi = wrap_degrees(phi.to_degrees());
        let psi = wrap_degrees(psi.to_degrees());
        if phi > 0.0 {
            Basin::AlphaL
        } else if psi > -120.0 && psi <= 50.0 {
            Basin::AlphaR
        } else {
            Basin::BetaC7eq
        }
    }
}

/// Fraction of frames in each basin (they sum to 1 unless there are no frames).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Populations {
    #[serde(rename = "alphaL")]
    pub alpha_l: f64,
    #[serde(rename = "alphaR")]
    pub alpha_r: f64,
    #[serde(rename = "beta_C7eq")]
    pub beta_c7eq: f64,
}

impl Populations {
    /// Populations from per-frame φ, ψ (radians). Frames with a non-finite angle are skipped.
    pub fn from_angles(phi: &[f64], psi: &[f64]) -> Populations {
        let mut counts = [0usize; 3];
        for (&f, &s) in phi.iter().zip(psi) {
            if f.is_finite() && s.is_finite() {
                counts[Basin::classify(f, s) as usize] += 1;
            }
        }
        let n = counts.iter().sum::<usize>();
        if n == 0 {
            return Populations::default();
        }
        let frac = |c: usize| c as f64 / n as f64;
        Populations {
            alpha_l: frac(counts[Basin::AlphaL as usize]),
            alpha_r: frac(counts[Basin::AlphaR as usize]),
            beta_c7eq: frac(counts[Basin::BetaC7eq as usize]),
        }
    }

    /// Standard errors of the populations of trajectories stored one after the other
    /// (`lengths[i]` frames each): blocking of the indicator series 1[frame in basin]
    /// ([`crate::blocking`], 20 blocks per trajectory). `None` with fewer than two blocks.
    pub fn block_stderr(phi: &[f64], psi: &[f64], lengths: &[usize]) -> Option<Populations> {
        let stderr = |basin: Basin| {
            let indicator: Vec<f64> = phi
                .iter()
                .zip(psi)
                .map(|(&f, &s)| match f.is_finite() && s.is_finite() {
                    true => f64::from(u8::from(Basin::classify(f, s) == basin)),
                    false => f64::NAN,
                })
                .collect();
            block_estimate(&indicator, lengths, BLOCKS_PER_TRAJECTORY).map(|e| e.stderr)
        };
        Some(Populations {
            alpha_l: stderr(Basin::AlphaL)?,
            alpha_r: stderr(Basin::AlphaR)?,
            beta_c7eq: stderr(Basin::BetaC7eq)?,
        })
    }

    pub fn get(&self, basin: Basin) -> f64 {
        match basin {
            Basin::AlphaL => self.alpha_l,
            Basin::AlphaR => self.alpha_r,
            Basin::BetaC7eq => self.beta_c7eq,
        }
    }
}

/// Wrap an angle in degrees into [−180, 180).
fn wrap_degrees(a: f64) -> f64 {
    (a + 180.0).rem_euclid(360.0) - 180.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(phi: f64, psi: f64) -> Basin {
        Basin::classify(phi.to_radians(), psi.to_radians())
    }

    #[test]
    fn basin_boundaries() {
        assert_eq!(c(60.0, 30.0), Basin::AlphaL);
        assert_eq!(c(0.1, -170.0), Basin::AlphaL);
        assert_eq!(c(0.0, 0.0), Basin::AlphaR); // φ = 0 is not > 0
        assert_eq!(c(-70.0, -40.0), Basin::AlphaR);
        assert_eq!(c(-70.0, 49.999), Basin::AlphaR);
        assert_eq!(c(-70.0, 50.001), Basin::BetaC7eq);
        assert_eq!(c(-70.0, -119.999), Basin::AlphaR);
        assert_eq!(c(-70.0, -120.001), Basin::BetaC7eq);
        assert_eq!(c(-80.0, 80.0), Basin::BetaC7eq); // C7eq
        assert_eq!(c(-150.0, 150.0), Basin::BetaC7eq); // β
        assert_eq!(c(180.0, 150.0), Basin::BetaC7eq); // φ = 180° ≡ −180°
        assert_eq!(c(-300.0, 30.0), Basin::AlphaL); // −300° ≡ 60°
    }

    #[test]
    fn populations_sum_to_one_and_serialise_with_official_keys() {
        let phi: Vec<f64> = [60.0, -70.0, -70.0, -150.0]
            .iter()
            .map(|d: &f64| d.to_radians())
            .collect();
        let psi: Vec<f64> = [30.0, -40.0, -30.0, 150.0]
            .iter()
            .map(|d: &f64| d.to_radians())
            .collect();
        let p = Populations::from_angles(&phi, &psi);
        assert_eq!((p.alpha_l, p.alpha_r, p.beta_c7eq), (0.25, 0.5, 0.25));
        let json = serde_json::to_value(p).unwrap();
        for key in ["alphaL", "alphaR", "beta_C7eq"] {
            assert!(json.get(key).is_some(), "{key}");
        }
        assert_eq!(Populations::from_angles(&[], &[]), Populations::default());
    }

    #[test]
    fn population_errors_vanish_for_a_trajectory_that_never_changes_basin_and_not_otherwise() {
        let deg = |v: &[f64]| v.iter().map(|d| d.to_radians()).collect::<Vec<_>>();
        // Trajectory 1 all αR, trajectory 2 all β: each block is pure, the block means differ.
        let phi = deg(&[-70.0; 40]);
        let psi = deg(&[[-40.0; 20], [150.0; 20]].concat());
        let e = Populations::block_stderr(&phi, &psi, &[20, 20]).unwrap();
        assert_eq!(e.alpha_l, 0.0);
        // 40 blocks of one frame, half 1 and half 0: Var = 40/39 · 40 · 0.25 / 40².
        let want = (40.0f64 / 39.0 * 10.0 / 1600.0).sqrt();
        assert!((e.alpha_r - want).abs() < 1e-12 && (e.beta_c7eq - want).abs() < 1e-12);
        let single = Populations::block_stderr(&phi[..20], &psi[..20], &[20]).unwrap();
        assert_eq!(single, Populations::default());
        assert_eq!(Populations::block_stderr(&phi[..1], &psi[..1], &[1]), None);
    }
}
