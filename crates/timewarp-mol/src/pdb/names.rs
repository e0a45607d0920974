//! Standard residue and atom names, as OpenMM's `PDBFile` normalises them.
//!
//! The tables come from OpenMM's `pdbNames.xml` (vendored in `data/`). Each `<Residue>` lists
//! its standard name and aliases (`alt1="HID"`, …); each `<Atom>` its standard name and aliases
//! (`alt1="1HB"`, …). Residues of `type="Protein"` / `"Nucleic"` also inherit the generic
//! entries of the `Protein` / `Nucleic` blocks (e.g. `HN` → `H`, `OT2` → `OXT`), and a
//! residue's own entries override the generic ones (ACE keeps `H1`, where the generic protein
//! rule maps an N-terminal `H1` to `H`).
//!
//! ```
//! use timewarp_mol::pdb::names::{standard_atom_name, standard_residue_name};
//! assert_eq!(standard_residue_name("HID"), "HIS");
//! assert_eq!(standard_atom_name("ACE", "1HH3"), "H1");
//! assert_eq!(standard_atom_name("NME", "CH3"), "C");
//! assert_eq!(standard_atom_name("ALA", "HN"), "H");
//! ```

use std::collections::HashMap;
use std::sync::OnceLock;

const PDB_NAMES_XML: &str = include_str!("../../data/pdbNames.xml");

/// Alias tables built once from `pdbNames.xml`.
#[derive(Debug, Default)]
pub struct NameTables {
    /// Any residue name or alias → standard residue name.
    residues: HashMap<String, String>,
    /// Standard residue name → (any atom name or alias → standard atom name).
    atoms: HashMap<String, HashMap<String, String>>,
}

impl NameTables {
    /// Parse a `pdbNames.xml` document (OpenMM format).
    pub fn from_xml(xml: &str) -> Result<NameTables, String> {
        let doc = roxmltree::Document::parse(xml).map_err(|e| e.to_string())?;
        let residues: Vec<roxmltree::Node> = doc
            .root_element()
            .children()
            .filter(|n| n.has_tag_name("Residue"))
            .collect();

        // Generic blocks first: `All`, `Protein`, `Nucleic`.
        let mut all = HashMap::new();
        let mut protein = HashMap::new();
        let mut nucleic = HashMap::new();
        for r in &residues {
            match r.attribute("name") {
                Some("All") => add_atom_aliases(r, &mut all),
                Some("Protein") => add_atom_aliases(r, &mut protein),
                Some("Nucleic") => add_atom_aliases(r, &mut nucleic),
                _ => {}
            }
        }
        for generic in [&mut protein, &mut nucleic] {
            for (k, v) in &all {
                generic.insert(k.clone(), v.clone());
            }
        }

        let mut tables = NameTables::default();
        for r in &residues {
            let Some(name) = r.attribute("name") else {
                return Err(format!(
                    "<Residue> without name at byte {}",
                    r.range().start
                ));
            };
            for attr in r.attributes() {
                if attr.name() == "name" || attr.name().starts_with("alt") {
                    tables
                        .residues
                        .insert(attr.value().to_string(), name.to_string());
                }
            }
            let mut atoms = match r.attribute("type") {
                Some("Protein") => protein.clone(),
                Some("Nucleic") => nucleic.clone(),
                _ => all.clone(),
            };
            add_atom_aliases(r, &mut atoms);
            tables.atoms.insert(name.to_string(), atoms);
        }
        Ok(tables)
    }

    /// Standard residue name for `name` (unchanged when it has no alias entry).
    pub fn residue<'a>(&'a self, name: &'a str) -> &'a str {
        self.residues.get(name).map(String::as_str).unwrap_or(name)
    }

    /// Standard atom name for atom `atom` of residue `standard_residue` (a name already
    /// passed through [`NameTables::residue`]); unchanged when there is no alias entry.
    pub fn atom<'a>(&'a self, standard_residue: &str, atom: &'a str) -> &'a str {
        self.atoms
            .get(standard_residue)
            .and_then(|m| m.get(atom))
            .map(String::as_str)
            .unwrap_or(atom)
    }
}

/// Every attribute value of an `<Atom>` (its name and all aliases) maps to its `name`.
fn add_atom_aliases(residue: &roxmltree::Node, map: &mut HashMap<String, String>) {
    for atom in residue.children().filter(|n| n.has_tag_name("Atom")) {
        if let Some(name) = atom.attribute("name") {
            for attr in atom.attributes() {
                map.insert(attr.value().to_string(), name.to_string());
            }
        }
    }
}

/// The tables of the vendored `pdbNames.xml`, parsed on first use.
pub fn name_tables() -> &'static NameTables {
    static TABLES: OnceLock<NameTables> = OnceLock::new();
    TABLES.get_or_init(|| {
        NameTables::from_xml(PDB_NAMES_XML).expect("vendored data/pdbNames.xml is valid")
    })
}

/// Standard (PDB v3 / OpenMM) residue name, e.g. `HID` → `HIS`, `NMA` → `NME`, `WAT` → `HOH`.
pub fn standard_residue_name(name: &str) -> &str {
    name_tables().residue(name)
}

/// Standard atom name in a residue with *standard* name `residue`, e.g. (`ALA`, `1HB`) → `HB1`.
pub fn standard_atom_name<'a>(residue: &str, atom: &'a str) -> &'a str {
    name_tables().atom(residue, atom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residue_aliases() {
        for (alias, name) in [
            ("HID", "HIS"),
            ("HIE", "HIS"),
            ("HIP", "HIS"),
            ("HSD", "HIS"),
            ("CYX", "CYS"),
            ("ASH", "ASP"),
            ("GLH", "GLU"),
            ("NMA", "NME"),
            ("NHE", "NH2"),
            ("WAT", "HOH"),
            ("ALA", "ALA"),
            ("XYZ", "XYZ"),
        ] {
            assert_eq!(standard_residue_name(alias), name, "{alias}");
        }
    }

    #[test]
    fn atom_aliases() {
        for (res, alias, name) in [
            ("ACE", "1HH3", "H1"),
            ("ACE", "HH32", "H2"),
            ("ACE", "H1", "H1"),
            ("ACE", "CAY", "CH3"),
            ("NME", "CH3", "C"),
            ("NME", "HH31", "H1"),
            ("NME", "3HH3", "H3"),
            ("NME", "HN", "H"),
            ("ALA", "HN", "H"),
            ("ALA", "1HB", "HB1"),
            ("ALA", "H1", "H"),
            ("ALA", "OT2", "OXT"),
            ("GLY", "HA1", "HA3"),
            ("ILE", "CD", "CD1"),
            ("HIS", "HNE2", "HE2"),
            ("HOH", "OW", "O"),
            ("ALA", "CA", "CA"),
            ("LIG", "C1", "C1"),
        ] {
            assert_eq!(standard_atom_name(res, alias), name, "{res} {alias}");
        }
    }
}
