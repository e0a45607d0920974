//! Analytic potentials with known minima and thermodynamics, for testing the integrator, the
//! minimiser and the run driver independently of the force field.

use timewarp_ff::Potential;

/// A planar zig-zag chain of `n` particles (mass 12 Da) held by harmonic 1-2 springs
/// (r₀ = 0.15 nm, k = 2·10⁵ kJ/mol/nm²) and softer 1-3 springs (r₀ = 0.25 nm, k = 5·10⁴):
///
/// ```text
/// U = Σ_i ½ k_b (|x_{i+1} − x_i| − r_b)² + Σ_i ½ k_a (|x_{i+2} − x_i| − r_a)²
/// ```
///
/// The zig-zag of [`HarmonicChain::equilibrium`] satisfies every spring, so U_min = 0. The
/// stiffness makes the fastest period ≈ 12 fs, like an X–C bond, so 0.5–1 fs steps are realistic.
#[derive(Debug, Clone)]
pub struct HarmonicChain {
    pub n: usize,
    pub mass: f64,
    pub k_bond: f64,
    pub r_bond: f64,
    pub k_13: f64,
    pub r_13: f64,
}

impl HarmonicChain {
    pub fn new(n: usize) -> Self {
        Self {
            n,
            mass: 12.0,
            k_bond: 2.0e5,
            r_bond: 0.15,
            k_13: 5.0e4,
            r_13: 0.25,
        }
    }

    pub fn masses(&self) -> Vec<f64> {
        vec![self.mass; self.n]
    }

    /// The zero-energy zig-zag in the xy plane.
    pub fn equilibrium(&self) -> Vec<[f64; 3]> {
        // alternate ±h in y with x spacing d: d² + (2h)² = r_b², (2d)² = r_13²
        let d = 0.5 * self.r_13;
        let h = 0.5 * (self.r_bond * self.r_bond - d * d).sqrt();
        (0..self.n)
            .map(|i| [i as f64 * d, if i % 2 == 0 { h } else { -h }, 0.0])
            .collect()
    }

    pub fn centre_of_mass(&self, x: &[[f64; 3]]) -> [f64; 3] {
        let mut c = [0.0; 3];
        for p in x {
            for k in 0..3 {
                c[k] += p[k] / x.len() as f64;
            }
        }
        c
    }

    fn spring(x: &[[f64; 3]], f: &mut [[f64; 3]], i: usize, j: usize, k: f64, r0: f64) -> f64 {
        let d = [x[j][0] - x[i][0], x[j][1] - x[i][1], x[j][2] - x[i][2]];
        let r = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
        let dr = r - r0;
        // F_j = −k (r − r0) d/r, F_i = −F_j
        let s = if r > 0.0 { -k * dr / r } else { 0.0 };
        for c in 0..3 {
            f[j][c] += s * d[c];
            f[i][c] -= s * d[c];
        }
        0.5 * k * dr * dr
    }
}

impl Potential for HarmonicChain {
    fn n_atoms(&self) -> usize {
        self.n
    }

    fn energy_forces(&self, x: &[[f64; 3]], f: &mut [[f64; 3]]) -> f64 {
        f.iter_mut().for_each(|v| *v = [0.0; 3]);
        let mut e = 0.0;
        for i in 0..self.n.saturating_sub(1) {
            e += Self::spring(x, f, i, i + 1, self.k_bond, self.r_bond);
        }
        for i in 0..self.n.saturating_sub(2) {
            e += Self::spring(x, f, i, i + 2, self.k_13, self.r_13);
        }
        e
    }
}

/// A Lennard-Jones cluster (argon-like: σ = 0.34 nm, ε = 1 kJ/mol, mass 40 Da), all pairs:
/// U = Σ_{i<j} 4ε((σ/r)¹² − (σ/r)⁶). A non-quadratic test surface for the minimiser.
#[derive(Debug, Clone)]
pub struct LennardJonesCluster {
    pub n: usize,
    pub sigma: f64,
    pub epsilon: f64,
}

impl LennardJonesCluster {
    pub fn new(n: usize) -> Self {
        Self {
            n,
            sigma: 0.34,
            epsilon: 1.0,
        }
    }

    /// Particles on a slightly irregular cubic lattice of spacing 1.3 σ (a non-minimum start).
    pub fn lattice(&self) -> Vec<[f64; 3]> {
        let side = (self.n as f64).cbrt().ceil() as usize;
        let a = 1.3 * self.sigma;
        (0..self.n)
            .map(|i| {
                let (ix, iy, iz) = (i % side, (i / side) % side, i / (side * side));
                let jitter = 0.01 * self.sigma * ((i * 7919 % 13) as f64 / 13.0 - 0.5);
                [
                    ix as f64 * a + jitter,
                    iy as f64 * a - jitter,
                    iz as f64 * a + 0.5 * jitter,
                ]
            })
            .collect()
    }
}

impl Potential for LennardJonesCluster {
    fn n_atoms(&self) -> usize {
        self.n
    }

    fn energy_forces(&self, x: &[[f64; 3]], f: &mut [[f64; 3]]) -> f64 {
        f.iter_mut().for_each(|v| *v = [0.0; 3]);
        let s2 = self.sigma * self.sigma;
        let mut e = 0.0;
        for i in 0..self.n {
            for j in i + 1..self.n {
                let d = [x[j][0] - x[i][0], x[j][1] - x[i][1], x[j][2] - x[i][2]];
                let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
                let sr6 = (s2 / r2).powi(3);
                e += 4.0 * self.epsilon * (sr6 * sr6 - sr6);
                // −dU/dr · 1/r = 24ε (2 (σ/r)¹² − (σ/r)⁶) / r²
                let s = 24.0 * self.epsilon * (2.0 * sr6 * sr6 - sr6) / r2;
                for c in 0..3 {
                    f[j][c] += s * d[c];
                    f[i][c] -= s * d[c];
                }
            }
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_forces_fd(p: &dyn Potential, x: &[[f64; 3]]) {
        let mut f = vec![[0.0; 3]; x.len()];
        p.energy_forces(x, &mut f);
        let h = 1e-6;
        let mut scratch = f.clone();
        for i in 0..x.len() {
            for k in 0..3 {
                let mut xp = x.to_vec();
                xp[i][k] += h;
                let ep = p.energy_forces(&xp, &mut scratch);
                xp[i][k] -= 2.0 * h;
                let em = p.energy_forces(&xp, &mut scratch);
                let fd = -(ep - em) / (2.0 * h);
                assert!(
                    (fd - f[i][k]).abs() < 1e-4 * (1.0 + f[i][k].abs()),
                    "atom {i} comp {k}: {fd} vs {}",
                    f[i][k]
                );
            }
        }
    }

    #[test]
    fn chain_minimum_and_forces() {
        let c = HarmonicChain::new(7);
        let x = c.equilibrium();
        let mut f = vec![[0.0; 3]; 7];
        assert!(c.energy_forces(&x, &mut f).abs() < 1e-20);
        let mut y = x.clone();
        y[3][2] += 0.02;
        y[5][0] -= 0.01;
        check_forces_fd(&c, &y);
    }

    #[test]
    fn lj_forces() {
        let lj = LennardJonesCluster::new(8);
        check_forces_fd(&lj, &lj.lattice());
    }
}
