//! The optimiser: Adam (as the official training, `torch.optim.Adam` with ε = 1e-8) with
//! clipping of the global gradient norm (`torch.nn.utils.clip_grad_norm_`).
//!
//! burn's own `GradientClipping::Norm` clips every parameter tensor separately; the official
//! code clips the norm of the concatenation of all gradients, g ← g·min(1, c/‖g‖₂), which keeps
//! the direction of the full gradient. [`clip_global_norm`] does that.
//!
//! The optimiser state (first and second moments, step counts) is keyed by burn's `ParamId`,
//! which the flow's safetensors checkpoint does not store. [`Optim::save`] therefore writes the
//! state together with the parameter order of the model, and [`Optim::load`] re-keys it onto the
//! `ParamId`s of the model it is loaded for (the same architecture visits its parameters in the
//! same order).

use burn::module::{AutodiffModule, ModuleVisitor, Param, ParamId};
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig, GradientsParams, Optimizer};
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::Tensor;
use std::collections::HashMap;
use std::marker::PhantomData;

/// Adam with the official hyper-parameters (β₁ = 0.9, β₂ = 0.999, ε = 1e-8, no weight decay).
pub struct Optim<M: AutodiffModule<B>, B: AutodiffBackend> {
    adam: OptimizerAdaptor<Adam, M, B>,
}

impl<M: AutodiffModule<B>, B: AutodiffBackend> Default for Optim<M, B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: AutodiffModule<B>, B: AutodiffBackend> Optim<M, B> {
    pub fn new() -> Self {
        Optim {
            adam: AdamConfig::new().with_epsilon(1e-8).init(),
        }
    }

    /// One update of `model` with learning rate `lr`.
    pub fn step(&mut self, lr: f64, model: M, grads: GradientsParams) -> M {
        self.adam.step(lr, model, grads)
    }

    /// Serialises the optimiser state (binary, full precision) with the parameter order of
    /// `model`.
    pub fn save(&self, model: &M) -> Result<Vec<u8>, String> {
        let ids = param_ids::<B, M>(model);
        let record = self.adam.to_record();
        let state = BinBytesRecorder::<FullPrecisionSettings>::default()
            .record(record, ())
            .map_err(|e| e.to_string())?;
        let ids: Vec<String> = ids.iter().map(|id| id.serialize()).collect();
        let header = serde_json::to_vec(&ids).map_err(|e| e.to_string())?;
        let mut out = Vec::with_capacity(8 + header.len() + state.len());
        out.extend_from_slice(&(header.len() as u64).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&state);
        Ok(out)
    }

    /// Restores a state written by [`Optim::save`] for `model` (an instance of the same
    /// architecture, possibly with other `ParamId`s).
    pub fn load(self, bytes: &[u8], model: &M, device: &B::Device) -> Result<Self, String> {
        let bad = || "truncated optimiser state".to_string();
        let len = u64::from_le_bytes(bytes.get(..8).ok_or_else(bad)?.try_into().unwrap()) as usize;
        let header = bytes.get(8..8 + len).ok_or_else(bad)?;
        let saved: Vec<String> = serde_json::from_slice(header).map_err(|e| e.to_string())?;
        let record: <OptimizerAdaptor<Adam, M, B> as Optimizer<M, B>>::Record =
            BinBytesRecorder::<FullPrecisionSettings>::default()
                .load(bytes[8 + len..].to_vec(), device)
                .map_err(|e| e.to_string())?;
        let now = param_ids::<B, M>(model);
        if now.len() != saved.len() {
            return Err(format!(
                "optimiser state is for a model with {} parameter tensors, this model has {}",
                saved.len(),
                now.len()
            ));
        }
        let remap: HashMap<ParamId, ParamId> = saved
            .iter()
            .map(|s| ParamId::deserialize(s))
            .zip(now.iter().copied())
            .collect();
        let mut rekeyed: <OptimizerAdaptor<Adam, M, B> as Optimizer<M, B>>::Record =
            Default::default();
        for (old, state) in record {
            let new = remap
                .get(&old)
                .ok_or_else(|| format!("optimiser state for unknown parameter {old}"))?;
            rekeyed.insert(*new, state);
        }
        Ok(Optim {
            adam: self.adam.load_record(rekeyed),
        })
    }
}

/// The `ParamId`s of `model`'s float parameters in visiting order.
pub fn param_ids<B: AutodiffBackend, M: AutodiffModule<B>>(model: &M) -> Vec<ParamId> {
    struct Ids(Vec<ParamId>);
    impl<B: burn::tensor::backend::Backend> ModuleVisitor<B> for Ids {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            self.0.push(param.id);
        }
    }
    let mut v = Ids(Vec::new());
    model.visit(&mut v);
    v.0
}

/// Global L2 norm of all gradients, ‖g‖₂ = (Σ_params Σ g²)^½, read back once.
pub fn global_grad_norm<B: AutodiffBackend, M: AutodiffModule<B>>(
    model: &M,
    grads: &GradientsParams,
) -> f64 {
    struct SumSq<'a, B: AutodiffBackend> {
        grads: &'a GradientsParams,
        total: Option<Tensor<B::InnerBackend, 1>>,
    }
    impl<B: AutodiffBackend> ModuleVisitor<B> for SumSq<'_, B> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            if let Some(g) = self.grads.get::<B::InnerBackend, D>(param.id) {
                let s = g.square().sum();
                self.total = Some(match self.total.take() {
                    Some(t) => t + s,
                    None => s,
                });
            }
        }
    }
    let mut v = SumSq::<B> { grads, total: None };
    model.visit(&mut v);
    match v.total {
        Some(t) => (t.into_scalar().to_f64_lossy()).sqrt(),
        None => 0.0,
    }
}

/// Scales all gradients by min(1, max_norm/‖g‖₂) (PyTorch's `clip_grad_norm_`, which also adds
/// 1e-6 to the norm). Returns ‖g‖₂ before clipping.
pub fn clip_global_norm<B: AutodiffBackend, M: AutodiffModule<B>>(
    model: &M,
    grads: &mut GradientsParams,
    max_norm: f64,
) -> f64 {
    let norm = global_grad_norm::<B, M>(model, grads);
    let scale = max_norm / (norm + 1e-6);
    if scale < 1.0 {
        scale_grads::<B, M>(model, grads, scale);
    }
    norm
}

/// g ← s·g for every parameter's gradient.
pub fn scale_grads<B: AutodiffBackend, M: AutodiffModule<B>>(
    model: &M,
    grads: &mut GradientsParams,
    s: f64,
) {
    struct Scale<'a, B: AutodiffBackend> {
        grads: &'a mut GradientsParams,
        s: f64,
        _b: PhantomData<B>,
    }
    impl<B: AutodiffBackend> ModuleVisitor<B> for Scale<'_, B> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            if let Some(g) = self.grads.remove::<B::InnerBackend, D>(param.id) {
                self.grads
                    .register::<B::InnerBackend, D>(param.id, g.mul_scalar(self.s));
            }
        }
    }
    model.visit(&mut Scale::<B> {
        grads,
        s,
        _b: PhantomData,
    });
}

/// Small helper: reads any burn element as f64.
trait ToF64Lossy {
    fn to_f64_lossy(self) -> f64;
}
impl<E: burn::tensor::ElementConversion> ToF64Lossy for E {
    fn to_f64_lossy(self) -> f64 {
        self.elem::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::{Autodiff, NdArray};
    use burn::module::Module;
    use burn::nn::{Linear, LinearConfig};
    use burn::tensor::TensorData;

    type B = Autodiff<NdArray<f32>>;

    #[derive(Module, Debug)]
    struct Two<B: burn::tensor::backend::Backend> {
        a: Linear<B>,
        b: Linear<B>,
    }

    fn model(dev: &burn::tensor::Device<B>) -> Two<B> {
        Two {
            a: LinearConfig::new(3, 4).init(dev),
            b: LinearConfig::new(4, 1).init(dev),
        }
    }

    fn loss(m: &Two<B>, dev: &burn::tensor::Device<B>) -> Tensor<B, 1> {
        let x = Tensor::<B, 2>::from_data(
            TensorData::new(vec![1.0f32, -2.0, 0.5, 0.3, 0.1, -0.7], [2, 3]),
            dev,
        );
        m.b.forward(m.a.forward(x)).square().mean()
    }

    #[test]
    fn global_norm_matches_manual_sum_and_clips() {
        let dev = Default::default();
        let m = model(&dev);
        let g = loss(&m, &dev).backward();
        let mut grads = GradientsParams::from_grads(g, &m);
        let sq = |v: Vec<f32>| v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>();
        let g2 = |id| {
            sq(grads
                .get::<NdArray<f32>, 2>(id)
                .unwrap()
                .into_data()
                .to_vec()
                .unwrap())
        };
        let g1 = |id| {
            sq(grads
                .get::<NdArray<f32>, 1>(id)
                .unwrap()
                .into_data()
                .to_vec()
                .unwrap())
        };
        let manual = g2(m.a.weight.id)
            + g1(m.a.bias.as_ref().unwrap().id)
            + g2(m.b.weight.id)
            + g1(m.b.bias.as_ref().unwrap().id);
        let norm = global_grad_norm::<B, _>(&m, &grads);
        assert!((norm - manual.sqrt()).abs() < 1e-5 * norm.max(1.0));
        let before = clip_global_norm::<B, _>(&m, &mut grads, norm / 4.0);
        assert!((before - norm).abs() < 1e-9);
        let after = global_grad_norm::<B, _>(&m, &grads);
        assert!((after - norm / 4.0).abs() < 1e-4 * norm);
    }

    #[test]
    fn state_survives_save_and_load_onto_new_param_ids() {
        let dev = Default::default();
        let m = model(&dev);
        let mut opt = Optim::<Two<B>, B>::new();
        let g = GradientsParams::from_grads(loss(&m, &dev).backward(), &m);
        let m = opt.step(1e-2, m, g);
        let bytes = opt.save(&m).unwrap();

        let clone = model(&dev).load_record(m.clone().into_record());
        // Same weights under fresh ParamIds, as after loading a safetensors checkpoint.
        let other = {
            let data_a = m.a.weight.val().into_data();
            let mut c = model(&dev);
            c.a.weight = Param::from_tensor(Tensor::from_data(data_a, &dev));
            c.a.bias = m.a.bias.as_ref().map(|b| Param::from_tensor(b.val()));
            c.b.weight = Param::from_tensor(m.b.weight.val());
            c.b.bias = m.b.bias.as_ref().map(|b| Param::from_tensor(b.val()));
            c
        };
        assert_ne!(param_ids::<B, _>(&other), param_ids::<B, _>(&m));
        let mut opt2 = Optim::<Two<B>, B>::new()
            .load(&bytes, &other, &dev)
            .unwrap();

        let step = |opt: &mut Optim<Two<B>, B>, m: Two<B>| {
            let g = GradientsParams::from_grads(loss(&m, &dev).backward(), &m);
            opt.step(1e-2, m, g)
        };
        let a = step(&mut opt, m);
        let b = step(&mut opt2, other);
        let wa: Vec<f32> = a.a.weight.val().into_data().to_vec().unwrap();
        let wb: Vec<f32> = b.a.weight.val().into_data().to_vec().unwrap();
        assert_eq!(wa, wb);
        // A fresh optimiser (no moments) gives a different second step.
        let mut opt3 = Optim::<Two<B>, B>::new();
        let c = step(&mut opt3, clone);
        let wc: Vec<f32> = c.a.weight.val().into_data().to_vec().unwrap();
        assert_ne!(wa, wc);
    }
}
