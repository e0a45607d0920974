//! Affine coupling layer (official `NVPCouplingLayer` + `CustomAttentionTransformerCouplingLayer`).
//!
//! The state is split into positions z^p and velocities z^v. A positions layer transforms z^p
//! conditioned on z^v (and x), a velocities layer the other way round. In the data → latent
//! direction (density evaluation, as in the official code)
//!
//! ```text
//!   s = exp(f_s(tokens)),  t = f_t(tokens),  z ← z ⊙ s + t,  log|det J| = Σ_{real i, axes} log s
//! ```
//! and latent → data (sampling) inverts it, z ← (z − t) / s. The tokens contain the untouched
//! half, so s and t are the same in both directions.

use burn::module::Module;
use burn::tensor::{backend::Backend, Tensor};

use crate::config::{FlowConfig, TransformedVars};
use crate::init::Initializer;
use crate::transformer::ConditionerNetwork;

/// What every coupling layer sees of the conditioning state x (computed once per batch).
#[derive(Debug, Clone)]
pub struct Conditioning<B: Backend> {
    /// [h_i | x̃_i | x^v_i] for every atom, [B·N, E+6].
    pub static_tokens: Tensor<B, 2>,
    /// Kernel attention weights Â in query-major layout [B, N·H, N] (row i·H + h = Â^h_i·).
    pub attention: Tensor<B, 3>,
    /// 1 for real atoms, 0 for padding, [B, N].
    pub mask: Tensor<B, 2>,
    /// Which components of each atom's 3-vector are variables of the flow, 1/0, [B, N, 3]
    /// (zero in padding slots). `None`: all three of every real atom (the Cartesian model).
    /// The couplings leave the other components unchanged and they add nothing to log p.
    pub components: Option<Tensor<B, 3>>,
}

impl<B: Backend> Conditioning<B> {
    /// Full conditioner tokens t_i = [h_i | x̃_i | x^v_i | o_i] with `other` = o, [B, N, 3].
    pub fn tokens(&self, other: Tensor<B, 3>) -> Tensor<B, 2> {
        let [b, n, _] = other.dims();
        Tensor::cat(
            vec![self.static_tokens.clone(), other.reshape([b * n, 3])],
            1,
        )
    }

    /// Σ over the flow's variables (real atoms and axes, or `components`) of a per-atom
    /// quantity [B, N, 3] → [B].
    pub fn sum_real(&self, values: Tensor<B, 3>) -> Tensor<B, 1> {
        let [b, n, _] = values.dims();
        let masked = match &self.components {
            Some(m) => values * m.clone(),
            None => values * self.mask.clone().reshape([b, n, 1]),
        };
        masked.sum_dims_squeeze::<1, _>(&[1, 2])
    }
}

/// One RealNVP coupling layer with a transformer scale network and a transformer shift network.
#[derive(Module, Debug)]
pub struct CouplingLayer<B: Backend> {
    /// Gives log s.
    pub scale_transformer: ConditionerNetwork<B>,
    /// Gives t.
    pub shift_transformer: ConditionerNetwork<B>,
    #[module(skip)]
    pub transformed_vars: TransformedVars,
}

impl<B: Backend> CouplingLayer<B> {
    pub fn new(
        init: &mut Initializer<B>,
        config: &FlowConfig,
        transformed_vars: TransformedVars,
    ) -> Self {
        Self {
            scale_transformer: ConditionerNetwork::new(init, config),
            shift_transformer: ConditionerNetwork::new(init, config),
            transformed_vars,
        }
    }

    /// The half that conditions this layer: z^v for a positions layer, z^p for a velocities layer.
    fn other<'a>(
        &self,
        z_coords: &'a Tensor<B, 3>,
        z_velocs: &'a Tensor<B, 3>,
    ) -> &'a Tensor<B, 3> {
        match self.transformed_vars {
            TransformedVars::Positions => z_velocs,
            TransformedVars::Velocities => z_coords,
        }
    }

    /// (log s, t), each [B, N, 3], given the untransformed half `other` [B, N, 3].
    pub fn log_scale_and_shift(
        &self,
        ctx: &Conditioning<B>,
        other: Tensor<B, 3>,
    ) -> (Tensor<B, 3>, Tensor<B, 3>) {
        let [b, n, _] = other.dims();
        let tokens = ctx.tokens(other);
        let log_scale = self
            .scale_transformer
            .forward(tokens.clone(), &ctx.attention);
        let shift = self.shift_transformer.forward(tokens, &ctx.attention);
        let (log_scale, shift) = (log_scale.reshape([b, n, 3]), shift.reshape([b, n, 3]));
        match &ctx.components {
            // Components that are not variables: s = 1, t = 0.
            Some(m) => (log_scale * m.clone(), shift * m.clone()),
            None => (log_scale, shift),
        }
    }

    /// Data → latent: z ← z ⊙ s + t on the transformed half. Returns the new (z^p, z^v) and
    /// log|det J| = Σ_{real atoms, axes} log s, [B].
    pub fn forward(
        &self,
        ctx: &Conditioning<B>,
        z_coords: Tensor<B, 3>,
        z_velocs: Tensor<B, 3>,
    ) -> (Tensor<B, 3>, Tensor<B, 3>, Tensor<B, 1>) {
        let other = self.other(&z_coords, &z_velocs).clone();
        let (log_scale, shift) = self.log_scale_and_shift(ctx, other);
        let logdet = ctx.sum_real(log_scale.clone());
        let affine = |z: Tensor<B, 3>| z * log_scale.exp() + shift;
        match self.transformed_vars {
            TransformedVars::Positions => (affine(z_coords), z_velocs, logdet),
            TransformedVars::Velocities => (z_coords, affine(z_velocs), logdet),
        }
    }

    /// Latent → data: z ← (z − t) / s, the inverse of [`forward`](Self::forward). Returns the new
    /// (z^p, z^v) and the log-determinant of the *forward* map, +Σ log s, [B].
    pub fn inverse(
        &self,
        ctx: &Conditioning<B>,
        z_coords: Tensor<B, 3>,
        z_velocs: Tensor<B, 3>,
    ) -> (Tensor<B, 3>, Tensor<B, 3>, Tensor<B, 1>) {
        let other = self.other(&z_coords, &z_velocs).clone();
        let (log_scale, shift) = self.log_scale_and_shift(ctx, other);
        let logdet = ctx.sum_real(log_scale.clone());
        let inverse_affine = |z: Tensor<B, 3>| (z - shift) / log_scale.exp();
        match self.transformed_vars {
            TransformedVars::Positions => (inverse_affine(z_coords), z_velocs, logdet),
            TransformedVars::Velocities => (z_coords, inverse_affine(z_velocs), logdet),
        }
    }
}
