//! Shared helpers of the integration tests: reading the OpenMM oracle files of shared/oracle.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use timewarp_ff::{GbModel, NonbondedMethod, SystemOptions};
use timewarp_mol::{Atom, Element, Residue, Topology};

pub fn shared_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")).to_path_buf()
}

/// All oracle files `shared/oracle/oracle_*.json`, sorted.
pub fn oracle_files() -> Vec<PathBuf> {
    let pattern = shared_dir().join("oracle/oracle_*.json");
    let mut files: Vec<PathBuf> = glob::glob(pattern.to_str().unwrap())
        .unwrap()
        .map(|p| p.unwrap())
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no oracle files at {}",
        pattern.display()
    );
    files
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Options of the OpenMM System the oracle was computed with, from its `meta` block.
pub fn options_from_meta(meta: &Value) -> SystemOptions {
    let files: Vec<&str> = meta["forcefield_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    let gb = if files.iter().any(|f| f.ends_with("obc1.xml")) {
        Some(GbModel::Obc1)
    } else if files.iter().any(|f| f.ends_with("obc2.xml")) {
        Some(GbModel::Obc2)
    } else {
        None
    };
    let cs = &meta["createSystem"];
    let nonbonded = match cs["nonbondedMethod"].as_str().unwrap() {
        "NoCutoff" => NonbondedMethod::NoCutoff,
        "CutoffNonPeriodic" => NonbondedMethod::CutoffNonPeriodic {
            cutoff_nm: cs["nonbondedCutoff_nm"].as_f64().unwrap(),
        },
        other => panic!("unsupported nonbonded method {other}"),
    };
    SystemOptions { gb, nonbonded }
}

/// Topology from the oracle's atom table and bond list (names, elements, residues, bonds).
pub fn topology_from_oracle(oracle: &Value) -> Topology {
    let p = &oracle["parameters"]["none"];
    let mut top = Topology::default();
    for (i, a) in p["atoms"].as_array().unwrap().iter().enumerate() {
        let r = a["residue_index"].as_u64().unwrap() as usize;
        if r == top.residues.len() {
            top.residues.push(Residue {
                name: a["residue_name"].as_str().unwrap().to_string(),
                number: r as i32 + 1,
                insertion_code: ' ',
                chain: 'A',
                atoms: i..i,
                chain_index: 0,
            });
        }
        top.residues[r].atoms.end = i + 1;
        top.atoms.push(Atom {
            name: a["name"].as_str().unwrap().to_string(),
            element: Element::from_symbol(a["element"].as_str().unwrap()).unwrap(),
            residue: r,
            serial: i as i64 + 1,
        });
    }
    for b in p["topology_bonds"].as_array().unwrap() {
        let (i, j) = (
            b[0].as_u64().unwrap() as usize,
            b[1].as_u64().unwrap() as usize,
        );
        top.bonds.push((i.min(j), i.max(j)));
    }
    top
}

pub fn positions(config: &Value) -> Vec<[f64; 3]> {
    vec3s(&config["positions"])
}

pub fn vec3s(v: &Value) -> Vec<[f64; 3]> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| {
            [
                x[0].as_f64().unwrap(),
                x[1].as_f64().unwrap(),
                x[2].as_f64().unwrap(),
            ]
        })
        .collect()
}

/// Oracle file by base name, e.g. `oracle_ala2.json`.
pub fn oracle(name: &str) -> Value {
    read_json(&shared_dir().join("oracle").join(name))
}
