//! Training and validation pairs: by a block of simulated time at the end of every trajectory,
//! or by held-out peptides.

use super::pairs::PairRef;
use super::trajectory::TrajectoryInfo;
use crate::error::DataError;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// How pairs are divided into training and validation sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Split {
    /// The last `val_fraction` of every trajectory's simulated time is validation data; pairs
    /// straddling the boundary are dropped, so no validation target was seen in training.
    TimeBlock { val_fraction: f64 },
    /// A `val_fraction` of the peptides (trajectory names; replicas of a peptide stay together)
    /// is held out: this measures transfer to unseen peptides.
    Peptide { val_fraction: f64 },
}

impl Default for Split {
    fn default() -> Self {
        Split::TimeBlock { val_fraction: 0.1 }
    }
}

/// Training and validation pairs after the split.
#[derive(Debug, Clone, Default)]
pub struct SplitPairs {
    pub train: Vec<PairRef>,
    pub val: Vec<PairRef>,
}

/// Salt of the stream that shuffles the peptides of [`Split::Peptide`].
const PEPTIDE_SPLIT_SALT: u64 = 0x5eed_5b11_7000_0001;

/// Divides the pairs of every trajectory into training and validation pairs.
pub fn split_pairs(
    infos: &[TrajectoryInfo],
    split: &Split,
    seed: u64,
) -> Result<SplitPairs, DataError> {
    let mut out = SplitPairs::default();
    match *split {
        Split::TimeBlock { val_fraction } => {
            check_fraction(val_fraction)?;
            for (t, info) in infos.iter().enumerate() {
                let (p, s) = (&info.pairs, &info.steps);
                let lo = s.iter().min().copied().unwrap_or(0);
                let hi = s.iter().max().copied().unwrap_or(0);
                // Boundary in simulated time, so that log-spaced frames split by time too.
                let boundary = lo as f64 + (1.0 - val_fraction) * (hi - lo) as f64;
                for &(x, y) in p {
                    let r = PairRef {
                        traj: t as u32,
                        x,
                        y,
                    };
                    let (sx, sy) = (s[x as usize] as f64, s[y as usize] as f64);
                    if val_fraction > 0.0 && sx >= boundary {
                        out.val.push(r);
                    } else if val_fraction == 0.0 || sy < boundary {
                        out.train.push(r);
                    }
                }
            }
        }
        Split::Peptide { val_fraction } => {
            check_fraction(val_fraction)?;
            let mut names: Vec<&str> = infos.iter().map(|i| i.name.as_str()).collect();
            names.sort();
            names.dedup();
            if names.len() < 2 && val_fraction > 0.0 {
                return Err(DataError::TooFewPeptides { found: names.len() });
            }
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ PEPTIDE_SPLIT_SALT);
            names.shuffle(&mut rng);
            let n_val = if val_fraction > 0.0 {
                ((val_fraction * names.len() as f64).round() as usize).clamp(1, names.len() - 1)
            } else {
                0
            };
            let val_names: Vec<&str> = names[..n_val].to_vec();
            for (t, info) in infos.iter().enumerate() {
                let is_val = val_names.contains(&info.name.as_str());
                let dst = if is_val { &mut out.val } else { &mut out.train };
                dst.extend(info.pairs.iter().map(|&(x, y)| PairRef {
                    traj: t as u32,
                    x,
                    y,
                }));
            }
        }
    }
    Ok(out)
}

fn check_fraction(f: f64) -> Result<(), DataError> {
    if (0.0..1.0).contains(&f) {
        Ok(())
    } else {
        Err(DataError::Config(format!(
            "validation fraction {f} is not in [0, 1)"
        )))
    }
}

/// Evenly spaced subset of at most `max` pairs (deterministic, keeps coverage of all peptides
/// and of the whole trajectory).
pub fn subsample(pairs: &[PairRef], max: usize) -> Vec<PairRef> {
    if pairs.len() <= max || max == 0 {
        return pairs.to_vec();
    }
    (0..max).map(|k| pairs[k * pairs.len() / max]).collect()
}
