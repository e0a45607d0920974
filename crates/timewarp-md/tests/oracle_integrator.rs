//! LangevinMiddle against OpenMM 8.6.1's Reference platform: the deterministic trajectories of
//! `shared/oracle/integrator_*.json` (γ = 0 leap-frog NVE, and T = 0 damped dynamics), started
//! from OpenMM's positions and velocities, compared every `frame_every` steps.
//!
//! The `*_hbonds_*` trajectories use HBonds constraints, which timewarp does not support (the
//! Timewarp protocol has `constraints=None`); they are skipped and listed in the output.

use serde_json::Value;
use std::path::{Path, PathBuf};
use timewarp_ff::{ForceField, GbModel, NonbondedMethod, SystemOptions};
use timewarp_md::{LangevinMiddle, LangevinMiddleIntegrator, MdState};
use timewarp_mol::read_pdb;

fn shared(rel: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")).join(rel)
}

fn triples(v: &Value) -> Vec<[f64; 3]> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| [0, 1, 2].map(|k| p[k].as_f64().unwrap()))
        .collect()
}

/// The System the oracle used: amber14 + the implicit-solvent file named in `meta`, NoCutoff
/// (the oracle meta names a nonbonded method only when it is not NoCutoff).
fn options(meta: &Value) -> SystemOptions {
    let files: Vec<&str> = meta["forcefield_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    let gb = if files.iter().any(|f| f.contains("obc1")) {
        Some(GbModel::Obc1)
    } else if files.iter().any(|f| f.contains("obc2")) {
        Some(GbModel::Obc2)
    } else {
        None
    };
    let nonbonded = match meta.get("nonbonded_cutoff_nm").and_then(Value::as_f64) {
        Some(c) => NonbondedMethod::CutoffNonPeriodic { cutoff_nm: c },
        None => NonbondedMethod::NoCutoff,
    };
    SystemOptions { gb, nonbonded }
}

#[test]
fn deterministic_trajectories_match_openmm() {
    let pattern = shared("oracle/integrator_*.json");
    let files: Vec<PathBuf> = glob::glob(pattern.to_str().unwrap())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        !files.is_empty(),
        "no oracle files at {}",
        pattern.display()
    );
    let mut compared = 0;
    for file in files {
        let o: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let opts = options(&o["meta"]);
        for t in o["trajectories"].as_array().unwrap() {
            let label = format!(
                "{}:{}",
                file.file_name().unwrap().to_string_lossy(),
                t["label"].as_str().unwrap()
            );
            if t["constraints"] != "none" {
                eprintln!(
                    "skipped {label}: constraints {} are not supported (Timewarp uses none)",
                    t["constraints"]
                );
                continue;
            }
            let pdb = read_pdb(&shared(&format!(
                "testdata/{}",
                t["pdb_file"].as_str().unwrap()
            )))
            .unwrap();
            let system = ForceField::amber14()
                .create_system(&pdb.topology, &opts)
                .unwrap();
            let masses: Vec<f64> = t["masses"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_f64().unwrap())
                .collect();
            assert_eq!(system.masses(), &masses[..], "{label}: masses");
            let params = LangevinMiddle {
                temperature_k: t["temperature_K"].as_f64().unwrap(),
                friction_per_ps: t["friction_per_ps"].as_f64().unwrap(),
                dt_ps: t["dt_ps"].as_f64().unwrap(),
            };
            let integ = LangevinMiddleIntegrator::new(
                params,
                &masses,
                t["remove_cm_motion"].as_bool().unwrap(),
            )
            .unwrap();
            let mut state = MdState::new(
                &system,
                triples(&t["initial_positions"]),
                triples(&t["initial_velocities"]),
            )
            .unwrap();
            // T = 0 or γ = 0: the random stream is never used
            let mut rng = timewarp_md::replicas::replica_rng(0, 0);
            let mut step = 0u64;
            let (mut worst_x, mut worst_v, mut worst_e) = (0.0f64, 0.0f64, 0.0f64);
            for frame in t["frames"].as_array().unwrap() {
                let target = frame["step"].as_u64().unwrap();
                while step < target {
                    integ.step(&system, &mut state, &mut rng);
                    step += 1;
                }
                let x = triples(&frame["positions"]);
                let v = triples(&frame["velocities"]);
                for (a, b) in state.positions.iter().flatten().zip(x.iter().flatten()) {
                    worst_x = worst_x.max((a - b).abs());
                }
                for (a, b) in state.velocities.iter().flatten().zip(v.iter().flatten()) {
                    worst_v = worst_v.max((a - b).abs());
                }
                let pe = frame["potential_energy"].as_f64().unwrap();
                let ke = frame["kinetic_energy"].as_f64().unwrap();
                worst_e = worst_e
                    .max((state.potential_energy - pe).abs())
                    .max((state.kinetic_energy(&masses) - ke).abs());
            }
            eprintln!("{label}: {step} steps, max |Δx| {worst_x:.2e} nm, max |Δv| {worst_v:.2e} nm/ps, max |ΔE| {worst_e:.2e} kJ/mol");
            // Same update order and arithmetic as OpenMM: measured max |Δx| 4e-15 nm, |Δv| 2e-12
            // nm/ps, |ΔE| 8e-12 kJ/mol (ala2, ace_ala3_nme); tolerances leave ~50-250×.
            assert!(worst_x < 1e-12, "{label}: positions differ by {worst_x} nm");
            assert!(
                worst_v < 1e-10,
                "{label}: velocities differ by {worst_v} nm/ps"
            );
            assert!(
                worst_e < 1e-9,
                "{label}: energies differ by {worst_e} kJ/mol"
            );
            compared += 1;
        }
    }
    assert!(compared >= 4, "only {compared} trajectories compared");
}
