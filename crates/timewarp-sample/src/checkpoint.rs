//! Exact snapshots of a [`Sampler`] (positions, counters, random streams) and atomic files.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::chirality::ChiralityGuard;
use crate::mh::AdaptiveBatch;
use crate::sampler::{AcceptanceRule, ChainState, ChainStats, Sampler, Timing};
use crate::SampleError;
use timewarp_rundir::RngState;

/// One chain, serialisable. f64 values survive JSON exactly (shortest round-trip printing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainSnapshot {
    pub x: Vec<[f64; 3]>,
    pub energy: f64,
    pub stats: ChainStats,
    pub adaptive: AdaptiveBatch,
    pub rng: RngState,
}

/// Everything needed to continue a [`Sampler`] exactly where it stopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SamplerSnapshot {
    pub rule: AcceptanceRule,
    pub beta: f64,
    pub guard: ChiralityGuard,
    pub timing: Timing,
    pub chains: Vec<ChainSnapshot>,
}

impl Sampler {
    pub fn snapshot(&self) -> SamplerSnapshot {
        SamplerSnapshot {
            rule: self.rule,
            beta: self.beta,
            guard: self.guard.clone(),
            timing: self.timing,
            chains: self
                .chains
                .iter()
                .map(|c| ChainSnapshot {
                    x: c.x.clone(),
                    energy: c.energy,
                    stats: c.stats,
                    adaptive: c.adaptive,
                    rng: RngState::capture(&c.rng),
                })
                .collect(),
        }
    }

    /// Rebuilds a sampler from a snapshot; `source` names the file for error messages.
    pub fn from_snapshot(snap: &SamplerSnapshot, source: &Path) -> Result<Sampler, SampleError> {
        let bad = |message: String| SampleError::Resume {
            path: source.to_path_buf(),
            message,
        };
        let first = snap
            .chains
            .first()
            .ok_or_else(|| bad("the checkpoint holds no chain".into()))?;
        let mut sampler = Sampler::new(
            &first.x,
            first.energy,
            snap.chains.len(),
            0,
            snap.rule,
            snap.beta,
            snap.guard.clone(),
        )
        .map_err(|e| bad(e.to_string()))?;
        for (c, (state, saved)) in sampler.chains.iter_mut().zip(&snap.chains).enumerate() {
            if saved.x.len() != first.x.len() {
                return Err(bad(format!(
                    "chain {c} has {} atoms, chain 0 has {}",
                    saved.x.len(),
                    first.x.len()
                )));
            }
            *state = ChainState {
                x: saved.x.clone(),
                energy: saved.energy,
                terms: None,
                stats: saved.stats,
                adaptive: saved.adaptive,
                rng: saved
                    .rng
                    .restore()
                    .map_err(|m| bad(format!("chain {c}: {m}")))?,
            };
        }
        sampler.timing = snap.timing;
        Ok(sampler)
    }
}
