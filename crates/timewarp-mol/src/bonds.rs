//! Covalent bonds from residue templates, as OpenMM's `Topology.createStandardBonds` and
//! `Topology.createDisulfideBonds` build them.
//!
//! `data/residues.xml` (OpenMM's bond definitions) lists for each standard residue its bonds by
//! atom *name*; a `-` prefix names an atom of the previous residue in the same chain (`-C`–`N`
//! is the peptide bond, `-O3'`–`P` the phosphodiester bond). A listed bond is created when both
//! atoms exist, so one definition covers the internal residue and its terminal variants
//! (N-terminal `H2`/`H3`, C-terminal `OXT`/`HXT`) and protonation states (HIS with `HD1` and/or
//! `HE2`, CYS with or without `HG`). Residue names are looked up as written and, failing that,
//! by their standard alias (`HID`, `HIE`, `HIP` → `HIS`, `CYX` → `CYS`, `NMA` → `NME`).
//!
//! ```
//! use timewarp_mol::pdb::read_pdb;
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata/ala2.pdb");
//! # if !std::path::Path::new(path).exists() { return; }
//! let pdb = read_pdb(std::path::Path::new(path)).unwrap();
//! assert_eq!(pdb.topology.bonds.len(), 21); // read_pdb already called create_standard_bonds
//! ```

use crate::pdb::names::standard_residue_name;
use crate::Topology;
use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

const RESIDUES_XML: &str = include_str!("../data/residues.xml");

/// Distance below which two free cysteine SG atoms form a disulfide bond (OpenMM: 0.3 nm).
pub const DISULFIDE_CUTOFF_NM: f64 = 0.3;

/// A bond of a residue template: atom names, `-NAME` for an atom of the previous residue.
pub type BondDefinition = (String, String);

/// Residue name → bond definitions, from the vendored `residues.xml`, parsed once.
pub fn bond_definitions() -> &'static HashMap<String, Vec<BondDefinition>> {
    static DEFS: OnceLock<HashMap<String, Vec<BondDefinition>>> = OnceLock::new();
    DEFS.get_or_init(|| {
        parse_bond_definitions(RESIDUES_XML).expect("vendored data/residues.xml is valid")
    })
}

/// Parse an OpenMM `residues.xml` document.
pub fn parse_bond_definitions(xml: &str) -> Result<HashMap<String, Vec<BondDefinition>>, String> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| e.to_string())?;
    let mut defs = HashMap::new();
    for residue in doc
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("Residue"))
    {
        let name = residue
            .attribute("name")
            .ok_or_else(|| format!("<Residue> without name at byte {}", residue.range().start))?;
        let mut bonds = Vec::new();
        for bond in residue.children().filter(|n| n.has_tag_name("Bond")) {
            match (bond.attribute("from"), bond.attribute("to")) {
                (Some(a), Some(b)) => bonds.push((a.to_string(), b.to_string())),
                _ => return Err(format!("residue {name}: <Bond> without from/to")),
            }
        }
        defs.insert(name.to_string(), bonds);
    }
    Ok(defs)
}

/// Whether `name` (or its standard alias) has a template in `residues.xml`.
pub fn is_standard_residue(name: &str) -> bool {
    let defs = bond_definitions();
    defs.contains_key(name) || defs.contains_key(standard_residue_name(name))
}

fn definitions_for(name: &str) -> Option<&'static [BondDefinition]> {
    let defs = bond_definitions();
    defs.get(name)
        .or_else(|| defs.get(standard_residue_name(name)))
        .map(Vec::as_slice)
}

impl Topology {
    /// Add the template bonds of every standard residue, including the links (`-C`–`N`)
    /// between consecutive residues of a chain. Existing bonds are kept; the result is sorted
    /// and free of duplicates.
    pub fn create_standard_bonds(&mut self) {
        let mut bonds: BTreeSet<(usize, usize)> =
            self.bonds.iter().map(|&(i, j)| ordered(i, j)).collect();
        let atom_maps: Vec<HashMap<&str, usize>> = self
            .residues
            .iter()
            .map(|r| {
                r.atoms
                    .clone()
                    .map(|i| (self.atoms[i].name.as_str(), i))
                    .collect()
            })
            .collect();

        for (r, residue) in self.residues.iter().enumerate() {
            let Some(defs) = definitions_for(&residue.name) else {
                continue;
            };
            let previous = (r > 0 && self.same_chain(r - 1, r)).then(|| r - 1);
            let resolve = |name: &str| -> Option<usize> {
                match name.strip_prefix('-') {
                    Some(stripped) => atom_maps[previous?].get(stripped).copied(),
                    None => atom_maps[r].get(name).copied(),
                }
            };
            for (from, to) in defs {
                if let (Some(i), Some(j)) = (resolve(from), resolve(to)) {
                    if i != j {
                        bonds.insert(ordered(i, j));
                    }
                }
            }
        }
        self.bonds = bonds.into_iter().collect();
    }

    /// Bond the SG atoms of free cysteines (CYS/CYX with SG and without HG) closer than
    /// [`DISULFIDE_CUTOFF_NM`], as OpenMM does: each cysteine, in order, bonds to the closest
    /// earlier free cysteine whose SG is not yet in a disulfide bond.
    ///
    /// Positions in nm, one per atom; a slice of the wrong length adds no bonds.
    pub fn create_disulfide_bonds(&mut self, positions_nm: &[[f64; 3]]) {
        if positions_nm.len() != self.atoms.len() {
            return;
        }
        let sg: Vec<usize> = (0..self.residues.len())
            .filter(|&r| standard_residue_name(&self.residues[r].name) == "CYS")
            .filter(|&r| self.find_atom(r, "HG").is_none())
            .filter_map(|r| self.find_atom(r, "SG"))
            .collect();
        let mut in_disulfide: Vec<bool> = sg.iter().map(|&s| self.is_disulfide_bonded(s)).collect();
        for a in 0..sg.len() {
            let mut best: Option<(f64, usize)> = None;
            for b in 0..a {
                let d = distance(positions_nm[sg[a]], positions_nm[sg[b]]);
                if d < best.map_or(DISULFIDE_CUTOFF_NM, |(bd, _)| bd) && !in_disulfide[b] {
                    best = Some((d, b));
                }
            }
            if let Some((_, b)) = best {
                self.add_bond(sg[a], sg[b]);
                in_disulfide[a] = true;
                in_disulfide[b] = true;
            }
        }
    }

    /// Whether atom `i` already has an SG–SG bond.
    fn is_disulfide_bonded(&self, i: usize) -> bool {
        self.bonds.iter().any(|&(a, b)| {
            (a == i || b == i) && self.atoms[a].name == "SG" && self.atoms[b].name == "SG"
        })
    }
}

fn ordered(i: usize, j: usize) -> (usize, usize) {
    (i.min(j), i.max(j))
}

fn distance(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdb::parse_pdb;

    #[test]
    fn vendored_definitions_parse() {
        let defs = bond_definitions();
        assert!(defs.len() > 30);
        assert!(defs["ALA"].contains(&("-C".to_string(), "N".to_string())));
        assert_eq!(defs["NME"].len(), 7);
        assert!(is_standard_residue("HID"));
        assert!(!is_standard_residue("LIG"));
    }

    /// Two cysteines, free SG (no HG), whose SG atoms are `d` Å apart.
    fn two_cysteines(d: f64, second_name: &str, hg: bool) -> String {
        let mut s = String::new();
        let mut serial = 1;
        for (r, name, x0) in [(1, "CYS", 0.0), (2, second_name, 20.0)] {
            let sg_x = if r == 1 { 0.0 } else { d };
            let mut atoms = vec![
                ("N", x0 + 5.0, 1.0),
                ("CA", x0 + 5.0, 2.0),
                ("C", x0 + 5.0, 3.0),
            ];
            atoms.push(("CB", sg_x + 0.5, 1.5));
            atoms.push(("SG", sg_x, 0.0));
            if hg && r == 2 {
                atoms.push(("HG", sg_x, -1.3));
            }
            for (a, x, y) in atoms {
                s += &format!(
                    "ATOM  {serial:>5} {a:<4} {name:>3} A{r:>4}    {x:>8.3}{y:>8.3}{:>8.3}\n",
                    0.0
                );
                serial += 1;
            }
        }
        s
    }

    fn has_ss(top: &Topology) -> bool {
        let sg: Vec<usize> = (0..top.atoms.len())
            .filter(|&i| top.atoms[i].name == "SG")
            .collect();
        top.bonds.contains(&(sg[0], sg[1]))
    }

    #[test]
    fn disulfide_within_cutoff() {
        let pdb = parse_pdb(&two_cysteines(2.05, "CYS", false), "ss.pdb").unwrap();
        assert!(has_ss(&pdb.topology));
        let pdb = parse_pdb(&two_cysteines(2.05, "CYX", false), "ss.pdb").unwrap();
        assert_eq!(pdb.topology.residues[1].name, "CYS");
        assert!(has_ss(&pdb.topology));
    }

    #[test]
    fn no_disulfide_beyond_cutoff_or_with_hg() {
        let pdb = parse_pdb(&two_cysteines(3.1, "CYS", false), "ss.pdb").unwrap();
        assert!(!has_ss(&pdb.topology));
        let pdb = parse_pdb(&two_cysteines(2.05, "CYS", true), "ss.pdb").unwrap();
        assert!(!has_ss(&pdb.topology));
    }

    #[test]
    fn peptide_bond_only_within_chain() {
        // The two ALA residues are separated by TER: no -C–N bond between them.
        let text = "\
ATOM      1  N   ALA A   1       0.000   0.000   0.000
ATOM      2  CA  ALA A   1       1.450   0.000   0.000
ATOM      3  C   ALA A   1       2.000   1.400   0.000
TER
ATOM      4  N   ALA A   2       3.300   1.500   0.000
ATOM      5  CA  ALA A   2       4.000   2.700   0.000
ATOM      6  C   ALA A   2       5.500   2.500   0.000
";
        let pdb = parse_pdb(text, "ter.pdb").unwrap();
        assert_eq!(pdb.topology.bonds, vec![(0, 1), (1, 2), (3, 4), (4, 5)]);
        let joined = text.replace("TER\n", "");
        let pdb = parse_pdb(&joined, "joined.pdb").unwrap();
        assert_eq!(
            pdb.topology.bonds,
            vec![(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]
        );
    }
}
