//! Molecules for timewarp: elements, [`Topology`] (atoms, residues, bonds), PDB reading and
//! writing, and trajectory formats.
//!
//! Units: nanometres for positions (PDB files store ångström; the readers convert).

pub mod bonds;
pub mod builder;
pub mod element;
pub mod error;
pub mod pdb;
pub mod topology;

pub use element::Element;
pub use error::MolError;
pub use pdb::{parse_pdb, read_pdb, PdbFile};
pub use topology::{Atom, Residue, Topology};
