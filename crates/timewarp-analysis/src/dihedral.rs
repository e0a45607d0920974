//! Dihedral (torsion) angles and the backbone/side-chain torsions of peptides.
//!
//! Sign convention (IUPAC–IUB 1970, identical to mdtraj's `compute_dihedrals`): for atoms
//! p0–p1–p2–p3 with bond vectors b1 = p1 − p0, b2 = p2 − p1, b3 = p3 − p2,
//!
//! ```text
//!     θ = atan2( |b2| b1·(b2 × b3),  (b1 × b2)·(b2 × b3) )   ∈ (−π, π]
//! ```
//!
//! so cis is 0, trans is ±π, and θ is positive when, looking along p1→p2, the front bond
//! p1–p0 must be turned clockwise to eclipse the back bond p2–p3.
//!
//! Backbone torsions of residue i (Ramachandran, IUPAC):
//! φ_i = C(i−1)–N(i)–CA(i)–C(i), ψ_i = N(i)–CA(i)–C(i)–N(i+1),
//! ω_i = CA(i)–C(i)–N(i+1)–CA(i+1) (the peptide bond, ≈ ±180° for trans), and the
//! side-chain χ1 = N–CA–CB–XG with XG the first of CG, CG1, SG, OG, OG1 that exists.
//! Caps take part as in a real peptide: ACE supplies the C of φ of the first residue, NME
//! the N of ψ of the last, and their methyl carbons (ACE `CH3`; NME `CH3`, or `C` in the old
//! naming) stand in for CA in ω. (mdtraj finds no ω across a cap; everything else matches.)

use timewarp_mol::Topology;

/// Which torsion a [`Dihedral`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DihedralKind {
    Phi,
    Psi,
    Omega,
    Chi1,
}

impl DihedralKind {
    /// Greek name as used in plots and tables.
    pub fn symbol(self) -> &'static str {
        match self {
            DihedralKind::Phi => "φ",
            DihedralKind::Psi => "ψ",
            DihedralKind::Omega => "ω",
            DihedralKind::Chi1 => "χ1",
        }
    }
}

/// One named torsion: its kind, the residue it belongs to and the four atom indices.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Dihedral {
    pub kind: DihedralKind,
    /// Index into [`Topology::residues`]; for ω the residue whose C starts the peptide bond.
    pub residue: usize,
    pub atoms: [usize; 4],
}

/// The φ/ψ pair of one residue (only residues that have both).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PhiPsi {
    pub residue: usize,
    /// e.g. `ALA 2`.
    pub label: String,
    pub phi: [usize; 4],
    pub psi: [usize; 4],
}

/// Dihedral angle in radians, in (−π, π], with the IUPAC / mdtraj sign (see module docs).
pub fn dihedral(p0: [f64; 3], p1: [f64; 3], p2: [f64; 3], p3: [f64; 3]) -> f64 {
    let b1 = sub(p1, p0);
    let b2 = sub(p2, p1);
    let b3 = sub(p3, p2);
    let n1 = cross(b1, b2);
    let n2 = cross(b2, b3);
    let y = norm(b2) * dot(b1, n2);
    let x = dot(n1, n2);
    y.atan2(x)
}

/// The torsion `atoms` in every frame of a flat `T × n_atoms × 3` position array (nm).
pub fn dihedral_series(positions: &[f32], n_atoms: usize, atoms: [usize; 4]) -> Vec<f64> {
    let stride = 3 * n_atoms;
    if stride == 0 {
        return Vec::new();
    }
    positions
        .chunks_exact(stride)
        .map(|frame| {
            let p = |i: usize| -> [f64; 3] {
                [
                    frame[3 * i] as f64,
                    frame[3 * i + 1] as f64,
                    frame[3 * i + 2] as f64,
                ]
            };
            dihedral(p(atoms[0]), p(atoms[1]), p(atoms[2]), p(atoms[3]))
        })
        .collect()
}

/// φ, ψ, ω and χ1 of every residue of a (capped or charged-termini) peptide, in residue order
/// and, within a residue, in the order φ, ψ, ω, χ1.
pub fn peptide_dihedrals(top: &Topology) -> Vec<Dihedral> {
    let mut out = Vec::new();
    for r in 0..top.residues.len() {
        if let Some(atoms) = phi_atoms(top, r) {
            out.push(Dihedral {
                kind: DihedralKind::Phi,
                residue: r,
                atoms,
            });
        }
        if let Some(atoms) = psi_atoms(top, r) {
            out.push(Dihedral {
                kind: DihedralKind::Psi,
                residue: r,
                atoms,
            });
        }
        if let Some(atoms) = omega_atoms(top, r) {
            out.push(Dihedral {
                kind: DihedralKind::Omega,
                residue: r,
                atoms,
            });
        }
        if let Some(atoms) = chi1_atoms(top, r) {
            out.push(Dihedral {
                kind: DihedralKind::Chi1,
                residue: r,
                atoms,
            });
        }
    }
    out
}

/// Residues that have both φ and ψ (ACE-ALA-NME has exactly one: ALA).
pub fn phi_psi_pairs(top: &Topology) -> Vec<PhiPsi> {
    (0..top.residues.len())
        .filter_map(|r| {
            let phi = phi_atoms(top, r)?;
            let psi = psi_atoms(top, r)?;
            let res = &top.residues[r];
            Some(PhiPsi {
                residue: r,
                label: format!("{} {}", res.name, res.number),
                phi,
                psi,
            })
        })
        .collect()
}

/// φ_i = C(i−1)–N(i)–CA(i)–C(i).
pub fn phi_atoms(top: &Topology, r: usize) -> Option<[usize; 4]> {
    let prev = previous_residue(top, r)?;
    let c_prev = top.find_atom(prev, "C").filter(|_| !is_nme(top, prev))?;
    let n = top.find_atom(r, "N")?;
    let ca = top.find_atom(r, "CA")?;
    let c = top.find_atom(r, "C")?;
    bonded(top, c_prev, n).then_some([c_prev, n, ca, c])
}

/// ψ_i = N(i)–CA(i)–C(i)–N(i+1).
pub fn psi_atoms(top: &Topology, r: usize) -> Option<[usize; 4]> {
    let next = next_residue(top, r)?;
    let n = top.find_atom(r, "N")?;
    let ca = top.find_atom(r, "CA")?;
    let c = top.find_atom(r, "C")?;
    let n_next = top.find_atom(next, "N")?;
    bonded(top, c, n_next).then_some([n, ca, c, n_next])
}

/// ω_i = CA(i)–C(i)–N(i+1)–CA(i+1), cap methyls standing in for CA.
pub fn omega_atoms(top: &Topology, r: usize) -> Option<[usize; 4]> {
    let next = next_residue(top, r)?;
    if is_nme(top, r) {
        return None;
    }
    let ca = alpha_carbon_or_cap_methyl(top, r)?;
    let c = top.find_atom(r, "C")?;
    let n_next = top.find_atom(next, "N")?;
    let ca_next = alpha_carbon_or_cap_methyl(top, next)?;
    bonded(top, c, n_next).then_some([ca, c, n_next, ca_next])
}

/// χ1 = N–CA–CB–XG, XG ∈ {CG, CG1, SG, OG, OG1} (first present; Ile/Val use CG1 as in mdtraj).
pub fn chi1_atoms(top: &Topology, r: usize) -> Option<[usize; 4]> {
    let n = top.find_atom(r, "N")?;
    let ca = top.find_atom(r, "CA")?;
    let cb = top.find_atom(r, "CB")?;
    let g = ["CG", "CG1", "SG", "OG", "OG1"]
        .iter()
        .find_map(|name| top.find_atom(r, name))?;
    Some([n, ca, cb, g])
}

fn is_nme(top: &Topology, r: usize) -> bool {
    matches!(top.residues[r].name.as_str(), "NME" | "NMA")
}

fn alpha_carbon_or_cap_methyl(top: &Topology, r: usize) -> Option<usize> {
    match top.residues[r].name.as_str() {
        "ACE" => top.find_atom(r, "CH3"),
        "NME" | "NMA" => top.find_atom(r, "CH3").or_else(|| top.find_atom(r, "C")),
        _ => top.find_atom(r, "CA"),
    }
}

fn previous_residue(top: &Topology, r: usize) -> Option<usize> {
    (r > 0 && top.same_chain(r - 1, r)).then(|| r - 1)
}

fn next_residue(top: &Topology, r: usize) -> Option<usize> {
    (r + 1 < top.residues.len() && top.same_chain(r, r + 1)).then(|| r + 1)
}

/// True if `i`–`j` is a bond, or if the topology carries no bonds at all (then chain
/// adjacency alone decides, as in mdtraj).
fn bonded(top: &Topology, i: usize, j: usize) -> bool {
    top.bonds.is_empty() || top.bonds.contains(&(i.min(j), i.max(j)))
}

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn norm(a: [f64; 3]) -> f64 {
    dot(a, a).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    /// Four atoms with unit bonds, p1 = origin, p2 on +z, p0 on +x, p3 rotated by `theta`
    /// about +z from +x (viewed along p1→p2, counter-clockwise in the right-handed frame).
    fn quad(theta: f64) -> [[f64; 3]; 4] {
        [
            [1.0, 0.0, 0.0],
            [0.0, 0.0, 0.0],
            [0.0, 0.0, 1.0],
            [theta.cos(), theta.sin(), 1.0],
        ]
    }

    #[test]
    fn cis_trans_and_gauche_signs_match_mdtraj() {
        // Values mdtraj.compute_dihedrals returns for these geometries: rotating the back bond
        // counter-clockwise in the xy-plane (seen from +z) is clockwise when looking along
        // p1→p2 (towards +z), hence a positive dihedral.
        for (theta, expected) in [
            (0.0, 0.0),
            (PI / 3.0, 60.0),
            (PI / 2.0, 90.0),
            (-PI / 3.0, -60.0),
            (2.0 * PI / 3.0, 120.0),
            (-2.0 * PI / 3.0, -120.0),
        ] {
            let [a, b, c, d] = quad(theta);
            assert!(
                (dihedral(a, b, c, d).to_degrees() - expected).abs() < 1e-12,
                "{theta}"
            );
        }
        let [a, b, c, d] = quad(PI);
        assert!((dihedral(a, b, c, d).abs().to_degrees() - 180.0).abs() < 1e-12);
    }

    #[test]
    fn invariant_under_rigid_motion_and_odd_under_reflection() {
        let pts = [
            [0.12, -0.3, 0.5],
            [0.2, 0.1, 0.33],
            [0.41, 0.05, 0.7],
            [0.3, 0.44, 0.9],
        ];
        let th = dihedral(pts[0], pts[1], pts[2], pts[3]);
        // rotate by 40° about x and translate
        let (s, c) = 40f64.to_radians().sin_cos();
        let m = |p: [f64; 3]| {
            [
                p[0] + 1.0,
                c * p[1] - s * p[2] - 2.0,
                s * p[1] + c * p[2] + 0.5,
            ]
        };
        let th2 = dihedral(m(pts[0]), m(pts[1]), m(pts[2]), m(pts[3]));
        assert!((th - th2).abs() < 1e-12);
        // mirror image (z → −z) flips the sign: chirality is what the sign encodes
        let r = |p: [f64; 3]| [p[0], p[1], -p[2]];
        let th3 = dihedral(r(pts[0]), r(pts[1]), r(pts[2]), r(pts[3]));
        assert!((th + th3).abs() < 1e-12);
        // reversing the atom order leaves the dihedral unchanged
        let th4 = dihedral(pts[3], pts[2], pts[1], pts[0]);
        assert!((th - th4).abs() < 1e-12);
    }

    #[test]
    fn series_over_frames() {
        let mut pos = Vec::new();
        for theta in [0.5f64, -1.0, 2.0] {
            for p in quad(theta) {
                pos.extend(p.iter().map(|&v| v as f32));
            }
        }
        let s = dihedral_series(&pos, 4, [0, 1, 2, 3]);
        assert_eq!(s.len(), 3);
        for (got, want) in s.iter().zip([0.5, -1.0, 2.0]) {
            assert!((got - want).abs() < 1e-6);
        }
    }
}
