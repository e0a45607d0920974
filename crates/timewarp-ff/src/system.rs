//! A parameterised molecule: the parameter tables of every force term and the evaluation of
//! energy and forces, single or batched over conformations.

use crate::params::{AtomParams, HarmonicAngle, HarmonicBond, Pair14, PeriodicTorsion};
use crate::terms::bonded::{harmonic_angles, harmonic_bonds, periodic_torsions, TorsionSet};
use crate::terms::gbsa_obc::{self, GbParams, GbScratch};
use crate::terms::nonbonded::{nonbonded, NonbondedParams};
use crate::{FfError, Potential};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;

/// Generalized-Born variant (OpenMM `implicit/obc1.xml` or `implicit/obc2.xml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GbModel {
    /// OBC1, Amber igb=2: B = 1/(1/or − tanh(0.8ψ + 2.909125ψ³)/ρ). The Timewarp protocol.
    Obc1,
    /// OBC2, Amber igb=5: B = 1/(1/or − tanh(ψ − 0.8ψ² + 4.85ψ³)/ρ).
    Obc2,
}

impl GbModel {
    /// (α, β, γ) of tanh(αψ − βψ² + γψ³).
    pub fn alpha_beta_gamma(self) -> (f64, f64, f64) {
        match self {
            GbModel::Obc1 => crate::constants::OBC1_ALPHA_BETA_GAMMA,
            GbModel::Obc2 => crate::constants::OBC2_ALPHA_BETA_GAMMA,
        }
    }
}

/// How nonbonded (Coulomb, LJ) and GB pair interactions are truncated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum NonbondedMethod {
    /// All pairs, plain Coulomb.
    NoCutoff,
    /// OpenMM `CutoffNonPeriodic`: Coulomb with a reaction field of dielectric 1 (i.e. shifted
    /// by −1/r_c), LJ truncated at r_c; GB pairs beyond r_c are skipped in the Born-radius
    /// integral and the pair term, which is shifted by −1/r_c. 1-4 pairs are never cut.
    CutoffNonPeriodic { cutoff_nm: f64 },
}

/// Options of [`crate::ForceField::create_system`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SystemOptions {
    /// Implicit solvent; `None` gives the force field in vacuum.
    pub gb: Option<GbModel>,
    pub nonbonded: NonbondedMethod,
}

impl Default for SystemOptions {
    /// The Timewarp data protocol: amber14 + GB-OBC1, `CutoffNonPeriodic` at 2.0 nm.
    fn default() -> Self {
        SystemOptions {
            gb: Some(GbModel::Obc1),
            nonbonded: NonbondedMethod::CutoffNonPeriodic { cutoff_nm: 2.0 },
        }
    }
}

impl SystemOptions {
    /// The force-field names [`SystemOptions::with_forcefield`] knows: amber14 with GB-OBC1 (the
    /// Timewarp protocol), with GB-OBC2, or in vacuum.
    pub const FORCEFIELD_NAMES: [&'static str; 3] =
        ["amber14-obc1", "amber14-obc2", "amber14-vacuum"];

    /// These options with the implicit solvent of force field `name` (one of
    /// [`SystemOptions::FORCEFIELD_NAMES`]).
    pub fn with_forcefield(self, name: &str) -> Result<Self, String> {
        let gb = match name {
            "amber14-obc1" => Some(GbModel::Obc1),
            "amber14-obc2" => Some(GbModel::Obc2),
            "amber14-vacuum" => None,
            other => {
                return Err(format!(
                    "unknown force field '{other}': expected amber14-obc1, amber14-obc2 or amber14-vacuum"
                ))
            }
        };
        Ok(SystemOptions { gb, ..self })
    }

    /// The name of the force field of these options (inverse of
    /// [`SystemOptions::with_forcefield`]).
    pub fn forcefield_name(&self) -> &'static str {
        match self.gb {
            Some(GbModel::Obc1) => "amber14-obc1",
            Some(GbModel::Obc2) => "amber14-obc2",
            None => "amber14-vacuum",
        }
    }
}

impl std::str::FromStr for NonbondedMethod {
    type Err = String;

    /// A non-periodic cutoff in nm (`"2.0"`), or `"none"`.
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "none" {
            return Ok(NonbondedMethod::NoCutoff);
        }
        let nm: f64 = s
            .parse()
            .map_err(|_| format!("'{s}' is neither a number of nm nor 'none'"))?;
        if !(nm.is_finite() && nm > 0.0) {
            return Err(format!("{s}: the cutoff must be a positive distance in nm"));
        }
        Ok(NonbondedMethod::CutoffNonPeriodic { cutoff_nm: nm })
    }
}

/// Potential energy by force term, kJ/mol. `nonbonded` is Coulomb + LJ including the 1-4
/// pairs (OpenMM's `NonbondedForce`); `gb` is self + pair + ACE surface (`CustomGBForce`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct EnergyTerms {
    pub bond: f64,
    pub angle: f64,
    pub torsion: f64,
    pub nonbonded: f64,
    pub gb: f64,
    pub total: f64,
}

/// Finer breakdown of the potential energy, kJ/mol (the `components` of the OpenMM oracles).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct EnergyComponents {
    pub bond: f64,
    pub angle: f64,
    pub torsion: f64,
    /// Regular pairs (with the reaction-field shift under a cutoff).
    pub coulomb: f64,
    pub lj: f64,
    pub coulomb14: f64,
    pub lj14: f64,
    pub gb_self: f64,
    pub gb_pair: f64,
    /// ACE non-polar surface term.
    pub sa: f64,
    pub total: f64,
}

impl EnergyComponents {
    /// Group into the per-force terms.
    pub fn terms(&self) -> EnergyTerms {
        EnergyTerms {
            bond: self.bond,
            angle: self.angle,
            torsion: self.torsion,
            nonbonded: self.coulomb + self.lj + self.coulomb14 + self.lj14,
            gb: self.gb_self + self.gb_pair + self.sa,
            total: self.total,
        }
    }
}

thread_local! {
    static GB_SCRATCH: RefCell<GbScratch> = RefCell::new(GbScratch::default());
}

/// A molecule with all force-field parameters assigned; evaluates U(x) and −∇U(x).
///
/// Positions are `[x, y, z]` in nm, one per atom in topology order; energies kJ/mol, forces
/// kJ mol⁻¹ nm⁻¹. Evaluation allocates nothing (GB work arrays are per-thread and reused).
#[derive(Debug, Clone)]
pub struct System {
    pub(crate) options: SystemOptions,
    pub(crate) atoms: Vec<AtomParams>,
    pub(crate) masses: Vec<f64>,
    /// `NAME of RES NUM (atom SERIAL)`, for error messages.
    pub(crate) labels: Vec<String>,
    pub(crate) bonds: Vec<HarmonicBond>,
    pub(crate) angles: Vec<HarmonicAngle>,
    pub(crate) torsions: TorsionSet,
    pub(crate) nonbonded: NonbondedParams,
    pub(crate) gb: Option<GbParams>,
}

impl System {
    pub fn n_atoms(&self) -> usize {
        self.atoms.len()
    }

    /// Masses in dalton (of the atom types, as OpenMM: C 12.01, H 1.008, …).
    pub fn masses(&self) -> &[f64] {
        &self.masses
    }

    /// Partial charges in e.
    pub fn charges(&self) -> &[f64] {
        &self.nonbonded.charge
    }

    pub fn options(&self) -> &SystemOptions {
        &self.options
    }

    /// Per-atom parameters (template, type, mass, charge, LJ, GB radius and scale).
    pub fn atoms(&self) -> &[AtomParams] {
        &self.atoms
    }

    pub fn bonds(&self) -> &[HarmonicBond] {
        &self.bonds
    }

    pub fn angles(&self) -> &[HarmonicAngle] {
        &self.angles
    }

    /// Proper and improper torsions, one entry per Fourier term.
    pub fn torsions(&self) -> &[PeriodicTorsion] {
        &self.torsions.terms
    }

    /// The scaled 1-4 pairs.
    pub fn pairs14(&self) -> &[Pair14] {
        &self.nonbonded.pairs14
    }

    /// All pairs (i < j) left out of the regular nonbonded sum: 1-2, 1-3 and 1-4 pairs.
    pub fn excluded_pairs(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let nb = &self.nonbonded;
        (0..self.n_atoms()).flat_map(move |i| {
            nb.excluded[nb.excluded_start[i]..nb.excluded_start[i + 1]]
                .iter()
                .map(move |&j| (i, j))
        })
    }

    /// `NAME of RES NUM (atom SERIAL)`.
    pub fn atom_label(&self, i: usize) -> &str {
        &self.labels[i]
    }

    /// Check the number of positions and that all coordinates are finite; errors name the atom.
    pub fn check_positions(&self, pos: &[[f64; 3]]) -> Result<(), FfError> {
        if pos.len() != self.n_atoms() {
            return Err(FfError::PositionCount {
                expected: self.n_atoms(),
                got: pos.len(),
            });
        }
        match first_non_finite(pos) {
            None => Ok(()),
            Some((index, value)) => Err(FfError::NonFiniteCoordinate {
                atom: self.labels[index].clone(),
                index,
                value,
            }),
        }
    }

    /// Energy of every term; overwrites `forces` with the total force.
    ///
    /// Panics if `pos` or `forces` do not have one entry per atom.
    pub fn energy_terms(&self, pos: &[[f64; 3]], forces: &mut [[f64; 3]]) -> EnergyTerms {
        self.assert_len(pos.len(), "positions");
        self.assert_len(forces.len(), "forces");
        self.evaluate::<true>(pos, forces).terms()
    }

    /// Energy components (no forces).
    pub fn energy_components(&self, pos: &[[f64; 3]]) -> EnergyComponents {
        self.assert_len(pos.len(), "positions");
        self.evaluate::<false>(pos, &mut [])
    }

    /// Total potential energy only (cheaper than with forces: no chain-rule pass).
    pub fn energy(&self, pos: &[[f64; 3]]) -> f64 {
        self.energy_components(pos).total
    }

    /// Energies (and forces if given) of `n_conf` conformations stored one after another in
    /// `pos` (`n_conf × N` entries), in parallel over conformations. `energies` has `n_conf`
    /// entries, `forces` (if any) `n_conf × N`.
    pub fn energy_forces_batch(
        &self,
        pos: &[[f64; 3]],
        forces: Option<&mut [[f64; 3]]>,
        energies: &mut [f64],
    ) {
        let n = self.n_atoms();
        assert_eq!(
            pos.len(),
            n * energies.len(),
            "energy_forces_batch: {} positions for {} conformations of {n} atoms",
            pos.len(),
            energies.len()
        );
        if n == 0 {
            energies.fill(0.0);
            return;
        }
        match forces {
            Some(forces) => {
                assert_eq!(
                    forces.len(),
                    pos.len(),
                    "energy_forces_batch: forces and positions differ in length"
                );
                pos.par_chunks(n)
                    .zip(forces.par_chunks_mut(n))
                    .zip(energies.par_iter_mut())
                    .for_each(|((x, f), e)| *e = self.evaluate::<true>(x, f).total);
            }
            None => {
                pos.par_chunks(n)
                    .zip(energies.par_iter_mut())
                    .for_each(|(x, e)| *e = self.evaluate::<false>(x, &mut []).total);
            }
        }
    }

    /// GB Born radii B_i (nm) at `pos`; empty if the system has no implicit solvent.
    pub fn born_radii(&self, pos: &[[f64; 3]]) -> Vec<f64> {
        self.assert_len(pos.len(), "positions");
        match &self.gb {
            None => Vec::new(),
            Some(gb) => GB_SCRATCH.with(|s| gbsa_obc::born_radii(gb, pos, &mut s.borrow_mut())),
        }
    }

    fn assert_len(&self, got: usize, what: &str) {
        assert_eq!(got, self.n_atoms(), "{what}: expected one entry per atom");
    }

    /// All terms; with `FORCES` overwrites `forces` by −∇U.
    fn evaluate<const FORCES: bool>(
        &self,
        pos: &[[f64; 3]],
        forces: &mut [[f64; 3]],
    ) -> EnergyComponents {
        if FORCES {
            forces.fill([0.0; 3]);
        }
        let bond = harmonic_bonds::<FORCES>(&self.bonds, pos, forces);
        let angle = harmonic_angles::<FORCES>(&self.angles, pos, forces);
        let torsion = periodic_torsions::<FORCES>(&self.torsions, pos, forces);
        let nb = nonbonded::<FORCES>(&self.nonbonded, pos, forces);
        let gb = match &self.gb {
            None => Default::default(),
            Some(gb) => GB_SCRATCH
                .with(|s| gbsa_obc::gbsa_obc::<FORCES>(gb, pos, forces, &mut s.borrow_mut())),
        };
        let mut c = EnergyComponents {
            bond,
            angle,
            torsion,
            coulomb: nb.coulomb,
            lj: nb.lj,
            coulomb14: nb.coulomb14,
            lj14: nb.lj14,
            gb_self: gb.self_energy,
            gb_pair: gb.pair,
            sa: gb.surface,
            total: 0.0,
        };
        c.total = c.bond
            + c.angle
            + c.torsion
            + c.coulomb
            + c.lj
            + c.coulomb14
            + c.lj14
            + c.gb_self
            + c.gb_pair
            + c.sa;
        c
    }
}

impl Potential for System {
    fn n_atoms(&self) -> usize {
        self.atoms.len()
    }

    fn energy_forces(&self, positions: &[[f64; 3]], forces: &mut [[f64; 3]]) -> f64 {
        self.energy_terms(positions, forces).total
    }
}

/// First non-finite coordinate: (atom index, value).
pub(crate) fn first_non_finite(pos: &[[f64; 3]]) -> Option<(usize, f64)> {
    pos.iter()
        .enumerate()
        .find_map(|(i, x)| x.iter().find(|v| !v.is_finite()).map(|&v| (i, v)))
}
