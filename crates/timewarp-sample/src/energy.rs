//! Batched potential energies: all proposals of an iteration in one call.

use rayon::prelude::*;
use timewarp_ff::{EnergyTerms, Potential, System};

/// Potential energies of a batch of conformations.
pub trait BatchEnergy: Sync {
    /// Number of atoms per conformation.
    fn n_atoms(&self) -> usize;

    /// Fills `energies[k]` with U(x_k) in kJ/mol, where x_k = `positions[k·N..(k+1)·N]`.
    /// Conformations where the energy cannot be evaluated get a non-finite value.
    fn energies(&self, positions: &[[f64; 3]], energies: &mut [f64]);

    /// [`BatchEnergy::energies`] and the same energies split by force-field term into `terms`
    /// (`terms[k].total == energies[k]`). Energies without terms put everything in `total`.
    fn energy_terms(
        &self,
        positions: &[[f64; 3]],
        energies: &mut [f64],
        terms: &mut [EnergyTerms],
    ) {
        self.energies(positions, energies);
        for (t, &e) in terms.iter_mut().zip(energies.iter()) {
            *t = EnergyTerms {
                total: e,
                ..EnergyTerms::default()
            };
        }
    }
}

/// Any [`Potential`] as a [`BatchEnergy`], conformations spread over the rayon pool.
#[derive(Debug, Clone, Copy)]
pub struct PotentialBatch<'a, P: ?Sized>(pub &'a P);

impl<P: Potential + ?Sized> BatchEnergy for PotentialBatch<'_, P> {
    fn n_atoms(&self) -> usize {
        self.0.n_atoms()
    }

    fn energies(&self, positions: &[[f64; 3]], energies: &mut [f64]) {
        let n = self.0.n_atoms();
        assert_eq!(
            positions.len(),
            n * energies.len(),
            "positions must hold b × n_atoms entries"
        );
        // Small molecules are cheap: only hand work to other threads in chunks worth the cost.
        let min_len = (4096 / n.max(1)).max(1);
        energies
            .par_iter_mut()
            .zip(positions.par_chunks(n.max(1)))
            .with_min_len(min_len)
            .for_each_init(
                || vec![[0.0; 3]; n],
                |forces, (e, x)| *e = self.0.energy_forces(x, forces),
            );
    }
}

/// The force field: energies only (no forces), conformations in parallel.
impl BatchEnergy for System {
    fn n_atoms(&self) -> usize {
        System::n_atoms(self)
    }

    fn energies(&self, positions: &[[f64; 3]], energies: &mut [f64]) {
        self.energy_forces_batch(positions, None, energies);
    }

    fn energy_terms(
        &self,
        positions: &[[f64; 3]],
        energies: &mut [f64],
        terms: &mut [EnergyTerms],
    ) {
        let n = System::n_atoms(self).max(1);
        assert_eq!(
            positions.len(),
            n * energies.len(),
            "positions must hold b × n_atoms entries"
        );
        // One conformation of a small peptide costs ~10 µs: hand out chunks worth the overhead.
        let min_len = (4096 / n).max(1);
        energies
            .par_iter_mut()
            .zip(terms.par_iter_mut())
            .zip(positions.par_chunks(n))
            .with_min_len(min_len)
            .for_each(|((e, t), x)| {
                *t = self.energy_components(x).terms();
                *e = t.total;
            });
    }
}
