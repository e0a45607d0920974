//! Parameter initialisation, drawn on the host from one seeded ChaCha stream so that a seed gives
//! the same initial model on every backend (CPU, CUDA) and at every precision.
//!
//! The distributions are PyTorch's defaults, which the official model uses: `nn.Linear` weight
//! and bias ~ U(−1/√fan_in, 1/√fan_in), `nn.Embedding` ~ N(0, 1), `nn.LayerNorm` γ = 1, β = 0.

use burn::module::Param;
use burn::nn::{Embedding, LayerNorm, LayerNormConfig, Linear};
use burn::tensor::{backend::Backend, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::host::float_tensor;

/// A LayerNorm (ε = 1e-5) with the given γ and β.
pub fn layer_norm<B: Backend>(gamma: Vec<f64>, beta: Vec<f64>, device: &B::Device) -> LayerNorm<B> {
    let d = gamma.len();
    // burn's `LayerNorm` keeps ε private: build it from its config, then set γ and β.
    let mut norm = LayerNormConfig::new(d)
        .with_epsilon(LAYER_NORM_EPS)
        .init(device);
    norm.gamma = Param::from_tensor(float_tensor(gamma, [d], device));
    norm.beta = Some(Param::from_tensor(float_tensor(beta, [d], device)));
    norm
}

/// Epsilon of every LayerNorm (PyTorch's default, used by the official encoder layers).
pub const LAYER_NORM_EPS: f64 = 1e-5;

/// A seeded source of initial parameters on `device`.
pub struct Initializer<'d, B: Backend> {
    rng: ChaCha8Rng,
    device: &'d B::Device,
}

impl<'d, B: Backend> Initializer<'d, B> {
    pub fn new(seed: u64, device: &'d B::Device) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            device,
        }
    }

    pub fn device(&self) -> &'d B::Device {
        self.device
    }

    fn uniform(&mut self, n: usize, bound: f64) -> Vec<f64> {
        (0..n)
            .map(|_| self.rng.random_range(-bound..bound))
            .collect()
    }

    /// y = x·W + b with W stored [d_input, d_output] (burn's row layout; the transpose of
    /// PyTorch's [out, in]).
    pub fn linear(&mut self, d_input: usize, d_output: usize, bias: bool) -> Linear<B> {
        let bound = 1.0 / (d_input as f64).sqrt();
        let weight = self.uniform(d_input * d_output, bound);
        let weight = Param::from_tensor(float_tensor(weight, [d_input, d_output], self.device));
        let bias = bias.then(|| {
            let b = self.uniform(d_output, bound);
            Param::from_tensor(float_tensor(b, [d_output], self.device))
        });
        Linear { weight, bias }
    }

    /// LayerNorm over `d` features with γ = 1, β = 0, ε = 1e-5.
    pub fn layer_norm(&mut self, d: usize) -> LayerNorm<B> {
        layer_norm(vec![1.0; d], vec![0.0; d], self.device)
    }

    /// Embedding table [n, d] ~ N(0, 1).
    pub fn embedding(&mut self, n: usize, d: usize) -> Embedding<B> {
        let values = (0..n * d)
            .map(|_| self.rng.sample::<f64, _>(StandardNormal))
            .collect();
        Embedding {
            weight: Param::from_tensor(float_tensor(values, [n, d], self.device)),
        }
    }

    /// A scalar parameter, stored as a one-element tensor.
    pub fn scalar(&mut self, value: f64, require_grad: bool) -> Param<Tensor<B, 1>> {
        Param::from_tensor(float_tensor(vec![value], [1], self.device))
            .set_require_grad(require_grad)
    }
}
