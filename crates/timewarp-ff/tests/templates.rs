//! Template matching of every residue the builder makes (20 amino acids and the ff14SB
//! protonation variants), of a disulfide bridge (CYX), and batched evaluation.

use timewarp_ff::{ForceField, Potential, SystemOptions};
use timewarp_mol::builder::{build_peptide, known_residues};
use timewarp_mol::Topology;

#[test]
fn every_builder_residue_gets_its_template() {
    for name in known_residues() {
        let letter = (b'A'..=b'Z')
            .map(char::from)
            .find(|&c| {
                timewarp_mol::builder::parse_sequence(&format!("{c}({name})"))
                    .is_ok_and(|r| r == [name])
            })
            .unwrap_or_else(|| panic!("no letter for {name}"));
        let seq = format!("{letter}({name}){letter}({name})");
        let (top, pos) = build_peptide(&seq).unwrap();
        let system = ForceField::amber14()
            .create_system(&top, &SystemOptions::default())
            .unwrap_or_else(|e| panic!("{seq}: {e}"));
        let templates: Vec<&str> = top
            .residues
            .iter()
            .map(|r| system.atoms()[r.atoms.start].template.as_str())
            .collect();
        assert_eq!(templates, ["ACE", name, name, "NME"], "{seq}");
        let q: f64 = system.charges().iter().sum();
        assert!(
            (q - q.round()).abs() < 1e-9,
            "{seq}: non-integer charge {q}"
        );
        assert!(system.energy(&pos).is_finite(), "{seq}");
    }
}

/// Remove atoms from a topology (re-indexing residues and bonds).
fn remove_atoms(top: &Topology, remove: &[usize]) -> Topology {
    let keep: Vec<usize> = (0..top.n_atoms()).filter(|i| !remove.contains(i)).collect();
    let mut new_index = vec![usize::MAX; top.n_atoms()];
    for (k, &i) in keep.iter().enumerate() {
        new_index[i] = k;
    }
    let mut out = top.clone();
    out.atoms = keep.iter().map(|&i| top.atoms[i].clone()).collect();
    for r in &mut out.residues {
        let start = keep
            .iter()
            .position(|&i| i >= r.atoms.start)
            .unwrap_or(keep.len());
        let end = keep
            .iter()
            .position(|&i| i >= r.atoms.end)
            .unwrap_or(keep.len());
        r.atoms = start..end;
    }
    out.bonds = top
        .bonds
        .iter()
        .filter(|(i, j)| !remove.contains(i) && !remove.contains(j))
        .map(|&(i, j)| (new_index[i], new_index[j]))
        .collect();
    out
}

#[test]
fn disulfide_bridge_gives_cyx() {
    let (top, _) = build_peptide("CAC").unwrap();
    let hg: Vec<usize> = [1, 3]
        .iter()
        .map(|&r| top.find_atom(r, "HG").unwrap())
        .collect();
    let mut top = remove_atoms(&top, &hg);
    let sg: Vec<usize> = [1, 3]
        .iter()
        .map(|&r| top.find_atom(r, "SG").unwrap())
        .collect();
    top.bonds.push((sg[0], sg[1]));
    let system = ForceField::amber14()
        .create_system(&top, &SystemOptions::default())
        .unwrap();
    assert_eq!(system.atoms()[sg[0]].template, "CYX");
    assert_eq!(system.atoms()[sg[1]].template, "CYX");
    assert_eq!(system.atoms()[sg[0]].atom_type, "protein-S");
    // The S–S bond has its parameters and makes the two SG 1-2 excluded.
    assert!(system
        .bonds()
        .iter()
        .any(|b| b.atoms == [sg[0].min(sg[1]), sg[0].max(sg[1])]));
    assert!(system
        .excluded_pairs()
        .any(|p| p == (sg[0].min(sg[1]), sg[0].max(sg[1]))));
}

#[test]
fn batched_evaluation_equals_single_calls() {
    let (top, start) = build_peptide("AKWE").unwrap();
    let system = ForceField::amber14()
        .create_system(&top, &SystemOptions::default())
        .unwrap();
    let n = system.n_atoms();
    let n_conf = 13;
    let mut pos = Vec::with_capacity(n * n_conf);
    for c in 0..n_conf {
        for (i, x) in start.iter().enumerate() {
            let s = 0.003 * ((c * 7 + i * 13) % 11) as f64 - 0.015;
            pos.push([x[0] + s, x[1] - 0.5 * s, x[2] + 0.25 * s]);
        }
    }
    let mut energies = vec![0.0; n_conf];
    let mut forces = vec![[0.0; 3]; n * n_conf];
    system.energy_forces_batch(&pos, Some(&mut forces), &mut energies);
    let mut energies_only = vec![0.0; n_conf];
    system.energy_forces_batch(&pos, None, &mut energies_only);
    for c in 0..n_conf {
        let x = &pos[c * n..(c + 1) * n];
        let mut f = vec![[0.0; 3]; n];
        let e = system.energy_forces(x, &mut f);
        assert_eq!(e, energies[c]);
        assert_eq!(f.as_slice(), &forces[c * n..(c + 1) * n]);
        assert!((energies_only[c] - e).abs() <= 1e-10 * e.abs().max(1.0));
        assert_eq!(energies_only[c], system.energy(x));
    }
}
