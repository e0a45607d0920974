//! A 4-atom chain whose Boltzmann marginals are known in closed form: with
//! U = Σ ½k_b(b − b₀)² + Σ ½k_a(a − a₀)² + V(t), the bond marginal is ∝ b² e^{−βk_b(b−b₀)²/2},
//! the angle marginal ∝ sin a e^{−βk_a(a−a₀)²/2} (the Jacobian of the chart) and the torsion
//! marginal ∝ e^{−βV(t)}; a hand-made fitted kernel for it, and χ² tests of chains on it.
#![allow(dead_code)]

use super::{chi_square, chi_square_quantile, kt, TEMPERATURE, Z_999};
use timewarp_mol::geometry::{angle, dihedral, distance};
use timewarp_mol::internal::ZMatrix;
use timewarp_mol::{Atom, Element, Residue, Topology};
use timewarp_sample::fitted::{
    Block, Features, FitConfig, FittedKernel, GaussianModel, MoleculeIdentity, RotorMove,
    TransitionHistogram, KERNEL_FORMAT, KERNEL_VERSION,
};
use timewarp_sample::mh::beta;
use timewarp_sample::{
    AcceptanceRule, BatchEnergy, ChiralityGuard, ProposalKernel, Sampler, VelocityRefresh,
};

pub const B0: f64 = 0.15;
pub const SIGMA_B: f64 = 0.02;
pub const A0: f64 = 2.3;
pub const SIGMA_A: f64 = 0.2;

/// V(t)/kT: two unequal wells.
pub fn torsion_energy_kt(t: f64) -> f64 {
    1.2 * t.cos() + 0.9 * (2.0 * t).cos()
}

/// Atoms 0–1–2–3, all carbons, one residue.
pub fn chain() -> Topology {
    let atoms = (0..4)
        .map(|i| Atom {
            name: format!("C{i}"),
            element: Element::C,
            residue: 0,
            serial: i as i64 + 1,
        })
        .collect();
    let residues = vec![Residue {
        name: "TOY".into(),
        number: 1,
        insertion_code: ' ',
        chain: 'A',
        atoms: 0..4,
        chain_index: 0,
    }];
    Topology {
        atoms,
        residues,
        bonds: vec![(0, 1), (1, 2), (2, 3)],
    }
}

pub struct ChainEnergy;

impl ChainEnergy {
    pub fn energy(x: &[[f64; 3]]) -> f64 {
        let kt = kt();
        let bond = |i: usize, j: usize| 0.5 * ((distance(x[i], x[j]) - B0) / SIGMA_B).powi(2);
        let ang =
            |i: usize, j: usize, k: usize| 0.5 * ((angle(x[i], x[j], x[k]) - A0) / SIGMA_A).powi(2);
        kt * (bond(0, 1)
            + bond(1, 2)
            + bond(2, 3)
            + ang(0, 1, 2)
            + ang(1, 2, 3)
            + torsion_energy_kt(dihedral(x[0], x[1], x[2], x[3])))
    }
}

impl BatchEnergy for ChainEnergy {
    fn n_atoms(&self) -> usize {
        4
    }
    fn energies(&self, positions: &[[f64; 3]], energies: &mut [f64]) {
        for (e, x) in energies.iter_mut().zip(positions.chunks_exact(4)) {
            *e = Self::energy(x);
        }
    }
}

/// A hand-made kernel for the chain: a rotor move from a transition histogram that is *not*
/// the Boltzmann marginal, and an independence Gaussian over bonds and angles that is off-centre
/// and too wide — so that MH has work to do.
pub fn kernel() -> FittedKernel {
    let top = chain();
    let zm = ZMatrix::from_topology(&top).unwrap();
    assert_eq!(zm.n_dofs(), 6);
    let rotor = zm.rotors();
    assert_eq!(
        rotor,
        vec![5],
        "the central torsion is the chain's one rotor"
    );
    // Pairs that prefer t ≈ 1 and jump between neighbours.
    let pairs = (0..4000).map(|i| {
        let a = -3.1 + 6.2 * ((i * 37) % 4000) as f64 / 4000.0;
        let b = if i % 3 == 0 {
            1.0 + 0.3 * ((i % 11) as f64 - 5.0) / 5.0
        } else {
            a + 0.4
        };
        (
            vec![timewarp_mol::geometry::wrap_angle(a)],
            vec![timewarp_mol::geometry::wrap_angle(b)],
        )
    });
    let transitions = TransitionHistogram::fit(1, 24, 0.05, pairs);
    let gauss_dofs: Vec<usize> = (0..5).collect();
    let mean = [0.16, 0.145, 2.2, 0.155, 2.35];
    let std = [0.03, 0.03, 0.3, 0.03, 0.3];
    let mut covariance = vec![0.0; 25];
    for j in 0..5 {
        covariance[j * 5 + j] = std[j] * std[j];
    }
    covariance[1] = 0.3 * std[0] * std[1];
    covariance[5] = covariance[1];
    let block = Block {
        label: "chain".into(),
        backbone: None,
        rotors: vec![RotorMove {
            dof: 5,
            transitions,
        }],
        gaussian: (0..5).collect(),
    };
    let gaussian = GaussianModel {
        dofs: gauss_dofs,
        periodic: vec![false; 5],
        features: Features::backbone(vec![]),
        weights: mean.to_vec(),
        covariance,
    };
    // Independent innovations; tests set ρ where they test the Crank–Nicolson move.
    let fit = FitConfig {
        rest_correlation: 0.0,
        ..FitConfig::default()
    };
    hand_made_kernel(&top, zm, block, gaussian, fit)
}

/// A kernel of the molecule `top` made by hand (no MD behind it): one block.
pub fn hand_made_kernel(
    top: &Topology,
    zmatrix: ZMatrix,
    block: Block,
    gaussian: GaussianModel,
    fit: FitConfig,
) -> FittedKernel {
    FittedKernel {
        format: KERNEL_FORMAT.into(),
        version: KERNEL_VERSION,
        molecule: MoleculeIdentity::of(top),
        zmatrix,
        tau_ps: 1.0,
        md_temperature_k: None,
        sources: vec![],
        blocks: vec![block],
        gaussian,
        fit,
    }
}

pub struct Samples {
    pub bond: Vec<f64>,
    pub angle: Vec<f64>,
    pub torsion: Vec<f64>,
    pub acceptance: f64,
}

pub fn run(
    kernel: &mut dyn ProposalKernel,
    samples_per_chain: u64,
    thin: u64,
    seed: u64,
) -> Samples {
    run_chains(kernel, 8, samples_per_chain, thin, seed)
}

/// [`run`] with `chains` chains advanced together (one batched kernel call per iteration).
pub fn run_chains(
    kernel: &mut dyn ProposalKernel,
    chains: usize,
    samples_per_chain: u64,
    thin: u64,
    seed: u64,
) -> Samples {
    let burn_in = 100;
    let zm = ZMatrix::from_topology(&chain()).unwrap();
    // Start: every coordinate at its reference value, t = 1, in the lab frame.
    let mut start = vec![[0.0; 3]; 4];
    zm.to_cartesian(&[B0, B0, A0, B0, A0, 1.0], &Default::default(), &mut start);
    let mut sampler = plain_sampler(&start, ChainEnergy::energy(&start), chains, seed);
    let mut s = Samples {
        bond: vec![],
        angle: vec![],
        torsion: vec![],
        acceptance: 0.0,
    };
    let mut sink = |r: timewarp_sample::Recorded<'_>| {
        if r.step > burn_in && r.step.is_multiple_of(thin) {
            s.bond.push(distance(r.x[0], r.x[1]));
            s.angle.push(angle(r.x[0], r.x[1], r.x[2]));
            s.torsion.push(dihedral(r.x[0], r.x[1], r.x[2], r.x[3]));
        }
    };
    while sampler
        .iterate(
            kernel,
            &ChainEnergy,
            burn_in + samples_per_chain * thin,
            &mut sink,
        )
        .unwrap()
    {}
    s.acceptance = sampler.total_stats().acceptance_rate();
    s
}

/// Plain Metropolis–Hastings (one proposal per step) of `chains` chains from `start` (energy
/// `energy`), no chirality guard, at [`TEMPERATURE`].
pub fn plain_sampler(start: &[[f64; 3]], energy: f64, chains: usize, seed: u64) -> Sampler {
    let rule = AcceptanceRule::Metropolis {
        proposals: 1,
        adaptive: false,
        target_at_least_one: 0.9,
        smoothing: 0.01,
        velocity_refresh: VelocityRefresh::PerProposal,
    };
    Sampler::new(
        start,
        energy,
        chains,
        seed,
        rule,
        beta(TEMPERATURE),
        ChiralityGuard::disabled(),
    )
    .unwrap()
}

/// Bin probabilities of the density ∝ `f` on [lo, hi] (Simpson's rule per bin).
fn bin_probabilities(f: impl Fn(f64) -> f64, lo: f64, hi: f64, bins: usize) -> Vec<f64> {
    let w = (hi - lo) / bins as f64;
    let simpson = |a: f64, b: f64| {
        let m = 100;
        let dx = (b - a) / m as f64;
        (0..=m)
            .map(|i| {
                f(a + i as f64 * dx)
                    * if i == 0 || i == m {
                        1.0
                    } else if i % 2 == 1 {
                        4.0
                    } else {
                        2.0
                    }
            })
            .sum::<f64>()
            * dx
            / 3.0
    };
    let mass: Vec<f64> = (0..bins)
        .map(|i| simpson(lo + i as f64 * w, lo + (i + 1) as f64 * w))
        .collect();
    let z: f64 = mass.iter().sum();
    mass.iter().map(|m| m / z).collect()
}

fn histogram(x: &[f64], lo: f64, hi: f64, bins: usize) -> Vec<f64> {
    let mut h = vec![0.0; bins];
    for &v in x {
        h[(((v - lo) / (hi - lo) * bins as f64)
            .floor()
            .clamp(0.0, bins as f64 - 1.0)) as usize] += 1.0;
    }
    h
}

/// χ² of the bond, angle and torsion histograms against the exact marginals.
pub fn chi2s(s: &Samples) -> [f64; 3] {
    let bins = 20;
    let (blo, bhi) = (B0 - 5.0 * SIGMA_B, B0 + 5.0 * SIGMA_B);
    let pb = bin_probabilities(
        |b| b * b * (-0.5 * ((b - B0) / SIGMA_B).powi(2)).exp(),
        blo,
        bhi,
        bins,
    );
    let (alo, ahi) = (A0 - 5.0 * SIGMA_A, A0 + 4.0 * SIGMA_A);
    let pa = bin_probabilities(
        |a| a.sin() * (-0.5 * ((a - A0) / SIGMA_A).powi(2)).exp(),
        alo,
        ahi,
        bins,
    );
    let pt = bin_probabilities(
        |t| (-torsion_energy_kt(t)).exp(),
        -std::f64::consts::PI,
        std::f64::consts::PI,
        bins,
    );
    [
        chi_square(&histogram(&s.bond, blo, bhi, bins), &pb),
        chi_square(&histogram(&s.angle, alo, ahi, bins), &pa),
        chi_square(
            &histogram(
                &s.torsion,
                -std::f64::consts::PI,
                std::f64::consts::PI,
                bins,
            ),
            &pt,
        ),
    ]
}

pub fn critical() -> f64 {
    chi_square_quantile(19, Z_999)
}

/// Asserts that the bond, angle and torsion histograms of `s` pass the χ² test against the exact
/// marginals (and prints them under `label`).
pub fn assert_exact_marginals(label: &str, s: &Samples) {
    let c = chi2s(s);
    eprintln!(
        "{label}: {} samples, acceptance {:.3}, chi2 bond {:.1} angle {:.1} torsion {:.1} (critical {:.1})",
        s.bond.len(),
        s.acceptance,
        c[0],
        c[1],
        c[2],
        critical()
    );
    for (what, v) in ["bond", "angle", "torsion"].iter().zip(c) {
        assert!(
            v < critical(),
            "{label}, {what}: chi-square {v:.1} ≥ {:.1}",
            critical()
        );
    }
}
