//! Parity with the official PyTorch Timewarp model, in f64, on every fixture in
//! shared/parity (new `fixture_*.json` files are picked up without code changes).
//! The fixtures and their conventions are described in shared/parity/README.md.

use std::path::{Path, PathBuf};

use burn::backend::NdArray;
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde_json::Value;
use timewarp_flow::host::{float_options, int_options};
use timewarp_flow::{
    flow_from_state_dict, flow_to_state_dict, state_dict::read_safetensors, FlowBatch, FlowConfig,
    TimewarpFlow,
};

type B = NdArray<f64>;

/// |ours − official| / max(1, |official|) must stay below this everywhere.
const TOLERANCE: f64 = 1e-8;

fn parity_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/parity"
    ))
}

fn fixtures() -> Vec<PathBuf> {
    let pattern = parity_dir().join("fixture_*.json");
    let paths: Vec<PathBuf> = glob::glob(pattern.to_str().unwrap())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        !paths.is_empty(),
        "no parity fixtures matched {}",
        pattern.display()
    );
    paths
}

/// A fixture tensor {"shape", "dtype", "data"} as (shape, f64 values).
fn array(v: &Value) -> (Vec<usize>, Vec<f64>) {
    let shape = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| match x {
            Value::Bool(b) => f64::from(u8::from(*b)),
            other => other.as_f64().unwrap(),
        })
        .collect();
    (shape, data)
}

fn tensor<const D: usize>(v: &Value, device: &Device<B>) -> Tensor<B, D> {
    let (shape, data) = array(v);
    Tensor::from_data(TensorData::new(data, shape), float_options::<B>(device))
}

fn values<const D: usize>(t: Tensor<B, D>) -> Vec<f64> {
    t.into_data().iter::<f64>().collect()
}

fn batch_from_inputs(inputs: &Value, device: &Device<B>) -> FlowBatch<B> {
    let (shape, types) = array(&inputs["atom_types"]);
    let atom_types: Tensor<B, 2, Int> = Tensor::from_data(
        TensorData::new(types.iter().map(|&t| t as i64).collect::<Vec<_>>(), shape),
        int_options::<B>(device),
    );
    // Official `masked_elements` is True for padding; our mask is 1 for real atoms.
    let (shape, padding) = array(&inputs["masked_elements"]);
    let mask = Tensor::from_data(
        TensorData::new(padding.iter().map(|p| 1.0 - p).collect::<Vec<_>>(), shape),
        float_options::<B>(device),
    );
    FlowBatch {
        atom_types,
        mask,
        x_coords: tensor(&inputs["x_coords"], device),
        x_velocs: tensor(&inputs["x_velocs"], device),
        y_coords: tensor(&inputs["y_coords"], device),
        y_velocs: tensor(&inputs["y_velocs"], device),
    }
}

/// Records the worst deviation of every compared quantity.
#[derive(Default)]
struct Deviations {
    rows: Vec<(String, f64, f64)>,
}

impl Deviations {
    fn compare(&mut self, what: String, ours: &[f64], official: &Value) {
        let (_, want) = array(official);
        assert_eq!(ours.len(), want.len(), "{what}: length");
        let mut max_abs = 0f64;
        let mut max_scaled = 0f64;
        for (o, w) in ours.iter().zip(&want) {
            let d = (o - w).abs();
            assert!(d.is_finite(), "{what}: non-finite value {o} (official {w})");
            max_abs = max_abs.max(d);
            max_scaled = max_scaled.max(d / w.abs().max(1.0));
        }
        self.rows.push((what, max_abs, max_scaled));
    }

    fn compare_scalar(&mut self, what: String, ours: f64, official: f64) {
        let d = (ours - official).abs();
        self.rows.push((what, d, d / official.abs().max(1.0)));
    }
}

fn check_batch(name: &str, model: &TimewarpFlow<B>, fixture_batch: &Value, dev: &mut Deviations) {
    let device = Default::default();
    let batch = batch_from_inputs(&fixture_batch["inputs"], &device);
    let cond = batch.condition();

    // Conditioning: centring, embedding, attention weights.
    let flow_inputs = &fixture_batch["flow_inputs"];
    let centred = model.centred_coords(batch.x_coords.clone(), batch.mask.clone());
    dev.compare(
        format!("{name} x_coords_centred"),
        &values(centred.clone()),
        &flow_inputs["x_coords_centred"],
    );
    let features = model.atom_embedder.forward(batch.atom_types.clone());
    dev.compare(
        format!("{name} x_features"),
        &values(features),
        &flow_inputs["x_features"],
    );
    let attention = model.kernel.weights(centred, batch.mask.clone());
    dev.compare(
        format!("{name} attention_scores"),
        &values(attention),
        &fixture_batch["attention_scores"],
    );

    // Data → latent, layer by layer.
    let (latent, layers) = model.data_to_latent_layers(&batch);
    let official_latent = &fixture_batch["latent"];
    dev.compare(
        format!("{name} z_coords"),
        &values(latent.z_coords.clone()),
        &official_latent["z_coords"],
    );
    dev.compare(
        format!("{name} z_velocs"),
        &values(latent.z_velocs.clone()),
        &official_latent["z_velocs"],
    );
    dev.compare(
        format!("{name} logdet_total"),
        &values(latent.logdet.clone()),
        &official_latent["logdet_total"],
    );
    dev.compare(
        format!("{name} log_prob_z_coords"),
        &values(latent.log_prob_z_coords.clone()),
        &official_latent["log_prob_z_coords"],
    );
    dev.compare(
        format!("{name} log_prob_z_velocs"),
        &values(latent.log_prob_z_velocs.clone()),
        &official_latent["log_prob_z_velocs"],
    );
    let per_layer = fixture_batch["per_layer_data_to_latent"]
        .as_array()
        .unwrap();
    assert_eq!(
        per_layer.len(),
        layers.len(),
        "{name}: number of coupling layers"
    );
    for (k, (ours, official)) in layers.iter().zip(per_layer).enumerate() {
        let expected_vars = official["transformed_vars"].as_str().unwrap();
        let ours_vars = match model.couplings[k].transformed_vars {
            timewarp_flow::TransformedVars::Positions => "positions",
            timewarp_flow::TransformedVars::Velocities => "velocities",
        };
        assert_eq!(ours_vars, expected_vars, "{name}: coupling {k} transforms");
        dev.compare(
            format!("{name} layer {k} z_coords"),
            &values(ours.z_coords.clone()),
            &official["z_coords_after"],
        );
        dev.compare(
            format!("{name} layer {k} z_velocs"),
            &values(ours.z_velocs.clone()),
            &official["z_velocs_after"],
        );
        dev.compare(
            format!("{name} layer {k} logdet"),
            &values(ours.logdet.clone()),
            &official["logdet"],
        );
    }

    // Log-likelihood (a) and the training loss.
    let log_prob = model.log_prob(&batch);
    dev.compare(
        format!("{name} log_likelihood"),
        &values(log_prob.clone()),
        &fixture_batch["log_likelihood"],
    );
    let per_atom = log_prob / batch.num_atoms();
    dev.compare(
        format!("{name} log_likelihood_per_atom"),
        &values(per_atom),
        &fixture_batch["log_likelihood_per_atom"],
    );
    let loss = values(model.nll_loss(&batch))[0];
    dev.compare_scalar(
        format!("{name} nll_loss"),
        loss,
        fixture_batch["nll_loss"].as_f64().unwrap(),
    );

    // Internals of coupling layer 0's scale network (only recorded for some batches).
    if let Some(internals) = fixture_batch.get("layer0_internals") {
        let ctx = model.conditioning(&cond);
        let coupling = &model.couplings[0];
        // Layer 0 transforms positions, so its tokens carry the untouched velocities y^v.
        let tokens = ctx.tokens(batch.y_velocs.clone());
        let [b, n, _] = batch.y_velocs.dims();
        let as3 = |t: Tensor<B, 2>| {
            let w = t.dims()[1];
            values(t.reshape([b, n, w]))
        };
        dev.compare(
            format!("{name} layer0 input_tokens"),
            &as3(tokens.clone()),
            &internals["scale_net_input_tokens"],
        );
        let net = &coupling.scale_transformer;
        let mut a = net.in_mlp.forward(tokens.clone());
        dev.compare(
            format!("{name} layer0 in_mlp_out"),
            &as3(a.clone()),
            &internals["scale_net_in_mlp_out"],
        );
        let first = &net.encoder_layers[0];
        let attn_out = first.self_attn.forward(a.clone(), &ctx.attention);
        dev.compare(
            format!("{name} layer0 enc0_self_attn_out"),
            &as3(attn_out),
            &internals["scale_net_enc0_self_attn_out"],
        );
        let after_norm1 = first.attention_block(a.clone(), &ctx.attention);
        dev.compare(
            format!("{name} layer0 enc0_after_norm1"),
            &as3(after_norm1),
            &internals["scale_net_enc0_after_norm1"],
        );
        for (l, layer) in net.encoder_layers.iter().enumerate() {
            a = layer.forward(a, &ctx.attention);
            dev.compare(
                format!("{name} layer0 enc{l}_out"),
                &as3(a.clone()),
                &internals[format!("scale_net_enc{l}_out")],
            );
        }
        let (log_scale, shift) = coupling.log_scale_and_shift(&ctx, batch.y_velocs.clone());
        dev.compare(
            format!("{name} layer0 log_scale_raw"),
            &values(log_scale),
            &internals["log_scale_raw"],
        );
        dev.compare(
            format!("{name} layer0 shift"),
            &values(shift),
            &internals["shift"],
        );
    }

    // Sampling (c) from the recorded latents.
    let sample = &fixture_batch["sample"];
    let z_coords: Tensor<B, 3> = tensor(&sample["z_coords"], &device);
    let z_velocs: Tensor<B, 3> = tensor(&sample["z_velocs"], &device);
    let (sigma_p, sigma_v) = model.prior_scales();
    let eps_p: Tensor<B, 3> = tensor(&sample["eps_coords"], &device);
    let eps_v: Tensor<B, 3> = tensor(&sample["eps_velocs"], &device);
    dev.compare(
        format!("{name} sample z_coords = σ_p ε"),
        &values(eps_p * sigma_p),
        &sample["z_coords"],
    );
    dev.compare(
        format!("{name} sample z_velocs = σ_v ε"),
        &values(eps_v * sigma_v),
        &sample["z_velocs"],
    );
    let drawn = model.sample_with_latents(&cond, z_coords, z_velocs);
    let displacement = drawn.y_coords.clone() - batch.x_coords.clone();
    dev.compare(
        format!("{name} sample displacement"),
        &values(displacement),
        &sample["model_output_coords_displacement"],
    );
    dev.compare(
        format!("{name} sample y_coords"),
        &values(drawn.y_coords.clone()),
        &sample["y_coords"],
    );
    dev.compare(
        format!("{name} sample y_velocs"),
        &values(drawn.y_velocs.clone()),
        &sample["y_velocs"],
    );
    dev.compare(
        format!("{name} sample log_prob"),
        &values(drawn.log_prob.clone()),
        &sample["log_prob_returned_by_sampler"],
    );
    dev.compare(
        format!("{name} sample logdet"),
        &values(drawn.logdet.clone()),
        &sample["logdet_latent_to_data"],
    );
    let resampled = cond.with_targets(drawn.y_coords, drawn.y_velocs);
    dev.compare(
        format!("{name} log_likelihood_of_sample"),
        &values(model.log_prob(&resampled)),
        &sample["log_likelihood_of_sample"],
    );
}

fn load_fixture(path: &Path) -> (Value, FlowConfig, TimewarpFlow<B>) {
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let config: FlowConfig =
        serde_json::from_value(fixture["model_config"]["custom_transformer_nvp_config"].clone())
            .unwrap();
    let weights = parity_dir().join(fixture["meta"]["weights_file"].as_str().unwrap());
    let dict = read_safetensors(&weights).unwrap();
    let model = flow_from_state_dict::<B>(
        &config,
        &dict,
        &weights.display().to_string(),
        &Default::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    (fixture, config, model)
}

#[test]
fn f64_parity_with_the_official_model() {
    let mut dev = Deviations::default();
    for path in fixtures() {
        let (fixture, _, model) = load_fixture(&path);
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        assert_eq!(
            model.num_params() as u64,
            fixture["meta"]["num_parameters"].as_u64().unwrap(),
            "{stem}: parameters"
        );
        for (batch_name, batch) in fixture["batches"].as_object().unwrap() {
            check_batch(&format!("{stem}/{batch_name}"), &model, batch, &mut dev);
        }
    }
    let mut worst = 0f64;
    for (what, abs, scaled) in &dev.rows {
        println!("{what:<60} max |Δ| {abs:.3e}   max |Δ|/max(1,|ref|) {scaled:.3e}");
        worst = worst.max(*scaled);
    }
    println!(
        "worst scaled deviation over {} quantities: {worst:.3e}",
        dev.rows.len()
    );
    let failures: Vec<_> = dev.rows.iter().filter(|(_, _, s)| *s > TOLERANCE).collect();
    assert!(
        failures.is_empty(),
        "deviations above {TOLERANCE}: {failures:?}"
    );
}

#[test]
fn state_dict_round_trip_keeps_official_names_shapes_and_values() {
    for path in fixtures() {
        let (fixture, _, model) = load_fixture(&path);
        let weights = parity_dir().join(fixture["meta"]["weights_file"].as_str().unwrap());
        let original = read_safetensors(&weights).unwrap();
        let exported = flow_to_state_dict(&model);
        let listed: Vec<(String, Vec<usize>)> = fixture["state_dict_keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let shape = e[1]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d.as_u64().unwrap() as usize)
                    .collect();
                (e[0].as_str().unwrap().to_string(), shape)
            })
            .collect();
        assert_eq!(
            exported.len(),
            listed.len(),
            "{}: number of keys",
            path.display()
        );
        for (name, shape) in &listed {
            let ours = exported
                .get(name)
                .unwrap_or_else(|| panic!("{name} not exported"));
            assert_eq!(&ours.shape, shape, "{name}: shape");
            assert_eq!(ours.values, original[name].values, "{name}: values");
        }
    }
}
