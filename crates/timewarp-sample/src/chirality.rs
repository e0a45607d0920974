//! Chirality guard: proposals that invert a stereocentre are rejected.
//!
//! A flow proposal can produce the mirror image of an L-amino acid, which the force field (no
//! improper term penalises it strongly enough at 310 K) cannot turn back. For a centre C with
//! three reference neighbours a, b, c the handedness is the sign of the signed volume
//! V = (a − C) · ((b − C) × (c − C)). For every residue with a Cβ the centre is Cα with
//! (N, C, Cβ); isoleucine and threonine also have a stereogenic Cβ (CA, CG1/OG1, CG2). A proposal
//! whose sign differs from the starting structure's at any centre is rejected, which makes the
//! chain exact for the Boltzmann distribution restricted to the starting chirality.

use serde::{Deserialize, Serialize};
use timewarp_mol::Topology;

/// One stereocentre: the centre atom and three neighbours, in a fixed order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StereoCentre {
    pub centre: usize,
    pub neighbours: [usize; 3],
}

/// Stereocentres and their reference handedness.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChiralityGuard {
    pub centres: Vec<StereoCentre>,
    /// Sign of the signed volume of each centre in the reference structure (±1).
    pub reference: Vec<f64>,
}

/// Signed volume (a − C) · ((b − C) × (c − C)) in nm³.
pub fn signed_volume(x: &[[f64; 3]], s: &StereoCentre) -> f64 {
    let o = x[s.centre];
    let d = |i: usize| [x[i][0] - o[0], x[i][1] - o[1], x[i][2] - o[2]];
    let (a, b, c) = (d(s.neighbours[0]), d(s.neighbours[1]), d(s.neighbours[2]));
    let cross = [
        b[1] * c[2] - b[2] * c[1],
        b[2] * c[0] - b[0] * c[2],
        b[0] * c[1] - b[1] * c[0],
    ];
    a[0] * cross[0] + a[1] * cross[1] + a[2] * cross[2]
}

/// The stereocentres of a peptide: Cα of every residue with N, C and CB; Cβ of ILE and THR.
pub fn find_stereocentres(top: &Topology) -> Vec<StereoCentre> {
    let mut out = Vec::new();
    for (r, res) in top.residues.iter().enumerate() {
        let atom = |name: &str| top.find_atom(r, name);
        if let (Some(ca), Some(n), Some(c), Some(cb)) =
            (atom("CA"), atom("N"), atom("C"), atom("CB"))
        {
            out.push(StereoCentre {
                centre: ca,
                neighbours: [n, c, cb],
            });
        }
        let side = match res.name.as_str() {
            "ILE" => Some(("CG1", "CG2")),
            "THR" => Some(("OG1", "CG2")),
            _ => None,
        };
        if let Some((g1, g2)) = side {
            if let (Some(cb), Some(ca), Some(a), Some(b)) =
                (atom("CB"), atom("CA"), atom(g1), atom(g2))
            {
                out.push(StereoCentre {
                    centre: cb,
                    neighbours: [ca, a, b],
                });
            }
        }
    }
    out
}

impl ChiralityGuard {
    /// Guard for `centres` with the handedness of `reference` positions.
    pub fn new(centres: Vec<StereoCentre>, reference: &[[f64; 3]]) -> Self {
        let reference = centres
            .iter()
            .map(|s| signed_volume(reference, s).signum())
            .collect();
        ChiralityGuard { centres, reference }
    }

    /// Guard for every stereocentre of a peptide topology.
    pub fn for_topology(top: &Topology, reference: &[[f64; 3]]) -> Self {
        Self::new(find_stereocentres(top), reference)
    }

    /// A guard that accepts everything.
    pub fn disabled() -> Self {
        Self::default()
    }

    /// True if any centre of `x` has the opposite handedness to the reference
    /// (a degenerate, planar centre counts as flipped).
    pub fn flipped(&self, x: &[[f64; 3]]) -> bool {
        self.centres
            .iter()
            .zip(&self.reference)
            .any(|(s, &r)| signed_volume(x, s) * r <= 0.0)
    }
}
