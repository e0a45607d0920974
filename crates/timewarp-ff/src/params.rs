//! Parameter tables of a [`crate::System`]: one row per atom or interaction, in OpenMM units.

use serde::{Deserialize, Serialize};

/// Per-atom parameters as OpenMM assigns them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtomParams {
    /// Residue template that matched (e.g. `ALA`, `NALA`, `HID`, `ACE`).
    pub template: String,
    /// Name of the atom in that template (e.g. `HH31` for an ACE methyl hydrogen).
    pub template_atom: String,
    /// Atom type (e.g. `protein-CX`).
    pub atom_type: String,
    /// Mass of the atom type, dalton.
    pub mass: f64,
    /// Partial charge, e.
    pub charge: f64,
    /// Lennard-Jones σ, nm.
    pub sigma: f64,
    /// Lennard-Jones ε, kJ/mol.
    pub epsilon: f64,
    /// Intrinsic GB radius ρ (mbondi2), nm.
    pub gb_radius: f64,
    /// OBC screening factor S.
    pub gb_scale: f64,
}

/// E = ½ k (r − r0)².
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HarmonicBond {
    pub atoms: [usize; 2],
    /// r0, nm.
    pub length: f64,
    /// k, kJ mol⁻¹ nm⁻².
    pub k: f64,
}

/// E = ½ k (θ − θ0)², θ the angle at `atoms[1]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HarmonicAngle {
    pub atoms: [usize; 3],
    /// θ0, rad.
    pub angle: f64,
    /// k, kJ mol⁻¹ rad⁻².
    pub k: f64,
}

/// E = k (1 + cos(n φ − φ0)), φ the IUPAC dihedral of `atoms` (propers and impropers; for
/// impropers the central atom is `atoms[2]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PeriodicTorsion {
    pub atoms: [usize; 4],
    pub periodicity: u32,
    /// φ0, rad.
    pub phase: f64,
    /// k, kJ/mol.
    pub k: f64,
}

/// A 1-4 pair: E = K qq / r + 4 ε ((σ/r)¹² − (σ/r)⁶), with the amber 1-4 scalings already in
/// `charge_prod` (× 1/1.2) and `epsilon` (× 1/2).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Pair14 {
    pub atoms: [usize; 2],
    /// Scaled q_i q_j, e².
    pub charge_prod: f64,
    /// (σ_i + σ_j)/2, nm.
    pub sigma: f64,
    /// Scaled √(ε_i ε_j), kJ/mol.
    pub epsilon: f64,
}
