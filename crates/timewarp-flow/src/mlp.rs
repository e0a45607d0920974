//! φ_in and φ_out: `Linear → SiLU → Linear → … → Linear` (official `modules/layers/mlp.py`).

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::{backend::Backend, Tensor};

use crate::init::Initializer;

/// SiLU(x) = x·σ(x), with the logistic σ(x) = ½(1 + tanh(x/2)).
///
/// burn 0.21's default `sigmoid` evaluates in f32 even for f64 tensors, which would cap the
/// f64 parity at ~1e-7; the tanh form keeps the tensor's precision and has a gradient that stays
/// finite for any input.
pub fn silu<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    let logistic = (x.clone() * 0.5).tanh() * 0.5 + 0.5;
    x * logistic
}

/// A multilayer perceptron with SiLU between its linear layers and none after the last.
#[derive(Module, Debug)]
pub struct Mlp<B: Backend> {
    pub linears: Vec<Linear<B>>,
}

impl<B: Backend> Mlp<B> {
    pub fn new(
        init: &mut Initializer<B>,
        d_input: usize,
        hidden: &[usize],
        d_output: usize,
    ) -> Self {
        let mut widths = vec![d_input];
        widths.extend_from_slice(hidden);
        widths.push(d_output);
        let linears = widths
            .windows(2)
            .map(|w| init.linear(w[0], w[1], true))
            .collect();
        Self { linears }
    }

    /// Rows are tokens: [rows, d_input] → [rows, d_output].
    pub fn forward(&self, mut x: Tensor<B, 2>) -> Tensor<B, 2> {
        let last = self.linears.len() - 1;
        for (i, linear) in self.linears.iter().enumerate() {
            x = linear.forward(x);
            if i < last {
                x = silu(x);
            }
        }
        x
    }
}
