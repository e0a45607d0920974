//! Fuzzing of the official-weights loaders with seeded random mutations (see
//! `timewarp-mol/tests/mutate`): `import_official` on mutated copies of
//! `shared/parity/weights_*.safetensors` (mostly their JSON header, where the structure is) and
//! of the torch.save checkpoint `tests/data/official_checkpoint_small_ignorevel.pt` (mostly its
//! pickle, re-zipped so that the zip's checksums still hold, and sometimes the raw archive).
//! Every input must give a model or an error — never a panic, an abort or a runaway
//! allocation — in bounded time.

#[path = "../../timewarp-mol/tests/mutate/mod.rs"]
mod mutate;

use mutate::{mutate, mutations, seed, Campaign, Rng};
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;
use timewarp_flow::{import_official, FlowConfig};

type F32 = burn::backend::NdArray<f32>;

const SAFETENSORS_MUTATIONS: usize = 1000;
const TORCH_MUTATIONS: usize = 1000;
const SEED: u64 = 0x7765_6967_6874_7300;

fn parity(name: &str) -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/parity"
    ))
    .join(name)
}

fn config(fixture: &str) -> FlowConfig {
    let fixture: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(parity(fixture)).unwrap()).unwrap();
    serde_json::from_value(fixture["model_config"]["custom_transformer_nvp_config"].clone())
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("timewarp-flow-fuzz-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn safetensors_loader_survives_mutated_files() {
    let device = Default::default();
    let sources: Vec<(Vec<u8>, FlowConfig)> = [
        ("weights_small.safetensors", "fixture_small.json"),
        (
            "weights_small_ignorevel.safetensors",
            "fixture_small_ignorevel.json",
        ),
    ]
    .iter()
    .map(|(weights, fixture)| (std::fs::read(parity(weights)).unwrap(), config(fixture)))
    .collect();
    let dir = scratch("safetensors");
    let path = dir.join("mutated.safetensors");
    for (bytes, config) in &sources {
        std::fs::write(&path, bytes).unwrap();
        import_official::<F32>(&path, config, &device).unwrap();
    }
    let seed = seed(SEED);
    let mut rng = Rng::new(seed);
    let mut campaign = Campaign::default();
    for i in 0..mutations(SAFETENSORS_MUTATIONS) {
        let (original, config) = &sources[i % sources.len()];
        // The 8-byte header length and the JSON header (names, dtypes, shapes, offsets).
        let header_len = u64::from_le_bytes(original[..8].try_into().unwrap()) as usize;
        let mut bytes = original.clone();
        mutate(&mut rng, &mut bytes, Some(0..8 + header_len), &JSON_TOKENS);
        std::fs::write(&path, &bytes).unwrap();
        campaign.run(format!("safetensors seed {seed:#x} mutation {i}"), || {
            import_official::<F32>(&path, config, &device).is_ok()
        });
    }
    std::fs::remove_dir_all(&dir).unwrap();
    campaign.check("import_official (.safetensors)", Duration::from_secs(5));
}

/// Tokens of the safetensors JSON header.
const JSON_TOKENS: [&str; 16] = [
    "\"F16\"",
    "\"I64\"",
    "\"BOOL\"",
    "\"F64\"",
    "[]",
    "[0]",
    "[18446744073709551615]",
    "[4294967296,4294967296]",
    "-1",
    "0",
    "99999999999",
    "{",
    "}",
    ",",
    ":",
    "\"__metadata__\"",
];

/// Pickle opcodes and arguments that build the containers, integers and globals of a
/// checkpoint.
const PICKLE_TOKENS: [&str; 16] = [
    "(",
    ")",
    "t",
    "\u{85}",
    "\u{86}",
    "R",
    "}",
    "]",
    "s",
    "u",
    "h\u{0}",
    "J\u{ff}\u{ff}\u{ff}\u{7f}",
    "\u{8a}\u{8}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{80}",
    "K\u{ff}",
    "Q",
    ".",
];

/// The entries of a zip archive, in order.
fn entries(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).unwrap();
            (f.name().to_string(), bytes)
        })
        .collect()
}

fn zip_of(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in entries {
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn torch_checkpoint_loader_survives_mutated_files() {
    let device = Default::default();
    let config = config("fixture_small_ignorevel.json");
    let original = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/official_checkpoint_small_ignorevel.pt"
    ))
    .unwrap();
    let parts = entries(&original);
    let pickle = parts
        .iter()
        .position(|(n, _)| n.ends_with("/data.pkl"))
        .unwrap();
    let dir = scratch("torch");
    let path = dir.join("mutated.pt");
    std::fs::write(&path, zip_of(&parts)).unwrap();
    import_official::<F32>(&path, &config, &device).unwrap();

    let seed = seed(SEED ^ 1);
    let mut rng = Rng::new(seed);
    let mut campaign = Campaign::default();
    // Each char of a token stands for one byte (all are below 256).
    let token_bytes: Vec<Vec<u8>> = PICKLE_TOKENS
        .iter()
        .map(|t| t.chars().map(|c| c as u32 as u8).collect())
        .collect();
    for i in 0..mutations(TORCH_MUTATIONS) {
        let bytes = if rng.chance(0.2) {
            // The raw archive: zip headers and checksums.
            let mut bytes = original.clone();
            mutate(&mut rng, &mut bytes, None, &[]);
            bytes
        } else {
            // The pickle (opcodes, tensor sizes, strides, offsets, storage keys), re-zipped
            // intact; now and then a pickle token spliced in as raw bytes.
            let mut parts = parts.clone();
            let data = &mut parts[pickle].1;
            mutate(&mut rng, data, None, &[]);
            if rng.chance(0.3) {
                let at = rng.below(data.len() + 1);
                let token = rng.pick(&token_bytes).clone();
                data.splice(at..at, token);
            }
            zip_of(&parts)
        };
        std::fs::write(&path, &bytes).unwrap();
        campaign.run(format!("torch seed {seed:#x} mutation {i}"), || {
            import_official::<F32>(&path, &config, &device).is_ok()
        });
    }
    std::fs::remove_dir_all(&dir).unwrap();
    campaign.check("import_official (.pt)", Duration::from_secs(5));
}
