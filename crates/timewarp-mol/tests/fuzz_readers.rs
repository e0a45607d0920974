//! Fuzzing of the mol readers with seeded random mutations (see `tests/mutate`): the PDB reader
//! on mutated `shared/testdata/ala2.pdb` text and the NPZ reader on mutated copies of a small
//! trajectory written here. Every input must give a value or an error — never a panic — in
//! bounded time.

mod mutate;

use mutate::{mutate, mutate_lines, mutations, seed, Campaign, Rng, TEXT_TOKENS};
use npyz::zip::write::FileOptions;
use npyz::zip::{CompressionMethod, ZipArchive, ZipWriter};
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;
use timewarp_mol::traj::TrajArrays;

const PDB_MUTATIONS: usize = 2500;
const NPZ_MUTATIONS: usize = 2500;
const SEED: u64 = 0x7064_625f_6675_7a7a;

fn shared(rel: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")).join(rel)
}

#[test]
fn pdb_reader_survives_mutated_text() {
    let original = std::fs::read(shared("testdata/ala2.pdb")).unwrap();
    let text = String::from_utf8(original.clone()).unwrap();
    timewarp_mol::parse_pdb(&text, "ala2.pdb").unwrap();
    let seed = seed(SEED);
    let mut rng = Rng::new(seed);
    let mut campaign = Campaign::default();
    for i in 0..mutations(PDB_MUTATIONS) {
        // Byte edits (as read_pdb sees them: lossy UTF-8), line edits, or both.
        let mutated = match rng.below(3) {
            0 => {
                let mut bytes = original.clone();
                mutate(&mut rng, &mut bytes, None, &TEXT_TOKENS);
                String::from_utf8_lossy(&bytes).into_owned()
            }
            1 => mutate_lines(&mut rng, &text),
            _ => {
                let mut bytes = mutate_lines(&mut rng, &text).into_bytes();
                mutate(&mut rng, &mut bytes, None, &TEXT_TOKENS);
                String::from_utf8_lossy(&bytes).into_owned()
            }
        };
        campaign.run(format!("pdb seed {seed:#x} mutation {i}"), || {
            timewarp_mol::parse_pdb(&mutated, "mutated.pdb").is_ok()
        });
    }
    campaign.check("parse_pdb", Duration::from_secs(2));
}

/// The entries of an NPZ archive, in order.
fn entries(npz: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = ZipArchive::new(Cursor::new(npz)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).unwrap();
            (f.name().to_string(), bytes)
        })
        .collect()
}

fn zip_of(entries: &[(String, Vec<u8>)], deflate: bool) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let method = if deflate {
        CompressionMethod::Deflated
    } else {
        CompressionMethod::Stored
    };
    for (name, bytes) in entries {
        zip.start_file(
            name.as_str(),
            FileOptions::default().compression_method(method),
        )
        .unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn npz_reader_survives_mutated_archives() {
    let mut traj = TrajArrays::new(3);
    for f in 0..4 {
        let x: Vec<[f64; 3]> = (0..3).map(|a| [f as f64, a as f64, 0.5]).collect();
        traj.push_frame(10 * f, 0.5 * f as f64, [-1.0, 2.0], &x, Some(&x), Some(&x));
    }
    let mut npz = Cursor::new(Vec::new());
    traj.write_npz(&mut npz).unwrap();
    let npz = npz.into_inner();
    let parts = entries(&npz);
    let dir = std::env::temp_dir().join(format!("timewarp-mol-fuzz-npz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("fuzz-traj-arrays.npz");
    std::fs::write(&path, zip_of(&parts, false)).unwrap();
    assert_eq!(TrajArrays::read_npz(&path).unwrap(), traj);

    let seed = seed(SEED ^ 1);
    let mut rng = Rng::new(seed);
    let mut campaign = Campaign::default();
    for i in 0..mutations(NPZ_MUTATIONS) {
        let bytes = match rng.below(10) {
            // The archive itself: zip headers, CRCs, compressed data.
            0..=2 => {
                let mut bytes = npz.clone();
                mutate(&mut rng, &mut bytes, None, &[]);
                bytes
            }
            // One array, mostly its .npy header (magic, dtype, shape), re-zipped intact.
            3..=8 => {
                let mut parts = parts.clone();
                let k = rng.below(parts.len());
                mutate(&mut rng, &mut parts[k].1, Some(0..128), &TEXT_TOKENS);
                zip_of(&parts, rng.chance(0.5))
            }
            // Whole arrays dropped or exchanged (e.g. integer `step` as `positions`).
            _ => {
                let mut parts = parts.clone();
                let (a, b) = (rng.below(parts.len()), rng.below(parts.len()));
                if rng.chance(0.5) {
                    parts.remove(a);
                } else {
                    let tmp = parts[a].1.clone();
                    parts[a].1 = parts[b].1.clone();
                    parts[b].1 = tmp;
                }
                zip_of(&parts, false)
            }
        };
        std::fs::write(&path, &bytes).unwrap();
        campaign.run(format!("npz seed {seed:#x} mutation {i}"), || {
            TrajArrays::read_npz(&path).is_ok()
        });
    }
    std::fs::remove_dir_all(&dir).unwrap();
    campaign.check("TrajArrays::read_npz", Duration::from_secs(2));
}
