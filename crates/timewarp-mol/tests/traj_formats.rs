//! Trajectory formats: official Timewarp NPZ, XTC, multi-model PDB; round trips and errors.

use npyz::WriterBuilder;
use std::path::{Path, PathBuf};
use timewarp_mol::pdb::{write_pdb, write_pdb_file, PdbTrajectoryWriter};
use timewarp_mol::traj::{self, read_xtc, TrajArrays, XtcWriter};
use timewarp_mol::{parse_pdb, read_pdb, MolError};

fn shared(rel: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")).join(rel)
}

/// A fresh scratch folder per test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("timewarp-mol-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Deterministic, non-trivial test values.
fn wiggle(i: usize, scale: f64) -> f64 {
    ((i as f64 * 0.7548776662).fract() - 0.5) * scale
}

fn sample_traj(t: usize, n: usize, with_velocities: bool) -> TrajArrays {
    let mut traj = TrajArrays::new(n);
    for f in 0..t {
        let x: Vec<[f64; 3]> = (0..n)
            .map(|a| [0, 1, 2].map(|k| wiggle(f * 1000 + a * 3 + k, 3.0)))
            .collect();
        let v: Vec<[f64; 3]> = x.iter().map(|p| p.map(|c| -2.0 * c)).collect();
        let fo: Vec<[f64; 3]> = x.iter().map(|p| p.map(|c| 100.0 * c)).collect();
        let (vel, forces) = if with_velocities {
            (Some(&v[..]), Some(&fo[..]))
        } else {
            (None, None)
        };
        traj.push_frame(
            1000 + 10 * f as i64,
            0.5 * f as f64,
            [-1000.0 + f as f64, 50.5],
            &x,
            vel,
            forces,
        );
    }
    traj
}

#[test]
fn npz_round_trip_with_and_without_velocities() {
    let dir = scratch("npz-rt");
    for with_velocities in [true, false] {
        let traj = sample_traj(7, 11, with_velocities);
        traj.validate(Path::new("mem")).unwrap();
        let path = dir.join(format!("a-{with_velocities}.npz"));
        traj.write_npz_atomic(&path).unwrap();
        assert!(!dir.join(format!("a-{with_velocities}.npz.tmp")).exists());
        let back = TrajArrays::read_npz(&path).unwrap();
        assert_eq!(back, traj);
        assert_eq!(back.n_frames(), 7);
        assert_eq!(back.velocities.is_empty(), !with_velocities);
        // Absent arrays are absent from the archive, not written empty.
        let archive = npyz::npz::NpzArchive::open(&path).unwrap();
        let names: Vec<&str> = archive.array_names().collect();
        assert_eq!(names.contains(&"velocities"), with_velocities, "{names:?}");
    }
    // Overwriting an existing file replaces it.
    let path = dir.join("a-true.npz");
    let smaller = sample_traj(2, 11, false);
    smaller.write_npz_atomic(&path).unwrap();
    assert_eq!(TrajArrays::read_npz(&path).unwrap(), smaller);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn official_2olx_npz() {
    let traj = TrajArrays::read_npz(&shared("testdata/implicit-2olx-traj-arrays.npz")).unwrap();
    assert_eq!(traj.n_frames(), 200);
    assert_eq!(traj.n_atoms, 65);
    assert_eq!(traj.positions.len(), 200 * 65 * 3);
    assert_eq!(traj.velocities.len(), 200 * 65 * 3);
    assert_eq!(traj.forces.len(), 200 * 65 * 3);
    assert_eq!(&traj.step[..5], &[20000, 20001, 20010, 20100, 21000]);
    for (t, expected) in traj.time.iter().zip([10.0, 10.0005, 10.005]) {
        assert!((t - expected).abs() < 1e-9, "{t}");
    }
    assert!((traj.energies[0][0] - -1630.25927734).abs() < 1e-6);
    assert!((traj.energies[0][1] - 294.85118863).abs() < 1e-6);
    assert!(traj
        .positions
        .iter()
        .all(|x| x.is_finite() && x.abs() < 10.0));

    // The folder reader pairs it with its state-0 PDB.
    let (state0, arrays) = traj::read_traj_dir(&shared("testdata")).unwrap();
    assert_eq!(arrays, traj);
    assert_eq!(state0.topology.n_atoms(), 65);
    assert_eq!(
        traj::traj_names(&shared("testdata")).unwrap(),
        ["implicit-2olx"]
    );
}

/// Write an NPZ with arbitrary arrays, as numpy would.
fn write_raw_npz(path: &Path, arrays: &[(&str, Vec<u64>, Vec<f64>, bool)]) {
    let mut npz = npyz::npz::NpzWriter::create(path).unwrap();
    for (name, shape, data, as_i64) in arrays {
        let options = npyz::zip::write::FileOptions::default();
        if *as_i64 {
            let mut w = npz
                .array::<i64>(name, options)
                .unwrap()
                .default_dtype()
                .shape(shape)
                .begin_nd()
                .unwrap();
            w.extend(data.iter().map(|&x| x as i64)).unwrap();
            w.finish().unwrap();
        } else {
            let mut w = npz
                .array::<f64>(name, options)
                .unwrap()
                .default_dtype()
                .shape(shape)
                .begin_nd()
                .unwrap();
            w.extend(data.iter().copied()).unwrap();
            w.finish().unwrap();
        }
    }
    npz.zip_writer().finish().unwrap();
}

#[test]
fn npz_accepts_f64_positions_and_missing_optional_keys() {
    let dir = scratch("npz-f64");
    let path = dir.join("x.npz");
    let pos: Vec<f64> = (0..2 * 4 * 3).map(|i| wiggle(i, 2.0)).collect();
    write_raw_npz(&path, &[("positions", vec![2, 4, 3], pos.clone(), false)]);
    let traj = TrajArrays::read_npz(&path).unwrap();
    assert_eq!(traj.n_atoms, 4);
    assert_eq!(traj.n_frames(), 2);
    assert!(traj.step.is_empty() && traj.time.is_empty() && traj.energies.is_empty());
    assert!(traj.velocities.is_empty() && traj.forces.is_empty());
    let expected: Vec<f32> = pos.iter().map(|&x| x as f32).collect();
    assert_eq!(traj.positions, expected);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn npz_errors_name_file_and_key() {
    let dir = scratch("npz-err");
    let pos: Vec<f64> = vec![0.0; 2 * 4 * 3];

    let path = dir.join("no-positions.npz");
    write_raw_npz(&path, &[("time", vec![2], vec![0.0, 1.0], false)]);
    let err = TrajArrays::read_npz(&path).unwrap_err();
    assert!(
        matches!(&err, MolError::MissingKey { key, .. } if key == "positions"),
        "{err}"
    );
    assert!(err.to_string().contains("no-positions.npz"), "{err}");

    let path = dir.join("bad-time.npz");
    write_raw_npz(
        &path,
        &[
            ("positions", vec![2, 4, 3], pos.clone(), false),
            ("time", vec![3], vec![0.0; 3], false),
        ],
    );
    let err = TrajArrays::read_npz(&path).unwrap_err();
    assert!(
        matches!(&err, MolError::BadArray { key, .. } if key == "time"),
        "{err}"
    );

    let path = dir.join("bad-forces.npz");
    write_raw_npz(
        &path,
        &[
            ("positions", vec![2, 4, 3], pos.clone(), false),
            ("forces", vec![2, 5, 3], vec![0.0; 30], false),
        ],
    );
    let err = TrajArrays::read_npz(&path).unwrap_err();
    assert!(
        matches!(&err, MolError::BadArray { key, .. } if key == "forces"),
        "{err}"
    );

    let path = dir.join("bad-positions.npz");
    write_raw_npz(&path, &[("positions", vec![8, 3], pos.clone(), false)]);
    let err = TrajArrays::read_npz(&path).unwrap_err();
    assert!(
        matches!(&err, MolError::BadArray { key, .. } if key == "positions"),
        "{err}"
    );

    let path = dir.join("float-step.npz");
    write_raw_npz(
        &path,
        &[
            ("positions", vec![2, 4, 3], pos.clone(), false),
            ("step", vec![2], vec![0.0, 1.0], false),
        ],
    );
    let err = TrajArrays::read_npz(&path).unwrap_err();
    assert!(
        matches!(&err, MolError::BadArray { key, .. } if key == "step"),
        "{err}"
    );

    let path = dir.join("int-step.npz");
    write_raw_npz(
        &path,
        &[
            ("positions", vec![2, 4, 3], pos, false),
            ("step", vec![2], vec![5.0, 6.0], true),
        ],
    );
    assert_eq!(TrajArrays::read_npz(&path).unwrap().step, [5, 6]);

    let path = dir.join("not-a-zip.npz");
    std::fs::write(&path, b"hello").unwrap();
    assert!(TrajArrays::read_npz(&path).is_err());
    assert!(matches!(
        TrajArrays::read_npz(&dir.join("missing.npz")),
        Err(MolError::Io { .. })
    ));

    // Writing refuses inconsistent arrays and leaves no file behind.
    let mut traj = sample_traj(3, 5, true);
    traj.forces.pop();
    let path = dir.join("inconsistent.npz");
    let err = traj.write_npz_atomic(&path).unwrap_err();
    assert!(
        matches!(&err, MolError::BadArray { key, .. } if key == "forces"),
        "{err}"
    );
    assert!(!path.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn traj_dir_errors() {
    let dir = scratch("trajdir");
    assert!(matches!(
        traj::read_traj_dir(&dir),
        Err(MolError::TrajDir { .. })
    ));
    let pdb = read_pdb(&shared("testdata/ala2.pdb")).unwrap();
    for name in ["a", "b"] {
        write_pdb_file(
            &traj::state0_path(&dir, name),
            &pdb.topology,
            pdb.positions(),
        )
        .unwrap();
        sample_traj(2, 22, false)
            .write_npz_atomic(&traj::arrays_path(&dir, name))
            .unwrap();
    }
    let err = traj::read_traj_dir(&dir).unwrap_err();
    assert!(err.to_string().contains("a, b"), "{err}");
    let (state0, arrays) = traj::read_traj(&dir, "b").unwrap();
    assert_eq!(state0.topology.n_atoms(), arrays.n_atoms);
    // Atom-count mismatch between the PDB and the arrays.
    sample_traj(2, 21, false)
        .write_npz_atomic(&traj::arrays_path(&dir, "a"))
        .unwrap();
    assert!(matches!(
        traj::read_traj(&dir, "a"),
        Err(MolError::AtomCount {
            expected: 22,
            found: 21,
            ..
        })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn pdb_round_trip_every_testdata_file() {
    for path in glob::glob(shared("testdata/*.pdb").to_str().unwrap()).unwrap() {
        let path = path.unwrap();
        let pdb = read_pdb(&path).unwrap();
        let mut out = Vec::new();
        write_pdb(&mut out, &pdb.topology, pdb.positions(), None).unwrap();
        let text = String::from_utf8(out).unwrap();
        let back = parse_pdb(&text, "round-trip").unwrap();
        let name = path.display();
        assert_eq!(back.topology.bonds, pdb.topology.bonds, "{name}");
        assert_eq!(back.topology.residues, pdb.topology.residues, "{name}");
        for (a, b) in back.topology.atoms.iter().zip(&pdb.topology.atoms) {
            assert_eq!(
                (&a.name, a.element, a.residue),
                (&b.name, b.element, b.residue),
                "{name}"
            );
        }
        for (a, b) in back.positions().iter().zip(pdb.positions()) {
            for k in 0..3 {
                assert!((a[k] - b[k]).abs() < 5e-5 + 1e-15, "{name}: {a:?} vs {b:?}");
            }
        }
        // OpenMM-written inputs come back column for column (apart from the REMARK line
        // and CONECT records, which OpenMM also writes for bonds between standard residues
        // and caps only).
        let original = std::fs::read_to_string(&path).unwrap();
        if original.starts_with("REMARK   1 CREATED WITH OPENMM") {
            let records = |t: &str| -> Vec<String> {
                t.lines()
                    .filter(|l| {
                        l.starts_with("ATOM") || l.starts_with("HETATM") || l.starts_with("TER")
                    })
                    .map(String::from)
                    .collect()
            };
            assert_eq!(records(&text), records(&original), "{name}");
        }
    }
}

#[test]
fn multi_model_pdb_trajectory_and_resume() {
    let dir = scratch("models");
    let pdb = read_pdb(&shared("testdata/ala2.pdb")).unwrap();
    let frame = |k: usize| -> Vec<[f64; 3]> {
        pdb.positions()
            .iter()
            .map(|p| [p[0] + 0.01 * k as f64, p[1], p[2] - 0.002 * k as f64])
            .collect()
    };
    let path = dir.join("viewer.pdb");
    let mut w = PdbTrajectoryWriter::create(&path, &pdb.topology).unwrap();
    for k in 0..4 {
        w.append_model(&frame(k)).unwrap();
    }
    w.finish().unwrap();
    let back = read_pdb(&path).unwrap();
    assert_eq!(back.models.len(), 4);
    assert_eq!(back.topology.bonds, pdb.topology.bonds);
    for k in 0..4 {
        for (a, b) in back.models[k].iter().zip(frame(k)) {
            assert!((0..3).all(|c| (a[c] - b[c]).abs() < 5.1e-5));
        }
    }

    // A killed run: the file ends in the middle of model 4. Resume after model 2.
    let text = std::fs::read_to_string(&path).unwrap();
    let cut = text.rfind("ATOM      9").unwrap();
    std::fs::write(&path, &text[..cut]).unwrap();
    assert!(PdbTrajectoryWriter::resume(&path, &pdb.topology, 4).is_err());
    let mut w = PdbTrajectoryWriter::resume(&path, &pdb.topology, 2).unwrap();
    assert_eq!(w.n_models(), 2);
    w.append_model(&frame(7)).unwrap();
    w.finish().unwrap();
    let back = read_pdb(&path).unwrap();
    assert_eq!(back.models.len(), 3);
    assert!((back.models[2][0][0] - frame(7)[0][0]).abs() < 5.1e-5);

    let mut w = PdbTrajectoryWriter::create(&path, &pdb.topology).unwrap();
    let err = w.append_model(&frame(0)[1..]).unwrap_err();
    assert!(
        matches!(
            err,
            MolError::AtomCount {
                expected: 22,
                found: 21,
                ..
            }
        ),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn xtc_round_trip_within_precision() {
    let dir = scratch("xtc");
    for n in [3, 65] {
        // ≤ 9 atoms are stored uncompressed, more are compressed.
        let traj = sample_traj(5, n, false);
        let path = dir.join(format!("t{n}.xtc"));
        let mut xtc = XtcWriter::create(&path).unwrap();
        for f in 0..traj.n_frames() {
            xtc.append_frame(traj.step[f], traj.time[f], &traj.frame_positions_f64(f))
                .unwrap();
        }
        xtc.flush().unwrap();
        drop(xtc);
        let frames = read_xtc(&path).unwrap();
        assert_eq!(frames.len(), 5);
        for (f, frame) in frames.iter().enumerate() {
            assert_eq!(frame.step, traj.step[f]);
            assert!((frame.time_ps - traj.time[f]).abs() < 1e-6);
            assert_eq!(frame.positions_nm.len(), n);
            for (a, b) in frame.positions_nm.iter().zip(traj.frame_positions_f64(f)) {
                // Half the 0.001 nm grid plus float32 rounding.
                assert!(
                    (0..3).all(|k| (a[k] - b[k]).abs() <= 5e-4 + 1e-6),
                    "{a:?} vs {b:?}"
                );
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn xtc_resume_and_errors() {
    let dir = scratch("xtc-resume");
    let traj = sample_traj(4, 20, false);
    let path = dir.join("v.xtc");
    let mut xtc = XtcWriter::create(&path).unwrap();
    for f in 0..4 {
        xtc.append_frame(traj.step[f], traj.time[f], &traj.frame_positions_f64(f))
            .unwrap();
    }
    xtc.flush().unwrap();
    drop(xtc);
    // Cut the file in the middle of the last frame, as a kill would.
    let len = std::fs::metadata(&path).unwrap().len();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(len - 10).unwrap();
    drop(file);
    assert!(XtcWriter::resume(&path, 4).is_err());
    let mut xtc = XtcWriter::resume(&path, 2).unwrap();
    assert_eq!(xtc.n_frames(), 2);
    // The atom count is known from the kept frames.
    assert!(matches!(
        xtc.append_frame(0, 0.0, &[[0.0; 3]; 3]),
        Err(MolError::AtomCount { expected: 20, .. })
    ));
    xtc.append_frame(99, 9.0, &traj.frame_positions_f64(3))
        .unwrap();
    xtc.flush().unwrap();
    drop(xtc);
    let frames = read_xtc(&path).unwrap();
    assert_eq!(
        frames.iter().map(|f| f.step).collect::<Vec<_>>(),
        [traj.step[0], traj.step[1], 99]
    );

    let mut xtc = XtcWriter::create(&dir.join("e.xtc")).unwrap();
    assert!(matches!(
        xtc.append_frame(-1, 0.0, &[[0.0; 3]]),
        Err(MolError::Xtc { .. })
    ));
    let err = xtc
        .append_frame(0, 0.0, &[[0.0, f64::NAN, 0.0]])
        .unwrap_err();
    assert!(err.to_string().contains("atom 1"), "{err}");
    assert_eq!(xtc.n_frames(), 0);

    std::fs::write(dir.join("junk.xtc"), [0u8, 0, 7, 207, 1, 2, 3]).unwrap();
    assert!(read_xtc(&dir.join("junk.xtc")).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}
