//! Many chains advanced in lock-step: each iteration gathers the proposals of all chains into one
//! kernel call and one batched energy call, then applies the acceptance rule chain by chain.

use std::time::Instant;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use crate::chirality::ChiralityGuard;
use crate::diagnostics::{ProposalOutcome, ProposalRecord};
use crate::energy::BatchEnergy;
use crate::kernel::{squared_norm, ProposalKernel, ProposalRequest, Proposals};
use crate::mh::{neg_log_mh_ratio, AdaptiveBatch, VelocityRefresh};
use crate::rng::chain_rng;
use crate::SampleError;
use timewarp_ff::EnergyTerms;

/// How a proposal is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "rule")]
pub enum AcceptanceRule {
    /// Exact Metropolis–Hastings in the augmented space (see [`crate::mh`]), B proposals per
    /// iteration, the first accepted one entering the chain after the rejected copies of x.
    Metropolis {
        /// Proposals per iteration (the maximum when `adaptive`).
        proposals: usize,
        /// Adapt B to reach `target_at_least_one` probability of one acceptance per iteration.
        adaptive: bool,
        target_at_least_one: f64,
        smoothing: f64,
        velocity_refresh: VelocityRefresh,
    },
    /// Exploration (biased, not a sampler of the Boltzmann distribution): one proposal per
    /// chain and iteration, accepted when U(y) − U(x) ≤ `max_increase` kJ/mol.
    Threshold { max_increase: f64 },
}

impl AcceptanceRule {
    /// The rule's ranges; each error names the `[sample]` / `[explore]` key the value comes from.
    pub fn validate(&self) -> Result<(), SampleError> {
        let bad = |s: String| Err(SampleError::Config(s));
        match *self {
            AcceptanceRule::Metropolis {
                proposals,
                target_at_least_one,
                smoothing,
                ..
            } => {
                if proposals == 0 {
                    return bad("proposals per iteration must be at least 1".into());
                }
                // The adaptive B = ⌈log(1 − target) / log(1 − p)⌉ needs 0 < target < 1.
                if !(target_at_least_one > 0.0 && target_at_least_one < 1.0) {
                    let t = target_at_least_one;
                    return bad(format!("target_at_least_one must lie in (0, 1), got {t}"));
                }
                // The acceptance estimate p ← (1 − s) p + s·outcome is an average for 0 < s ≤ 1.
                if !(smoothing > 0.0 && smoothing <= 1.0) {
                    return bad(format!("smoothing must lie in (0, 1], got {smoothing}"));
                }
            }
            AcceptanceRule::Threshold { max_increase } => {
                if max_increase.is_nan() {
                    return bad("threshold_kj is NaN".into());
                }
            }
        }
        Ok(())
    }
}

/// Counters of one chain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ChainStats {
    /// States appended to the chain (MH steps or exploration steps).
    pub steps: u64,
    /// Steps that moved to the proposal.
    pub accepted: u64,
    /// Proposals computed, including those discarded after the first acceptance of a batch.
    pub proposals: u64,
    pub iterations: u64,
    /// Considered proposals rejected because they inverted a stereocentre.
    pub chirality_rejections: u64,
    /// Considered proposals with a non-finite energy, density or coordinate (rejected).
    pub nonfinite_proposals: u64,
}

impl ChainStats {
    pub fn add(&mut self, o: &ChainStats) {
        self.steps += o.steps;
        self.accepted += o.accepted;
        self.proposals += o.proposals;
        self.iterations += o.iterations;
        self.chirality_rejections += o.chirality_rejections;
        self.nonfinite_proposals += o.nonfinite_proposals;
    }

    /// Fraction of steps that accepted the proposal.
    pub fn acceptance_rate(&self) -> f64 {
        if self.steps == 0 {
            0.0
        } else {
            self.accepted as f64 / self.steps as f64
        }
    }
}

/// The state of one chain: current positions and energy, counters, its random stream.
#[derive(Debug, Clone)]
pub struct ChainState {
    pub x: Vec<[f64; 3]>,
    /// U(x) in kJ/mol.
    pub energy: f64,
    /// U(x) by force-field term, once computed (for the per-proposal diagnostics; not part of
    /// a snapshot: recomputed from x when needed).
    pub terms: Option<EnergyTerms>,
    pub stats: ChainStats,
    pub adaptive: AdaptiveBatch,
    pub rng: ChaCha8Rng,
}

/// Wall-clock split of the work, seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// Proposal kernel (the flow: sampling and reverse log-density).
    pub proposal_seconds: f64,
    /// Batched potential energies.
    pub energy_seconds: f64,
    /// Everything inside [`Sampler::iterate`].
    pub iterate_seconds: f64,
}

/// A state appended to a chain, handed to the caller's sink.
#[derive(Debug, Clone, Copy)]
pub struct Recorded<'a> {
    pub chain: usize,
    /// Index of the state in its chain (the starting state is step 0).
    pub step: u64,
    pub x: &'a [[f64; 3]],
    /// U(x) in kJ/mol.
    pub energy: f64,
    /// Whether this state is a newly accepted proposal (false for a rejected copy of x).
    pub moved: bool,
}

#[derive(Debug, Default)]
struct Scratch {
    x: Vec<[f64; 3]>,
    v: Vec<f64>,
    z: Vec<f64>,
    u: Vec<f64>,
    log_u: Vec<f64>,
    energies: Vec<f64>,
    terms: Vec<EnergyTerms>,
    /// (chain, first slot, number of proposals) of this iteration.
    slots: Vec<(usize, usize, usize)>,
    proposals: Proposals,
}

/// Chains advanced together under one acceptance rule.
#[derive(Debug)]
pub struct Sampler {
    pub chains: Vec<ChainState>,
    pub rule: AcceptanceRule,
    /// 1/kT in mol/kJ.
    pub beta: f64,
    pub guard: ChiralityGuard,
    pub timing: Timing,
    /// Keep a [`ProposalRecord`] of every proposal that was considered (drained by the caller
    /// with [`Sampler::take_records`]).
    pub record_proposals: bool,
    records: Vec<ProposalRecord>,
    n_atoms: usize,
    scratch: Scratch,
}

fn fill_normal(rng: &mut ChaCha8Rng, out: &mut [f64]) {
    for c in out.iter_mut() {
        *c = rng.sample(StandardNormal);
    }
}

impl Sampler {
    /// `n_chains` chains all starting at `start` (energy `start_energy` kJ/mol), chain c using
    /// the random stream [`chain_rng`]`(seed, c)`.
    pub fn new(
        start: &[[f64; 3]],
        start_energy: f64,
        n_chains: usize,
        seed: u64,
        rule: AcceptanceRule,
        beta: f64,
        guard: ChiralityGuard,
    ) -> Result<Self, SampleError> {
        if !start_energy.is_finite() {
            return Err(SampleError::NonFiniteStart {
                energy: start_energy,
                what: "the starting coordinates".into(),
            });
        }
        if let Some(i) = start.iter().position(|a| a.iter().any(|c| !c.is_finite())) {
            return Err(SampleError::NonFiniteStart {
                energy: start_energy,
                what: format!("atom index {i}"),
            });
        }
        if n_chains == 0 {
            return Err(SampleError::Config("at least one chain is needed".into()));
        }
        rule.validate()?;
        let adaptive = match rule {
            AcceptanceRule::Metropolis {
                proposals,
                target_at_least_one,
                smoothing,
                ..
            } => AdaptiveBatch::new(proposals, target_at_least_one, smoothing),
            AcceptanceRule::Threshold { .. } => AdaptiveBatch::new(1, 0.5, 0.01),
        };
        let chains = (0..n_chains)
            .map(|c| ChainState {
                x: start.to_vec(),
                energy: start_energy,
                terms: None,
                stats: ChainStats::default(),
                adaptive,
                rng: chain_rng(seed, c),
            })
            .collect();
        Ok(Sampler {
            chains,
            rule,
            beta,
            guard,
            timing: Timing::default(),
            record_proposals: false,
            records: Vec::new(),
            n_atoms: start.len(),
            scratch: Scratch::default(),
        })
    }

    pub fn n_atoms(&self) -> usize {
        self.n_atoms
    }

    /// The proposal records gathered since the last call (empty unless `record_proposals`).
    pub fn take_records(&mut self) -> Vec<ProposalRecord> {
        std::mem::take(&mut self.records)
    }

    /// Counters summed over chains.
    pub fn total_stats(&self) -> ChainStats {
        let mut s = ChainStats::default();
        for c in &self.chains {
            s.add(&c.stats);
        }
        s
    }

    /// Number of proposals chain `c` draws in its next iteration, given `remaining` steps.
    fn batch_size(&self, c: usize, remaining: u64) -> usize {
        let b = match self.rule {
            AcceptanceRule::Metropolis {
                proposals,
                adaptive: false,
                ..
            } => proposals,
            AcceptanceRule::Metropolis { adaptive: true, .. } => {
                self.chains[c].adaptive.batch_size()
            }
            AcceptanceRule::Threshold { .. } => 1,
        };
        // More proposals than remaining steps could never enter the chain.
        b.min(remaining.min(usize::MAX as u64) as usize)
    }

    /// One iteration of every chain that has fewer than `steps_per_chain` steps. Appended states
    /// go to `sink` in chain order. Returns false when every chain was already complete.
    pub fn iterate<K, E>(
        &mut self,
        kernel: &mut K,
        energy: &E,
        steps_per_chain: u64,
        sink: &mut dyn FnMut(Recorded<'_>),
    ) -> Result<bool, SampleError>
    where
        K: ProposalKernel + ?Sized,
        E: BatchEnergy + ?Sized,
    {
        let t0 = Instant::now();
        let n = self.n_atoms;
        if kernel.n_atoms() != n || energy.n_atoms() != n {
            return Err(SampleError::Shape(format!(
                "the chains have {n} atoms, the proposal kernel {} and the energy {}",
                kernel.n_atoms(),
                energy.n_atoms()
            )));
        }
        // 1. Plan the batch: which chains propose, and how many proposals each.
        let mut slots = std::mem::take(&mut self.scratch.slots);
        slots.clear();
        let mut total = 0usize;
        for c in 0..self.chains.len() {
            let done = self.chains[c].stats.steps;
            if done < steps_per_chain {
                let b = self.batch_size(c, steps_per_chain - done);
                slots.push((c, total, b));
                total += b;
            }
        }
        if total == 0 {
            self.scratch.slots = slots;
            return Ok(false);
        }
        // 2. Conditioning states and noise, drawn from each chain's own stream in a fixed order:
        //    auxiliary variables, then per proposal its normals and uniforms, then the MH uniforms.
        let shape = kernel.shape();
        let s = &mut self.scratch;
        s.x.resize(total * n, [0.0; 3]);
        s.v.resize(total * shape.aux, 0.0);
        s.z.resize(total * shape.normals, 0.0);
        s.u.resize(total * shape.uniforms, 0.0);
        s.log_u.resize(total, 0.0);
        s.energies.resize(total, 0.0);
        s.terms.resize(total, EnergyTerms::default());
        let metropolis = matches!(self.rule, AcceptanceRule::Metropolis { .. });
        let shared_velocity = matches!(
            self.rule,
            AcceptanceRule::Metropolis {
                velocity_refresh: VelocityRefresh::PerIteration,
                ..
            }
        );
        let a = shape.aux;
        for &(c, first, b) in &slots {
            let chain = &mut self.chains[c];
            let rng = &mut chain.rng;
            for k in first..first + b {
                s.x[k * n..(k + 1) * n].copy_from_slice(&chain.x);
            }
            if shared_velocity {
                fill_normal(rng, &mut s.v[first * a..(first + 1) * a]);
                for k in first + 1..first + b {
                    s.v.copy_within(first * a..(first + 1) * a, k * a);
                }
            } else {
                fill_normal(rng, &mut s.v[first * a..(first + b) * a]);
            }
            for k in first..first + b {
                fill_normal(rng, &mut s.z[k * shape.normals..(k + 1) * shape.normals]);
                for u in &mut s.u[k * shape.uniforms..(k + 1) * shape.uniforms] {
                    *u = rng.random::<f64>();
                }
            }
            if metropolis {
                for k in first..first + b {
                    // log u with u ~ U(0, 1]: accept iff log u < −(−log ratio).
                    s.log_u[k] = (1.0 - rng.random::<f64>()).ln();
                }
            }
        }
        // 3. One kernel call and one energy call for all proposals of all chains.
        s.proposals.resize(n, shape.aux, total);
        let req = ProposalRequest {
            shape,
            x: &s.x,
            v: &s.v,
            z: &s.z,
            u: &s.u,
            reverse_density: metropolis,
        };
        let t_prop = Instant::now();
        kernel.propose(&req, &mut s.proposals)?;
        self.timing.proposal_seconds += t_prop.elapsed().as_secs_f64();
        let t_energy = Instant::now();
        energy.energy_terms(&s.proposals.y, &mut s.energies, &mut s.terms);
        if self.record_proposals {
            for &(c, _, _) in &slots {
                let chain = &mut self.chains[c];
                if chain.terms.is_none() {
                    let (mut e, mut t) = ([0.0], [EnergyTerms::default()]);
                    energy.energy_terms(&chain.x, &mut e, &mut t);
                    chain.terms = Some(t[0]);
                }
            }
        }
        self.timing.energy_seconds += t_energy.elapsed().as_secs_f64();
        // 4. Accept or reject, chain by chain.
        let records = &mut self.records;
        let record = self.record_proposals;
        for &(c, first, b) in &slots {
            let chain = &mut self.chains[c];
            chain.stats.iterations += 1;
            chain.stats.proposals += b as u64;
            let mut note =
                |chain: &ChainState, k: usize, step: u64, e: f64, outcome: ProposalOutcome| {
                    if record {
                        records.push(ProposalRecord::new(
                            c,
                            step,
                            outcome,
                            self.beta,
                            e,
                            chain.energy,
                            chain.terms,
                            s.energies[k],
                            s.terms[k],
                        ));
                    }
                };
            match self.rule {
                AcceptanceRule::Metropolis { adaptive, .. } => {
                    let mut accepted_at = None;
                    for k in first..first + b {
                        let step = chain.stats.steps + (k - first) as u64 + 1;
                        let y = s.proposals.y_of(k);
                        if self.guard.flipped(y) {
                            chain.stats.chirality_rejections += 1;
                            note(chain, k, step, f64::INFINITY, ProposalOutcome::Chirality);
                            continue;
                        }
                        let e = neg_log_mh_ratio(
                            self.beta,
                            chain.energy,
                            s.energies[k],
                            squared_norm(&s.v[k * a..(k + 1) * a]),
                            squared_norm(s.proposals.w_of(k)),
                            s.proposals.log_q_forward[k],
                            s.proposals.log_q_reverse[k],
                        );
                        if !s.energies[k].is_finite() || e.is_nan() || e == f64::NEG_INFINITY {
                            if s.energies[k] != f64::INFINITY {
                                chain.stats.nonfinite_proposals += 1;
                            }
                            note(chain, k, step, e, ProposalOutcome::NonFinite);
                            continue;
                        }
                        if s.log_u[k] < -e {
                            if y.iter().all(|a| a.iter().all(|v| v.is_finite())) {
                                note(chain, k, step, e, ProposalOutcome::Accepted);
                                accepted_at = Some(k);
                                break;
                            }
                            chain.stats.nonfinite_proposals += 1;
                            note(chain, k, step, e, ProposalOutcome::NonFinite);
                            continue;
                        }
                        note(chain, k, step, e, ProposalOutcome::Rejected);
                    }
                    let rejected = accepted_at.map_or(b, |k| k - first);
                    for _ in 0..rejected {
                        chain.stats.steps += 1;
                        sink(Recorded {
                            chain: c,
                            step: chain.stats.steps,
                            x: &chain.x,
                            energy: chain.energy,
                            moved: false,
                        });
                    }
                    if let Some(k) = accepted_at {
                        chain.x.copy_from_slice(s.proposals.y_of(k));
                        chain.energy = s.energies[k];
                        chain.terms = Some(s.terms[k]);
                        chain.stats.steps += 1;
                        chain.stats.accepted += 1;
                        sink(Recorded {
                            chain: c,
                            step: chain.stats.steps,
                            x: &chain.x,
                            energy: chain.energy,
                            moved: true,
                        });
                    }
                    if adaptive {
                        chain.adaptive.update(rejected, accepted_at.is_some());
                    }
                }
                AcceptanceRule::Threshold { max_increase } => {
                    let k = first;
                    let y = s.proposals.y_of(k);
                    let u_y = s.energies[k];
                    let finite =
                        u_y.is_finite() && y.iter().all(|a| a.iter().all(|v| v.is_finite()));
                    let flipped = finite && self.guard.flipped(y);
                    if !finite {
                        chain.stats.nonfinite_proposals += 1;
                    } else if flipped {
                        chain.stats.chirality_rejections += 1;
                    }
                    let moved = finite && !flipped && u_y - chain.energy <= max_increase;
                    let outcome = match (moved, finite, flipped) {
                        (true, _, _) => ProposalOutcome::Accepted,
                        (_, false, _) => ProposalOutcome::NonFinite,
                        (_, _, true) => ProposalOutcome::Chirality,
                        _ => ProposalOutcome::Rejected,
                    };
                    note(
                        chain,
                        k,
                        chain.stats.steps + 1,
                        self.beta * (u_y - chain.energy),
                        outcome,
                    );
                    if moved {
                        chain.x.copy_from_slice(y);
                        chain.energy = u_y;
                        chain.terms = Some(s.terms[k]);
                        chain.stats.accepted += 1;
                    }
                    chain.stats.steps += 1;
                    sink(Recorded {
                        chain: c,
                        step: chain.stats.steps,
                        x: &chain.x,
                        energy: chain.energy,
                        moved,
                    });
                }
            }
        }
        self.scratch.slots = slots;
        self.timing.iterate_seconds += t0.elapsed().as_secs_f64();
        Ok(true)
    }
}
