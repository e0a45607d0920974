//! The internal-coordinate chart: round trips X(q(x)) = x on every capped dipeptide and on longer
//! peptides, φ/ψ as single coordinates, the Jacobian against a finite-difference determinant,
//! and clear errors for topologies without a Z-matrix.

use std::path::Path;

use timewarp_mol::builder::{build_peptide, build_residues, known_residues, Backbone};
use timewarp_mol::geometry::{dihedral, distance};
use timewarp_mol::internal::{Dof, TorsionRole, ZMatrix, ZMatrixError};
use timewarp_mol::{read_pdb, Topology};

const CODES: &str = "ACDEFGHIKLMNPQRSTVWY";

/// A deterministic pseudo-random displacement of every coordinate by up to ±`amp` nm.
fn jiggle(x: &[[f64; 3]], amp: f64, seed: u64) -> Vec<[f64; 3]> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    };
    x.iter()
        .map(|a| {
            [
                a[0] + amp * next(),
                a[1] + amp * next(),
                a[2] + amp * next(),
            ]
        })
        .collect()
}

fn round_trip_error(zm: &ZMatrix, x: &[[f64; 3]]) -> f64 {
    let mut q = vec![0.0; zm.n_dofs()];
    let pose = zm.to_internal(x, &mut q);
    let mut back = vec![[0.0; 3]; x.len()];
    zm.to_cartesian(&q, &pose, &mut back);
    x.iter()
        .zip(&back)
        .map(|(a, b)| distance(*a, *b))
        .fold(0.0, f64::max)
}

/// φ and ψ of every residue equal the backbone dihedrals computed from the positions.
fn check_backbone(top: &Topology, zm: &ZMatrix, x: &[[f64; 3]]) {
    let mut q = vec![0.0; zm.n_dofs()];
    zm.to_internal(x, &mut q);
    for bb in zm.backbone() {
        let r = bb.residue;
        let at = |res: usize, name: &str| top.find_atom(res, name).unwrap();
        let phi = dihedral(
            x[at(r - 1, "C")],
            x[at(r, "N")],
            x[at(r, "CA")],
            x[at(r, "C")],
        );
        let psi = dihedral(
            x[at(r, "N")],
            x[at(r, "CA")],
            x[at(r, "C")],
            x[at(r + 1, "N")],
        );
        assert!(
            (q[bb.phi] - phi).abs() < 1e-12,
            "φ of residue {r}: {} vs {phi}",
            q[bb.phi]
        );
        assert!(
            (q[bb.psi] - psi).abs() < 1e-12,
            "ψ of residue {r}: {} vs {psi}",
            q[bb.psi]
        );
        assert!(
            matches!(zm.dofs()[bb.phi], Dof::Torsion { role: TorsionRole::Phi { residue }, .. } if residue == r)
        );
        assert!(
            matches!(zm.dofs()[bb.psi], Dof::Torsion { role: TorsionRole::Psi { residue }, .. } if residue == r)
        );
    }
}

#[test]
fn round_trip_on_all_400_capped_dipeptides() {
    let mut worst: f64 = 0.0;
    for a in CODES.chars() {
        for b in CODES.chars() {
            let seq = format!("{a}{b}");
            let (top, x) = build_peptide(&seq).unwrap();
            let zm = ZMatrix::from_topology(&top).unwrap_or_else(|e| panic!("{seq}: {e}"));
            assert_eq!(zm.n_dofs(), 3 * top.n_atoms() - 6);
            assert_eq!(zm.backbone().len(), 2, "{seq}: both residues have φ and ψ");
            for (k, x) in [
                x.clone(),
                jiggle(&x, 0.01, seq.len() as u64 + a as u64 * 31 + b as u64),
            ]
            .iter()
            .enumerate()
            {
                let err = round_trip_error(&zm, x);
                assert!(
                    err <= 1e-10,
                    "{seq} (geometry {k}): round trip error {err:e} nm"
                );
                worst = worst.max(err);
                check_backbone(&top, &zm, x);
            }
        }
    }
    eprintln!("worst round-trip error over 400 dipeptides: {worst:e} nm");
}

#[test]
fn round_trip_on_longer_peptides_and_every_residue_variant() {
    let variants: Vec<&str> = known_residues().collect();
    let mut sequences: Vec<Vec<String>> = vec![variants.iter().map(|s| s.to_string()).collect()];
    for seq in ["AAA", "GPFYHDRCW", "KKKKEEEE", "PPPP"] {
        sequences.push(timewarp_mol::builder::parse_sequence(seq).unwrap());
    }
    for residues in &sequences {
        for backbone in [Backbone::POLYPROLINE_II, Backbone::ALPHA_HELIX] {
            let (top, x) = build_residues(residues, backbone).unwrap();
            let zm = ZMatrix::from_topology(&top).unwrap();
            assert_eq!(zm.backbone().len(), residues.len());
            for x in [x.clone(), jiggle(&x, 0.02, residues.len() as u64)] {
                let err = round_trip_error(&zm, &x);
                assert!(err <= 1e-10, "{residues:?}: {err:e} nm");
                check_backbone(&top, &zm, &x);
            }
        }
    }
}

#[test]
fn round_trip_on_user_pdb_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "pdb") {
            let pdb = read_pdb(&path).unwrap();
            let zm = ZMatrix::from_topology(&pdb.topology)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            for x in &pdb.models {
                assert!(round_trip_error(&zm, x) <= 1e-10, "{}", path.display());
                check_backbone(&pdb.topology, &zm, x);
            }
            n += 1;
        }
    }
    assert!(n >= 2, "expected test PDB files in {}", dir.display());
}

#[test]
fn alanine_dipeptide_chart_has_the_expected_roles() {
    let (top, _) = build_peptide("A").unwrap();
    let zm = ZMatrix::from_topology(&top).unwrap();
    // Roots: CA, N, C of ALA.
    let names: Vec<&str> = zm.entries()[..3]
        .iter()
        .map(|e| top.atoms[e.atom].name.as_str())
        .collect();
    assert_eq!(names, ["CA", "N", "C"]);
    assert_eq!(zm.backbone().len(), 1);
    let roles = |want: fn(&TorsionRole) -> bool| {
        zm.dofs()
            .iter()
            .filter(|d| matches!(d, Dof::Torsion { role, .. } if want(role)))
            .map(|d| {
                format!(
                    "{}:{}",
                    top.residues[top.atoms[d.atom()].residue].name,
                    top.atoms[d.atom()].name
                )
            })
            .collect::<Vec<_>>()
    };
    // Three methyl rotors: ACE CH3, ALA CB, NME C.
    let rotors = roles(|r| matches!(r, TorsionRole::Rotor));
    assert_eq!(rotors.len(), 3, "{rotors:?}");
    // Every methyl has its second and third hydrogens as offsets of the first.
    assert_eq!(
        roles(|r| matches!(r, TorsionRole::Offset { .. })).len(),
        2 * 3 + 5,
        "{:?}",
        roles(|r| matches!(r, TorsionRole::Offset { .. }))
    );
    // Offsets always refer to a leader that is not itself an offset.
    for d in zm.dofs() {
        if let Dof::Torsion {
            role: TorsionRole::Offset { leader },
            ..
        } = d
        {
            assert!(!matches!(
                zm.dofs()[*leader],
                Dof::Torsion {
                    role: TorsionRole::Offset { .. },
                    ..
                }
            ));
        }
    }
}

/// |det ∂x/∂(q, pose)| at the identity pose equals J(q): the 3N × 3N Jacobian by central
/// differences, the pose as a translation and a rotation vector acting on the whole molecule.
#[test]
fn jacobian_matches_finite_difference_determinant() {
    for seq in ["A", "GP"] {
        let (top, x0) = build_peptide(seq).unwrap();
        let zm = ZMatrix::from_topology(&top).unwrap();
        let (n, d) = (top.n_atoms(), zm.n_dofs());
        let mut q0 = vec![0.0; d];
        let pose = zm.to_internal(&jiggle(&x0, 0.005, 3), &mut q0);
        let map = |p: &[f64]| -> Vec<f64> {
            let mut x = vec![[0.0; 3]; n];
            zm.to_cartesian(&p[..d], &pose, &mut x);
            let (t, w) = (&p[d..d + 3], &p[d + 3..d + 6]);
            // Rotation by the vector w about the root centre, then translation by t.
            let theta = (w[0] * w[0] + w[1] * w[1] + w[2] * w[2]).sqrt();
            let o = pose.origin;
            x.iter()
                .flat_map(|a| {
                    let r = [a[0] - o[0], a[1] - o[1], a[2] - o[2]];
                    let rot = rodrigues(r, w, theta);
                    [
                        rot[0] + o[0] + t[0],
                        rot[1] + o[1] + t[1],
                        rot[2] + o[2] + t[2],
                    ]
                })
                .collect()
        };
        let mut p0 = q0.clone();
        p0.extend([0.0; 6]);
        let h = 1e-6;
        let mut jac = vec![vec![0.0; 3 * n]; 3 * n];
        for c in 0..3 * n {
            let (mut pp, mut pm) = (p0.clone(), p0.clone());
            pp[c] += h;
            pm[c] -= h;
            let (fp, fm) = (map(&pp), map(&pm));
            for r in 0..3 * n {
                jac[r][c] = (fp[r] - fm[r]) / (2.0 * h);
            }
        }
        let log_det = log_abs_det(jac);
        let log_j = zm.log_jacobian(&q0);
        assert!(
            (log_det - log_j).abs() < 1e-5,
            "{seq}: log|det| {log_det} vs log J {log_j}"
        );
    }
}

fn rodrigues(r: [f64; 3], w: &[f64], theta: f64) -> [f64; 3] {
    if theta == 0.0 {
        return r;
    }
    let k = [w[0] / theta, w[1] / theta, w[2] / theta];
    let (s, c) = theta.sin_cos();
    let kxr = [
        k[1] * r[2] - k[2] * r[1],
        k[2] * r[0] - k[0] * r[2],
        k[0] * r[1] - k[1] * r[0],
    ];
    let kr = k[0] * r[0] + k[1] * r[1] + k[2] * r[2];
    std::array::from_fn(|i| r[i] * c + kxr[i] * s + k[i] * kr * (1.0 - c))
}

/// log |det A| by Gaussian elimination with partial pivoting.
fn log_abs_det(mut a: Vec<Vec<f64>>) -> f64 {
    let n = a.len();
    let mut log_det = 0.0;
    for col in 0..n {
        let piv = (col..n)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap();
        a.swap(col, piv);
        let p = a[col][col];
        log_det += p.abs().ln();
        for r in col + 1..n {
            let f = a[r][col] / p;
            for c in col..n {
                a[r][c] -= f * a[col][c];
            }
        }
    }
    log_det
}

#[test]
fn batch_equals_one_by_one() {
    let (top, x) = build_peptide("AK").unwrap();
    let zm = ZMatrix::from_topology(&top).unwrap();
    let confs: Vec<Vec<[f64; 3]>> = (0..4).map(|s| jiggle(&x, 0.01, s)).collect();
    let flat: Vec<[f64; 3]> = confs.concat();
    let mut q = vec![0.0; 4 * zm.n_dofs()];
    let mut poses = vec![Default::default(); 4];
    zm.to_internal_batch(&flat, &mut q, &mut poses);
    let mut back = vec![[0.0; 3]; flat.len()];
    zm.to_cartesian_batch(&q, &poses, &mut back);
    for (k, c) in confs.iter().enumerate() {
        let mut qk = vec![0.0; zm.n_dofs()];
        assert_eq!(zm.to_internal(c, &mut qk), poses[k]);
        assert_eq!(&q[k * zm.n_dofs()..(k + 1) * zm.n_dofs()], qk.as_slice());
    }
    assert!(flat
        .iter()
        .zip(&back)
        .all(|(a, b)| distance(*a, *b) < 1e-10));
}

#[test]
fn out_of_domain_coordinates_are_detected() {
    let (top, x) = build_peptide("A").unwrap();
    let zm = ZMatrix::from_topology(&top).unwrap();
    let mut q = vec![0.0; zm.n_dofs()];
    zm.to_internal(&x, &mut q);
    assert!(zm.in_domain(&q));
    let angle = zm
        .dofs()
        .iter()
        .position(|d| matches!(d, Dof::Angle { .. }))
        .unwrap();
    let bond = zm
        .dofs()
        .iter()
        .position(|d| matches!(d, Dof::Bond { .. }))
        .unwrap();
    for (i, v) in [(angle, 3.2), (angle, -0.1), (bond, -0.1), (bond, f64::NAN)] {
        let mut bad = q.clone();
        bad[i] = v;
        assert!(!zm.in_domain(&bad), "{i} = {v}");
        if v.is_finite() && i == angle {
            assert_eq!(zm.log_jacobian(&bad), f64::NEG_INFINITY);
        }
    }
}

#[test]
fn disconnected_fragments_are_refused_by_name() {
    let (mut top, _) = build_peptide("AA").unwrap();
    // Break the peptide bond between the two alanines.
    let (n2, c1) = (
        top.find_atom(2, "N").unwrap(),
        top.find_atom(1, "C").unwrap(),
    );
    top.bonds
        .retain(|&(i, j)| (i.min(j), i.max(j)) != (c1.min(n2), c1.max(n2)));
    let err = ZMatrix::from_topology(&top).unwrap_err();
    assert!(matches!(err, ZMatrixError::Disconnected { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("not bonded") && msg.contains("ALA"), "{msg}");
    let tiny = Topology {
        atoms: top.atoms[..2].to_vec(),
        ..Default::default()
    };
    assert!(matches!(
        ZMatrix::from_topology(&tiny),
        Err(ZMatrixError::TooFewAtoms(2))
    ));
}

#[test]
fn z_matrix_serialises_and_is_deterministic() {
    let (top, _) = build_peptide("WY").unwrap();
    let a = ZMatrix::from_topology(&top).unwrap();
    let b = ZMatrix::from_topology(&top.clone()).unwrap();
    assert_eq!(a, b);
    let json = serde_json::to_string(&a).unwrap();
    let back: ZMatrix = serde_json::from_str(&json).unwrap();
    assert_eq!(back, a);
}

/// ∂f/∂q from the rigid-motion formula equals central differences of f(X(q)) for a smooth
/// non-linear f, on alanine dipeptide and a peptide with a proline ring.
#[test]
fn internal_gradient_matches_finite_differences() {
    // f(x) = Σ_a w_a·x_a + ½ Σ_{a<b} c_ab |x_a − x_b|² with deterministic weights.
    let f = |x: &[[f64; 3]]| -> f64 {
        let mut s = 0.0;
        for (a, p) in x.iter().enumerate() {
            s += (0.3 + 0.1 * a as f64) * p[0] - 0.2 * p[1] + 0.05 * (a % 3) as f64 * p[2];
            for (b, r) in x.iter().enumerate().skip(a + 1) {
                let d2 = (p[0] - r[0]).powi(2) + (p[1] - r[1]).powi(2) + (p[2] - r[2]).powi(2);
                s += 0.5 * (1.0 + ((a * 7 + b) % 5) as f64) * d2;
            }
        }
        s
    };
    let grad = |x: &[[f64; 3]]| -> Vec<[f64; 3]> {
        let mut g = vec![[0.0; 3]; x.len()];
        for (a, p) in x.iter().enumerate() {
            g[a][0] += 0.3 + 0.1 * a as f64;
            g[a][1] -= 0.2;
            g[a][2] += 0.05 * (a % 3) as f64;
            for (b, r) in x.iter().enumerate() {
                if a != b {
                    let (lo, hi) = (a.min(b), a.max(b));
                    let c = 1.0 + ((lo * 7 + hi) % 5) as f64;
                    for k in 0..3 {
                        g[a][k] += c * (p[k] - r[k]);
                    }
                }
            }
        }
        g
    };
    for seq in ["A", "PG"] {
        let (top, x0) = build_peptide(seq).unwrap();
        let zm = ZMatrix::from_topology(&top).unwrap();
        let x0 = jiggle(&x0, 0.01, 9);
        let mut q = vec![0.0; zm.n_dofs()];
        let pose = zm.to_internal(&x0, &mut q);
        let mut x = vec![[0.0; 3]; top.n_atoms()];
        zm.to_cartesian(&q, &pose, &mut x);
        let mut analytic = vec![0.0; zm.n_dofs()];
        zm.internal_gradient(&x, &grad(&x), &mut analytic);
        let h = 1e-6;
        for d in 0..zm.n_dofs() {
            let mut fd = 0.0;
            for (sign, w) in [(1.0, 1.0), (-1.0, -1.0)] {
                let mut qq = q.clone();
                qq[d] += sign * h;
                zm.to_cartesian(&qq, &pose, &mut x);
                fd += w * f(&x);
            }
            fd /= 2.0 * h;
            assert!(
                (fd - analytic[d]).abs() < 1e-5 * (1.0 + fd.abs()),
                "{seq}: {}: finite difference {fd} vs {}",
                zm.describe(d, |a| top.atom_label(a)),
                analytic[d]
            );
        }
        // ∂ log J/∂q against differences of log J.
        let mut lj = vec![0.0; zm.n_dofs()];
        zm.log_jacobian_gradient(&q, &mut lj);
        for d in 0..zm.n_dofs() {
            let (mut qp, mut qm) = (q.clone(), q.clone());
            qp[d] += h;
            qm[d] -= h;
            let fd = (zm.log_jacobian(&qp) - zm.log_jacobian(&qm)) / (2.0 * h);
            assert!((fd - lj[d]).abs() < 1e-5 * (1.0 + fd.abs()));
        }
    }
}
