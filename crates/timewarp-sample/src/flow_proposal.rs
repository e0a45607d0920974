//! The Timewarp flow as a [`ProposalKernel`].
//!
//! For proposal k with conditioning state (x_k, v_k) and base noise ε_k = (ε_p, ε_v) ~ N(0, I),
//! the flow maps the latent z = (σ_p ε_p, σ_v ε_v) to (y_k, w_k) and returns
//! log q(y_k, w_k | x_k, v_k) = log N(z; 0, σ²) + Σ log s (latent → data). The reverse density
//! log q(x_k, v_k | y_k, w_k) is the flow's likelihood of the pair with the roles of the states
//! exchanged (conditioning on (y_k, w_k), target (x_k, v_k)), without negating the velocities:
//! they are auxiliary N(0, I) variables, as in the official sampler's random-velocity mode.
//! All B proposals (of all chains) go through the flow as one batch in each direction.

use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use timewarp_flow::host::{copies_of_molecule, to_host_f64, vectors_tensor};
use timewarp_flow::{atom_type_of, FlowCondition, TimewarpFlow};
use timewarp_mol::Topology;

use crate::kernel::{ProposalKernel, ProposalRequest, Proposals};
use crate::SampleError;

/// The flow proposal on burn backend `B`.
pub struct FlowProposal<B: Backend> {
    flow: TimewarpFlow<B>,
    device: B::Device,
    atom_types: Vec<i64>,
    /// Base-density scales (σ_p, σ_v).
    sigma: (f64, f64),
}

impl<B: Backend> FlowProposal<B> {
    /// Wraps `flow` for the molecule `topology`; every element must be one the model knows.
    pub fn new(
        flow: TimewarpFlow<B>,
        topology: &Topology,
        device: B::Device,
    ) -> Result<Self, SampleError> {
        let atom_types = topology
            .atoms
            .iter()
            .enumerate()
            .map(|(i, a)| {
                atom_type_of(a.element).ok_or_else(|| {
                    SampleError::Model(format!(
                        "{}: element {} is not in the model's vocabulary (C, H, N, O, S)",
                        topology.atom_label(i),
                        a.element
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let sigma = flow.prior_scales();
        if !(sigma.0.is_finite() && sigma.1.is_finite()) {
            return Err(SampleError::Model(format!(
                "non-finite prior scales {sigma:?}"
            )));
        }
        Ok(FlowProposal {
            flow,
            device,
            atom_types,
            sigma,
        })
    }

    pub fn flow(&self) -> &TimewarpFlow<B> {
        &self.flow
    }

    /// A [b, n, 3] tensor from flat host numbers (3 per atom), each multiplied by `scale`.
    fn vectors(&self, flat: impl Iterator<Item = f64>, b: usize, scale: f64) -> Tensor<B, 3> {
        vectors_tensor(
            flat.map(|c| c * scale).collect(),
            b,
            self.atom_types.len(),
            &self.device,
        )
    }
}

/// Copies the values of a tensor into host numbers, in row-major order.
fn read_into<'a, B: Backend, const D: usize>(
    t: Tensor<B, D>,
    out: impl IntoIterator<Item = &'a mut f64>,
) {
    for (o, v) in out.into_iter().zip(to_host_f64(t)) {
        *o = v;
    }
}

impl<B: Backend> ProposalKernel for FlowProposal<B> {
    fn n_atoms(&self) -> usize {
        self.atom_types.len()
    }

    fn propose(
        &mut self,
        req: &ProposalRequest<'_>,
        out: &mut Proposals,
    ) -> Result<(), SampleError> {
        let b = out.len();
        if b == 0 {
            return Ok(());
        }
        let (atom_types, mask) = copies_of_molecule::<B>(&self.atom_types, b, &self.device);
        let x = self.vectors(req.x.iter().flatten().copied(), b, 1.0);
        let v = self.vectors(req.v.iter().copied(), b, 1.0);
        let cond = FlowCondition {
            atom_types,
            mask,
            x_coords: x.clone(),
            x_velocs: v.clone(),
        };
        // The base noise of proposal k is (z_x, z_v), 3N normals each.
        let z_x = (0..b).flat_map(|k| req.cartesian_noise(k).0.iter().flatten().copied());
        let z_v = (0..b).flat_map(|k| req.cartesian_noise(k).1.iter().flatten().copied());
        let z_p = self.vectors(z_x, b, self.sigma.0);
        let z_v = self.vectors(z_v, b, self.sigma.1);
        let sample = self.flow.sample_with_latents(&cond, z_p, z_v);
        read_into(sample.log_prob, &mut out.log_q_forward);
        if req.reverse_density {
            // (x, v) given (y, w): the forward pair with the roles of the states exchanged.
            let reverse = cond
                .with_targets(sample.y_coords.clone(), sample.y_velocs.clone())
                .reversed();
            read_into(self.flow.log_prob(&reverse), &mut out.log_q_reverse);
        } else {
            out.log_q_reverse.fill(f64::NAN);
        }
        read_into(sample.y_coords, out.y.iter_mut().flatten());
        read_into(sample.y_velocs, out.w.iter_mut());
        Ok(())
    }
}
