//! Dihedral atom quadruples and values against mdtraj 1.11 (`md.compute_phi/psi/omega/chi1`,
//! float32) on the PDB files of shared/testdata. Reference values (degrees) were produced once
//! with mdtraj and are written here with their atom indices (0-based, file order).

use timewarp_analysis::dihedral::{
    dihedral_series, peptide_dihedrals, phi_psi_pairs, DihedralKind,
};

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata");

type Expected = &'static [([usize; 4], f64)];

struct Case {
    file: &'static str,
    phi: Expected,
    psi: Expected,
    /// mdtraj's ω (it skips peptide bonds to caps; ours must contain these).
    omega: Expected,
    chi1: Expected,
}

const CASES: &[Case] = &[
    Case {
        file: "ala2.pdb",
        phi: &[([4, 6, 8, 14], 180.0)],
        psi: &[([6, 8, 14, 16], 180.0)],
        omega: &[],
        chi1: &[],
    },
    Case {
        file: "alanine-dipeptide-oldnames.pdb",
        phi: &[([4, 6, 8, 14], 180.0)],
        psi: &[([6, 8, 14, 16], 180.0)],
        omega: &[],
        chi1: &[],
    },
    Case {
        file: "ace_ala3_nme.pdb",
        phi: &[
            ([4, 6, 8, 10], -83.6911),
            ([10, 16, 18, 20], -64.3316),
            ([20, 26, 28, 30], -45.4302),
        ],
        psi: &[
            ([6, 8, 10, 16], 158.4411),
            ([16, 18, 20, 26], 135.7335),
            ([26, 28, 30, 36], 131.6567),
        ],
        omega: &[([8, 10, 16, 18], 174.6619), ([18, 20, 26, 28], -169.268)],
        chi1: &[],
    },
    Case {
        file: "dip_arg.pdb",
        phi: &[([4, 6, 8, 10], -91.0341)],
        psi: &[([6, 8, 10, 30], 143.6611)],
        omega: &[],
        chi1: &[([6, 8, 12, 15], -164.8601)],
    },
    Case {
        file: "dip_pro.pdb",
        phi: &[([4, 6, 7, 9], -45.2126)],
        psi: &[([6, 7, 9, 20], 136.8503)],
        omega: &[],
        chi1: &[([6, 7, 11, 17], -34.6879)],
    },
    Case {
        file: "dip_val.pdb",
        phi: &[([4, 6, 8, 10], -59.8137)],
        psi: &[([6, 8, 10, 22], 137.5417)],
        omega: &[],
        chi1: &[([6, 8, 12, 14], 171.3708)],
    },
    Case {
        file: "dip_thr.pdb",
        phi: &[([4, 6, 8, 10], -66.408)],
        psi: &[([6, 8, 10, 20], 134.5943)],
        omega: &[],
        chi1: &[([6, 8, 12, 18], -48.7845)],
    },
    Case {
        file: "dip_ser.pdb",
        phi: &[([4, 6, 8, 10], -83.2805)],
        psi: &[([6, 8, 10, 17], 163.1647)],
        omega: &[],
        chi1: &[([6, 8, 12, 15], 51.8967)],
    },
    Case {
        file: "dip_cys.pdb",
        phi: &[([4, 6, 8, 10], -71.0833)],
        psi: &[([6, 8, 10, 17], 149.02)],
        omega: &[],
        chi1: &[([6, 8, 12, 15], -55.0636)],
    },
    Case {
        file: "implicit-2olx-traj-state0.pdb",
        phi: &[
            ([6, 16, 18, 20], -119.9591),
            ([20, 30, 32, 34], -137.041),
            ([34, 47, 49, 51], -148.8127),
        ],
        psi: &[
            ([0, 4, 6, 16], 110.8628),
            ([16, 18, 20, 30], 125.6462),
            ([30, 32, 34, 47], 127.8926),
        ],
        omega: &[
            ([4, 6, 16, 18], 173.7673),
            ([18, 20, 30, 32], -176.9156),
            ([32, 34, 47, 49], 178.3521),
        ],
        chi1: &[
            ([0, 4, 8, 11], -76.8842),
            ([16, 18, 22, 25], -79.3137),
            ([30, 32, 36, 39], -176.6427),
            ([47, 49, 53, 56], 64.6946),
        ],
    },
];

/// Difference of two angles in degrees, modulo 360 (so 180 and −180 agree).
fn angle_diff(a: f64, b: f64) -> f64 {
    ((a - b + 180.0).rem_euclid(360.0) - 180.0).abs()
}

#[test]
fn quadruples_and_signs_match_mdtraj() {
    for case in CASES {
        let path = std::path::Path::new(TESTDATA).join(case.file);
        let pdb =
            timewarp_mol::read_pdb(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let top = &pdb.topology;
        let positions: Vec<f32> = pdb
            .positions()
            .iter()
            .flat_map(|p| p.map(|v| v as f32))
            .collect();
        let all = peptide_dihedrals(top);
        for (kind, expected, exact_set) in [
            (DihedralKind::Phi, case.phi, true),
            (DihedralKind::Psi, case.psi, true),
            (DihedralKind::Omega, case.omega, false),
            (DihedralKind::Chi1, case.chi1, true),
        ] {
            let ours: Vec<[usize; 4]> = all
                .iter()
                .filter(|d| d.kind == kind)
                .map(|d| d.atoms)
                .collect();
            if exact_set {
                let theirs: Vec<[usize; 4]> = expected.iter().map(|e| e.0).collect();
                assert_eq!(ours, theirs, "{} {kind:?}", case.file);
            }
            for (atoms, value) in expected.iter() {
                assert!(
                    ours.contains(atoms),
                    "{} {kind:?} {atoms:?} missing from {ours:?}",
                    case.file
                );
                let got = dihedral_series(&positions, top.n_atoms(), *atoms)[0].to_degrees();
                // mdtraj works in float32 on the same 0.001 Å coordinates.
                assert!(
                    angle_diff(got, *value) < 2e-3,
                    "{} {kind:?} {atoms:?}: {got} vs mdtraj {value}",
                    case.file
                );
            }
        }
    }
}

#[test]
fn capped_peptides_have_omega_across_caps_and_one_phi_psi_pair_per_inner_residue() {
    let pdb = timewarp_mol::read_pdb(&std::path::Path::new(TESTDATA).join("ala2.pdb")).unwrap();
    let pairs = phi_psi_pairs(&pdb.topology);
    assert_eq!(pairs.len(), 1, "alanine dipeptide has exactly one φ/ψ pair");
    assert_eq!(pairs[0].label, "ALA 2");
    // ω: ACE CH3–C–N–CA and ALA CA–C–N–CH3(NME), both trans in this structure.
    let omegas: Vec<_> = peptide_dihedrals(&pdb.topology)
        .into_iter()
        .filter(|d| d.kind == DihedralKind::Omega)
        .collect();
    assert_eq!(omegas.len(), 2);
    let positions: Vec<f32> = pdb
        .positions()
        .iter()
        .flat_map(|p| p.map(|v| v as f32))
        .collect();
    for w in omegas {
        let v = dihedral_series(&positions, pdb.topology.n_atoms(), w.atoms)[0].to_degrees();
        assert!(angle_diff(v, 180.0) < 5.0, "ω = {v}");
    }
    let ala3 =
        timewarp_mol::read_pdb(&std::path::Path::new(TESTDATA).join("ace_ala3_nme.pdb")).unwrap();
    assert_eq!(phi_psi_pairs(&ala3.topology).len(), 3);
    let olx = timewarp_mol::read_pdb(
        &std::path::Path::new(TESTDATA).join("implicit-2olx-traj-state0.pdb"),
    )
    .unwrap();
    // Charged termini: the first residue has no φ, the last no ψ.
    let labels: Vec<String> = phi_psi_pairs(&olx.topology)
        .into_iter()
        .map(|p| p.label)
        .collect();
    assert_eq!(labels.len(), 2, "{labels:?}");
}
