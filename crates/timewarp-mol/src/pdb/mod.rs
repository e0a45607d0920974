//! PDB files: a fixed-column reader ([`read_pdb`], [`parse_pdb`]) with OpenMM's name
//! normalisation ([`names`]), and writers for single structures and multi-model trajectories.

pub mod names;
mod read;
mod write;

pub use read::{parse_pdb, read_pdb};
pub use write::{write_pdb, write_pdb_file, write_pdb_models, PdbTrajectoryWriter};

/// A PDB file: its topology (names normalised, standard bonds built) and the coordinates of
/// every model, in nm.
#[derive(Debug, Clone, PartialEq)]
pub struct PdbFile {
    pub topology: crate::Topology,
    /// One entry per MODEL (a single entry for a file without MODEL records); each holds one
    /// position per atom of `topology`, in nm.
    pub models: Vec<Vec<[f64; 3]>>,
}

impl PdbFile {
    /// Positions of the first model, in nm.
    pub fn positions(&self) -> &[[f64; 3]] {
        &self.models[0]
    }
}

/// Residues OpenMM writes as `ATOM` records (everything else, caps and water included, is
/// `HETATM`).
pub const STANDARD_RESIDUES: [&str; 30] = [
    "ALA", "ASN", "CYS", "GLU", "HIS", "LEU", "MET", "PRO", "THR", "TYR", "ARG", "ASP", "GLN",
    "GLY", "ILE", "LYS", "PHE", "SER", "TRP", "VAL", "A", "G", "C", "U", "I", "DA", "DG", "DC",
    "DT", "DI",
];
