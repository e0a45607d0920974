//! 1D and 2D histograms (periodic axes for angles) and free energies F = −ln p in units of kT.

use std::f64::consts::PI;

/// A binned axis over [lo, hi) with `n` equal bins. On a periodic axis values are wrapped into
/// [lo, hi) first (angles: period hi − lo); on a plain axis values outside are dropped.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub n: usize,
    pub periodic: bool,
}

impl Axis {
    /// A non-periodic axis.
    pub fn new(lo: f64, hi: f64, n: usize) -> Self {
        Axis {
            lo,
            hi,
            n,
            periodic: false,
        }
    }

    /// Angles in radians over [−π, π), `n` bins, periodic.
    pub fn angle(n: usize) -> Self {
        Axis {
            lo: -PI,
            hi: PI,
            n,
            periodic: true,
        }
    }

    /// Axis spanning the finite values of `data` (a degenerate range is widened by ±0.5).
    pub fn spanning(data: impl IntoIterator<Item = f64>, n: usize) -> Self {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in data.into_iter().filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if !lo.is_finite() {
            return Axis::new(0.0, 1.0, n);
        }
        if hi - lo < 1e-12 * hi.abs().max(1.0) {
            lo -= 0.5;
            hi += 0.5;
        }
        // Make the largest value fall inside the half-open last bin.
        let pad = (hi - lo) * 1e-9;
        Axis::new(lo, hi + pad, n)
    }

    pub fn width(&self) -> f64 {
        (self.hi - self.lo) / self.n as f64
    }

    /// Centre of bin `i`.
    pub fn centre(&self, i: usize) -> f64 {
        self.lo + (i as f64 + 0.5) * self.width()
    }

    /// Bin of value `v`, or `None` for NaN and (non-periodic) out-of-range values.
    pub fn bin(&self, v: f64) -> Option<usize> {
        if !v.is_finite() || self.n == 0 {
            return None;
        }
        let period = self.hi - self.lo;
        let x = if self.periodic {
            (v - self.lo).rem_euclid(period)
        } else {
            v - self.lo
        };
        if x < 0.0 || x >= period {
            return None;
        }
        Some(((x / period * self.n as f64) as usize).min(self.n - 1))
    }
}

/// Counts along one axis.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Histogram1D {
    pub axis: Axis,
    pub counts: Vec<f64>,
}

impl Histogram1D {
    pub fn new(axis: Axis) -> Self {
        Histogram1D {
            axis,
            counts: vec![0.0; axis.n],
        }
    }

    pub fn from_values(axis: Axis, values: impl IntoIterator<Item = f64>) -> Self {
        let mut h = Self::new(axis);
        values.into_iter().for_each(|v| h.add(v));
        h
    }

    pub fn add(&mut self, v: f64) {
        if let Some(i) = self.axis.bin(v) {
            self.counts[i] += 1.0;
        }
    }

    pub fn total(&self) -> f64 {
        self.counts.iter().sum()
    }

    /// Probability per bin, p_i = n_i / Σ n (all zero for an empty histogram).
    pub fn probabilities(&self) -> Vec<f64> {
        normalise(&self.counts)
    }

    /// Probability density per bin, p_i / Δx.
    pub fn density(&self) -> Vec<f64> {
        let w = self.axis.width();
        self.probabilities().into_iter().map(|p| p / w).collect()
    }

    /// Free energy per bin in kT, F_i = −ln p_i − min_j(−ln p_j), so the most populated bin is 0;
    /// empty bins are +∞.
    pub fn free_energy_kt(&self) -> Vec<f64> {
        free_energy_kt(&self.counts)
    }
}

/// Counts on a 2D grid, row-major with x the slow index: `counts[ix * y.n + iy]`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Histogram2D {
    pub x: Axis,
    pub y: Axis,
    pub counts: Vec<f64>,
}

impl Histogram2D {
    pub fn new(x: Axis, y: Axis) -> Self {
        Histogram2D {
            x,
            y,
            counts: vec![0.0; x.n * y.n],
        }
    }

    pub fn from_pairs(x: Axis, y: Axis, pairs: impl IntoIterator<Item = (f64, f64)>) -> Self {
        let mut h = Self::new(x, y);
        pairs.into_iter().for_each(|(a, b)| h.add(a, b));
        h
    }

    /// φ/ψ (radians) on `n × n` periodic bins over [−π, π)².
    pub fn ramachandran(phi: &[f64], psi: &[f64], n: usize) -> Self {
        Self::from_pairs(
            Axis::angle(n),
            Axis::angle(n),
            phi.iter().copied().zip(psi.iter().copied()),
        )
    }

    pub fn add(&mut self, a: f64, b: f64) {
        if let (Some(i), Some(j)) = (self.x.bin(a), self.y.bin(b)) {
            self.counts[i * self.y.n + j] += 1.0;
        }
    }

    pub fn get(&self, ix: usize, iy: usize) -> f64 {
        self.counts[ix * self.y.n + iy]
    }

    pub fn total(&self) -> f64 {
        self.counts.iter().sum()
    }

    pub fn probabilities(&self) -> Vec<f64> {
        normalise(&self.counts)
    }

    /// Free energy per cell in kT (minimum 0, empty cells +∞), same layout as `counts`.
    pub fn free_energy_kt(&self) -> Vec<f64> {
        free_energy_kt(&self.counts)
    }
}

/// p_i = c_i / Σ c; all zeros if the total is zero.
pub fn normalise(counts: &[f64]) -> Vec<f64> {
    let total: f64 = counts.iter().sum();
    if total <= 0.0 {
        return vec![0.0; counts.len()];
    }
    counts.iter().map(|c| c / total).collect()
}

/// F_i = −ln(c_i / max_j c_j) = −ln p_i + ln max p in kT: zero at the most populated bin,
/// +∞ where c_i = 0. (The bin width only shifts F by a constant, which this removes.)
pub fn free_energy_kt(counts: &[f64]) -> Vec<f64> {
    let max = counts.iter().cloned().fold(0.0, f64::max);
    counts
        .iter()
        .map(|&c| {
            if c > 0.0 {
                -(c / max).ln()
            } else {
                f64::INFINITY
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periodic_axis_wraps_angles() {
        let a = Axis::angle(36);
        assert_eq!(a.bin(-PI), Some(0));
        assert_eq!(a.bin(PI), Some(0)); // π ≡ −π
        assert_eq!(a.bin(PI - 1e-9), Some(35));
        assert_eq!(a.bin(3.0 * PI + 0.01), a.bin(PI + 0.01));
        assert_eq!(a.bin(0.0), Some(18));
        assert_eq!(a.bin(f64::NAN), None);
    }

    #[test]
    fn plain_axis_drops_out_of_range() {
        let a = Axis::new(0.0, 1.0, 4);
        assert_eq!(a.bin(-0.1), None);
        assert_eq!(a.bin(1.0), None);
        assert_eq!(a.bin(0.99), Some(3));
        assert_eq!(a.bin(0.25), Some(1));
        let s = Axis::spanning([2.0, 5.0, 3.0], 3);
        assert_eq!(s.bin(5.0), Some(2));
        assert_eq!(s.bin(2.0), Some(0));
    }

    #[test]
    fn free_energy_is_minus_log_probability_ratio() {
        let h = Histogram1D::from_values(Axis::new(0.0, 3.0, 3), [0.5, 0.5, 0.5, 0.5, 1.5, 1.5]);
        let f = h.free_energy_kt();
        assert_eq!(f[0], 0.0);
        assert!((f[1] - 2f64.ln()).abs() < 1e-12);
        assert!(f[2].is_infinite());
        let p = h.probabilities();
        assert!((p[0] - 2.0 / 3.0).abs() < 1e-12);
        let d = h.density();
        assert!((d.iter().sum::<f64>() * h.axis.width() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn ramachandran_layout_is_x_major() {
        let h = Histogram2D::ramachandran(&[-3.0, 3.0], &[3.0, -3.0], 4);
        assert_eq!(h.get(0, 3), 1.0);
        assert_eq!(h.get(3, 0), 1.0);
        assert_eq!(h.total(), 2.0);
    }
}
