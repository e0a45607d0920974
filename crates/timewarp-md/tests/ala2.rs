//! Alanine dipeptide under the Timewarp protocol force field (amber14 + GB-OBC1, 2 nm cutoff):
//! thermostat statistics, NVE energy conservation, minimisation, and an end-to-end `run_md`.

use std::path::{Path, PathBuf};
use timewarp_ff::constants::BOLTZ;
use timewarp_ff::{ForceField, Potential, System, SystemOptions};
use timewarp_md::integrator::{
    degrees_of_freedom, LangevinMiddle, LangevinMiddleIntegrator, MdState,
};
use timewarp_md::minimize::{minimize, MinimizeOptions};
use timewarp_md::replicas::replica_rng;
use timewarp_md::velocities::maxwell_boltzmann;
use timewarp_md::{run_md, MdConfig, SpacingKind};
use timewarp_mol::pdb::PdbFile;
use timewarp_mol::traj::{arrays_path, read_traj_dir};

fn shared(rel: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")).join(rel)
}

fn ala2() -> (PdbFile, System) {
    let pdb = timewarp_mol::read_pdb(&shared("testdata/ala2.pdb")).unwrap();
    let system = ForceField::amber14()
        .create_system(&pdb.topology, &SystemOptions::default())
        .unwrap();
    (pdb, system)
}

fn minimized(pdb: &PdbFile, system: &System) -> Vec<[f64; 3]> {
    let mut x = pdb.models[0].clone();
    minimize(system, &mut x, &MinimizeOptions::default()).unwrap();
    x
}

#[test]
fn minimiser_reaches_tolerance_on_ala2() {
    let (pdb, system) = ala2();
    for tol in [2.0, 0.1] {
        let mut x = pdb.models[0].clone();
        let r = minimize(
            &system,
            &mut x,
            &MinimizeOptions {
                tolerance: tol,
                ..Default::default()
            },
        )
        .unwrap();
        eprintln!("tolerance {tol}: {r:?}");
        assert!(r.converged, "{r:?}");
        assert!(r.rms_force <= tol);
        assert!(r.final_energy < r.initial_energy - 1.0, "{r:?}");
        let mut f = vec![[0.0; 3]; x.len()];
        assert!((system.energy_forces(&x, &mut f) - r.final_energy).abs() < 1e-9);
    }
}

#[test]
fn mean_kinetic_energy_is_equipartition() {
    // ⟨KE⟩ = (3N − 3)/2 k_B T (CM motion removed). 40 000 steps of 0.5 fs at γ = 2/ps after
    // 4 000 steps of equilibration; the standard error comes from 20 block means.
    let (pdb, system) = ala2();
    let masses = system.masses().to_vec();
    let t = 310.0;
    let integ = LangevinMiddleIntegrator::new(
        LangevinMiddle {
            temperature_k: t,
            friction_per_ps: 2.0,
            dt_ps: 0.0005,
        },
        &masses,
        true,
    )
    .unwrap();
    let mut rng = replica_rng(2024, 0);
    let mut v = vec![[0.0; 3]; masses.len()];
    maxwell_boltzmann(&masses, t, true, &mut rng, &mut v);
    let mut s = MdState::new(&system, minimized(&pdb, &system), v).unwrap();
    for _ in 0..4000 {
        integ.step(&system, &mut s, &mut rng);
    }
    let (blocks, per_block) = (20, 2000);
    let mut means = Vec::with_capacity(blocks);
    for _ in 0..blocks {
        let mut acc = 0.0;
        for _ in 0..per_block {
            integ.step(&system, &mut s, &mut rng);
            acc += s.kinetic_energy(&masses);
        }
        means.push(acc / per_block as f64);
    }
    let mean = means.iter().sum::<f64>() / blocks as f64;
    let sem = (means.iter().map(|m| (m - mean).powi(2)).sum::<f64>()
        / (blocks * (blocks - 1)) as f64)
        .sqrt();
    let expect = 0.5 * degrees_of_freedom(&masses, true) as f64 * BOLTZ * t;
    eprintln!("<KE> = {mean:.3} ± {sem:.3} kJ/mol, equipartition {expect:.3}");
    assert!(
        (mean - expect).abs() < 4.0 * sem,
        "<KE> = {mean} ± {sem}, expected {expect}"
    );
    assert!(
        sem < 0.03 * expect,
        "statistical error {sem} too large to test anything"
    );
}

#[test]
fn nve_energy_is_conserved() {
    // γ = 0 (leap-frog Verlet), 10⁴ steps of 0.5 fs from a 310 K start. With half-step
    // velocities E = U + KE oscillates by O(Δt²) but must not drift.
    let (pdb, system) = ala2();
    let masses = system.masses().to_vec();
    let integ = LangevinMiddleIntegrator::new(
        LangevinMiddle {
            temperature_k: 310.0,
            friction_per_ps: 0.0,
            dt_ps: 0.0005,
        },
        &masses,
        true,
    )
    .unwrap();
    let mut rng = replica_rng(7, 0);
    let mut v = vec![[0.0; 3]; masses.len()];
    maxwell_boltzmann(&masses, 310.0, true, &mut rng, &mut v);
    let mut s = MdState::new(&system, minimized(&pdb, &system), v).unwrap();
    let mut e = Vec::with_capacity(10_000);
    for _ in 0..10_000 {
        integ.step(&system, &mut s, &mut rng);
        e.push(s.potential_energy + s.kinetic_energy(&masses));
    }
    let mean = |w: &[f64]| w.iter().sum::<f64>() / w.len() as f64;
    let drift = mean(&e[9000..]) - mean(&e[..1000]);
    let m = mean(&e);
    let sd = (e.iter().map(|x| (x - m).powi(2)).sum::<f64>() / e.len() as f64).sqrt();
    eprintln!("NVE 5 ps: drift {drift:.4} kJ/mol, fluctuation sd {sd:.4} kJ/mol (KE ~ 80 kJ/mol)");
    assert!(
        drift.abs() < 0.2,
        "energy drift {drift} kJ/mol over 10^4 steps"
    );
    assert!(sd < 1.0, "energy fluctuation {sd} kJ/mol");
}

#[test]
fn run_md_on_ala2_writes_readable_official_files() {
    let (pdb, system) = ala2();
    let dir = std::env::temp_dir().join(format!("twmd-ala2-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cfg = MdConfig {
        name: Some("ala2".into()),
        steps: 2000,
        burn_in_steps: 200,
        save_every: 1000,
        spacing: SpacingKind::Log,
        checkpoint_every: 500,
        seed: 5,
        ..MdConfig::default()
    };
    let s = run_md(
        &cfg,
        &pdb,
        &system,
        system.masses(),
        &dir,
        false,
        &|_, _| {},
    )
    .unwrap();
    eprintln!(
        "ala2: {:.0} steps/s, {:.1} ns/day",
        s.steps_per_second_per_replica, s.ns_per_day
    );
    // the NPZ has exactly the official keys and dtypes
    let mut npz = npyz::npz::NpzArchive::open(arrays_path(&dir, "ala2")).unwrap();
    let mut names: Vec<String> = npz.array_names().map(str::to_string).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "energies",
            "forces",
            "positions",
            "step",
            "time",
            "velocities"
        ]
    );
    let pos = npz.by_name("positions").unwrap().unwrap();
    assert_eq!(pos.shape(), &[9, 22, 3]);
    assert_eq!(pos.dtype(), npyz::DType::Plain("<f4".parse().unwrap()));
    let (state0, traj) = read_traj_dir(&dir).unwrap();
    assert_eq!(
        traj.step,
        [200, 201, 210, 300, 1200, 1201, 1210, 1300, 2200]
    );
    // state 0 is the minimised structure and parameterises again
    let again = ForceField::amber14()
        .create_system(&state0.topology, &SystemOptions::default())
        .unwrap();
    let mut f = vec![[0.0; 3]; 22];
    let u0 = again.energy_forces(&state0.models[0], &mut f);
    let m = s.minimization.unwrap();
    assert!(
        (u0 - m.final_energy).abs() < 0.5,
        "state0 energy {u0} vs minimised {}",
        m.final_energy
    );
    // stored potential energies are the force field's at the stored positions
    for k in 0..traj.n_frames() {
        let u = system.energy_forces(&traj.frame_positions_f64(k), &mut f);
        assert!(
            (u - traj.energies[k][0]).abs() < 0.05,
            "frame {k}: {u} vs {}",
            traj.energies[k][0]
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
