//! Section "one data set by itself": populations with block errors, transitions, accepted
//! moves, ESS, energies and bond checks of MD or of one sample set, with no comparison with MD
//! except the bond reference.

use super::metrics::{DatasetMetrics, ResiduePopulations, Stats};
use super::reference::Reference;
use super::series::Series;
use crate::autocorr::{combined_ess, Ess};
use crate::basins::Populations;
use crate::blocking::{block_estimate, BLOCKS_PER_TRAJECTORY};
use crate::bonds;
use crate::dihedral::PhiPsi;
use crate::moves::ResidueMoves;
use crate::transitions::{count_transitions_split, ResidueTransitions};

/// Populations of every residue with their blocking errors.
fn residue_populations(s: &Series, pairs: &[PhiPsi]) -> Vec<ResiduePopulations> {
    pairs
        .iter()
        .enumerate()
        .map(|(r, p)| {
            let (phi, psi) = (&s.angles.phi[r], &s.angles.psi[r]);
            ResiduePopulations {
                residue: p.label.clone(),
                populations: Populations::from_angles(phi, psi),
                populations_stderr: Populations::block_stderr(phi, psi, &s.lengths),
            }
        })
        .collect()
}

/// Core-set β ↔ αR transitions of every residue.
fn residue_transitions(s: &Series, pairs: &[PhiPsi]) -> Vec<ResidueTransitions> {
    pairs
        .iter()
        .enumerate()
        .map(|(r, p)| ResidueTransitions {
            residue: p.label.clone(),
            transitions: count_transitions_split(&s.angles.phi[r], &s.angles.psi[r], &s.lengths),
        })
        .collect()
}

/// Median accepted |Δφ|, |Δψ| of every residue.
fn residue_moves(s: &Series, pairs: &[PhiPsi]) -> Vec<ResidueMoves> {
    pairs
        .iter()
        .enumerate()
        .map(|(r, p)| ResidueMoves::of(&p.label, &s.angles.phi[r], &s.angles.psi[r], &s.moved))
        .collect()
}

/// ESS of the observable's trajectories combined.
fn ess_of(chains: &[Vec<f64>]) -> Ess {
    combined_ess(&chains.iter().map(Vec::as_slice).collect::<Vec<_>>())
}

/// Everything measured on one data set by itself (no comparison with MD except the bond
/// reference).
pub(super) fn dataset_metrics(s: &Series, reference: &Reference) -> DatasetMetrics {
    let per_residue = residue_populations(s, &reference.pairs);
    let transitions = residue_transitions(s, &reference.pairs);
    let moves = residue_moves(s, &reference.pairs);
    let ess = s.obs.as_ref().map(|o| ess_of(&o.primary));
    let ess_tic1 = s.obs.as_ref().and_then(|o| o.tic1.as_deref()).map(ess_of);
    let wall = s.wall_seconds();
    let per_second = |v: f64| wall.filter(|w| *w > 0.0 && w.is_finite()).map(|w| v / w);
    let basin_transitions = transitions.first().map(|t| t.transitions);
    DatasetMetrics {
        dir: s.dir.clone(),
        command: s.run.as_ref().map(|r| r.command.clone()),
        wall_seconds: wall,
        n_trajectories: s.lengths.len(),
        n_frames: s.n_frames(),
        populations: per_residue
            .first()
            .map(|r| r.populations)
            .unwrap_or_default(),
        populations_stderr: per_residue.first().and_then(|r| r.populations_stderr),
        populations_per_residue: per_residue,
        basin_transitions,
        basin_transitions_per_residue: transitions,
        transitions_per_second: basin_transitions.and_then(|n| per_second(n as f64)),
        moved_frames: s.moved.iter().filter(|&&m| m).count(),
        median_abs_dphi_accepted: moves.first().and_then(|m| m.median_abs_dphi),
        median_abs_dpsi_accepted: moves.first().and_then(|m| m.median_abs_dpsi),
        accepted_moves_per_residue: moves,
        ess_per_second: ess.and_then(|e| wall.and_then(|w| e.per_second(w))),
        ess_per_second_tic1: ess_tic1.and_then(|e| wall.and_then(|w| e.per_second(w))),
        ess,
        ess_tic1,
        bonds: bonds::check_bonds(
            &reference.topology,
            &reference.topology.bonds,
            &s.bond_lengths,
            &reference.bond_lengths,
        ),
        potential_energy: Stats::of(&s.energy),
        potential_energy_stderr: block_estimate(
            &s.energy,
            &s.energy_lengths,
            BLOCKS_PER_TRAJECTORY,
        )
        .map(|e| e.stderr),
        frame_interval_ps: s.frame_interval_ps,
        tau_int_ps: ess
            .zip(s.frame_interval_ps)
            .map(|(e, dt)| e.tau_int * dt)
            .filter(|t| t.is_finite()),
    }
}
