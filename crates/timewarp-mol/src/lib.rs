//! Molecules for timewarp: elements, [`Topology`] (atoms, residues, bonds), PDB reading and
//! writing, and trajectory formats.
//!
//! Units: nanometres for positions (PDB files store ångström; the readers convert).

pub mod builder;
pub mod element;
pub mod topology;

pub use element::Element;
pub use topology::{Atom, Residue, Topology};
