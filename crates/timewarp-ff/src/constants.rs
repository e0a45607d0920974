//! Physical constants and fixed model parameters, with the exact values OpenMM 8.6.1 uses
//! (shared/forcefield/NOTES.md §1).

/// Coulomb constant 1/(4π ε₀) of OpenMM's `NonbondedForce` (CODATA 2018), kJ mol⁻¹ nm e⁻².
pub const ONE_4PI_EPS0: f64 = 138.935_457_644_381_98;

/// Coulomb constant written as a literal into OpenMM's GB-OBC `CustomGBForce` expressions,
/// kJ mol⁻¹ nm e⁻². Differs from [`ONE_4PI_EPS0`] by 2e-7 relative; kept to match OpenMM.
pub const GB_COULOMB: f64 = 138.935_485;

/// Boltzmann constant k_B in kJ mol⁻¹ K⁻¹ (1.380649e-23 J/K × 6.02214076e23 / 1000).
pub const BOLTZ: f64 = 0.008_314_462_618_153_24;

/// Dielectric constant inside the solute (GB).
pub const SOLUTE_DIELECTRIC: f64 = 1.0;
/// Dielectric constant of the implicit solvent (GB).
pub const SOLVENT_DIELECTRIC: f64 = 78.5;
/// Reaction-field dielectric that OpenMM's implicit-solvent scripts set on the NonbondedForce.
pub const REACTION_FIELD_DIELECTRIC: f64 = 1.0;

/// Offset subtracted from the intrinsic GB radius ρ: `or = ρ − 0.009 nm`.
pub const GB_DIELECTRIC_OFFSET: f64 = 0.009;

/// Prefactor of the ACE non-polar surface term, kJ mol⁻¹ nm⁻²
/// (4π × 0.0054 kcal mol⁻¹ Å⁻² × 4.184 × 100, as written in OpenMM's expression).
pub const SA_PREFACTOR: f64 = 28.391_955_1;
/// Solvent probe radius of the ACE surface term, nm.
pub const SA_PROBE_RADIUS: f64 = 0.14;

/// OBC1 (Amber igb=2) Born-radius rescaling: tanh(α ψ − β ψ² + γ ψ³).
pub const OBC1_ALPHA_BETA_GAMMA: (f64, f64, f64) = (0.8, 0.0, 2.909_125);
/// OBC2 (Amber igb=5) Born-radius rescaling: tanh(α ψ − β ψ² + γ ψ³).
pub const OBC2_ALPHA_BETA_GAMMA: (f64, f64, f64) = (1.0, 0.8, 4.85);
