//! The Timewarp flow in the internal-coordinate chart as a [`ProposalKernel`].
//!
//! A move of one block (see [`crate::fitted`]) draws the block's φ/ψ and rotors from the fitted
//! transition histograms — exact on the circle, and the moves that change basins — and then its
//! remaining coordinates (bonds, angles, rigid torsions, offsets) from a conditional RealNVP:
//!
//! ```text
//!   ε′, w = T_θ⁻¹(σ_p z_p, σ_v z_v; x̂′)     (the Timewarp flow, per atom slot, masked)
//!   g′_A = μ_{A|B}(φ′, ψ′) ⊕ L ε′          (the fitted Gaussian's mean and Cholesky factor)
//! ```
//! The flow's positional half holds, at each atom's (bond, angle, torsion) slot, the standardised
//! innovation ε of that coordinate under the fitted φ/ψ-conditional Gaussian; the auxiliary
//! velocities w live in the same slots (the other slots keep w = v). Its conditioner is the
//! Atom Transformer with kernel attention on the Cartesian *skeleton* x̂′ = X(q′) with the new
//! torsions and the block's other coordinates at their conditional mean — the geometry the new
//! coordinates must fit (hydrogen bonds, clashes) — placed in the root frame of the chart, so
//! that the proposal of internal coordinates does not depend on the molecule's orientation.
//! With the couplings at the identity and σ_p = σ_v = 1 the kernel is exactly the fitted one.
//!
//! Densities of Cartesian positions at fixed pose, as the sampler expects:
//! log q(y, w | x, v) = log Q_hist(φ′ψ′, rotors′ | ·) + log p_θ(ε′, w | x̂′) − log|L| − log J(q′),
//! and the reverse move from y proposes the current torsions and the current ε (computed in
//! f64 on the host) conditioned on the skeleton x̂ of the current torsions.
//!
//! **Crank–Nicolson base.** With the kernel's `rest_correlation` ρ > 0 the flow's positional
//! latent is drawn around the latent of the current state, as the fitted proposal draws ε′
//! around ε (T_θ maps data to latent; only positional latents are shown):
//! ```text
//!   a  = T_θ(ε, v; x̂′, v),    u′ = ρ a + √(1 − ρ²) σ_p z,   (ε′, w) = T_θ⁻¹(u′, σ_v z_v; x̂′, v)
//!   log q(ε′, w) = log p_θ(ε′, w | x̂′) − log N(u′; 0, σ_p²) + log N(u′; ρ a, (1 − ρ²) σ_p²)
//! ```
//! and the reverse move the same from (ε′, w) on x̂ with anchor a′ = T_θ(ε′, w; x̂, w) and
//! u = T_θ(ε, v; x̂, w). Both directions are exact densities whatever T_θ is; a flow that matches
//! the block's conditional makes the move nearly reversible with respect to it (the fitted
//! proposal's idea, in the flow's latent space); with the couplings at the identity and σ_p = 1
//! it is the fitted proposal's Crank–Nicolson move exactly. It costs two more flow passes.

use burn::tensor::backend::Backend;
use timewarp_flow::host::{copies_of_molecule, to_host_f64, vectors_tensor};
use timewarp_flow::{atom_type_of, FlowCondition, TimewarpFlow};
use timewarp_mol::internal::Pose;
use timewarp_mol::Topology;

use crate::fitted::moves::{ChartMoves, Move};
use crate::fitted::FittedKernel;
use crate::kernel::{KernelShape, ProposalKernel, ProposalRequest, Proposals};
use crate::SampleError;

/// The internal-chart flow proposal on burn backend `B`.
pub struct InternalFlowProposal<B: Backend> {
    flow: TimewarpFlow<B>,
    moves: ChartMoves,
    device: B::Device,
    atom_types: Vec<i64>,
    sigma: (f64, f64),
    shape: KernelShape,
    plans: Vec<Move>,
}

impl<B: Backend> InternalFlowProposal<B> {
    /// Wraps `flow` and the fitted `kernel` it refines for the molecule `topology` (checked to
    /// be the kernel's).
    pub fn new(
        flow: TimewarpFlow<B>,
        kernel: FittedKernel,
        topology: &Topology,
        device: B::Device,
    ) -> Result<Self, SampleError> {
        kernel.check_molecule(topology, "the structure")?;
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
        let moves = ChartMoves::new(kernel)?;
        let n = topology.n_atoms();
        let shape = KernelShape {
            aux: 3 * n,
            normals: 6 * n,
            uniforms: moves.uniforms(),
        };
        Ok(InternalFlowProposal {
            flow,
            moves,
            device,
            atom_types,
            sigma,
            shape,
            plans: Vec::new(),
        })
    }

    pub fn flow(&self) -> &TimewarpFlow<B> {
        &self.flow
    }

    pub fn kernel(&self) -> &FittedKernel {
        self.moves.kernel()
    }
}

/// Per-batch host arrays in the flow's [b, N, 3] layout.
struct Slots {
    components: Vec<f64>,
    skeleton_forward: Vec<f64>,
    skeleton_reverse: Vec<f64>,
    eps_reverse: Vec<f64>,
}

impl<B: Backend> ProposalKernel for InternalFlowProposal<B> {
    fn n_atoms(&self) -> usize {
        self.atom_types.len()
    }

    fn shape(&self) -> KernelShape {
        self.shape
    }

    fn propose(
        &mut self,
        req: &ProposalRequest<'_>,
        out: &mut Proposals,
    ) -> Result<(), SampleError> {
        let (b, n) = (out.len(), self.atom_types.len());
        if b == 0 {
            return Ok(());
        }
        let kernel = self.moves.shared_kernel();
        let zm = &kernel.zmatrix;
        // 1. Host: plan every move, its skeletons, slots and the reverse innovation.
        self.plans.resize_with(b, Move::default);
        let mut s = Slots {
            components: vec![0.0; b * n * 3],
            skeleton_forward: vec![0.0; b * n * 3],
            skeleton_reverse: vec![0.0; b * n * 3],
            eps_reverse: vec![0.0; b * n * 3],
        };
        let mut x_skel = vec![[0.0; 3]; n];
        let mut q_rev = Vec::new();
        let mut eps = vec![0.0; self.moves.max_block_dim()];
        let mut log_gauss_rev = vec![0.0; b];
        let mut slot_lists = Vec::with_capacity(b);
        for k in 0..b {
            let mv = &mut self.plans[k];
            self.moves.plan(&req.x[k * n..(k + 1) * n], req.u_of(k), mv);
            let frame = Pose::default();
            zm.to_cartesian(&mv.q_new, &frame, &mut x_skel);
            s.skeleton_forward[k * n * 3..(k + 1) * n * 3].copy_from_slice(x_skel.as_flattened());
            self.moves.reverse_skeleton(mv, &mut q_rev);
            zm.to_cartesian(&q_rev, &frame, &mut x_skel);
            s.skeleton_reverse[k * n * 3..(k + 1) * n * 3].copy_from_slice(x_skel.as_flattened());
            // The flow's density of ε replaces N(ε; 0, I); keep only −log|L| of the Gaussian.
            self.moves.reverse_innovation(mv, &mut eps);
            log_gauss_rev[k] = -self.moves.conditional(mv.block).log_det();
            let slots = self.moves.slots(mv.block);
            for (i, &(atom, c)) in slots.iter().enumerate() {
                let at = (k * n + atom) * 3 + c;
                s.components[at] = 1.0;
                s.eps_reverse[at] = eps[i];
            }
            slot_lists.push(slots);
        }
        // 2. The flow, forward (sample) and reverse (density), one batch each.
        let dev = &self.device;
        let (atom_types, mask) = copies_of_molecule::<B>(&self.atom_types, b, dev);
        let components = vectors_tensor::<B>(s.components.clone(), b, n, dev);
        let v = vectors_tensor::<B>(req.v.to_vec(), b, n, dev);
        let masked_noise = |offset: usize, scale: f64| -> Vec<f64> {
            (0..b)
                .flat_map(|k| (0..3 * n).map(move |i| (k, i)))
                .map(|(k, i)| s.components[k * n * 3 + i] * scale * req.z_of(k)[offset + i])
                .collect()
        };
        let rho = kernel.fit.rest_correlation;
        let cn = (1.0 - rho * rho).sqrt();
        let cond = FlowCondition {
            atom_types,
            mask,
            x_coords: vectors_tensor::<B>(s.skeleton_forward, b, n, dev),
            x_velocs: v.clone(),
        };
        // The anchor: the positional latent of the current (ε, v) under the forward conditioning.
        let eps_cur = vectors_tensor::<B>(s.eps_reverse, b, n, dev);
        let v_cur = v * components.clone();
        let anchor_forward = if rho != 0.0 {
            let current = cond.with_targets(eps_cur.clone(), v_cur.clone());
            to_host_f64(
                self.flow
                    .data_to_latent_masked(&current, components.clone())
                    .z_coords,
            )
        } else {
            vec![0.0; b * n * 3]
        };
        // u′ = ρ a + √(1 − ρ²) σ_p z in the block's slots (ρ = 0: σ_p z).
        let u_forward: Vec<f64> = masked_noise(0, cn * self.sigma.0)
            .iter()
            .zip(&anchor_forward)
            .map(|(z, a)| z + rho * a)
            .collect();
        let z_p = vectors_tensor::<B>(u_forward.clone(), b, n, dev);
        let z_v = vectors_tensor::<B>(masked_noise(3 * n, self.sigma.1), b, n, dev);
        let sample = self
            .flow
            .sample_with_latents_masked(&cond, components.clone(), z_p, z_v);
        let mut log_p_forward = to_host_f64(sample.log_prob);
        let eps_new = to_host_f64(sample.y_coords.clone());
        let w_flow = to_host_f64(sample.y_velocs.clone());
        let shift = |u: &[f64], anchor: &[f64], k: usize| {
            let r = k * n * 3..(k + 1) * n * 3;
            crank_nicolson_shift(
                &u[r.clone()],
                &anchor[r.clone()],
                &s.components[r],
                rho,
                self.sigma.0,
            )
        };
        if rho != 0.0 {
            for (k, lp) in log_p_forward.iter_mut().enumerate() {
                *lp += shift(&u_forward, &anchor_forward, k);
            }
        }
        // The auxiliary variables: the flow's in the block's slots, unchanged elsewhere.
        for (i, o) in out.w.iter_mut().enumerate() {
            *o = if s.components[i] > 0.0 {
                w_flow[i]
            } else {
                req.v[i]
            };
        }
        let log_p_reverse: Vec<f64> = if req.reverse_density {
            let w = vectors_tensor::<B>(out.w.clone(), b, n, dev);
            // Condition on the reverse skeleton and w; target the current ε and v.
            let back = FlowCondition {
                x_coords: vectors_tensor::<B>(s.skeleton_reverse, b, n, dev),
                x_velocs: w,
                ..cond
            };
            let reverse = back.with_targets(eps_cur, v_cur);
            let latent = self
                .flow
                .data_to_latent_masked(&reverse, components.clone());
            let mut log_p = to_host_f64(latent.log_prob());
            if rho != 0.0 {
                // The reverse move's anchor: the latent of (ε′, w′) under the reverse conditioning.
                let proposed = back.with_targets(sample.y_coords, sample.y_velocs);
                let anchor_reverse = to_host_f64(
                    self.flow
                        .data_to_latent_masked(&proposed, components)
                        .z_coords,
                );
                let u = to_host_f64(latent.z_coords);
                for (k, lp) in log_p.iter_mut().enumerate() {
                    *lp += shift(&u, &anchor_reverse, k);
                }
            }
            log_p
        } else {
            vec![f64::NAN; b]
        };
        // 3. Host: complete every move from the flow's ε′.
        let mut work = vec![0.0; self.moves.max_block_dim()];
        for k in 0..b {
            let mv = &mut self.plans[k];
            for (i, &(atom, c)) in slot_lists[k].iter().enumerate() {
                eps[i] = eps_new[(k * n + atom) * 3 + c];
            }
            let y = &mut out.y[k * n..(k + 1) * n];
            let finite = log_p_forward[k].is_finite()
                && eps[..slot_lists[k].len()].iter().all(|e| e.is_finite());
            if !finite || !self.moves.complete(mv, &eps, &mut work) {
                y.copy_from_slice(&req.x[k * n..(k + 1) * n]);
                out.log_q_forward[k] = 0.0;
                out.log_q_reverse[k] = if req.reverse_density {
                    f64::NEG_INFINITY
                } else {
                    f64::NAN
                };
                continue;
            }
            zm.to_cartesian(&mv.q_new, &mv.pose, y);
            let log_l = -self.moves.conditional(mv.block).log_det();
            out.log_q_forward[k] =
                mv.log_hist_forward + log_p_forward[k] + log_l - zm.log_jacobian(&mv.q_new);
            out.log_q_reverse[k] =
                mv.log_hist_reverse + log_p_reverse[k] + log_gauss_rev[k] - zm.log_jacobian(&mv.q);
        }
        Ok(())
    }
}

/// log N(u; ρ a, (1 − ρ²) σ²) − log N(u; 0, σ²) summed over the slots where `components` is 1:
/// what turns the flow's density with its N(0, σ²) base into the density of the Crank–Nicolson
/// move around the anchor a.
fn crank_nicolson_shift(
    u: &[f64],
    anchor: &[f64],
    components: &[f64],
    rho: f64,
    sigma: f64,
) -> f64 {
    let c2 = 1.0 - rho * rho;
    let var = sigma * sigma;
    u.iter()
        .zip(anchor)
        .zip(components)
        .filter(|(_, &m)| m > 0.0)
        .map(|((&u, &a), _)| {
            -(u - rho * a).powi(2) / (2.0 * var * c2) - 0.5 * c2.ln() + u * u / (2.0 * var)
        })
        .sum()
}
