//! Padded batches, as the official collate (`moldyn_dense_collate_fn`) builds them.
//!
//! Molecules of different sizes share one [B, N] layout: real atoms first, then padding slots
//! with atom type 0 (carbon), coordinates and velocities 0, and mask 0. Padded slots flow
//! through the network like real ones; they are excluded only as attention keys and from the
//! log-determinant and base-density sums, so they never change the result for the real atoms.
//!
//! Build batches with [`FlowBatch::from_examples`] / [`FlowCondition::from_examples`] (padded,
//! validated), or from tensors made with [`crate::host`], the one host → tensor bridge.

use burn::tensor::{backend::Backend, Int, Tensor};
use thiserror::Error;

use crate::host::{float_tensor, int_tensor};
use crate::NUM_ATOM_TYPES;

/// A batch of pairs (x = state at t, y = state at t + τ) for density evaluation.
/// Positions in nm, velocities in nm/ps (the official data).
#[derive(Debug, Clone)]
pub struct FlowBatch<B: Backend> {
    /// Element index in [`crate::ELEMENT_VOCAB`], [B, N] (padding: 0).
    pub atom_types: Tensor<B, 2, Int>,
    /// 1 for a real atom, 0 for padding, [B, N].
    pub mask: Tensor<B, 2>,
    pub x_coords: Tensor<B, 3>,
    pub x_velocs: Tensor<B, 3>,
    pub y_coords: Tensor<B, 3>,
    pub y_velocs: Tensor<B, 3>,
}

/// The conditioning half of a batch: what the sampler knows before proposing y.
#[derive(Debug, Clone)]
pub struct FlowCondition<B: Backend> {
    pub atom_types: Tensor<B, 2, Int>,
    pub mask: Tensor<B, 2>,
    pub x_coords: Tensor<B, 3>,
    pub x_velocs: Tensor<B, 3>,
}

impl<B: Backend> FlowBatch<B> {
    /// The conditioning part (x, atom types, mask).
    pub fn condition(&self) -> FlowCondition<B> {
        FlowCondition {
            atom_types: self.atom_types.clone(),
            mask: self.mask.clone(),
            x_coords: self.x_coords.clone(),
            x_velocs: self.x_velocs.clone(),
        }
    }

    /// The same molecules with x and y exchanged: log p(x | y), needed by the
    /// Metropolis–Hastings acceptance ratio.
    pub fn reversed(&self) -> Self {
        Self {
            atom_types: self.atom_types.clone(),
            mask: self.mask.clone(),
            x_coords: self.y_coords.clone(),
            x_velocs: self.y_velocs.clone(),
            y_coords: self.x_coords.clone(),
            y_velocs: self.x_velocs.clone(),
        }
    }

    pub fn batch_size(&self) -> usize {
        self.mask.dims()[0]
    }

    /// Number of real atoms n_b per molecule, [B].
    pub fn num_atoms(&self) -> Tensor<B, 1> {
        self.mask.clone().sum_dim(1).squeeze_dim(1)
    }

    /// Pad and upload host examples. `num_slots` fixes N (default: the largest molecule).
    pub fn from_examples(
        examples: &[PairExample<'_>],
        num_slots: Option<usize>,
        device: &B::Device,
    ) -> Result<Self, BatchError> {
        let conditions: Vec<ConditionExample<'_>> =
            examples.iter().map(PairExample::condition).collect();
        let condition = FlowCondition::from_examples(&conditions, num_slots, device)?;
        let n = condition.mask.dims()[1];
        let mut y_coords = Vec::with_capacity(examples.len());
        let mut y_velocs = Vec::with_capacity(examples.len());
        for (b, ex) in examples.iter().enumerate() {
            check_states(b, "y_coords", ex.y_coords, ex.atom_types.len())?;
            check_states(b, "y_velocs", ex.y_velocs, ex.atom_types.len())?;
            y_coords.push(ex.y_coords);
            y_velocs.push(ex.y_velocs);
        }
        Ok(Self {
            atom_types: condition.atom_types,
            mask: condition.mask,
            x_coords: condition.x_coords,
            x_velocs: condition.x_velocs,
            y_coords: padded_vectors(&y_coords, n, device),
            y_velocs: padded_vectors(&y_velocs, n, device),
        })
    }
}

impl<B: Backend> FlowCondition<B> {
    pub fn batch_size(&self) -> usize {
        self.mask.dims()[0]
    }

    /// Number of atom slots N (including padding).
    pub fn num_slots(&self) -> usize {
        self.mask.dims()[1]
    }

    /// Number of real atoms n_b per molecule, [B].
    pub fn num_atoms(&self) -> Tensor<B, 1> {
        self.mask.clone().sum_dim(1).squeeze_dim(1)
    }

    /// Complete the condition with y into a [`FlowBatch`].
    pub fn with_targets(&self, y_coords: Tensor<B, 3>, y_velocs: Tensor<B, 3>) -> FlowBatch<B> {
        FlowBatch {
            atom_types: self.atom_types.clone(),
            mask: self.mask.clone(),
            x_coords: self.x_coords.clone(),
            x_velocs: self.x_velocs.clone(),
            y_coords,
            y_velocs,
        }
    }

    /// Pad and upload host examples. `num_slots` fixes N (default: the largest molecule).
    pub fn from_examples(
        examples: &[ConditionExample<'_>],
        num_slots: Option<usize>,
        device: &B::Device,
    ) -> Result<Self, BatchError> {
        if examples.is_empty() {
            return Err(BatchError::Empty);
        }
        let largest = examples
            .iter()
            .map(|e| e.atom_types.len())
            .max()
            .unwrap_or(0);
        let n = num_slots.unwrap_or(largest);
        let b = examples.len();
        let mut atom_types = vec![0i64; b * n];
        let mut mask = vec![0.0f64; b * n];
        for (i, ex) in examples.iter().enumerate() {
            let atoms = ex.atom_types.len();
            if atoms == 0 {
                return Err(BatchError::NoAtoms { example: i });
            }
            if atoms > n {
                return Err(BatchError::TooManyAtoms {
                    example: i,
                    atoms,
                    slots: n,
                });
            }
            check_states(i, "x_coords", ex.x_coords, atoms)?;
            check_states(i, "x_velocs", ex.x_velocs, atoms)?;
            for (j, &t) in ex.atom_types.iter().enumerate() {
                if !(0..NUM_ATOM_TYPES as i64).contains(&t) {
                    return Err(BatchError::AtomType {
                        example: i,
                        atom: j,
                        atom_type: t,
                    });
                }
                atom_types[i * n + j] = t;
                mask[i * n + j] = 1.0;
            }
        }
        let x_coords: Vec<&[[f64; 3]]> = examples.iter().map(|e| e.x_coords).collect();
        let x_velocs: Vec<&[[f64; 3]]> = examples.iter().map(|e| e.x_velocs).collect();
        Ok(Self {
            atom_types: int_tensor(atom_types, [b, n], device),
            mask: float_tensor(mask, [b, n], device),
            x_coords: padded_vectors(&x_coords, n, device),
            x_velocs: padded_vectors(&x_velocs, n, device),
        })
    }
}

/// One molecule's transition on the host: atom types and the states at t (x) and t + τ (y).
#[derive(Debug, Clone, Copy)]
pub struct PairExample<'a> {
    pub atom_types: &'a [i64],
    pub x_coords: &'a [[f64; 3]],
    pub x_velocs: &'a [[f64; 3]],
    pub y_coords: &'a [[f64; 3]],
    pub y_velocs: &'a [[f64; 3]],
}

impl<'a> PairExample<'a> {
    pub fn condition(&self) -> ConditionExample<'a> {
        ConditionExample {
            atom_types: self.atom_types,
            x_coords: self.x_coords,
            x_velocs: self.x_velocs,
        }
    }
}

/// One molecule's conditioning state on the host.
#[derive(Debug, Clone, Copy)]
pub struct ConditionExample<'a> {
    pub atom_types: &'a [i64],
    pub x_coords: &'a [[f64; 3]],
    pub x_velocs: &'a [[f64; 3]],
}

/// A batch that cannot be built; names the example (index in the batch) and atom at fault.
#[derive(Debug, Error, PartialEq)]
pub enum BatchError {
    #[error("empty batch")]
    Empty,
    #[error("example {example}: molecule has no atoms")]
    NoAtoms { example: usize },
    #[error("example {example}: {atoms} atoms do not fit in {slots} slots")]
    TooManyAtoms {
        example: usize,
        atoms: usize,
        slots: usize,
    },
    #[error("example {example}: {field} has {got} atoms, atom_types has {expected}")]
    Length {
        example: usize,
        field: &'static str,
        got: usize,
        expected: usize,
    },
    #[error("example {example}, atom {atom}: atom type {atom_type} outside the element vocabulary (0..5 = C, H, N, O, S)")]
    AtomType {
        example: usize,
        atom: usize,
        atom_type: i64,
    },
    #[error("example {example}, atom {atom}: non-finite {field} {value:?}")]
    NonFinite {
        example: usize,
        atom: usize,
        field: &'static str,
        value: [f64; 3],
    },
}

fn check_states(
    example: usize,
    field: &'static str,
    states: &[[f64; 3]],
    expected: usize,
) -> Result<(), BatchError> {
    if states.len() != expected {
        return Err(BatchError::Length {
            example,
            field,
            got: states.len(),
            expected,
        });
    }
    if let Some((atom, value)) = states
        .iter()
        .enumerate()
        .find(|(_, v)| v.iter().any(|c| !c.is_finite()))
    {
        return Err(BatchError::NonFinite {
            example,
            atom,
            field,
            value: *value,
        });
    }
    Ok(())
}

/// [B, N, 3] tensor with each example's vectors first and zeros in the padding slots.
fn padded_vectors<B: Backend>(
    examples: &[&[[f64; 3]]],
    n: usize,
    device: &B::Device,
) -> Tensor<B, 3> {
    let mut values = vec![0.0f64; examples.len() * n * 3];
    for (i, vectors) in examples.iter().enumerate() {
        for (j, v) in vectors.iter().enumerate() {
            values[(i * n + j) * 3..(i * n + j) * 3 + 3].copy_from_slice(v);
        }
    }
    float_tensor(values, [examples.len(), n, 3], device)
}
