//! Kernel self-attention (official `kernel_attention.py`, `kernel_self_attention.py`).
//!
//! The attention weights are not learned: they are Gaussian kernels of the interatomic
//! distances of the conditioning state x̃ (centred positions at time t), one head per
//! length-scale ℓ_h,
//!
//! ```text
//!   w^h_ij = exp(−‖x̃_i − x̃_j‖² / ℓ_h²) · real_j          (padded keys j get weight 0)
//!   Â^h_ij = w^h_ij / (Σ_j |w^h_ij| + 1e-5)               (if normalise_kernel_values)
//! ```
//!
//! They depend on x̃ only, never on the latent variables, so [`KernelAttention::weights`] is
//! evaluated once per batch and shared by every encoder layer of every coupling layer. Each
//! head h then mixes a full-width value projection V^h = a·W_V^h (value width D, not D/H):
//!
//! ```text
//!   U^h = Â^h V^h,   O = [U^1 | … | U^H]·W_O      (head-major concatenation, no biases)
//! ```

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::{backend::Backend, Tensor};

use crate::init::{tensor_from_f64, Initializer};

/// Added to the row sums before normalising (official constant).
pub const KERNEL_NORMALISATION_EPS: f64 = 1e-5;

/// The multi-scale Gaussian kernel that gives the attention weights Â^h_ij.
#[derive(Module, Debug)]
pub struct KernelAttention<B: Backend> {
    /// Length-scales ℓ_h in nm, [H] (a buffer, not a parameter).
    pub lengthscales: Tensor<B, 1>,
    pub normalise: bool,
}

impl<B: Backend> KernelAttention<B> {
    /// The official code creates the length-scale buffer in float32, so even its float64 models
    /// hold float32-rounded values (0.1 → 0.10000000149011612); new models do the same.
    pub fn new(lengthscales: &[f64], normalise: bool, device: &B::Device) -> Self {
        let rounded = lengthscales.iter().map(|&l| l as f32 as f64).collect();
        Self::from_lengthscales(rounded, normalise, device)
    }

    /// Use exactly these length-scales (e.g. read from a state dict).
    pub fn from_lengthscales(lengthscales: Vec<f64>, normalise: bool, device: &B::Device) -> Self {
        let h = lengthscales.len();
        Self { lengthscales: tensor_from_f64(lengthscales, [h], device), normalise }
    }

    pub fn num_heads(&self) -> usize {
        self.lengthscales.dims()[0]
    }

    /// Attention weights Â [B, H, N(query), N(key)] from centred positions `x` [B, N, 3] and the
    /// real-atom mask [B, N] (1 real, 0 padding).
    pub fn weights(&self, x: Tensor<B, 3>, mask: Tensor<B, 2>) -> Tensor<B, 4> {
        let [b, n, _] = x.dims();
        let h = self.num_heads();
        // Squared distances d²_ij = ‖x_i − x_j‖², [B, 1, N, N].
        let diff = x.clone().unsqueeze_dim::<4>(2) - x.unsqueeze_dim::<4>(1);
        let d2 = diff.square().sum_dim(3).reshape([b, 1, n, n]);
        let inv_l2 = self.lengthscales.clone().square().recip().reshape([1, h, 1, 1]);
        let key_mask = mask.reshape([b, 1, 1, n]);
        // w ≥ 0, so Σ_j |w_ij| = Σ_j w_ij.
        let w = (d2 * inv_l2).neg().exp() * key_mask;
        if self.normalise {
            let row_sum = w.clone().sum_dim(3).add_scalar(KERNEL_NORMALISATION_EPS);
            w / row_sum
        } else {
            w
        }
    }
}

/// Multi-head kernel self-attention: value projection, Â-weighted sums, output projection.
#[derive(Module, Debug)]
pub struct KernelSelfAttention<B: Backend> {
    /// W_V: D → H·D, no bias.
    pub values_proj: Linear<B>,
    /// W_O: H·D → D, no bias.
    pub out_projection: Linear<B>,
    pub num_heads: usize,
}

impl<B: Backend> KernelSelfAttention<B> {
    pub fn new(init: &mut Initializer<B>, d_model: usize, num_heads: usize) -> Self {
        Self {
            values_proj: init.linear(d_model, num_heads * d_model, false),
            out_projection: init.linear(num_heads * d_model, d_model, false),
            num_heads,
        }
    }

    /// `a`: tokens [B·N, D] (molecule-major rows); `weights`: Â [B, H, N, N]. Returns O [B·N, D].
    pub fn forward(&self, a: Tensor<B, 2>, weights: &Tensor<B, 4>) -> Tensor<B, 2> {
        let [b, h, n, _] = weights.dims();
        let d = a.dims()[1];
        // V [B·N, H·D] → [B, N, H, D] → [B, H, N, D]; feature index h·D + d (head-major).
        let values = self.values_proj.forward(a).reshape([b, n, h, d]).swap_dims(1, 2);
        let attended = weights.clone().matmul(values);
        let concatenated = attended.swap_dims(1, 2).reshape([b * n, h * d]);
        self.out_projection.forward(concatenated)
    }
}
