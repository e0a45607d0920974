//! The one bridge between host numbers and burn tensors: every tensor the workspace builds from
//! host data (model parameters, batches, proposals) and every result it reads back goes through
//! these functions.
//!
//! Each upload names its dtype: burn 0.21 otherwise takes the dtype of a new tensor from a
//! per-device default that the *first* backend used on that device fixes. `NdArray<f32>` and
//! `NdArray<f64>` share the CPU device, so a process using both would silently compute one of
//! them in the other's precision.

use burn::tensor::{backend::Backend, Element, Int, Tensor, TensorCreationOptions, TensorData};

/// Creation options for float tensors of the backend's own precision on `device`.
pub fn float_options<B: Backend>(device: &B::Device) -> TensorCreationOptions<B> {
    TensorCreationOptions::new(device.clone()).with_dtype(<B::FloatElem as Element>::dtype())
}

/// Creation options for integer tensors of the backend's own int type on `device`.
pub fn int_options<B: Backend>(device: &B::Device) -> TensorCreationOptions<B> {
    TensorCreationOptions::new(device.clone()).with_dtype(<B::IntElem as Element>::dtype())
}

/// A float tensor of the backend's precision on `device` from host values (f32 or f64) in
/// row-major order.
pub fn float_tensor<B: Backend, const D: usize>(
    values: Vec<impl Element>,
    shape: [usize; D],
    device: &B::Device,
) -> Tensor<B, D> {
    Tensor::from_data(TensorData::new(values, shape), float_options::<B>(device))
}

/// An integer tensor of the backend's int type on `device` from host values in row-major order.
pub fn int_tensor<B: Backend, const D: usize>(
    values: Vec<i64>,
    shape: [usize; D],
    device: &B::Device,
) -> Tensor<B, D, Int> {
    Tensor::from_data(TensorData::new(values, shape), int_options::<B>(device))
}

/// A [b, n, 3] tensor from b·n·3 host numbers (molecule-major, then atom, then x/y/z).
pub fn vectors_tensor<B: Backend>(
    flat: Vec<f64>,
    b: usize,
    n: usize,
    device: &B::Device,
) -> Tensor<B, 3> {
    float_tensor(flat, [b, n, 3], device)
}

/// Atom types [b, n] and mask [b, n] (all ones: no padding) of b copies of one molecule, the
/// batch a sampler proposes for: one chain state per proposal.
pub fn copies_of_molecule<B: Backend>(
    atom_types: &[i64],
    b: usize,
    device: &B::Device,
) -> (Tensor<B, 2, Int>, Tensor<B, 2>) {
    let n = atom_types.len();
    let types: Vec<i64> = (0..b).flat_map(|_| atom_types.iter().copied()).collect();
    let mask = Tensor::ones([b, n], float_options::<B>(device));
    (int_tensor(types, [b, n], device), mask)
}

/// The values of a tensor of any shape as f64, row-major.
pub fn to_host_f64<B: Backend, const D: usize>(tensor: Tensor<B, D>) -> Vec<f64> {
    tensor.into_data().iter::<f64>().collect()
}

/// Per-molecule vectors of a [B, N, 3] tensor, all N slots (padding included), as f64.
pub fn to_host_vectors<B: Backend>(tensor: Tensor<B, 3>) -> Vec<Vec<[f64; 3]>> {
    let [b, n, _] = tensor.dims();
    let values = to_host_f64(tensor);
    (0..b)
        .map(|i| {
            (0..n)
                .map(|j| std::array::from_fn(|k| values[(i * n + j) * 3 + k]))
                .collect()
        })
        .collect()
}

/// Values of a `[B]` tensor as f64.
pub fn to_host_scalars<B: Backend>(tensor: Tensor<B, 1>) -> Vec<f64> {
    to_host_f64(tensor)
}
