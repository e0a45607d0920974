//! Timewarp sampling: exact Metropolis–Hastings MCMC with conditional-flow proposals in the
//! augmented space of positions and auxiliary velocities, and fast (biased) exploration.

pub mod checkpoint;
pub mod chirality;
pub mod energy;
mod error;
pub mod kernel;
pub mod mh;
pub mod rng;
pub mod sampler;

pub use checkpoint::{ChainSnapshot, SamplerSnapshot};
pub use chirality::{ChiralityGuard, StereoCentre};
pub use energy::{BatchEnergy, PotentialBatch};
pub use error::SampleError;
pub use kernel::{ProposalKernel, ProposalRequest, Proposals};
pub use mh::{AdaptiveBatch, VelocityRefresh, BOLTZ};
pub use sampler::{AcceptanceRule, ChainState, ChainStats, Recorded, Sampler, Timing};
