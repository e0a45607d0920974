//! From PDB files (timewarp_mol's reader: names, standard bonds, CONECT) to OpenMM energies.

mod common;

use common::*;
use std::path::Path;
use timewarp_ff::{ForceField, GbModel, NonbondedMethod, SystemOptions};
use timewarp_mol::read_pdb;

fn testdata(name: &str) -> std::path::PathBuf {
    shared_dir().join("testdata").join(name)
}

/// Every oracle's PDB (`meta.pdb_file`) read by timewarp-mol gives the same System as the
/// oracle's own topology: same energy and forces at the PDB geometry.
#[test]
fn oracle_pdb_files_reproduce_openmm_energies() {
    let mut failures = Vec::new();
    for path in oracle_files() {
        let o = read_json(&path);
        let pdb_name = o["meta"]["pdb_file"].as_str().unwrap();
        let pdb = read_pdb(&testdata(pdb_name)).unwrap_or_else(|e| panic!("{pdb_name}: {e}"));
        let opts = options_from_meta(&o["meta"]);
        let system = ForceField::amber14()
            .create_system(&pdb.topology, &opts)
            .unwrap_or_else(|e| panic!("{pdb_name}: {e}"));
        let config = o["configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["label"] == "pdb")
            .unwrap();
        let reference = positions(config);
        let pos = pdb.positions();
        assert_eq!(pos.len(), reference.len(), "{pdb_name}");
        let max_dx = pos
            .iter()
            .zip(&reference)
            .flat_map(|(a, b)| (0..3).map(move |k| (a[k] - b[k]).abs()))
            .fold(0.0, f64::max);
        assert!(
            max_dx < 1e-12,
            "{pdb_name}: positions differ from the oracle's by {max_dx} nm"
        );
        let mut forces = vec![[0.0; 3]; pos.len()];
        let e = system.energy_terms(pos, &mut forces).total;
        let e_ref = config["none"]["energies"]["total"].as_f64().unwrap();
        if (e - e_ref).abs() > 1e-6 * e_ref.abs().max(100.0) {
            failures.push(format!(
                "{}: {pdb_name}: E = {e}, OpenMM {e_ref}",
                path.display()
            ));
        }
        let f_ref = vec3s(&config["none"]["forces"]);
        let max_df = forces
            .iter()
            .zip(&f_ref)
            .flat_map(|(a, b)| (0..3).map(move |k| (a[k] - b[k]).abs()))
            .fold(0.0, f64::max);
        if max_df > 1e-3 {
            failures.push(format!(
                "{}: {pdb_name}: max |ΔF| = {max_df}",
                path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Old-style names (1HH3, 2HB, …, no element column) give the same System as OpenMM names.
#[test]
fn old_style_names_give_the_same_energy() {
    let o = oracle("oracle_ala2.json");
    let e_ref = o["configs"][0]["none"]["energies"]["total"]
        .as_f64()
        .unwrap();
    let opts = options_from_meta(&o["meta"]);
    for name in [
        "ala2_openmmtools_original.pdb",
        "alanine-dipeptide-oldnames.pdb",
    ] {
        let pdb = read_pdb(&testdata(name)).unwrap();
        let system = ForceField::amber14()
            .create_system(&pdb.topology, &opts)
            .unwrap();
        let e = system.energy(pdb.positions());
        assert!((e - e_ref).abs() < 1e-6, "{name}: {e} vs {e_ref}");
    }
}

/// A charged-terminus peptide (NH3+ N-terminal ASN, OXT C-terminal GLN: templates NASN, CGLN)
/// from the official Timewarp dataset: the parameters load and the system is neutral-ish
/// integer-charged.
#[test]
fn terminal_templates_from_official_dataset() {
    let pdb = read_pdb(Path::new(&testdata("implicit-2olx-traj-state0.pdb"))).unwrap();
    let system = ForceField::amber14()
        .create_system(&pdb.topology, &SystemOptions::default())
        .unwrap();
    let templates: Vec<&str> = pdb
        .topology
        .residues
        .iter()
        .map(|r| system.atoms()[r.atoms.start].template.as_str())
        .collect();
    assert_eq!(templates, ["NASN", "ASN", "GLN", "CGLN"]);
    let q: f64 = system.charges().iter().sum();
    assert!(
        (q - q.round()).abs() < 1e-9 && q.round() == 0.0,
        "net charge {q}"
    );
    assert_eq!(
        system.options(),
        &SystemOptions {
            gb: Some(GbModel::Obc1),
            nonbonded: NonbondedMethod::CutoffNonPeriodic { cutoff_nm: 2.0 }
        }
    );
}
