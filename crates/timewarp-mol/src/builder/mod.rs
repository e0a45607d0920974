//! Peptide builder: ACE/NME-capped peptides of the 20 standard amino acids (and their ff14SB
//! protonation states) from a sequence, with all hydrogens and ideal internal geometry.
//!
//! ```
//! use timewarp_mol::builder::build_peptide;
//! let (topology, positions) = build_peptide("AH(HID)E").unwrap();
//! assert_eq!(topology.residues.len(), 5); // ACE ALA HIS GLU NME
//! assert_eq!(positions.len(), topology.n_atoms());
//! ```
//!
//! Each residue is a Z-matrix (table and conventions in `builder/templates.rs`): bond lengths
//! and angles are the amber14 r0 and θ0 of the atom types, side chains in a common clash-free
//! rotamer, every Cα L, ring hydrogens on the exterior bisector. The chain grows from the
//! ACE methyl carbon at the origin; residue i is attached to residue i−1 by its N (anti to the
//! previous carbonyl O, which fixes ψ(i−1)), Cα (ω) and C (φ). Coordinates are in nm. The
//! structure is a starting point: minimise it with the force field before dynamics (a built
//! tetrapeptide typically drops 40–70 kJ/mol under amber14 + GB-OBC1).

mod error;
mod sequence;
mod templates;
mod zmatrix;

pub use error::BuildError;
pub use sequence::{default_residue, parse_sequence};

use crate::{Atom, Element, Residue, Topology};
use templates::ResidueTemplate;
use zmatrix::{place_branch, place_torsion, place_trigonal, Place, Torsion, Vec3};

/// Backbone dihedrals (degrees) given to every residue of a built peptide.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backbone {
    /// φ = C(i−1)–N–Cα–C.
    pub phi: f64,
    /// ψ = N–Cα–C–N(i+1).
    pub psi: f64,
    /// ω = Cα(i−1)–C(i−1)–N–Cα, for the peptide bond before residue i and before NME.
    pub omega: f64,
}

impl Backbone {
    /// Polyproline II, the most common conformation of short peptides in water:
    /// φ = −75°, ψ = 145°, trans peptide bonds.
    pub const POLYPROLINE_II: Backbone = Backbone {
        phi: -75.0,
        psi: 145.0,
        omega: 180.0,
    };
    /// β strand: φ = −120°, ψ = 130°.
    pub const BETA_STRAND: Backbone = Backbone {
        phi: -120.0,
        psi: 130.0,
        omega: 180.0,
    };
    /// Right-handed α helix: φ = −57°, ψ = −47°.
    pub const ALPHA_HELIX: Backbone = Backbone {
        phi: -57.0,
        psi: -47.0,
        omega: 180.0,
    };

    fn check(&self) -> Result<(), BuildError> {
        for (which, value) in [("phi", self.phi), ("psi", self.psi), ("omega", self.omega)] {
            if !value.is_finite() {
                return Err(BuildError::InvalidDihedral { which, value });
            }
        }
        Ok(())
    }
}

impl Default for Backbone {
    fn default() -> Self {
        Backbone::POLYPROLINE_II
    }
}

/// Build the ACE-…-NME peptide of `sequence` (syntax: [`parse_sequence`]) in the polyproline II
/// conformation. Returns the topology (chain `A`, residues numbered from 1, ACE first, PDB
/// residue names such as `HIS`, all bonds) and positions in nm.
pub fn build_peptide(sequence: &str) -> Result<(Topology, Vec<[f64; 3]>), BuildError> {
    build_residues(&parse_sequence(sequence)?, Backbone::POLYPROLINE_II)
}

/// Names of the residues [`build_residues`] accepts: the ff14SB internal-residue templates of
/// the 20 standard amino acids and their protonation states (ALA, ..., HID, HIE, HIP, ASH, GLH,
/// LYN, CYM).
pub fn known_residues() -> impl Iterator<Item = &'static str> {
    templates::ALL
        .iter()
        .filter(|t| t.code.is_some())
        .map(|t| t.name)
}

fn template(name: &str, index: usize) -> Result<&'static ResidueTemplate, BuildError> {
    let upper = name.trim().to_ascii_uppercase();
    let upper = if upper == "HIS" {
        "HIE".to_string()
    } else {
        upper
    };
    templates::ALL
        .iter()
        .copied()
        .find(|t| t.code.is_some() && t.name == upper)
        .ok_or_else(|| BuildError::UnknownResidue {
            name: name.to_string(),
            index,
            accepted: known_residues().collect::<Vec<_>>().join(", "),
        })
}

/// Build the ACE-capped, NME-capped peptide of `residues` (ff14SB names as returned by
/// [`parse_sequence`], case-insensitive; `HIS` means `HIE`), all residues with the dihedrals
/// `backbone`.
pub fn build_residues<S: AsRef<str>>(
    residues: &[S],
    backbone: Backbone,
) -> Result<(Topology, Vec<[f64; 3]>), BuildError> {
    backbone.check()?;
    let mut chain: Vec<&ResidueTemplate> = vec![&templates::ACE];
    for (i, name) in residues.iter().enumerate() {
        chain.push(template(name.as_ref(), i + 1)?);
    }
    if residues.is_empty() {
        return Err(BuildError::EmptySequence);
    }
    chain.push(&templates::NME);

    let mut topology = Topology::default();
    let mut positions: Vec<Vec3> = Vec::new();
    for (index, t) in chain.iter().enumerate() {
        let start = topology.atoms.len();
        let previous = index
            .checked_sub(1)
            .map(|p| (chain[p], topology.residues[p].atoms.start));
        let placed = place_residue(
            t,
            previous.map(|(pt, s)| (pt, &positions[s..start])),
            backbone,
        );
        for (atom, xyz) in t.atoms.iter().zip(placed) {
            topology.atoms.push(Atom {
                name: atom.name.to_string(),
                element: element_of(atom.name),
                residue: index,
                serial: topology.atoms.len() as i64 + 1,
            });
            positions.push(xyz);
        }
        topology.residues.push(Residue {
            name: t.pdb_name.to_string(),
            number: index as i32 + 1,
            insertion_code: ' ',
            chain: 'A',
            atoms: start..topology.atoms.len(),
            chain_index: 0,
        });
    }
    // The same residues.xml bond tables as for a PDB file (checked against the Z-matrix tree
    // and ring closures of every template by the tests).
    topology.create_standard_bonds();
    Ok((topology, positions))
}

/// Element of a template atom: the first letter of its PDB name (H, C, N, O or S in peptides).
fn element_of(name: &str) -> Element {
    match name.as_bytes()[0] {
        b'H' => Element::H,
        b'C' => Element::C,
        b'N' => Element::N,
        b'O' => Element::O,
        b'S' => Element::S,
        _ => unreachable!("template atom {name} has no peptide element"),
    }
}

/// Index within `t` of the atom a template reference names, `-X` meaning atom X of `previous`
/// (its [`ResidueTemplate::alpha`] for `-CA`). Returns (in previous residue?, index).
fn resolve(
    t: &ResidueTemplate,
    previous: Option<&ResidueTemplate>,
    reference: &str,
) -> (bool, usize) {
    let (owner, name, is_previous) = match reference.strip_prefix('-') {
        Some(name) => {
            let p = previous.unwrap_or_else(|| {
                unreachable!("{} refers to {reference} but starts the chain", t.name)
            });
            (p, if name == "CA" { p.alpha } else { name }, true)
        }
        None => (t, reference, false),
    };
    let index = owner
        .atoms
        .iter()
        .position(|a| a.name == name)
        .unwrap_or_else(|| unreachable!("{}: no atom {name} in {}", t.name, owner.name));
    (is_previous, index)
}

/// Cartesian positions of the atoms of `t`, in template order, given the placed atoms of the
/// previous residue.
fn place_residue(
    t: &ResidueTemplate,
    previous: Option<(&ResidueTemplate, &[Vec3])>,
    backbone: Backbone,
) -> Vec<Vec3> {
    let previous_template = previous.map(|(p, _)| p);
    let mut placed: Vec<Option<Vec3>> = vec![None; t.atoms.len()];
    let lookup = |placed: &[Option<Vec3>], reference: &str| -> Option<Vec3> {
        match resolve(t, previous_template, reference) {
            (true, i) => previous.map(|(_, xyz)| xyz[i]),
            (false, i) => placed[i],
        }
    };
    // Atoms are listed in output order, not in dependency order: sweep until all are placed.
    // Each sweep places at least one atom (checked for every template by the tests).
    for _sweep in 0..t.atoms.len() {
        let mut progress = false;
        for (i, atom) in t.atoms.iter().enumerate() {
            if placed[i].is_some() {
                continue;
            }
            let refs: Option<Vec<Vec3>> = atom
                .place
                .references()
                .iter()
                .map(|r| lookup(&placed, r))
                .collect();
            let Some(refs) = refs else { continue };
            placed[i] = Some(match atom.place {
                Place::Origin => [0.0, 0.0, 0.0],
                Place::OnAxis { r, .. } => [refs[0][0] + r, refs[0][1], refs[0][2]],
                Place::InPlane { r, theta, .. } => {
                    // The bond partner lies on +x of the angle atom (see OnAxis), so the new
                    // atom makes the angle θ with the −x direction, on the +y side.
                    let (s, c) = theta.to_radians().sin_cos();
                    [refs[0][0] - r * c, refs[0][1] + r * s, refs[0][2]]
                }
                Place::Torsion { r, theta, tau, .. } => {
                    let tau = match tau {
                        Torsion::Fixed(value) => value,
                        Torsion::Phi => backbone.phi,
                        Torsion::Psi => backbone.psi + 180.0,
                        Torsion::Omega => backbone.omega,
                    };
                    place_torsion(refs[2], refs[1], refs[0], r, theta, tau)
                }
                Place::Branch {
                    r,
                    theta1,
                    theta2,
                    side,
                    ..
                } => place_branch(refs[0], refs[1], theta1, refs[2], theta2, r, side),
                Place::Trigonal { r, .. } => place_trigonal(refs[0], refs[1], refs[2], r),
            });
            progress = true;
        }
        if !progress {
            break;
        }
    }
    placed
        .into_iter()
        .zip(t.atoms)
        .map(|(xyz, atom)| {
            xyz.unwrap_or_else(|| unreachable!("{}: cannot place {}", t.name, atom.name))
        })
        .collect()
}

/// Covalent bonds implied by the templates: the Z-matrix spanning tree of each residue (every atom
/// to the atom it is
/// placed from, the peptide bond included), plus the ring closures.
#[cfg(test)]
fn template_bonds(chain: &[&ResidueTemplate], topology: &Topology) -> Vec<(usize, usize)> {
    let mut bonds = Vec::new();
    for (index, t) in chain.iter().enumerate() {
        let previous = index.checked_sub(1).map(|p| chain[p]);
        let global = |reference: &str| -> usize {
            match resolve(t, previous, reference) {
                (true, i) => topology.residues[index - 1].atoms.start + i,
                (false, i) => topology.residues[index].atoms.start + i,
            }
        };
        let start = topology.residues[index].atoms.start;
        for (i, atom) in t.atoms.iter().enumerate() {
            if let Some(partner) = atom.place.bonded_to() {
                bonds.push((start + i, global(partner)));
            }
        }
        for (a, b) in t.ring_closures {
            bonds.push((global(a), global(b)));
        }
    }
    let mut bonds: Vec<(usize, usize)> = bonds
        .into_iter()
        .map(|(i, j)| (i.min(j), i.max(j)))
        .collect();
    bonds.sort_unstable();
    bonds.dedup();
    bonds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_places_all_its_atoms_after_any_other() {
        let ace = place_residue(&templates::ACE, None, Backbone::default());
        for p in templates::ALL.iter().filter(|t| t.name != "NME") {
            let p_xyz = if p.name == "ACE" {
                ace.clone()
            } else {
                place_residue(p, Some((&templates::ACE, &ace)), Backbone::default())
            };
            for t in templates::ALL.iter().filter(|t| t.name != "ACE") {
                let xyz = place_residue(t, Some((p, &p_xyz)), Backbone::default());
                assert_eq!(xyz.len(), t.atoms.len());
                assert!(
                    xyz.iter().flatten().all(|x| x.is_finite()),
                    "{} after {}",
                    t.name,
                    p.name
                );
            }
        }
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert!(matches!(
            build_residues(&["ALA", "XYZ"], Backbone::default()),
            Err(BuildError::UnknownResidue { index: 2, .. })
        ));
        assert_eq!(
            build_residues::<&str>(&[], Backbone::default()),
            Err(BuildError::EmptySequence)
        );
        let nan = Backbone {
            phi: f64::NAN,
            ..Backbone::default()
        };
        assert!(matches!(
            build_residues(&["ALA"], nan),
            Err(BuildError::InvalidDihedral { .. })
        ));
        assert!(build_residues(&["his", "Ala"], Backbone::default()).is_ok());
    }

    #[test]
    fn standard_bonds_are_the_template_tree_plus_ring_closures() {
        for t in templates::ALL.iter().filter(|t| t.code.is_some()) {
            let (topology, _) =
                build_residues(&[t.name, "GLY", t.name], Backbone::default()).unwrap();
            let chain = [&templates::ACE, t, &templates::GLY, t, &templates::NME];
            assert_eq!(
                topology.bonds,
                template_bonds(&chain, &topology),
                "{}",
                t.name
            );
        }
    }
}
