//! Sizes of the moves a trajectory makes in φ/ψ: the median of |Δφ| and |Δψ| (degrees,
//! differences wrapped into [−180°, 180°)) over consecutive saved frames that differ.
//!
//! A Metropolis–Hastings chain repeats its state bit for bit when it rejects a proposal, so for
//! a chain saved every step the frames that differ from their predecessor are exactly the
//! accepted moves; for MD every frame differs and the median is the typical φ/ψ displacement
//! per saved frame. A residue's medians are taken over the moves that changed its (φ, ψ) pair:
//! a block sampler that moves one residue at a time leaves the others exactly in place, and
//! those steps are not moves of theirs (a move that changes φ but not ψ counts, with |Δψ| = 0). A
//! change below [`UNMOVED_DEG`] is rounding (positions are stored in float32 and an untouched
//! residue is placed again from the same internal coordinates), not a move.

use serde::{Deserialize, Serialize};

/// Largest |Δφ| or |Δψ| (degrees) that still counts as an unmoved residue.
pub const UNMOVED_DEG: f64 = 1e-3;

/// For each frame t of one trajectory (`positions`: T × N × 3): whether it differs from frame
/// t − 1 in any coordinate. Frame 0 has no predecessor and is `false`, so masks of several
/// trajectories can be concatenated without a move across the boundary.
pub fn moved_frames(positions: &[f32], n_atoms: usize) -> Vec<bool> {
    let n3 = 3 * n_atoms;
    if n3 == 0 {
        return Vec::new();
    }
    let frames: Vec<&[f32]> = positions.chunks_exact(n3).collect();
    let mut out = Vec::with_capacity(frames.len());
    for t in 0..frames.len() {
        out.push(t > 0 && frames[t] != frames[t - 1]);
    }
    out
}

/// |a_t − a_{t−1}| in degrees, wrapped, for every frame t with `moved[t]` (angles in radians).
pub fn moved_steps_deg(angle: &[f64], moved: &[bool]) -> Vec<f64> {
    (1..angle.len().min(moved.len()))
        .filter(|&t| moved[t])
        .map(|t| wrapped_difference_deg(angle[t - 1], angle[t]).abs())
        .filter(|d| d.is_finite())
        .collect()
}

/// b − a in degrees, wrapped into [−180, 180) (a and b in radians).
pub fn wrapped_difference_deg(a: f64, b: f64) -> f64 {
    ((b - a).to_degrees() + 180.0).rem_euclid(360.0) - 180.0
}

/// Median (mean of the two middle values for an even count); `None` for no values.
pub fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let n = v.len();
    let (_, &mut upper, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        return Some(upper);
    }
    let lower = v[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some(0.5 * (lower + upper))
}

/// Median accepted move sizes of one residue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResidueMoves {
    pub residue: String,
    /// Median |Δφ| in degrees over frames that moved; `None` when no frame moved.
    pub median_abs_dphi: Option<f64>,
    /// Median |Δψ| in degrees over frames that moved; `None` when no frame moved.
    pub median_abs_dpsi: Option<f64>,
}

impl ResidueMoves {
    /// From the residue's φ and ψ series (radians) and the moved-frame mask.
    pub fn of(residue: &str, phi: &[f64], psi: &[f64], moved: &[bool]) -> ResidueMoves {
        let own: Vec<bool> = (0..moved.len())
            .map(|t| {
                t > 0
                    && moved[t]
                    && t < phi.len().min(psi.len())
                    && (wrapped_difference_deg(phi[t - 1], phi[t]).abs() > UNMOVED_DEG
                        || wrapped_difference_deg(psi[t - 1], psi[t]).abs() > UNMOVED_DEG)
            })
            .collect();
        ResidueMoves {
            residue: residue.to_string(),
            median_abs_dphi: median(moved_steps_deg(phi, &own)),
            median_abs_dpsi: median(moved_steps_deg(psi, &own)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
    }

    #[test]
    fn wrapped_differences_take_the_short_way_round() {
        let d = |a: f64, b: f64| wrapped_difference_deg(a.to_radians(), b.to_radians());
        assert!((d(170.0, -170.0) - 20.0).abs() < 1e-9);
        assert!((d(-170.0, 170.0) + 20.0).abs() < 1e-9);
        assert!((d(-60.0, 60.0) - 120.0).abs() < 1e-9);
    }

    /// A planted MH chain of one "atom" whose x coordinate stands for the state: rejected
    /// steps repeat the frame exactly, accepted ones move φ by known amounts.
    #[test]
    fn median_move_sizes_of_a_planted_chain_use_only_accepted_moves() {
        // Two chains of 6 and 4 saved steps; repeats are rejections, and 40° → 170° falls on
        // the boundary between the chains, so it is no move.
        let phi_deg = [
            0.0, 0.0, 10.0, 10.0, 10.0, 40.0, 170.0, 170.0, -170.0, -175.0,
        ];
        let psi_deg = [5.0, 5.0, 5.0, 5.0, 5.0, 9.0, 0.0, 0.0, 0.0, 0.0];
        let positions: Vec<f32> = phi_deg
            .iter()
            .zip(&psi_deg)
            .flat_map(|(&f, &s)| [f as f32, s as f32, 0.0])
            .collect();
        let (first, second) = positions.split_at(6 * 3);
        let mut moved = moved_frames(first, 1);
        moved.extend(moved_frames(second, 1));
        assert_eq!(
            moved,
            [false, false, true, false, false, true, false, false, true, true]
        );
        let rad = |v: &[f64]| v.iter().map(|d| d.to_radians()).collect::<Vec<_>>();
        let m = ResidueMoves::of("ALA 2", &rad(&phi_deg), &rad(&psi_deg), &moved);
        // |Δφ| = 10, 30, 20, 5 → 15; |Δψ| = 0, 4, 0, 0 → 0.
        assert!((m.median_abs_dphi.unwrap() - 15.0).abs() < 1e-9, "{m:?}");
        assert!(m.median_abs_dpsi.unwrap().abs() < 1e-9, "{m:?}");
        // A chain that never moves has no accepted move.
        let stuck = moved_frames(&[1.0, 2.0, 3.0, 1.0, 2.0, 3.0], 1);
        assert_eq!(stuck, [false, false]);
        let none = ResidueMoves::of("ALA 2", &[0.1, 0.1], &[0.2, 0.2], &stuck);
        assert_eq!((none.median_abs_dphi, none.median_abs_dpsi), (None, None));
    }
}
