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
//!   U^h = Â^h V^h,   O = [U^1 | … | U^H]·W_O = Σ_h U^h W_O^h   (head-major, no biases)
//! ```
//!
//! Since Â^h (a W_V^h) W_O^h = (Â^h a)(W_V^h W_O^h), [`KernelSelfAttention::forward`] first
//! mixes the tokens, P^h = Â^h a (one batched GEMM over all heads), then applies the merged
//! per-head maps M^h = W_V^h W_O^h (D × D) in one GEMM: O = [P^1 | … | P^H]·[M^1; …; M^H].
//! This is the same function with one GEMM and two transposes fewer per layer.

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::{backend::Backend, Tensor};

use crate::host::float_tensor;
use crate::init::Initializer;

/// Added to the row sums before normalising (official constant).
pub const KERNEL_NORMALISATION_EPS: f64 = 1e-5;

/// Kernel weights exp(−(d/ℓ)²) with (d/ℓ)² beyond this (weight < e^−69 ≈ 1e-30) are set to
/// exactly 0. Unchanged to far below f64 resolution (a real atom's own weight is 1, so a row sum
/// is ≥ 1), but it keeps the weights out of the subnormal range, which makes every later
/// product with them some 100 times slower on CPUs (f32: e^−x is subnormal for x > 87).
pub const KERNEL_NEGLIGIBLE_EXPONENT: f64 = 69.0;

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
        Self {
            lengthscales: float_tensor(lengthscales, [h], device),
            normalise,
        }
    }

    pub fn num_heads(&self) -> usize {
        self.lengthscales.dims()[0]
    }

    /// Attention weights Â [B, H, N(query), N(key)] from centred positions `x` [B, N, 3] and the
    /// real-atom mask [B, N] (1 real, 0 padding).
    /// [`query_major`] turns them into the layout [`KernelSelfAttention::forward`] takes.
    pub fn weights(&self, x: Tensor<B, 3>, mask: Tensor<B, 2>) -> Tensor<B, 4> {
        let [b, n, _] = x.dims();
        let h = self.num_heads();
        // Squared distances d²_ij = ‖x_i − x_j‖², [B, 1, N, N].
        let diff = x.clone().unsqueeze_dim::<4>(2) - x.unsqueeze_dim::<4>(1);
        let d2 = diff.square().sum_dim(3).reshape([b, 1, n, n]);
        let inv_l2 = self
            .lengthscales
            .clone()
            .square()
            .recip()
            .reshape([1, h, 1, 1]);
        let key_mask = mask.reshape([b, 1, 1, n]);
        let exponent = d2 * inv_l2; // (d_ij / ℓ_h)²
        let negligible = exponent
            .clone()
            .greater_equal_elem(KERNEL_NEGLIGIBLE_EXPONENT);
        let kernel = exponent
            .clamp_max(KERNEL_NEGLIGIBLE_EXPONENT)
            .neg()
            .exp()
            .mask_fill(negligible, 0.0);
        // w ≥ 0, so Σ_j |w_ij| = Σ_j w_ij.
        let w = kernel * key_mask;
        if self.normalise {
            let row_sum = w.clone().sum_dim(3).add_scalar(KERNEL_NORMALISATION_EPS);
            w / row_sum
        } else {
            w
        }
    }
}

/// Â [B, H, N, N] → query-major [B, N·H, N]: row i·H + h holds Â^h_i·. Done once per batch.
pub fn query_major<B: Backend>(weights: Tensor<B, 4>) -> Tensor<B, 3> {
    let [b, h, n, _] = weights.dims();
    weights.swap_dims(1, 2).reshape([b, n * h, n])
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

    /// The merged value-output maps M^h = W_V^h W_O^h stacked over heads, [H·D, D].
    fn merged_projection(&self) -> Tensor<B, 2> {
        let h = self.num_heads;
        // burn stores x·W weights: W_V [D, H·D] (column h·D + e = head h, value feature e),
        // W_O [H·D, D] (row h·D + e).
        let [d, _] = self.values_proj.weight.dims();
        let w_v = self
            .values_proj
            .weight
            .val()
            .reshape([d, h, d])
            .swap_dims(0, 1); // [H, D, D_v]
        let w_o = self.out_projection.weight.val().reshape([h, d, d]); // [H, D_v, D]
        w_v.matmul(w_o).reshape([h * d, d])
    }

    /// `a`: tokens [B·N, D] (molecule-major rows); `weights`: query-major Â [B, N·H, N]
    /// (see [`query_major`]). Returns O [B·N, D].
    pub fn forward(&self, a: Tensor<B, 2>, weights: &Tensor<B, 3>) -> Tensor<B, 2> {
        let [b, nh, n] = weights.dims();
        let d = a.dims()[1];
        // P[b, i·H + h] = Σ_j Â^h_ij a_j, read as [B·N, H·D] with column h·D + feature.
        let mixed = weights
            .clone()
            .matmul(a.reshape([b, n, d]))
            .reshape([b * n, nh / n * d]);
        mixed.matmul(self.merged_projection())
    }
}
