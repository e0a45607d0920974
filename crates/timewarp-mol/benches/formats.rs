//! Throughput of the file formats: PDB parsing (with names and bonds), NPZ and XTC writing.
//! Run: `cargo bench -p timewarp-mol --bench formats`.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::path::Path;
use timewarp_mol::traj::{TrajArrays, XtcWriter};
use timewarp_mol::{parse_pdb, read_pdb};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata");

fn pdb(c: &mut Criterion) {
    let text =
        std::fs::read_to_string(Path::new(SHARED).join("implicit-2olx-traj-state0.pdb")).unwrap();
    c.bench_function("parse_pdb 2olx (65 atoms, bonds)", |b| {
        b.iter(|| parse_pdb(black_box(&text), "2olx").unwrap())
    });
}

fn trajectories(c: &mut Criterion) {
    let traj =
        TrajArrays::read_npz(&Path::new(SHARED).join("implicit-2olx-traj-arrays.npz")).unwrap();
    let state0 = read_pdb(&Path::new(SHARED).join("implicit-2olx-traj-state0.pdb")).unwrap();
    assert_eq!(state0.topology.n_atoms(), traj.n_atoms);
    let dir = std::env::temp_dir().join(format!("timewarp-mol-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let mut buffer = Vec::new();
    c.bench_function("write_npz 200 frames x 65 atoms (in memory)", |b| {
        b.iter(|| {
            buffer.clear();
            traj.write_npz(std::io::Cursor::new(&mut buffer)).unwrap();
        })
    });
    let npz = dir.join("t.npz");
    traj.write_npz_atomic(&npz).unwrap();
    c.bench_function("read_npz 200 frames x 65 atoms", |b| {
        b.iter(|| TrajArrays::read_npz(&npz).unwrap())
    });

    let frames: Vec<Vec<[f64; 3]>> = (0..traj.n_frames())
        .map(|f| traj.frame_positions_f64(f))
        .collect();
    let xtc = dir.join("t.xtc");
    c.bench_function("xtc append 200 frames x 65 atoms", |b| {
        b.iter(|| {
            let mut w = XtcWriter::create(&xtc).unwrap();
            for (f, x) in frames.iter().enumerate() {
                w.append_frame(traj.step[f], traj.time[f], x).unwrap();
            }
        })
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

criterion_group!(benches, pdb, trajectories);
criterion_main!(benches);
