//! Data-parallel gradients of the NLL on the CPU.
//!
//! burn's ndarray backend runs everything but large matrix products on the calling thread, so
//! one batch keeps one core busy. With the batch split into parts P_1 … P_k, the per-atom NLL
//! L = (1/B) Σ_b ℓ_b is Σ_p (|P_p|/B)·L_p with L_p the mean over part p, and so is its
//! gradient: each part runs its forward and backward pass on its own thread, on its own copy of
//! the model with fresh autodiff leaves (same parameter ids, separate graphs), and the
//! gradients are summed with weights |P_p|/B. Same loss and gradient as one pass, up to the
//! order of floating-point sums; deterministic for a given number of parts.

use crate::dataset::PairBatch;
use crate::loss::{nll_loss, to_flow_batch, ScalarF64};
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::Tensor;
use timewarp_flow::TimewarpFlow;

/// Examples `range` of a batch, as a batch of their own.
pub fn sub_batch(host: &PairBatch, range: std::ops::Range<usize>) -> PairBatch {
    let (n, r) = (host.n_max, range.clone());
    let rows = |v: &[f32]| v[r.start * n * 3..r.end * n * 3].to_vec();
    PairBatch {
        n_max: n,
        n_atoms: host.n_atoms[r.clone()].to_vec(),
        traj: host.traj[r.clone()].to_vec(),
        atom_types: host.atom_types[r.start * n..r.end * n].to_vec(),
        x_coords: rows(&host.x_coords),
        y_coords: rows(&host.y_coords),
        x_velocs: rows(&host.x_velocs),
        y_velocs: rows(&host.y_velocs),
    }
}

/// NLL loss value and its parameter gradients, the batch split into `parts` threads (`parts` = 1:
/// one pass on the calling thread). `None` gradients when the loss is not finite.
pub fn nll_gradients<B: AutodiffBackend>(
    model: &TimewarpFlow<B>,
    host: &PairBatch,
    parts: usize,
    device: &B::Device,
) -> (f64, Option<GradientsParams>)
where
    B::Device: Sync,
{
    let total = host.batch_size();
    let parts = parts.clamp(1, total.max(1));
    let bounds: Vec<usize> = (0..=parts).map(|p| p * total / parts).collect();
    let part = |p: usize| {
        let h = sub_batch(host, bounds[p]..bounds[p + 1]);
        let m = model.clone().map(&mut FreshLeaves);
        let loss = nll_loss(&m, &to_flow_batch::<B>(&h, device));
        let value = loss.clone().into_scalar_f64();
        let g = value
            .is_finite()
            .then(|| GradientsParams::from_grads(loss.backward(), &m));
        (value, g, h.batch_size() as f64 / total as f64)
    };
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (1..parts).map(|p| s.spawn(move || part(p))).collect();
        let mut out = vec![part(0)];
        out.extend(
            handles
                .into_iter()
                .map(|h| h.join().expect("gradient thread panicked")),
        );
        out
    });
    let loss = results.iter().map(|(v, _, w)| v * w).sum();
    let Some(mut parts_grads) = results
        .into_iter()
        .map(|(_, g, w)| g.map(|g| (g, w)))
        .collect::<Option<Vec<_>>>()
    else {
        return (loss, None);
    };
    let mut merged = GradientsParams::new();
    model.visit(&mut WeightedSum::<B> {
        parts: &mut parts_grads,
        out: &mut merged,
        _b: std::marker::PhantomData,
    });
    (loss, Some(merged))
}

/// The same parameter values (and ids) as new autodiff leaves, so that a copy's graph shares no
/// node with the original's or another copy's (burn merges graphs that share nodes).
struct FreshLeaves;

impl<B: AutodiffBackend> ModuleMapper<B> for FreshLeaves {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let (id, tensor, _) = param.consume();
        let trained = tensor.is_require_grad();
        let leaf = Tensor::<B, D>::from_inner(tensor.inner());
        Param::initialized(id, if trained { leaf.require_grad() } else { leaf })
    }
}

/// out[id] = Σ_p w_p · g_p[id] for every float parameter of the visited module.
struct WeightedSum<'a, B: AutodiffBackend> {
    parts: &'a mut [(GradientsParams, f64)],
    out: &'a mut GradientsParams,
    _b: std::marker::PhantomData<B>,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for WeightedSum<'_, B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let mut sum: Option<Tensor<B::InnerBackend, D>> = None;
        for (g, w) in self.parts.iter_mut() {
            if let Some(t) = g.remove::<B::InnerBackend, D>(param.id) {
                let t = t.mul_scalar(*w);
                sum = Some(match sum.take() {
                    Some(s) => s + t,
                    None => t,
                });
            }
        }
        if let Some(s) = sum {
            self.out.register::<B::InnerBackend, D>(param.id, s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    type B = crate::CpuBackend;

    /// A random batch: `b` examples of up to 7 atoms (padded to 7), y = x + noise.
    fn random_batch(b: usize, seed: u64) -> PairBatch {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let n = 7;
        let mut h = PairBatch::zeros(b, n);
        for e in 0..b {
            h.n_atoms[e] = 4 + e % 4;
            for i in 0..n {
                h.atom_types[e * n + i] = rng.random_range(0..5);
                for k in 0..3 {
                    let j = (e * n + i) * 3 + k;
                    h.x_coords[j] = rng.random_range(-0.5..0.5);
                    h.y_coords[j] = h.x_coords[j] + rng.random_range(-0.05..0.05);
                    h.x_velocs[j] = rng.random_range(-1.0..1.0);
                    h.y_velocs[j] = rng.random_range(-1.0..1.0);
                }
            }
        }
        h
    }

    /// The weighted sum of per-part gradients is the gradient of the whole batch: same loss,
    /// same gradient for every parameter (to f32 round-off), parts of unequal size included.
    #[test]
    fn split_gradients_equal_one_pass() {
        let device = Default::default();
        let cfg = timewarp_flow::presets::preset("tiny").unwrap();
        let model = TimewarpFlow::<B>::try_new(&cfg, 3, &device).unwrap();
        let host = random_batch(11, 1);
        let loss = nll_loss(&model, &to_flow_batch::<B>(&host, &device));
        let v1 = loss.clone().into_scalar_f64();
        let g1 = GradientsParams::from_grads(loss.backward(), &model);
        let (v3, g3) = nll_gradients(&model, &host, 3, &device);
        let g3 = g3.expect("finite loss");
        assert!(
            (v1 - v3).abs() < 1e-5 * v1.abs().max(1.0),
            "loss {v1} vs {v3}"
        );
        let ids = crate::optim::param_ids(&model);
        assert!(
            ids.len() > 10 && g1.len() == ids.len() && g3.len() == ids.len(),
            "{} / {} grads for {} params",
            g1.len(),
            g3.len(),
            ids.len()
        );
        let (n1, n3) = (
            crate::optim::global_grad_norm::<B, _>(&model, &g1),
            crate::optim::global_grad_norm::<B, _>(&model, &g3),
        );
        let mut diff = GradientsParams::new();
        let mut both = vec![(g1, 1.0), (g3, -1.0)];
        model.visit(&mut WeightedSum::<B> {
            parts: &mut both,
            out: &mut diff,
            _b: std::marker::PhantomData,
        });
        let nd = crate::optim::global_grad_norm::<B, _>(&model, &diff);
        assert!(
            n1 > 0.0 && nd <= 1e-4 * n1,
            "‖g₁‖ {n1}, ‖g₃‖ {n3}, ‖g₁ − g₃‖ {nd}"
        );
    }
}
