//! A short Langevin run that brings the starting structure to the target temperature.
//!
//! An MCMC chain is exact from any start, but its burn-in is not free: a minimised structure
//! lies about N_dof·k_BT/2 below the typical potential energy of the ensemble (equipartition),
//! so from it nearly every flow proposal raises U by tens of k_BT and is rejected. A few ps of
//! LangevinMiddle dynamics (γ = 1/ps, Δt = 0.5 fs, Maxwell–Boltzmann start) put the chain's
//! first state in equilibrium at negligible cost next to the sampling itself.

use crate::error::SampleError;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use timewarp_ff::Potential;
use timewarp_md::{
    velocities::maxwell_boltzmann, LangevinMiddle, LangevinMiddleIntegrator, MdState,
};

/// Time step of the equilibration, ps.
const DT_PS: f64 = 0.000_5;
/// Friction of the equilibration, 1/ps (strong enough to thermalise within a few ps).
const FRICTION_PER_PS: f64 = 1.0;
/// Salt of the equilibration RNG stream (independent of the chains' streams).
const STREAM_SALT: u64 = 0x6571_7569_6c69_6272; // "equilibr"

/// Runs `duration_ps` of Langevin dynamics at `temperature_k` from `positions` and returns the
/// final positions. Deterministic for a given `seed`.
///
/// ```
/// # use timewarp_ff::{ForceField, SystemOptions};
/// # let pdb = timewarp_mol::pdb::read_pdb(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata/ala2.pdb"))).unwrap();
/// # let system = ForceField::amber14().create_system(&pdb.topology, &SystemOptions::default()).unwrap();
/// let x = timewarp_sample::equilibrate(&system, system.masses(), pdb.positions(), 310.0, 0.5, 0).unwrap();
/// assert_eq!(x.len(), pdb.positions().len());
/// ```
pub fn equilibrate(
    potential: &dyn Potential,
    masses: &[f64],
    positions: &[[f64; 3]],
    temperature_k: f64,
    duration_ps: f64,
    seed: u64,
) -> Result<Vec<[f64; 3]>, SampleError> {
    let steps = (duration_ps / DT_PS).round() as u64;
    if steps == 0 {
        return Ok(positions.to_vec());
    }
    let params = LangevinMiddle {
        temperature_k,
        friction_per_ps: FRICTION_PER_PS,
        dt_ps: DT_PS,
    };
    let integrator = LangevinMiddleIntegrator::new(params, masses, true).map_err(md_error)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ STREAM_SALT);
    let mut velocities = vec![[0.0; 3]; positions.len()];
    maxwell_boltzmann(masses, temperature_k, true, &mut rng, &mut velocities);
    let mut state = MdState::new(potential, positions.to_vec(), velocities).map_err(md_error)?;
    for step in 0..steps {
        integrator.step(potential, &mut state, &mut rng);
        if !state.potential_energy.is_finite() {
            return Err(SampleError::Config(format!(
                "the equilibration MD before sampling blew up at step {step} (U = {}); check the \
                 starting structure or set equilibrate_ps = 0",
                state.potential_energy
            )));
        }
    }
    Ok(state.positions)
}

fn md_error(e: timewarp_md::MdError) -> SampleError {
    SampleError::Config(format!("equilibration MD: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use timewarp_ff::{ForceField, SystemOptions};

    fn ala2() -> (timewarp_ff::System, Vec<[f64; 3]>) {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/testdata/ala2.pdb"
        );
        let pdb = timewarp_mol::pdb::read_pdb(std::path::Path::new(path)).unwrap();
        let system = ForceField::amber14()
            .create_system(&pdb.topology, &SystemOptions::default())
            .unwrap();
        (system, pdb.positions().to_vec())
    }

    #[test]
    fn warms_a_minimised_structure_to_equilibrium_energies() {
        let (system, x0) = ala2();
        let mut x_min = x0.clone();
        timewarp_md::minimize(
            &system,
            &mut x_min,
            &timewarp_md::MinimizeOptions::default(),
        )
        .unwrap();
        let u_min = system.energy(&x_min);
        // Equipartition: ⟨U⟩ − U_min ≈ ½ N_dof k_BT = ½·66·2.58 ≈ 85 kJ/mol for a harmonic basin.
        let x = equilibrate(&system, system.masses(), &x_min, 310.0, 5.0, 1).unwrap();
        let rise = system.energy(&x) - u_min;
        assert!((25.0..250.0).contains(&rise), "U rose by {rise} kJ/mol");
        // Deterministic for a seed; zero duration is the identity.
        assert_eq!(
            x,
            equilibrate(&system, system.masses(), &x_min, 310.0, 5.0, 1).unwrap()
        );
        assert_eq!(
            equilibrate(&system, system.masses(), &x_min, 310.0, 0.0, 1).unwrap(),
            x_min
        );
    }
}
