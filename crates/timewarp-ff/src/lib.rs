//! The amber14 (ff14SB) force field with GB-OBC implicit solvent, as OpenMM 8.6 computes it.

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
