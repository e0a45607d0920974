//! Energies, forces, Born radii and parameter tables against OpenMM 8.6.1 (Reference platform,
//! double precision) for every `shared/oracle/oracle_*.json`. The force-field variant (OBC1 or
//! OBC2, NoCutoff or CutoffNonPeriodic with its cutoff) is read from each file's `meta` block,
//! so new oracle files are picked up without code changes.

mod common;

use common::*;
use serde_json::Value;
use timewarp_ff::{ForceField, System};

/// |a − b| ≤ max(1e-6 |b|, 1e-4 kJ/mol)
fn energy_ok(ours: f64, theirs: f64) -> bool {
    (ours - theirs).abs() <= (1e-6 * theirs.abs()).max(1e-4)
}
const FORCE_TOL: f64 = 1e-3; // kJ/mol/nm per component
const BORN_RADIUS_REL_TOL: f64 = 1e-8;

fn build(o: &Value, file: &str) -> System {
    let top = topology_from_oracle(o);
    ForceField::amber14()
        .create_system(&top, &options_from_meta(&o["meta"]))
        .unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn file_name(p: &std::path::Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn energies_forces_and_born_radii_match_openmm() {
    let mut failures = Vec::new();
    let (mut max_rel_energy, mut max_abs_energy, mut max_force, mut max_born) =
        (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let mut n_checked = 0;
    for path in oracle_files() {
        let file = file_name(&path);
        let o = read_json(&path);
        let system = build(&o, &file);
        for config in o["configs"].as_array().unwrap() {
            let label = format!("{file} [{}]", config["label"].as_str().unwrap());
            let pos = positions(config);
            let mut forces = vec![[0.0; 3]; pos.len()];
            let terms = system.energy_terms(&pos, &mut forces);
            let e = &config["none"]["energies"];
            let c = &config["components"];
            let comps = system.energy_components(&pos);
            let pairs = [
                ("bond", terms.bond, e["HarmonicBondForce"].as_f64().unwrap()),
                (
                    "angle",
                    terms.angle,
                    e["HarmonicAngleForce"].as_f64().unwrap(),
                ),
                (
                    "torsion",
                    terms.torsion,
                    e["PeriodicTorsionForce"].as_f64().unwrap(),
                ),
                (
                    "nonbonded",
                    terms.nonbonded,
                    e["NonbondedForce"].as_f64().unwrap(),
                ),
                ("gb", terms.gb, e["CustomGBForce"].as_f64().unwrap()),
                ("total", terms.total, e["total"].as_f64().unwrap()),
                ("coulomb", comps.coulomb, c["coulomb"].as_f64().unwrap()),
                ("lj", comps.lj, c["lj"].as_f64().unwrap()),
                (
                    "coulomb14",
                    comps.coulomb14,
                    c["coulomb14"].as_f64().unwrap(),
                ),
                ("lj14", comps.lj14, c["lj14"].as_f64().unwrap()),
                ("gb_self", comps.gb_self, c["gb_self"].as_f64().unwrap()),
                ("gb_pair", comps.gb_pair, c["gb_pair"].as_f64().unwrap()),
                ("sa", comps.sa, c["sa"].as_f64().unwrap()),
            ];
            for (name, ours, theirs) in pairs {
                max_abs_energy = max_abs_energy.max((ours - theirs).abs());
                max_rel_energy = max_rel_energy.max((ours - theirs).abs() / theirs.abs().max(1.0));
                if !energy_ok(ours, theirs) {
                    failures.push(format!("{label}: {name} = {ours:.9}, OpenMM {theirs:.9}"));
                }
            }
            // The energy-only path gives the same total.
            if (comps.total - terms.total).abs() > 1e-9 * terms.total.abs().max(1.0) {
                failures.push(format!(
                    "{label}: energy-only total {} != {}",
                    comps.total, terms.total
                ));
            }
            let reference = vec3s(&config["none"]["forces"]);
            for (i, (f, g)) in forces.iter().zip(&reference).enumerate() {
                for k in 0..3 {
                    let d = (f[k] - g[k]).abs();
                    max_force = max_force.max(d);
                    if d > FORCE_TOL {
                        failures.push(format!(
                            "{label}: force on atom {i} ({}) component {k}: {} vs OpenMM {}",
                            system.atom_label(i),
                            f[k],
                            g[k]
                        ));
                    }
                }
            }
            let born = system.born_radii(&pos);
            for (i, (b, r)) in born
                .iter()
                .zip(config["born_radii"].as_array().unwrap())
                .enumerate()
            {
                let r = r.as_f64().unwrap();
                let d = (b - r).abs() / r.abs();
                max_born = max_born.max(d);
                if d > BORN_RADIUS_REL_TOL {
                    failures.push(format!(
                        "{label}: Born radius of atom {i}: {b} vs OpenMM {r}"
                    ));
                }
            }
            n_checked += 1;
        }
    }
    println!(
        "{n_checked} configurations: max |ΔE| {max_abs_energy:.3e} kJ/mol, max |ΔE|/max(|E|,1) {max_rel_energy:.3e}, \
         max |ΔF| {max_force:.3e} kJ/mol/nm, max relative ΔB {max_born:.3e}"
    );
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures[..failures.len().min(40)].join("\n")
    );
}

/// Sorted rows with floats rounded to 11 significant digits, for set comparison.
fn canon(rows: impl Iterator<Item = (Vec<usize>, Vec<f64>)>) -> Vec<(Vec<usize>, Vec<String>)> {
    let mut v: Vec<_> = rows
        .map(|(a, p)| (a, p.iter().map(|x| format!("{:.10e}", x + 0.0)).collect()))
        .collect();
    v.sort();
    v
}

fn json_rows(v: &Value, n_atoms: usize) -> Vec<(Vec<usize>, Vec<f64>)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let row = row.as_array().unwrap();
            let atoms = row[..n_atoms]
                .iter()
                .map(|x| x.as_u64().unwrap() as usize)
                .collect();
            let params = row[n_atoms..].iter().map(|x| x.as_f64().unwrap()).collect();
            (atoms, params)
        })
        .collect()
}

/// A bond/angle/torsion and its reverse are the same interaction.
fn orient(mut atoms: Vec<usize>) -> Vec<usize> {
    let rev: Vec<usize> = atoms.iter().rev().copied().collect();
    if rev < atoms {
        atoms = rev;
    }
    atoms
}

#[test]
fn parameter_tables_match_openmm() {
    let mut failures = Vec::new();
    for path in oracle_files() {
        let file = file_name(&path);
        let o = read_json(&path);
        let system = build(&o, &file);
        let p = &o["parameters"]["none"];
        for (i, (ours, theirs)) in system
            .atoms()
            .iter()
            .zip(p["atoms"].as_array().unwrap())
            .enumerate()
        {
            let s = |k: &str| theirs[k].as_str().unwrap().to_string();
            let f = |k: &str| theirs[k].as_f64().unwrap();
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
            if ours.atom_type != s("type")
                || ours.template != s("template")
                || !close(ours.charge, f("charge"))
                || !close(ours.mass, f("mass"))
                || !close(ours.sigma, f("sigma"))
                || !close(ours.epsilon, f("epsilon"))
                || !close(ours.gb_radius, f("gb_radius"))
                || !close(ours.gb_scale, f("gb_scale"))
            {
                failures.push(format!("{file}: atom {i}: ours {ours:?}, OpenMM {theirs}"));
            }
        }
        let compare = |what: &str,
                       ours: Vec<(Vec<usize>, Vec<f64>)>,
                       theirs: Vec<(Vec<usize>, Vec<f64>)>| {
            let (a, b) = (canon(ours.into_iter()), canon(theirs.into_iter()));
            if a != b {
                let only_ours: Vec<_> = a.iter().filter(|x| !b.contains(x)).take(5).collect();
                let only_theirs: Vec<_> = b.iter().filter(|x| !a.contains(x)).take(5).collect();
                Some(format!("{file}: {what} differ ({} vs {}); only ours {only_ours:?}; only OpenMM {only_theirs:?}", a.len(), b.len()))
            } else {
                None
            }
        };
        let bonds = system
            .bonds()
            .iter()
            .map(|b| (orient(b.atoms.to_vec()), vec![b.length, b.k]))
            .collect();
        let their_bonds = json_rows(&p["harmonic_bonds"], 2)
            .into_iter()
            .map(|(a, q)| (orient(a), q))
            .collect();
        failures.extend(compare("bonds", bonds, their_bonds));
        let angles = system
            .angles()
            .iter()
            .map(|a| (orient(a.atoms.to_vec()), vec![a.angle, a.k]))
            .collect();
        let their_angles = json_rows(&p["harmonic_angles"], 3)
            .into_iter()
            .map(|(a, q)| (orient(a), q))
            .collect();
        failures.extend(compare("angles", angles, their_angles));
        // Torsions keep their exact atom order (it matters for improper forces); only the
        // reversal of the whole quadruple is the same dihedral.
        let torsions = system
            .torsions()
            .iter()
            .map(|t| {
                (
                    orient(t.atoms.to_vec()),
                    vec![t.periodicity as f64, t.phase, t.k],
                )
            })
            .collect();
        let their_torsions = json_rows(&p["periodic_torsions"], 4)
            .into_iter()
            .map(|(a, q)| (orient(a), q))
            .collect();
        failures.extend(compare("torsions", torsions, their_torsions));
        // Exceptions: every excluded pair; 1-4 pairs with their scaled parameters, the others
        // (1-2, 1-3) with qq = 0, σ = 1, ε = 0 as OpenMM stores them.
        let mut pairs14 = std::collections::HashMap::new();
        for q in system.pairs14() {
            pairs14.insert(
                (q.atoms[0], q.atoms[1]),
                vec![q.charge_prod, q.sigma, q.epsilon],
            );
        }
        let exceptions = system
            .excluded_pairs()
            .map(|(i, j)| {
                (
                    vec![i, j],
                    pairs14.get(&(i, j)).cloned().unwrap_or(vec![0.0, 1.0, 0.0]),
                )
            })
            .collect();
        let their_exceptions = json_rows(&p["nonbonded_exceptions"], 2)
            .into_iter()
            .map(|(a, q)| (vec![a[0].min(a[1]), a[0].max(a[1])], q))
            .collect();
        failures.extend(compare(
            "nonbonded exceptions",
            exceptions,
            their_exceptions,
        ));
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
