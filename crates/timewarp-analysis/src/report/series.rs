//! The per-frame series of one data set that every section reads: φ/ψ per residue, TIC0/TIC1,
//! the ESS observables, moves, energies and bond lengths, and where its frames sit in time.
//! Positions are not kept: a data set is loaded, turned into a `Series` and dropped.

use super::clock::{self, Clock};
use super::reference::{project, Reference, TicFrames, TicPoints};
use crate::bonds;
use crate::dataset::{Dataset, RunInfo, Trajectory};
use crate::dihedral::{dihedral_series, PhiPsi};
use crate::error::AnalysisError;
use crate::features::FeatureMatrix;
use crate::moves::moved_frames;
use std::path::PathBuf;
use timewarp_rundir::RunRecord;

/// The ESS observable per trajectory of one data set, and TIC1 when TICA ran.
pub(super) struct Observables {
    pub(super) primary: Vec<Vec<f64>>,
    pub(super) tic1: Option<Vec<Vec<f64>>>,
}

/// Per-residue φ/ψ series of one data set, trajectories one after the other.
pub(super) struct Angles {
    pub(super) phi: Vec<Vec<f64>>,
    pub(super) psi: Vec<Vec<f64>>,
}

fn angles(ds: &Dataset, pairs: &[PhiPsi]) -> Angles {
    let series = |q: [usize; 4]| -> Vec<f64> {
        ds.trajectories
            .iter()
            .flat_map(|t| dihedral_series(&t.positions, t.n_atoms, q))
            .collect()
    };
    Angles {
        phi: pairs.iter().map(|p| series(p.phi)).collect(),
        psi: pairs.iter().map(|p| series(p.psi)).collect(),
    }
}

/// Per-frame series of one data set (MD or a sample set), trajectories one after the other;
/// the positions are not kept.
pub(super) struct Series {
    pub(super) label: String,
    pub(super) dir: PathBuf,
    pub(super) run: Option<RunInfo>,
    /// The folder's run.json in full (settings, inputs, summary), for provenance and τ.
    pub(super) record: Option<RunRecord>,
    /// Physical time between saved frames (ps), see [`clock::frame_interval_ps`].
    pub(super) frame_interval_ps: Option<f64>,
    /// Frames of each trajectory.
    pub(super) lengths: Vec<usize>,
    pub(super) angles: Angles,
    /// Frame differs from the one before it in its trajectory (see [`crate::moves`]).
    pub(super) moved: Vec<bool>,
    pub(super) tics: Option<TicPoints>,
    pub(super) obs: Option<Observables>,
    /// Potential energies (kJ/mol) and how many each trajectory stores.
    pub(super) energy: Vec<f64>,
    pub(super) energy_lengths: Vec<usize>,
    /// Bond lengths, frames × bonds (nm).
    pub(super) bond_lengths: Vec<f64>,
    /// Time axis of the first trajectory.
    pub(super) clock: Clock,
}

impl Series {
    /// `feats`: the data set's TICA features when already computed (MD).
    pub(super) fn of(
        ds: &Dataset,
        label: &str,
        reference: &Reference,
        feats: Option<Vec<FeatureMatrix>>,
        is_reference: bool,
    ) -> Result<Series, AnalysisError> {
        // A run.json that does not read was already reported by `load_dataset`.
        let record = RunRecord::read(&ds.dir).ok().flatten();
        let first = &ds.trajectories[0];
        let md = clock::is_md(ds.run.as_ref(), is_reference);
        let lengths: Vec<usize> = ds.trajectories.iter().map(Trajectory::n_frames).collect();
        let angles = angles(ds, &reference.pairs);
        let tics = match &reference.tica {
            Some(t) => {
                let feats = feats.unwrap_or_else(|| {
                    ds.trajectories
                        .iter()
                        .map(|t| reference.spec.compute(&t.positions, t.n_atoms))
                        .collect()
                });
                Some(project(&feats, t)?)
            }
            None => None,
        };
        let obs = observables(tics.as_ref(), &angles, &lengths);
        let bonds = &reference.topology.bonds;
        Ok(Series {
            label: label.to_string(),
            dir: ds.dir.clone(),
            run: ds.run.clone(),
            moved: ds
                .trajectories
                .iter()
                .flat_map(|t| moved_frames(&t.positions, t.n_atoms))
                .collect(),
            energy: ds
                .trajectories
                .iter()
                .flat_map(|t| t.potential_energy.iter().copied())
                .collect(),
            energy_lengths: ds
                .trajectories
                .iter()
                .map(|t| t.potential_energy.len())
                .collect(),
            bond_lengths: ds
                .trajectories
                .iter()
                .flat_map(|t| bonds::bond_lengths(&t.positions, t.n_atoms, bonds))
                .collect(),
            clock: Clock::of(first, ds.run.as_ref(), record.as_ref(), is_reference),
            frame_interval_ps: clock::frame_interval_ps(first, md, record.as_ref()),
            record,
            lengths,
            angles,
            tics,
            obs,
        })
    }

    pub(super) fn n_frames(&self) -> usize {
        self.lengths.iter().sum()
    }

    pub(super) fn wall_seconds(&self) -> Option<f64> {
        self.run.as_ref().map(|r| r.wall_seconds)
    }

    /// TIC0/TIC1 of all frames.
    pub(super) fn tic_points(&self) -> Option<TicFrames> {
        self.tics.as_ref().map(|t| t.concat())
    }
}

/// `values` (trajectories one after the other) cut back into trajectories.
fn split<'a>(values: &'a [f64], lengths: &[usize]) -> Vec<&'a [f64]> {
    let mut rest = values;
    lengths
        .iter()
        .map(|&n| {
            let (head, tail) = rest.split_at(n.min(rest.len()));
            rest = tail;
            head
        })
        .collect()
}

/// ESS observables: TIC0 (and TIC1) when TICA ran, else cos φ of the first residue.
fn observables(tics: Option<&TicPoints>, a: &Angles, lengths: &[usize]) -> Option<Observables> {
    if let Some(tr) = tics {
        let component = |k: usize| -> Vec<Vec<f64>> {
            tr.iter()
                .map(|v| v.iter().map(|p| p[k]).collect())
                .collect()
        };
        return Some(Observables {
            primary: component(0),
            tic1: Some(component(1)),
        });
    }
    let phi = a.phi.first()?;
    Some(Observables {
        primary: split(phi, lengths)
            .into_iter()
            .map(|t| t.iter().map(|v| v.cos()).collect())
            .collect(),
        tic1: None,
    })
}
