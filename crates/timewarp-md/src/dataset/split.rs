//! Train / validation / test assignment by peptide.
//!
//! Peptides, not frames, are split: a model is validated and tested on peptides it has never
//! seen, which is what Timewarp's transfer claim is about. The assignment is a pure function
//! of the peptide names, the fractions and the seed: every name gets a keyed hash
//! `h = splitmix64(seed ⊕ fnv1a(name))`, and peptides are taken in increasing `h`. Because the
//! hash of a name does not depend on the other names, the relative order of two peptides never
//! changes when peptides are added, and the assignment does not depend on the order in which
//! the peptides were listed.
//!
//! Counts for n peptides: n_val = round(f_val·n), n_test = round(f_test·n), each at least one
//! when n ≥ 3 and its fraction is non-zero, and at least one training peptide when f_train > 0;
//! n_train = n − n_val − n_test.
//!
//! Peptides that already have a split (from an existing manifest) keep it. The others fill the
//! split with the largest remaining deficit (target count minus peptides already in it; ties:
//! val, test, train), one at a time, in hash order.

use crate::MdError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// Which part of a data set a peptide belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SplitName {
    Train,
    Val,
    Test,
}

impl SplitName {
    pub const ALL: [SplitName; 3] = [SplitName::Train, SplitName::Val, SplitName::Test];

    pub fn as_str(self) -> &'static str {
        match self {
            SplitName::Train => "train",
            SplitName::Val => "val",
            SplitName::Test => "test",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for SplitName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Fractions of the peptides in the training, validation and test sets (sum 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitFractions {
    pub train: f64,
    pub val: f64,
    pub test: f64,
}

impl Default for SplitFractions {
    /// 80 % training, 10 % validation, 10 % test peptides.
    fn default() -> Self {
        SplitFractions {
            train: 0.8,
            val: 0.1,
            test: 0.1,
        }
    }
}

impl SplitFractions {
    /// Each fraction in [0, 1], sum 1 (within 1e-6).
    pub fn validate(&self) -> Result<(), MdError> {
        for (name, f) in [
            ("train", self.train),
            ("val", self.val),
            ("test", self.test),
        ] {
            if !(0.0..=1.0).contains(&f) {
                return Err(MdError::Config(format!(
                    "split fraction {name} = {f} is not in [0, 1]"
                )));
            }
        }
        let sum = self.train + self.val + self.test;
        if (sum - 1.0).abs() > 1e-6 {
            return Err(MdError::Config(format!(
                "split fractions {self} sum to {sum}, not 1"
            )));
        }
        Ok(())
    }

    /// Peptide counts (train, val, test) for `n` peptides; see the module documentation.
    pub fn counts(&self, n: usize) -> [usize; 3] {
        if n == 0 {
            return [0; 3];
        }
        let mut val = (self.val * n as f64).round() as usize;
        let mut test = (self.test * n as f64).round() as usize;
        if n >= 3 {
            if self.val > 0.0 {
                val = val.max(1);
            }
            if self.test > 0.0 {
                test = test.max(1);
            }
        }
        let min_train = usize::from(self.train > 0.0);
        while val + test + min_train > n {
            if test >= val && test > 0 {
                test -= 1;
            } else {
                val -= 1;
            }
        }
        [n - val - test, val, test]
    }
}

impl fmt::Display for SplitFractions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},{},{}", self.train, self.val, self.test)
    }
}

impl FromStr for SplitFractions {
    type Err = MdError;

    /// `TRAIN,VAL,TEST`, e.g. `0.8,0.1,0.1`.
    fn from_str(s: &str) -> Result<Self, MdError> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        let bad = || {
            MdError::Config(format!(
                "split '{s}' must be three fractions TRAIN,VAL,TEST, e.g. 0.8,0.1,0.1"
            ))
        };
        if parts.len() != 3 {
            return Err(bad());
        }
        let f: Vec<f64> = parts
            .iter()
            .map(|p| p.parse::<f64>().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        let fractions = SplitFractions {
            train: f[0],
            val: f[1],
            test: f[2],
        };
        fractions.validate()?;
        Ok(fractions)
    }
}

/// FNV-1a, 64 bit: a stable hash of a name (std's hashers may change between Rust versions).
pub fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// SplitMix64 finaliser: a bijective mixing of 64 bits.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Salt of the split order, so that it is independent of the per-peptide MD seeds.
const SPLIT_SALT: u64 = 0x7370_6c69_7400_0001;

/// The position key of `name` in the split order.
fn split_key(seed: u64, name: &str) -> u64 {
    splitmix64(seed ^ SPLIT_SALT ^ fnv1a(name))
}

/// Splits of all `names` (distinct): those in `existing` keep theirs, the others are assigned
/// as described in the module documentation. Returned in the order of `names`.
pub fn assign_splits(
    names: &[&str],
    fractions: &SplitFractions,
    seed: u64,
    existing: &HashMap<String, SplitName>,
) -> Vec<SplitName> {
    let target = fractions.counts(names.len());
    let mut have = [0usize; 3];
    for name in names {
        if let Some(s) = existing.get(*name) {
            have[s.index()] += 1;
        }
    }
    let mut fresh: Vec<(u64, usize)> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| !existing.contains_key(**n))
        .map(|(i, n)| (split_key(seed, n), i))
        .collect();
    fresh.sort_unstable();
    let mut out: Vec<Option<SplitName>> = names.iter().map(|n| existing.get(*n).copied()).collect();
    for (_, i) in fresh {
        let deficit = |s: SplitName| target[s.index()] as i64 - have[s.index()] as i64;
        // Largest deficit first; ties go to val, then test, then train (max_by_key keeps the
        // last maximum, hence the reversed order).
        let pick = [SplitName::Train, SplitName::Test, SplitName::Val]
            .into_iter()
            .max_by_key(|&s| deficit(s))
            .expect("three splits");
        have[pick.index()] += 1;
        out[i] = Some(pick);
    }
    out.into_iter()
        .map(|s| s.expect("every peptide assigned"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("P{i}")).collect()
    }

    fn refs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }

    fn count(s: &[SplitName], which: SplitName) -> usize {
        s.iter().filter(|&&x| x == which).count()
    }

    #[test]
    fn counts_follow_fractions_with_a_minimum_of_one() {
        let f = SplitFractions::default();
        assert_eq!(f.counts(0), [0, 0, 0]);
        assert_eq!(f.counts(1), [1, 0, 0]);
        assert_eq!(f.counts(2), [2, 0, 0]);
        assert_eq!(f.counts(3), [1, 1, 1]);
        assert_eq!(f.counts(10), [8, 1, 1]);
        assert_eq!(f.counts(400), [320, 40, 40]);
        let no_test = SplitFractions {
            train: 0.9,
            val: 0.1,
            test: 0.0,
        };
        assert_eq!(no_test.counts(5), [4, 1, 0]);
        let all_eval = SplitFractions {
            train: 0.0,
            val: 0.5,
            test: 0.5,
        };
        assert_eq!(all_eval.counts(4), [0, 2, 2]);
        for n in 3..60 {
            let c = f.counts(n);
            assert_eq!(c.iter().sum::<usize>(), n);
            assert!(c.iter().all(|&k| k >= 1), "n = {n}: {c:?}");
        }
    }

    #[test]
    fn assignment_is_deterministic_order_free_and_has_the_fractions() {
        let f = SplitFractions::default();
        let all = names(50);
        let a = assign_splits(&refs(&all), &f, 7, &HashMap::new());
        assert_eq!(a, assign_splits(&refs(&all), &f, 7, &HashMap::new()));
        assert_eq!(
            [
                count(&a, SplitName::Train),
                count(&a, SplitName::Val),
                count(&a, SplitName::Test)
            ],
            [40, 5, 5]
        );
        // Listing order does not matter.
        let mut reversed = all.clone();
        reversed.reverse();
        let b = assign_splits(&refs(&reversed), &f, 7, &HashMap::new());
        for (i, name) in reversed.iter().enumerate() {
            let j = all.iter().position(|n| n == name).unwrap();
            assert_eq!(b[i], a[j]);
        }
        // Another seed gives another assignment.
        assert_ne!(a, assign_splits(&refs(&all), &f, 8, &HashMap::new()));
    }

    #[test]
    fn existing_assignments_are_kept_and_new_peptides_fill_the_deficit() {
        let f = SplitFractions::default();
        let first = names(10);
        let a = assign_splits(&refs(&first), &f, 1, &HashMap::new());
        let existing: HashMap<String, SplitName> =
            first.iter().cloned().zip(a.iter().copied()).collect();
        let more = names(20);
        let b = assign_splits(&refs(&more), &f, 1, &existing);
        assert_eq!(&b[..10], &a[..]);
        assert_eq!(
            [
                count(&b, SplitName::Train),
                count(&b, SplitName::Val),
                count(&b, SplitName::Test)
            ],
            [16, 2, 2]
        );
        // An unbalanced history: three val peptides (target 1); the new ones fill train first.
        let skewed: HashMap<String, SplitName> =
            names(3).into_iter().map(|n| (n, SplitName::Val)).collect();
        let c = assign_splits(&refs(&names(10)), &f, 1, &skewed);
        assert!(c[..3].iter().all(|&s| s == SplitName::Val));
        assert_eq!(count(&c[3..], SplitName::Val), 0);
        assert_eq!(count(&c[3..], SplitName::Train), 7);
    }

    #[test]
    fn fractions_parse_and_validate() {
        let f: SplitFractions = "0.7, 0.2,0.1".parse().unwrap();
        assert_eq!((f.train, f.val, f.test), (0.7, 0.2, 0.1));
        assert!("0.8,0.1".parse::<SplitFractions>().is_err());
        assert!("0.8,0.1,x".parse::<SplitFractions>().is_err());
        let e = "0.8,0.3,0.1".parse::<SplitFractions>().unwrap_err();
        assert!(e.to_string().contains("sum"), "{e}");
        assert!("1.2,-0.1,-0.1".parse::<SplitFractions>().is_err());
    }
}
