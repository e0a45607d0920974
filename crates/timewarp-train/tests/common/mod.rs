//! Helpers shared by the integration tests.
#![allow(dead_code)]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::path::{Path, PathBuf};
use timewarp_mol::traj::TrajArrays;
use timewarp_train::{LrDecay, Split, TrainConfig};

/// `shared/testdata/<name>`.
pub fn testdata(name: &str) -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata"
    ))
    .join(name)
}

/// A fresh empty folder under the system temp dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tw-train-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes `<dir>/<name>-traj-{state0.pdb,arrays.npz}`: the PDB's structure with every atom
/// doing an Ornstein–Uhlenbeck fluctuation of `sigma` nm (correlation ρ per frame), one frame
/// every `stride` MD steps.
pub fn write_jittered_trajectory(
    pdb: &Path,
    dir: &Path,
    name: &str,
    frames: usize,
    stride: i64,
    sigma: f64,
    seed: u64,
) {
    std::fs::create_dir_all(dir).unwrap();
    let file = timewarp_mol::read_pdb(pdb).unwrap();
    let reference = file.positions().to_vec();
    let n = reference.len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let rho: f64 = 0.8;
    let mut pos = reference.clone();
    let mut traj = TrajArrays::new(n);
    for f in 0..frames {
        traj.push_frame(
            f as i64 * stride,
            f as f64 * stride as f64 * 0.0005,
            [0.0, 0.0],
            &pos,
            None,
            None,
        );
        for (p, r) in pos.iter_mut().zip(&reference) {
            for k in 0..3 {
                let xi: f64 = rng.sample(StandardNormal);
                p[k] = r[k] + rho * (p[k] - r[k]) + (1.0 - rho * rho).sqrt() * sigma * xi;
            }
        }
    }
    traj.write_npz_atomic(&dir.join(format!("{name}-traj-arrays.npz")))
        .unwrap();
    std::fs::copy(pdb, dir.join(format!("{name}-traj-state0.pdb"))).unwrap();
}

/// A small fast configuration on the `tiny` preset.
pub fn tiny_config() -> TrainConfig {
    TrainConfig {
        preset: "tiny".into(),
        lag_steps: 10,
        steps: 40,
        batch: 8,
        lr: 3e-3,
        warmup_steps: 5,
        lr_decay: LrDecay::Constant,
        clip_grad_norm: Some(10.0),
        val_every: 10,
        val_max_pairs: 64,
        checkpoint_every: 10,
        log_every: 5,
        split: Split::TimeBlock { val_fraction: 0.2 },
        ..TrainConfig::default()
    }
}
