//! TICA features of alanine dipeptide: layout and values.

use timewarp_analysis::dihedral::dihedral;
use timewarp_analysis::features::FeatureSpec;

const ALA2: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/testdata/ala2.pdb"
);

#[test]
fn alanine_dipeptide_features() {
    let pdb = timewarp_mol::read_pdb(std::path::Path::new(ALA2)).unwrap();
    let top = &pdb.topology;
    let spec = FeatureSpec::timewarp(top);
    // C/N/S atoms: ACE CH3, C; ALA N, CA, CB, C; NME N, C (methyl) → 8 → 28 distances.
    assert_eq!(spec.pairs.len(), 28);
    // φ, ψ of ALA and ω across both caps → (1 + 1 + 2) × (sin, cos) = 8.
    assert_eq!(
        spec.torsions.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![1, 1, 2]
    );
    assert_eq!(spec.n_features(), 36);
    assert_eq!(spec.names.len(), 36);
    assert_eq!(spec.names[28], "sin φ(ALA 2)");
    assert_eq!(spec.names[29], "cos φ(ALA 2)");
    assert_eq!(spec.names[30], "sin ψ(ALA 2)");
    assert!(spec.names[32].starts_with("sin ω"));
    assert!(spec.names[0].starts_with("d(CH3 of ACE 1"));

    // Two frames: the file and a copy shifted by (1, 2, 3) nm — features are invariant.
    let x: Vec<[f64; 3]> = pdb.positions().to_vec();
    let mut pos: Vec<f32> = x.iter().flat_map(|p| p.map(|v| v as f32)).collect();
    pos.extend(
        x.iter()
            .flat_map(|p| [p[0] + 1.0, p[1] + 2.0, p[2] + 3.0].map(|v| v as f32)),
    );
    let f = spec.compute(&pos, top.n_atoms());
    assert_eq!((f.n_frames, f.n_features), (2, 36));
    for k in 0..36 {
        assert!((f.row(0)[k] - f.row(1)[k]).abs() < 1e-5, "feature {k}");
    }
    let (i, j) = spec.pairs[5];
    let d =
        ((x[i][0] - x[j][0]).powi(2) + (x[i][1] - x[j][1]).powi(2) + (x[i][2] - x[j][2]).powi(2))
            .sqrt();
    assert!((f.row(0)[5] - d).abs() < 1e-6);
    let q = spec.torsions[1][0];
    let psi = dihedral(x[q[0]], x[q[1]], x[q[2]], x[q[3]]);
    assert!((f.row(0)[30] - psi.sin()).abs() < 1e-6 && (f.row(0)[31] - psi.cos()).abs() < 1e-6);
}
