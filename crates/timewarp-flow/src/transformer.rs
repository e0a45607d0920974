//! The conditioner network of a coupling layer (official `CustomAttentionTransformerBlock` with
//! `CustomTransformerEncoderLayer`s): φ_in, L post-LayerNorm encoder layers, φ_out.
//!
//! ```text
//!   a = φ_in(t)                                  t_i = [h_i | x̃_i | x^v_i | other half_i]
//!   repeat L times:
//!     a = LN1(a + KernelSelfAttention(a; Â))
//!     a = LN2(a + W2·ReLU(W1·a + b1) + b2)
//!   out = φ_out(a)                               [N, 3]
//! ```
//! LN normalises over the D features with the biased variance, ε = 1e-5, then ·γ + β.
//! Tokens are rows of a [B·N, width] matrix so that every linear layer is one GEMM.

use burn::module::Module;
use burn::nn::{LayerNorm, Linear};
use burn::tensor::{activation::relu, backend::Backend, Tensor};

use crate::attention::KernelSelfAttention;
use crate::config::FlowConfig;
use crate::init::Initializer;
use crate::mlp::Mlp;

/// One transformer encoder layer (post-LN, ReLU feed-forward, kernel self-attention).
#[derive(Module, Debug)]
pub struct EncoderLayer<B: Backend> {
    pub self_attn: KernelSelfAttention<B>,
    pub linear1: Linear<B>,
    pub linear2: Linear<B>,
    pub norm1: LayerNorm<B>,
    pub norm2: LayerNorm<B>,
}

impl<B: Backend> EncoderLayer<B> {
    pub fn new(
        init: &mut Initializer<B>,
        d_model: usize,
        dim_feedforward: usize,
        num_heads: usize,
    ) -> Self {
        Self {
            self_attn: KernelSelfAttention::new(init, d_model, num_heads),
            linear1: init.linear(d_model, dim_feedforward, true),
            linear2: init.linear(dim_feedforward, d_model, true),
            norm1: init.layer_norm(d_model),
            norm2: init.layer_norm(d_model),
        }
    }

    /// The attention block followed by the first residual and LayerNorm: LN1(a + O).
    pub fn attention_block(&self, a: Tensor<B, 2>, weights: &Tensor<B, 3>) -> Tensor<B, 2> {
        let attended = self.self_attn.forward(a.clone(), weights);
        self.norm1.forward(a + attended)
    }

    /// The feed-forward block with its residual and LayerNorm: LN2(a + FF(a)).
    pub fn feed_forward_block(&self, a: Tensor<B, 2>) -> Tensor<B, 2> {
        let ff = self.linear2.forward(relu(self.linear1.forward(a.clone())));
        self.norm2.forward(a + ff)
    }

    /// [B·N, D] → [B·N, D].
    pub fn forward(&self, a: Tensor<B, 2>, weights: &Tensor<B, 3>) -> Tensor<B, 2> {
        self.feed_forward_block(self.attention_block(a, weights))
    }
}

/// φ_in → encoder layers → φ_out; gives either log s or t of a coupling layer.
#[derive(Module, Debug)]
pub struct ConditionerNetwork<B: Backend> {
    pub in_mlp: Mlp<B>,
    pub encoder_layers: Vec<EncoderLayer<B>>,
    pub out_mlp: Mlp<B>,
}

impl<B: Backend> ConditionerNetwork<B> {
    pub fn new(init: &mut Initializer<B>, config: &FlowConfig) -> Self {
        let enc = &config.encoder_layer_config;
        let hidden = &config.latent_mlp_hidden_dims;
        Self {
            in_mlp: Mlp::new(init, config.token_dim(), hidden, enc.d_model),
            encoder_layers: (0..config.num_transformer_layers)
                .map(|_| {
                    EncoderLayer::new(init, enc.d_model, enc.dim_feedforward, config.num_heads())
                })
                .collect(),
            out_mlp: Mlp::new(init, enc.d_model, hidden, 3),
        }
    }

    /// Tokens [B·N, E+9] and query-major attention weights [B, N·H, N] → outputs [B·N, 3].
    pub fn forward(&self, tokens: Tensor<B, 2>, weights: &Tensor<B, 3>) -> Tensor<B, 2> {
        let mut a = self.in_mlp.forward(tokens);
        for layer in &self.encoder_layers {
            a = layer.forward(a, weights);
        }
        self.out_mlp.forward(a)
    }
}
