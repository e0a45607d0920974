//! Errors of force-field loading, parameter assignment and evaluation.

use thiserror::Error;

/// Everything that can go wrong between a [`timewarp_mol::Topology`] and an energy.
///
/// Residues are named as `NAME NUMBER` with their chain, atoms with their name, residue and
/// serial number, so that the user can find the culprit in the input file.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum FfError {
    /// The ffxml text could not be read.
    #[error("force-field file {file}: {message}")]
    Ffxml { file: String, message: String },

    /// The topology is inconsistent (bond to a non-existent atom, residue ranges out of order…).
    #[error("invalid topology: {0}")]
    InvalidTopology(String),

    /// Invalid [`crate::SystemOptions`] (e.g. a non-positive cutoff).
    #[error("invalid system options: {0}")]
    InvalidOptions(String),

    /// No template of the force field carries this residue name (nor a terminal or
    /// protonation variant of it), and no template matches its atoms and bonds.
    #[error("residue {residue} {number} (chain {chain}): unknown residue, no amber14 template matches it")]
    UnknownResidue {
        residue: String,
        number: i32,
        chain: char,
    },

    /// The residue lacks atoms that the closest template has.
    #[error("residue {residue} {number} (chain {chain}): missing atoms {} (compared with template {template})", .atoms.join(", "))]
    MissingAtoms {
        residue: String,
        number: i32,
        chain: char,
        template: String,
        atoms: Vec<String>,
    },

    /// The residue has atoms that the closest template does not have.
    #[error("residue {residue} {number} (chain {chain}): extra atoms {} (compared with template {template})", .atoms.join(", "))]
    ExtraAtoms {
        residue: String,
        number: i32,
        chain: char,
        template: String,
        atoms: Vec<String>,
    },

    /// The residue both lacks atoms and has unexpected ones.
    #[error("residue {residue} {number} (chain {chain}): missing atoms {} and extra atoms {} (compared with template {template})", .missing.join(", "), .extra.join(", "))]
    MissingAndExtraAtoms {
        residue: String,
        number: i32,
        chain: char,
        template: String,
        missing: Vec<String>,
        extra: Vec<String>,
    },

    /// The atom names fit a template but the bond graph does not (a missing or extra bond,
    /// or a terminus/cap that is bonded differently).
    #[error("residue {residue} {number} (chain {chain}): atoms fit template {template} but bonds do not: {detail}")]
    BondingMismatch {
        residue: String,
        number: i32,
        chain: char,
        template: String,
        detail: String,
    },

    /// Several templates match with different atom types or charges.
    #[error("residue {residue} {number} (chain {chain}): matches several templates with different parameters: {}", .templates.join(", "))]
    AmbiguousTemplates {
        residue: String,
        number: i32,
        chain: char,
        templates: Vec<String>,
    },

    /// No bonded parameters exist for a bond or angle between these atom types.
    #[error("no {term} parameters for atoms {atoms} (types {types})")]
    MissingParameters {
        term: &'static str,
        atoms: String,
        types: String,
    },

    /// A coordinate is NaN or infinite.
    #[error("non-finite coordinate {value} of atom {atom}")]
    NonFiniteCoordinate {
        atom: String,
        index: usize,
        value: f64,
    },

    /// The number of positions does not match the number of atoms of the system.
    #[error("expected {expected} positions, got {got}")]
    PositionCount { expected: usize, got: usize },
}
