//! Crafted torch.save files that once crashed the checkpoint reader (found by reading the
//! pickle machine while writing `fuzz_state_dicts.rs`; random mutation rarely builds them):
//! tensor sizes that ask for terabytes (the allocation aborted the process), offsets beyond the
//! storage, a dict that holds itself under `model` (endless search), and values nested a
//! million deep (stack overflow on drop, on printing and in `_rebuild_from_type_v2`). Each must
//! be an error that names the file.

use std::io::{Cursor, Write};
use std::path::PathBuf;
use timewarp_flow::{import_official, preset};

type F32 = burn::backend::NdArray<f32>;

/// Pickle opcodes (protocol 2–4).
mod op {
    pub const PROTO2: &[u8] = b"\x80\x02";
    pub const EMPTY_DICT: u8 = b'}';
    pub const MARK: u8 = b'(';
    pub const TUPLE: u8 = b't';
    pub const TUPLE1: u8 = 0x85;
    pub const TUPLE3: u8 = 0x87;
    pub const EMPTY_TUPLE: u8 = b')';
    pub const BINPERSID: u8 = b'Q';
    pub const REDUCE: u8 = b'R';
    pub const SETITEM: u8 = b's';
    pub const MEMOIZE: u8 = 0x94;
    pub const BINGET: u8 = b'h';
    pub const BINPUT: u8 = b'q';
    pub const POP: u8 = b'0';
    pub const NONE: u8 = b'N';
    pub const NEWOBJ: u8 = 0x81;
    pub const STOP: u8 = b'.';
}

fn string(p: &mut Vec<u8>, s: &str) {
    p.push(b'X');
    p.extend((s.len() as u32).to_le_bytes());
    p.extend(s.as_bytes());
}

fn global(p: &mut Vec<u8>, module: &str, name: &str) {
    p.push(b'c');
    p.extend(format!("{module}\n{name}\n").as_bytes());
}

fn int(p: &mut Vec<u8>, v: i64) {
    // LONG1 with 8 bytes: any i64.
    p.extend([0x8a, 8]);
    p.extend(v.to_le_bytes());
}

/// `{"w": _rebuild_tensor_v2(storage "0" (float32), offset, size, stride)}`.
fn one_tensor(offset: i64, size: &[i64], stride: &[i64]) -> Vec<u8> {
    let mut p = op::PROTO2.to_vec();
    p.push(op::EMPTY_DICT);
    string(&mut p, "w");
    global(&mut p, "torch._utils", "_rebuild_tensor_v2");
    p.push(op::MARK);
    p.push(op::MARK);
    string(&mut p, "storage");
    global(&mut p, "torch", "FloatStorage");
    string(&mut p, "0");
    string(&mut p, "cpu");
    int(&mut p, 1);
    p.push(op::TUPLE);
    p.push(op::BINPERSID);
    int(&mut p, offset);
    for list in [size, stride] {
        p.push(op::MARK);
        for &v in list {
            int(&mut p, v);
        }
        p.push(op::TUPLE);
    }
    p.push(op::TUPLE);
    p.push(op::REDUCE);
    p.push(op::SETITEM);
    p.push(op::STOP);
    p
}

/// Writes `archive/data.pkl` and one 4-byte storage `archive/data/0` as a .pt file.
fn torch_file(name: &str, pickle: &[u8]) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "timewarp-flow-pickle-{}-{name}.pt",
        std::process::id()
    ));
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (entry, bytes) in [
        ("archive/data.pkl", pickle),
        ("archive/data/0", &1.5f32.to_le_bytes()[..]),
    ] {
        zip.start_file(entry, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    std::fs::write(&path, zip.finish().unwrap().into_inner()).unwrap();
    path
}

/// The reader's error for `pickle` (it must not succeed), checked to name the file.
fn error_of(name: &str, pickle: &[u8]) -> String {
    let path = torch_file(name, pickle);
    let device = Default::default();
    let err = match import_official::<F32>(&path, &preset("tiny").unwrap(), &device) {
        Ok(_) => panic!("{name}: a model from a crafted file"),
        Err(e) => e.to_string(),
    };
    std::fs::remove_file(&path).unwrap();
    assert!(err.contains(&path.display().to_string()), "{err}");
    err
}

#[test]
fn the_crafted_file_itself_reads() {
    // The same layout with sane numbers is a state dict of one tensor (which the model lacks).
    let err = error_of("sane", &one_tensor(0, &[1], &[1]));
    assert!(
        err.contains("unexpected keys") && err.contains('w'),
        "{err}"
    );
}

#[test]
fn tensor_sizes_beyond_the_storage_are_errors_not_aborts() {
    for (name, offset, size, stride) in [
        ("terabytes", 0, vec![1i64 << 40], vec![1i64]),
        ("broadcast", 0, vec![1 << 40], vec![0]),
        ("overflowing-product", 0, vec![1 << 32, 1 << 32], vec![1, 1]),
        ("two-elements", 0, vec![2], vec![1]),
        ("offset", 5, vec![1], vec![1]),
        ("negative-offset", -1, vec![1], vec![1]),
        ("huge-stride", 0, vec![2], vec![i64::MAX]),
    ] {
        let err = error_of(name, &one_tensor(offset, &size, &stride));
        assert!(
            err.contains("tensor w") && err.contains("storage 0"),
            "{name}: {err}"
        );
    }
}

#[test]
fn dict_that_holds_itself_is_an_error_not_an_endless_search() {
    let mut p = op::PROTO2.to_vec();
    p.push(op::EMPTY_DICT);
    p.push(op::MEMOIZE);
    string(&mut p, "model");
    p.extend([op::BINGET, 0]);
    p.push(op::SETITEM);
    p.push(op::STOP);
    let err = error_of("self-dict", &p);
    assert!(err.contains("no state dict"), "{err}");
}

#[test]
fn values_nested_a_million_deep_are_errors_not_stack_overflows() {
    // A million nested 1-tuples as the root (dropped at the end) ...
    let mut p = op::PROTO2.to_vec();
    p.push(op::NONE);
    p.extend(std::iter::repeat_n(op::TUPLE1, 1_000_000));
    p.push(op::STOP);
    assert!(error_of("deep-root", &p).contains("no state dict"));

    // ... popped from the stack mid-way ...
    let mut p = op::PROTO2.to_vec();
    p.push(op::NONE);
    p.extend(std::iter::repeat_n(op::TUPLE1, 1_000_000));
    p.extend([op::POP, op::EMPTY_DICT, op::STOP]);
    assert!(error_of("deep-popped", &p).contains("no state dict"));

    // ... as the class of an object, whose name goes into messages ...
    let mut p = op::PROTO2.to_vec();
    p.push(op::NONE);
    p.extend(std::iter::repeat_n(op::TUPLE1, 1_000_000));
    p.extend([op::EMPTY_TUPLE, op::NEWOBJ, op::STOP]);
    assert!(error_of("deep-class", &p).contains("no state dict"));

    // ... and as a chain of _rebuild_from_type_v2(func, type, (func, type, (...))).
    let mut p = op::PROTO2.to_vec();
    global(&mut p, "torch._tensor", "_rebuild_from_type_v2");
    p.extend([
        op::BINPUT,
        0,
        op::POP,
        op::EMPTY_TUPLE,
        op::BINPUT,
        1,
        op::POP,
    ]);
    for _ in 0..200_000 {
        p.extend([
            op::BINGET,
            0,
            op::NONE,
            op::BINGET,
            1,
            op::TUPLE3,
            op::BINPUT,
            1,
            op::POP,
        ]);
    }
    p.extend([op::BINGET, 0, op::BINGET, 1, op::REDUCE, op::STOP]);
    assert!(error_of("deep-rebuild", &p).contains("_rebuild_from_type_v2"));
}
