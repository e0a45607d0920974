//! Model hyper-parameters.
//!
//! [`FlowConfig`] mirrors the official `custom_transformer_nvp_config` of microsoft/timewarp
//! (`model_configs.CustomAttentionTransformerNVPConfig`) field for field, so the
//! `model_config.custom_transformer_nvp_config` block of an official config (YAML converted to
//! JSON, or a parity fixture) deserialises directly. Two fields are ours: the initial values of
//! the learnable prior log-scales (official default 0).

use std::path::Path;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Error in a model configuration: names the offending field and value.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("model config: {field} = {value}: {reason}")]
    Invalid {
        field: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("model config {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("model config {path}: {source}")]
    Json {
        path: String,
        source: serde_json::Error,
    },
}

/// Hyper-parameters of the kernel-attention transformer RealNVP (official model type
/// `custom_attention_transformer_nvp`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowConfig {
    /// Width E of the learned element embedding h_i.
    pub atom_embedding_dim: usize,
    /// Hidden widths of φ_in and φ_out (`Linear → SiLU → … → Linear`).
    pub latent_mlp_hidden_dims: Vec<usize>,
    /// Number K of affine coupling layers (even: positions and velocities alternate).
    pub num_coupling_layers: usize,
    /// Number L of encoder layers in each scale/shift conditioner network.
    pub num_transformer_layers: usize,
    /// The encoder layer (kernel self-attention + feed-forward block).
    pub encoder_layer_config: EncoderLayerConfig,
    /// Coupling k transforms positions if `k % 2 == position_layer_index_mod_2`, else velocities.
    #[serde(default)]
    pub position_layer_index_mod_2: usize,
    /// Conditioning and target conventions of the density model.
    #[serde(default)]
    pub conditional_flow_density: ConditionalFlowDensityConfig,
    /// Initial a in σ_p = exp(a), the scale of the positional base density (learnable).
    #[serde(default)]
    pub coords_prior_log_scale: f64,
    /// Initial b in σ_v = exp(b), the scale of the velocity base density (learnable).
    #[serde(default)]
    pub velocs_prior_log_scale: f64,
    /// The chart the positions live in (ours; absent in official configs = Cartesian).
    #[serde(default, skip_serializing_if = "Chart::is_cartesian")]
    pub chart: Chart,
}

/// The coordinates of the positional half of the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Chart {
    /// Cartesian displacements per atom (the official model).
    #[default]
    Cartesian,
    /// Standardised internal coordinates of a Z-matrix: per atom its (bond, angle, torsion)
    /// innovations relative to a fitted Gaussian base, the model's `kernel.json` (see
    /// `timewarp_sample::internal_flow`).
    Internal,
}

impl Chart {
    pub fn is_cartesian(&self) -> bool {
        *self == Chart::Cartesian
    }
}

/// One post-LayerNorm transformer encoder layer with kernel self-attention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncoderLayerConfig {
    /// Token width D.
    pub d_model: usize,
    /// Hidden width F of the feed-forward block.
    pub dim_feedforward: usize,
    /// Dropout rate; must be 0 (the official configs use 0; dropout is not implemented).
    #[serde(default)]
    pub dropout: f64,
    /// Ignored, as in the official code: the number of heads is `lengthscales.len()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_heads: Option<usize>,
    /// Only `"kernel"` is supported.
    #[serde(default = "default_attention_type")]
    pub attention_type: String,
    /// Kernel length-scales ℓ_h in nm, one head per entry.
    pub lengthscales: Vec<f64>,
    /// Normalise the kernel weights over keys: Â = w / (Σ_j |w| + 1e-5).
    #[serde(default = "default_true")]
    pub normalise_kernel_values: bool,
}

/// Conditioning/target conventions (official `ConditionalFlowDensityConfig`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConditionalFlowDensityConfig {
    /// Whether the prior log-scales are trained.
    #[serde(default = "default_true")]
    pub scale_requires_grad: bool,
    /// Replace the conditioning velocities x^v by zeros.
    #[serde(default)]
    pub ignore_conditional_velocity: bool,
    /// Model the displacement Δ = y^p − x^p instead of the absolute positions y^p.
    #[serde(default = "default_true")]
    pub use_displacement_as_target: bool,
}

fn default_true() -> bool {
    true
}

fn default_attention_type() -> String {
    "kernel".to_string()
}

impl Default for ConditionalFlowDensityConfig {
    fn default() -> Self {
        Self {
            scale_requires_grad: true,
            ignore_conditional_velocity: false,
            use_displacement_as_target: true,
        }
    }
}

/// Which half of the augmented state (positions p, velocities v) a coupling layer transforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TransformedVars {
    Positions,
    Velocities,
}

impl FlowConfig {
    /// Number of attention heads H (= number of length-scales).
    pub fn num_heads(&self) -> usize {
        self.encoder_layer_config.lengthscales.len()
    }

    /// Width of a conditioner token: [h_i (E) | x̃_i (3) | x^v_i (3) | other half (3)].
    pub fn token_dim(&self) -> usize {
        self.atom_embedding_dim + 9
    }

    /// The half transformed by coupling layer `k`.
    pub fn transformed_vars(&self, k: usize) -> TransformedVars {
        if k % 2 == self.position_layer_index_mod_2 {
            TransformedVars::Positions
        } else {
            TransformedVars::Velocities
        }
    }

    /// Check every constraint the model relies on.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |field, value: String, reason| {
            Err(ConfigError::Invalid {
                field,
                value,
                reason,
            })
        };
        let enc = &self.encoder_layer_config;
        if self.atom_embedding_dim == 0 {
            return invalid("atom_embedding_dim", "0".into(), "must be positive");
        }
        if self.num_coupling_layers == 0 || !self.num_coupling_layers.is_multiple_of(2) {
            return invalid(
                "num_coupling_layers",
                self.num_coupling_layers.to_string(),
                "must be positive and even (positions and velocities layers alternate)",
            );
        }
        if self.num_transformer_layers == 0 {
            return invalid("num_transformer_layers", "0".into(), "must be positive");
        }
        if self.position_layer_index_mod_2 > 1 {
            return invalid(
                "position_layer_index_mod_2",
                self.position_layer_index_mod_2.to_string(),
                "must be 0 or 1",
            );
        }
        if self.latent_mlp_hidden_dims.contains(&0) {
            return invalid(
                "latent_mlp_hidden_dims",
                format!("{:?}", self.latent_mlp_hidden_dims),
                "widths must be positive",
            );
        }
        if enc.d_model == 0 || enc.dim_feedforward == 0 {
            return invalid(
                "encoder_layer_config.d_model/dim_feedforward",
                format!("{}/{}", enc.d_model, enc.dim_feedforward),
                "must be positive",
            );
        }
        if enc.dropout != 0.0 {
            return invalid(
                "encoder_layer_config.dropout",
                enc.dropout.to_string(),
                "dropout is not implemented; the official Timewarp configs use 0",
            );
        }
        if enc.attention_type != "kernel" {
            return invalid(
                "encoder_layer_config.attention_type",
                enc.attention_type.clone(),
                "only \"kernel\" attention is implemented",
            );
        }
        if enc.lengthscales.is_empty()
            || enc
                .lengthscales
                .iter()
                .any(|&l| !(l.is_finite() && l > 0.0))
        {
            return invalid(
                "encoder_layer_config.lengthscales",
                format!("{:?}", enc.lengthscales),
                "need at least one finite positive length-scale (nm)",
            );
        }
        for (field, value) in [
            ("coords_prior_log_scale", self.coords_prior_log_scale),
            ("velocs_prior_log_scale", self.velocs_prior_log_scale),
        ] {
            if !value.is_finite() {
                return invalid(field, value.to_string(), "must be finite");
            }
        }
        Ok(())
    }

    /// Log a warning, as the official code does, when `num_heads` disagrees with the number of
    /// length-scales (which wins).
    pub(crate) fn warn_on_ignored_fields(&self) {
        let enc = &self.encoder_layer_config;
        if let Some(h) = enc.num_heads.filter(|&h| h != enc.lengthscales.len()) {
            tracing::warn!(
                "num_heads = {h} differs from the {} length-scales; using {} heads",
                enc.lengthscales.len(),
                enc.lengthscales.len()
            );
        }
    }

    /// Read and validate a JSON config file.
    pub fn from_json_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let config: FlowConfig =
            serde_json::from_str(&text).map_err(|source| ConfigError::Json {
                path: path.display().to_string(),
                source,
            })?;
        config.validate()?;
        Ok(config)
    }

    /// Number of trainable parameters of a model with this config (the official count:
    /// length-scale buffers are not parameters).
    pub fn num_params(&self) -> usize {
        fn mlp(input: usize, hidden: &[usize], output: usize) -> usize {
            let mut widths = vec![input];
            widths.extend_from_slice(hidden);
            widths.push(output);
            widths.windows(2).map(|w| w[0] * w[1] + w[1]).sum()
        }
        let enc = &self.encoder_layer_config;
        let (d, f, h) = (enc.d_model, enc.dim_feedforward, self.num_heads());
        let encoder_layer = 2 * h * d * d + (d * f + f) + (f * d + d) + 4 * d;
        let network = mlp(self.token_dim(), &self.latent_mlp_hidden_dims, d)
            + self.num_transformer_layers * encoder_layer
            + mlp(d, &self.latent_mlp_hidden_dims, 3);
        2 + crate::NUM_ATOM_TYPES * self.atom_embedding_dim + self.num_coupling_layers * 2 * network
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_fixture_config_deserialises() {
        let json = r#"{"atom_embedding_dim": 16, "latent_mlp_hidden_dims": [32],
            "num_coupling_layers": 4, "num_transformer_layers": 2,
            "encoder_layer_config": {"d_model": 32, "dim_feedforward": 64, "dropout": 0.0,
              "num_heads": 6, "attention_type": "kernel",
              "lengthscales": [0.1, 0.2, 0.5, 0.7, 1.0, 1.2], "max_radius": null,
              "normalise_kernel_values": true, "cheb_order": null, "force_asymptotic_zero": null},
            "position_layer_index_mod_2": 0,
            "conditional_flow_density": {"scale_requires_grad": true,
              "ignore_conditional_velocity": false, "use_displacement_as_target": true}}"#;
        let config: FlowConfig = serde_json::from_str(json).unwrap();
        config.validate().unwrap();
        assert_eq!(config.num_heads(), 6);
        assert_eq!(config.num_params(), 290_154);
        assert_eq!(config.transformed_vars(0), TransformedVars::Positions);
        assert_eq!(config.transformed_vars(1), TransformedVars::Velocities);
    }

    #[test]
    fn invalid_configs_are_rejected_by_field() {
        let mut config = crate::presets::preset("tiny").unwrap();
        config.num_coupling_layers = 3;
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("num_coupling_layers"), "{err}");
        let mut config = crate::presets::preset("tiny").unwrap();
        config.encoder_layer_config.attention_type = "local".into();
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("attention_type"), "{err}");
        let mut config = crate::presets::preset("tiny").unwrap();
        config.encoder_layer_config.lengthscales = vec![0.1, -1.0];
        assert!(config.validate().is_err());
    }
}
