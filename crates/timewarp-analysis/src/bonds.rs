//! Bond lengths: a proposal model that breaks or squashes covalent bonds must be visible.
//!
//! Each bond's reference length r_ref is its mean over the MD frames. A frame has a bond
//! outlier when some bond deviates by more than [`OUTLIER_TOLERANCE`] relative to r_ref,
//! |r − r_ref| / r_ref > 0.2. At 310 K a C–H bond (amber k ≈ 2.8·10⁵ kJ mol⁻¹ nm⁻², r ≈ 0.109 nm)
//! fluctuates by σ = √(kT/k) ≈ 0.003 nm ≈ 3 %, so 20 % is ≈ 7σ: never seen in MD.

use serde::{Deserialize, Serialize};
use timewarp_mol::Topology;

/// Relative deviation from the MD mean length above which a bond counts as broken/squashed.
pub const OUTLIER_TOLERANCE: f64 = 0.2;

/// Lengths (nm) of `bonds` in every frame: `n_frames × bonds.len()`, row-major.
pub fn bond_lengths(positions: &[f32], n_atoms: usize, bonds: &[(usize, usize)]) -> Vec<f64> {
    if n_atoms == 0 {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(positions.len() / (3 * n_atoms) * bonds.len());
    for frame in positions.chunks_exact(3 * n_atoms) {
        for &(i, j) in bonds {
            let d2: f64 = (0..3)
                .map(|k| (frame[3 * i + k] as f64 - frame[3 * j + k] as f64).powi(2))
                .sum();
            out.push(d2.sqrt());
        }
    }
    out
}

/// Mean length of each bond over frames (`lengths` as from [`bond_lengths`]).
pub fn mean_lengths(lengths: &[f64], n_bonds: usize) -> Vec<f64> {
    let mut mean = vec![0.0; n_bonds];
    if n_bonds == 0 {
        return mean;
    }
    let n_frames = lengths.len() / n_bonds;
    for row in lengths.chunks_exact(n_bonds) {
        mean.iter_mut().zip(row).for_each(|(m, r)| *m += r);
    }
    mean.iter_mut().for_each(|m| *m /= n_frames.max(1) as f64);
    mean
}

/// How far bonds stray from their MD lengths in one data set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BondCheck {
    pub n_frames: usize,
    /// Frames with at least one bond off by more than [`OUTLIER_TOLERANCE`].
    pub frames_with_outlier: usize,
    pub outlier_fraction: f64,
    /// max over frames and bonds of |r − r_ref| / r_ref.
    pub max_relative_deviation: f64,
    /// The bond with that largest deviation, e.g. `CA of ALA 2 (atom 9) – CB of ALA 2 (atom 11)`.
    pub worst_bond: Option<String>,
}

/// Compare `lengths` (frames × bonds) against `reference` lengths.
pub fn check_bonds(
    top: &Topology,
    bonds: &[(usize, usize)],
    lengths: &[f64],
    reference: &[f64],
) -> BondCheck {
    let nb = bonds.len();
    let n_frames = lengths.len().checked_div(nb).unwrap_or(0);
    let mut frames_with_outlier = 0;
    let mut max_dev = 0.0f64;
    let mut worst = None;
    if nb > 0 {
        for row in lengths.chunks_exact(nb) {
            let mut outlier = false;
            for (b, (&r, &r0)) in row.iter().zip(reference).enumerate() {
                // NaN lengths (non-finite coordinates) count as outliers too.
                let dev = if r.is_finite() {
                    (r - r0).abs() / r0
                } else {
                    f64::INFINITY
                };
                if dev > OUTLIER_TOLERANCE {
                    outlier = true;
                }
                if dev > max_dev {
                    max_dev = dev;
                    worst = Some(b);
                }
            }
            frames_with_outlier += outlier as usize;
        }
    }
    BondCheck {
        n_frames,
        frames_with_outlier,
        outlier_fraction: if n_frames > 0 {
            frames_with_outlier as f64 / n_frames as f64
        } else {
            0.0
        },
        max_relative_deviation: max_dev,
        worst_bond: worst.map(|b| {
            let (i, j) = bonds[b];
            format!("{} – {}", top.atom_label(i), top.atom_label(j))
        }),
    }
}

/// Relative deviations (r − r_ref)/r_ref of all bonds in all frames, pooled (for histograms).
pub fn relative_deviations(lengths: &[f64], reference: &[f64]) -> Vec<f64> {
    let nb = reference.len();
    if nb == 0 {
        return Vec::new();
    }
    lengths
        .chunks_exact(nb)
        .flat_map(|row| row.iter().zip(reference).map(|(r, r0)| (r - r0) / r0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_atoms() -> Topology {
        let pdb = "\
HETATM    1  C1  ETH A   1       0.000   0.000   0.000  1.00  0.00           C
HETATM    2  C2  ETH A   1       1.500   0.000   0.000  1.00  0.00           C
CONECT    1    2
END
";
        timewarp_mol::parse_pdb(pdb, "ethane.pdb").unwrap().topology
    }

    #[test]
    fn stretched_bond_is_flagged() {
        let top = two_atoms();
        // Three frames: 0.15 nm, 0.16 nm, 0.25 nm (broken).
        let pos: Vec<f32> = [0.15f32, 0.16, 0.25]
            .iter()
            .flat_map(|&d| [0.0, 0.0, 0.0, d, 0.0, 0.0])
            .collect();
        let len = bond_lengths(&pos, 2, &top.bonds);
        assert_eq!(len.len(), 3);
        let reference = [0.155];
        let c = check_bonds(&top, &top.bonds, &len, &reference);
        assert_eq!(c.frames_with_outlier, 1);
        assert!((c.max_relative_deviation - (0.25 - 0.155) / 0.155).abs() < 1e-6);
        assert_eq!(
            c.worst_bond.as_deref(),
            Some("C1 of ETH 1 (atom 1) – C2 of ETH 1 (atom 2)")
        );
        assert!((mean_lengths(&len, 1)[0] - 0.186666).abs() < 1e-5);
        assert_eq!(relative_deviations(&len, &reference).len(), 3);
    }
}
