//! Helpers shared by the integration tests: small random molecules and models.
#![allow(dead_code)]

use burn::tensor::backend::Backend;
use burn::tensor::Device;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use timewarp_flow::{
    preset, ConditionExample, FlowBatch, FlowCondition, FlowConfig, PairExample, TimewarpFlow,
};

/// A molecule's transition on the host.
#[derive(Debug, Clone)]
pub struct Molecule {
    pub atom_types: Vec<i64>,
    pub x_coords: Vec<[f64; 3]>,
    pub x_velocs: Vec<[f64; 3]>,
    pub y_coords: Vec<[f64; 3]>,
    pub y_velocs: Vec<[f64; 3]>,
}

fn normal3(rng: &mut ChaCha8Rng, scale: f64) -> [f64; 3] {
    std::array::from_fn(|_| scale * rng.sample::<f64, _>(StandardNormal))
}

impl Molecule {
    /// `n` atoms spread over ~0.3 nm around a random offset, y = x + 0.03 nm noise,
    /// velocities ~ N(0, 1).
    pub fn random(n: usize, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let offset = normal3(&mut rng, 1.0);
        let atom_types = (0..n).map(|_| rng.random_range(0..5)).collect();
        let x_coords: Vec<[f64; 3]> = (0..n)
            .map(|_| {
                let d = normal3(&mut rng, 0.3);
                std::array::from_fn(|k| offset[k] + d[k])
            })
            .collect();
        let y_coords = x_coords
            .iter()
            .map(|x| {
                let d = normal3(&mut rng, 0.03);
                std::array::from_fn(|k| x[k] + d[k])
            })
            .collect();
        let x_velocs = (0..n).map(|_| normal3(&mut rng, 1.0)).collect();
        let y_velocs = (0..n).map(|_| normal3(&mut rng, 1.0)).collect();
        Self {
            atom_types,
            x_coords,
            x_velocs,
            y_coords,
            y_velocs,
        }
    }

    pub fn pair(&self) -> PairExample<'_> {
        PairExample {
            atom_types: &self.atom_types,
            x_coords: &self.x_coords,
            x_velocs: &self.x_velocs,
            y_coords: &self.y_coords,
            y_velocs: &self.y_velocs,
        }
    }

    pub fn condition(&self) -> ConditionExample<'_> {
        self.pair().condition()
    }
}

pub fn batch<B: Backend>(
    molecules: &[Molecule],
    slots: Option<usize>,
    device: &Device<B>,
) -> FlowBatch<B> {
    let pairs: Vec<_> = molecules.iter().map(Molecule::pair).collect();
    FlowBatch::from_examples(&pairs, slots, device).unwrap()
}

pub fn condition<B: Backend>(molecules: &[Molecule], device: &Device<B>) -> FlowCondition<B> {
    let conds: Vec<_> = molecules.iter().map(Molecule::condition).collect();
    FlowCondition::from_examples(&conds, None, device).unwrap()
}

/// The `tiny` preset with non-trivial prior scales.
pub fn tiny_config() -> FlowConfig {
    let mut config = preset("tiny").unwrap();
    config.coords_prior_log_scale = -0.7;
    config.velocs_prior_log_scale = 0.2;
    config
}

pub fn tiny_model<B: Backend>(seed: u64, device: &Device<B>) -> TimewarpFlow<B> {
    TimewarpFlow::try_new(&tiny_config(), seed, device).unwrap()
}

pub fn host<B: Backend, const D: usize>(t: burn::tensor::Tensor<B, D>) -> Vec<f64> {
    t.into_data().iter::<f64>().collect()
}
