//! The internal-coordinate chart: a Z-matrix built from the bond graph, NeRF placement X(q) and
//! its inverse, and the Jacobian of X.
//!
//! # The chart
//! Three root atoms fix the rigid pose: a centre c (Cα of the central residue of a peptide), a
//! first neighbour f (its N) and a second neighbour s (its C). Every other atom i is placed by
//! (b_i, a_i, t_i) from three atoms placed before it, (j, k, l) = (its parent in a breadth-first
//! tree grown from the roots, the parent's first reference, the parent's second reference):
//! b_i = |x_i − x_j|, a_i = ∠(i, j, k) ∈ (0, π), t_i = dihedral(i, j, k, l) ∈ (−π, π].
//! The coordinates q are (b_f; b_s, a_s; b_i, a_i, t_i for the others in placement order):
//! 3N − 6 numbers; the 6 rigid degrees of freedom are the [`Pose`] of the root frame.
//!
//! Rules that make the chart good for proposals (see `shared/INTERNAL_COORDINATES.md`):
//! * Every child of an atom j shares the axis (j, k). The first child placed (backbone heavy
//!   atoms first, then heavy atoms with the largest subtree, then hydrogens) is the **leader**:
//!   its torsion is a coordinate of its own. Its siblings store the **offset** t_i − t_leader
//!   (wrapped): methyl hydrogens H2, H3 relative to H1 (the rotor is H1's torsion), the amide O
//!   relative to the next N (planarity is a coordinate), Cβ and Hα relative to the backbone
//!   about Cα (chirality is a coordinate, and no proposal of a narrow offset can flip it).
//! * Backbone atoms lead, so every φ = C(i−1)–N–Cα–C and ψ = N–Cα–C–N(i+1) is exactly one
//!   leader torsion: changing it rotates the part of the molecule beyond it rigidly.
//!
//! Torsion roles ([`TorsionRole`]): φ and ψ; rotors (a proper torsion about a non-ring bond that
//! is not between two planar sp² atoms: methyls, side-chain χ, hydroxyls); rigid (ω, ring and
//! planar torsions, and impropers such as Cβ about Cα); offsets.
//!
//! # Jacobian
//! With the pose held fixed, the Cartesian volume element is dx = J(q) dq d(pose) with
//! J(q) = b_f² · b_s² sin a_s · Π_{i ≥ 3} b_i² sin a_i (spherical coordinates of each atom about
//! its bond partner; offsets are shifts of torsions and have unit Jacobian). A density on q that
//! samples exp(−U(X(q))/kT) must therefore target exp(−U(X(q))/kT)·J(q).

mod build;
mod chart;

pub use build::ZMatrixError;
pub use chart::Pose;

use serde::{Deserialize, Serialize};

/// How atom `atom` is placed. For the roots, `refs` holds only what they use: the first
/// neighbour has `refs[0]` = centre, the second `refs[0..2]` = (centre, first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZEntry {
    pub atom: usize,
    /// (j, k, l): bond partner, angle partner, dihedral partner (atom indices).
    pub refs: [usize; 3],
}

/// What a torsion coordinate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TorsionRole {
    /// Backbone φ of residue `residue` (index into the topology's residues).
    Phi { residue: usize },
    /// Backbone ψ of residue `residue`.
    Psi { residue: usize },
    /// A rotatable torsion (methyl, side chain, hydroxyl).
    Rotor,
    /// A torsion fixed by planarity, a ring or a tetrahedral centre (ω, impropers).
    Rigid,
    /// t_i − t_leader, the offset of a sibling about the same axis; `leader` is the coordinate
    /// index of the leader's torsion.
    Offset { leader: usize },
}

/// One internal coordinate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Dof {
    /// b = |x_atom − x_j| (nm).
    Bond { atom: usize },
    /// a = ∠(atom, j, k) (radians, in (0, π)).
    Angle { atom: usize },
    /// t = dihedral(atom, j, k, l) (radians, wrapped), or an offset.
    Torsion { atom: usize, role: TorsionRole },
}

impl Dof {
    pub fn atom(&self) -> usize {
        match *self {
            Dof::Bond { atom } | Dof::Angle { atom } | Dof::Torsion { atom, .. } => atom,
        }
    }

    /// Whether the coordinate lives on the circle (torsions and offsets).
    pub fn is_periodic(&self) -> bool {
        matches!(self, Dof::Torsion { .. })
    }
}

/// The φ and ψ coordinates of one residue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackboneTorsions {
    /// Residue index in the topology.
    pub residue: usize,
    /// Coordinate indices of φ and ψ.
    pub phi: usize,
    pub psi: usize,
}

/// A Z-matrix of a molecule: placement order, references and the meaning of every coordinate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZMatrix {
    n_atoms: usize,
    /// Entries in placement order; `entries[0..3]` are the roots (centre, first, second).
    entries: Vec<ZEntry>,
    /// The 3N − 6 coordinates in storage order: b_f, b_s, a_s, then (b, a, t) per entry.
    dofs: Vec<Dof>,
    /// Residues with φ and ψ, in residue order.
    backbone: Vec<BackboneTorsions>,
}

impl ZMatrix {
    pub fn n_atoms(&self) -> usize {
        self.n_atoms
    }

    /// Number of internal coordinates, 3N − 6.
    pub fn n_dofs(&self) -> usize {
        self.dofs.len()
    }

    pub fn entries(&self) -> &[ZEntry] {
        &self.entries
    }

    pub fn dofs(&self) -> &[Dof] {
        &self.dofs
    }

    /// Residues with φ and ψ and the coordinates that hold them.
    pub fn backbone(&self) -> &[BackboneTorsions] {
        &self.backbone
    }

    /// Index of the first coordinate of entry `e` (≥ 3): its bond; angle and torsion follow.
    fn first_dof(e: usize) -> usize {
        3 * e - 6
    }

    /// Coordinate indices of the torsions that are rotors.
    pub fn rotors(&self) -> Vec<usize> {
        (0..self.dofs.len())
            .filter(|&d| {
                matches!(
                    self.dofs[d],
                    Dof::Torsion {
                        role: TorsionRole::Rotor,
                        ..
                    }
                )
            })
            .collect()
    }

    /// A description of coordinate `d` for messages, e.g. `torsion of HB2 (offset)`, with the
    /// atom named by `label`.
    pub fn describe(&self, d: usize, label: impl Fn(usize) -> String) -> String {
        match self.dofs[d] {
            Dof::Bond { atom } => format!("bond of {}", label(atom)),
            Dof::Angle { atom } => format!("angle of {}", label(atom)),
            Dof::Torsion { atom, role } => {
                let what = match role {
                    TorsionRole::Phi { .. } => "φ",
                    TorsionRole::Psi { .. } => "ψ",
                    TorsionRole::Rotor => "rotor",
                    TorsionRole::Rigid => "rigid",
                    TorsionRole::Offset { .. } => "offset",
                };
                format!("torsion of {} ({what})", label(atom))
            }
        }
    }
}
