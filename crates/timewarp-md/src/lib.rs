//! Molecular dynamics for timewarp: OpenMM's LangevinMiddle integrator, an L-BFGS minimiser,
//! Maxwell–Boltzmann velocities, centre-of-mass motion removal, frame spacing (regular or the
//! official Timewarp logarithmic scheme), and the `timewarp md` driver that writes trajectories
//! in the official Timewarp layout with atomic checkpoints and parallel replicas;
//! [`dataset`] runs it over many peptides (sequences or PDB files) into a resumable data set
//! with a manifest and train/validation/test splits by peptide.
//!
//! Units (OpenMM's): nm, ps, kJ/mol, K, dalton. Everything is written against
//! [`timewarp_ff::Potential`], so it runs on the amber14 `System` as well as on the analytic
//! potentials of [`analytic`].
//!
//! ```no_run
//! use std::path::Path;
//! use timewarp_ff::{ForceField, SystemOptions};
//! use timewarp_md::{run_md, MdConfig, SpacingKind};
//!
//! let pdb = timewarp_mol::read_pdb(Path::new("ala2.pdb"))?;
//! let system = ForceField::amber14().create_system(&pdb.topology, &SystemOptions::default())?;
//! // 1 ns of production after 10 ps burn-in, frames at k·1000 + {0, 1, 10, 100}
//! let cfg = MdConfig {
//!     name: Some("ala2".into()),
//!     steps: 2_000_000,
//!     burn_in_steps: 20_000,
//!     save_every: 1000,
//!     spacing: SpacingKind::Log,
//!     ..MdConfig::default()
//! };
//! let summary = run_md(&cfg, &pdb, &system, system.masses(), Path::new("out"), false, &|done, total| {
//!     eprint!("\r{done}/{total}");
//! })?;
//! println!("{} frames, {:.0} ns/day", summary.n_frames, summary.ns_per_day);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod analytic;
pub mod checkpoint;
pub mod cmm;
pub mod config;
pub mod dataset;
mod error;
pub mod integrator;
pub mod minimize;
pub mod replicas;
pub mod reporter;
mod run;
pub mod spacing;
pub mod velocities;

pub use config::MdConfig;
pub use dataset::{run_md_dataset, DatasetConfig, PeptideSource};
pub use error::MdError;
pub use integrator::{LangevinMiddle, LangevinMiddleIntegrator, MdState};
pub use minimize::{minimize, MinimizeOptions, MinimizeReport};
pub use replicas::ReplicaSummary;
pub use run::{md_record, name_from_path, replica_dir, run_md, run_md_command, MdSummary};
pub use spacing::{Spacing, SpacingKind};
