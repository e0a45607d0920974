//! Transitions between the β/C7eq and αR basins of one residue, counted by *core sets*
//! (transition-based assignment, as in Markov-state-model work on alanine dipeptide): a frame
//! is assigned to a basin only when it lies in that basin's core,
//!
//! * β core:  −180° < φ < −45° and (ψ > 100° or ψ < −160°);
//! * αR core: −130° < φ < −40° and −70° < ψ < 10°,
//!
//! and a frame outside both cores keeps the core visited last. A transition is a change of the
//! committed core, so thermal recrossings of the barrier that fall back into the basin they came
//! from count nothing. Trajectories are counted separately and summed: the last frame of one
//! trajectory and the first of the next are not consecutive in time.
//!
//! Angles are radians and are wrapped into [−180°, 180°) like [`crate::basins`].

use serde::{Deserialize, Serialize};

/// One of the two cores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Core {
    Beta,
    AlphaR,
}

impl Core {
    /// Core of a (φ, ψ) pair in radians, or `None` between the cores (or for a non-finite angle).
    pub fn of(phi: f64, psi: f64) -> Option<Core> {
        if !(phi.is_finite() && psi.is_finite()) {
            return None;
        }
        let phi = wrap_degrees(phi.to_degrees());
        let psi = wrap_degrees(psi.to_degrees());
        // ψ > 100° or ψ < −160°
        if phi > -180.0 && phi < -45.0 && !(-160.0..=100.0).contains(&psi) {
            Some(Core::Beta)
        } else if phi > -130.0 && phi < -40.0 && psi > -70.0 && psi < 10.0 {
            Some(Core::AlphaR)
        } else {
            None
        }
    }
}

/// β ↔ αR transitions of one trajectory (core-set counting, see the module documentation).
pub fn count_transitions(phi: &[f64], psi: &[f64]) -> usize {
    let mut committed: Option<Core> = None;
    let mut n = 0;
    for (&f, &s) in phi.iter().zip(psi) {
        if let Some(core) = Core::of(f, s) {
            if committed.is_some_and(|c| c != core) {
                n += 1;
            }
            committed = Some(core);
        }
    }
    n
}

/// Transitions of several trajectories stored one after the other in `phi`/`psi`
/// (`lengths[k]` frames each), summed over trajectories; none is counted across a boundary.
pub fn count_transitions_split(phi: &[f64], psi: &[f64], lengths: &[usize]) -> usize {
    let mut start = 0;
    let mut n = 0;
    for &len in lengths {
        let end = (start + len).min(phi.len()).min(psi.len());
        n += count_transitions(&phi[start..end], &psi[start..end]);
        start = end;
    }
    n
}

/// Transition count of one residue, for metrics.json.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidueTransitions {
    pub residue: String,
    pub transitions: usize,
}

/// Wrap an angle in degrees into [−180, 180).
fn wrap_degrees(a: f64) -> f64 {
    (a + 180.0).rem_euclid(360.0) - 180.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (φ, ψ) in degrees → two radian series.
    fn series(points: &[(f64, f64)]) -> (Vec<f64>, Vec<f64>) {
        points
            .iter()
            .map(|&(f, s)| (f.to_radians(), s.to_radians()))
            .unzip()
    }

    const BETA: (f64, f64) = (-80.0, 150.0);
    const ALPHA_R: (f64, f64) = (-70.0, -40.0);
    /// Between the cores: ψ = 50° is in neither.
    const BARRIER: (f64, f64) = (-70.0, 50.0);
    /// αL is in neither core either.
    const ALPHA_L: (f64, f64) = (60.0, 40.0);

    #[test]
    fn core_boundaries_are_strict_and_wrapped() {
        let c = |f: f64, s: f64| Core::of(f.to_radians(), s.to_radians());
        assert_eq!(c(-80.0, 150.0), Some(Core::Beta));
        assert_eq!(c(-80.0, -170.0), Some(Core::Beta)); // ψ < −160°
        assert_eq!(c(-80.0, 100.0), None); // ψ > 100° is strict
        assert_eq!(c(-45.0, 150.0), None); // φ < −45° is strict
        assert_eq!(c(180.0, 150.0), None); // φ = 180° ≡ −180°, excluded
        assert_eq!(c(-179.0, 150.0), Some(Core::Beta));
        assert_eq!(c(-70.0, -40.0), Some(Core::AlphaR));
        assert_eq!(c(-130.0, -40.0), None);
        assert_eq!(c(-70.0, 10.0), None);
        assert_eq!(c(-70.0, -70.0), None);
        assert_eq!(c(-70.0 + 360.0, -40.0 - 720.0), Some(Core::AlphaR));
        assert_eq!(c(f64::NAN, -40.0), None);
        assert_eq!(c(60.0, 40.0), None); // αL
    }

    #[test]
    fn barrier_recrossings_without_reaching_the_other_core_count_zero() {
        let (phi, psi) = series(&[
            BETA, BARRIER, BETA, BARRIER, BARRIER, BETA, ALPHA_L, BETA, BARRIER,
        ]);
        assert_eq!(count_transitions(&phi, &psi), 0);
    }

    #[test]
    fn each_change_of_committed_core_counts_once() {
        // β → (barrier) → αR → (barrier, back to αR) → β: two transitions.
        let (phi, psi) = series(&[
            BETA, BARRIER, ALPHA_R, BARRIER, ALPHA_R, ALPHA_R, BARRIER, BETA,
        ]);
        assert_eq!(count_transitions(&phi, &psi), 2);
        // Frames before the first core visit commit to nothing.
        let (phi, psi) = series(&[BARRIER, ALPHA_L, ALPHA_R, BETA]);
        assert_eq!(count_transitions(&phi, &psi), 1);
        assert_eq!(count_transitions(&[], &[]), 0);
    }

    #[test]
    fn concatenated_trajectories_do_not_transition_at_the_boundary() {
        // Trajectory 1 ends in β, trajectory 2 starts (and stays) in αR.
        let (phi, psi) = series(&[ALPHA_R, BARRIER, BETA, BETA, ALPHA_R, ALPHA_R, BARRIER]);
        assert_eq!(count_transitions(&phi, &psi), 2, "as one series");
        assert_eq!(count_transitions_split(&phi, &psi, &[4, 3]), 1);
        // Each trajectory counted on its own and summed.
        let (phi, psi) = series(&[BETA, ALPHA_R, BETA, ALPHA_R, BETA]);
        assert_eq!(count_transitions_split(&phi, &psi, &[2, 3]), 1 + 2);
        assert_eq!(count_transitions_split(&phi, &psi, &[1, 1, 1, 1, 1]), 0);
    }
}
