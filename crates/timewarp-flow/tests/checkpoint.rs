//! Our checkpoint folders, and import of official PyTorch state dicts (.safetensors, .pt).

mod common;

use std::path::PathBuf;

use burn::backend::NdArray;
use common::{batch, host, tiny_config, tiny_model, Molecule};
use timewarp_flow::state_dict::{read_safetensors, write_safetensors, StateTensor, StoredDtype};
use timewarp_flow::{
    flow_from_state_dict, flow_to_state_dict, import_official, load_checkpoint, save_checkpoint,
    CheckpointError, FlowConfig, ImportError, TimewarpFlow,
};

type F32 = NdArray<f32>;
type F64 = NdArray<f64>;

fn scratch_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("timewarp-flow-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn parity_file(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/parity"
    ))
    .join(name)
}

fn ignorevel_config() -> FlowConfig {
    let fixture: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(parity_file("fixture_small_ignorevel.json")).unwrap(),
    )
    .unwrap();
    serde_json::from_value(fixture["model_config"]["custom_transformer_nvp_config"].clone())
        .unwrap()
}

#[test]
fn checkpoint_round_trip_is_exact() {
    let device = Default::default();
    let dir = scratch_dir("round-trip");
    let model = tiny_model::<F32>(8, &device);
    save_checkpoint(&dir, &model, &tiny_config()).unwrap();
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.contains(&"model.safetensors".into()) && names.contains(&"config.json".into()),
        "{names:?}"
    );
    assert!(
        names.iter().all(|n| !n.ends_with(".tmp")),
        "temporary files left: {names:?}"
    );
    let weights = read_safetensors(&dir.join("model.safetensors")).unwrap();
    assert!(weights.values().all(|t| t.dtype == StoredDtype::F32));

    let loaded: TimewarpFlow<F32> = load_checkpoint(&dir, &device).unwrap();
    assert_eq!(flow_to_state_dict(&loaded), flow_to_state_dict(&model));
    assert_eq!(loaded.config(), model.config());
    let molecules = [Molecule::random(5, 3), Molecule::random(3, 4)];
    let pair = batch::<F32>(&molecules, None, &device);
    assert_eq!(host(loaded.log_prob(&pair)), host(model.log_prob(&pair)));

    // Saving again replaces the files in place.
    let other = tiny_model::<F32>(9, &device);
    save_checkpoint(&dir, &other, &tiny_config()).unwrap();
    let reloaded: TimewarpFlow<F32> = load_checkpoint(&dir, &device).unwrap();
    assert_eq!(flow_to_state_dict(&reloaded), flow_to_state_dict(&other));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn save_refuses_a_config_that_does_not_describe_the_model() {
    let device = Default::default();
    let dir = scratch_dir("mismatch");
    let model = tiny_model::<F32>(1, &device);
    let mut config = tiny_config();
    config.num_transformer_layers = 2;
    let err = save_checkpoint(&dir, &model, &config).unwrap_err();
    assert!(
        matches!(err, CheckpointError::ConfigMismatch { .. }),
        "{err}"
    );
    assert!(!dir.join("model.safetensors").exists());
}

#[test]
fn f64_checkpoint_keeps_official_weights_bit_for_bit() {
    let device = Default::default();
    let config = ignorevel_config();
    let model: TimewarpFlow<F64> = import_official(
        parity_file("weights_small_ignorevel.safetensors"),
        &config,
        &device,
    )
    .unwrap();
    let dir = scratch_dir("f64");
    save_checkpoint(&dir, &model, &config).unwrap();
    let saved = read_safetensors(&dir.join("model.safetensors")).unwrap();
    let original = read_safetensors(&parity_file("weights_small_ignorevel.safetensors")).unwrap();
    assert_eq!(saved, original);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn import_reports_missing_unexpected_and_misshapen_tensors_by_name() {
    let device = Default::default();
    let config = tiny_config();
    let mut dict = flow_to_state_dict(&tiny_model::<F32>(2, &device));
    dict.remove("flow.chain.1.scale_transformer.encoder_layers.0.norm2.bias");
    dict.insert(
        "flow.chain.7.extra.weight".into(),
        StateTensor::new(vec![1], vec![0.0], StoredDtype::F32),
    );
    dict.get_mut("flow.atom_embedder.weight").unwrap().shape = vec![4, 5];
    let err =
        flow_from_state_dict::<F32>(&config, &dict, "edited.safetensors", &device).unwrap_err();
    let ImportError::Mismatch {
        report,
        source_name,
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(source_name, "edited.safetensors");
    assert_eq!(
        report.missing,
        vec!["flow.chain.1.scale_transformer.encoder_layers.0.norm2.bias".to_string()]
    );
    assert_eq!(
        report.unexpected,
        vec!["flow.chain.7.extra.weight".to_string()]
    );
    assert_eq!(report.shape_mismatches.len(), 1);
    assert_eq!(report.shape_mismatches[0].name, "flow.atom_embedder.weight");
    let message = err.to_string();
    assert!(
        message.contains("norm2.bias")
            && message.contains("extra.weight")
            && message.contains("[4, 5]"),
        "{message}"
    );
}

#[test]
fn import_rejects_length_scales_that_differ_between_layers() {
    let device = Default::default();
    let mut dict = flow_to_state_dict(&tiny_model::<F32>(2, &device));
    let name = "flow.chain.1.shift_transformer.encoder_layers.0.self_attn.attention.lengthscales";
    dict.get_mut(name).unwrap().values[0] = 0.3;
    let err = flow_from_state_dict::<F32>(&tiny_config(), &dict, "edited", &device).unwrap_err();
    assert!(err.to_string().contains(name), "{err}");
}

#[test]
fn module_prefix_of_training_checkpoints_is_stripped() {
    let device = Default::default();
    let model = tiny_model::<F32>(5, &device);
    let dict: timewarp_flow::state_dict::StateDict = flow_to_state_dict(&model)
        .into_iter()
        .map(|(k, v)| (format!("module.{k}"), v))
        .collect();
    let dir = scratch_dir("prefix");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("wrapped.safetensors");
    write_safetensors(&dict, &path).unwrap();
    let imported: TimewarpFlow<F32> = import_official(&path, &tiny_config(), &device).unwrap();
    assert_eq!(flow_to_state_dict(&imported), flow_to_state_dict(&model));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn official_torch_checkpoint_imports() {
    // Written by tests/data/make_official_checkpoint.py: the ignorevel fixture weights as an
    // official training checkpoint (float32, `module.` prefix, optimiser state, dataclass config,
    // a transposed and two storage-sharing tensors).
    let device = Default::default();
    let config = ignorevel_config();
    let pt = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/official_checkpoint_small_ignorevel.pt"
    ));
    let model: TimewarpFlow<F64> =
        import_official(&pt, &config, &device).unwrap_or_else(|e| panic!("{e}"));
    let imported = flow_to_state_dict(&model);
    let original = read_safetensors(&parity_file("weights_small_ignorevel.safetensors")).unwrap();
    assert_eq!(imported.len(), original.len());
    for (name, t) in &original {
        let rounded: Vec<f64> = t.values.iter().map(|&v| v as f32 as f64).collect();
        assert_eq!(imported[name].values, rounded, "{name}");
        assert_eq!(imported[name].shape, t.shape, "{name}");
    }

    // The float32-rounded weights still give the official log-likelihoods to ~1e-6.
    let fixture: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(parity_file("fixture_small_ignorevel.json")).unwrap(),
    )
    .unwrap();
    let reference: TimewarpFlow<F64> = import_official(
        parity_file("weights_small_ignorevel.safetensors"),
        &config,
        &device,
    )
    .unwrap();
    let molecule = fixture["molecule"]["pdb_coords_nm"].as_array().unwrap();
    let coords: Vec<[f64; 3]> = molecule
        .iter()
        .map(|p| std::array::from_fn(|k| p[k].as_f64().unwrap()))
        .collect();
    let types: Vec<i64> = fixture["molecule"]["atom_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_i64().unwrap())
        .collect();
    let mut m = Molecule::random(types.len(), 1);
    m.atom_types = types;
    m.y_coords = m
        .y_coords
        .iter()
        .zip(&m.x_coords)
        .zip(&coords)
        .map(|((y, x), c)| std::array::from_fn(|k| c[k] + y[k] - x[k]))
        .collect();
    m.x_coords = coords;
    let pair = batch::<F64>(&[m], None, &device);
    let (a, b) = (
        host(model.log_prob(&pair))[0],
        host(reference.log_prob(&pair))[0],
    );
    assert!(
        (a - b).abs() < 1e-5 * b.abs(),
        "f32 weights {a} vs f64 weights {b}"
    );
}

#[test]
fn unreadable_files_are_named() {
    let device = Default::default();
    let err = import_official::<F32>("/nonexistent/model.pt", &tiny_config(), &device).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/model.pt"), "{err}");
    let err = import_official::<F32>("weights.bin", &tiny_config(), &device).unwrap_err();
    assert!(matches!(err, ImportError::Format { .. }), "{err}");
    let dir = scratch_dir("garbage");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("garbage.pt");
    std::fs::write(&path, b"not a zip").unwrap();
    let err = import_official::<F32>(&path, &tiny_config(), &device).unwrap_err();
    assert!(err.to_string().contains("garbage.pt"), "{err}");
    let err = load_checkpoint::<F32>(&dir, &device).unwrap_err();
    assert!(err.to_string().contains("config.json"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
