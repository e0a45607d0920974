//! Validation of the weights on held-out pairs, with draws fixed across validations so that
//! successive values compare weights, not draws.

use crate::acceptance::EnergyBridge;
use crate::augment::auxiliary_velocities;
use crate::dataset::{PairBatch, PairDataset, PairRef};
use crate::error::TrainError;
use crate::loss::{acceptance_loss, nll_per_molecule, to_flow_batch, AcceptanceConfig};
use burn::tensor::backend::Backend;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use timewarp_flow::TimewarpFlow;

/// Salt of the validation velocity stream (independent of the training stream).
const VAL_SALT: u64 = 0x7661_6c69_6461_7465;

/// At most this many validation pairs score the acceptance objective (each needs a flow
/// sample, a reverse density and two force-field evaluations).
const MAX_ACCEPTANCE_VAL_PAIRS: usize = 512;

/// Validation NLL per atom: mean over `pairs` of −log p(y | x)/n, without augmentation and
/// with auxiliary velocities from a stream seeded by `seed` (the same draws at every
/// validation).
pub fn validation_nll<B: Backend>(
    model: &TimewarpFlow<B>,
    dataset: &mut PairDataset,
    pairs: &[PairRef],
    batch: usize,
    seed: u64,
    device: &B::Device,
) -> Result<f64, TrainError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ VAL_SALT);
    let mut sorted = pairs.to_vec();
    sorted.sort_by_key(|r| (dataset.trajectories[r.traj as usize].n_atoms, r.traj, r.x));
    let mut host = PairBatch::default();
    let mut total = 0.0;
    for chunk in sorted.chunks(batch.max(1)) {
        dataset.fill_batch(chunk, &mut host)?;
        auxiliary_velocities(&mut rng, &mut host);
        let fb = to_flow_batch::<B>(&host, device);
        let nll: Vec<f64> = nll_per_molecule(model, &fb)
            .into_data()
            .iter::<f64>()
            .collect();
        total += nll.iter().sum::<f64>();
    }
    Ok(total / pairs.len().max(1) as f64)
}

/// The acceptance objective on validation pairs: w_nll·NLL + w_acc·(−log a + β log p)/n
/// averaged over the pairs, and the mean MH acceptance min(1, a) of the flow's proposals from
/// the validation states. Noise and auxiliary velocities come from a stream seeded by `seed`, the
/// same at every validation, so that successive validations compare weights, not draws.
#[allow(clippy::too_many_arguments)]
pub fn validation_acceptance<B: Backend>(
    model: &TimewarpFlow<B>,
    dataset: &mut PairDataset,
    pairs: &[PairRef],
    batch: usize,
    cfg: &AcceptanceConfig,
    bridge: &mut EnergyBridge,
    seed: u64,
    device: &B::Device,
) -> Result<(f64, f64), TrainError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ VAL_SALT);
    let stride = pairs.len().div_ceil(MAX_ACCEPTANCE_VAL_PAIRS).max(1);
    let subset: Vec<PairRef> = pairs.iter().step_by(stride).copied().collect();
    let mut host = PairBatch::default();
    let (mut loss, mut acceptance, mut count) = (0.0, 0.0, 0usize);
    for chunk in subset.chunks(batch.max(1)) {
        dataset.fill_batch(chunk, &mut host)?;
        auxiliary_velocities(&mut rng, &mut host);
        let fb = to_flow_batch::<B>(&host, device);
        let infos = &dataset.trajectories;
        let (_, terms) = acceptance_loss(model, &host, &fb, infos, bridge, cfg, &mut rng)?;
        loss += terms.loss * chunk.len() as f64;
        acceptance += terms.acceptance * chunk.len() as f64;
        count += chunk.len();
    }
    let n = count.max(1) as f64;
    Ok((loss / n, acceptance / n))
}
