//! Errors of the molecule crate. Every variant names the file (and where it applies the line,
//! columns, atom, model or array key) at fault, so that a user can fix the input.

use std::path::PathBuf;

/// Errors reading or writing molecules and trajectories.
#[derive(Debug, thiserror::Error)]
pub enum MolError {
    /// An operating-system error on `path`.
    /// (The I/O error is part of the message, not a `source()`, so that error chains printed
    /// by the CLI do not repeat it.)
    #[error("{path}: {err}")]
    Io { path: PathBuf, err: std::io::Error },

    /// A fixed-column field of a PDB record could not be read.
    #[error("{file}:{line}: bad {field} in columns {columns}: {text:?}")]
    PdbField {
        file: String,
        line: usize,
        /// What the field holds, e.g. "x coordinate".
        field: &'static str,
        /// 1-based inclusive PDB columns, e.g. "31-38".
        columns: &'static str,
        text: String,
    },

    /// A coordinate read as NaN or ±infinity.
    #[error("{file}:{line}: non-finite coordinate {value} for atom {atom}")]
    NonFinite {
        file: String,
        line: usize,
        atom: String,
        value: String,
    },

    /// The element of an atom is unknown to timewarp or cannot be inferred from its name.
    #[error("{file}:{line}: atom {atom}: {reason}")]
    Element {
        file: String,
        line: usize,
        atom: String,
        reason: String,
    },

    /// A PDB file without ATOM/HETATM records.
    #[error("{file}: no ATOM or HETATM records")]
    EmptyPdb { file: String },

    /// Models of a multi-model PDB do not hold the same atoms.
    #[error("{file}: model {model} (line {line}) does not match the first model: {detail}")]
    InconsistentModels {
        file: String,
        model: i64,
        line: usize,
        detail: String,
    },

    /// A structure cannot be written in the requested format (e.g. a coordinate too large
    /// for the PDB columns, an atom name longer than 4 characters).
    #[error("{file}: cannot write {what}: {reason}")]
    Write {
        file: String,
        what: String,
        reason: String,
    },

    /// Positions do not match the topology they are paired with.
    #[error("{context}: {found} positions for a topology of {expected} atoms")]
    AtomCount {
        context: String,
        expected: usize,
        found: usize,
    },

    /// A required array is missing from an NPZ file.
    #[error("{file}: missing array {key:?}")]
    MissingKey { file: PathBuf, key: String },

    /// An NPZ array has an unexpected shape or dtype, or is inconsistent with another array.
    #[error("{file}: array {key:?}: {reason}")]
    BadArray {
        file: PathBuf,
        key: String,
        reason: String,
    },

    /// A trajectory folder is missing a file or holds more than one candidate.
    #[error("{dir}: {reason}")]
    TrajDir { dir: PathBuf, reason: String },

    /// An XTC file could not be read or written.
    #[error("{file}: XTC: {reason}")]
    Xtc { file: PathBuf, reason: String },
}

impl MolError {
    /// Wrap an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> MolError {
        MolError::Io {
            path: path.into(),
            err: source,
        }
    }
}
