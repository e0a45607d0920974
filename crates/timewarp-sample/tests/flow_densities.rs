//! The flow as a proposal kernel (f64, tiny random model, alanine dipeptide): the proposal
//! densities agree with the flow's likelihood in both directions, and the latent of a proposal
//! is the scaled base noise. In its own test binary: burn 0.21 keys default dtypes by device,
//! so f64 and f32 ndarray models must not share a process.
#![allow(clippy::needless_range_loop)]

use std::path::{Path, PathBuf};

use burn::backend::NdArray;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use timewarp_flow::{
    preset, to_host_scalars, to_host_vectors, FlowBatch, FlowConfig, PairExample, TimewarpFlow,
};
use timewarp_mol::read_pdb;
use timewarp_sample::{FlowProposal, ProposalKernel, ProposalRequest, Proposals};

fn ala2() -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/ala2.pdb"
    ))
    .to_path_buf()
}

/// The `tiny` preset with a small base scale for positions (σ_p = 0.02 nm).
fn tiny() -> FlowConfig {
    FlowConfig {
        coords_prior_log_scale: 0.02f64.ln(),
        ..preset("tiny").unwrap()
    }
}

fn normals(rng: &mut ChaCha8Rng, n: usize) -> Vec<[f64; 3]> {
    (0..n)
        .map(|_| [0; 3].map(|_| rng.sample(StandardNormal)))
        .collect()
}

#[test]
fn flow_densities_match_the_likelihood() {
    type B = NdArray<f64>;
    let device = Default::default();
    let pdb = read_pdb(&ala2()).unwrap();
    let n = pdb.topology.n_atoms();
    let cfg = tiny();
    let flow = TimewarpFlow::<B>::new(&cfg, &device);
    let check = TimewarpFlow::<B>::new(&cfg, &device);
    let mut kernel = FlowProposal::new(flow, &pdb.topology, device).unwrap();
    let b = 3;
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let x: Vec<[f64; 3]> = (0..b)
        .flat_map(|_| pdb.positions().iter().copied())
        .collect();
    let (v, z_x, z_v) = (
        normals(&mut rng, b * n),
        normals(&mut rng, b * n),
        normals(&mut rng, b * n),
    );
    let mut out = Proposals::default();
    let shape = kernel.shape();
    out.resize(n, shape.aux, b);
    // The noise of proposal k: its z_x, then its z_v.
    let z: Vec<f64> = (0..b)
        .flat_map(|k| {
            z_x[k * n..(k + 1) * n]
                .iter()
                .chain(&z_v[k * n..(k + 1) * n])
                .flatten()
                .copied()
        })
        .collect();
    let v_flat: Vec<f64> = v.iter().flatten().copied().collect();
    kernel
        .propose(
            &ProposalRequest {
                shape,
                x: &x,
                v: &v_flat,
                z: &z,
                u: &[],
                reverse_density: true,
            },
            &mut out,
        )
        .unwrap();
    let w = timewarp_sample::kernel::as_vectors(&out.w).to_vec();
    assert!(out
        .y
        .iter()
        .chain(&w)
        .all(|a| a.iter().all(|c| c.is_finite())));
    assert!(out
        .log_q_forward
        .iter()
        .chain(&out.log_q_reverse)
        .all(|l| l.is_finite()));
    assert_ne!(out.log_q_forward, out.log_q_reverse);

    // Independent evaluation with a second copy of the model (same seed, same weights).
    let types: Vec<i64> = pdb
        .topology
        .atoms
        .iter()
        .map(|a| timewarp_flow::atom_type_of(a.element).unwrap())
        .collect();
    // The pairs (x_k, v_k) → (y_k, w_k), uploaded by the flow's own batch builder.
    fn molecule(a: &[[f64; 3]], k: usize, n: usize) -> &[[f64; 3]] {
        &a[k * n..(k + 1) * n]
    }
    let pairs: Vec<PairExample<'_>> = (0..b)
        .map(|k| PairExample {
            atom_types: &types,
            x_coords: molecule(&x, k, n),
            x_velocs: molecule(&v, k, n),
            y_coords: molecule(&out.y, k, n),
            y_velocs: molecule(&w, k, n),
        })
        .collect();
    let forward = FlowBatch::<B>::from_examples(&pairs, None, &device).unwrap();
    // log q(y, w | x, v) from sampling equals the likelihood of the pair (data → latent).
    let lp = to_host_scalars(check.log_prob(&forward));
    for k in 0..b {
        assert!(
            (lp[k] - out.log_q_forward[k]).abs() < 1e-9 * lp[k].abs().max(1.0),
            "{} vs {}",
            lp[k],
            out.log_q_forward[k]
        );
    }
    // ...and the latent of the proposal is the scaled noise z = (σ_p ε_p, σ_v ε_v).
    let (sp, sv) = check.prior_scales();
    let latent = check.data_to_latent(&forward);
    let (zc, zv) = (
        to_host_vectors(latent.z_coords),
        to_host_vectors(latent.z_velocs),
    );
    for k in 0..b {
        for i in 0..n {
            for c in 0..3 {
                assert!((zc[k][i][c] - sp * z_x[k * n + i][c]).abs() < 1e-9);
                assert!((zv[k][i][c] - sv * z_v[k * n + i][c]).abs() < 1e-9);
            }
        }
    }
    // log q(x, v | y, w): conditioning and target exchanged, velocities not negated.
    let reverse = forward.reversed();
    let lr = to_host_scalars(check.log_prob(&reverse));
    for k in 0..b {
        assert!((lr[k] - out.log_q_reverse[k]).abs() < 1e-9 * lr[k].abs().max(1.0));
    }
}
