//! Initial velocities from the Maxwell–Boltzmann distribution, like OpenMM's
//! `Context.setVelocitiesToTemperature`:
//!
//! ```text
//! v_i,k ~ N(0, k_B T / m_i)      then   v_i ← v_i − Σ m v / Σ m   (zero total momentum)
//! ```
//!
//! Massless particles get zero velocity.

use crate::cmm::remove_cm_motion;
use rand::Rng;
use rand_distr::StandardNormal;
use timewarp_ff::constants::BOLTZ;

/// Overwrite `velocities` (nm/ps) with Maxwell–Boltzmann velocities at `temperature_k`, with the
/// centre-of-mass momentum removed when `zero_momentum`. Draws 3 normals per massive particle.
pub fn maxwell_boltzmann<R: Rng + ?Sized>(
    masses: &[f64],
    temperature_k: f64,
    zero_momentum: bool,
    rng: &mut R,
    velocities: &mut [[f64; 3]],
) {
    let kt = BOLTZ * temperature_k.max(0.0);
    for (v, &m) in velocities.iter_mut().zip(masses) {
        if m == 0.0 {
            *v = [0.0; 3];
            continue;
        }
        let sd = (kt / m).sqrt();
        for vk in v.iter_mut() {
            let r: f64 = rng.sample(StandardNormal);
            *vk = sd * r;
        }
    }
    if zero_momentum {
        remove_cm_motion(masses, velocities);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmm::centre_of_mass_velocity;
    use crate::integrator::{degrees_of_freedom, instantaneous_temperature, kinetic_energy};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn temperature_and_momentum() {
        let masses: Vec<f64> = (0..3000)
            .map(|i| [1.008, 12.01, 14.01, 16.0][i % 4])
            .collect();
        let mut v = vec![[0.0; 3]; masses.len()];
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        maxwell_boltzmann(&masses, 310.0, true, &mut rng, &mut v);
        let p = centre_of_mass_velocity(&masses, &v);
        assert!(p.iter().all(|c| c.abs() < 1e-14));
        let t = instantaneous_temperature(
            kinetic_energy(&masses, &v),
            degrees_of_freedom(&masses, true),
        );
        // relative s.d. of T over 9000 dof is √(2/9000) ≈ 1.5 %; allow 4 s.d.
        assert!((t - 310.0).abs() < 0.06 * 310.0, "T = {t}");
        // same seed, same velocities
        let mut w = vec![[0.0; 3]; masses.len()];
        maxwell_boltzmann(
            &masses,
            310.0,
            true,
            &mut ChaCha8Rng::seed_from_u64(7),
            &mut w,
        );
        assert_eq!(v, w);
    }
}
