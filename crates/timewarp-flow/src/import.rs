//! The model under the official PyTorch state-dict names, in both directions.
//!
//! Names are those of `ConditionalFlowDensityModel.state_dict()` (see shared/parity/README.md):
//! `coords_prior_log_scale`, `flow.atom_embedder.weight`,
//! `flow.chain.{k}.{scale,shift}_transformer.in_mlp._layers.{2i}.{weight,bias}`,
//! `….encoder_layers.{l}.self_attn.values_proj.weight`, `….self_attn.attention.lengthscales`,
//! `….self_attn.attention._out_projection.weight`, `….linear{1,2}.{weight,bias}`,
//! `….norm{1,2}.{weight,bias}`, `….out_mlp._layers.{2i}.{weight,bias}`.
//! Linear weights are PyTorch's [out, in] (burn stores [in, out]); scalars have shape [].
//! Official training checkpoints carry a `module.` prefix, which is stripped.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use burn::module::Param;
use burn::nn::{Embedding, LayerNorm, Linear};
use burn::tensor::{backend::Backend, DType, Tensor};
use thiserror::Error;

use crate::attention::{KernelAttention, KernelSelfAttention};
use crate::config::{ConfigError, FlowConfig};
use crate::coupling::CouplingLayer;
use crate::flow::TimewarpFlow;
use crate::host::{float_options, float_tensor, to_host_f64};
use crate::init::layer_norm;
use crate::mlp::Mlp;
use crate::state_dict::{read_safetensors, StateDict, StateDictError, StateTensor, StoredDtype};
use crate::transformer::{ConditionerNetwork, EncoderLayer};
use crate::NUM_ATOM_TYPES;

/// A tensor whose shape differs from the model's.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapeMismatch {
    pub name: String,
    pub expected: Vec<usize>,
    pub found: Vec<usize>,
}

/// Everything that did not match between a state dict and the model layout.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyReport {
    pub missing: Vec<String>,
    pub unexpected: Vec<String>,
    pub shape_mismatches: Vec<ShapeMismatch>,
    /// Other inconsistencies (e.g. length-scale buffers that differ between layers).
    pub inconsistent: Vec<String>,
}

impl KeyReport {
    /// What did not match, counted: `164 missing keys, 73 shape mismatches`.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        for (n, one, many) in [
            (self.missing.len(), "missing key", "missing keys"),
            (self.unexpected.len(), "unexpected key", "unexpected keys"),
            (
                self.shape_mismatches.len(),
                "shape mismatch",
                "shape mismatches",
            ),
            (self.inconsistent.len(), "inconsistency", "inconsistencies"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {}", if n == 1 { one } else { many }));
            }
        }
        parts.join(", ")
    }

    pub fn is_clean(&self) -> bool {
        self.missing.is_empty()
            && self.unexpected.is_empty()
            && self.shape_mismatches.is_empty()
            && self.inconsistent.is_empty()
    }
}

impl fmt::Display for KeyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A few names of each kind: weights of another preset miss hundreds of keys, and
        // the summary line already says how many.
        const SHOW: usize = 3;
        let list = |f: &mut fmt::Formatter<'_>, what: &str, items: &[String]| -> fmt::Result {
            if items.is_empty() {
                return Ok(());
            }
            write!(
                f,
                "\n  {what} ({}): {}",
                items.len(),
                items[..items.len().min(SHOW)].join(", ")
            )?;
            if items.len() > SHOW {
                write!(f, ", …")?;
            }
            Ok(())
        };
        list(f, "missing keys", &self.missing)?;
        list(f, "unexpected keys", &self.unexpected)?;
        let shapes: Vec<String> = self
            .shape_mismatches
            .iter()
            .map(|m| format!("{} (model {:?}, file {:?})", m.name, m.expected, m.found))
            .collect();
        list(f, "shape mismatches", &shapes)?;
        list(f, "inconsistencies", &self.inconsistent)
    }
}

/// Why a state dict could not become a model.
#[derive(Debug, Error)]
pub enum ImportError {
    #[error(transparent)]
    File(#[from] StateDictError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(
        "{source_name}: the weights do not fit the model of the config ({}): were they made \
         with another preset or model size?{report}",
        report.summary()
    )]
    Mismatch {
        source_name: String,
        report: KeyReport,
    },
    #[error("{path}: unknown state-dict format (expected .safetensors, .pt or .pth)")]
    Format { path: String },
}

/// Reads tensors by name, recording what is missing, mis-shaped or left over.
struct Reader<'a> {
    dict: &'a StateDict,
    used: HashSet<&'a str>,
    report: KeyReport,
}

impl<'a> Reader<'a> {
    fn new(dict: &'a StateDict) -> Self {
        Self {
            dict,
            used: HashSet::new(),
            report: KeyReport::default(),
        }
    }

    /// Values of `name`, which must have `shape`; zeros (and a report entry) otherwise, so
    /// that every problem of a file is found in one pass.
    fn take(&mut self, name: &str, shape: &[usize]) -> Vec<f64> {
        let size = shape.iter().product();
        match self.dict.get_key_value(name) {
            None => {
                self.report.missing.push(name.to_string());
                vec![0.0; size]
            }
            Some((key, t)) => {
                self.used.insert(key.as_str());
                if t.shape != shape {
                    self.report.shape_mismatches.push(ShapeMismatch {
                        name: name.to_string(),
                        expected: shape.to_vec(),
                        found: t.shape.clone(),
                    });
                    vec![0.0; size]
                } else {
                    t.values.clone()
                }
            }
        }
    }

    fn finish(mut self) -> KeyReport {
        self.report.unexpected = self
            .dict
            .keys()
            .filter(|k| !self.used.contains(k.as_str()))
            .cloned()
            .collect();
        self.report
    }
}

fn param<B: Backend, const D: usize>(
    values: Vec<f64>,
    shape: [usize; D],
    device: &B::Device,
) -> Param<Tensor<B, D>> {
    Param::from_tensor(float_tensor(values, shape, device))
}

fn read_linear<B: Backend>(
    r: &mut Reader,
    prefix: &str,
    d_in: usize,
    d_out: usize,
    bias: bool,
    device: &B::Device,
) -> Linear<B> {
    // PyTorch [out, in] → burn [in, out], transposed on the host: a transposed *view* would make
    // every matrix product copy the weight into row-major order first (a fifth of the sampling
    // time of a 36 M-parameter model), and Adam's updates would keep that strided layout.
    let w = r.take(&format!("{prefix}.weight"), &[d_out, d_in]);
    let w_in_out: Vec<f64> = (0..d_in)
        .flat_map(|i| (0..d_out).map(move |o| (i, o)))
        .map(|(i, o)| w[o * d_in + i])
        .collect();
    let bias = bias.then(|| param(r.take(&format!("{prefix}.bias"), &[d_out]), [d_out], device));
    Linear {
        weight: param(w_in_out, [d_in, d_out], device),
        bias,
    }
}

fn read_layer_norm<B: Backend>(
    r: &mut Reader,
    prefix: &str,
    d: usize,
    device: &B::Device,
) -> LayerNorm<B> {
    let gamma = r.take(&format!("{prefix}.weight"), &[d]);
    let beta = r.take(&format!("{prefix}.bias"), &[d]);
    layer_norm(gamma, beta, device)
}

fn read_mlp<B: Backend>(
    r: &mut Reader,
    prefix: &str,
    d_in: usize,
    hidden: &[usize],
    d_out: usize,
    device: &B::Device,
) -> Mlp<B> {
    let mut widths = vec![d_in];
    widths.extend_from_slice(hidden);
    widths.push(d_out);
    let linears = widths
        .windows(2)
        .enumerate()
        // Linear layers sit at the even indices of the official nn.Sequential (SiLU between).
        .map(|(i, w)| {
            read_linear(
                r,
                &format!("{prefix}._layers.{}", 2 * i),
                w[0],
                w[1],
                true,
                device,
            )
        })
        .collect();
    Mlp { linears }
}

fn read_conditioner<B: Backend>(
    r: &mut Reader,
    prefix: &str,
    config: &FlowConfig,
    lengthscale_copies: &mut Vec<(String, Vec<f64>)>,
    device: &B::Device,
) -> ConditionerNetwork<B> {
    let enc = &config.encoder_layer_config;
    let (d, f, h) = (enc.d_model, enc.dim_feedforward, config.num_heads());
    let hidden = &config.latent_mlp_hidden_dims;
    let encoder_layers = (0..config.num_transformer_layers)
        .map(|l| {
            let p = format!("{prefix}.encoder_layers.{l}");
            let ls_name = format!("{p}.self_attn.attention.lengthscales");
            let ls = r.take(&ls_name, &[h]);
            lengthscale_copies.push((ls_name, ls));
            EncoderLayer {
                self_attn: KernelSelfAttention {
                    values_proj: read_linear(
                        r,
                        &format!("{p}.self_attn.values_proj"),
                        d,
                        h * d,
                        false,
                        device,
                    ),
                    out_projection: read_linear(
                        r,
                        &format!("{p}.self_attn.attention._out_projection"),
                        h * d,
                        d,
                        false,
                        device,
                    ),
                    num_heads: h,
                },
                linear1: read_linear(r, &format!("{p}.linear1"), d, f, true, device),
                linear2: read_linear(r, &format!("{p}.linear2"), f, d, true, device),
                norm1: read_layer_norm(r, &format!("{p}.norm1"), d, device),
                norm2: read_layer_norm(r, &format!("{p}.norm2"), d, device),
            }
        })
        .collect();
    ConditionerNetwork {
        in_mlp: read_mlp(
            r,
            &format!("{prefix}.in_mlp"),
            config.token_dim(),
            hidden,
            d,
            device,
        ),
        encoder_layers,
        out_mlp: read_mlp(r, &format!("{prefix}.out_mlp"), d, hidden, 3, device),
    }
}

/// Strip the `module.` prefix of official training checkpoints (`LossWrapper`).
pub fn strip_module_prefix(dict: StateDict) -> StateDict {
    if !dict.is_empty() && dict.keys().all(|k| k.starts_with("module.")) {
        dict.into_iter()
            .map(|(k, v)| (k["module.".len()..].to_string(), v))
            .collect()
    } else {
        dict
    }
}

/// Build a model with `config` from a state dict under the official names. Strict: every
/// missing, unexpected or mis-shaped tensor is reported by name. `source_name` names the origin
/// (a file path) in errors.
pub fn flow_from_state_dict<B: Backend>(
    config: &FlowConfig,
    dict: &StateDict,
    source_name: &str,
    device: &B::Device,
) -> Result<TimewarpFlow<B>, ImportError> {
    config.validate()?;
    config.warn_on_ignored_fields();
    let mut r = Reader::new(dict);
    let e = config.atom_embedding_dim;
    let trainable = config.conditional_flow_density.scale_requires_grad;
    let coords =
        param(r.take("coords_prior_log_scale", &[]), [1], device).set_require_grad(trainable);
    let velocs =
        param(r.take("velocs_prior_log_scale", &[]), [1], device).set_require_grad(trainable);
    let atom_embedder = Embedding {
        weight: param(
            r.take("flow.atom_embedder.weight", &[NUM_ATOM_TYPES, e]),
            [NUM_ATOM_TYPES, e],
            device,
        ),
    };
    let mut lengthscale_copies = Vec::new();
    let couplings: Vec<CouplingLayer<B>> = (0..config.num_coupling_layers)
        .map(|k| CouplingLayer {
            scale_transformer: read_conditioner(
                &mut r,
                &format!("flow.chain.{k}.scale_transformer"),
                config,
                &mut lengthscale_copies,
                device,
            ),
            shift_transformer: read_conditioner(
                &mut r,
                &format!("flow.chain.{k}.shift_transformer"),
                config,
                &mut lengthscale_copies,
                device,
            ),
            transformed_vars: config.transformed_vars(k),
        })
        .collect();
    let mut report = r.finish();

    // One set of length-scales serves every layer (the attention weights are computed once),
    // so every copy in the file must be the same, and agree with the config.
    let lengthscales = lengthscale_copies[0].1.clone();
    for (name, copy) in &lengthscale_copies[1..] {
        if copy != &lengthscales && !report.missing.contains(name) {
            report.inconsistent.push(format!(
                "{name} = {copy:?} differs from {}",
                lengthscale_copies[0].0
            ));
        }
    }
    let configured = &config.encoder_layer_config.lengthscales;
    let agrees = configured
        .iter()
        .zip(&lengthscales)
        .all(|(c, l)| (c - l).abs() <= 1e-6 * c.abs());
    if !agrees && !report.missing.contains(&lengthscale_copies[0].0) {
        report.inconsistent.push(format!(
            "length-scales {lengthscales:?} in the weights differ from the config's {configured:?}"
        ));
    }
    if !report.is_clean() {
        return Err(ImportError::Mismatch {
            source_name: source_name.to_string(),
            report,
        });
    }
    let kernel = KernelAttention::from_lengthscales(
        lengthscales,
        config.encoder_layer_config.normalise_kernel_values,
        device,
    );
    Ok(TimewarpFlow::from_parts(
        config.clone(),
        coords,
        velocs,
        atom_embedder,
        kernel,
        couplings,
    ))
}

/// Load official PyTorch weights: a `.safetensors` state dict, or a `torch.save` file (`.pt`,
/// `.pth`) holding a state dict directly or under `model_state_dict` / `state_dict` / `module`
/// (official training checkpoints). The `module.` prefix is stripped.
pub fn import_official<B: Backend>(
    path: impl AsRef<Path>,
    config: &FlowConfig,
    device: &B::Device,
) -> Result<TimewarpFlow<B>, ImportError> {
    let path = path.as_ref();
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let dict = match extension.as_str() {
        "safetensors" => read_safetensors(path)?,
        "pt" | "pth" | "ckpt" => crate::pickle::read_torch_state_dict(path)?,
        _ => {
            return Err(ImportError::Format {
                path: path.display().to_string(),
            })
        }
    };
    flow_from_state_dict(
        config,
        &strip_module_prefix(dict),
        &path.display().to_string(),
        device,
    )
}

/// Writes tensors under their official names.
struct Writer {
    dict: StateDict,
    dtype: StoredDtype,
}

impl Writer {
    fn put<B: Backend, const D: usize>(
        &mut self,
        name: String,
        tensor: Tensor<B, D>,
        shape: Vec<usize>,
    ) {
        let values = to_host_f64(tensor);
        self.dict
            .insert(name, StateTensor::new(shape, values, self.dtype));
    }

    fn linear<B: Backend>(&mut self, prefix: &str, linear: &Linear<B>) {
        let weight = linear.weight.val().transpose(); // burn [in, out] → PyTorch [out, in]
        let shape = weight.dims().to_vec();
        self.put(format!("{prefix}.weight"), weight, shape);
        if let Some(bias) = &linear.bias {
            let bias = bias.val();
            let shape = bias.dims().to_vec();
            self.put(format!("{prefix}.bias"), bias, shape);
        }
    }

    fn layer_norm<B: Backend>(&mut self, prefix: &str, norm: &LayerNorm<B>) {
        let gamma = norm.gamma.val();
        let d = gamma.dims()[0];
        self.put(format!("{prefix}.weight"), gamma, vec![d]);
        let beta = norm
            .beta
            .as_ref()
            .map(|b| b.val())
            .unwrap_or_else(|| Tensor::zeros([d], float_options::<B>(&norm.gamma.device())));
        self.put(format!("{prefix}.bias"), beta, vec![d]);
    }

    fn mlp<B: Backend>(&mut self, prefix: &str, mlp: &Mlp<B>) {
        for (i, linear) in mlp.linears.iter().enumerate() {
            self.linear(&format!("{prefix}._layers.{}", 2 * i), linear);
        }
    }

    fn conditioner<B: Backend>(
        &mut self,
        prefix: &str,
        net: &ConditionerNetwork<B>,
        kernel: &KernelAttention<B>,
    ) {
        self.mlp(&format!("{prefix}.in_mlp"), &net.in_mlp);
        for (l, layer) in net.encoder_layers.iter().enumerate() {
            let p = format!("{prefix}.encoder_layers.{l}");
            self.linear(
                &format!("{p}.self_attn.values_proj"),
                &layer.self_attn.values_proj,
            );
            let h = kernel.num_heads();
            self.put(
                format!("{p}.self_attn.attention.lengthscales"),
                kernel.lengthscales.clone(),
                vec![h],
            );
            self.linear(
                &format!("{p}.self_attn.attention._out_projection"),
                &layer.self_attn.out_projection,
            );
            self.linear(&format!("{p}.linear1"), &layer.linear1);
            self.linear(&format!("{p}.linear2"), &layer.linear2);
            self.layer_norm(&format!("{p}.norm1"), &layer.norm1);
            self.layer_norm(&format!("{p}.norm2"), &layer.norm2);
        }
        self.mlp(&format!("{prefix}.out_mlp"), &net.out_mlp);
    }
}

/// The model's state dict under the official names and layout, in the model's precision
/// (F64 for an f64 backend, F32 otherwise).
pub fn flow_to_state_dict<B: Backend>(model: &TimewarpFlow<B>) -> StateDict {
    let scale = model.coords_prior_log_scale.val();
    let dtype = if scale.dtype() == DType::F64 {
        StoredDtype::F64
    } else {
        StoredDtype::F32
    };
    let mut w = Writer {
        dict: StateDict::new(),
        dtype,
    };
    w.put("coords_prior_log_scale".into(), scale, vec![]);
    w.put(
        "velocs_prior_log_scale".into(),
        model.velocs_prior_log_scale.val(),
        vec![],
    );
    let table = model.atom_embedder.weight.val();
    let shape = table.dims().to_vec();
    w.put("flow.atom_embedder.weight".into(), table, shape);
    for (k, coupling) in model.couplings.iter().enumerate() {
        w.conditioner(
            &format!("flow.chain.{k}.scale_transformer"),
            &coupling.scale_transformer,
            &model.kernel,
        );
        w.conditioner(
            &format!("flow.chain.{k}.shift_transformer"),
            &coupling.shift_transformer,
            &model.kernel,
        );
    }
    w.dict
}
