//! Timewarp sampling: exact Metropolis–Hastings MCMC with conditional-flow proposals in the
//! augmented space of positions and auxiliary velocities (`timewarp sample`), and fast, biased
//! exploration (`timewarp explore`).
//!
//! # The chain
//! Target π(x, v) ∝ exp(−U(x)/kT − ½‖v‖²) with v ~ N(0, I) auxiliary. Each iteration a chain
//! draws B proposals (y_k, w_k) ~ q(· | x, v_k), each after a fresh Gibbs draw v_k ~ N(0, I),
//! evaluates all B energies in one batched force-field call, and accepts proposal k with
//! α_k = min(1, exp(−[ΔU/kT + ½(‖w_k‖² − ‖v_k‖²) + log q(y_k,w_k|x,v_k) − log q(x,v_k|y_k,w_k)])).
//! The first accepted proposal enters the chain after k rejected copies of x (as the official
//! sampler does). Because every proposal has its own velocity draw, the batch is exactly k + 1
//! successive Gibbs + MH steps from x, so the chain is exact for any B, fixed or adaptive.
//! (The official sampler shares one v across the batch, which is biased for B > 1 when the
//! proposal depends on v; [`VelocityRefresh::PerIteration`] reproduces it, and the tests show
//! the bias.) An optional [`ChiralityGuard`] rejects proposals that invert a stereocentre.
//!
//! Exploration runs P chains from one start, one proposal each per iteration, accepted when
//! U(y) − U(x) ≤ threshold (default 300 kJ/mol) and no stereocentre flips; no density ratio,
//! so its output is not a Boltzmann sample (`run.json` says `"biased": true`).
//!
//! # API
//! - [`run_sample`] / [`run_explore`] (configs [`SampleConfig`] / [`ExploreConfig`]): a model
//!   (checkpoint folder, training run folder or official weights, see [`resolve_model`]) and a
//!   PDB in, trajectories out. [`bench_sampler`] measures throughput ([`BenchTable`]).
//! - [`run_chains`]: the same driver for any [`ProposalKernel`] and [`BatchEnergy`].
//! - [`Sampler`]: lock-step chains and the acceptance rules, no files.
//! - [`FlowProposal`]: the flow as a kernel; [`kernel::gaussian`]: Gaussian kernels with
//!   closed-form densities for tests.
//!
//! # Output folder
//! `run.json` (command, wall_seconds, acceptance_rate, n_proposals, iterations, timing split
//! flow/energy, per-chain statistics, config) and `checkpoint.json` at the top; the trajectory
//! of chain c in `chain-CCC/` when there are several chains, else in the folder itself:
//! `<name>-traj-state0.pdb`, `<name>-traj-arrays.npz` (step, time, energies [U, 0], positions)
//! and `<name>-traj.xtc`. `resume` continues a run bit for bit.

pub mod bench;
pub mod checkpoint;
pub mod chirality;
pub mod commands;
pub mod config;
pub mod device;
pub mod diagnostics;
pub mod energy;
pub mod equilibrate;
mod error;
pub mod fitted;
pub mod flow_proposal;
pub mod internal_flow;
pub mod kernel;
pub mod mh;
pub mod output;
pub mod rng;
pub mod run;
pub mod sampler;

pub use bench::{bench_kernel, bench_sampler, BenchConfig, BenchRow, BenchTable};
pub use checkpoint::{ChainSnapshot, SamplerSnapshot};
pub use chirality::{ChiralityGuard, StereoCentre};
pub use commands::{
    flow_kernel, load_flow, load_molecule, resolve_model, run_explore, run_sample, ModelSource,
    Molecule, ProposalSource,
};
pub use config::{
    ChainSettings, ExploreConfig, MhSettings, ModelDevice, SampleConfig, ThresholdSettings,
};
pub use diagnostics::{ProposalOutcome, ProposalRecord, RejectionSummary, PROPOSALS_CSV};
pub use energy::{BatchEnergy, PotentialBatch};
pub use equilibrate::equilibrate;
pub use error::SampleError;
pub use fitted::{FittedKernel, FittedProposal};
pub use flow_proposal::FlowProposal;
pub use internal_flow::InternalFlowProposal;
pub use kernel::{KernelShape, ProposalKernel, ProposalRequest, Proposals};
pub use mh::{AdaptiveBatch, VelocityRefresh};
pub use run::{run_chains, ChainSummary, Command, RunInput, SampleSummary, CHECKPOINT_JSON};
pub use sampler::{AcceptanceRule, ChainState, ChainStats, Recorded, Sampler, Timing};
pub use timewarp_rundir::{RunControl, RUN_JSON};
