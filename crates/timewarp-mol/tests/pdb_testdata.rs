//! PDB reading and standard bonds against the shared test data and the OpenMM oracles.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use timewarp_mol::{read_pdb, Element};

fn shared(rel: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")).join(rel)
}

fn glob_shared(pattern: &str) -> Vec<PathBuf> {
    let pattern = shared(pattern);
    let paths: Vec<PathBuf> = glob::glob(pattern.to_str().unwrap())
        .unwrap()
        .map(|p| p.unwrap())
        .collect();
    assert!(!paths.is_empty(), "no files match {}", pattern.display());
    paths
}

#[test]
fn every_testdata_pdb_parses() {
    for path in glob_shared("testdata/*.pdb") {
        let pdb = read_pdb(&path).unwrap_or_else(|e| panic!("{e}"));
        let t = &pdb.topology;
        assert!(t.n_atoms() > 0, "{}", path.display());
        assert_eq!(pdb.models.len(), 1, "{}", path.display());
        assert_eq!(pdb.models[0].len(), t.n_atoms());
        // Every hydrogen has exactly one bond, every heavy atom at least one.
        let nb = t.neighbours();
        for (i, a) in t.atoms.iter().enumerate() {
            if a.element == Element::H {
                assert_eq!(nb[i].len(), 1, "{}: {}", path.display(), t.atom_label(i));
            } else {
                assert!(!nb[i].is_empty(), "{}: {}", path.display(), t.atom_label(i));
            }
        }
        // Bonded atoms are close (standard bonds are by name; this catches a wrong mapping).
        for &(i, j) in &t.bonds {
            let (a, b) = (pdb.models[0][i], pdb.models[0][j]);
            let d = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt();
            assert!(
                d < 0.2,
                "{}: {}–{} {d} nm",
                path.display(),
                t.atom_label(i),
                t.atom_label(j)
            );
        }
    }
}

fn atom_names(path: &Path) -> Vec<(String, String)> {
    let t = read_pdb(path).unwrap().topology;
    t.atoms
        .iter()
        .map(|a| (t.residues[a.residue].name.clone(), a.name.clone()))
        .collect()
}

#[test]
fn old_names_map_to_openmm_names() {
    let reference = atom_names(&shared("testdata/ala2.pdb"));
    for old in [
        "testdata/alanine-dipeptide-oldnames.pdb",
        "testdata/ala2_openmmtools_original.pdb",
    ] {
        assert_eq!(atom_names(&shared(old)), reference, "{old}");
        let a = read_pdb(&shared(old)).unwrap();
        let b = read_pdb(&shared("testdata/ala2.pdb")).unwrap();
        assert_eq!(a.topology.bonds, b.topology.bonds, "{old}");
        assert_eq!(a.models, b.models, "{old}");
    }
}

#[test]
fn ala2_has_21_bonds() {
    let pdb = read_pdb(&shared("testdata/ala2.pdb")).unwrap();
    assert_eq!(pdb.topology.bonds.len(), 21);
}

#[test]
fn bonds_and_atoms_match_every_oracle() {
    for path in glob_shared("oracle/oracle_*.json") {
        let text = std::fs::read_to_string(&path).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let pdb_file = json["meta"]["pdb_file"].as_str().expect("meta.pdb_file");
        let params = &json["parameters"]["none"];
        let pdb = read_pdb(&shared("testdata").join(pdb_file)).unwrap();
        let t = &pdb.topology;

        let atoms = params["atoms"].as_array().unwrap();
        assert_eq!(atoms.len(), t.n_atoms(), "{}", path.display());
        for (a, o) in t.atoms.iter().zip(atoms) {
            assert_eq!(a.name, o["name"].as_str().unwrap(), "{}", path.display());
            assert_eq!(
                a.element.symbol(),
                o["element"].as_str().unwrap(),
                "{}",
                path.display()
            );
            let r = &t.residues[a.residue];
            assert_eq!(
                r.name,
                o["residue_name"].as_str().unwrap(),
                "{}",
                path.display()
            );
            assert_eq!(a.residue as u64, o["residue_index"].as_u64().unwrap());
        }

        let expected: BTreeSet<(usize, usize)> = params["topology_bonds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                let (i, j) = (
                    b[0].as_u64().unwrap() as usize,
                    b[1].as_u64().unwrap() as usize,
                );
                (i.min(j), i.max(j))
            })
            .collect();
        let ours: BTreeSet<(usize, usize)> = t.bonds.iter().copied().collect();
        assert_eq!(ours.len(), t.bonds.len(), "duplicate bonds in {pdb_file}");
        assert_eq!(ours, expected, "{}", path.display());

        // Coordinates are the PDB's ångström × 0.1, as in OpenMM (config "pdb").
        let config = &json["configs"][0];
        assert_eq!(config["label"].as_str(), Some("pdb"));
        for (p, o) in pdb.models[0]
            .iter()
            .zip(config["positions"].as_array().unwrap())
        {
            for k in 0..3 {
                assert_eq!(p[k], o[k].as_f64().unwrap(), "{}", path.display());
            }
        }
    }
}

#[test]
fn ace_ala3_nme_bond_count() {
    let pdb = read_pdb(&shared("testdata/ace_ala3_nme.pdb")).unwrap();
    assert_eq!(pdb.topology.bonds.len(), 41);
    let names: Vec<&str> = pdb
        .topology
        .residues
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, ["ACE", "ALA", "ALA", "ALA", "NME"]);
}

#[test]
fn terminal_residues_of_2olx() {
    // Uncapped GB1 fragment: N-terminal H/H2/H3 and C-terminal OXT are bonded.
    let pdb = read_pdb(&shared("testdata/implicit-2olx-traj-state0.pdb")).unwrap();
    let t = &pdb.topology;
    assert_eq!(t.n_atoms(), 65);
    let first = 0;
    let last = t.residues.len() - 1;
    let n = t.find_atom(first, "N").unwrap();
    for h in ["H", "H2", "H3"] {
        let hi = t.find_atom(first, h).unwrap();
        assert!(t.bonds.contains(&(n.min(hi), n.max(hi))), "{h}");
    }
    let c = t.find_atom(last, "C").unwrap();
    let oxt = t.find_atom(last, "OXT").unwrap();
    assert!(t.bonds.contains(&(c.min(oxt), c.max(oxt))));
    // Peptide bonds: one per consecutive residue pair.
    for r in 1..t.residues.len() {
        let c = t.find_atom(r - 1, "C").unwrap();
        let n = t.find_atom(r, "N").unwrap();
        assert!(t.bonds.contains(&(c, n)), "peptide bond {r}");
    }
}
