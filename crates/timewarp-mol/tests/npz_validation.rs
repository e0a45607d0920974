//! What the NPZ reader refuses: integer coordinates and steps that do not increase (each error
//! names the file, the array and, for `step`, the first offending frame), and that the files
//! users bring (shared/testdata) still read.

use npyz::WriterBuilder;
use std::path::{Path, PathBuf};
use timewarp_mol::traj::TrajArrays;
use timewarp_mol::MolError;

fn shared(rel: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")).join(rel)
}

fn scratch(test: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("timewarp-mol-npzval-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes an NPZ whose arrays are given as (name, shape, values) in their own dtype, as numpy
/// would.
fn write_npz(
    path: &Path,
    ints: &[(&str, Vec<u64>, Vec<i64>)],
    floats: &[(&str, Vec<u64>, Vec<f64>)],
) {
    let mut npz = npyz::npz::NpzWriter::create(path).unwrap();
    let options = npyz::zip::write::FileOptions::default;
    for (name, shape, values) in ints {
        let mut w = npz
            .array::<i64>(name, options())
            .unwrap()
            .default_dtype()
            .shape(shape)
            .begin_nd()
            .unwrap();
        w.extend(values.iter().copied()).unwrap();
        w.finish().unwrap();
    }
    for (name, shape, values) in floats {
        let mut w = npz
            .array::<f64>(name, options())
            .unwrap()
            .default_dtype()
            .shape(shape)
            .begin_nd()
            .unwrap();
        w.extend(values.iter().copied()).unwrap();
        w.finish().unwrap();
    }
    npz.zip_writer().finish().unwrap();
}

fn bad_array(err: MolError) -> (PathBuf, String, String) {
    match err {
        MolError::BadArray { file, key, reason } => (file, key, reason),
        other => panic!("expected a BadArray error, got {other}"),
    }
}

#[test]
fn integer_positions_are_refused_naming_the_file_and_key() {
    let dir = scratch("int-positions");
    let path = dir.join("x-traj-arrays.npz");
    write_npz(
        &path,
        &[("positions", vec![2, 2, 3], (0..12).collect())],
        &[],
    );
    let err = TrajArrays::read_npz(&path).unwrap_err();
    let text = err.to_string();
    let (file, key, reason) = bad_array(err);
    assert_eq!(
        (file.as_path(), key.as_str()),
        (path.as_path(), "positions")
    );
    assert!(reason.contains("floating point"), "{text}");
    // Integer velocities are refused the same way; float positions with them are not the issue.
    write_npz(
        &path,
        &[("velocities", vec![2, 2, 3], vec![0; 12])],
        &[("positions", vec![2, 2, 3], vec![0.5; 12])],
    );
    assert_eq!(
        bad_array(TrajArrays::read_npz(&path).unwrap_err()).1,
        "velocities"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn steps_that_do_not_increase_are_refused_naming_the_first_bad_frame() {
    let dir = scratch("step-order");
    let path = dir.join("x-traj-arrays.npz");
    let positions = ("positions", vec![4, 1, 3], vec![0.1; 12]);
    for (steps, frame) in [
        (vec![0, 10, 10, 20], 2),
        (vec![5, 3, 7, 9], 1),
        (vec![0, 1, 2, -1], 3),
    ] {
        write_npz(
            &path,
            &[("step", vec![4], steps.clone())],
            std::slice::from_ref(&positions),
        );
        let err = TrajArrays::read_npz(&path).unwrap_err();
        let text = err.to_string();
        let (file, key, reason) = bad_array(err);
        assert_eq!(
            (file.as_path(), key.as_str()),
            (path.as_path(), "step"),
            "{text}"
        );
        assert!(
            reason.contains(&format!("frame {frame} ")),
            "{steps:?}: {text}"
        );
    }
    write_npz(
        &path,
        &[("step", vec![4], vec![0, 1, 10, 100])],
        std::slice::from_ref(&positions),
    );
    assert_eq!(TrajArrays::read_npz(&path).unwrap().step, [0, 1, 10, 100]);
    // Writers are held to the same rule.
    let mut t = TrajArrays::new(1);
    t.push_frame(5, 0.0, [0.0; 2], &[[0.0; 3]], None, None);
    t.push_frame(5, 0.0, [0.0; 2], &[[0.0; 3]], None, None);
    assert_eq!(bad_array(t.write_npz_atomic(&path).unwrap_err()).1, "step");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn shape_that_does_not_hold_its_values_is_refused() {
    // A (T, N, 3) header whose product overflows 64 bits wraps to the few values present.
    let dir = scratch("shape");
    let path = dir.join("x-traj-arrays.npz");
    write_npz(&path, &[], &[("positions", vec![1 << 62, 4, 3], vec![])]);
    let err = TrajArrays::read_npz(&path).unwrap_err();
    assert_eq!(bad_array(err).1, "positions");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_npz_of_shared_testdata_still_reads() {
    let files: Vec<PathBuf> = glob::glob(shared("testdata/*.npz").to_str().unwrap())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!files.is_empty());
    for file in files {
        let t = TrajArrays::read_npz(&file).unwrap_or_else(|e| panic!("{e}"));
        assert!(t.n_frames() > 0, "{}", file.display());
    }
}
