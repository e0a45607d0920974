//! Synthetic alanine-dipeptide trajectories in the official layout, for end-to-end tests.
//!
//! Frames are made from shared/testdata/ala2.pdb by turning φ and ψ (rigid rotation of the
//! atoms on one side of the N–CA or CA–C bond) to values drawn from a three-state Markov chain
//! over the αR, β/C7eq and αL basins with AR(1) wobble inside each basin, plus small Gaussian
//! noise on every coordinate. `p_switch` sets how fast the chain mixes.

#![allow(dead_code, clippy::needless_range_loop)]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use std::path::{Path, PathBuf};
use timewarp_analysis::dihedral::{dihedral, phi_psi_pairs};
use timewarp_mol::traj::TrajArrays;
use timewarp_mol::Topology;

pub const ALA2: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/testdata/ala2.pdb"
);

/// (φ, ψ) centres in degrees and stationary weights of the basins.
pub const BASINS: [((f64, f64), f64); 3] = [
    ((-70.0, -40.0), 0.3),
    ((-80.0, 150.0), 0.6),
    ((60.0, 40.0), 0.1),
];

pub struct Synth {
    pub frames: usize,
    pub p_switch: f64,
    /// Basins allowed (indices into BASINS); others are never visited.
    pub basins: Vec<usize>,
    /// Every k-th frame (if any) gets one C–H bond stretched to 2.5×.
    pub break_bond_every: Option<usize>,
    pub seed: u64,
}

impl Synth {
    pub fn new(frames: usize, p_switch: f64, seed: u64) -> Self {
        Synth {
            frames,
            p_switch,
            basins: vec![0, 1, 2],
            break_bond_every: None,
            seed,
        }
    }
}

pub fn ala2() -> (Topology, Vec<[f64; 3]>) {
    let pdb = timewarp_mol::read_pdb(Path::new(ALA2)).unwrap();
    (pdb.topology.clone(), pdb.positions().to_vec())
}

/// Atoms on the `c` side of bond b–c (reached from c without crossing b).
fn moving_side(top: &Topology, b: usize, c: usize) -> Vec<usize> {
    let nb = top.neighbours();
    let mut seen = vec![false; top.n_atoms()];
    seen[b] = true;
    seen[c] = true;
    let mut stack = vec![c];
    let mut out = Vec::new();
    while let Some(a) = stack.pop() {
        for &n in &nb[a] {
            if !seen[n] {
                seen[n] = true;
                out.push(n);
                stack.push(n);
            }
        }
    }
    out
}

/// Rotate the c side of torsion (a, b, c, d) so that it becomes `target` (radians).
fn set_torsion(x: &mut [[f64; 3]], top: &Topology, q: [usize; 4], target: f64) {
    let current = dihedral(x[q[0]], x[q[1]], x[q[2]], x[q[3]]);
    let angle = target - current;
    let origin = x[q[1]];
    let axis = {
        let v = [
            x[q[2]][0] - origin[0],
            x[q[2]][1] - origin[1],
            x[q[2]][2] - origin[2],
        ];
        let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        [v[0] / n, v[1] / n, v[2] / n]
    };
    // Rodrigues: v' = v cos θ + (k × v) sin θ + k (k·v)(1 − cos θ); a positive rotation about
    // b→c of the far side increases the dihedral.
    let (s, c) = angle.sin_cos();
    for i in moving_side(top, q[1], q[2]) {
        let v = [
            x[i][0] - origin[0],
            x[i][1] - origin[1],
            x[i][2] - origin[2],
        ];
        let kv = axis[0] * v[0] + axis[1] * v[1] + axis[2] * v[2];
        let kxv = [
            axis[1] * v[2] - axis[2] * v[1],
            axis[2] * v[0] - axis[0] * v[2],
            axis[0] * v[1] - axis[1] * v[0],
        ];
        for k in 0..3 {
            x[i][k] = origin[k] + v[k] * c + kxv[k] * s + axis[k] * kv * (1.0 - c);
        }
    }
}

/// Positions (flat T × N × 3, f32, nm), the φ/ψ actually set (radians), and fake energies.
pub fn generate(s: &Synth) -> (Topology, Vec<f32>, Vec<(f64, f64)>) {
    let (top, x0) = ala2();
    let pair = phi_psi_pairs(&top).remove(0);
    let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
    let wobble = Normal::new(0.0, 1.0).unwrap();
    let noise = Normal::new(0.0, 0.002).unwrap();
    let weights: Vec<f64> = s.basins.iter().map(|&b| BASINS[b].1).collect();
    let total: f64 = weights.iter().sum();
    let draw_basin = |rng: &mut ChaCha8Rng| {
        let mut u = rng.random::<f64>() * total;
        for (k, w) in weights.iter().enumerate() {
            if u < *w {
                return s.basins[k];
            }
            u -= w;
        }
        *s.basins.last().unwrap()
    };
    let mut state = draw_basin(&mut rng);
    let (mut dphi, mut dpsi) = (0.0f64, 0.0f64);
    let rho: f64 = 0.8;
    let sigma = 12.0 * (1.0 - rho * rho).sqrt();
    let mut positions = Vec::with_capacity(s.frames * x0.len() * 3);
    let mut angles = Vec::with_capacity(s.frames);
    // A C–H bond of the ACE methyl (atoms 1 (CH3) and 0 (H1) in file order).
    let (ch_c, ch_h) = (1usize, 0usize);
    for t in 0..s.frames {
        if rng.random::<f64>() < s.p_switch {
            state = draw_basin(&mut rng);
        }
        dphi = rho * dphi + sigma * wobble.sample(&mut rng);
        dpsi = rho * dpsi + sigma * wobble.sample(&mut rng);
        let (c_phi, c_psi) = BASINS[state].0;
        let (phi, psi) = ((c_phi + dphi).to_radians(), (c_psi + dpsi).to_radians());
        let mut x = x0.clone();
        set_torsion(&mut x, &top, pair.phi, phi);
        set_torsion(&mut x, &top, pair.psi, psi);
        for p in x.iter_mut() {
            for v in p.iter_mut() {
                *v += noise.sample(&mut rng);
            }
        }
        if s.break_bond_every.is_some_and(|k| t % k == 0) {
            for k in 0..3 {
                x[ch_h][k] = x[ch_c][k] + 2.5 * (x[ch_h][k] - x[ch_c][k]);
            }
        }
        let actual = (
            dihedral(
                x[pair.phi[0]],
                x[pair.phi[1]],
                x[pair.phi[2]],
                x[pair.phi[3]],
            ),
            dihedral(
                x[pair.psi[0]],
                x[pair.psi[1]],
                x[pair.psi[2]],
                x[pair.psi[3]],
            ),
        );
        angles.push(actual);
        positions.extend(x.iter().flat_map(|p| p.map(|v| v as f32)));
    }
    (top, positions, angles)
}

/// Write one trajectory `<dir>/<name>-traj-{state0.pdb,arrays.npz}`.
pub fn write_traj(
    dir: &Path,
    name: &str,
    top: &Topology,
    positions: &[f32],
    angles: &[(f64, f64)],
) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(ALA2, dir.join(format!("{name}-traj-state0.pdb"))).unwrap();
    let mut arrays = TrajArrays::new(top.n_atoms());
    arrays.positions = positions.to_vec();
    let t = angles.len();
    arrays.step = (0..t as i64).map(|i| i * 1000).collect();
    arrays.time = (0..t).map(|i| i as f64 * 0.5).collect();
    // A fake potential energy that depends on the basin: −50 + 10 (1 − cos φ) kJ/mol.
    arrays.energies = angles
        .iter()
        .map(|(phi, _)| [-50.0 + 10.0 * (1.0 - phi.cos()), 30.0])
        .collect();
    arrays
        .write_npz_atomic(&dir.join(format!("{name}-traj-arrays.npz")))
        .unwrap();
}

pub fn write_run_json(dir: &Path, command: &str, wall_seconds: f64, acceptance: Option<f64>) {
    let mut summary = serde_json::json!({});
    if let Some(a) = acceptance {
        summary["acceptance_rate"] = a.into();
    }
    let record = timewarp_rundir::RunRecord::start(command, serde_json::json!({}), vec![])
        .finish(wall_seconds, &summary)
        .unwrap();
    record.write(dir).unwrap();
}

/// A fresh, empty scratch folder under the target directory's tmp (removed first if left over).
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("timewarp-analysis-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
