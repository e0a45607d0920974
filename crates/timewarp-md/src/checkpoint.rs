//! Checkpoints: everything needed to continue a replica bit for bit.
//!
//! `checkpoint.json` holds the step, positions and half-step velocities (f64, printed
//! shortest-round-trip and parsed correctly rounded, so they come back exactly), the RNG state
//! (ChaCha8: 256-bit key, stream id, word position), the number of frames already saved in the
//! trajectory NPZ, and the protocol it was written under. Forces and energy are not stored: they
//! are a deterministic function of the positions and are re-evaluated on resume.
//!
//! Write order per checkpoint: trajectory NPZ (atomic) → viewer files → `checkpoint.json`
//! (atomic). If a kill lands between the two, the NPZ holds frames beyond the checkpoint; resume
//! keeps only the first `n_frames` of them, which are exactly the frames the continued run
//! would otherwise write again.

use crate::MdError;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;
pub use timewarp_rundir::RngState;

/// File name of a replica's checkpoint inside its output folder.
pub const CHECKPOINT_FILE: &str = "checkpoint.json";
const FORMAT: &str = "timewarp-md-checkpoint";
const VERSION: u32 = 1;

/// A replica's resumable state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub format: String,
    pub version: u32,
    pub replica: usize,
    /// Integration steps completed (burn-in included).
    pub step: u64,
    /// Frames of the trajectory NPZ that belong to this checkpoint.
    pub n_frames: usize,
    /// Wall-clock seconds this replica has run so far, over all invocations.
    pub wall_seconds: f64,
    pub positions: Vec<[f64; 3]>,
    pub velocities: Vec<[f64; 3]>,
    pub rng: RngState,
    /// The settings that determine the trajectory (see `MdConfig::protocol`); a resume must match.
    pub protocol: serde_json::Value,
}

impl Checkpoint {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        replica: usize,
        step: u64,
        n_frames: usize,
        wall_seconds: f64,
        positions: &[[f64; 3]],
        velocities: &[[f64; 3]],
        rng: &ChaCha8Rng,
        protocol: serde_json::Value,
    ) -> Self {
        Self {
            format: FORMAT.into(),
            version: VERSION,
            replica,
            step,
            n_frames,
            wall_seconds,
            positions: positions.to_vec(),
            velocities: velocities.to_vec(),
            rng: RngState::capture(rng),
            protocol,
        }
    }

    /// Write atomically (tmp + fsync + rename).
    pub fn save(&self, path: &Path) -> Result<(), MdError> {
        timewarp_rundir::write_atomic_with(path, |w| {
            serde_json::to_writer(w, self).map_err(|e| MdError::io(path, std::io::Error::other(e)))
        })
    }

    /// Read and check the format; `n_atoms` must match the molecule being simulated.
    pub fn load(path: &Path, n_atoms: usize) -> Result<Self, MdError> {
        let bad = |reason: String| MdError::Checkpoint {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| MdError::io(path, e))?;
        let c: Checkpoint =
            serde_json::from_str(&text).map_err(|e| bad(format!("not a valid checkpoint: {e}")))?;
        if c.format != FORMAT || c.version != VERSION {
            return Err(bad(format!(
                "format {:?} version {} is not {FORMAT:?} version {VERSION}",
                c.format, c.version
            )));
        }
        if c.positions.len() != n_atoms || c.velocities.len() != n_atoms {
            return Err(bad(format!(
                "holds {} positions and {} velocities but the molecule has {n_atoms} atoms",
                c.positions.len(),
                c.velocities.len()
            )));
        }
        if c.positions
            .iter()
            .chain(&c.velocities)
            .flatten()
            .any(|v| !v.is_finite())
        {
            return Err(bad("holds non-finite coordinates".into()));
        }
        c.rng.restore().map_err(bad)?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn round_trip_is_exact() {
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        rng.set_stream(5);
        for _ in 0..37 {
            let _: u32 = rng.random();
        }
        let pos = vec![
            [0.1 + 1e-17, -2.0 / 3.0, std::f64::consts::PI],
            [1e-300, 5e-324, -0.0],
        ];
        let vel = vec![[1.0 / 7.0, 2.0f64.sqrt(), -1e10 / 3.0], [0.3, 0.2, 0.1]];
        let c = Checkpoint::new(
            5,
            1234,
            17,
            2.5,
            &pos,
            &vel,
            &rng,
            serde_json::json!({"a": 1}),
        );
        let dir = std::env::temp_dir().join(format!("twmd-ckpt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(CHECKPOINT_FILE);
        c.save(&p).unwrap();
        let d = Checkpoint::load(&p, 2).unwrap();
        assert_eq!(c, d);
        for (a, b) in pos.iter().flatten().zip(d.positions.iter().flatten()) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
        let mut r2 = d.rng.restore().unwrap();
        let a: [u64; 8] = std::array::from_fn(|_| rng.random());
        let b: [u64; 8] = std::array::from_fn(|_| r2.random());
        assert_eq!(a, b);
        assert!(matches!(
            Checkpoint::load(&p, 3),
            Err(MdError::Checkpoint { .. })
        ));
        std::fs::write(&p, "{\"format\": 1").unwrap();
        assert!(matches!(
            Checkpoint::load(&p, 2),
            Err(MdError::Checkpoint { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
