//! The Timewarp flow in the internal-coordinate chart as a proposal (f64, tiny models, the 4-atom
//! chain with closed-form marginals): exact MH with a random, non-identity flow (χ²), also with
//! a Crank–Nicolson base; the identity flow is exactly the fitted kernel (both bases); proposals do not depend on the molecule's
//! orientation; a saved model proposes identically after loading.

mod common;

use burn::backend::NdArray;
use common::chain::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use timewarp_flow::{preset, save_checkpoint, TimewarpFlow};
use timewarp_mol::internal::ZMatrix;
use timewarp_sample::fitted::FittedKernel;
use timewarp_sample::{
    flow_kernel, FittedProposal, InternalFlowProposal, KernelShape, ProposalKernel,
    ProposalRequest, Proposals,
};

type B = NdArray<f64>;

fn flow(seed: u64, identity: bool) -> TimewarpFlow<B> {
    let f =
        TimewarpFlow::<B>::try_new(&preset("ic-tiny").unwrap(), seed, &Default::default()).unwrap();
    if identity {
        f.with_identity_couplings()
    } else {
        f
    }
}

fn ic_kernel(seed: u64, identity: bool) -> InternalFlowProposal<B> {
    InternalFlowProposal::new(flow(seed, identity), kernel(), &chain(), Default::default()).unwrap()
}

/// A start conformation of the chain and `b` proposals' noise for a kernel of `shape`.
fn request_data(
    shape: KernelShape,
    b: usize,
    seed: u64,
) -> (Vec<[f64; 3]>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let zm = ZMatrix::from_topology(&chain()).unwrap();
    let mut x = vec![[0.0; 3]; 4];
    zm.to_cartesian(
        &[0.152, 0.147, 2.25, 0.149, 2.35, 0.9],
        &Default::default(),
        &mut x,
    );
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let xs: Vec<[f64; 3]> = (0..b).flat_map(|_| x.iter().copied()).collect();
    let mut normal = |n: usize| {
        (0..n)
            .map(|_| rng.sample::<f64, _>(StandardNormal))
            .collect::<Vec<f64>>()
    };
    let (v, z) = (normal(b * shape.aux), normal(b * shape.normals));
    let u: Vec<f64> = (0..b * shape.uniforms)
        .map(|_| rng.random::<f64>())
        .collect();
    (xs, v, z, u)
}

fn propose(
    k: &mut dyn ProposalKernel,
    x: &[[f64; 3]],
    v: &[f64],
    z: &[f64],
    u: &[f64],
    b: usize,
) -> Proposals {
    let shape = k.shape();
    let mut out = Proposals::default();
    out.resize(4, shape.aux, b);
    k.propose(
        &ProposalRequest {
            shape,
            x,
            v,
            z,
            u,
            reverse_density: true,
        },
        &mut out,
    )
    .unwrap();
    out
}

#[test]
fn random_internal_flow_with_a_crank_nicolson_base_samples_the_exact_marginals() {
    let mut fitted = kernel();
    fitted.fit.rest_correlation = 0.8;
    let mut k =
        InternalFlowProposal::new(flow(4, false), fitted, &chain(), Default::default()).unwrap();
    let s = run_chains(&mut k, 32, 250, 40, 37);
    assert!(s.acceptance > 0.02, "acceptance {}", s.acceptance);
    assert_exact_marginals("flow, ρ = 0.8", &s);
}

#[test]
fn random_internal_flow_samples_the_exact_marginals() {
    let mut k = ic_kernel(3, false);
    let s = run_chains(&mut k, 32, 250, 40, 31);
    assert!(s.acceptance > 0.02, "acceptance {}", s.acceptance);
    assert_exact_marginals("flow", &s);
}

/// With identity couplings the flow is its base: the same proposals and MH exponents as the
/// fitted kernel fed the same innovations (the flow's auxiliary variables cancel exactly), with
/// independent innovations (ρ = 0) and with the Crank–Nicolson move around the current ones.
#[test]
fn identity_flow_is_exactly_the_fitted_kernel() {
    for rho in [0.0, 0.7] {
        identity_flow_matches_fitted(rho);
    }
}

fn identity_flow_matches_fitted(rho: f64) {
    let b = 16;
    let mut k = kernel();
    k.fit.rest_correlation = rho;
    let mut ic =
        InternalFlowProposal::new(flow(1, true), k.clone(), &chain(), Default::default()).unwrap();
    let (x, v, z, u) = request_data(ic.shape(), b, 5);
    let out_ic = propose(&mut ic, &x, &v, &z, &u, b);
    // The fitted kernel's noise: the flow's positional noise at each Gaussian variable's slot
    // (component c of atom a at 3a + c), in the kernel's variable order.
    let slots: Vec<usize> = k.blocks[0]
        .gaussian
        .iter()
        .map(|&v| match k.zmatrix.dofs()[k.gaussian.dofs[v]] {
            timewarp_mol::internal::Dof::Bond { atom } => 3 * atom,
            timewarp_mol::internal::Dof::Angle { atom } => 3 * atom + 1,
            timewarp_mol::internal::Dof::Torsion { atom, .. } => 3 * atom + 2,
        })
        .collect();
    let mut fitted = FittedProposal::new(k).unwrap();
    let shape = fitted.shape();
    let z_fit: Vec<f64> = (0..b)
        .flat_map(|j| slots.iter().map(move |&s| (j, s)))
        .map(|(j, s)| z[j * 24 + s])
        .collect();
    let u_fit: Vec<f64> = (0..b)
        .flat_map(|j| u[j * shape.uniforms..(j + 1) * shape.uniforms].to_vec())
        .collect();
    let out_fit = propose(&mut fitted, &x, &[], &z_fit, &u_fit, b);
    for j in 0..b {
        for (a, c) in out_ic.y_of(j).iter().zip(out_fit.y_of(j)) {
            for d in 0..3 {
                assert!(
                    (a[d] - c[d]).abs() < 1e-12,
                    "ρ = {rho}, proposal {j}: {a:?} vs {c:?}"
                );
            }
        }
        let kinetic = 0.5
            * (out_ic.w_of(j).iter().map(|w| w * w).sum::<f64>()
                - v[j * 12..(j + 1) * 12].iter().map(|w| w * w).sum::<f64>());
        let e_ic = out_ic.log_q_forward[j] - out_ic.log_q_reverse[j] + kinetic;
        let e_fit = out_fit.log_q_forward[j] - out_fit.log_q_reverse[j];
        assert!(
            (e_ic - e_fit).abs() < 1e-9,
            "ρ = {rho}, proposal {j}: exponent {e_ic} vs fitted {e_fit}"
        );
    }
}

/// Rotating and translating the conformation rotates the proposal with it and leaves every
/// density unchanged: the conditioner sees the skeleton in the chart's root frame.
#[test]
fn proposals_do_not_depend_on_the_orientation() {
    let b = 6;
    let mut k = ic_kernel(7, false);
    let (x, v, z, u) = request_data(k.shape(), b, 9);
    let a = propose(&mut k, &x, &v, &z, &u, b);
    // Rotation by 1.1 rad about (1, 2, 2)/3 and a shift.
    let axis = [1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0];
    let (s, c) = 1.1f64.sin_cos();
    let rot = |p: [f64; 3]| -> [f64; 3] {
        let kxp = [
            axis[1] * p[2] - axis[2] * p[1],
            axis[2] * p[0] - axis[0] * p[2],
            axis[0] * p[1] - axis[1] * p[0],
        ];
        let kp = axis[0] * p[0] + axis[1] * p[1] + axis[2] * p[2];
        std::array::from_fn(|i| {
            p[i] * c + kxp[i] * s + axis[i] * kp * (1.0 - c) + [0.3, -1.0, 2.0][i]
        })
    };
    let xr: Vec<[f64; 3]> = x.iter().map(|p| rot(*p)).collect();
    let r = propose(&mut k, &xr, &v, &z, &u, b);
    for j in 0..b {
        assert!(
            (a.log_q_forward[j] - r.log_q_forward[j]).abs() < 1e-9,
            "{} vs {}",
            a.log_q_forward[j],
            r.log_q_forward[j]
        );
        assert!((a.log_q_reverse[j] - r.log_q_reverse[j]).abs() < 1e-9);
        for (p, q) in a.y_of(j).iter().zip(r.y_of(j)) {
            let pr = rot(*p);
            assert!(
                (0..3).all(|d| (pr[d] - q[d]).abs() < 1e-10),
                "{pr:?} vs {q:?}"
            );
        }
    }
}

#[test]
fn a_saved_internal_model_proposes_identically_after_loading() {
    let dir = std::env::temp_dir().join(format!("timewarp-icflow-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let f = flow(4, false);
    save_checkpoint(&dir, &f, f.config()).unwrap();
    kernel().save(&dir).unwrap();
    let mut loaded = flow_kernel::<B>(&dir, &chain(), Default::default()).unwrap();
    let mut original = ic_kernel(4, false);
    let b = 5;
    let (x, v, z, u) = request_data(original.shape(), b, 2);
    let a = propose(&mut original, &x, &v, &z, &u, b);
    let l = propose(loaded.as_mut(), &x, &v, &z, &u, b);
    assert_eq!(a.y, l.y);
    assert_eq!(a.log_q_forward, l.log_q_forward);
    assert_eq!(a.log_q_reverse, l.log_q_reverse);
    assert_eq!(FittedKernel::load(&dir).unwrap(), kernel());
    std::fs::remove_dir_all(&dir).unwrap();
}
