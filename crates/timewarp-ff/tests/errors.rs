//! User errors: each names the residue (name + number) or atom at fault and never panics.

mod common;

use common::*;
use timewarp_ff::{check_finite, FfError, ForceField, NonbondedMethod, SystemOptions};
use timewarp_mol::{parse_pdb, Topology};

fn ala2_text() -> String {
    std::fs::read_to_string(shared_dir().join("testdata/ala2.pdb")).unwrap()
}

/// ala2.pdb without its CONECT records (they would reference renumbered atoms).
fn ala2_atoms_only() -> Vec<String> {
    ala2_text()
        .lines()
        .filter(|l| !l.starts_with("CONECT"))
        .map(str::to_string)
        .collect()
}

fn create(text: &str) -> Result<timewarp_ff::System, FfError> {
    let pdb = parse_pdb(text, "edited.pdb").unwrap();
    ForceField::amber14().create_system(&pdb.topology, &SystemOptions::default())
}

#[test]
fn missing_atom_is_named() {
    let lines: Vec<String> = ala2_atoms_only()
        .into_iter()
        .filter(|l| !l.contains(" HB3 ALA"))
        .collect();
    let err = create(&lines.join("\n")).unwrap_err();
    assert_eq!(
        err,
        FfError::MissingAtoms {
            residue: "ALA".into(),
            number: 2,
            chain: 'A',
            template: "ALA".into(),
            atoms: vec!["HB3".into()]
        }
    );
    let msg = err.to_string();
    assert!(msg.contains("ALA 2") && msg.contains("HB3"), "{msg}");
}

#[test]
fn extra_atom_is_named() {
    let mut lines = ala2_atoms_only();
    let at = lines.iter().position(|l| l.contains(" HB3 ALA")).unwrap();
    lines.insert(
        at + 1,
        "ATOM     14  HG  ALA A   2       6.500   3.500  -1.900  1.00  0.00           H  ".into(),
    );
    let err = create(&lines.join("\n")).unwrap_err();
    match &err {
        FfError::ExtraAtoms {
            residue,
            number,
            atoms,
            ..
        } => {
            assert_eq!((residue.as_str(), *number), ("ALA", 2));
            assert_eq!(atoms, &["HG"]);
        }
        other => panic!("expected ExtraAtoms, got {other:?}"),
    }
    assert!(err.to_string().contains("extra atoms HG"), "{err}");
}

#[test]
fn renamed_atom_is_missing_and_extra() {
    let text = ala2_text().replace(" HB3 ALA", " HXX ALA");
    let err = create(&text).unwrap_err();
    match err {
        FfError::MissingAndExtraAtoms {
            residue,
            number,
            missing,
            extra,
            ..
        } => {
            assert_eq!((residue.as_str(), number), ("ALA", 2));
            assert_eq!(
                (missing, extra),
                (vec!["HB3".to_string()], vec!["HXX".to_string()])
            );
        }
        other => panic!("expected MissingAndExtraAtoms, got {other:?}"),
    }
}

#[test]
fn unknown_residue_is_named() {
    // A residue that no template matches, with a name no template has.
    let lines: Vec<String> = ala2_atoms_only()
        .into_iter()
        .filter(|l| !l.contains(" HB3 ALA"))
        .map(|l| l.replace(" ALA A", " XYZ A"))
        .collect();
    let err = create(&lines.join("\n")).unwrap_err();
    assert_eq!(
        err,
        FfError::UnknownResidue {
            residue: "XYZ".into(),
            number: 2,
            chain: 'A'
        }
    );
    assert!(err.to_string().contains("XYZ 2"), "{err}");
}

#[test]
fn renamed_but_complete_residue_matches_by_graph() {
    // OpenMM matches templates by bond graph, not by name: a complete alanine called XYZ is
    // still alanine as long as its bonds are given.
    let o = oracle("oracle_ala2.json");
    let mut top = topology_from_oracle(&o);
    top.residues[1].name = "XYZ".into();
    let system = ForceField::amber14()
        .create_system(&top, &options_from_meta(&o["meta"]))
        .unwrap();
    assert_eq!(system.atoms()[8].template, "ALA");
}

#[test]
fn wrong_bonds_are_reported() {
    let o = oracle("oracle_ala2.json");
    let mut top: Topology = topology_from_oracle(&o);
    let ca = top.find_atom(1, "CA").unwrap();
    let cb = top.find_atom(1, "CB").unwrap();
    top.bonds.retain(|&b| b != (ca.min(cb), ca.max(cb)));
    let err = ForceField::amber14()
        .create_system(&top, &SystemOptions::default())
        .unwrap_err();
    match &err {
        FfError::BondingMismatch {
            residue,
            number,
            detail,
            ..
        } => {
            assert_eq!((residue.as_str(), *number), ("ALA", 2));
            assert!(detail.contains("missing bond CA-CB"), "{detail}");
        }
        other => panic!("expected BondingMismatch, got {other:?}"),
    }
}

#[test]
fn invalid_topology_and_options_are_errors() {
    let o = oracle("oracle_ala2.json");
    let mut top = topology_from_oracle(&o);
    let bad = SystemOptions {
        nonbonded: NonbondedMethod::CutoffNonPeriodic { cutoff_nm: 0.0 },
        ..Default::default()
    };
    assert!(matches!(
        ForceField::amber14().create_system(&top, &bad),
        Err(FfError::InvalidOptions(_))
    ));
    top.bonds.push((3, 99));
    assert!(matches!(
        ForceField::amber14().create_system(&top, &SystemOptions::default()),
        Err(FfError::InvalidTopology(_))
    ));
}

#[test]
fn non_finite_coordinates_are_named() {
    let o = oracle("oracle_ala2.json");
    let top = topology_from_oracle(&o);
    let system = ForceField::amber14()
        .create_system(&top, &SystemOptions::default())
        .unwrap();
    let mut pos = positions(&o["configs"][0]);
    assert_eq!(check_finite(&pos), Ok(()));
    assert_eq!(system.check_positions(&pos), Ok(()));
    pos[5][1] = f64::NAN;
    match check_finite(&pos) {
        Err(FfError::NonFiniteCoordinate { index: 5, .. }) => {}
        other => panic!("expected NonFiniteCoordinate at 5, got {other:?}"),
    }
    let err = system.check_positions(&pos).unwrap_err();
    assert!(err.to_string().contains("O of ACE 1 (atom 6)"), "{err}");
    pos[5][1] = f64::INFINITY;
    assert!(matches!(
        check_finite(&pos),
        Err(FfError::NonFiniteCoordinate { index: 5, .. })
    ));
    assert_eq!(
        system.check_positions(&pos[..3]),
        Err(FfError::PositionCount {
            expected: 22,
            got: 3
        })
    );
}
