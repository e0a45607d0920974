//! Local energy minimisation by L-BFGS with a backtracking (Armijo) line search.
//!
//! Convergence criterion, as documented for OpenMM's `LocalEnergyMinimizer` (and used by
//! `Simulation.minimizeEnergy(tolerance)`): stop once the **root-mean-square of all 3N force
//! components** is at most `tolerance` (kJ/mol/nm),
//!
//! ```text
//! F_rms = √( Σ_i |F_i|² / (3N) ) ≤ tolerance.
//! ```
//!
//! The Timewarp protocol uses tolerance 2 kJ/mol/nm (`simulate_trajectory.py --min-tol`).
//!
//! L-BFGS (Nocedal & Wright, Alg. 7.4): the search direction d = −H g comes from the two-loop
//! recursion over the last `memory` pairs s_k = x_{k+1} − x_k, y_k = g_{k+1} − g_k with the initial
//! Hessian H₀ = (s·y / y·y) I. Pairs with s·y ≤ 0 (no positive curvature) are not stored. A step
//! is accepted when U(x + α d) ≤ U(x) + c₁ α g·d (c₁ = 10⁻⁴), backtracking α by quadratic
//! interpolation otherwise. No atom moves more than `max_displacement_nm` in one step, which keeps
//! the first steps from a strained structure (forces ~10⁴ kJ/mol/nm) physical.

use crate::MdError;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use timewarp_ff::Potential;

/// Options of [`minimize`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MinimizeOptions {
    /// Target RMS force over all 3N components, kJ/mol/nm.
    pub tolerance: f64,
    /// Upper bound on L-BFGS iterations.
    pub max_iterations: usize,
    /// Number of stored correction pairs.
    pub memory: usize,
    /// Largest displacement of any atom in one step, nm.
    pub max_displacement_nm: f64,
}

impl Default for MinimizeOptions {
    fn default() -> Self {
        Self {
            tolerance: 2.0,
            max_iterations: 10_000,
            memory: 10,
            max_displacement_nm: 0.05,
        }
    }
}

/// What [`minimize`] did.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MinimizeReport {
    pub initial_energy: f64,
    pub final_energy: f64,
    /// √(Σ|F|²/3N) at the final positions, kJ/mol/nm.
    pub rms_force: f64,
    /// Largest |F_i| of one atom at the final positions, kJ/mol/nm.
    pub max_force: f64,
    pub iterations: usize,
    pub evaluations: usize,
    /// Whether `rms_force <= tolerance`.
    pub converged: bool,
}

/// √(Σ |F_i|² / 3N).
pub fn rms_force(forces: &[[f64; 3]]) -> f64 {
    if forces.is_empty() {
        return 0.0;
    }
    let s: f64 = forces
        .iter()
        .map(|f| f[0] * f[0] + f[1] * f[1] + f[2] * f[2])
        .sum();
    (s / (3 * forces.len()) as f64).sqrt()
}

/// max_i |F_i|.
pub fn max_force(forces: &[[f64; 3]]) -> f64 {
    forces
        .iter()
        .map(|f| (f[0] * f[0] + f[1] * f[1] + f[2] * f[2]).sqrt())
        .fold(0.0, f64::max)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn max_atom_norm(v: &[f64]) -> f64 {
    v.chunks_exact(3)
        .map(|c| (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).sqrt())
        .fold(0.0, f64::max)
}

/// Energy and gradient g = −F at flat coordinates `x` (3N).
struct Objective<'a> {
    potential: &'a dyn Potential,
    pos: Vec<[f64; 3]>,
    forces: Vec<[f64; 3]>,
    evaluations: usize,
}

impl Objective<'_> {
    fn eval(&mut self, x: &[f64], grad: &mut [f64]) -> f64 {
        for (p, c) in self.pos.iter_mut().zip(x.chunks_exact(3)) {
            *p = [c[0], c[1], c[2]];
        }
        self.evaluations += 1;
        let e = self.potential.energy_forces(&self.pos, &mut self.forces);
        for (g, f) in grad.chunks_exact_mut(3).zip(&self.forces) {
            g[0] = -f[0];
            g[1] = -f[1];
            g[2] = -f[2];
        }
        e
    }
}

/// Minimise U over `positions` (nm, updated in place) with L-BFGS.
///
/// Fails only when U or a force is not finite at the starting positions. When no further
/// decrease can be found before the tolerance is met (e.g. it is below the numerical noise of
/// U), it stops with `converged = false` at the lowest energy found.
pub fn minimize(
    potential: &dyn Potential,
    positions: &mut [[f64; 3]],
    opts: &MinimizeOptions,
) -> Result<MinimizeReport, MdError> {
    let n = positions.len();
    if potential.n_atoms() != n {
        return Err(MdError::Config(format!(
            "the potential has {} atoms but {n} positions were given",
            potential.n_atoms()
        )));
    }
    let dim = 3 * n;
    let mut obj = Objective {
        potential,
        pos: positions.to_vec(),
        forces: vec![[0.0; 3]; n],
        evaluations: 0,
    };
    let mut x: Vec<f64> = positions.iter().flatten().copied().collect();
    let mut g = vec![0.0; dim];
    let mut f = obj.eval(&x, &mut g);
    if !f.is_finite() || g.iter().any(|v| !v.is_finite()) {
        return Err(MdError::Minimization(format!(
            "non-finite energy ({f}) or forces at the starting structure"
        )));
    }
    let initial_energy = f;
    let grad_rms = |g: &[f64]| {
        if g.is_empty() {
            0.0
        } else {
            (dot(g, g) / g.len() as f64).sqrt()
        }
    };

    let mut history: VecDeque<(Vec<f64>, Vec<f64>, f64)> = VecDeque::with_capacity(opts.memory); // (s, y, 1/(y·s))
    let mut d = vec![0.0; dim];
    let mut alpha_buf = vec![0.0; opts.memory.max(1)];
    let mut x_new = vec![0.0; dim];
    let mut g_new = vec![0.0; dim];
    let mut iterations = 0;
    let c1 = 1e-4;

    while grad_rms(&g) > opts.tolerance && iterations < opts.max_iterations {
        iterations += 1;
        // two-loop recursion: d = −H g
        d.copy_from_slice(&g);
        for (k, (s, y, rho)) in history.iter().enumerate().rev() {
            let a = rho * dot(s, &d);
            alpha_buf[k] = a;
            d.iter_mut().zip(y).for_each(|(di, yi)| *di -= a * yi);
        }
        let h0 = match history.back() {
            Some((s, y, _)) => dot(s, y) / dot(y, y),
            // first step: move the atom with the largest force by max_displacement
            None => opts.max_displacement_nm / max_atom_norm(&g).max(f64::MIN_POSITIVE),
        };
        d.iter_mut().for_each(|di| *di *= h0);
        for (k, (s, y, rho)) in history.iter().enumerate() {
            let b = rho * dot(y, &d);
            let a = alpha_buf[k];
            d.iter_mut().zip(s).for_each(|(di, si)| *di += (a - b) * si);
        }
        d.iter_mut().for_each(|di| *di = -*di);
        let mut slope = dot(&g, &d);
        if slope.is_nan() || slope >= 0.0 {
            // not a descent direction (bad curvature information): restart from steepest descent
            history.clear();
            let scale = opts.max_displacement_nm / max_atom_norm(&g).max(f64::MIN_POSITIVE);
            d.iter_mut().zip(&g).for_each(|(di, gi)| *di = -scale * gi);
            slope = dot(&g, &d);
        }
        let longest = max_atom_norm(&d);
        if longest > opts.max_displacement_nm {
            let s = opts.max_displacement_nm / longest;
            d.iter_mut().for_each(|di| *di *= s);
            slope *= s;
        }

        // backtracking line search on α ∈ (0, 1]
        let mut alpha = 1.0;
        let mut accepted = None;
        for _ in 0..40 {
            x_new
                .iter_mut()
                .zip(&x)
                .zip(&d)
                .for_each(|((xn, xi), di)| *xn = xi + alpha * di);
            let f_new = obj.eval(&x_new, &mut g_new);
            if f_new.is_finite()
                && g_new.iter().all(|v| v.is_finite())
                && f_new <= f + c1 * alpha * slope
            {
                accepted = Some(f_new);
                break;
            }
            // minimiser of the quadratic through f, slope and f_new, kept within [0.1α, 0.5α]
            let next = if f_new.is_finite() {
                let denom = 2.0 * (f_new - f - slope * alpha);
                if denom > 0.0 {
                    -slope * alpha * alpha / denom
                } else {
                    0.5 * alpha
                }
            } else {
                0.1 * alpha
            };
            alpha = next.clamp(0.1 * alpha, 0.5 * alpha);
        }
        let Some(f_new) = accepted else {
            if history.is_empty() {
                break; // even a tiny steepest-descent step does not lower U: numerical floor
            }
            history.clear();
            continue;
        };
        // curvature pair
        let mut s: Vec<f64>;
        let mut y: Vec<f64>;
        if history.len() == opts.memory && opts.memory > 0 {
            let (s_old, y_old, _) = history.pop_front().unwrap();
            s = s_old;
            y = y_old;
        } else {
            s = vec![0.0; dim];
            y = vec![0.0; dim];
        }
        for i in 0..dim {
            s[i] = x_new[i] - x[i];
            y[i] = g_new[i] - g[i];
        }
        let sy = dot(&s, &y);
        if opts.memory > 0 && sy > 1e-12 * dot(&s, &s).sqrt() * dot(&y, &y).sqrt() {
            history.push_back((s, y, 1.0 / sy));
        }
        std::mem::swap(&mut x, &mut x_new);
        std::mem::swap(&mut g, &mut g_new);
        f = f_new;
    }

    for (p, c) in positions.iter_mut().zip(x.chunks_exact(3)) {
        *p = [c[0], c[1], c[2]];
    }
    // forces at the accepted positions (g holds −F there)
    let forces: Vec<[f64; 3]> = g.chunks_exact(3).map(|c| [-c[0], -c[1], -c[2]]).collect();
    let rms = rms_force(&forces);
    Ok(MinimizeReport {
        initial_energy,
        final_energy: f,
        rms_force: rms,
        max_force: max_force(&forces),
        iterations,
        evaluations: obj.evaluations,
        converged: rms <= opts.tolerance,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytic::{HarmonicChain, LennardJonesCluster};

    #[test]
    fn chain_reaches_tolerance_and_its_minimum() {
        let c = HarmonicChain::new(10);
        let mut x = c.equilibrium();
        for (i, p) in x.iter_mut().enumerate() {
            p[0] += 0.02 * ((i * 37 % 11) as f64 / 11.0 - 0.5);
            p[2] += 0.03 * ((i * 53 % 7) as f64 / 7.0 - 0.5);
        }
        let opts = MinimizeOptions {
            tolerance: 1e-3,
            ..Default::default()
        };
        let r = minimize(&c, &mut x, &opts).unwrap();
        assert!(r.converged, "{r:?}");
        assert!(r.rms_force <= 1e-3);
        assert!(r.final_energy < r.initial_energy);
        assert!(r.final_energy < 1e-9, "{r:?}");
        // reported forces are those at the returned positions
        let mut f = vec![[0.0; 3]; 10];
        let e = c.energy_forces(&x, &mut f);
        assert_eq!(e, r.final_energy);
        assert!((rms_force(&f) - r.rms_force).abs() < 1e-12);
    }

    #[test]
    fn lj_cluster_lowers_energy_to_tolerance() {
        let lj = LennardJonesCluster::new(13);
        let mut x = lj.lattice();
        let r = minimize(
            &lj,
            &mut x,
            &MinimizeOptions {
                tolerance: 0.01,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(r.converged, "{r:?}");
        assert!(r.final_energy < r.initial_energy);
        // 13 atoms: the lattice start relaxes to a bound cluster of at least ~ −30 ε
        assert!(r.final_energy < -30.0, "{r:?}");
    }

    #[test]
    fn already_converged_does_nothing() {
        let c = HarmonicChain::new(4);
        let mut x = c.equilibrium();
        let x0 = x.clone();
        let r = minimize(&c, &mut x, &MinimizeOptions::default()).unwrap();
        assert_eq!(r.iterations, 0);
        assert_eq!(x, x0);
    }

    #[test]
    fn non_finite_start_is_an_error() {
        let c = HarmonicChain::new(3);
        let mut x = c.equilibrium();
        x[1][0] = f64::NAN;
        assert!(matches!(
            minimize(&c, &mut x, &MinimizeOptions::default()),
            Err(MdError::Minimization(_))
        ));
    }
}
