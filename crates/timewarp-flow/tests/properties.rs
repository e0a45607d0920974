//! Mathematical properties of the flow on small random models.

mod common;

use burn::backend::{Autodiff, NdArray};
use burn::module::AutodiffModule;
use burn::tensor::{Tensor, TensorData};
use common::{batch, condition, host, tiny_config, tiny_model, Molecule};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use timewarp_flow::host::{float_options, float_tensor, int_options};
use timewarp_flow::{preset, BatchError, FlowBatch, PairExample, TimewarpFlow, PRESET_NAMES};

type F32 = NdArray<f32>;
type F64 = NdArray<f64>;

fn max_scaled_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs().max(1.0))
        .fold(0.0, f64::max)
}

#[test]
fn sampling_inverts_the_density_direction() {
    let device = Default::default();
    let model = tiny_model::<F32>(3, &device);
    let molecules = [
        Molecule::random(6, 1),
        Molecule::random(4, 2),
        Molecule::random(6, 3),
    ];
    let cond = condition::<F32>(&molecules, &device);
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let z_coords = Tensor::<F32, 3>::random(
        [3, 6, 3],
        burn::tensor::Distribution::Normal(0.0, 0.5),
        float_options::<F32>(&device),
    );
    let z_velocs = Tensor::<F32, 3>::random(
        [3, 6, 3],
        burn::tensor::Distribution::Normal(0.0, 1.2),
        float_options::<F32>(&device),
    );
    let sample = model.sample_with_latents(&cond, z_coords.clone(), z_velocs.clone());
    let pair = cond.with_targets(sample.y_coords.clone(), sample.y_velocs.clone());
    let latent = model.data_to_latent(&pair);
    let round_trip = host(latent.log_prob());
    assert!(max_scaled_diff(&host(latent.z_coords), &host(z_coords)) < 1e-5);
    assert!(max_scaled_diff(&host(latent.z_velocs), &host(z_velocs)) < 1e-5);
    assert!(
        max_scaled_diff(&round_trip, &host(sample.log_prob.clone())) < 1e-5,
        "{round_trip:?}"
    );

    // `sample` draws its latents from the given stream: same seed, same proposal.
    let a = model.sample(&cond, &mut rng);
    let b = model.sample(&cond, &mut ChaCha8Rng::seed_from_u64(11));
    assert_eq!(host(a.y_coords), host(b.y_coords));
    assert_eq!(host(a.log_prob.clone()), host(b.log_prob));
    assert!(host(a.log_prob).iter().all(|v| v.is_finite()));
}

/// log|det ∂z/∂y| from central differences, by LU decomposition with partial pivoting.
fn log_abs_det(mut m: Vec<Vec<f64>>) -> f64 {
    let n = m.len();
    let mut log_det = 0.0;
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))
            .unwrap();
        m.swap(col, pivot);
        let p = m[col][col];
        log_det += p.abs().ln();
        let pivot_row = m[col].clone();
        for row in m.iter_mut().skip(col + 1) {
            let factor = row[col] / p;
            for (x, y) in row.iter_mut().zip(&pivot_row).skip(col) {
                *x -= factor * y;
            }
        }
    }
    log_det
}

#[test]
fn log_determinant_equals_that_of_the_numerical_jacobian() {
    let device = Default::default();
    let model = tiny_model::<F64>(5, &device);
    let molecule = Molecule::random(4, 7);
    let n = molecule.atom_types.len();
    let dim = 6 * n; // y^p and y^v
    let h = 1e-5;
    // Row 0: the unperturbed pair; rows 1 + 2i / 2 + 2i: coordinate i shifted by +h / −h.
    let mut molecules = vec![molecule.clone()];
    for i in 0..dim {
        for sign in [1.0, -1.0] {
            let mut m = molecule.clone();
            let (atom, axis) = ((i % (3 * n)) / 3, i % 3);
            if i < 3 * n {
                m.y_coords[atom][axis] += sign * h;
            } else {
                m.y_velocs[atom][axis] += sign * h;
            }
            molecules.push(m);
        }
    }
    let latent = model.data_to_latent(&batch::<F64>(&molecules, None, &device));
    let z: Vec<Vec<f64>> = {
        let zp = host(latent.z_coords);
        let zv = host(latent.z_velocs);
        (0..molecules.len())
            .map(|b| {
                zp[b * 3 * n..(b + 1) * 3 * n]
                    .iter()
                    .chain(&zv[b * 3 * n..(b + 1) * 3 * n])
                    .copied()
                    .collect()
            })
            .collect()
    };
    // J[r][c] = ∂z_r/∂y_c.
    let jacobian: Vec<Vec<f64>> = (0..dim)
        .map(|r| {
            (0..dim)
                .map(|c| (z[1 + 2 * c][r] - z[2 + 2 * c][r]) / (2.0 * h))
                .collect()
        })
        .collect();
    let numerical = log_abs_det(jacobian);
    let analytic = host(latent.logdet)[0];
    assert!(
        analytic.abs() > 0.1,
        "a trivial log-determinant ({analytic}) would test nothing"
    );
    assert!(
        (numerical - analytic).abs() < 1e-6,
        "numerical {numerical} vs flow {analytic}"
    );
}

#[test]
fn permuting_atoms_permutes_latents_and_keeps_log_prob() {
    let device = Default::default();
    let model = tiny_model::<F32>(9, &device);
    let molecule = Molecule::random(7, 4);
    let perm = [3usize, 0, 6, 1, 5, 2, 4];
    let permute = |v: &Vec<[f64; 3]>| perm.iter().map(|&i| v[i]).collect::<Vec<_>>();
    let permuted = Molecule {
        atom_types: perm.iter().map(|&i| molecule.atom_types[i]).collect(),
        x_coords: permute(&molecule.x_coords),
        x_velocs: permute(&molecule.x_velocs),
        y_coords: permute(&molecule.y_coords),
        y_velocs: permute(&molecule.y_velocs),
    };
    let a = model.data_to_latent(&batch::<F32>(&[molecule], None, &device));
    let b = model.data_to_latent(&batch::<F32>(&[permuted], None, &device));
    let (lp_a, lp_b) = (host(a.log_prob())[0], host(b.log_prob())[0]);
    assert!(
        (lp_a - lp_b).abs() < 1e-5 * lp_a.abs().max(1.0),
        "{lp_a} vs {lp_b}"
    );
    let (za, zb) = (host(a.z_coords), host(b.z_coords));
    for (j, &i) in perm.iter().enumerate() {
        for k in 0..3 {
            assert!((zb[3 * j + k] - za[3 * i + k]).abs() < 1e-5);
        }
    }
}

#[test]
fn translating_x_and_y_together_leaves_log_prob_unchanged() {
    let device = Default::default();
    let model = tiny_model::<F64>(2, &device);
    let molecule = Molecule::random(6, 8);
    let t = [1.3, -0.7, 2.1];
    let shift = |v: &Vec<[f64; 3]>| {
        v.iter()
            .map(|p| std::array::from_fn(|k| p[k] + t[k]))
            .collect::<Vec<[f64; 3]>>()
    };
    let moved = Molecule {
        x_coords: shift(&molecule.x_coords),
        y_coords: shift(&molecule.y_coords),
        ..molecule.clone()
    };
    let lp = host(model.log_prob(&batch::<F64>(&[molecule.clone(), moved], None, &device)));
    assert!((lp[0] - lp[1]).abs() < 1e-11 * lp[0].abs(), "{lp:?}");
    // Not trivially constant: moving y alone changes it.
    let y_only = Molecule {
        y_coords: shift(&molecule.y_coords),
        ..molecule
    };
    let lp_y = host(model.log_prob(&batch::<F64>(&[y_only], None, &device)))[0];
    assert!((lp_y - lp[0]).abs() > 1.0);
}

#[test]
fn padding_does_not_change_the_real_atoms() {
    let device = Default::default();
    let model = tiny_model::<F64>(4, &device);
    let small = Molecule::random(5, 21);
    let large = Molecule::random(8, 22);
    let alone = model.data_to_latent(&batch::<F64>(std::slice::from_ref(&small), None, &device));
    let padded = batch::<F64>(&[large, small.clone()], None, &device);
    // Put garbage into the three padded slots of example 1 (type O, random positions/velocities).
    let garbage = |t: Tensor<F64, 3>| {
        let noise = Tensor::<F64, 3>::random(
            [1, 3, 3],
            burn::tensor::Distribution::Uniform(-5.0, 5.0),
            float_options::<F64>(&device),
        );
        t.slice_assign([1..2, 5..8, 0..3], noise)
    };
    let types = padded.atom_types.clone().slice_assign(
        [1..2, 5..8],
        Tensor::from_data(
            TensorData::new(vec![3i64; 3], [1, 3]),
            int_options::<F64>(&device),
        ),
    );
    let padded = FlowBatch {
        atom_types: types,
        x_coords: garbage(padded.x_coords),
        x_velocs: garbage(padded.x_velocs),
        y_coords: garbage(padded.y_coords),
        y_velocs: garbage(padded.y_velocs),
        ..padded
    };
    let with_padding = model.data_to_latent(&padded);
    let (a, b) = (host(alone.log_prob())[0], host(with_padding.log_prob())[1]);
    assert!((a - b).abs() < 1e-12 * a.abs(), "alone {a}, padded {b}");
    let za = host(alone.z_coords);
    let zb = host(with_padding.z_coords);
    assert!(max_scaled_diff(&zb[8 * 3..8 * 3 + 15], &za) < 1e-12);
    // Sampling: the real atoms' proposal does not depend on the padding either.
    let z = |n: usize| {
        float_tensor::<F64, 3>(
            (0..n * 3).map(|i| (i as f64 * 0.7).sin()).collect(),
            [1, n, 3],
            &device,
        )
    };
    let s_alone = model.sample_with_latents(
        &condition::<F64>(std::slice::from_ref(&small), &device),
        z(5),
        z(5),
    );
    let cond = padded.condition();
    let small_padded = Tensor::cat(
        vec![
            z(5),
            Tensor::full([1, 3, 3], 9.0, float_options::<F64>(&device)),
        ],
        1,
    );
    let zp = Tensor::cat(vec![z(8), small_padded], 0);
    let s_pad = model.sample_with_latents(&cond, zp.clone(), zp);
    assert!(max_scaled_diff(&host(s_pad.y_coords)[24..39], &host(s_alone.y_coords)) < 1e-12);
    assert!((host(s_pad.log_prob)[1] - host(s_alone.log_prob)[0]).abs() < 1e-10);
}

#[test]
fn gradients_flow_to_every_parameter_kind() {
    type Ad = Autodiff<NdArray<f32>>;
    let device = Default::default();
    let model = tiny_model::<Ad>(1, &device);
    let molecules = [Molecule::random(5, 1), Molecule::random(3, 2)];
    let loss = model.nll_loss(&batch::<Ad>(&molecules, None, &device));
    let grads = loss.backward();
    let check = |name: &str, g: Option<Tensor<NdArray<f32>, 2>>| {
        let g = host(g.unwrap_or_else(|| panic!("no gradient for {name}")));
        assert!(
            g.iter().all(|v| v.is_finite()) && g.iter().any(|v| *v != 0.0),
            "{name}: {g:?}"
        );
    };
    let coupling = &model.couplings[0];
    check("embedding", model.atom_embedder.weight.grad(&grads));
    check(
        "φ_in",
        coupling.scale_transformer.in_mlp.linears[0]
            .weight
            .grad(&grads),
    );
    check(
        "W_V",
        coupling.shift_transformer.encoder_layers[0]
            .self_attn
            .values_proj
            .weight
            .grad(&grads),
    );
    check(
        "W_O",
        coupling.scale_transformer.encoder_layers[0]
            .self_attn
            .out_projection
            .weight
            .grad(&grads),
    );
    let prior = host(model.coords_prior_log_scale.grad(&grads).unwrap());
    assert!(prior[0].is_finite() && prior[0] != 0.0);

    // The inference copy of the trained model gives the same numbers.
    let inner: TimewarpFlow<NdArray<f32>> = model.valid();
    let inner_loss = host(inner.nll_loss(&batch::<NdArray<f32>>(&molecules, None, &device)));
    assert_eq!(inner_loss, host(loss));
}

#[test]
fn bad_examples_are_reported_by_example_and_atom() {
    let device = Default::default();
    let m = Molecule::random(3, 1);
    let mut bad_type = m.clone();
    bad_type.atom_types[2] = 7;
    let err =
        FlowBatch::<F32>::from_examples(&[m.pair(), bad_type.pair()], None, &device).unwrap_err();
    assert_eq!(
        err,
        BatchError::AtomType {
            example: 1,
            atom: 2,
            atom_type: 7
        }
    );
    let mut nan = m.clone();
    nan.y_coords[1][0] = f64::NAN;
    let err = FlowBatch::<F32>::from_examples(&[nan.pair()], None, &device).unwrap_err();
    assert!(
        matches!(
            err,
            BatchError::NonFinite {
                example: 0,
                atom: 1,
                field: "y_coords",
                ..
            }
        ),
        "{err}"
    );
    let short = PairExample {
        y_velocs: &m.y_velocs[..2],
        ..m.pair()
    };
    let err = FlowBatch::<F32>::from_examples(&[short], None, &device).unwrap_err();
    assert_eq!(
        err,
        BatchError::Length {
            example: 0,
            field: "y_velocs",
            got: 2,
            expected: 3
        }
    );
    let err = FlowBatch::<F32>::from_examples(&[m.pair()], Some(2), &device).unwrap_err();
    assert_eq!(
        err,
        BatchError::TooManyAtoms {
            example: 0,
            atoms: 3,
            slots: 2
        }
    );
    assert_eq!(
        FlowBatch::<F32>::from_examples(&[], None, &device).unwrap_err(),
        BatchError::Empty
    );
}

#[test]
fn preset_models_have_the_official_parameter_counts() {
    let device = Default::default();
    for name in PRESET_NAMES {
        let config = preset(name).unwrap();
        let model = TimewarpFlow::<F32>::new(&config, &device);
        assert_eq!(model.num_params(), config.num_params(), "{name}");
    }
    assert_eq!(preset("ad").unwrap().num_params(), 35_971_282);
    assert_eq!(preset("2aa").unwrap().num_params(), 106_251_658);
}

#[test]
fn initialisation_is_reproducible_across_precisions() {
    let device = Default::default();
    let a = timewarp_flow::flow_to_state_dict(&tiny_model::<F32>(42, &device));
    let b = timewarp_flow::flow_to_state_dict(&tiny_model::<F64>(42, &device));
    let c = timewarp_flow::flow_to_state_dict(&tiny_model::<F64>(43, &device));
    let name = "flow.chain.1.shift_transformer.encoder_layers.0.linear1.weight";
    let (wa, wb, wc) = (&a[name].values, &b[name].values, &c[name].values);
    assert!(max_scaled_diff(wa, wb) < 1e-7);
    assert!(max_scaled_diff(wa, wc) > 1e-3);
}

/// A component mask for `molecule` with some components of every atom switched off.
fn some_components(n: usize) -> Vec<f64> {
    (0..n * 3)
        .map(|i| if (i * 7 + 3) % 5 < 3 { 1.0 } else { 0.0 })
        .collect()
}

/// With a component mask (the internal-chart flow), sampling inverts the density direction,
/// unmasked components pass unchanged, and log p is log N + log|det| over the masked
/// components only (numerical Jacobian of the masked map).
#[test]
fn masked_flow_inverts_and_its_log_determinant_is_that_of_the_masked_map() {
    let device = Default::default();
    let mut config = tiny_config();
    config.chart = timewarp_flow::Chart::Internal;
    config.conditional_flow_density.use_displacement_as_target = false;
    let model = TimewarpFlow::<F64>::try_new(&config, 12, &device).unwrap();
    let molecule = Molecule::random(4, 9);
    let n = molecule.atom_types.len();
    let mask_host = some_components(n);
    let dims: Vec<usize> = (0..3 * n).filter(|&i| mask_host[i] > 0.0).collect();
    let mask = |b: usize| {
        let flat: Vec<f64> = (0..b).flat_map(|_| mask_host.iter().copied()).collect();
        float_tensor::<F64, 3>(flat, [b, n, 3], &device)
    };
    // Invertibility and pass-through of the unmasked components.
    let cond = condition::<F64>(std::slice::from_ref(&molecule), &device);
    let zp: Vec<f64> = (0..3 * n)
        .map(|i| mask_host[i] * (0.3 * i as f64 - 1.0))
        .collect();
    let zv: Vec<f64> = (0..3 * n)
        .map(|i| mask_host[i] * (0.5 - 0.2 * i as f64))
        .collect();
    let s = model.sample_with_latents_masked(
        &cond,
        mask(1),
        float_tensor(zp.clone(), [1, n, 3], &device),
        float_tensor(zv.clone(), [1, n, 3], &device),
    );
    let y = host(s.y_coords.clone());
    for i in 0..3 * n {
        if mask_host[i] == 0.0 {
            assert_eq!(y[i], 0.0, "unmasked component {i} moved");
        }
    }
    let pair = cond.with_targets(s.y_coords, s.y_velocs);
    let latent = model.data_to_latent_masked(&pair, mask(1));
    assert!(max_scaled_diff(&host(latent.z_coords.clone()), &zp) < 1e-10);
    assert!(max_scaled_diff(&host(latent.log_prob()), &host(s.log_prob)) < 1e-10);
    // log|det| of the masked map by central differences over the masked components.
    let h = 1e-5;
    let mut molecules = Vec::new();
    for &d in dims.iter().chain(&dims) {
        let velocity = molecules.len() >= 2 * dims.len();
        for sign in [1.0, -1.0] {
            let mut m = molecule.clone();
            let (atom, axis) = (d / 3, d % 3);
            m.y_coords = (0..n)
                .map(|a| std::array::from_fn(|k| mask_host[3 * a + k] * molecule.y_coords[a][k]))
                .collect();
            m.y_velocs = (0..n)
                .map(|a| std::array::from_fn(|k| mask_host[3 * a + k] * molecule.y_velocs[a][k]))
                .collect();
            if velocity {
                m.y_velocs[atom][axis] += sign * h;
            } else {
                m.y_coords[atom][axis] += sign * h;
            }
            molecules.push(m);
        }
    }
    let k = molecules.len();
    let lat = model.data_to_latent_masked(&batch::<F64>(&molecules, None, &device), mask(k));
    let (zp, zv) = (host(lat.z_coords), host(lat.z_velocs));
    let z_of = |b: usize| -> Vec<f64> {
        dims.iter()
            .map(|&d| zp[b * 3 * n + d])
            .chain(dims.iter().map(|&d| zv[b * 3 * n + d]))
            .collect()
    };
    let m = 2 * dims.len();
    let jacobian: Vec<Vec<f64>> = (0..m)
        .map(|r| {
            (0..m)
                .map(|c| (z_of(2 * c)[r] - z_of(2 * c + 1)[r]) / (2.0 * h))
                .collect()
        })
        .collect();
    let numerical = log_abs_det(jacobian);
    let analytic = host(lat.logdet)[0];
    assert!(
        analytic.abs() > 0.05,
        "a trivial log-determinant ({analytic}) would test nothing"
    );
    assert!(
        (numerical - analytic).abs() < 1e-5,
        "numerical {numerical} vs flow {analytic}"
    );
}

/// Identity couplings make the flow its base density: y = z and log p = log N(z; 0, σ²).
#[test]
fn identity_couplings_give_the_base_density() {
    let device = Default::default();
    let model = tiny_model::<F64>(4, &device).with_identity_couplings();
    let molecule = Molecule::random(5, 3);
    let cond = condition::<F64>(std::slice::from_ref(&molecule), &device);
    let z = Tensor::<F64, 3>::random(
        [1, 5, 3],
        burn::tensor::Distribution::Normal(0.0, 1.0),
        float_options::<F64>(&device),
    );
    let s = model.sample_with_latents(&cond, z.clone(), z.clone() * 2.0);
    assert!(max_scaled_diff(&host(s.y_coords.clone() - cond.x_coords.clone()), &host(z)) < 1e-12);
    assert_eq!(host(s.logdet), vec![0.0]);
}
