//! The Gaussian displacement baseline: the best fixed Gaussian model of x(t+τ) given x(t).
//!
//! Every atom i of a peptide moves independently, Δ_i = x_i(t+τ) − x_i(t) ~ N(μ_i, diag σ_i²)
//! with μ_i, σ_i² per atom and Cartesian axis fitted by maximum likelihood on the training pairs
//! (sample mean and biased variance). Peptides absent from the training set (split by peptide)
//! get per-element parameters pooled over all training atoms. The auxiliary velocities are
//! modelled as in the flow's target, y^v ~ N(0, I), whose expected log-density per atom is
//! −3·(½ ln 2π + ½) (the expectation under y^v ~ N(0, I) of −½‖y^v‖² − (3/2) ln 2π).
//!
//! The result is a validation NLL per atom in the same units as the flow's `nll_loss`:
//! −(1/n) [Σ_i log N(Δ_i; μ_i, σ_i²) + Σ_i log N(y^v_i; 0, I)], averaged over pairs.
//! A flow that does not beat it has learned nothing beyond the displacement scale.

use crate::dataset::{PairDataset, PairRef};
use crate::error::DataError;
use std::collections::HashMap;
use timewarp_mol::Element;

/// Smallest variance (nm²) allowed, so that a frozen atom does not give −∞.
const VAR_FLOOR: f64 = 1e-10;

/// Expected −log N(v; 0, I₃) for v ~ N(0, I₃): 3·(½ ln 2π + ½).
pub const VELOCITY_NLL_PER_ATOM: f64 = 3.0 * (0.918_938_533_204_672_7 + 0.5);

#[derive(Debug, Clone, Default)]
struct Moments {
    n: f64,
    sum: [f64; 3],
    sum_sq: [f64; 3],
}

impl Moments {
    fn add(&mut self, d: [f64; 3]) {
        self.n += 1.0;
        for ((s, s2), v) in self.sum.iter_mut().zip(&mut self.sum_sq).zip(d) {
            *s += v;
            *s2 += v * v;
        }
    }
    fn gaussian(&self) -> AxisGaussian {
        let mean = self.sum.map(|s| s / self.n);
        let var =
            std::array::from_fn(|k| (self.sum_sq[k] / self.n - mean[k] * mean[k]).max(VAR_FLOOR));
        AxisGaussian { mean, var }
    }
}

/// N(μ, diag σ²) in three dimensions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AxisGaussian {
    pub mean: [f64; 3],
    pub var: [f64; 3],
}

impl AxisGaussian {
    /// −log N(d; μ, diag σ²).
    pub fn nll(&self, d: [f64; 3]) -> f64 {
        (0..3)
            .map(|k| {
                let z = d[k] - self.mean[k];
                0.5 * (2.0 * std::f64::consts::PI * self.var[k]).ln() + 0.5 * z * z / self.var[k]
            })
            .sum()
    }
}

/// The fitted baseline.
#[derive(Debug, Clone, Default)]
pub struct GaussianBaseline {
    /// Per peptide (name, atom count): one Gaussian per atom.
    pub per_atom: HashMap<(String, usize), Vec<AxisGaussian>>,
    /// Pooled per element, for peptides not seen in training.
    pub per_element: HashMap<Element, AxisGaussian>,
    pub train_pairs: usize,
}

/// Calls `f(traj, x, y, positions)` for every pair, loading each trajectory once.
fn for_each_pair(
    ds: &mut PairDataset,
    pairs: &[PairRef],
    mut f: impl FnMut(&PairDataset, &PairRef, &[f32]),
) -> Result<(), DataError> {
    let mut sorted = pairs.to_vec();
    sorted.sort_by_key(|r| (r.traj, r.x));
    for group in sorted.chunk_by(|a, b| a.traj == b.traj) {
        let pos = ds.positions(group[0].traj)?;
        for r in group {
            f(ds, r, &pos);
        }
    }
    Ok(())
}

fn displacement(pos: &[f32], n: usize, r: &PairRef, i: usize) -> [f64; 3] {
    let (x, y) = (r.x as usize * n * 3 + 3 * i, r.y as usize * n * 3 + 3 * i);
    std::array::from_fn(|k| pos[y + k] as f64 - pos[x + k] as f64)
}

impl GaussianBaseline {
    /// Maximum-likelihood fit on `pairs`.
    pub fn fit(ds: &mut PairDataset, pairs: &[PairRef]) -> Result<Self, DataError> {
        let mut atoms: HashMap<(String, usize), Vec<Moments>> = HashMap::new();
        let mut elements: HashMap<Element, Moments> = HashMap::new();
        for_each_pair(ds, pairs, |ds, r, pos| {
            let info = &ds.trajectories[r.traj as usize];
            let n = info.n_atoms;
            let m = atoms
                .entry((info.name.clone(), n))
                .or_insert_with(|| vec![Moments::default(); n]);
            for (i, (mi, &e)) in m.iter_mut().zip(&info.elements).enumerate() {
                let d = displacement(pos, n, r, i);
                mi.add(d);
                elements.entry(e).or_default().add(d);
            }
        })?;
        Ok(GaussianBaseline {
            per_atom: atoms
                .into_iter()
                .map(|(k, v)| (k, v.iter().map(Moments::gaussian).collect()))
                .collect(),
            per_element: elements
                .into_iter()
                .map(|(k, v)| (k, v.gaussian()))
                .collect(),
            train_pairs: pairs.len(),
        })
    }

    /// Mean over `pairs` of the NLL per atom (positions and auxiliary velocities).
    pub fn nll_per_atom(&self, ds: &mut PairDataset, pairs: &[PairRef]) -> Result<f64, DataError> {
        let mut total = 0.0;
        let mut missing: Option<DataError> = None;
        for_each_pair(ds, pairs, |ds, r, pos| {
            let info = &ds.trajectories[r.traj as usize];
            let n = info.n_atoms;
            let per_atom = self.per_atom.get(&(info.name.clone(), n));
            let mut nll = 0.0;
            for i in 0..n {
                let g = match per_atom {
                    Some(g) => g[i],
                    None => match self.per_element.get(&info.elements[i]) {
                        Some(g) => *g,
                        None => {
                            missing.get_or_insert(DataError::Config(format!(
                                "{}: element {} of atom {} never occurs in the training data",
                                info.origin(),
                                info.elements[i],
                                i + 1
                            )));
                            continue;
                        }
                    },
                };
                nll += g.nll(displacement(pos, n, r, i));
            }
            total += nll / n as f64 + VELOCITY_NLL_PER_ATOM;
        })?;
        if let Some(e) = missing {
            return Err(e);
        }
        Ok(total / pairs.len().max(1) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Trajectory;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};

    #[test]
    fn recovers_a_known_random_walk() {
        // Two atoms doing independent Gaussian random walks with per-step σ = 0.01 and 0.03 nm;
        // at lag 4 the displacement variance is 4σ².
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let sig = [0.01f64, 0.03];
        let t = 4000;
        let mut pos = vec![0f32; t * 6];
        for f in 1..t {
            for i in 0..2 {
                let nrm = Normal::new(0.0, sig[i]).unwrap();
                for k in 0..3 {
                    pos[f * 6 + 3 * i + k] =
                        pos[(f - 1) * 6 + 3 * i + k] + nrm.sample(&mut rng) as f32;
                }
            }
        }
        let traj = Trajectory {
            name: "walk".into(),
            elements: vec![Element::C, Element::H],
            steps: (0..t as i64).collect(),
            positions: pos,
        };
        let mut ds = PairDataset::from_memory(vec![traj], 4, &|_| Some(0)).unwrap();
        let pairs: Vec<PairRef> = ds.trajectories[0]
            .pairs
            .iter()
            .map(|&(x, y)| PairRef { traj: 0, x, y })
            .collect();
        let b = GaussianBaseline::fit(&mut ds, &pairs).unwrap();
        let g = &b.per_atom[&("walk".to_string(), 2)];
        for i in 0..2 {
            for k in 0..3 {
                let want = 4.0 * sig[i] * sig[i];
                assert!(
                    (g[i].var[k] / want - 1.0).abs() < 0.1,
                    "atom {i} axis {k}: {} vs {want}",
                    g[i].var[k]
                );
            }
        }
        // The expected NLL per atom of a Gaussian fitted to itself is ½ ln(2πeσ²) per axis.
        let nll = b.nll_per_atom(&mut ds, &pairs).unwrap();
        let want: f64 = (0..2)
            .map(|i| {
                3.0 * 0.5
                    * (2.0 * std::f64::consts::PI * std::f64::consts::E * 4.0 * sig[i] * sig[i])
                        .ln()
            })
            .sum::<f64>()
            / 2.0
            + VELOCITY_NLL_PER_ATOM;
        assert!((nll - want).abs() < 0.05, "{nll} vs {want}");
    }

    #[test]
    fn velocity_constant() {
        // E[−log N(v; 0, 1)] = ½ ln 2π + ½ per coordinate.
        let c = 0.5 * (2.0 * std::f64::consts::PI).ln() + 0.5;
        assert!((VELOCITY_NLL_PER_ATOM - 3.0 * c).abs() < 1e-12);
    }
}
