//! Analytic forces against finite differences of our own energy, on randomly perturbed
//! geometries of several peptides, for both GB models and with/without cutoffs (including a
//! short 0.8 nm cutoff that pairs cross).

mod common;

use common::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use timewarp_ff::{ForceField, GbModel, NonbondedMethod, System, SystemOptions};
use timewarp_mol::Topology;

/// Central 4th-order difference of the energy: (−E(x+2h) + 8E(x+h) − 8E(x−h) + E(x−2h)) / 12h.
fn fd_force(system: &System, pos: &[[f64; 3]], atom: usize, k: usize, h: f64) -> f64 {
    let mut x = pos.to_vec();
    let mut e = |d: f64| {
        x[atom][k] = pos[atom][k] + d;
        system.energy(&x)
    };
    let de = -e(2.0 * h) + 8.0 * e(h) - 8.0 * e(-h) + e(-2.0 * h);
    -de / (12.0 * h)
}

/// Smallest |r_ij − r_c| over all pairs (energy is discontinuous at the cutoff).
fn closest_to_cutoff(pos: &[[f64; 3]], cutoff: f64) -> f64 {
    let mut m = f64::INFINITY;
    for i in 0..pos.len() {
        for j in i + 1..pos.len() {
            let r = (0..3)
                .map(|k| (pos[i][k] - pos[j][k]).powi(2))
                .sum::<f64>()
                .sqrt();
            m = m.min((r - cutoff).abs());
        }
    }
    m
}

fn check_forces(name: &str, top: &Topology, start: &[[f64; 3]], rng: &mut ChaCha8Rng) {
    let h = 1e-4;
    let methods = [
        NonbondedMethod::NoCutoff,
        NonbondedMethod::CutoffNonPeriodic { cutoff_nm: 2.0 },
        NonbondedMethod::CutoffNonPeriodic { cutoff_nm: 0.8 },
    ];
    for gb in [Some(GbModel::Obc1), Some(GbModel::Obc2), None] {
        for nonbonded in methods {
            let opts = SystemOptions { gb, nonbonded };
            let system = ForceField::amber14().create_system(top, &opts).unwrap();
            // A random perturbation (±0.01 nm per coordinate) not too close to the cutoff.
            let pos = loop {
                let p: Vec<[f64; 3]> = start
                    .iter()
                    .map(|x| x.map(|c| c + rng.random_range(-0.01..0.01)))
                    .collect();
                match nonbonded {
                    NonbondedMethod::CutoffNonPeriodic { cutoff_nm }
                        if closest_to_cutoff(&p, cutoff_nm) < 5.0 * h =>
                    {
                        continue
                    }
                    _ => break p,
                }
            };
            let mut forces = vec![[0.0; 3]; pos.len()];
            system.energy_terms(&pos, &mut forces);
            let f_max = forces.iter().flatten().fold(0.0f64, |m, f| m.max(f.abs()));
            let mut worst = 0.0f64;
            for (atom, f) in forces.iter().enumerate() {
                for (k, &f) in f.iter().enumerate() {
                    let fd = fd_force(&system, &pos, atom, k, h);
                    let err = (fd - f).abs();
                    worst = worst.max(err);
                    assert!(
                        err <= 2e-4 * f_max.max(1.0),
                        "{name} {opts:?}: atom {atom} ({}) component {k}: analytic {f} vs finite difference {fd}",
                        system.atom_label(atom),
                    );
                }
            }
            println!("{name} {opts:?}: max |F_analytic − F_fd| = {worst:.2e} (max |F| {f_max:.1})");
        }
    }
}

#[test]
fn forces_match_finite_differences_oracle_peptides() {
    let mut rng = ChaCha8Rng::seed_from_u64(20231);
    for name in [
        "oracle_ala2.json",
        "oracle_ace_ala3_nme.json",
        "oracle_dip_arg.json",
        "oracle_dip_pro.json",
        "oracle_dip_phe.json",
    ] {
        let o = oracle(name);
        let top = topology_from_oracle(&o);
        let pos = positions(&o["configs"][0]);
        check_forces(name, &top, &pos, &mut rng);
    }
}

#[test]
fn forces_match_finite_differences_built_peptides() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    // Residues without an oracle file: MET, TRP, HIP, CYM, ASH, GLH, LYN.
    for seq in ["MW", "H(HIP)C(CYM)", "D(ASH)E(GLH)K(LYN)"] {
        let (top, pos) = timewarp_mol::builder::build_peptide(seq).unwrap();
        check_forces(seq, &top, &pos, &mut rng);
    }
}
