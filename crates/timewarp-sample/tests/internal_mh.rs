//! Exact Metropolis–Hastings in the internal-coordinate chart, tested on a 4-atom chain whose
//! Boltzmann marginals are known in closed form: with U = Σ ½k_b(b − b₀)² + Σ ½k_a(a − a₀)² +
//! V(t), the bond marginal is ∝ b² e^{−βk_b(b−b₀)²/2}, the angle marginal ∝ sin a
//! e^{−βk_a(a−a₀)²/2}
//! (the Jacobian of the chart) and the torsion marginal ∝ e^{−βV(t)}. χ² tests at α = 10⁻³ with
//! fixed seeds; a kernel that drops the Jacobian or the reverse density must fail them.

mod common;

use common::chain::*;
use timewarp_ff::EnergyTerms;
use timewarp_mol::internal::ZMatrix;
use timewarp_sample::{
    BatchEnergy, FittedProposal, KernelShape, ProposalKernel, ProposalRequest, Proposals,
    SampleError,
};

/// Adds log J back into both densities: the kernel then claims Q(q'|q) is a Cartesian density,
/// i.e. MH would sample exp(−βU(X(q))) in q instead of exp(−βU)·J.
struct WithoutJacobian(FittedProposal, ZMatrix);
impl ProposalKernel for WithoutJacobian {
    fn n_atoms(&self) -> usize {
        self.0.n_atoms()
    }
    fn shape(&self) -> KernelShape {
        self.0.shape()
    }
    fn propose(
        &mut self,
        req: &ProposalRequest<'_>,
        out: &mut Proposals,
    ) -> Result<(), SampleError> {
        self.0.propose(req, out)?;
        let n = self.n_atoms();
        let mut q = vec![0.0; self.1.n_dofs()];
        for k in 0..out.len() {
            self.1.to_internal(out.y_of(k), &mut q);
            out.log_q_forward[k] += self.1.log_jacobian(&q);
            self.1.to_internal(&req.x[k * n..(k + 1) * n], &mut q);
            out.log_q_reverse[k] += self.1.log_jacobian(&q);
        }
        Ok(())
    }
}

/// Forgets both proposal densities (treats the proposal as symmetric).
struct WithoutDensities(FittedProposal);
impl ProposalKernel for WithoutDensities {
    fn n_atoms(&self) -> usize {
        self.0.n_atoms()
    }
    fn shape(&self) -> KernelShape {
        self.0.shape()
    }
    fn propose(
        &mut self,
        req: &ProposalRequest<'_>,
        out: &mut Proposals,
    ) -> Result<(), SampleError> {
        self.0.propose(req, out)?;
        for k in 0..out.len() {
            if out.log_q_reverse[k].is_finite() {
                out.log_q_forward[k] = 0.0;
                out.log_q_reverse[k] = 0.0;
            }
        }
        Ok(())
    }
}

#[test]
fn fitted_kernel_samples_the_exact_marginals() {
    let mut k = FittedProposal::new(kernel()).unwrap();
    let s = run(&mut k, 4000, 20, 21);
    assert!(
        s.acceptance > 0.1 && s.acceptance < 0.9,
        "acceptance {}",
        s.acceptance
    );
    assert_exact_marginals("exact", &s);
}

#[test]
fn the_crank_nicolson_move_samples_the_exact_marginals() {
    let mut fitted = kernel();
    fitted.fit.rest_correlation = 0.8;
    let mut k = FittedProposal::new(fitted).unwrap();
    let s = run(&mut k, 4000, 20, 29);
    assert_exact_marginals("ρ = 0.8", &s);
}

#[test]
fn a_marginal_component_keeps_the_chain_exact() {
    // The rotor's histogram mixed (w = 0.4) with an independence component that favours cells
    // the Boltzmann distribution does not: MH must still give the exact marginals.
    let mut fitted = kernel();
    let rotor = &mut fitted.blocks[0].rotors[0].transitions;
    let counts: Vec<f64> = (0..rotor.n_cells())
        .map(|b| if b % 5 == 0 { 4.0 } else { 0.5 })
        .collect();
    *rotor = rotor.clone().with_marginal(0.4, &counts).unwrap();
    let mut k = FittedProposal::new(fitted).unwrap();
    let s = run(&mut k, 4000, 20, 23);
    assert_exact_marginals("marginal mix", &s);
}

#[test]
fn dropping_the_jacobian_is_detected() {
    let zm = ZMatrix::from_topology(&chain()).unwrap();
    let mut k = WithoutJacobian(FittedProposal::new(kernel()).unwrap(), zm);
    let s = run(&mut k, 4000, 4, 21);
    let c = chi2s(&s);
    eprintln!(
        "no J: acceptance {:.3}, chi2 bond {:.1} angle {:.1} torsion {:.1}",
        s.acceptance, c[0], c[1], c[2]
    );
    assert!(
        c[0] > 2.0 * critical() && c[1] > 2.0 * critical(),
        "the Jacobian-free sampler passed: the test has no teeth ({c:?})"
    );
}

#[test]
fn dropping_the_proposal_densities_is_detected() {
    let mut k = WithoutDensities(FittedProposal::new(kernel()).unwrap());
    let s = run(&mut k, 4000, 4, 21);
    let c = chi2s(&s);
    eprintln!(
        "no densities: acceptance {:.3}, chi2 bond {:.1} angle {:.1} torsion {:.1}",
        s.acceptance, c[0], c[1], c[2]
    );
    assert!(
        c.iter().any(|&v| v > 2.0 * critical()),
        "the density-free sampler passed: the test has no teeth ({c:?})"
    );
}

#[test]
fn energy_terms_default_to_the_total() {
    let x = [
        [0.0, 0.0, 0.0],
        [0.15, 0.0, 0.0],
        [0.2, 0.14, 0.0],
        [0.3, 0.2, 0.1],
    ];
    let (mut e, mut t) = ([0.0], [EnergyTerms::default()]);
    ChainEnergy.energy_terms(&x, &mut e, &mut t);
    assert_eq!(t[0].total, e[0]);
    assert_eq!(t[0].bond, 0.0);
}
