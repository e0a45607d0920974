//! TICA input features of a peptide, as in the official Timewarp analysis: all pairwise
//! distances between heavy backbone-type atoms (elements C, N, S) followed by sin and cos of
//! the backbone torsions φ, ψ, ω (official layout: sin φ…, cos φ…, sin ψ…, cos ψ…, sin ω…,
//! cos ω…). Unlike the official `tica_features`, ψ really is ψ (the official code passes φ
//! twice).

use crate::dihedral::{dihedral, peptide_dihedrals, DihedralKind};
use rayon::prelude::*;
use timewarp_mol::{Element, Topology};

/// A `n_frames × n_features` matrix in row-major order, with a name per column.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMatrix {
    pub n_frames: usize,
    pub n_features: usize,
    pub data: Vec<f64>,
    pub names: Vec<String>,
}

impl FeatureMatrix {
    pub fn row(&self, t: usize) -> &[f64] {
        &self.data[t * self.n_features..(t + 1) * self.n_features]
    }
}

/// What the features are made of, found once from the topology.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureSpec {
    /// Atom pairs (i < j) whose distance is a feature.
    pub pairs: Vec<(usize, usize)>,
    /// Torsions whose sin and cos are features, in three groups: φ, ψ, ω.
    pub torsions: [Vec<[usize; 4]>; 3],
    pub names: Vec<String>,
}

impl FeatureSpec {
    /// Heavy-atom (C, N, S) distances plus sin/cos of φ, ψ, ω of `top`.
    pub fn timewarp(top: &Topology) -> FeatureSpec {
        let heavy: Vec<usize> = (0..top.n_atoms())
            .filter(|&i| matches!(top.atoms[i].element, Element::C | Element::N | Element::S))
            .collect();
        let mut pairs = Vec::new();
        let mut names = Vec::new();
        for (a, &i) in heavy.iter().enumerate() {
            for &j in &heavy[a + 1..] {
                pairs.push((i, j));
                names.push(format!("d({}, {})", top.atom_label(i), top.atom_label(j)));
            }
        }
        let all = peptide_dihedrals(top);
        let mut torsions: [Vec<[usize; 4]>; 3] = Default::default();
        for (g, kind) in [DihedralKind::Phi, DihedralKind::Psi, DihedralKind::Omega]
            .into_iter()
            .enumerate()
        {
            let of_kind: Vec<_> = all.iter().filter(|d| d.kind == kind).collect();
            for f in ["sin", "cos"] {
                for d in &of_kind {
                    let r = &top.residues[d.residue];
                    names.push(format!("{f} {}({} {})", kind.symbol(), r.name, r.number));
                }
            }
            torsions[g] = of_kind.iter().map(|d| d.atoms).collect();
        }
        FeatureSpec {
            pairs,
            torsions,
            names,
        }
    }

    pub fn n_features(&self) -> usize {
        self.pairs.len() + 2 * self.torsions.iter().map(Vec::len).sum::<usize>()
    }

    /// Evaluate the features on every frame of a flat `T × n_atoms × 3` array (nm).
    pub fn compute(&self, positions: &[f32], n_atoms: usize) -> FeatureMatrix {
        let d = self.n_features();
        let n_frames = if n_atoms == 0 {
            0
        } else {
            positions.len() / (3 * n_atoms)
        };
        let mut data = vec![0.0; n_frames * d];
        if d > 0 {
            data.par_chunks_mut(d).enumerate().for_each(|(t, row)| {
                let frame = &positions[t * 3 * n_atoms..(t + 1) * 3 * n_atoms];
                self.compute_frame(frame, row);
            });
        }
        FeatureMatrix {
            n_frames,
            n_features: d,
            data,
            names: self.names.clone(),
        }
    }

    fn compute_frame(&self, frame: &[f32], row: &mut [f64]) {
        let p = |i: usize| {
            [
                frame[3 * i] as f64,
                frame[3 * i + 1] as f64,
                frame[3 * i + 2] as f64,
            ]
        };
        let mut k = 0;
        for &(i, j) in &self.pairs {
            let (a, b) = (p(i), p(j));
            row[k] = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt();
            k += 1;
        }
        for group in &self.torsions {
            let angles: Vec<f64> = group
                .iter()
                .map(|q| dihedral(p(q[0]), p(q[1]), p(q[2]), p(q[3])))
                .collect();
            for a in &angles {
                row[k] = a.sin();
                k += 1;
            }
            for a in &angles {
                row[k] = a.cos();
                k += 1;
            }
        }
    }
}
