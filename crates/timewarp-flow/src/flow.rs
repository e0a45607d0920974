//! The whole conditional density model p(y | x) (official `ConditionalFlowDensityModel` around
//! a `ConditionalSequentialFlow` of coupling layers).
//!
//! Conditioning: x^v := 0 if `ignore_conditional_velocity`; centre c_b = Σ_real x^p / n_b (plain
//! mean), x̃ = x^p − c_b for every slot; embedding h_i; kernel attention Â from x̃ (once).
//!
//! Density (data → latent), couplings k = 0 … K−1:
//! ```text
//!   z^p = y^p − x^p  (displacement, uncentred),  z^v = y^v
//!   z = f_{K−1} ∘ … ∘ f_0 (z)
//!   log p(y | x) = log N(z^p; 0, σ_p²) + log N(z^v; 0, σ_v²) + Σ_k Σ_{real i, axes} log s_k
//! ```
//! with σ_p = exp(a), σ_v = exp(b) learnable and the Gaussians summed over real atoms only.
//! Sampling (latent → data) draws z ~ N(0, σ²) and undoes the couplings from K−1 down to 0;
//! y^p = x^p + z^p, y^v = z^v and log p(y | x) = log N(z) + Σ log s (s evaluated at the same
//! points as in the density direction, so both directions give the same number).

use burn::module::{Module, Param};
use burn::nn::Embedding;
use burn::tensor::{backend::Backend, Tensor};
use rand::Rng;
use rand_distr::StandardNormal;

use crate::attention::{query_major, KernelAttention};
use crate::batch::{FlowBatch, FlowCondition};
use crate::config::{ConfigError, FlowConfig};
use crate::coupling::{Conditioning, CouplingLayer};
use crate::host::{float_options, float_tensor};
use crate::init::Initializer;
use crate::NUM_ATOM_TYPES;

/// ½ log 2π.
const HALF_LOG_TWO_PI: f64 = 0.918_938_533_204_672_8;

/// Seed used by [`TimewarpFlow::new`].
pub const DEFAULT_INIT_SEED: u64 = 0;

/// The Timewarp conditional normalising flow.
#[derive(Module, Debug)]
pub struct TimewarpFlow<B: Backend> {
    /// a, σ_p = exp(a), stored as [1].
    pub coords_prior_log_scale: Param<Tensor<B, 1>>,
    /// b, σ_v = exp(b), stored as [1].
    pub velocs_prior_log_scale: Param<Tensor<B, 1>>,
    /// Element embedding table [5, E].
    pub atom_embedder: Embedding<B>,
    /// The length-scales shared by every attention layer.
    pub kernel: KernelAttention<B>,
    pub couplings: Vec<CouplingLayer<B>>,
    #[module(skip)]
    config: FlowConfig,
}

/// Latent variables of a batch and the terms of its log-density (data → latent).
#[derive(Debug, Clone)]
pub struct FlowLatent<B: Backend> {
    pub z_coords: Tensor<B, 3>,
    pub z_velocs: Tensor<B, 3>,
    /// Σ_k Σ log s_k over real atoms, [B].
    pub logdet: Tensor<B, 1>,
    /// log N(z^p; 0, σ_p²) over real atoms, [B].
    pub log_prob_z_coords: Tensor<B, 1>,
    /// log N(z^v; 0, σ_v²) over real atoms, [B].
    pub log_prob_z_velocs: Tensor<B, 1>,
}

impl<B: Backend> FlowLatent<B> {
    /// log p(y | x), [B].
    pub fn log_prob(&self) -> Tensor<B, 1> {
        self.log_prob_z_coords.clone() + self.log_prob_z_velocs.clone() + self.logdet.clone()
    }
}

/// The state after one coupling layer of the data → latent pass.
#[derive(Debug, Clone)]
pub struct LayerLatent<B: Backend> {
    pub z_coords: Tensor<B, 3>,
    pub z_velocs: Tensor<B, 3>,
    /// Σ log s of this layer over real atoms, [B].
    pub logdet: Tensor<B, 1>,
}

/// A proposal y ~ p(· | x) with its log-density.
#[derive(Debug, Clone)]
pub struct FlowSample<B: Backend> {
    /// Absolute positions y^p (nm), [B, N, 3].
    pub y_coords: Tensor<B, 3>,
    /// Velocities y^v, [B, N, 3].
    pub y_velocs: Tensor<B, 3>,
    /// log p(y | x), [B].
    pub log_prob: Tensor<B, 1>,
    /// Σ_k Σ log s_k over real atoms (the log-determinant part of `log_prob`), [B].
    pub logdet: Tensor<B, 1>,
}

impl<B: Backend> TimewarpFlow<B> {
    /// A freshly initialised model (PyTorch's default initialisation, seed
    /// [`DEFAULT_INIT_SEED`]).
    ///
    /// # Panics
    /// If the config is invalid; validate user configs with [`FlowConfig::validate`] or use
    /// [`try_new`](Self::try_new).
    pub fn new(config: &FlowConfig, device: &B::Device) -> Self {
        Self::try_new(config, DEFAULT_INIT_SEED, device).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A freshly initialised model from a seeded host stream: the same seed gives the same
    /// weights on every backend.
    pub fn try_new(
        config: &FlowConfig,
        seed: u64,
        device: &B::Device,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        config.warn_on_ignored_fields();
        let mut init = Initializer::new(seed, device);
        let atom_embedder = init.embedding(NUM_ATOM_TYPES, config.atom_embedding_dim);
        let couplings = (0..config.num_coupling_layers)
            .map(|k| CouplingLayer::new(&mut init, config, config.transformed_vars(k)))
            .collect();
        let trainable = config.conditional_flow_density.scale_requires_grad;
        let enc = &config.encoder_layer_config;
        Ok(Self {
            coords_prior_log_scale: init.scalar(config.coords_prior_log_scale, trainable),
            velocs_prior_log_scale: init.scalar(config.velocs_prior_log_scale, trainable),
            atom_embedder,
            kernel: KernelAttention::new(&enc.lengthscales, enc.normalise_kernel_values, device),
            couplings,
            config: config.clone(),
        })
    }

    /// Assemble a model from its parts (used by the state-dict import).
    pub(crate) fn from_parts(
        config: FlowConfig,
        coords_prior_log_scale: Param<Tensor<B, 1>>,
        velocs_prior_log_scale: Param<Tensor<B, 1>>,
        atom_embedder: Embedding<B>,
        kernel: KernelAttention<B>,
        couplings: Vec<CouplingLayer<B>>,
    ) -> Self {
        Self {
            coords_prior_log_scale,
            velocs_prior_log_scale,
            atom_embedder,
            kernel,
            couplings,
            config,
        }
    }

    /// The same model with the last layer of every scale and shift network set to zero: every
    /// coupling is then the identity (s = 1, t = 0), so an untrained flow is exactly its base
    /// density and training starts from it (the zero initialisation of Glow).
    pub fn with_identity_couplings(mut self) -> Self {
        fn zero<B: Backend>(linear: &mut burn::nn::Linear<B>) {
            linear.weight = Param::from_tensor(linear.weight.val().zeros_like());
            if let Some(bias) = &linear.bias {
                linear.bias = Some(Param::from_tensor(bias.val().zeros_like()));
            }
        }
        for c in &mut self.couplings {
            for net in [&mut c.scale_transformer, &mut c.shift_transformer] {
                if let Some(last) = net.out_mlp.linears.last_mut() {
                    zero(last);
                }
            }
        }
        self
    }

    /// The hyper-parameters this model was built with.
    pub fn config(&self) -> &FlowConfig {
        &self.config
    }

    /// Number of trainable parameters (the official count).
    pub fn num_params(&self) -> usize {
        Module::num_params(self)
    }

    /// Current (σ_p, σ_v) of the base density.
    pub fn prior_scales(&self) -> (f64, f64) {
        let read = |p: &Param<Tensor<B, 1>>| {
            p.val()
                .into_data()
                .iter::<f64>()
                .next()
                .unwrap_or(f64::NAN)
                .exp()
        };
        (
            read(&self.coords_prior_log_scale),
            read(&self.velocs_prior_log_scale),
        )
    }

    /// Centred positions x̃ = x^p − c_b with c_b the plain mean over real atoms, [B, N, 3].
    pub fn centred_coords(&self, x_coords: Tensor<B, 3>, mask: Tensor<B, 2>) -> Tensor<B, 3> {
        let [b, n, _] = x_coords.dims();
        let mask = mask.reshape([b, n, 1]);
        let count = mask.clone().sum_dim(1); // [B, 1, 1]
        let centre = (x_coords.clone() * mask).sum_dim(1) / count; // [B, 1, 3]
        x_coords - centre
    }

    /// The conditioning velocities actually used (zeros if `ignore_conditional_velocity`).
    fn used_velocs(&self, x_velocs: Tensor<B, 3>) -> Tensor<B, 3> {
        if self
            .config
            .conditional_flow_density
            .ignore_conditional_velocity
        {
            x_velocs.zeros_like()
        } else {
            x_velocs
        }
    }

    /// Everything the coupling layers need from x: static tokens [h | x̃ | x^v] and Â.
    pub fn conditioning(&self, cond: &FlowCondition<B>) -> Conditioning<B> {
        self.conditioning_with(cond, None)
    }

    /// [`conditioning`](Self::conditioning) for a flow over only some components of every atom
    /// (see [`Conditioning::components`]).
    pub fn conditioning_with(
        &self,
        cond: &FlowCondition<B>,
        components: Option<Tensor<B, 3>>,
    ) -> Conditioning<B> {
        let [b, n, _] = cond.x_coords.dims();
        let x_centred = self.centred_coords(cond.x_coords.clone(), cond.mask.clone());
        let x_velocs = self.used_velocs(cond.x_velocs.clone());
        let features = self.atom_embedder.forward(cond.atom_types.clone());
        let e = features.dims()[2];
        let attention = query_major(self.kernel.weights(x_centred.clone(), cond.mask.clone()));
        let static_tokens = Tensor::cat(
            vec![
                features.reshape([b * n, e]),
                x_centred.reshape([b * n, 3]),
                x_velocs.reshape([b * n, 3]),
            ],
            1,
        );
        Conditioning {
            static_tokens,
            attention,
            mask: cond.mask.clone(),
            components,
        }
    }

    /// The positional target of the flow: Δ = y^p − x^p (or y^p itself if the displacement
    /// target is switched off).
    fn coords_target(&self, x_coords: Tensor<B, 3>, y_coords: Tensor<B, 3>) -> Tensor<B, 3> {
        if self
            .config
            .conditional_flow_density
            .use_displacement_as_target
        {
            y_coords - x_coords
        } else {
            y_coords
        }
    }

    /// log N(z; 0, σ²) = −z²/(2σ²) − log σ − ½ log 2π per coordinate, summed over real atoms.
    fn base_log_prob(
        &self,
        z: Tensor<B, 3>,
        log_sigma: &Param<Tensor<B, 1>>,
        ctx: &Conditioning<B>,
    ) -> Tensor<B, 1> {
        let log_sigma = log_sigma.val().reshape([1, 1, 1]);
        let inv_two_var = (log_sigma.clone() * 2.0).neg().exp() * 0.5; // 1 / (2σ²)
        let per_coordinate = (z.square() * inv_two_var).neg() - log_sigma - HALF_LOG_TWO_PI;
        ctx.sum_real(per_coordinate)
    }

    fn data_to_latent_impl(
        &self,
        batch: &FlowBatch<B>,
        components: Option<Tensor<B, 3>>,
        mut layers: Option<&mut Vec<LayerLatent<B>>>,
    ) -> FlowLatent<B> {
        let ctx = self.conditioning_with(&batch.condition(), components);
        let mut z_coords = self.coords_target(batch.x_coords.clone(), batch.y_coords.clone());
        let mut z_velocs = batch.y_velocs.clone();
        let mut logdet = Tensor::zeros(
            [batch.batch_size()],
            float_options::<B>(&batch.mask.device()),
        );
        for coupling in &self.couplings {
            let (zp, zv, layer_logdet) = coupling.forward(&ctx, z_coords, z_velocs);
            (z_coords, z_velocs) = (zp, zv);
            logdet = logdet + layer_logdet.clone();
            if let Some(layers) = layers.as_deref_mut() {
                layers.push(LayerLatent {
                    z_coords: z_coords.clone(),
                    z_velocs: z_velocs.clone(),
                    logdet: layer_logdet,
                });
            }
        }
        FlowLatent {
            log_prob_z_coords: self.base_log_prob(
                z_coords.clone(),
                &self.coords_prior_log_scale,
                &ctx,
            ),
            log_prob_z_velocs: self.base_log_prob(
                z_velocs.clone(),
                &self.velocs_prior_log_scale,
                &ctx,
            ),
            z_coords,
            z_velocs,
            logdet,
        }
    }

    /// Data → latent: z, the log-determinant and the base log-densities.
    pub fn data_to_latent(&self, batch: &FlowBatch<B>) -> FlowLatent<B> {
        self.data_to_latent_impl(batch, None, None)
    }

    /// [`data_to_latent`](Self::data_to_latent) of a flow over the `components` [B, N, 3] of
    /// every atom only; the other components pass unchanged and add nothing to log p.
    pub fn data_to_latent_masked(
        &self,
        batch: &FlowBatch<B>,
        components: Tensor<B, 3>,
    ) -> FlowLatent<B> {
        self.data_to_latent_impl(batch, Some(components), None)
    }

    /// As [`data_to_latent`](Self::data_to_latent), also returning the state after every
    /// coupling layer (diagnostics, parity tests).
    pub fn data_to_latent_layers(
        &self,
        batch: &FlowBatch<B>,
    ) -> (FlowLatent<B>, Vec<LayerLatent<B>>) {
        let mut layers = Vec::with_capacity(self.couplings.len());
        let latent = self.data_to_latent_impl(batch, None, Some(&mut layers));
        (latent, layers)
    }

    /// log p(y | x) per molecule, [B] (summed over atoms; base density + log-determinant).
    pub fn log_prob(&self, batch: &FlowBatch<B>) -> Tensor<B, 1> {
        self.data_to_latent(batch).log_prob()
    }

    /// The official training loss: −mean_b(log p_b / n_b), the per-atom negative
    /// log-likelihood, as a one-element tensor.
    pub fn nll_loss(&self, batch: &FlowBatch<B>) -> Tensor<B, 1> {
        (self.log_prob(batch) / batch.num_atoms()).mean().neg()
    }

    /// Latent → data: given the conditioning x and latents z = (z^p, z^v) [B, N, 3] (already
    /// scaled, z = σ ε), undo the couplings from last to first. Returns y and log p(y | x).
    pub fn sample_with_latents(
        &self,
        cond: &FlowCondition<B>,
        z_coords: Tensor<B, 3>,
        z_velocs: Tensor<B, 3>,
    ) -> FlowSample<B> {
        self.sample_with_latents_impl(cond, None, z_coords, z_velocs)
    }

    /// [`sample_with_latents`](Self::sample_with_latents) of a flow over the `components` of
    /// every atom only (the latents of the other components come out unchanged).
    pub fn sample_with_latents_masked(
        &self,
        cond: &FlowCondition<B>,
        components: Tensor<B, 3>,
        z_coords: Tensor<B, 3>,
        z_velocs: Tensor<B, 3>,
    ) -> FlowSample<B> {
        self.sample_with_latents_impl(cond, Some(components), z_coords, z_velocs)
    }

    fn sample_with_latents_impl(
        &self,
        cond: &FlowCondition<B>,
        components: Option<Tensor<B, 3>>,
        z_coords: Tensor<B, 3>,
        z_velocs: Tensor<B, 3>,
    ) -> FlowSample<B> {
        let ctx = self.conditioning_with(cond, components);
        let log_prob_z = self.base_log_prob(z_coords.clone(), &self.coords_prior_log_scale, &ctx)
            + self.base_log_prob(z_velocs.clone(), &self.velocs_prior_log_scale, &ctx);
        let (mut y_coords, mut y_velocs) = (z_coords, z_velocs);
        let mut logdet =
            Tensor::zeros([cond.batch_size()], float_options::<B>(&cond.mask.device()));
        for coupling in self.couplings.iter().rev() {
            let (p, v, layer_logdet) = coupling.inverse(&ctx, y_coords, y_velocs);
            (y_coords, y_velocs) = (p, v);
            logdet = logdet + layer_logdet;
        }
        if self
            .config
            .conditional_flow_density
            .use_displacement_as_target
        {
            y_coords = cond.x_coords.clone() + y_coords;
        }
        FlowSample {
            y_coords,
            y_velocs,
            log_prob: log_prob_z + logdet.clone(),
            logdet,
        }
    }

    /// Draw ε ~ N(0, I) on the host from `rng` (positions first, then velocities, [B, N, 3]
    /// each, padding slots included) and return the sample for z = (σ_p ε_p, σ_v ε_v).
    pub fn sample<R: Rng + ?Sized>(&self, cond: &FlowCondition<B>, rng: &mut R) -> FlowSample<B> {
        let [b, n, _] = cond.x_coords.dims();
        let device = cond.mask.device();
        let (sigma_p, sigma_v) = (
            self.coords_prior_log_scale.val().exp(),
            self.velocs_prior_log_scale.val().exp(),
        );
        let mut standard_normal = || {
            let eps: Vec<f64> = (0..b * n * 3).map(|_| rng.sample(StandardNormal)).collect();
            float_tensor::<B, 3>(eps, [b, n, 3], &device)
        };
        let eps_coords = standard_normal();
        let eps_velocs = standard_normal();
        let z_coords = eps_coords * sigma_p.reshape([1, 1, 1]);
        let z_velocs = eps_velocs * sigma_v.reshape([1, 1, 1]);
        self.sample_with_latents(cond, z_coords, z_velocs)
    }
}
