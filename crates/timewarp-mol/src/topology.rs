//! The molecular graph: atoms grouped into residues, and covalent bonds.

use crate::Element;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// One atom. `name` is the standard (PDB v3 / OpenMM) name after alias mapping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Atom {
    pub name: String,
    pub element: Element,
    /// Index into [`Topology::residues`].
    pub residue: usize,
    /// Serial number as read from the file (1-based), kept for error messages.
    pub serial: i64,
}

/// One residue; its atoms are the contiguous range `atoms` of [`Topology::atoms`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Residue {
    pub name: String,
    /// Residue sequence number as in the PDB (`resSeq`).
    pub number: i32,
    pub insertion_code: char,
    pub chain: char,
    pub atoms: Range<usize>,
    /// Index of the chain this residue belongs to: a run of residues ended by a `TER` record
    /// or a change of chain id. Consecutive residues are linked (peptide bond) only within a
    /// chain. Residues with different `chain` ids are in different chains whatever this says.
    #[serde(default)]
    pub chain_index: usize,
}

/// Atoms, residues and bonds of a molecule. Bonds are stored once, with `i < j`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Topology {
    pub atoms: Vec<Atom>,
    pub residues: Vec<Residue>,
    pub bonds: Vec<(usize, usize)>,
}

impl Topology {
    pub fn n_atoms(&self) -> usize {
        self.atoms.len()
    }

    /// Masses in dalton, one per atom.
    pub fn masses(&self) -> Vec<f64> {
        self.atoms.iter().map(|a| a.element.mass()).collect()
    }

    /// Index of the atom called `name` in residue `residue`, if any.
    pub fn find_atom(&self, residue: usize, name: &str) -> Option<usize> {
        self.residues[residue]
            .atoms
            .clone()
            .find(|&i| self.atoms[i].name == name)
    }

    /// Add the bond `i`–`j` (stored as `(min, max)`) unless it is already there.
    pub fn add_bond(&mut self, i: usize, j: usize) {
        let b = (i.min(j), i.max(j));
        if !self.bonds.contains(&b) {
            self.bonds.push(b);
        }
    }

    /// Whether residues `a` and `b` belong to the same chain.
    pub fn same_chain(&self, a: usize, b: usize) -> bool {
        let (ra, rb) = (&self.residues[a], &self.residues[b]);
        ra.chain_index == rb.chain_index && ra.chain == rb.chain
    }

    /// Residue index ranges of the chains, in order.
    pub fn chains(&self) -> Vec<Range<usize>> {
        let mut chains: Vec<Range<usize>> = Vec::new();
        for r in 0..self.residues.len() {
            match chains.last_mut() {
                Some(c) if self.same_chain(c.end - 1, r) => c.end = r + 1,
                _ => chains.push(r..r + 1),
            }
        }
        chains
    }

    /// Neighbour lists built from [`Topology::bonds`].
    pub fn neighbours(&self) -> Vec<Vec<usize>> {
        let mut nb = vec![Vec::new(); self.atoms.len()];
        for &(i, j) in &self.bonds {
            nb[i].push(j);
            nb[j].push(i);
        }
        nb
    }

    /// Human-readable label of an atom for error messages, e.g. `CA of ALA 2 (atom 9)`.
    pub fn atom_label(&self, i: usize) -> String {
        let a = &self.atoms[i];
        let r = &self.residues[a.residue];
        format!("{} of {} {} (atom {})", a.name, r.name, r.number, a.serial)
    }
}
