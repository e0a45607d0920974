//! Did the samples find every metastable state that MD visits?
//!
//! Two criteria:
//!
//! 1. The official Timewarp rule (speed-up notebooks of the paper). With MD and sample
//!    projections on TIC0/TIC1 of the MD TICA model, both strided by 10 frames, and each
//!    coordinate scaled by r_j = max_t |y_j^MD(t)| (over the strided MD frames):
//!
//!    ```text
//!      D = max_{MD frame a} min_{sample b} ‖ (y_a − y_b) / r ‖₂ ,      missed ⇔ D ≥ 0.3
//!    ```
//!
//!    i.e. some MD configuration lies farther than 0.3 (in units of the MD range) from every
//!    sample. The paper sets the speed-up of such a peptide to zero.
//!
//! 2. Named states: the MD free-energy surface on a coarse grid (TIC0/TIC1, or φ/ψ) is cut
//!    into basins of attraction of its minima by steepest descent (a discrete watershed on
//!    the 3×3-smoothed histogram); basins holding at least `min_population` of MD are the
//!    metastable states, and a state is missed when no sample falls into it.

use crate::histogram::{Axis, Histogram2D};
use serde::{Deserialize, Serialize};

/// The official threshold on the normalised max–min distance.
pub const OFFICIAL_THRESHOLD: f64 = 0.3;
/// The official stride applied to both MD and sample frames before the distance test.
pub const OFFICIAL_STRIDE: usize = 10;

/// D of the official rule (see module docs) for 2D points, or `None` if either set is empty.
pub fn max_min_distance(md: &[[f64; 2]], samples: &[[f64; 2]], stride: usize) -> Option<f64> {
    use rayon::prelude::*;
    let stride = stride.max(1);
    let md: Vec<[f64; 2]> = md.iter().step_by(stride).copied().collect();
    let sm: Vec<[f64; 2]> = samples.iter().step_by(stride).copied().collect();
    if md.is_empty() || sm.is_empty() {
        return None;
    }
    let mut range = [0.0f64; 2];
    for p in &md {
        range[0] = range[0].max(p[0].abs());
        range[1] = range[1].max(p[1].abs());
    }
    let r = range.map(|v| if v > 0.0 { v } else { 1.0 });
    let d2 = md
        .par_iter()
        .map(|a| {
            sm.iter()
                .map(|b| ((a[0] - b[0]) / r[0]).powi(2) + ((a[1] - b[1]) / r[1]).powi(2))
                .fold(f64::INFINITY, f64::min)
        })
        .reduce(|| 0.0, f64::max);
    Some(d2.sqrt())
}

/// One metastable state of the MD surface and how often MD and the samples visit it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetastableState {
    /// Coordinates of the free-energy minimum (cell centre).
    pub minimum: [f64; 2],
    /// Free energy at the minimum relative to the global one, kT.
    pub free_energy_kt: f64,
    pub md_population: f64,
    pub samples_population: f64,
    pub missed: bool,
}

/// States of the MD histogram `md` and their populations in `samples` (same grid).
pub fn metastable_states(
    md: &Histogram2D,
    samples: &Histogram2D,
    min_population: f64,
) -> Vec<MetastableState> {
    let (nx, ny) = (md.x.n, md.y.n);
    let smooth = smoothed(md);
    let idx = |i: usize, j: usize| i * ny + j;
    // Steepest ascent of the smoothed density (= descent of F) to a local maximum; a strict
    // total order (count, then lower index) prevents cycles on plateaus.
    let better = |a: usize, b: usize| smooth[a] > smooth[b] || (smooth[a] == smooth[b] && a < b);
    let step = |c: usize| -> usize {
        let (i, j) = (c / ny, c % ny);
        let mut best = c;
        for di in -1i64..=1 {
            for dj in -1i64..=1 {
                if let (Some(a), Some(b)) = (
                    neighbour(i, di, nx, md.x.periodic),
                    neighbour(j, dj, ny, md.y.periodic),
                ) {
                    if better(idx(a, b), best) {
                        best = idx(a, b);
                    }
                }
            }
        }
        best
    };
    let mut basin_of = vec![usize::MAX; nx * ny];
    for c in 0..nx * ny {
        if md.counts[c] <= 0.0 {
            continue;
        }
        let mut cur = c;
        loop {
            let next = step(cur);
            if next == cur {
                break;
            }
            cur = next;
        }
        basin_of[c] = cur;
    }
    let md_total = md.total();
    let sm_total = samples.total();
    let mut maxima: Vec<usize> = basin_of
        .iter()
        .copied()
        .filter(|&b| b != usize::MAX)
        .collect();
    maxima.sort_unstable();
    maxima.dedup();
    let f_min = md
        .free_energy_kt()
        .into_iter()
        .fold(f64::INFINITY, f64::min);
    let f = md.free_energy_kt();
    let mut states: Vec<MetastableState> = maxima
        .into_iter()
        .map(|top| {
            let cells = (0..nx * ny).filter(|&c| basin_of[c] == top);
            let (mut n_md, mut n_sm) = (0.0, 0.0);
            for c in cells {
                n_md += md.counts[c];
                n_sm += samples.counts[c];
            }
            // The minimum of F inside the basin (the smoothed maximum's own cell may differ).
            let best = (0..nx * ny)
                .filter(|&c| basin_of[c] == top)
                .min_by(|&a, &b| f[a].total_cmp(&f[b]))
                .unwrap_or(top);
            MetastableState {
                minimum: [md.x.centre(best / ny), md.y.centre(best % ny)],
                free_energy_kt: f[best] - f_min,
                md_population: if md_total > 0.0 { n_md / md_total } else { 0.0 },
                samples_population: if sm_total > 0.0 { n_sm / sm_total } else { 0.0 },
                missed: n_sm == 0.0,
            }
        })
        .filter(|s| s.md_population >= min_population)
        .collect();
    states.sort_by(|a, b| b.md_population.total_cmp(&a.md_population));
    states
}

/// Grid for the TIC0/TIC1 states: `n × n` cells spanning the MD projections.
pub fn tic_grid(md: &[[f64; 2]], n: usize) -> (Axis, Axis) {
    (
        Axis::spanning(md.iter().map(|p| p[0]), n),
        Axis::spanning(md.iter().map(|p| p[1]), n),
    )
}

fn neighbour(i: usize, d: i64, n: usize, periodic: bool) -> Option<usize> {
    let j = i as i64 + d;
    if periodic {
        Some(j.rem_euclid(n as i64) as usize)
    } else {
        (j >= 0 && j < n as i64).then_some(j as usize)
    }
}

/// 3×3 box average of the counts (periodic where the axis is).
fn smoothed(h: &Histogram2D) -> Vec<f64> {
    let (nx, ny) = (h.x.n, h.y.n);
    let mut out = vec![0.0; nx * ny];
    for i in 0..nx {
        for j in 0..ny {
            let mut s = 0.0;
            for di in -1i64..=1 {
                for dj in -1i64..=1 {
                    if let (Some(a), Some(b)) = (
                        neighbour(i, di, nx, h.x.periodic),
                        neighbour(j, dj, ny, h.y.periodic),
                    ) {
                        s += h.get(a, b);
                    }
                }
            }
            out[i * ny + j] = s;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_distance_rule() {
        let md: Vec<[f64; 2]> = vec![[-1.0, 0.0], [1.0, 0.0], [0.0, 2.0]];
        // Samples cover everything exactly.
        assert_eq!(max_min_distance(&md, &md, 1), Some(0.0));
        // Samples only near (−1, 0): the MD point (1, 0) is 2 / r_x = 2 away, (0, 2) is
        // √(1 + 1) away (r = (1, 2)).
        let d = max_min_distance(&md, &[[-1.0, 0.0]], 1).unwrap();
        assert!((d - 2.0).abs() < 1e-12);
        assert!(d >= OFFICIAL_THRESHOLD);
        assert_eq!(max_min_distance(&md, &[], 1), None);
        // Both sets keep every 10th frame starting with the first: MD frames 0, 10, 20 and
        // samples 0, 10, 20 of a shifted copy (frame k at x = k + 5 for k ≠ 0 mod 10).
        let md: Vec<[f64; 2]> = (0..25).map(|i| [i as f64, 0.0]).collect();
        let sm: Vec<[f64; 2]> = (0..25)
            .map(|i| [if i % 10 == 0 { i as f64 } else { 99.0 }, 0.0])
            .collect();
        assert_eq!(max_min_distance(&md, &sm, 10), Some(0.0));
        assert!(max_min_distance(&md, &sm, 1).unwrap() > 0.0);
    }

    #[test]
    fn two_wells_one_missed() {
        let ax = Axis::new(-2.0, 2.0, 20);
        let mut md = Histogram2D::new(ax, ax);
        let mut sm = Histogram2D::new(ax, ax);
        // Two Gaussian-ish blobs at (−1, 0) (70 %) and (1, 1) (30 %).
        for k in 0..1000 {
            let u = (k as f64 * 0.618034).fract() - 0.5;
            let v = (k as f64 * 0.754877).fract() - 0.5;
            if k % 10 < 7 {
                md.add(-1.0 + 0.3 * u, 0.3 * v);
                sm.add(-1.0 + 0.3 * u, 0.3 * v);
            } else {
                md.add(1.0 + 0.3 * u, 1.0 + 0.3 * v);
            }
        }
        let states = metastable_states(&md, &sm, 0.02);
        assert_eq!(states.len(), 2, "{states:?}");
        assert!((states[0].md_population - 0.7).abs() < 1e-12);
        assert!(!states[0].missed);
        assert!((states[1].md_population - 0.3).abs() < 1e-12);
        assert!(states[1].missed);
        assert!(
            (states[1].minimum[0] - 1.0).abs() < 0.3 && (states[1].minimum[1] - 1.0).abs() < 0.3
        );
    }
}
