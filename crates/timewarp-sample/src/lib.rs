//! Timewarp sampling: exact Metropolis–Hastings MCMC with conditional-flow proposals in the
//! augmented space of positions and auxiliary velocities, and fast (biased) exploration.

pub mod bench;
pub mod checkpoint;
pub mod chirality;
pub mod commands;
pub mod config;
pub mod energy;
mod error;
pub mod flow_proposal;
pub mod kernel;
pub mod mh;
pub mod output;
pub mod rng;
pub mod run;
pub mod sampler;

pub use bench::{bench_kernel, bench_sampler, BenchConfig, BenchRow, BenchTable};
pub use checkpoint::{ChainSnapshot, SamplerSnapshot};
pub use commands::{load_flow, load_molecule, Molecule, resolve_model, run_explore, run_explore_with, run_sample, run_sample_with, ModelSource};
pub use config::{ChainSettings, ExploreConfig, ModelDevice, SampleConfig};
pub use chirality::{ChiralityGuard, StereoCentre};
pub use energy::{BatchEnergy, PotentialBatch};
pub use error::SampleError;
pub use flow_proposal::FlowProposal;
pub use kernel::{ProposalKernel, ProposalRequest, Proposals};
pub use mh::{AdaptiveBatch, VelocityRefresh, BOLTZ};
pub use sampler::{AcceptanceRule, ChainState, ChainStats, Recorded, Sampler, Timing};
pub use run::{run_chains, ChainSummary, Command, RunControl, RunInput, SampleSummary, CHECKPOINT_JSON, RUN_JSON};
