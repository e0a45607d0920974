//! Named model sizes.
//!
//! - `ad`: the official alanine-dipeptide model, `configs/kernel_transformer_nvp.yaml` of
//!   microsoft/timewarp (E 32, φ hidden [256], 8 couplings × 3 encoder layers, D 128, F 2048,
//!   6 heads with ℓ = 0.1…1.2 nm): 35,971,282 parameters.
//! - `2aa`: the transferable dipeptide (2AA) model of the Timewarp paper. The repository ships no
//!   config for it; the paper's hyper-parameter table gives 12 couplings × 6 encoder layers with
//!   E 64 and D 128, the rest as `ad`: 106,251,658 parameters (the paper's ≈106 M).
//! - `demo`: small enough to train usefully on alanine dipeptide in minutes on two CPU cores.
//! - `tiny`: for tests.
//! - `ic`: the internal-chart flow (chart `internal`): a small kernel-attention RealNVP over the
//!   standardised internal-coordinate innovations of a fitted kernel, conditioned on the skeleton
//!   of the proposed torsions (target = the innovations themselves, conditioning velocities
//!   ignored). `ic-tiny`: the same for tests.

use crate::config::{Chart, ConditionalFlowDensityConfig, EncoderLayerConfig, FlowConfig};

/// Names accepted by [`preset`].
pub const PRESET_NAMES: [&str; 6] = ["ad", "2aa", "demo", "tiny", "ic", "ic-tiny"];

/// The official multi-scale kernel length-scales (nm).
const OFFICIAL_LENGTHSCALES: [f64; 6] = [0.1, 0.2, 0.5, 0.7, 1.0, 1.2];

#[allow(clippy::too_many_arguments)]
fn config(
    atom_embedding_dim: usize,
    hidden: &[usize],
    num_coupling_layers: usize,
    num_transformer_layers: usize,
    d_model: usize,
    dim_feedforward: usize,
    lengthscales: &[f64],
) -> FlowConfig {
    FlowConfig {
        atom_embedding_dim,
        latent_mlp_hidden_dims: hidden.to_vec(),
        num_coupling_layers,
        num_transformer_layers,
        encoder_layer_config: EncoderLayerConfig {
            d_model,
            dim_feedforward,
            dropout: 0.0,
            num_heads: Some(lengthscales.len()),
            attention_type: "kernel".into(),
            lengthscales: lengthscales.to_vec(),
            normalise_kernel_values: true,
        },
        position_layer_index_mod_2: 0,
        conditional_flow_density: ConditionalFlowDensityConfig::default(),
        coords_prior_log_scale: 0.0,
        velocs_prior_log_scale: 0.0,
        chart: Chart::Cartesian,
    }
}

/// The config of a named preset (case-insensitive), or `None` for an unknown name.
pub fn preset(name: &str) -> Option<FlowConfig> {
    match name.to_ascii_lowercase().as_str() {
        "ad" => Some(config(32, &[256], 8, 3, 128, 2048, &OFFICIAL_LENGTHSCALES)),
        "2aa" => Some(config(64, &[256], 12, 6, 128, 2048, &OFFICIAL_LENGTHSCALES)),
        "demo" => Some(config(16, &[64], 4, 2, 64, 128, &[0.1, 0.3, 1.0])),
        "tiny" => Some(config(4, &[8], 2, 1, 8, 16, &[0.2, 0.7])),
        "ic" => Some(internal(config(16, &[64], 4, 1, 32, 64, &[0.15, 0.3, 0.6]))),
        "ic-tiny" => Some(internal(config(4, &[8], 2, 1, 8, 16, &[0.2, 0.7]))),
        _ => None,
    }
}

/// An internal-chart flow: the target is the innovation itself (not a displacement of x̂), and
/// the conditioning state carries no velocities.
fn internal(mut c: FlowConfig) -> FlowConfig {
    c.chart = Chart::Internal;
    c.conditional_flow_density.use_displacement_as_target = false;
    c.conditional_flow_density.ignore_conditional_velocity = true;
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_valid() {
        for name in PRESET_NAMES {
            preset(name).unwrap().validate().unwrap();
        }
        assert!(preset("AD").is_some());
        assert!(preset("nope").is_none());
    }

    #[test]
    fn official_sizes() {
        assert_eq!(preset("ad").unwrap().num_params(), 35_971_282);
        assert_eq!(preset("2aa").unwrap().num_params(), 106_251_658);
        let demo = preset("demo").unwrap().num_params();
        assert!(
            (200_000..1_000_000).contains(&demo),
            "demo has {demo} parameters"
        );
    }
}
