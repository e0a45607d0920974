//! Data augmentation as in the official Timewarp training.
//!
//! The official `run_on_dataloader` applies, once per batch, `RandomTranslation + RandomRotation`
//! (`equivariance_transforms.transform_batch`): every coordinate r of x(t) and of x(t+τ) becomes
//! r' = R·(r + a), with a ~ N(0, I₃) nm and R uniform on SO(3). The same (R, a) is used for the
//! whole batch. The loss then replaces the MD velocities by auxiliary velocities drawn from
//! N(0, I) for both x(t) and x(t+τ) (`NegativeLogLikelihoodLoss(random_velocs=True)`, the
//! default of `TrainingConfig.random_velocities`): the flow is trained on the augmented space
//! (x^p, x^v) with x^v ~ N(0, I) independent of x^p, and the MD velocities are never read.

use crate::dataset::PairBatch;
use rand::Rng;
use rand_distr::StandardNormal;

/// A proper rotation matrix, row-major: r' = R·r.
pub type Rotation = [[f32; 3]; 3];

/// A rotation drawn uniformly from SO(3) (Haar measure).
///
/// A unit quaternion q = g/‖g‖ with g ~ N(0, I₄) is uniform on S³, and the double cover
/// S³ → SO(3) carries that to the Haar measure (this is what `scipy`'s `Rotation.random` does).
pub fn random_rotation<R: Rng + ?Sized>(rng: &mut R) -> Rotation {
    loop {
        let g: [f64; 4] = std::array::from_fn(|_| rng.sample(StandardNormal));
        let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm < 1e-8 {
            continue;
        }
        let [w, x, y, z] = g.map(|v| v / norm);
        let m = [
            [
                1.0 - 2.0 * (y * y + z * z),
                2.0 * (x * y - z * w),
                2.0 * (x * z + y * w),
            ],
            [
                2.0 * (x * y + z * w),
                1.0 - 2.0 * (x * x + z * z),
                2.0 * (y * z - x * w),
            ],
            [
                2.0 * (x * z - y * w),
                2.0 * (y * z + x * w),
                1.0 - 2.0 * (x * x + y * y),
            ],
        ];
        return m.map(|row| row.map(|v| v as f32));
    }
}

/// r' = R·(r + a) for every 3-vector of `coords` (flat, xyz-interleaved).
pub fn translate_rotate(coords: &mut [f32], a: [f32; 3], r: &Rotation) {
    for p in coords.chunks_exact_mut(3) {
        let v = [p[0] + a[0], p[1] + a[1], p[2] + a[2]];
        for (k, row) in r.iter().enumerate() {
            p[k] = row[0] * v[0] + row[1] * v[1] + row[2] * v[2];
        }
    }
}

/// Fills `out` with independent N(0, 1) draws.
pub fn fill_standard_normal<R: Rng + ?Sized>(rng: &mut R, out: &mut [f32]) {
    for v in out {
        *v = rng.sample::<f32, _>(StandardNormal);
    }
}

/// Applies one random rigid motion (translation a ~ N(0, I) nm, then a uniform rotation) to the
/// real atoms of x(t) and x(t+τ) of the whole batch. Padded slots stay at 0 (the model ignores
/// them, and a zero makes a padding bug visible).
pub fn random_rigid_motion<R: Rng + ?Sized>(rng: &mut R, batch: &mut PairBatch) {
    let a: [f32; 3] = std::array::from_fn(|_| rng.sample(StandardNormal));
    let r = random_rotation(rng);
    let n_max = batch.n_max;
    for (b, &n) in batch.n_atoms.iter().enumerate() {
        let span = b * n_max * 3..(b * n_max + n) * 3;
        translate_rotate(&mut batch.x_coords[span.clone()], a, &r);
        translate_rotate(&mut batch.y_coords[span], a, &r);
    }
}

/// Draws the auxiliary velocities x^v(t), x^v(t+τ) ~ N(0, I) over the whole padded batch (as the
/// official `torch.randn_like`).
pub fn auxiliary_velocities<R: Rng + ?Sized>(rng: &mut R, batch: &mut PairBatch) {
    fill_standard_normal(rng, &mut batch.x_velocs);
    fill_standard_normal(rng, &mut batch.y_velocs);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn det(m: &Rotation) -> f64 {
        let m = m.map(|r| r.map(|v| v as f64));
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    }

    #[test]
    fn rotations_are_proper_and_orthogonal() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..100 {
            let r = random_rotation(&mut rng);
            assert!((det(&r) - 1.0).abs() < 1e-5);
            for i in 0..3 {
                for j in 0..3 {
                    let dot: f32 = (0..3).map(|k| r[i][k] * r[j][k]).sum();
                    let want = if i == j { 1.0 } else { 0.0 };
                    assert!((dot - want).abs() < 1e-5);
                }
            }
        }
    }

    #[test]
    fn rotations_are_isotropic() {
        // For Haar-uniform R, R·e_z is uniform on the sphere: each component has mean 0 and
        // variance 1/3.
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let n = 20000;
        let mut mean = [0.0f64; 3];
        let mut sq = [0.0f64; 3];
        for _ in 0..n {
            let r = random_rotation(&mut rng);
            for k in 0..3 {
                let v = r[k][2] as f64;
                mean[k] += v / n as f64;
                sq[k] += v * v / n as f64;
            }
        }
        for k in 0..3 {
            assert!(mean[k].abs() < 0.02, "mean {mean:?}");
            assert!((sq[k] - 1.0 / 3.0).abs() < 0.02, "second moment {sq:?}");
        }
    }

    #[test]
    fn rigid_motion_keeps_distances_and_padding() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut b = PairBatch::zeros(2, 3);
        b.n_atoms = vec![3, 2];
        let pts = [0.1f32, 0.2, 0.3, -0.5, 0.4, 0.0, 1.0, -1.0, 0.5];
        b.x_coords[..9].copy_from_slice(&pts);
        b.y_coords[..9].copy_from_slice(&pts);
        b.x_coords[9..15].copy_from_slice(&pts[..6]);
        let d = |c: &[f32], i: usize, j: usize| {
            ((0..3)
                .map(|k| (c[3 * i + k] - c[3 * j + k]).powi(2))
                .sum::<f32>())
            .sqrt()
        };
        let before = [
            d(&b.x_coords, 0, 1),
            d(&b.x_coords, 1, 2),
            d(&b.x_coords, 3, 4),
        ];
        random_rigid_motion(&mut rng, &mut b);
        let after = [
            d(&b.x_coords, 0, 1),
            d(&b.x_coords, 1, 2),
            d(&b.x_coords, 3, 4),
        ];
        for (u, v) in before.iter().zip(after) {
            assert!((u - v).abs() < 1e-5);
        }
        // x and y got the same motion.
        assert_eq!(b.x_coords[..9], b.y_coords[..9]);
        // The padded slot of example 1 is untouched.
        assert_eq!(&b.x_coords[15..18], &[0.0, 0.0, 0.0]);
        assert!(b.x_coords[..9] != pts);
    }
}
