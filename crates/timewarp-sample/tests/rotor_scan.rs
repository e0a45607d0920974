//! The random scan over rotors (`[fit] rotor_move_probability`) and a Gaussian mean that follows
//! the rotors (`[fit] rotor_harmonics`): in a block with a φ/ψ move each
//! rotor moves with probability p, chosen independently of the state. MH with such a kernel must
//! still sample the exact Boltzmann distribution. A 6-atom chain whose energy is a function of its
//! internal coordinates, U/kT = Σ ½((b − b₀)/σ_b)² + Σ ½((a − a₀)/σ_a)² + Σᵢ Vᵢ(tᵢ), so that each
//! torsion's marginal is ∝ e^{−Vᵢ(t)} whatever the Jacobian; its first two torsions are moved as
//! the block's "φ/ψ" by a 2-D transition histogram, the third as a rotor by a 1-D one, and
//! bonds and angles by a Crank–Nicolson Gaussian — every part off the Boltzmann distribution, so
//! that MH has work to do. χ² at α = 10⁻³ on the three torsion marginals.

mod common;

use common::chain::{hand_made_kernel, plain_sampler};
use common::{chi_square, chi_square_quantile, kt, Z_999};
use std::f64::consts::PI;
use timewarp_mol::geometry::wrap_angle;
use timewarp_mol::internal::{Dof, ZMatrix};
use timewarp_mol::{Atom, Element, Residue, Topology};
use timewarp_sample::fitted::{
    BackboneMove, Block, Features, FitConfig, FittedKernel, FittedProposal, GaussianModel,
    RotorMove, TransitionHistogram,
};
use timewarp_sample::{BatchEnergy, ProposalKernel};

const N: usize = 6;
const B0: f64 = 0.15;
const SIGMA_B: f64 = 0.02;
const A0: f64 = 2.0;
const SIGMA_A: f64 = 0.15;

/// Vᵢ(t)/kT of the three torsions: unequal wells, different for each.
fn torsion_energy_kt(i: usize, t: f64) -> f64 {
    match i {
        0 => 1.2 * t.cos() + 0.6 * (2.0 * t).cos(),
        1 => -0.8 * (t - 0.5).cos() + 0.9 * (3.0 * t).cos(),
        _ => 1.5 * (3.0 * t).cos() + 0.4 * t.sin(),
    }
}

fn chain6() -> Topology {
    Topology {
        atoms: (0..N)
            .map(|i| Atom {
                name: format!("C{i}"),
                element: Element::C,
                residue: 0,
                serial: i as i64 + 1,
            })
            .collect(),
        residues: vec![Residue {
            name: "TOY".into(),
            number: 1,
            insertion_code: ' ',
            chain: 'A',
            atoms: 0..N,
            chain_index: 0,
        }],
        bonds: (0..N - 1).map(|i| (i, i + 1)).collect(),
    }
}

/// The chart's coordinates by kind: bonds, angles, torsions.
fn dofs_by_kind(zm: &ZMatrix) -> [Vec<usize>; 3] {
    let mut kinds: [Vec<usize>; 3] = Default::default();
    for (i, d) in zm.dofs().iter().enumerate() {
        let k = match d {
            Dof::Bond { .. } => 0,
            Dof::Angle { .. } => 1,
            Dof::Torsion { .. } => 2,
        };
        kinds[k].push(i);
    }
    kinds
}

struct ChainEnergy {
    zm: ZMatrix,
    kinds: [Vec<usize>; 3],
}

impl ChainEnergy {
    fn energy(&self, x: &[[f64; 3]]) -> f64 {
        let mut q = vec![0.0; self.zm.n_dofs()];
        self.zm.to_internal(x, &mut q);
        let [bonds, angles, torsions] = &self.kinds;
        let sq = |v: f64| 0.5 * v * v;
        kt() * (bonds
            .iter()
            .map(|&j| sq((q[j] - B0) / SIGMA_B))
            .sum::<f64>()
            + angles
                .iter()
                .map(|&j| sq((q[j] - A0) / SIGMA_A))
                .sum::<f64>()
            + torsions
                .iter()
                .enumerate()
                .map(|(i, &j)| torsion_energy_kt(i, q[j]))
                .sum::<f64>())
    }
}

impl BatchEnergy for ChainEnergy {
    fn n_atoms(&self) -> usize {
        N
    }
    fn energies(&self, positions: &[[f64; 3]], energies: &mut [f64]) {
        for (e, x) in energies.iter_mut().zip(positions.chunks_exact(N)) {
            *e = self.energy(x);
        }
    }
}

/// The hand-made kernel: histograms that prefer one region and jump between neighbours, a
/// Gaussian that is off-centre and too wide.
fn kernel(rotor_move_probability: f64, rotor_harmonics: usize) -> FittedKernel {
    let top = chain6();
    let zm = ZMatrix::from_topology(&top).unwrap();
    let [bonds, angles, torsions] = dofs_by_kind(&zm);
    assert_eq!((bonds.len(), angles.len(), torsions.len()), (5, 4, 3));
    let pair_angle = |i: usize, shift: f64| {
        let a = -3.1 + 6.2 * ((i * 37) % 4000) as f64 / 4000.0;
        let b = if i.is_multiple_of(3) {
            1.0 + 0.3 * ((i % 11) as f64 - 5.0) / 5.0
        } else {
            a + shift
        };
        (wrap_angle(a), wrap_angle(b))
    };
    let backbone = TransitionHistogram::fit(
        2,
        12,
        0.05,
        (0..4000).map(|i| {
            let (a, b) = pair_angle(i, 0.4);
            let (c, d) = pair_angle(i * 7 + 3, -0.6);
            (vec![a, c], vec![b, d])
        }),
    );
    let rotor = TransitionHistogram::fit(
        1,
        24,
        0.05,
        (0..4000).map(|i| {
            let (a, b) = pair_angle(i, 0.4);
            (vec![a], vec![b])
        }),
    );
    let gauss_dofs: Vec<usize> = bonds.iter().chain(&angles).copied().collect();
    let g = gauss_dofs.len();
    // μ = W f(χ): the constant row, then (with rotor features) cos kχ, sin kχ of the rotor,
    // which move the angles with the rotor — a dependence the Boltzmann distribution does not
    // have, so MH must undo it.
    let features = Features {
        backbone: vec![],
        rotors: if rotor_harmonics > 0 {
            vec![torsions[2]]
        } else {
            vec![]
        },
        rotor_harmonics,
    };
    let mut mean = vec![0.0; features.len() * g];
    for j in 0..g {
        mean[j] = if j < 5 { B0 + 0.005 } else { A0 - 0.05 };
        for f in 1..features.len() {
            mean[f * g + j] = if j < 5 { 0.003 } else { 0.04 } / f as f64;
        }
    }
    let mut covariance = vec![0.0; g * g];
    for j in 0..g {
        let s = if j < 5 { 1.2 * SIGMA_B } else { 1.2 * SIGMA_A };
        covariance[j * g + j] = s * s;
    }
    let block = Block {
        label: "chain".into(),
        backbone: Some(BackboneMove {
            phi: torsions[0],
            psi: torsions[1],
            transitions: backbone,
        }),
        rotors: vec![RotorMove {
            dof: torsions[2],
            transitions: rotor,
        }],
        gaussian: (0..g).collect(),
    };
    let gaussian = GaussianModel {
        dofs: gauss_dofs,
        periodic: vec![false; g],
        features,
        weights: mean,
        covariance,
    };
    let fit = FitConfig {
        rest_correlation: 0.5,
        rotor_move_probability,
        ..FitConfig::default()
    };
    hand_made_kernel(&top, zm, block, gaussian, fit)
}

/// Torsion samples of 8 chains (after burn-in, every `thin`-th step) and the acceptance.
fn run(kernel: &mut dyn ProposalKernel, samples_per_chain: u64, thin: u64) -> ([Vec<f64>; 3], f64) {
    let zm = ZMatrix::from_topology(&chain6()).unwrap();
    let energy = ChainEnergy {
        kinds: dofs_by_kind(&zm),
        zm,
    };
    let [bonds, angles, torsions] = energy.kinds.clone();
    let mut q0 = vec![0.0; energy.zm.n_dofs()];
    bonds.iter().for_each(|&j| q0[j] = B0);
    angles.iter().for_each(|&j| q0[j] = A0);
    torsions.iter().for_each(|&j| q0[j] = 1.0);
    let mut start = vec![[0.0; 3]; N];
    energy.zm.to_cartesian(&q0, &Default::default(), &mut start);
    let mut sampler = plain_sampler(&start, energy.energy(&start), 8, 37);
    let burn_in = 100;
    let mut t: [Vec<f64>; 3] = Default::default();
    let mut q = vec![0.0; energy.zm.n_dofs()];
    let mut sink = |r: timewarp_sample::Recorded<'_>| {
        if r.step > burn_in && r.step.is_multiple_of(thin) {
            energy.zm.to_internal(r.x, &mut q);
            for (i, &j) in torsions.iter().enumerate() {
                t[i].push(q[j]);
            }
        }
    };
    while sampler
        .iterate(
            kernel,
            &energy,
            burn_in + samples_per_chain * thin,
            &mut sink,
        )
        .unwrap()
    {}
    (t, sampler.total_stats().acceptance_rate())
}

/// χ² of each torsion's histogram (20 bins) against its exact marginal ∝ e^{−Vᵢ}.
fn chi2s(t: &[Vec<f64>; 3]) -> [f64; 3] {
    let bins = 20;
    let w = 2.0 * PI / bins as f64;
    std::array::from_fn(|i| {
        let mass: Vec<f64> = (0..bins)
            .map(|b| {
                // Midpoint rule on 50 points per bin.
                (0..50)
                    .map(|k| {
                        (-torsion_energy_kt(i, -PI + (b as f64 + (k as f64 + 0.5) / 50.0) * w))
                            .exp()
                    })
                    .sum::<f64>()
            })
            .collect();
        let z: f64 = mass.iter().sum();
        let p: Vec<f64> = mass.iter().map(|m| m / z).collect();
        let mut h = vec![0.0; bins];
        for &v in &t[i] {
            h[(((v + PI) / w).floor() as usize).min(bins - 1)] += 1.0;
        }
        chi_square(&h, &p)
    })
}

#[test]
fn a_random_scan_over_the_rotors_samples_the_exact_torsion_marginals() {
    let critical = chi_square_quantile(19, Z_999);
    let mut acceptance = vec![];
    for p in [1.0, 0.3] {
        let mut k = FittedProposal::new(kernel(p, 0)).unwrap();
        let (t, acc) = run(&mut k, 4000, 40);
        let c = chi2s(&t);
        eprintln!(
            "p = {p}: acceptance {acc:.3}, χ² φ {:.1} ψ {:.1} rotor {:.1} (critical {critical:.1})",
            c[0], c[1], c[2]
        );
        assert!(
            c.iter().all(|&v| v < critical),
            "p = {p}: χ² {c:?} above {critical}"
        );
        acceptance.push(acc);
    }
    // Leaving the rotor alone more often is what the option is for: more moves accepted.
    assert!(acceptance[1] > acceptance[0], "{acceptance:?}");
}

#[test]
fn a_gaussian_mean_that_follows_the_rotor_keeps_the_chain_exact() {
    // The angles' mean moves with the rotor (two harmonics); the rotor moves with p = 0.5. The
    // mean is evaluated at the new rotor forward and at the current one in reverse.
    let critical = chi_square_quantile(19, Z_999);
    let kernel = kernel(0.5, 2);
    assert_eq!(kernel.gaussian.features.len(), 5);
    let mut k = FittedProposal::new(kernel).unwrap();
    let (t, acc) = run(&mut k, 4000, 40);
    let c = chi2s(&t);
    eprintln!(
        "rotor features: acceptance {acc:.3}, χ² φ {:.1} ψ {:.1} rotor {:.1}",
        c[0], c[1], c[2]
    );
    assert!(c.iter().all(|&v| v < critical), "χ² {c:?} above {critical}");
}

#[test]
fn a_kernel_file_without_the_newer_settings_proposes_as_it_was_made() {
    // Kernel files written before ρ, w and p existed were made with ρ = 0, w = 0, p = 1; a
    // `[fit]` section that leaves them out gets today's defaults instead.
    let mut v = serde_json::to_value(kernel(0.3, 0)).unwrap();
    let fit = v["fit"].as_object_mut().unwrap();
    for name in [
        "rest_correlation",
        "marginal_mix",
        "rotor_move_probability",
        "rotor_harmonics",
    ] {
        fit.remove(name);
    }
    // The features as written before rotor features: no `rotors`, no `rotor_harmonics`.
    let features = v["gaussian"]["features"].as_object_mut().unwrap();
    features.remove("rotors");
    features.remove("rotor_harmonics");
    let old: FittedKernel = serde_json::from_value(v).unwrap();
    assert_eq!(
        (
            old.fit.rest_correlation,
            old.fit.marginal_mix,
            old.fit.rotor_move_probability,
            old.fit.rotor_harmonics
        ),
        (0.0, 0.0, 1.0, 0)
    );
    assert!(old.gaussian.features.rotors.is_empty());
    assert!(old.validate().is_ok());
    let section: FitConfig = toml::from_str("lag_ps = 5.0").unwrap();
    assert_eq!(
        section,
        FitConfig {
            lag_ps: 5.0,
            ..FitConfig::default()
        }
    );
}
