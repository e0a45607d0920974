//! Which production steps are saved as frames.
//!
//! * `Regular`: every `interval` steps, p = 0, I, 2I, …
//! * `Log`: the official Timewarp reporter's `LogarithmicSpacing(reportInterval, spaceFactor=10)`
//!   (microsoft/timewarp `simulation/npzreporter.py`): within every block of `interval` steps,
//!   frames at offsets 0, 1, f, f², … < I, i.e. p = kI + {0, 1, 10, 100, …}. For I = 1000 the
//!   saved steps are 0, 1, 10, 100, 1000, 1001, 1010, 1100, 2000, … — the layout of the official
//!   data sets (e.g. `implicit-2olx-traj-arrays.npz`: burn-in 20000, I = 1000). The pairs
//!   (kI, kI + τ) then give training pairs at lags τ = 1, 10, 100, … from one trajectory.
//!
//! p counts production steps; p = 0 is the state right after burn-in and velocity
//! re-initialisation (the official script re-draws velocities after burn-in and its first frame
//! is the block boundary following it).

use serde::{Deserialize, Serialize};

/// Frame spacing policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SpacingKind {
    #[default]
    Regular,
    Log,
}

impl std::str::FromStr for SpacingKind {
    type Err = String;

    /// `regular` or `log`, as in `spacing = "log"` of a TOML `[md]` section.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "regular" => Ok(SpacingKind::Regular),
            "log" => Ok(SpacingKind::Log),
            other => Err(format!("spacing must be 'regular' or 'log', got '{other}'")),
        }
    }
}

/// A spacing policy with its interval (steps) and, for `Log`, the factor (10 in the official code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spacing {
    pub kind: SpacingKind,
    pub interval: u64,
    pub factor: u64,
}

impl Spacing {
    pub fn regular(interval: u64) -> Self {
        Self {
            kind: SpacingKind::Regular,
            interval: interval.max(1),
            factor: 10,
        }
    }

    pub fn log(interval: u64) -> Self {
        Self {
            kind: SpacingKind::Log,
            interval: interval.max(1),
            factor: 10,
        }
    }

    /// Whether production step `p` is saved.
    pub fn is_frame(&self, p: u64) -> bool {
        let offset = p % self.interval;
        match self.kind {
            SpacingKind::Regular => offset == 0,
            SpacingKind::Log => {
                if offset == 0 {
                    return true;
                }
                // offset must be a power of `factor` (1, f, f², …)
                let mut power = 1u64;
                while power < offset {
                    match power.checked_mul(self.factor.max(2)) {
                        Some(next) => power = next,
                        None => return false,
                    }
                }
                power == offset
            }
        }
    }

    /// Number of frames among production steps 0..=steps.
    pub fn count_frames(&self, steps: u64) -> u64 {
        let blocks = steps / self.interval; // complete blocks [kI, (k+1)I)
        let per_block = self.offsets_in_block().count() as u64;
        let rest = steps % self.interval; // the last, partial block kI..=kI+rest
        blocks * per_block + self.offsets_in_block().filter(|&o| o <= rest).count() as u64
    }

    /// Offsets within one block that are saved, ascending.
    fn offsets_in_block(&self) -> impl Iterator<Item = u64> + '_ {
        let (interval, factor, kind) = (self.interval, self.factor.max(2), self.kind);
        let mut next = Some(0u64);
        std::iter::from_fn(move || {
            let cur = next?;
            next = match kind {
                SpacingKind::Regular => None,
                SpacingKind::Log if cur == 0 => Some(1),
                SpacingKind::Log => cur.checked_mul(factor),
            }
            .filter(|&o| o < interval);
            Some(cur)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_spacing_matches_the_official_data_layout() {
        // implicit-2olx-traj-arrays.npz: steps 20000, 20001, 20010, 20100, 21000, ... with burn-in
        // 20000
        let s = Spacing::log(1000);
        let frames: Vec<u64> = (0..=3000).filter(|&p| s.is_frame(p)).collect();
        assert_eq!(
            frames,
            [0, 1, 10, 100, 1000, 1001, 1010, 1100, 2000, 2001, 2010, 2100, 3000]
        );
        assert_eq!(s.count_frames(3000), 13);
        assert_eq!(s.count_frames(2050), 11);
    }

    #[test]
    fn log_spacing_with_non_decimal_interval() {
        let s = Spacing::log(250);
        let frames: Vec<u64> = (0..=500).filter(|&p| s.is_frame(p)).collect();
        assert_eq!(frames, [0, 1, 10, 100, 250, 251, 260, 350, 500]);
        for steps in [0, 1, 9, 10, 99, 100, 249, 250, 251, 999, 1234] {
            assert_eq!(
                s.count_frames(steps),
                (0..=steps).filter(|&p| s.is_frame(p)).count() as u64,
                "{steps}"
            );
        }
    }

    #[test]
    fn regular_spacing() {
        let s = Spacing::regular(100);
        assert!(s.is_frame(0) && s.is_frame(300) && !s.is_frame(301));
        assert_eq!(s.count_frames(1000), 11);
        assert_eq!(s.count_frames(1099), 11);
        let every = Spacing::regular(1);
        assert_eq!(every.count_frames(5), 6);
        // interval 1 with log spacing is also every step
        assert_eq!(Spacing::log(1).count_frames(5), 6);
    }
}
