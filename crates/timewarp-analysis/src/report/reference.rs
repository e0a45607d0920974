//! The reference every data set is measured against, all from MD: the residues with φ and ψ,
//! the TICA model fitted on MD features, the mean MD bond lengths and the ESS observable.

use crate::bonds;
use crate::dataset::Dataset;
use crate::dihedral::{phi_psi_pairs, PhiPsi};
use crate::error::AnalysisError;
use crate::features::{FeatureMatrix, FeatureSpec};
use crate::report::metrics::TicaSummary;
use crate::tica::{Tica, TicaOptions};
use timewarp_mol::Topology;

/// (TIC0, TIC1) of every frame of one data set.
pub(super) type TicFrames = Vec<[f64; 2]>;

/// (TIC0, TIC1) of every frame, per trajectory.
pub(super) type TicPoints = Vec<TicFrames>;

/// What every data set is measured against, all from MD: the residues, the TICA model and
/// the MD bond lengths.
pub(super) struct Reference {
    pub(super) topology: Topology,
    pub(super) pairs: Vec<PhiPsi>,
    pub(super) spec: FeatureSpec,
    pub(super) tica: Option<Tica>,
    /// Mean MD length of every bond of `topology.bonds` (nm).
    pub(super) bond_lengths: Vec<f64>,
    pub(super) ess_observable: Option<String>,
}

impl Reference {
    /// The reference of `md`, and the MD feature matrices (reused for projecting MD).
    pub(super) fn build(
        md: &Dataset,
        requested_lag: usize,
        warnings: &mut Vec<String>,
    ) -> (Reference, Vec<FeatureMatrix>) {
        let topology = md.topology().clone();
        let pairs = phi_psi_pairs(&topology);
        if pairs.is_empty() {
            warnings.push("no residue has both φ and ψ: no Ramachandran analysis".to_string());
        }
        let spec = FeatureSpec::timewarp(&topology);
        let md_feats: Vec<FeatureMatrix> = md
            .trajectories
            .iter()
            .map(|t| spec.compute(&t.positions, t.n_atoms))
            .collect();
        let tica = fit_tica(&md_feats, requested_lag, warnings);
        let ess_observable = if tica.is_some() {
            Some("TIC0".to_string())
        } else {
            pairs.first().map(|p| format!("cos φ({})", p.label))
        };
        let md_lengths: Vec<f64> = md
            .trajectories
            .iter()
            .flat_map(|t| bonds::bond_lengths(&t.positions, t.n_atoms, &topology.bonds))
            .collect();
        let bond_lengths = bonds::mean_lengths(&md_lengths, topology.bonds.len());
        let reference = Reference {
            topology,
            pairs,
            spec,
            tica,
            bond_lengths,
            ess_observable,
        };
        (reference, md_feats)
    }

    pub(super) fn residues(&self) -> Vec<String> {
        self.pairs.iter().map(|p| p.label.clone()).collect()
    }

    /// The TICA model in numbers; implied timescales also in ps when the MD frames are evenly
    /// spaced `md_frame_interval_ps` apart (t_i = −lag·Δt / ln|λ_i|).
    pub(super) fn tica_summary(&self, md_frame_interval_ps: Option<f64>) -> Option<TicaSummary> {
        self.tica.as_ref().map(|t| {
            let timescales_frames: Vec<f64> = t.timescales().into_iter().take(5).collect();
            TicaSummary {
                lag_frames: t.lag,
                n_features: t.mean.len(),
                eigenvalues: t.eigenvalues.iter().take(5).copied().collect(),
                timescales_ps: md_frame_interval_ps
                    .map(|dt| timescales_frames.iter().map(|f| f * dt).collect()),
                frame_interval_ps: md_frame_interval_ps,
                timescales_frames,
            }
        })
    }
}

/// TICA on the MD features with lag `requested` frames, shortened (with a warning) when the
/// longest trajectory holds fewer than 2·lag + 2 frames. `None` (with a warning) when fewer
/// than two components come out.
fn fit_tica(
    md_feats: &[FeatureMatrix],
    requested: usize,
    warnings: &mut Vec<String>,
) -> Option<Tica> {
    let longest = md_feats.iter().map(|f| f.n_frames).max().unwrap_or(0);
    let mut lag = requested.max(1);
    if longest < 2 * lag + 2 {
        let reduced = (longest / 10).max(1);
        warnings.push(format!(
            "TICA lag reduced from {lag} to {reduced} frames: the longest MD trajectory has only {longest} frames"
        ));
        lag = reduced;
    }
    let options = TicaOptions {
        lag,
        ..TicaOptions::default()
    };
    match Tica::fit(&md_feats.iter().collect::<Vec<_>>(), options) {
        Ok(t) if t.dim() >= 2 => Some(t),
        Ok(_) => {
            warnings.push("TICA found fewer than two components: no TIC0/TIC1 analysis".into());
            None
        }
        Err(e) => {
            warnings.push(format!("no TICA: {e}"));
            None
        }
    }
}

/// (TIC0, TIC1) of every frame of every trajectory.
pub(super) fn project(feats: &[FeatureMatrix], tica: &Tica) -> Result<TicPoints, AnalysisError> {
    feats
        .iter()
        .map(|f| {
            Ok(tica
                .transform(f, 2)?
                .chunks_exact(2)
                .map(|c| [c[0], c[1]])
                .collect())
        })
        .collect()
}
