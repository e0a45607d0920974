//! Energy + force evaluations per second for alanine dipeptide (22 atoms) and ACE-ALA3-NME
//! (42 atoms) with the Timewarp protocol (OBC1, CutoffNonPeriodic 2 nm) and OBC2/NoCutoff:
//! single calls, and batches of 256 conformations (rayon over conformations; energies only and
//! with forces). Compare with NOTES.md §6 (OpenMM 8.6.1 on the same class of machine).
//!
//! cargo bench -p timewarp-ff --bench energy

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::path::Path;
use timewarp_ff::{ForceField, GbModel, NonbondedMethod, Potential, System, SystemOptions};

fn load(name: &str, opts: &SystemOptions) -> (System, Vec<[f64; 3]>) {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata"
    ))
    .join(name);
    let pdb = timewarp_mol::read_pdb(&path).expect("test PDB");
    let system = ForceField::amber14()
        .create_system(&pdb.topology, opts)
        .expect("parameters");
    (system, pdb.positions().to_vec())
}

fn bench(c: &mut Criterion) {
    let protocols = [
        ("obc1_cut2", SystemOptions::default()),
        (
            "obc2_nocut",
            SystemOptions {
                gb: Some(GbModel::Obc2),
                nonbonded: NonbondedMethod::NoCutoff,
            },
        ),
    ];
    for molecule in ["ala2.pdb", "ace_ala3_nme.pdb"] {
        for (label, opts) in &protocols {
            let (system, pos) = load(molecule, opts);
            let n = system.n_atoms();
            let mut group =
                c.benchmark_group(format!("{}/{label}", molecule.trim_end_matches(".pdb")));
            group.throughput(Throughput::Elements(1));
            let mut forces = vec![[0.0; 3]; n];
            group.bench_function("energy_forces", |b| {
                b.iter(|| black_box(system.energy_forces(black_box(&pos), &mut forces)))
            });
            group.bench_function("energy", |b| {
                b.iter(|| black_box(system.energy(black_box(&pos))))
            });

            let n_conf = 256;
            let batch: Vec<[f64; 3]> = (0..n_conf)
                .flat_map(|c| {
                    pos.iter()
                        .map(move |x| x.map(|v| v + 1e-4 * (c % 7) as f64))
                })
                .collect();
            let mut energies = vec![0.0; n_conf];
            let mut batch_forces = vec![[0.0; 3]; n * n_conf];
            group.throughput(Throughput::Elements(n_conf as u64));
            group.bench_with_input(
                BenchmarkId::new("batch_energy_forces", n_conf),
                &batch,
                |b, x| {
                    b.iter(|| system.energy_forces_batch(x, Some(&mut batch_forces), &mut energies))
                },
            );
            group.bench_with_input(BenchmarkId::new("batch_energy", n_conf), &batch, |b, x| {
                b.iter(|| system.energy_forces_batch(x, None, &mut energies))
            });
            group.finish();
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
