//! Peptides from the builder are accepted by the amber14 force field: every capped dipeptide of
//! the 20 standard residues (and every protonation state) matches ff14SB templates, carries the
//! right net charge, and starts near the force field's bond-length minimum with a finite energy.

use timewarp_ff::{ForceField, SystemOptions};
use timewarp_mol::builder::{build_residues, known_residues, parse_sequence, Backbone};

/// Net charge (e) of an ff14SB residue at its protonation state.
fn residue_charge(name: &str) -> f64 {
    match name {
        "ARG" | "LYS" | "HIP" => 1.0,
        "ASP" | "GLU" | "CYM" => -1.0,
        _ => 0.0,
    }
}

fn check(residues: &[String]) {
    let (topology, xyz) = build_residues(residues, Backbone::POLYPROLINE_II).unwrap();
    let system = ForceField::amber14()
        .create_system(&topology, &SystemOptions::default())
        .unwrap_or_else(|e| panic!("{residues:?}: {e}"));
    let charge: f64 = system.charges().iter().sum();
    let expected: f64 = residues.iter().map(|r| residue_charge(r)).sum();
    assert!(
        (charge - expected).abs() < 1e-6,
        "{residues:?}: net charge {charge}, expected {expected}"
    );

    let terms = system.energy_components(&xyz);
    assert!(terms.total.is_finite(), "{residues:?}: {terms:?}");
    // Bonds are built at r0; only ring-closing bonds are off (TRP's by 0.004 nm: ≈ 3.9 kJ/mol).
    assert!(
        terms.bond < 5.0,
        "{residues:?}: bond energy {} kJ/mol",
        terms.bond
    );
    // Angles are at θ0 except where rings or planar centres make that impossible. ff14SB's
    // imidazole angles (all ≈ 120° in a five-membered ring) strain every HIS: OpenMM's
    // minimised ACE-HIE-NME (testdata/dip_hie.pdb) has 107 kJ/mol of angle energy.
    let n_his = residues.iter().filter(|r| r.starts_with("HI")).count() as f64;
    let angle_limit = 20.0 * residues.len() as f64 + 70.0 * n_his;
    assert!(
        terms.angle < angle_limit,
        "{residues:?}: angle energy {} kJ/mol",
        terms.angle
    );
    // No clashes: no more Lennard-Jones energy (1-4 pairs included) than a relaxed residue has.
    let lj = terms.lj + terms.lj14;
    assert!(
        lj < 50.0 * residues.len() as f64,
        "{residues:?}: LJ energy {lj} kJ/mol"
    );
}

#[test]
fn all_capped_dipeptides_parameterise_with_finite_energy() {
    let standard = parse_sequence("ACDEFGHIKLMNPQRSTVWY").unwrap();
    for a in &standard {
        for b in &standard {
            check(&[a.clone(), b.clone()]);
        }
    }
}

#[test]
fn every_protonation_state_matches_its_template() {
    for name in known_residues() {
        check(&[name.to_string(), "ALA".to_string()]);
        check(&["GLY".to_string(), name.to_string(), "TRP".to_string()]);
    }
}
