//! A lag-τ transition kernel on the torus of one or two torsions (φ/ψ of a residue, or a rotor),
//! fitted from MD: T(a → b) over cells of a regular grid, uniform within the target cell.
//!
//! Counts C[a][b] of MD pairs (cell at t, cell at t + τ) are symmetrised, C + Cᵀ, so that the
//! kernel is in detailed balance with the empirical cell populations (∝ row sums); rows are
//! mixed with the uniform distribution, T(a → b) = (1 − ε) C[a][b]/Σ_c C[a][c] + ε/M (M cells;
//! an empty row is uniform), which keeps every cell reachable: the chain can enter states the
//! MD never visited. The density of the proposed torsions is T(a → b)/|cell| with
//! |cell| = (2π/bins)^dims, exact on the circle (no wrapping of a density on ℝ).
//!
//! An optional **independence component** ([`MarginalMix`]) mixes every row with a fixed
//! distribution over cells, T′(a → b) = (1 − w) T(a → b) + w p(b), with p the φ/ψ marginal of
//! more data than the row's own (for a pooled kernel: every training residue). A lag-τ row rarely
//! points from one basin to another when the MD behind it was short or never left its basin; p
//! proposes the other basins directly, whatever the current cell. The MH ratio uses T′ in both
//! directions, so the chain stays exact for any w ∈ [0, 1).

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
    /// The independence component mixed into every row, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marginal: Option<MarginalMix>,
}

/// An independence component of a transition histogram: with probability `weight` the target
/// cell is drawn from `probabilities` whatever the current cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "MarginalMixFile")]
pub struct MarginalMix {
    /// Its weight w ∈ [0, 1).
    pub weight: f64,
    /// Sorted (cell b, p(b)) with p(b) > 0, Σ p(b) = 1 (normalised once, when made or read, so
    /// that no proposal sums it again).
    pub probabilities: Vec<(u32, f64)>,
}

/// A [`MarginalMix`] as a file holds it: `probabilities` as written, or the unnormalised
/// `counts` of kernels written before the normalisation, normalised on reading.
#[derive(Deserialize)]
struct MarginalMixFile {
    weight: f64,
    #[serde(default)]
    probabilities: Option<Vec<(u32, f64)>>,
    #[serde(default)]
    counts: Option<Vec<(u32, f64)>>,
}

impl From<MarginalMixFile> for MarginalMix {
    fn from(f: MarginalMixFile) -> Self {
        match (f.probabilities, f.counts) {
            (Some(probabilities), _) => MarginalMix {
                weight: f.weight,
                probabilities,
            },
            (None, counts) => MarginalMix::normalised(f.weight, counts.unwrap_or_default()),
        }
    }
}

impl MarginalMix {
    /// The component with cell weights `cells` divided by their sum (left as they are when the
    /// sum is not positive, for [`TransitionHistogram::validate`] to refuse).
    fn normalised(weight: f64, mut cells: Vec<(u32, f64)>) -> Self {
        let total: f64 = cells.iter().map(|&(_, c)| c).sum();
        if total > 0.0 && total.is_finite() {
            cells.iter_mut().for_each(|(_, c)| *c /= total);
        }
        MarginalMix {
            weight,
            probabilities: cells,
        }
    }

    /// p(b).
    fn probability(&self, b: usize) -> f64 {
        match self
            .probabilities
            .binary_search_by_key(&(b as u32), |&(k, _)| k)
        {
            Ok(i) => self.probabilities[i].1,
            Err(_) => 0.0,
        }
    }
}

/// The cell whose cumulative count first exceeds `v` ∈ [0, 1) of the total `total` of `cells`.
fn pick(cells: &[(u32, f64)], total: f64, v: f64) -> usize {
    let target = v * total;
    let mut acc = 0.0;
    for &(k, c) in cells {
        acc += c;
        if target < acc {
            return k as usize;
        }
    }
    cells.last().map_or(0, |&(k, _)| k as usize)
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
            marginal: None,
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

    /// The histogram with the independence component of weight `weight` and cell counts
    /// `counts` (any non-negative weights per cell; zeros are dropped).
    pub fn with_marginal(mut self, weight: f64, counts: &[f64]) -> Result<Self, String> {
        if !(0.0..1.0).contains(&weight) {
            return Err(format!(
                "the marginal's weight must lie in [0, 1), got {weight}"
            ));
        }
        if counts.len() != self.n_cells() {
            return Err(format!(
                "the marginal has {} cells, the histogram {}",
                counts.len(),
                self.n_cells()
            ));
        }
        if counts.iter().any(|c| !(c.is_finite() && *c >= 0.0)) || counts.iter().sum::<f64>() <= 0.0
        {
            return Err(
                "the marginal's counts must be finite, non-negative and not all zero".into(),
            );
        }
        self.marginal = (weight > 0.0).then(|| {
            MarginalMix::normalised(
                weight,
                (0..counts.len())
                    .filter(|&b| counts[b] > 0.0)
                    .map(|b| (b as u32, counts[b]))
                    .collect(),
            )
        });
        Ok(self)
    }

    /// Row sums of the counts: the empirical cell populations (twice the pair count per cell),
    /// the histogram's own marginal.
    pub fn cell_counts(&self) -> Vec<f64> {
        (0..self.n_cells()).map(|a| self.row_sum(a)).collect()
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

    /// T(a → b) of the row alone, without the independence component.
    fn row_transition(&self, a: usize, b: usize) -> f64 {
        let m = self.n_cells() as f64;
        let total = self.row_sum(a);
        if total <= 0.0 {
            return 1.0 / m;
        }
        let c = match self.rows[a].binary_search_by_key(&(b as u32), |&(k, _)| k) {
            Ok(i) => self.rows[a][i].1,
            Err(_) => 0.0,
        };
        (1.0 - self.uniform_mix) * c / total + self.uniform_mix / m
    }

    /// log T′(a → b), the independence component included.
    pub fn log_transition(&self, a: usize, b: usize) -> f64 {
        let t = self.row_transition(a, b);
        match &self.marginal {
            Some(mm) => ((1.0 - mm.weight) * t + mm.weight * mm.probability(b)).ln(),
            None => t.ln(),
        }
    }

    /// Whether the arrays are consistent (a hand-edited file fails here).
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=2).contains(&self.dims) || self.rows.len() != self.bins.pow(self.dims as u32) {
            return Err(format!(
                "a {}-dimensional histogram with {} bins has {} rows",
                self.dims,
                self.bins,
                self.rows.len()
            ));
        }
        let m = self.n_cells() as u32;
        let cells_ok = |cells: &[(u32, f64)]| {
            cells.windows(2).all(|w| w[0].0 < w[1].0)
                && cells
                    .iter()
                    .all(|&(k, c)| k < m && c.is_finite() && c >= 0.0)
        };
        if !self.rows.iter().all(|r| cells_ok(r)) {
            return Err("a row has unsorted, out-of-range or negative counts".into());
        }
        if let Some(mm) = &self.marginal {
            let total: f64 = mm.probabilities.iter().map(|&(_, p)| p).sum();
            if !(0.0..1.0).contains(&mm.weight)
                || !cells_ok(&mm.probabilities)
                || (total - 1.0).abs() > 1e-9
            {
                return Err("the marginal's weight or probabilities are invalid".into());
            }
        }
        Ok(())
    }

    /// log-density of proposing the point `to` from the point `from` (per unit volume of the
    /// torus): log T(cell(from) → cell(to)) − log |cell|.
    pub fn log_density(&self, from: &[f64], to: &[f64]) -> f64 {
        self.log_transition(self.cell(from), self.cell(to)) - self.dims as f64 * self.width().ln()
    }

    /// Draws a point from `from` with 1 + dims uniforms: `u[0]` picks the cell (the independence
    /// component when u[0] < w; then, rescaled, the uniform component when below ε, else the
    /// row's cumulative counts), `u[1..]` the position in it.
    pub fn sample(&self, from: &[f64], u: &[f64], to: &mut [f64]) {
        let cell = self.sample_cell(self.cell(from), u[0]);
        self.place(cell, &u[1..], to);
    }

    /// The target cell from cell `a` given one uniform `v`.
    fn sample_cell(&self, a: usize, v: f64) -> usize {
        let mut v = v;
        if let Some(mm) = &self.marginal {
            if v < mm.weight {
                return pick(&mm.probabilities, 1.0, v / mm.weight);
            }
            v = (v - mm.weight) / (1.0 - mm.weight);
        }
        let m = self.n_cells();
        let total = self.row_sum(a);
        let eps = self.uniform_mix;
        if total <= 0.0 || v < eps {
            let v = if total <= 0.0 { v } else { v / eps };
            ((v * m as f64) as usize).min(m - 1)
        } else {
            pick(&self.rows[a], total, (v - eps) / (1.0 - eps))
        }
    }

    /// A point of `cell`, `u` (one uniform per dimension) its position inside.
    fn place(&self, cell: usize, u: &[f64], to: &mut [f64]) {
        // Row-major cell index → per-dimension bins, last dimension fastest.
        let w = self.width();
        let mut rest = cell;
        for d in (0..self.dims).rev() {
            let b = rest % self.bins;
            rest /= self.bins;
            to[d] = -PI + (b as f64 + u[d]) * w;
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

    /// The toy with an independence component on three cells, one the rows never reach.
    fn toy_with_marginal() -> TransitionHistogram {
        let h = toy();
        let mut counts = vec![0.0; h.n_cells()];
        counts[h.cell(&[-2.0, 2.5])] = 3.0;
        counts[h.cell(&[-1.2, -0.6])] = 1.0;
        counts[h.cell(&[1.0, 0.5])] = 2.0;
        h.with_marginal(0.3, &counts).unwrap()
    }

    #[test]
    fn rows_are_normalised_and_symmetric_counts_give_detailed_balance() {
        for h in [toy(), toy_with_marginal()] {
            h.validate().unwrap();
            for a in 0..h.n_cells() {
                let s: f64 = (0..h.n_cells()).map(|b| h.log_transition(a, b).exp()).sum();
                assert!((s - 1.0).abs() < 1e-12, "row {a}: {s}");
            }
        }
        let h = toy();
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
    fn the_marginal_component_is_the_stated_mixture() {
        let (plain, mixed) = (toy(), toy_with_marginal());
        let (a, target) = (plain.cell(&[-2.0, 2.5]), plain.cell(&[1.0, 0.5]));
        // A cell the rows never reach: only ε/M from the row, plus w·p(b) from the marginal.
        let t = plain.log_transition(a, target).exp();
        let expected = 0.7 * t + 0.3 * 2.0 / 6.0;
        assert!((mixed.log_transition(a, target).exp() - expected).abs() < 1e-15);
        // Weight 0 leaves the histogram unchanged; bad marginals are refused.
        let zero = toy()
            .with_marginal(0.0, &vec![1.0; plain.n_cells()])
            .unwrap();
        assert_eq!(zero, plain);
        assert!(toy()
            .with_marginal(1.0, &vec![1.0; plain.n_cells()])
            .is_err());
        assert!(toy().with_marginal(0.2, &[1.0; 3]).is_err());
        assert!(toy()
            .with_marginal(0.2, &vec![0.0; plain.n_cells()])
            .is_err());
        // The histogram's own marginal: row sums, twice the pairs per cell.
        let own = plain.cell_counts();
        assert_eq!(own.iter().sum::<f64>(), 6.0);
        assert_eq!(own[a], 3.0);
        // A serialised kernel keeps the component; one written with unnormalised `counts` (the
        // layout before) reads back normalised.
        let text = serde_json::to_string(&mixed).unwrap();
        let back: TransitionHistogram = serde_json::from_str(&text).unwrap();
        assert_eq!(back, mixed);
        let m = mixed.marginal.as_ref().unwrap();
        let old = text.replace("probabilities", "counts").replace(
            &serde_json::to_string(&m.probabilities).unwrap(),
            &serde_json::to_string(
                &m.probabilities
                    .iter()
                    .map(|&(b, p)| (b, 6.0 * p))
                    .collect::<Vec<_>>(),
            )
            .unwrap(),
        );
        assert!(old.contains("counts") && !old.contains("probabilities"));
        let back: TransitionHistogram = serde_json::from_str(&old).unwrap();
        let mb = back.marginal.as_ref().unwrap();
        assert!(back.validate().is_ok());
        for (x, y) in mb.probabilities.iter().zip(&m.probabilities) {
            assert!(x.0 == y.0 && (x.1 - y.1).abs() < 1e-15);
        }
        // Probabilities that do not sum to one are refused.
        let mut bad = mixed.clone();
        bad.marginal.as_mut().unwrap().probabilities[0].1 += 0.1;
        assert!(bad.validate().unwrap_err().contains("marginal"));
    }

    #[test]
    fn sampling_follows_the_row_and_stays_in_the_cell() {
        for h in [toy(), toy_with_marginal()] {
            sampling_follows_the_row(&h);
        }
    }

    fn sampling_follows_the_row(h: &TransitionHistogram) {
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
        let drawn: f64 = counts.keys().map(|&b| h.log_transition(a, b).exp()).sum();
        assert!(drawn > 0.97, "cells never drawn carry {}", 1.0 - drawn);
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
