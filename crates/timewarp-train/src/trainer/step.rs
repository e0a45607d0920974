//! One optimiser step: batch, augmentation, loss, back-propagation, clipping, Adam.

use super::data::PreparedData;
use crate::augment::{auxiliary_velocities, random_rigid_motion};
use crate::config::{LossKind, TrainConfig};
use crate::dataset::{PairBatch, PairRef};
use crate::error::TrainError;
use crate::loss::{acceptance_loss, to_flow_batch, LossTerms};
use crate::optim::{clip_global_norm, global_grad_norm, Optim};
use burn::optim::GradientsParams;
use burn::tensor::backend::AutodiffBackend;
use rand_chacha::ChaCha8Rng;
use timewarp_flow::TimewarpFlow;

/// Losses and norms of one step.
#[derive(Debug, Clone, Copy, Default)]
pub struct StepStats {
    pub terms: LossTerms,
    /// Global gradient norm before clipping.
    pub grad_norm: f64,
    pub lr: f64,
}

/// What an optimiser step changes: the weights, Adam's moments and the random stream of the
/// augmentation (rigid motions, auxiliary velocities, the acceptance loss's draws).
pub struct Learner<B: AutodiffBackend> {
    /// `None` only inside [`Learner::step`]: Adam takes the module by value and returns the
    /// updated one.
    model: Option<TimewarpFlow<B>>,
    optim: Optim<TimewarpFlow<B>, B>,
    rng: ChaCha8Rng,
    /// Host buffers of the batch, reused from step to step.
    host: PairBatch,
}

impl<B: AutodiffBackend> Learner<B> {
    pub fn new(model: TimewarpFlow<B>, optim: Optim<TimewarpFlow<B>, B>, rng: ChaCha8Rng) -> Self {
        Learner {
            model: Some(model),
            optim,
            rng,
            host: PairBatch::default(),
        }
    }

    pub fn model(&self) -> &TimewarpFlow<B> {
        self.model
            .as_ref()
            .expect("the model is back after every step")
    }

    pub fn optim(&self) -> &Optim<TimewarpFlow<B>, B> {
        &self.optim
    }

    pub fn rng(&self) -> &ChaCha8Rng {
        &self.rng
    }

    /// One optimiser step on the pairs `refs` of `data` with learning rate `lr`; `step` (steps
    /// done before this one) names the step in errors.
    pub fn step(
        &mut self,
        cfg: &TrainConfig,
        data: &mut PreparedData,
        refs: &[PairRef],
        lr: f64,
        step: u64,
        device: &B::Device,
    ) -> Result<StepStats, TrainError> {
        data.dataset.fill_batch(refs, &mut self.host)?;
        if cfg.augment {
            random_rigid_motion(&mut self.rng, &mut self.host);
        }
        auxiliary_velocities(&mut self.rng, &mut self.host);
        let (terms, grads) = self.loss_gradients(cfg, data, device)?;
        let model = self.model();
        let Some(mut grads) = grads.filter(|_| terms.loss.is_finite()) else {
            return Err(TrainError::NonFinite {
                step: step + 1,
                value: terms.loss,
            });
        };
        let grad_norm = match cfg.clip_grad_norm {
            Some(c) => clip_global_norm::<B, _>(model, &mut grads, c),
            None => global_grad_norm::<B, _>(model, &grads),
        };
        if !grad_norm.is_finite() {
            return Err(TrainError::NonFinite {
                step: step + 1,
                value: grad_norm,
            });
        }
        let model = self
            .model
            .take()
            .expect("the model is back after every step");
        self.model = Some(self.optim.step(lr, model, grads));
        Ok(StepStats {
            terms,
            grad_norm,
            lr,
        })
    }

    /// The loss of the batch in the host buffers and its gradients (`None` when the loss is not
    /// finite: nothing to back-propagate).
    fn loss_gradients(
        &mut self,
        cfg: &TrainConfig,
        data: &mut PreparedData,
        device: &B::Device,
    ) -> Result<(LossTerms, Option<GradientsParams>), TrainError> {
        let model = self
            .model
            .as_ref()
            .expect("the model is back after every step");
        match cfg.loss {
            LossKind::Nll => {
                let parts = data_parallel_parts::<B>(device, self.host.batch_size());
                let (v, grads) = crate::parallel::nll_gradients(model, &self.host, parts, device);
                Ok((
                    LossTerms {
                        loss: v,
                        nll: v,
                        ..LossTerms::default()
                    },
                    grads,
                ))
            }
            LossKind::Acceptance => {
                let bridge = data
                    .energy
                    .as_mut()
                    .expect("acceptance loss has an energy bridge");
                let infos = &data.dataset.trajectories;
                let batch = to_flow_batch::<B>(&self.host, device);
                let (loss, terms) = acceptance_loss(
                    model,
                    &self.host,
                    &batch,
                    infos,
                    bridge,
                    &cfg.acceptance,
                    &mut self.rng,
                )?;
                let grads = terms
                    .loss
                    .is_finite()
                    .then(|| GradientsParams::from_grads(loss.backward(), model));
                Ok((terms, grads))
            }
        }
    }
}

/// How many threads share one NLL batch (see [`crate::parallel`]): the rayon pool's size on the
/// CPU backend (ndarray), at least 8 examples each; 1 on GPUs, which parallelise inside each op.
fn data_parallel_parts<B: AutodiffBackend>(device: &B::Device, batch: usize) -> usize {
    if B::name(device).contains("ndarray") {
        rayon::current_num_threads().min(batch / 8).max(1)
    } else {
        1
    }
}
