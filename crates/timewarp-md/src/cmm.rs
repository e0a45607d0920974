//! Centre-of-mass motion removal, as OpenMM's `CMMotionRemover` (NOTES §2.6).
//!
//! With frequency 1 (OpenMM's default in a `System` built by `ForceField.createSystem`) the
//! remover runs at the start of every step, before the forces are used:
//!
//! ```text
//! v_cm = Σ_i m_i v_i / Σ_i m_i,      v_i ← v_i − v_cm   for every particle with m_i ≠ 0
//! ```
//!
//! It adds no energy. Removing the three translational degrees of freedom is why the
//! equipartition temperature uses N_dof = 3N − 3.

/// Mass-weighted mean velocity Σ m v / Σ m (nm/ps). Zero when the total mass is zero.
pub fn centre_of_mass_velocity(masses: &[f64], velocities: &[[f64; 3]]) -> [f64; 3] {
    let mut momentum = [0.0; 3];
    let mut total_mass = 0.0;
    for (&m, v) in masses.iter().zip(velocities) {
        momentum[0] += m * v[0];
        momentum[1] += m * v[1];
        momentum[2] += m * v[2];
        total_mass += m;
    }
    if total_mass > 0.0 {
        let inv = 1.0 / total_mass;
        [momentum[0] * inv, momentum[1] * inv, momentum[2] * inv]
    } else {
        [0.0; 3]
    }
}

/// Subtract the centre-of-mass velocity from every particle with non-zero mass.
pub fn remove_cm_motion(masses: &[f64], velocities: &mut [[f64; 3]]) {
    let vcm = centre_of_mass_velocity(masses, velocities);
    for (&m, v) in masses.iter().zip(velocities.iter_mut()) {
        if m != 0.0 {
            v[0] -= vcm[0];
            v[1] -= vcm[1];
            v[2] -= vcm[2];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_total_momentum_and_keeps_relative_motion() {
        let masses = [1.0, 2.0, 3.0, 0.0];
        let mut v = [
            [1.0, 0.0, -2.0],
            [0.5, 1.0, 0.0],
            [-1.0, 2.0, 3.0],
            [7.0, 7.0, 7.0],
        ];
        let before = [v[0][0] - v[1][0], v[0][1] - v[1][1], v[0][2] - v[1][2]];
        remove_cm_motion(&masses, &mut v);
        let p = centre_of_mass_velocity(&masses, &v);
        for k in 0..3 {
            assert!(p[k].abs() < 1e-15, "residual momentum {p:?}");
            assert!((v[0][k] - v[1][k] - before[k]).abs() < 1e-15);
        }
        // massless particles are left alone, like OpenMM
        assert_eq!(v[3], [7.0, 7.0, 7.0]);
    }
}
