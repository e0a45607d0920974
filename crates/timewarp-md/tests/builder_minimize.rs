//! Built peptides minimise cleanly with amber14 + GB-OBC1: the energy goes down and stays
//! finite, bonds stay bonds, and no Cα changes hands.

use timewarp_ff::{ForceField, SystemOptions};
use timewarp_md::{minimize, MinimizeOptions};
use timewarp_mol::builder::build_peptide;

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

/// Signed volume of (N, C, CB) around CA: positive for an L residue.
fn chirality(ca: [f64; 3], n: [f64; 3], c: [f64; 3], cb: [f64; 3]) -> f64 {
    let (a, b, d) = (sub(n, ca), sub(c, ca), sub(cb, ca));
    a[0] * (b[1] * d[2] - b[2] * d[1]) - a[1] * (b[0] * d[2] - b[2] * d[0])
        + a[2] * (b[0] * d[1] - b[1] * d[0])
}

#[test]
fn built_tetrapeptides_minimise_without_breaking() {
    let options = MinimizeOptions {
        max_iterations: 2000,
        ..MinimizeOptions::default()
    };
    for sequence in [
        "AKWE",
        "PHYD",
        "RGSM",
        "TVIC",
        "NQLF",
        "H(HIP)K(LYN)D(ASH)E(GLH)",
    ] {
        let (topology, mut xyz) = build_peptide(sequence).unwrap();
        let system = ForceField::amber14()
            .create_system(&topology, &SystemOptions::default())
            .unwrap();
        let report = minimize(&system, &mut xyz, &options).unwrap();
        eprintln!(
            "{sequence}: {:.1} → {:.1} kJ/mol in {} iterations, rms force {:.2} kJ/mol/nm",
            report.initial_energy, report.final_energy, report.iterations, report.rms_force
        );
        assert!(report.final_energy.is_finite(), "{sequence}: {report:?}");
        assert!(
            report.final_energy < report.initial_energy - 10.0,
            "{sequence}: energy {} → {}",
            report.initial_energy,
            report.final_energy
        );
        assert!((system.energy(&xyz) - report.final_energy).abs() < 1e-6);
        for &(i, j) in &topology.bonds {
            let d = sub(xyz[i], xyz[j]);
            let r = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
            assert!(
                (0.09..0.2).contains(&r),
                "{sequence}: bond {}–{} is {r} nm after minimisation",
                topology.atom_label(i),
                topology.atom_label(j)
            );
        }
        for r in 1..topology.residues.len() - 1 {
            let Some(cb) = topology.find_atom(r, "CB") else {
                continue;
            };
            let [n, ca, c] = ["N", "CA", "C"].map(|name| topology.find_atom(r, name).unwrap());
            assert!(
                chirality(xyz[ca], xyz[n], xyz[c], xyz[cb]) > 0.0,
                "{sequence}: residue {} inverted",
                r + 1
            );
        }
    }
}
