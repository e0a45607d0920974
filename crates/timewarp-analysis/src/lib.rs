//! Analysis of Timewarp and MD trajectories: what a user looks at to judge whether a model is
//! good and whether it was worth it.
//!
//! * [`dihedral`]: φ/ψ/ω/χ1 of capped peptides (IUPAC / mdtraj signs);
//! * [`histogram`]: 1D/2D histograms with periodic angles, free energies −ln p in kT;
//! * [`jsd`]: Jensen–Shannon divergence (nats) between φ/ψ distributions;
//! * [`basins`]: alanine-dipeptide basin populations (αL, αR, β/C7eq);
//! * [`transitions`]: β/C7eq ↔ αR transitions counted between core sets;
//! * [`moves`]: sizes of accepted moves (median |Δφ|, |Δψ| between frames that differ);
//! * [`blocking`]: standard errors of time averages by blocking;
//! * [`features`] and [`tica`]: time-lagged independent component analysis;
//! * [`autocorr`]: autocorrelation, τ_int and effective sample size (official estimator);
//! * [`coverage`]: metastable states that the samples miss (official rule and named states);
//! * [`bonds`]: bond-length statistics that reveal broken molecules;
//! * [`plots`], [`report`] and [`html`]: figures, the analysis (`analyze`, MD against one or
//!   several sample sets; its `metrics.json` schema in [`report::metrics`]) and the
//!   self-contained HTML page, which reads only those metric types;
//! * [`units`]: durations shown in the unit that suits them.

// Numerical loops index several arrays with the same subscript, as the formulas do.
#![allow(clippy::needless_range_loop)]

pub mod autocorr;
pub mod basins;
pub mod blocking;
pub mod bonds;
pub mod coverage;
pub mod dataset;
pub mod dihedral;
pub mod error;
pub mod features;
pub mod fft;
pub mod histogram;
pub mod html;
pub mod jsd;
pub mod linalg;
pub mod moves;
pub mod plots;
pub mod report;
pub mod tica;
pub mod transitions;
pub mod units;

pub use error::AnalysisError;
pub use report::{analyze, AnalyzeOptions, Comparison, DatasetMetrics, Metrics, SampleSet};
