//! The amber14 (ff14SB) force field with GB-OBC implicit solvent, as OpenMM 8.6 computes it.
//!
//! ```no_run
//! # fn demo(top: &timewarp_mol::Topology, pos: &[[f64; 3]]) -> Result<(), timewarp_ff::FfError> {
//! use timewarp_ff::{ForceField, SystemOptions};
//! let system = ForceField::amber14().create_system(top, &SystemOptions::default())?; // OBC1, 2 nm
//! let mut forces = vec![[0.0; 3]; system.n_atoms()];
//! let terms = system.energy_terms(pos, &mut forces); // kJ/mol, kJ/mol/nm
//! println!("U = {} kJ/mol (GB {})", terms.total, terms.gb);
//! # Ok(()) }
//! ```
//!
//! Modules: `ffxml` reads the force-field file, `template` matches residues
//! to templates, `assign` builds the parameter tables, `terms` evaluates one force each,
//! [`System`] ties them together. Units: nm, ps, kJ/mol, e, dalton.

mod assign;
pub mod constants;
mod error;
mod ffxml;
mod forcefield;
mod gb_params;
pub mod params;
mod system;
mod template;
mod terms;

pub use error::FfError;
pub use forcefield::ForceField;
pub use params::{AtomParams, HarmonicAngle, HarmonicBond, Pair14, PeriodicTorsion};
pub use system::{EnergyComponents, EnergyTerms, GbModel, NonbondedMethod, System, SystemOptions};

/// Anything that gives a potential energy and its forces for one conformation.
///
/// Implemented by the force field's `System`; the MD engine, the minimiser and the samplers are
/// written against this trait so that they can be tested on analytic potentials too.
pub trait Potential: Sync {
    /// Number of atoms the potential expects.
    fn n_atoms(&self) -> usize;
    /// Potential energy U(x) in kJ/mol; overwrites `forces` with −∇U in kJ/mol/nm.
    fn energy_forces(&self, positions: &[[f64; 3]], forces: &mut [[f64; 3]]) -> f64;
}

/// Check that every coordinate is finite; the error names the first offending atom (by index,
/// 0-based; [`System::check_positions`] names it by residue and atom name).
pub fn check_finite(pos: &[[f64; 3]]) -> Result<(), FfError> {
    match system::first_non_finite(pos) {
        None => Ok(()),
        Some((index, value)) => Err(FfError::NonFiniteCoordinate {
            atom: format!("index {index}"),
            index,
            value,
        }),
    }
}
