//! A lag-τ transition kernel on the torus of one or two torsions (φ/ψ of a residue, or a rotor),
//! fitted from MD: T(a → b) over cells of a regular grid, uniform within the target cell.
//!
//! Counts C[a][b] of MD pairs (cell at t, cell at t + τ) are symmetrised, C + Cᵀ, so that the
//! kernel is in detailed balance with the empirical cell populations (∝ row sums); rows are
//! mixed with the uniform distribution, T(a → b) = (1 − ε) C[a][b]/Σ_c C[a][c] + ε/M (M cells;
//! an empty row is uniform), which keeps every cell reachable: the chain can enter states the
//! MD never visited. The density of the proposed torsions is T(a → b)/|cell| with
//! |cell| = (2π/bins)^dims, exact on the circle (no wrapping of a density on ℝ).

use std::f64::consts::{PI, TAU};

use serde::{Deserialize, Serialize};

/// Symmetrised transition counts on a `bins^dims` grid over (−π, π]^dims, stored by row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransitionHistogram {
    /// 1 (a rotor) or 2 (φ, ψ).
    pub dims: usize,
    /// Cells per dimension.
    pub bins: usize,
    /// Weight of the uniform component ε ∈ [0, 1].
    pub uniform_mix: f64,
    /// Non-zero counts per row: `rows[a]` = sorted (b, C[a][b]).
    pub rows: Vec<Vec<(u32, f64)>>,
}

impl TransitionHistogram {
    /// Counts of the pairs `(from, to)` (angles in radians, `dims` per point), symmetrised.
    pub fn fit(
        dims: usize,
        bins: usize,
        uniform_mix: f64,
        pairs: impl Iterator<Item = (Vec<f64>, Vec<f64>)>,
    ) -> Self {
        let mut h = TransitionHistogram {
            dims,
            bins,
            uniform_mix,
            rows: vec![Vec::new(); bins.pow(dims as u32)],
        };
        let mut dense: std::collections::BTreeMap<(u32, u32), f64> = Default::default();
        for (a, b) in pairs {
            let (ca, cb) = (h.cell(&a) as u32, h.cell(&b) as u32);
            *dense.entry((ca, cb)).or_default() += 1.0;
            *dense.entry((cb, ca)).or_default() += 1.0;
        }
        for ((a, b), c) in dense {
            h.rows[a as usize].push((b, c));
        }
        h
    }

    /// Number of cells M = bins^dims.
    pub fn n_cells(&self) -> usize {
        self.rows.len()
    }

    fn width(&self) -> f64 {
        TAU / self.bins as f64
    }

    /// Index of one angle's bin: (−π, π] split into `bins` equal bins.
    fn bin(&self, angle: f64) -> usize {
        let x = ((angle + PI) / self.width()).floor();
        (x.max(0.0) as usize).min(self.bins - 1)
    }

    /// The cell of a point (row-major over the dimensions).
    pub fn cell(&self, point: &[f64]) -> usize {
        point[..self.dims]
            .iter()
            .fold(0, |c, &a| c * self.bins + self.bin(a))
    }

    /// Total count of row a.
    fn row_sum(&self, a: usize) -> f64 {
        self.rows[a].iter().map(|&(_, c)| c).sum()
    }

    /// log T(a → b).
    pub fn log_transition(&self, a: usize, b: usize) -> f64 {
        let m = self.n_cells() as f64;
        let total = self.row_sum(a);
        if total <= 0.0 {
            return -m.ln();
        }
        let c = match self.rows[a].binary_search_by_key(&(b as u32), |&(k, _)| k) {
            Ok(i) => self.rows[a][i].1,
            Err(_) => 0.0,
        };
        ((1.0 - self.uniform_mix) * c / total + self.uniform_mix / m).ln()
    }

    /// log-density of proposing the point `to` from the point `from` (per unit volume of the
    /// torus): log T(cell(from) → cell(to)) − log |cell|.
    pub fn log_density(&self, from: &[f64], to: &[f64]) -> f64 {
        self.log_transition(self.cell(from), self.cell(to)) - self.dims as f64 * self.width().ln()
    }

    /// Draws a point from `from` with 1 + dims uniforms: `u[0]` picks the cell (the uniform
    /// component when u[0] < ε, else the row's cumulative counts), `u[1..]` the position in it.
    pub fn sample(&self, from: &[f64], u: &[f64], to: &mut [f64]) {
        let m = self.n_cells();
        let a = self.cell(from);
        let total = self.row_sum(a);
        let eps = self.uniform_mix;
        let cell = if total <= 0.0 || u[0] < eps {
            let v = if total <= 0.0 { u[0] } else { u[0] / eps };
            ((v * m as f64) as usize).min(m - 1)
        } else {
            let target = (u[0] - eps) / (1.0 - eps) * total;
            let mut acc = 0.0;
            let mut chosen = self.rows[a].last().map_or(0, |&(k, _)| k as usize);
            for &(k, c) in &self.rows[a] {
                acc += c;
                if target < acc {
                    chosen = k as usize;
                    break;
                }
            }
            chosen
        };
        // Row-major cell index → per-dimension bins, last dimension fastest.
        let w = self.width();
        let mut rest = cell;
        for d in (0..self.dims).rev() {
            let b = rest % self.bins;
            rest /= self.bins;
            to[d] = -PI + (b as f64 + u[1 + d]) * w;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> TransitionHistogram {
        let pairs = [
            (vec![-2.0, 2.5], vec![-1.2, -0.6]),
            (vec![-2.0, 2.5], vec![-2.0, 2.6]),
            (vec![-1.2, -0.6], vec![-1.2, -0.5]),
        ];
        TransitionHistogram::fit(2, 36, 0.05, pairs.into_iter())
    }

    #[test]
    fn rows_are_normalised_and_symmetric_counts_give_detailed_balance() {
        let h = toy();
        for a in 0..h.n_cells() {
            let s: f64 = (0..h.n_cells()).map(|b| h.log_transition(a, b).exp()).sum();
            assert!((s - 1.0).abs() < 1e-12, "row {a}: {s}");
        }
        // π_a T(a→b) = π_b T(b→a) for the count part, with π ∝ row sums.
        let (a, b) = (h.cell(&[-2.0, 2.5]), h.cell(&[-1.2, -0.6]));
        let pa = h.row_sum(a);
        let pb = h.row_sum(b);
        let ta = (h.log_transition(a, b).exp() - h.uniform_mix / h.n_cells() as f64)
            / (1.0 - h.uniform_mix);
        let tb = (h.log_transition(b, a).exp() - h.uniform_mix / h.n_cells() as f64)
            / (1.0 - h.uniform_mix);
        assert!((pa * ta - pb * tb).abs() < 1e-12);
    }

    #[test]
    fn sampling_follows_the_row_and_stays_in_the_cell() {
        let h = toy();
        let from = [-2.0, 2.5];
        let mut counts = std::collections::HashMap::new();
        let n = 20_000;
        let mut to = [0.0; 2];
        for i in 0..n {
            // A deterministic low-discrepancy sequence of uniforms.
            let u = [
                (i as f64 + 0.5) / n as f64,
                ((i * 7919) % n) as f64 / n as f64,
                ((i * 104_729) % n) as f64 / n as f64,
            ];
            h.sample(&from, &u, &mut to);
            assert!(to.iter().all(|t| *t >= -PI && *t <= PI));
            *counts.entry(h.cell(&to)).or_insert(0usize) += 1;
        }
        let a = h.cell(&from);
        for (&cell, &c) in &counts {
            let p = h.log_transition(a, cell).exp();
            assert!(
                (c as f64 / n as f64 - p).abs() < 2e-3 + 0.01 * p,
                "cell {cell}: {c} vs {p}"
            );
        }
    }

    #[test]
    fn one_dimensional_and_boundary_angles() {
        let h = TransitionHistogram::fit(1, 36, 0.0, [(vec![PI], vec![-PI + 1e-9])].into_iter());
        assert_eq!(h.cell(&[PI]), 35);
        assert_eq!(h.cell(&[-PI]), 0);
        assert!(h.log_density(&[PI], &[-3.0]).is_finite());
        // An empty row proposes uniformly.
        assert!((h.log_transition(5, 7) + (36f64).ln()).abs() < 1e-12);
    }
}
