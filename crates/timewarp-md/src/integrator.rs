//! The LangevinMiddle integrator (Zhang, Liu, Tuckerman & Leimkuhler's "BAOAB"-type splitting)
//! exactly as OpenMM 8.6's reference platform (`ReferenceLangevinMiddleDynamics`) applies it,
//! without constraints (NOTES §4).
//!
//! The state holds positions x(t) and **half-step** velocities v(t − Δt/2). One step is
//!
//! ```text
//! 0. v ← v − Σ m v / Σ m                     CMMotionRemover, every step (optional)
//! 1. F = F(x)                                 (cached from the end of the previous step)
//! 2. v ← v + Δt F / m                         B
//! 3. x ← x + v Δt/2                           A
//! 4. v ← a v + √(k_B T / m) √(1 − a²) R       O,  a = exp(−γ Δt), R ~ N(0, 1) per component
//! 5. x ← x + v Δt/2                           A
//! ```
//!
//! and the forces and potential energy at the new x are evaluated at the end of the step so that
//! a reporter sees (x, v, F, U) of one and the same state, as OpenMM's `getState` does. This is
//! the same sequence of floating-point operations as OpenMM: with γ = 0 it is leap-frog Verlet,
//! with T = 0 step 4 is a deterministic damping.
//!
//! Particles with zero mass are never moved (OpenMM's convention for fixed particles).

use crate::cmm::remove_cm_motion;
use crate::MdError;
use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};
use timewarp_ff::constants::BOLTZ;
use timewarp_ff::Potential;

/// Parameters of OpenMM's `LangevinMiddleIntegrator(temperature, friction, stepSize)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LangevinMiddle {
    /// Heat-bath temperature T in kelvin.
    pub temperature_k: f64,
    /// Friction coefficient γ in 1/ps.
    pub friction_per_ps: f64,
    /// Time step Δt in ps.
    pub dt_ps: f64,
}

impl LangevinMiddle {
    /// Check the parameters; the error names the offending one.
    pub fn validate(&self) -> Result<(), MdError> {
        let bad = |what: &str, v: f64| {
            MdError::Config(format!("{what} must be finite and >= 0, got {v}"))
        };
        if !(self.temperature_k.is_finite() && self.temperature_k >= 0.0) {
            return Err(bad("temperature (K)", self.temperature_k));
        }
        if !(self.friction_per_ps.is_finite() && self.friction_per_ps >= 0.0) {
            return Err(bad("friction (1/ps)", self.friction_per_ps));
        }
        if !(self.dt_ps.is_finite() && self.dt_ps > 0.0) {
            return Err(MdError::Config(format!(
                "time step must be finite and > 0 ps, got {}",
                self.dt_ps
            )));
        }
        Ok(())
    }
}

/// Positions, half-step velocities, and the forces and potential energy at the positions.
#[derive(Debug, Clone, PartialEq)]
pub struct MdState {
    /// x(t) in nm.
    pub positions: Vec<[f64; 3]>,
    /// v(t − Δt/2) in nm/ps (what OpenMM's `getState(getVelocities=True)` returns).
    pub velocities: Vec<[f64; 3]>,
    /// F(x(t)) = −∇U in kJ/mol/nm.
    pub forces: Vec<[f64; 3]>,
    /// U(x(t)) in kJ/mol.
    pub potential_energy: f64,
}

impl MdState {
    /// A state at `positions` with the given velocities; evaluates forces and energy once.
    pub fn new(
        potential: &dyn Potential,
        positions: Vec<[f64; 3]>,
        velocities: Vec<[f64; 3]>,
    ) -> Result<Self, MdError> {
        let n = potential.n_atoms();
        if positions.len() != n || velocities.len() != n {
            return Err(MdError::Config(format!(
                "the potential has {n} atoms but the state has {} positions and {} velocities",
                positions.len(),
                velocities.len()
            )));
        }
        let mut forces = vec![[0.0; 3]; n];
        let potential_energy = potential.energy_forces(&positions, &mut forces);
        Ok(Self {
            positions,
            velocities,
            forces,
            potential_energy,
        })
    }

    /// Kinetic energy ½ Σ m v² of the stored (half-step) velocities, in kJ/mol — what OpenMM
    /// reports for LangevinMiddleIntegrator (NOTES §4).
    pub fn kinetic_energy(&self, masses: &[f64]) -> f64 {
        kinetic_energy(masses, &self.velocities)
    }
}

/// ½ Σ m v² in kJ/mol (dalton · nm²/ps² = kJ/mol).
pub fn kinetic_energy(masses: &[f64], velocities: &[[f64; 3]]) -> f64 {
    0.5 * masses
        .iter()
        .zip(velocities)
        .map(|(&m, v)| m * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]))
        .sum::<f64>()
}

/// Instantaneous temperature T = 2 KE / (N_dof k_B), in kelvin.
pub fn instantaneous_temperature(kinetic_energy: f64, n_dof: usize) -> f64 {
    if n_dof == 0 {
        0.0
    } else {
        2.0 * kinetic_energy / (n_dof as f64 * BOLTZ)
    }
}

/// Degrees of freedom for the equipartition temperature: 3 per massive particle, minus 3 when
/// the centre-of-mass motion is removed (OpenMM's convention).
pub fn degrees_of_freedom(masses: &[f64], remove_cm_motion: bool) -> usize {
    let n = 3 * masses.iter().filter(|&&m| m != 0.0).count();
    if remove_cm_motion {
        n.saturating_sub(3)
    } else {
        n
    }
}

/// LangevinMiddle with its per-particle constants precomputed for one set of masses.
#[derive(Debug, Clone)]
pub struct LangevinMiddleIntegrator {
    params: LangevinMiddle,
    masses: Vec<f64>,
    /// Δt/m (0 for massless particles).
    dt_over_mass: Vec<f64>,
    /// √(k_B T / m) √(1 − a²) (0 for massless particles).
    noise_sd: Vec<f64>,
    /// a = exp(−γ Δt).
    velocity_scale: f64,
    /// Whether step 4 draws random numbers at all (T > 0 and γ > 0).
    stochastic: bool,
    remove_cm_motion: bool,
}

impl LangevinMiddleIntegrator {
    /// Precompute the per-particle constants. Masses in dalton; a zero mass fixes a particle.
    pub fn new(
        params: LangevinMiddle,
        masses: &[f64],
        remove_cm_motion: bool,
    ) -> Result<Self, MdError> {
        params.validate()?;
        if let Some(i) = masses.iter().position(|m| !(m.is_finite() && *m >= 0.0)) {
            return Err(MdError::Config(format!(
                "mass of atom {i} is {} (must be finite and >= 0)",
                masses[i]
            )));
        }
        let a = (-params.friction_per_ps * params.dt_ps).exp();
        let kt = BOLTZ * params.temperature_k;
        let one_minus_a2 = (1.0 - a * a).max(0.0);
        let dt_over_mass = masses
            .iter()
            .map(|&m| if m == 0.0 { 0.0 } else { params.dt_ps / m })
            .collect();
        let noise_sd = masses
            .iter()
            .map(|&m| {
                if m == 0.0 {
                    0.0
                } else {
                    (kt / m).sqrt() * one_minus_a2.sqrt()
                }
            })
            .collect();
        Ok(Self {
            params,
            masses: masses.to_vec(),
            dt_over_mass,
            noise_sd,
            velocity_scale: a,
            stochastic: kt > 0.0 && one_minus_a2 > 0.0,
            remove_cm_motion,
        })
    }

    pub fn params(&self) -> &LangevinMiddle {
        &self.params
    }

    pub fn masses(&self) -> &[f64] {
        &self.masses
    }

    pub fn removes_cm_motion(&self) -> bool {
        self.remove_cm_motion
    }

    /// Advance `state` by one time step; ends with the forces and energy at the new positions.
    ///
    /// Allocation-free. Random numbers: 3 standard normals per massive particle, in atom order
    /// x, y, z, drawn from `rng` only when T > 0 and γ > 0.
    pub fn step<R: Rng + ?Sized>(
        &self,
        potential: &dyn Potential,
        state: &mut MdState,
        rng: &mut R,
    ) {
        let half_dt = 0.5 * self.params.dt_ps;
        let MdState {
            positions,
            velocities,
            forces,
            potential_energy,
        } = state;

        if self.remove_cm_motion {
            remove_cm_motion(&self.masses, velocities);
        }
        // B + A: v ← v + Δt F/m;  x ← x + v Δt/2
        for (((x, v), f), &dtm) in positions
            .iter_mut()
            .zip(velocities.iter_mut())
            .zip(forces.iter())
            .zip(&self.dt_over_mass)
        {
            if dtm == 0.0 {
                continue;
            }
            for k in 0..3 {
                v[k] += dtm * f[k];
                x[k] += v[k] * half_dt;
            }
        }
        // O: Ornstein–Uhlenbeck velocity update, then A: x ← x + v Δt/2
        let a = self.velocity_scale;
        for ((x, v), (&sd, &dtm)) in positions
            .iter_mut()
            .zip(velocities.iter_mut())
            .zip(self.noise_sd.iter().zip(&self.dt_over_mass))
        {
            if dtm == 0.0 {
                continue;
            }
            if self.stochastic {
                for vk in v.iter_mut() {
                    let r: f64 = rng.sample(StandardNormal);
                    *vk = a * *vk + sd * r;
                }
            } else {
                for vk in v.iter_mut() {
                    *vk *= a;
                }
            }
            for k in 0..3 {
                x[k] += v[k] * half_dt;
            }
        }
        *potential_energy = potential.energy_forces(positions, forces);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytic::HarmonicChain;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn chain_state(chain: &HarmonicChain) -> MdState {
        let mut x = chain.equilibrium();
        x[0][1] += 0.01;
        x[2][2] -= 0.02;
        let v = (0..chain.n)
            .map(|i| [0.1 * i as f64, -0.2, 0.05 * (i % 3) as f64])
            .collect();
        MdState::new(chain, x, v).unwrap()
    }

    #[test]
    fn friction_zero_is_leapfrog_verlet() {
        // With γ = 0 the update is v(t+Δt/2) = v(t−Δt/2) + Δt F(x(t))/m, x(t+Δt) = x(t) + Δt
        // v(t+Δt/2).
        let chain = HarmonicChain::new(5);
        let masses = chain.masses();
        let p = LangevinMiddle {
            temperature_k: 300.0,
            friction_per_ps: 0.0,
            dt_ps: 0.001,
        };
        let integ = LangevinMiddleIntegrator::new(p, &masses, false).unwrap();
        let mut s = chain_state(&chain);
        let mut x = s.positions.clone();
        let mut v = s.velocities.clone();
        let mut f = s.forces.clone();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..50 {
            integ.step(&chain, &mut s, &mut rng);
            for i in 0..chain.n {
                for k in 0..3 {
                    v[i][k] += p.dt_ps * f[i][k] / masses[i];
                    x[i][k] += p.dt_ps * v[i][k];
                }
            }
            chain.energy_forces(&x, &mut f);
        }
        for i in 0..chain.n {
            for k in 0..3 {
                assert!((s.positions[i][k] - x[i][k]).abs() < 1e-14);
                assert!((s.velocities[i][k] - v[i][k]).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn zero_temperature_damps_deterministically() {
        let chain = HarmonicChain::new(4);
        let masses = chain.masses();
        let p = LangevinMiddle {
            temperature_k: 0.0,
            friction_per_ps: 50.0,
            dt_ps: 0.001,
        };
        let integ = LangevinMiddleIntegrator::new(p, &masses, true).unwrap();
        let mut a = chain_state(&chain);
        let mut b = a.clone();
        let mut r1 = ChaCha8Rng::seed_from_u64(1);
        let mut r2 = ChaCha8Rng::seed_from_u64(2);
        let e0 = a.potential_energy + a.kinetic_energy(&masses);
        for _ in 0..2000 {
            integ.step(&chain, &mut a, &mut r1);
            integ.step(&chain, &mut b, &mut r2);
        }
        assert_eq!(a, b);
        let e1 = a.potential_energy + a.kinetic_energy(&masses);
        assert!(e1 < 1e-3 * e0, "energy {e0} -> {e1} not dissipated");
    }

    #[test]
    fn cm_motion_removed_every_step() {
        let chain = HarmonicChain::new(6);
        let masses = chain.masses();
        let p = LangevinMiddle {
            temperature_k: 310.0,
            friction_per_ps: 1.0,
            dt_ps: 0.0005,
        };
        let integ = LangevinMiddleIntegrator::new(p, &masses, true).unwrap();
        let mut s = chain_state(&chain);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let com0 = chain.centre_of_mass(&s.positions);
        for _ in 0..200 {
            integ.step(&chain, &mut s, &mut rng);
        }
        // the chain's centre of mass moves only by the noise of the last O-steps (no drift)
        let com1 = chain.centre_of_mass(&s.positions);
        let d = ((com1[0] - com0[0]).powi(2)
            + (com1[1] - com0[1]).powi(2)
            + (com1[2] - com0[2]).powi(2))
        .sqrt();
        // initial CM velocity ~0.2 nm/ps would have moved it 0.02 nm in 0.1 ps
        assert!(d < 2e-3, "centre of mass drifted {d} nm");
    }

    #[test]
    fn rejects_bad_parameters() {
        let m = [1.0, 2.0];
        let ok = LangevinMiddle {
            temperature_k: 300.0,
            friction_per_ps: 1.0,
            dt_ps: 0.001,
        };
        assert!(
            LangevinMiddleIntegrator::new(LangevinMiddle { dt_ps: 0.0, ..ok }, &m, true).is_err()
        );
        assert!(LangevinMiddleIntegrator::new(
            LangevinMiddle {
                temperature_k: -1.0,
                ..ok
            },
            &m,
            true
        )
        .is_err());
        assert!(LangevinMiddleIntegrator::new(
            LangevinMiddle {
                friction_per_ps: f64::NAN,
                ..ok
            },
            &m,
            true
        )
        .is_err());
        assert!(LangevinMiddleIntegrator::new(ok, &[1.0, -1.0], true).is_err());
    }
}
