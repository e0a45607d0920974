//! Molecules for timewarp: elements, [`Topology`] (atoms, residues, bonds), PDB reading and
//! writing, and trajectory formats.
//!
//! Units: nanometres for positions (PDB files store ångström; the readers convert).

mod atomic;
pub mod bonds;
pub mod builder;
pub mod element;
pub mod error;
pub mod geometry;
pub mod internal;
pub mod pdb;
pub mod topology;
pub mod traj;

pub use element::Element;
pub use error::MolError;
pub use pdb::{parse_pdb, read_pdb, write_pdb, PdbFile};
pub use topology::{Atom, Residue, Topology};
pub use traj::{TrajArrays, XtcWriter};
