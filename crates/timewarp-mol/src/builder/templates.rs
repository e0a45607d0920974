//! Residue templates for the peptide builder: one internal-coordinate (Z-matrix) table per
//! residue, atoms in output order (OpenMM's: N, H, CA, HA, C, O, then the side chain).
//!
//! Geometry. Bond lengths are the amber14 (ff14SB) equilibrium lengths r0 and bond angles the
//! equilibrium angles θ0 of the atom types involved (`protein.ff14SB.xml`), so a built peptide
//! starts near the minimum of the force field we simulate with; the `builder` integration test
//! checks every number below against the ffxml. Exceptions, where the θ0 cannot all hold at
//! once in a closed ring: the imidazole of HIS is a regular pentagon (ring angles 108°, Cβ on
//! the exterior bisector; ff14SB gives all five ring angles ≈ 120°), and the pyrrolidine of PRO
//! uses the Engh & Huber (1991) ring angles (N–Cα–Cβ 103.3°, Cα–Cβ–Cγ 104.5°, Cβ–Cγ–Cδ 106.1°)
//! with χ1 = 29.5°, χ2 = −24.5° (Cγ-endo pucker) chosen so that the Cδ–N bond closes at r0.
//! Ring hydrogens sit on the exterior bisector (`trigonal`).
//!
//! Stereochemistry. Every Cα is L (Cβ on the `Minus` side of N, C), THR Cβ is (3R) and ILE Cβ is
//! (3S) (as in the OpenMM/PDBFixer-built `dip_*.pdb` references). Methylene hydrogens are named
//! by one fixed rule: looking along the chain towards the CH2 carbon, HX2 is at −120° and HX3 at
//! +120° from the next heavy atom (so GLY HA3 takes the place of the L-amino-acid HA); ff14SB
//! gives both the same parameters. Methyl and ammonium hydrogens are staggered, the first anti
//! to the heavy atom two bonds back.
//!
//! Conformation. Side chains take a common, clash-free rotamer of the Lovell et al. (2000)
//! penultimate rotamer library, named in each doc comment (m ≈ −65°, p ≈ +65°, t ≈ 180° for
//! χ1, χ2, ...; a trailing number is the last χ in degrees); backbone φ, ψ, ω come from the
//! caller.
//!
//! Names are the PDB v3 / OpenMM ones; the caps use OpenMM's PDB names (ACE: CH3, H1–H3, C, O;
//! NME: N, H, C, H1–H3), which `pdbNames.xml` maps onto ff14SB's (HH31–HH33, NME CH3).
//! Residue names are the ff14SB template names (HID, ASH, ...); `pdb_name` is what goes into a
//! PDB file and a [`crate::Topology`] (HIS, ASP, ...): the force field tells the protonation
//! states apart by their hydrogens, as OpenMM does.

use super::zmatrix::{
    branch, in_plane, on_axis, origin, torsion, trigonal,
    Side::{Minus, Plus},
    Torsion::{Fixed, Omega, Phi, Psi},
    ZAtom,
};

/// One residue: its names and Z-matrix.
#[derive(Debug)]
pub(crate) struct ResidueTemplate {
    /// ff14SB template name (`HIE`, `ASH`, ...).
    pub name: &'static str,
    /// Residue name in PDB files and topologies (`HIS`, `ASP`, ...).
    pub pdb_name: &'static str,
    /// One-letter code (`None` for the caps).
    pub code: Option<char>,
    /// The atom the next residue's N placement calls `-CA` (CH3 in ACE).
    pub alpha: &'static str,
    /// Ring bonds not in the Z-matrix spanning tree (each ring is closed by one such bond).
    /// Topologies take their bonds from residues.xml; the tests check these against it.
    #[cfg_attr(not(test), allow(dead_code))]
    pub ring_closures: &'static [(&'static str, &'static str)],
    pub atoms: &'static [ZAtom],
}

/// Acetyl N-terminal cap.
pub(crate) const ACE: ResidueTemplate = ResidueTemplate {
    name: "ACE",
    pdb_name: "ACE",
    code: None,
    alpha: "CH3",
    ring_closures: &[],
    atoms: &[
        origin("CH3"),
        torsion("H1", "CH3", 0.109, "C", 109.5, "O", Fixed(0.0)),
        torsion("H2", "CH3", 0.109, "C", 109.5, "O", Fixed(120.0)),
        torsion("H3", "CH3", 0.109, "C", 109.5, "O", Fixed(-120.0)),
        on_axis("C", "CH3", 0.1522),
        in_plane("O", "C", 0.1229, "CH3", 120.4),
    ],
};

/// N-methylamide C-terminal cap.
pub(crate) const NME: ResidueTemplate = ResidueTemplate {
    name: "NME",
    pdb_name: "NME",
    code: None,
    alpha: "C",
    ring_closures: &[],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "C", 118.04, "-C", Fixed(180.0)),
        torsion("C", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        torsion("H1", "C", 0.109, "N", 109.5, "-C", Fixed(180.0)),
        torsion("H2", "C", 0.109, "N", 109.5, "-C", Fixed(-60.0)),
        torsion("H3", "C", 0.109, "N", 109.5, "-C", Fixed(60.0)),
    ],
};

/// Alanine.
pub(crate) const ALA: ResidueTemplate = ResidueTemplate {
    name: "ALA",
    pdb_name: "ALA",
    code: Some('A'),
    alpha: "CA",
    ring_closures: &[],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 109.7, "C", 111.1, Minus),
        torsion("HB1", "CB", 0.109, "CA", 109.5, "N", Fixed(180.0)),
        torsion("HB2", "CB", 0.109, "CA", 109.5, "N", Fixed(-60.0)),
        torsion("HB3", "CB", 0.109, "CA", 109.5, "N", Fixed(60.0)),
    ],
};

/// Arginine (+1), rotamer mtt180.
pub(crate) const ARG: ResidueTemplate = ResidueTemplate {
    name: "ARG",
    pdb_name: "ARG",
    code: Some('R'),
    alpha: "CA",
    ring_closures: &[],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 109.7, "C", 111.1, Minus),
        branch("HB2", "CB", 0.109, "CA", 109.5, "CG", 109.5, Minus),
        branch("HB3", "CB", 0.109, "CA", 109.5, "CG", 109.5, Plus),
        torsion("CG", "CB", 0.1526, "CA", 109.5, "N", Fixed(-67.0)),
        branch("HG2", "CG", 0.109, "CB", 109.5, "CD", 109.5, Minus),
        branch("HG3", "CG", 0.109, "CB", 109.5, "CD", 109.5, Plus),
        torsion("CD", "CG", 0.1526, "CB", 109.5, "CA", Fixed(180.0)),
        branch("HD2", "CD", 0.109, "CG", 109.5, "NE", 109.5, Minus),
        branch("HD3", "CD", 0.109, "CG", 109.5, "NE", 109.5, Plus),
        torsion("NE", "CD", 0.1463, "CG", 111.2, "CB", Fixed(180.0)),
        torsion("HE", "NE", 0.101, "CZ", 120.0, "CD", Fixed(180.0)),
        torsion("CZ", "NE", 0.134, "CD", 123.2, "CG", Fixed(180.0)),
        torsion("NH1", "CZ", 0.134, "NE", 120.0, "CD", Fixed(0.0)),
        torsion("HH11", "NH1", 0.101, "CZ", 120.0, "NE", Fixed(180.0)),
        torsion("HH12", "NH1", 0.101, "CZ", 120.0, "NE", Fixed(0.0)),
        torsion("NH2", "CZ", 0.134, "NE", 120.0, "CD", Fixed(180.0)),
        torsion("HH21", "NH2", 0.101, "CZ", 120.0, "NE", Fixed(180.0)),
        torsion("HH22", "NH2", 0.101, "CZ", 120.0, "NE", Fixed(0.0)),
    ],
};

/// Aspartic acid, neutral (H on Oδ2), rotamer m-20.
pub(crate) const ASH: ResidueTemplate = ResidueTemplate {
    name: "ASH",
    pdb_name: "ASP",
    code: Some('D'),
    alpha: "CA",
    ring_closures: &[],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 109.7, "C", 111.1, Minus),
        branch("HB2", "CB", 0.109, "CA", 109.5, "CG", 109.5, Minus),
        branch("HB3", "CB", 0.109, "CA", 109.5, "CG", 109.5, Plus),
        torsion("CG", "CB", 0.1522, "CA", 111.1, "N", Fixed(-65.0)),
        torsion("OD1", "CG", 0.1229, "CB", 120.4, "CA", Fixed(-20.0)),
        torsion("OD2", "CG", 0.1364, "CB", 110.0, "OD1", Fixed(180.0)),
        torsion("HD2", "OD2", 0.096, "CG", 113.0, "OD1", Fixed(0.0)),
    ],
};

/// Asparagine, rotamer m-20.
pub(crate) const ASN: ResidueTemplate = ResidueTemplate {
    name: "ASN",
    pdb_name: "ASN",
    code: Some('N'),
    alpha: "CA",
    ring_closures: &[],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 109.7, "C", 111.1, Minus),
        branch("HB2", "CB", 0.109, "CA", 109.5, "CG", 109.5, Minus),
        branch("HB3", "CB", 0.109, "CA", 109.5, "CG", 109.5, Plus),
        torsion("CG", "CB", 0.1522, "CA", 111.1, "N", Fixed(-65.0)),
        torsion("OD1", "CG", 0.1229, "CB", 120.4, "CA", Fixed(-20.0)),
        torsion("ND2", "CG", 0.1335, "CB", 116.6, "OD1", Fixed(180.0)),
        torsion("HD21", "ND2", 0.101, "CG", 120.0, "OD1", Fixed(0.0)),
        torsion("HD22", "ND2", 0.101, "CG", 120.0, "OD1", Fixed(180.0)),
    ],
};

/// Aspartate (−1), rotamer m-20.
pub(crate) const ASP: ResidueTemplate = ResidueTemplate {
    name: "ASP",
    pdb_name: "ASP",
    code: Some('D'),
    alpha: "CA",
    ring_closures: &[],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 109.7, "C", 111.1, Minus),
        branch("HB2", "CB", 0.109, "CA", 109.5, "CG", 109.5, Minus),
        branch("HB3", "CB", 0.109, "CA", 109.5, "CG", 109.5, Plus),
        torsion("CG", "CB", 0.1522, "CA", 111.1, "N", Fixed(-65.0)),
        torsion("OD1", "CG", 0.125, "CB", 117.0, "CA", Fixed(-20.0)),
        torsion("OD2", "CG", 0.125, "CB", 117.0, "OD1", Fixed(180.0)),
    ],
};

/// Cysteine, deprotonated (thiolate, −1), rotamer m.
pub(crate) const CYM: ResidueTemplate = ResidueTemplate {
    name: "CYM",
    pdb_name: "CYS",
    code: Some('C'),
    alpha: "CA",
    ring_closures: &[],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 109.7, "C", 111.1, Minus),
        branch("HB2", "CB", 0.109, "CA", 109.5, "SG", 109.5, Minus),
        branch("HB3", "CB", 0.109, "CA", 109.5, "SG", 109.5, Plus),
        torsion("SG", "CB", 0.181, "CA", 108.6, "N", Fixed(-65.0)),
    ],
};

/// Cysteine (neutral thiol), rotamer m.
pub(crate) const CYS: ResidueTemplate = ResidueTemplate {
    name: "CYS",
    pdb_name: "CYS",
    code: Some('C'),
    alpha: "CA",
    ring_closures: &[],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 109.7, "C", 111.1, Minus),
        branch("HB2", "CB", 0.109, "CA", 109.5, "SG", 109.5, Minus),
        branch("HB3", "CB", 0.109, "CA", 109.5, "SG", 109.5, Plus),
        torsion("SG", "CB", 0.181, "CA", 108.6, "N", Fixed(-65.0)),
        torsion("HG", "SG", 0.1336, "CB", 96.0, "CA", Fixed(180.0)),
    ],
};

/// Glutamic acid, neutral (H on Oε2), rotamer mt-10.
pub(crate) const GLH: ResidueTemplate = ResidueTemplate {
    name: "GLH",
    pdb_name: "GLU",
    code: Some('E'),
    alpha: "CA",
    ring_closures: &[],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 109.7, "C", 111.1, Minus),
        branch("HB2", "CB", 0.109, "CA", 109.5, "CG", 109.5, Minus),
        branch("HB3", "CB", 0.109, "CA", 109.5, "CG", 109.5, Plus),
        torsion("CG", "CB", 0.1526, "CA", 109.5, "N", Fixed(-65.0)),
        branch("HG2", "CG", 0.109, "CB", 109.5, "CD", 109.5, Minus),
        branch("HG3", "CG", 0.109, "CB", 109.5, "CD", 109.5, Plus),
        torsion("CD", "CG", 0.1522, "CB", 111.1, "CA", Fixed(180.0)),
        torsion("OE1", "CD", 0.1229, "CG", 120.4, "CB", Fixed(-10.0)),
        torsion("OE2", "CD", 0.1364, "CG", 110.0, "OE1", Fixed(180.0)),
        torsion("HE2", "OE2", 0.096, "CD", 113.0, "OE1", Fixed(0.0)),
    ],
};

/// Glutamine, rotamer mt-30.
pub(crate) const GLN: ResidueTemplate = ResidueTemplate {
    name: "GLN",
    pdb_name: "GLN",
    code: Some('Q'),
    alpha: "CA",
    ring_closures: &[],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 109.7, "C", 111.1, Minus),
        branch("HB2", "CB", 0.109, "CA", 109.5, "CG", 109.5, Minus),
        branch("HB3", "CB", 0.109, "CA", 109.5, "CG", 109.5, Plus),
        torsion("CG", "CB", 0.1526, "CA", 109.5, "N", Fixed(-65.0)),
        branch("HG2", "CG", 0.109, "CB", 109.5, "CD", 109.5, Minus),
        branch("HG3", "CG", 0.109, "CB", 109.5, "CD", 109.5, Plus),
        torsion("CD", "CG", 0.1522, "CB", 111.1, "CA", Fixed(180.0)),
        torsion("OE1", "CD", 0.1229, "CG", 120.4, "CB", Fixed(-25.0)),
        torsion("NE2", "CD", 0.1335, "CG", 116.6, "OE1", Fixed(180.0)),
        torsion("HE21", "NE2", 0.101, "CD", 120.0, "OE1", Fixed(0.0)),
        torsion("HE22", "NE2", 0.101, "CD", 120.0, "OE1", Fixed(180.0)),
    ],
};

/// Glutamate (−1), rotamer mt-10.
pub(crate) const GLU: ResidueTemplate = ResidueTemplate {
    name: "GLU",
    pdb_name: "GLU",
    code: Some('E'),
    alpha: "CA",
    ring_closures: &[],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 109.7, "C", 111.1, Minus),
        branch("HB2", "CB", 0.109, "CA", 109.5, "CG", 109.5, Minus),
        branch("HB3", "CB", 0.109, "CA", 109.5, "CG", 109.5, Plus),
        torsion("CG", "CB", 0.1526, "CA", 109.5, "N", Fixed(-65.0)),
        branch("HG2", "CG", 0.109, "CB", 109.5, "CD", 109.5, Minus),
        branch("HG3", "CG", 0.109, "CB", 109.5, "CD", 109.5, Plus),
        torsion("CD", "CG", 0.1522, "CB", 111.1, "CA", Fixed(180.0)),
        torsion("OE1", "CD", 0.125, "CG", 117.0, "CB", Fixed(-10.0)),
        torsion("OE2", "CD", 0.125, "CG", 117.0, "OE1", Fixed(180.0)),
    ],
};

/// Glycine.
pub(crate) const GLY: ResidueTemplate = ResidueTemplate {
    name: "GLY",
    pdb_name: "GLY",
    code: Some('G'),
    alpha: "CA",
    ring_closures: &[],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA2", "CA", 0.109, "N", 109.5, "C", 109.5, Minus),
        branch("HA3", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
    ],
};

/// Histidine, neutral, H on Nδ1, rotamer m-70.
pub(crate) const HID: ResidueTemplate = ResidueTemplate {
    name: "HID",
    pdb_name: "HIS",
    code: Some('H'),
    alpha: "CA",
    ring_closures: &[("CD2", "NE2")],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 109.7, "C", 111.1, Minus),
        branch("HB2", "CB", 0.109, "CA", 109.5, "CG", 109.5, Minus),
        branch("HB3", "CB", 0.109, "CA", 109.5, "CG", 109.5, Plus),
        torsion("CG", "CB", 0.1504, "CA", 113.1, "N", Fixed(-65.0)),
        torsion("ND1", "CG", 0.1385, "CB", 126.0, "CA", Fixed(-70.0)),
        trigonal("HD1", "ND1", 0.101, "CG", "CE1"),
        torsion("CE1", "ND1", 0.1343, "CG", 108.0, "CB", Fixed(180.0)),
        trigonal("HE1", "CE1", 0.108, "ND1", "NE2"),
        torsion("NE2", "CE1", 0.1335, "ND1", 108.0, "CG", Fixed(0.0)),
        torsion("CD2", "CG", 0.1375, "CB", 126.0, "ND1", Fixed(180.0)),
        trigonal("HD2", "CD2", 0.108, "NE2", "CG"),
    ],
};

/// Histidine, neutral, H on Nε2 (default at pH 7), rotamer m-70.
pub(crate) const HIE: ResidueTemplate = ResidueTemplate {
    name: "HIE",
    pdb_name: "HIS",
    code: Some('H'),
    alpha: "CA",
    ring_closures: &[("CD2", "NE2")],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 109.7, "C", 111.1, Minus),
        branch("HB2", "CB", 0.109, "CA", 109.5, "CG", 109.5, Minus),
        branch("HB3", "CB", 0.109, "CA", 109.5, "CG", 109.5, Plus),
        torsion("CG", "CB", 0.1504, "CA", 113.1, "N", Fixed(-65.0)),
        torsion("ND1", "CG", 0.1394, "CB", 126.0, "CA", Fixed(-70.0)),
        torsion("CE1", "ND1", 0.1335, "CG", 108.0, "CB", Fixed(180.0)),
        trigonal("HE1", "CE1", 0.108, "ND1", "NE2"),
        torsion("NE2", "CE1", 0.1343, "ND1", 108.0, "CG", Fixed(0.0)),
        trigonal("HE2", "NE2", 0.101, "CE1", "CD2"),
        torsion("CD2", "CG", 0.1371, "CB", 126.0, "ND1", Fixed(180.0)),
        trigonal("HD2", "CD2", 0.108, "NE2", "CG"),
    ],
};

/// Histidine, protonated (+1), rotamer m-70.
pub(crate) const HIP: ResidueTemplate = ResidueTemplate {
    name: "HIP",
    pdb_name: "HIS",
    code: Some('H'),
    alpha: "CA",
    ring_closures: &[("CD2", "NE2")],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 109.7, "C", 111.1, Minus),
        branch("HB2", "CB", 0.109, "CA", 109.5, "CG", 109.5, Minus),
        branch("HB3", "CB", 0.109, "CA", 109.5, "CG", 109.5, Plus),
        torsion("CG", "CB", 0.1504, "CA", 113.1, "N", Fixed(-65.0)),
        torsion("ND1", "CG", 0.1385, "CB", 126.0, "CA", Fixed(-70.0)),
        trigonal("HD1", "ND1", 0.101, "CG", "CE1"),
        torsion("CE1", "ND1", 0.1343, "CG", 108.0, "CB", Fixed(180.0)),
        trigonal("HE1", "CE1", 0.108, "ND1", "NE2"),
        torsion("NE2", "CE1", 0.1343, "ND1", 108.0, "CG", Fixed(0.0)),
        trigonal("HE2", "NE2", 0.101, "CE1", "CD2"),
        torsion("CD2", "CG", 0.1371, "CB", 126.0, "ND1", Fixed(180.0)),
        trigonal("HD2", "CD2", 0.108, "NE2", "CG"),
    ],
};

/// Isoleucine, rotamer pt. (The commoner mt puts Cγ2 anti to N, where it hits the Cδ of a
/// following proline in PPII.)
pub(crate) const ILE: ResidueTemplate = ResidueTemplate {
    name: "ILE",
    pdb_name: "ILE",
    code: Some('I'),
    alpha: "CA",
    ring_closures: &[],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 109.7, "C", 111.1, Minus),
        branch("HB", "CB", 0.109, "CA", 109.5, "CG1", 109.5, Plus),
        branch("CG2", "CB", 0.1526, "CA", 109.5, "CG1", 109.5, Minus),
        torsion("HG21", "CG2", 0.109, "CB", 109.5, "CA", Fixed(180.0)),
        torsion("HG22", "CG2", 0.109, "CB", 109.5, "CA", Fixed(-60.0)),
        torsion("HG23", "CG2", 0.109, "CB", 109.5, "CA", Fixed(60.0)),
        torsion("CG1", "CB", 0.1526, "CA", 109.5, "N", Fixed(62.0)),
        branch("HG12", "CG1", 0.109, "CB", 109.5, "CD1", 109.5, Minus),
        branch("HG13", "CG1", 0.109, "CB", 109.5, "CD1", 109.5, Plus),
        torsion("CD1", "CG1", 0.1526, "CB", 109.5, "CA", Fixed(170.0)),
        torsion("HD11", "CD1", 0.109, "CG1", 109.5, "CB", Fixed(180.0)),
        torsion("HD12", "CD1", 0.109, "CG1", 109.5, "CB", Fixed(-60.0)),
        torsion("HD13", "CD1", 0.109, "CG1", 109.5, "CB", Fixed(60.0)),
    ],
};

/// Leucine, rotamer mt.
pub(crate) const LEU: ResidueTemplate = ResidueTemplate {
    name: "LEU",
    pdb_name: "LEU",
    code: Some('L'),
    alpha: "CA",
    ring_closures: &[],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 109.7, "C", 111.1, Minus),
        branch("HB2", "CB", 0.109, "CA", 109.5, "CG", 109.5, Minus),
        branch("HB3", "CB", 0.109, "CA", 109.5, "CG", 109.5, Plus),
        torsion("CG", "CB", 0.1526, "CA", 109.5, "N", Fixed(-65.0)),
        branch("HG", "CG", 0.109, "CB", 109.5, "CD1", 109.5, Minus),
        torsion("CD1", "CG", 0.1526, "CB", 109.5, "CA", Fixed(165.0)),
        torsion("HD11", "CD1", 0.109, "CG", 109.5, "CB", Fixed(180.0)),
        torsion("HD12", "CD1", 0.109, "CG", 109.5, "CB", Fixed(-60.0)),
        torsion("HD13", "CD1", 0.109, "CG", 109.5, "CB", Fixed(60.0)),
        branch("CD2", "CG", 0.1526, "CB", 109.5, "CD1", 109.5, Plus),
        torsion("HD21", "CD2", 0.109, "CG", 109.5, "CB", Fixed(180.0)),
        torsion("HD22", "CD2", 0.109, "CG", 109.5, "CB", Fixed(-60.0)),
        torsion("HD23", "CD2", 0.109, "CG", 109.5, "CB", Fixed(60.0)),
    ],
};

/// Lysine, neutral (NH2), rotamer mttt.
pub(crate) const LYN: ResidueTemplate = ResidueTemplate {
    name: "LYN",
    pdb_name: "LYS",
    code: Some('K'),
    alpha: "CA",
    ring_closures: &[],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 109.7, "C", 111.1, Minus),
        branch("HB2", "CB", 0.109, "CA", 109.5, "CG", 109.5, Minus),
        branch("HB3", "CB", 0.109, "CA", 109.5, "CG", 109.5, Plus),
        torsion("CG", "CB", 0.1526, "CA", 109.5, "N", Fixed(-65.0)),
        branch("HG2", "CG", 0.109, "CB", 109.5, "CD", 109.5, Minus),
        branch("HG3", "CG", 0.109, "CB", 109.5, "CD", 109.5, Plus),
        torsion("CD", "CG", 0.1526, "CB", 109.5, "CA", Fixed(180.0)),
        branch("HD2", "CD", 0.109, "CG", 109.5, "CE", 109.5, Minus),
        branch("HD3", "CD", 0.109, "CG", 109.5, "CE", 109.5, Plus),
        torsion("CE", "CD", 0.1526, "CG", 109.5, "CB", Fixed(180.0)),
        branch("HE2", "CE", 0.109, "CD", 109.5, "NZ", 109.5, Minus),
        branch("HE3", "CE", 0.109, "CD", 109.5, "NZ", 109.5, Plus),
        torsion("NZ", "CE", 0.1471, "CD", 111.2, "CG", Fixed(180.0)),
        torsion("HZ2", "NZ", 0.101, "CE", 109.5, "CD", Fixed(-60.0)),
        torsion("HZ3", "NZ", 0.101, "CE", 109.5, "CD", Fixed(60.0)),
    ],
};

/// Lysine (+1), rotamer mttt.
pub(crate) const LYS: ResidueTemplate = ResidueTemplate {
    name: "LYS",
    pdb_name: "LYS",
    code: Some('K'),
    alpha: "CA",
    ring_closures: &[],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 109.7, "C", 111.1, Minus),
        branch("HB2", "CB", 0.109, "CA", 109.5, "CG", 109.5, Minus),
        branch("HB3", "CB", 0.109, "CA", 109.5, "CG", 109.5, Plus),
        torsion("CG", "CB", 0.1526, "CA", 109.5, "N", Fixed(-65.0)),
        branch("HG2", "CG", 0.109, "CB", 109.5, "CD", 109.5, Minus),
        branch("HG3", "CG", 0.109, "CB", 109.5, "CD", 109.5, Plus),
        torsion("CD", "CG", 0.1526, "CB", 109.5, "CA", Fixed(180.0)),
        branch("HD2", "CD", 0.109, "CG", 109.5, "CE", 109.5, Minus),
        branch("HD3", "CD", 0.109, "CG", 109.5, "CE", 109.5, Plus),
        torsion("CE", "CD", 0.1526, "CG", 109.5, "CB", Fixed(180.0)),
        branch("HE2", "CE", 0.109, "CD", 109.5, "NZ", 109.5, Minus),
        branch("HE3", "CE", 0.109, "CD", 109.5, "NZ", 109.5, Plus),
        torsion("NZ", "CE", 0.1471, "CD", 111.2, "CG", Fixed(180.0)),
        torsion("HZ1", "NZ", 0.101, "CE", 109.5, "CD", Fixed(180.0)),
        torsion("HZ2", "NZ", 0.101, "CE", 109.5, "CD", Fixed(-60.0)),
        torsion("HZ3", "NZ", 0.101, "CE", 109.5, "CD", Fixed(60.0)),
    ],
};

/// Methionine, rotamer mtm.
pub(crate) const MET: ResidueTemplate = ResidueTemplate {
    name: "MET",
    pdb_name: "MET",
    code: Some('M'),
    alpha: "CA",
    ring_closures: &[],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 109.7, "C", 111.1, Minus),
        branch("HB2", "CB", 0.109, "CA", 109.5, "CG", 109.5, Minus),
        branch("HB3", "CB", 0.109, "CA", 109.5, "CG", 109.5, Plus),
        torsion("CG", "CB", 0.1526, "CA", 109.5, "N", Fixed(-65.0)),
        branch("HG2", "CG", 0.109, "CB", 109.5, "SD", 109.5, Minus),
        branch("HG3", "CG", 0.109, "CB", 109.5, "SD", 109.5, Plus),
        torsion("SD", "CG", 0.181, "CB", 114.7, "CA", Fixed(180.0)),
        torsion("CE", "SD", 0.181, "CG", 98.9, "CB", Fixed(-70.0)),
        torsion("HE1", "CE", 0.109, "SD", 109.5, "CG", Fixed(180.0)),
        torsion("HE2", "CE", 0.109, "SD", 109.5, "CG", Fixed(-60.0)),
        torsion("HE3", "CE", 0.109, "SD", 109.5, "CG", Fixed(60.0)),
    ],
};

/// Phenylalanine, rotamer m-85.
pub(crate) const PHE: ResidueTemplate = ResidueTemplate {
    name: "PHE",
    pdb_name: "PHE",
    code: Some('F'),
    alpha: "CA",
    ring_closures: &[("CD2", "CE2")],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 109.7, "C", 111.1, Minus),
        branch("HB2", "CB", 0.109, "CA", 109.5, "CG", 109.5, Minus),
        branch("HB3", "CB", 0.109, "CA", 109.5, "CG", 109.5, Plus),
        torsion("CG", "CB", 0.151, "CA", 114.0, "N", Fixed(-65.0)),
        torsion("CD1", "CG", 0.14, "CB", 120.0, "CA", Fixed(-85.0)),
        trigonal("HD1", "CD1", 0.108, "CG", "CE1"),
        torsion("CE1", "CD1", 0.14, "CG", 120.0, "CB", Fixed(180.0)),
        trigonal("HE1", "CE1", 0.108, "CD1", "CZ"),
        torsion("CZ", "CE1", 0.14, "CD1", 120.0, "CG", Fixed(0.0)),
        trigonal("HZ", "CZ", 0.108, "CE1", "CE2"),
        torsion("CE2", "CZ", 0.14, "CE1", 120.0, "CD1", Fixed(0.0)),
        trigonal("HE2", "CE2", 0.108, "CZ", "CD2"),
        torsion("CD2", "CG", 0.14, "CB", 120.0, "CD1", Fixed(180.0)),
        trigonal("HD2", "CD2", 0.108, "CG", "CE2"),
    ],
};

/// Proline, rotamer Cγ-endo ring pucker.
pub(crate) const PRO: ResidueTemplate = ResidueTemplate {
    name: "PRO",
    pdb_name: "PRO",
    code: Some('P'),
    alpha: "CA",
    ring_closures: &[("CD", "N")],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 103.3, "C", 111.1, Minus),
        branch("HB2", "CB", 0.109, "CA", 109.5, "CG", 109.5, Minus),
        branch("HB3", "CB", 0.109, "CA", 109.5, "CG", 109.5, Plus),
        torsion("CG", "CB", 0.1526, "CA", 104.5, "N", Fixed(29.5)),
        branch("HG2", "CG", 0.109, "CB", 109.5, "CD", 109.5, Minus),
        branch("HG3", "CG", 0.109, "CB", 109.5, "CD", 109.5, Plus),
        torsion("CD", "CG", 0.1526, "CB", 106.1, "CA", Fixed(-24.5)),
        branch("HD2", "CD", 0.109, "CG", 109.5, "N", 109.5, Minus),
        branch("HD3", "CD", 0.109, "CG", 109.5, "N", 109.5, Plus),
    ],
};

/// Serine, rotamer p.
pub(crate) const SER: ResidueTemplate = ResidueTemplate {
    name: "SER",
    pdb_name: "SER",
    code: Some('S'),
    alpha: "CA",
    ring_closures: &[],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 109.7, "C", 111.1, Minus),
        branch("HB2", "CB", 0.109, "CA", 109.5, "OG", 109.5, Minus),
        branch("HB3", "CB", 0.109, "CA", 109.5, "OG", 109.5, Plus),
        torsion("OG", "CB", 0.141, "CA", 109.5, "N", Fixed(64.0)),
        torsion("HG", "OG", 0.096, "CB", 108.5, "CA", Fixed(180.0)),
    ],
};

/// Threonine, rotamer p.
pub(crate) const THR: ResidueTemplate = ResidueTemplate {
    name: "THR",
    pdb_name: "THR",
    code: Some('T'),
    alpha: "CA",
    ring_closures: &[],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 109.7, "C", 111.1, Minus),
        branch("HB", "CB", 0.109, "CA", 109.5, "OG1", 109.5, Plus),
        branch("CG2", "CB", 0.1526, "CA", 109.5, "OG1", 109.5, Minus),
        torsion("HG21", "CG2", 0.109, "CB", 109.5, "CA", Fixed(180.0)),
        torsion("HG22", "CG2", 0.109, "CB", 109.5, "CA", Fixed(-60.0)),
        torsion("HG23", "CG2", 0.109, "CB", 109.5, "CA", Fixed(60.0)),
        torsion("OG1", "CB", 0.141, "CA", 109.5, "N", Fixed(62.0)),
        torsion("HG1", "OG1", 0.096, "CB", 108.5, "CA", Fixed(180.0)),
    ],
};

/// Tryptophan, rotamer m95.
pub(crate) const TRP: ResidueTemplate = ResidueTemplate {
    name: "TRP",
    pdb_name: "TRP",
    code: Some('W'),
    alpha: "CA",
    ring_closures: &[("CD1", "NE1"), ("CZ3", "CH2")],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 109.7, "C", 111.1, Minus),
        branch("HB2", "CB", 0.109, "CA", 109.5, "CG", 109.5, Minus),
        branch("HB3", "CB", 0.109, "CA", 109.5, "CG", 109.5, Plus),
        torsion("CG", "CB", 0.1495, "CA", 115.6, "N", Fixed(-65.0)),
        torsion("CD1", "CG", 0.1352, "CB", 125.0, "CA", Fixed(95.0)),
        trigonal("HD1", "CD1", 0.108, "CG", "NE1"),
        torsion("NE1", "CE2", 0.138, "CD2", 104.4, "CG", Fixed(0.0)),
        trigonal("HE1", "NE1", 0.101, "CD1", "CE2"),
        torsion("CE2", "CD2", 0.1419, "CG", 108.8, "CB", Fixed(180.0)),
        torsion("CZ2", "CE2", 0.14, "CD2", 122.7, "CG", Fixed(180.0)),
        trigonal("HZ2", "CZ2", 0.108, "CE2", "CH2"),
        torsion("CH2", "CZ2", 0.14, "CE2", 120.0, "CD2", Fixed(0.0)),
        trigonal("HH2", "CH2", 0.108, "CZ2", "CZ3"),
        torsion("CZ3", "CE3", 0.14, "CD2", 120.0, "CG", Fixed(180.0)),
        trigonal("HZ3", "CZ3", 0.108, "CH2", "CE3"),
        torsion("CE3", "CD2", 0.1404, "CG", 134.9, "CB", Fixed(0.0)),
        trigonal("HE3", "CE3", 0.108, "CZ3", "CD2"),
        torsion("CD2", "CG", 0.1459, "CB", 128.6, "CD1", Fixed(180.0)),
    ],
};

/// Tyrosine, rotamer m-85.
pub(crate) const TYR: ResidueTemplate = ResidueTemplate {
    name: "TYR",
    pdb_name: "TYR",
    code: Some('Y'),
    alpha: "CA",
    ring_closures: &[("CD2", "CE2")],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 109.7, "C", 111.1, Minus),
        branch("HB2", "CB", 0.109, "CA", 109.5, "CG", 109.5, Minus),
        branch("HB3", "CB", 0.109, "CA", 109.5, "CG", 109.5, Plus),
        torsion("CG", "CB", 0.151, "CA", 114.0, "N", Fixed(-65.0)),
        torsion("CD1", "CG", 0.14, "CB", 120.0, "CA", Fixed(-85.0)),
        trigonal("HD1", "CD1", 0.108, "CG", "CE1"),
        torsion("CE1", "CD1", 0.14, "CG", 120.0, "CB", Fixed(180.0)),
        trigonal("HE1", "CE1", 0.108, "CD1", "CZ"),
        torsion("CZ", "CE1", 0.1409, "CD1", 120.0, "CG", Fixed(0.0)),
        trigonal("OH", "CZ", 0.1364, "CE1", "CE2"),
        torsion("HH", "OH", 0.096, "CZ", 113.0, "CE1", Fixed(0.0)),
        torsion("CE2", "CZ", 0.1409, "CE1", 120.0, "CD1", Fixed(0.0)),
        trigonal("HE2", "CE2", 0.108, "CZ", "CD2"),
        torsion("CD2", "CG", 0.14, "CB", 120.0, "CD1", Fixed(180.0)),
        trigonal("HD2", "CD2", 0.108, "CG", "CE2"),
    ],
};

/// Valine, rotamer m. (The commoner t puts Cγ1 anti to N, where it hits the Cδ of a following
/// proline in PPII.)
pub(crate) const VAL: ResidueTemplate = ResidueTemplate {
    name: "VAL",
    pdb_name: "VAL",
    code: Some('V'),
    alpha: "CA",
    ring_closures: &[],
    atoms: &[
        torsion("N", "-C", 0.1335, "-CA", 116.6, "-O", Fixed(180.0)),
        torsion("H", "N", 0.101, "CA", 118.04, "-C", Fixed(180.0)),
        torsion("CA", "N", 0.1449, "-C", 121.9, "-CA", Omega),
        branch("HA", "CA", 0.109, "N", 109.5, "C", 109.5, Plus),
        torsion("C", "CA", 0.1522, "N", 110.1, "-C", Phi),
        torsion("O", "C", 0.1229, "CA", 120.4, "N", Psi),
        branch("CB", "CA", 0.1526, "N", 109.7, "C", 111.1, Minus),
        branch("HB", "CB", 0.109, "CA", 109.5, "CG1", 109.5, Minus),
        torsion("CG1", "CB", 0.1526, "CA", 109.5, "N", Fixed(-60.0)),
        torsion("HG11", "CG1", 0.109, "CB", 109.5, "CA", Fixed(180.0)),
        torsion("HG12", "CG1", 0.109, "CB", 109.5, "CA", Fixed(-60.0)),
        torsion("HG13", "CG1", 0.109, "CB", 109.5, "CA", Fixed(60.0)),
        branch("CG2", "CB", 0.1526, "CA", 109.5, "CG1", 109.5, Plus),
        torsion("HG21", "CG2", 0.109, "CB", 109.5, "CA", Fixed(180.0)),
        torsion("HG22", "CG2", 0.109, "CB", 109.5, "CA", Fixed(-60.0)),
        torsion("HG23", "CG2", 0.109, "CB", 109.5, "CA", Fixed(60.0)),
    ],
};

/// Every template, caps first.
pub(crate) const ALL: [&ResidueTemplate; 28] = [
    &ACE, &NME, &ALA, &ARG, &ASH, &ASN, &ASP, &CYM, &CYS, &GLH, &GLN, &GLU, &GLY, &HID, &HIE, &HIP,
    &ILE, &LEU, &LYN, &LYS, &MET, &PHE, &PRO, &SER, &THR, &TRP, &TYR, &VAL,
];
