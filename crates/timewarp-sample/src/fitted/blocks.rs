//! Which block moves each coordinate: one block per residue with φ/ψ (every other residue joins
//! the nearest one), and optionally a second block per such residue for its side chain.

use timewarp_mol::internal::BackboneTorsions;
use timewarp_mol::Topology;

use super::{BackboneMove, Block, TransitionHistogram};
use crate::SampleError;

/// Atom names of the peptide backbone and of the caps' backbone atoms; every other atom (Cβ and
/// beyond, the caps' methyl hydrogens) belongs to a side chain.
const BACKBONE_ATOMS: [&str; 8] = ["N", "H", "CA", "HA", "HA2", "HA3", "C", "O"];

/// Whether `atom` is a side-chain atom.
pub(crate) fn is_side_chain(top: &Topology, atom: usize) -> bool {
    !BACKBONE_ATOMS.contains(&top.atoms[atom].name.as_str())
}

/// The block of residue `r`'s backbone: the residue with φ/ψ nearest to it in the chain (by
/// index), 0 for a molecule without any.
pub(crate) fn nearest_backbone(backbone: &[BackboneTorsions], r: usize) -> usize {
    (0..backbone.len())
        .min_by_key(|&b| (backbone[b].residue as i64 - r as i64).unsigned_abs())
        .unwrap_or(0)
}

/// The block layout of a molecule.
pub(crate) struct BlockLayout<'a> {
    top: &'a Topology,
    backbone: &'a [BackboneTorsions],
    /// Side chains in blocks of their own (only when the molecule has φ/ψ).
    split: bool,
}

impl<'a> BlockLayout<'a> {
    pub fn new(top: &'a Topology, backbone: &'a [BackboneTorsions], split: bool) -> Self {
        BlockLayout {
            top,
            backbone,
            split: split && !backbone.is_empty(),
        }
    }

    /// The blocks, still without rotors and Gaussian variables: one per residue with φ/ψ (its
    /// move drawn from `transitions` of it), then with `split` one side-chain block for each;
    /// a molecule without φ/ψ has one block.
    pub fn empty_blocks(
        &self,
        mut transitions: impl FnMut(&BackboneTorsions) -> Result<TransitionHistogram, SampleError>,
    ) -> Result<Vec<Block>, SampleError> {
        let mut blocks = Vec::new();
        for bb in self.backbone {
            let r = &self.top.residues[bb.residue];
            blocks.push(Block {
                label: format!("{} {}", r.name, r.number),
                backbone: Some(BackboneMove {
                    phi: bb.phi,
                    psi: bb.psi,
                    transitions: transitions(bb)?,
                }),
                rotors: Vec::new(),
                gaussian: Vec::new(),
            });
        }
        if blocks.is_empty() {
            blocks.push(Block {
                label: "molecule".into(),
                backbone: None,
                rotors: Vec::new(),
                gaussian: Vec::new(),
            });
        }
        if self.split {
            for b in 0..self.backbone.len() {
                let label = format!("{} side chain", blocks[b].label);
                blocks.push(Block {
                    label,
                    backbone: None,
                    rotors: Vec::new(),
                    gaussian: Vec::new(),
                });
            }
        }
        Ok(blocks)
    }

    /// The block (an index into [`Self::empty_blocks`]) of a coordinate placing `atom`.
    pub fn block_of(&self, atom: usize) -> usize {
        let b = nearest_backbone(self.backbone, self.top.atoms[atom].residue);
        if self.split && is_side_chain(self.top, atom) {
            b + self.backbone.len()
        } else {
            b
        }
    }
}

/// Removes blocks that move nothing (a side-chain block of a glycine).
pub(crate) fn drop_empty(blocks: &mut Vec<Block>) {
    blocks.retain(|b| b.backbone.is_some() || !b.rotors.is_empty() || !b.gaussian.is_empty());
}
