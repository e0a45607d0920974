//! Edge cases of the lock-step sampler: non-finite proposals, bad starts, bad settings, the
//! batch truncated at the end of a chain, and chains that are independent of each other.

mod common;

use common::*;
use timewarp_sample::kernel::gaussian::GaussianRandomWalk;
use timewarp_sample::mh::beta;
use timewarp_sample::{
    AcceptanceRule, ChiralityGuard, PotentialBatch, ProposalKernel, ProposalRequest, Proposals,
    SampleError, Sampler, VelocityRefresh,
};

const WELL: DoubleWell = DoubleWell { h: 2.0, s: 0.5 };

fn rule(b: usize) -> AcceptanceRule {
    AcceptanceRule::Metropolis {
        proposals: b,
        adaptive: false,
        target_at_least_one: 0.9,
        smoothing: 0.01,
        velocity_refresh: VelocityRefresh::PerProposal,
    }
}

/// Proposes NaN coordinates in even slots, and an unmoved state with a NaN density in odd ones.
struct Broken;
impl ProposalKernel for Broken {
    fn n_atoms(&self) -> usize {
        1
    }
    fn propose(
        &mut self,
        req: &ProposalRequest<'_>,
        out: &mut Proposals,
    ) -> Result<(), SampleError> {
        for k in 0..out.len() {
            out.y[k] = if k % 2 == 0 { [f64::NAN; 3] } else { req.x[k] };
            out.w[3 * k..3 * k + 3].copy_from_slice(req.v_of(k));
            out.log_q_forward[k] = if k % 2 == 0 { 0.0 } else { f64::NAN };
            out.log_q_reverse[k] = 0.0;
        }
        Ok(())
    }
}

#[test]
fn non_finite_proposals_are_rejected_and_counted() {
    let energy = PotentialBatch(&WELL);
    for r in [rule(4), AcceptanceRule::Threshold { max_increase: 1e9 }] {
        let mut s = Sampler::new(
            &[[1.0, 0.0, 0.0]],
            0.0,
            1,
            0,
            r,
            beta(TEMPERATURE),
            ChiralityGuard::disabled(),
        )
        .unwrap();
        while s.iterate(&mut Broken, &energy, 10, &mut |_| {}).unwrap() {}
        let st = s.total_stats();
        assert_eq!(st.steps, 10);
        assert_eq!(st.accepted, 0);
        // MH: NaN coordinates (even slots) and NaN densities (odd slots) are both rejected;
        // exploration has one proposal per chain (slot 0: NaN coordinates).
        assert_eq!(st.nonfinite_proposals, 10, "{r:?}");
        assert_eq!(s.chains[0].x, vec![[1.0, 0.0, 0.0]]);
    }
}

#[test]
fn invalid_starts_and_settings_are_errors() {
    let g = ChiralityGuard::disabled;
    let b = beta(TEMPERATURE);
    assert!(matches!(
        Sampler::new(&[[1.0, 0.0, 0.0]], f64::NAN, 1, 0, rule(1), b, g()),
        Err(SampleError::NonFiniteStart { .. })
    ));
    assert!(matches!(
        Sampler::new(&[[f64::INFINITY, 0.0, 0.0]], 0.0, 1, 0, rule(1), b, g()),
        Err(SampleError::NonFiniteStart { .. })
    ));
    assert!(matches!(
        Sampler::new(&[[1.0, 0.0, 0.0]], 0.0, 0, 0, rule(1), b, g()),
        Err(SampleError::Config(_))
    ));
    assert!(matches!(
        Sampler::new(&[[1.0, 0.0, 0.0]], 0.0, 1, 0, rule(0), b, g()),
        Err(SampleError::Config(_))
    ));
    // A kernel for another molecule.
    let mut s = Sampler::new(&[[1.0, 0.0, 0.0]], 0.0, 1, 0, rule(1), b, g()).unwrap();
    let mut k = GaussianRandomWalk {
        n_atoms: 2,
        sigma: 0.1,
    };
    assert!(matches!(
        s.iterate(&mut k, &PotentialBatch(&WELL), 5, &mut |_| {}),
        Err(SampleError::Shape(_))
    ));
}

/// The last iteration draws only as many proposals as steps remain; chains are reproducible
/// from their own stream, whatever the other chains do.
#[test]
fn batches_truncate_at_the_end_and_chains_are_independent() {
    let energy = PotentialBatch(&WELL);
    let mut k = GaussianRandomWalk {
        n_atoms: 1,
        sigma: 3.0,
    }; // mostly rejected
    let mut s = Sampler::new(
        &[[1.0, 0.0, 0.0]],
        0.0,
        3,
        7,
        rule(8),
        beta(TEMPERATURE),
        ChiralityGuard::disabled(),
    )
    .unwrap();
    let mut chain1 = Vec::new();
    while s
        .iterate(&mut k, &energy, 21, &mut |r| {
            if r.chain == 1 {
                chain1.push((r.step, r.x[0]))
            }
        })
        .unwrap()
    {}
    for c in &s.chains {
        assert_eq!(c.stats.steps, 21);
        assert!(c.stats.proposals >= 21);
    }
    assert_eq!(
        chain1.iter().map(|r| r.0).collect::<Vec<_>>(),
        (1..=21).collect::<Vec<u64>>()
    );
    // Chain 1 alone, from a 5-chain sampler with the same seed, is the same chain.
    let mut s5 = Sampler::new(
        &[[1.0, 0.0, 0.0]],
        0.0,
        5,
        7,
        rule(8),
        beta(TEMPERATURE),
        ChiralityGuard::disabled(),
    )
    .unwrap();
    let mut again = Vec::new();
    while s5
        .iterate(&mut k, &energy, 21, &mut |r| {
            if r.chain == 1 {
                again.push((r.step, r.x[0]))
            }
        })
        .unwrap()
    {}
    assert_eq!(chain1, again);
}
