//! [`MdConfig`]: the settings of a `timewarp md` run. Defaults are the Timewarp data protocol
//! (`simulation/simulate_trajectory.py` with preset `amber14-implicit` of microsoft/timewarp):
//! 310 K, friction 0.3/ps, 0.5 fs, no constraints, minimisation to 2 kJ/mol/nm, 2·10⁶ burn-in
//! steps, 2·10⁷ production steps, logarithmic frame spacing with interval 10⁶.

use crate::integrator::LangevinMiddle;
use crate::spacing::{Spacing, SpacingKind};
use crate::MdError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MdConfig {
    /// Trajectory name: files are `<name>-traj-*`. `None`: "md" (the CLI passes the PDB stem).
    pub name: Option<String>,
    /// Heat-bath temperature, K.
    pub temperature_k: f64,
    /// Langevin friction γ, 1/ps.
    pub friction_per_ps: f64,
    /// Time step, fs.
    pub dt_fs: f64,
    /// Production steps per replica (after burn-in).
    pub steps: u64,
    /// Steps run after minimisation and before production; not saved. Velocities are drawn
    /// again from Maxwell–Boltzmann at the end of burn-in, as the official script does.
    pub burn_in_steps: u64,
    /// Frame interval in steps (the block length of the logarithmic spacing).
    pub save_every: u64,
    /// `regular` or `log` (frames at k·save_every + {0, 1, 10, 100, …}).
    pub spacing: SpacingKind,
    /// Independent trajectories; with more than one, each gets a `replica-NNN/` folder.
    pub replicas: usize,
    /// Worker threads for replicas; 0 = one per core.
    pub threads: usize,
    /// RNG seed; replica r uses ChaCha8 stream r of this seed.
    pub seed: u64,
    /// Minimise the starting structure before dynamics.
    pub minimize: bool,
    /// Minimiser tolerance on the RMS force over all 3N components, kJ/mol/nm.
    pub minimize_tolerance: f64,
    /// Upper bound on L-BFGS iterations.
    pub minimize_max_iterations: usize,
    /// Remove centre-of-mass motion every step (OpenMM's default CMMotionRemover).
    pub remove_cm_motion: bool,
    /// Write a checkpoint (and the trajectory so far) every this many steps; 0 = only at the end.
    pub checkpoint_every: u64,
    /// |U| above this (kJ/mol) stops the run as a blow-up.
    pub max_abs_energy: f64,
    /// Also write a multi-model `<name>-traj.pdb` when the run has at most this many frames.
    pub pdb_trajectory_max_frames: u64,
}

impl Default for MdConfig {
    fn default() -> Self {
        Self {
            name: None,
            temperature_k: 310.0,
            friction_per_ps: 0.3,
            dt_fs: 0.5,
            steps: 20_000_000,
            burn_in_steps: 2_000_000,
            save_every: 1_000_000,
            spacing: SpacingKind::Log,
            replicas: 1,
            threads: 0,
            seed: 0,
            minimize: true,
            minimize_tolerance: 2.0,
            minimize_max_iterations: 10_000,
            remove_cm_motion: true,
            checkpoint_every: 100_000,
            max_abs_energy: 1.0e7,
            pdb_trajectory_max_frames: 1000,
        }
    }
}

/// Most production (or burn-in) steps of one replica: 10¹² steps are 500 µs at 0.5 fs, far
/// beyond any run this engine can finish, and small enough that step counts, frame indices and
/// `steps × replicas` stay far from 64-bit overflow (and from TOML's signed 64-bit integers,
/// in which the effective configuration is written).
pub const MAX_STEPS: u64 = 1_000_000_000_000;
/// Largest time step, fs: without constraints, steps above a few fs blow up within picoseconds;
/// a larger value is a unit mistake (ps given as fs).
pub const MAX_DT_FS: f64 = 10.0;
/// Most replicas of one run (each holds its own state and trajectory in memory).
pub const MAX_REPLICAS: usize = 10_000;
/// Most worker threads (more than any machine has cores; each one is spawned).
pub const MAX_THREADS: usize = 4096;

impl MdConfig {
    /// Time step in ps.
    pub fn dt_ps(&self) -> f64 {
        self.dt_fs * 1e-3
    }

    /// Production steps that cover `ns` nanoseconds at this time step (rounded to nearest).
    /// A negative, non-finite or too long `ns` is an error: the float-to-integer conversion
    /// would silently turn it into 0 or 2⁶⁴ − 1 steps.
    pub fn steps_for_ns(&self, ns: f64) -> Result<u64, MdError> {
        if !(ns.is_finite() && ns > 0.0) {
            return Err(MdError::Config(format!(
                "production length {ns} ns must be finite and > 0"
            )));
        }
        self.check_dt()?;
        let steps = (ns * 1e3 / self.dt_ps()).round();
        if steps > MAX_STEPS as f64 {
            return Err(MdError::Config(format!(
                "production length {ns} ns is {steps:e} steps of {} fs, more than the limit of {MAX_STEPS:e} steps",
                self.dt_fs
            )));
        }
        Ok(steps as u64)
    }

    fn check_dt(&self) -> Result<(), MdError> {
        if !(self.dt_fs.is_finite() && self.dt_fs > 0.0 && self.dt_fs <= MAX_DT_FS) {
            return Err(MdError::Config(format!(
                "dt_fs = {}: the time step must be finite, > 0 and <= {MAX_DT_FS} fs",
                self.dt_fs
            )));
        }
        Ok(())
    }

    pub fn integrator(&self) -> LangevinMiddle {
        LangevinMiddle {
            temperature_k: self.temperature_k,
            friction_per_ps: self.friction_per_ps,
            dt_ps: self.dt_ps(),
        }
    }

    pub fn frame_spacing(&self) -> Spacing {
        match self.spacing {
            SpacingKind::Regular => Spacing::regular(self.save_every),
            SpacingKind::Log => Spacing::log(self.save_every),
        }
    }

    /// Burn-in plus production steps of one replica.
    pub fn total_steps(&self) -> u64 {
        self.burn_in_steps + self.steps
    }

    /// The trajectory name used for the files.
    pub fn trajectory_name(&self) -> &str {
        self.name.as_deref().unwrap_or("md")
    }

    /// Check ranges; the error names the setting.
    pub fn validate(&self) -> Result<(), MdError> {
        let bad = |s: String| Err(MdError::Config(s));
        if !(self.temperature_k.is_finite() && self.temperature_k > 0.0) {
            return bad(format!(
                "temperature_k = {}: must be finite and > 0 K",
                self.temperature_k
            ));
        }
        if !(self.friction_per_ps.is_finite() && self.friction_per_ps >= 0.0) {
            return bad(format!(
                "friction_per_ps = {}: must be finite and >= 0 (1/ps)",
                self.friction_per_ps
            ));
        }
        self.check_dt()?;
        self.integrator().validate()?;
        for (key, value) in [
            ("steps", self.steps),
            ("burn_in_steps", self.burn_in_steps),
            ("save_every", self.save_every),
            ("checkpoint_every", self.checkpoint_every),
        ] {
            if value > MAX_STEPS {
                return bad(format!(
                    "{key} = {value}: more than the limit of {MAX_STEPS:e} steps"
                ));
            }
        }
        if self.save_every == 0 {
            return bad("save_every must be at least 1 step".into());
        }
        if self.replicas == 0 {
            return bad("replicas must be at least 1".into());
        }
        if self.replicas > MAX_REPLICAS {
            return bad(format!(
                "replicas = {}: more than the limit of {MAX_REPLICAS}",
                self.replicas
            ));
        }
        if self.threads > MAX_THREADS {
            return bad(format!(
                "threads = {}: more than the limit of {MAX_THREADS} (0 = one per core)",
                self.threads
            ));
        }
        if self.pdb_trajectory_max_frames > i64::MAX as u64 {
            // config.toml holds signed 64-bit integers only
            return bad(format!(
                "pdb_trajectory_max_frames = {}: must be at most {}",
                self.pdb_trajectory_max_frames,
                i64::MAX
            ));
        }
        if !(self.minimize_tolerance.is_finite() && self.minimize_tolerance > 0.0) {
            return bad(format!(
                "minimize_tolerance must be > 0 kJ/mol/nm, got {}",
                self.minimize_tolerance
            ));
        }
        if self.max_abs_energy.is_nan() || self.max_abs_energy <= 0.0 {
            return bad(format!(
                "max_abs_energy must be > 0 kJ/mol, got {}",
                self.max_abs_energy
            ));
        }
        if let Some(name) = &self.name {
            if name.is_empty() || name.contains(['/', '\\']) {
                return bad(format!(
                    "name {name:?} must be a non-empty file name without path separators"
                ));
            }
        }
        Ok(())
    }

    /// The settings that determine a replica's trajectory: a checkpoint written under one
    /// protocol can only be resumed under the same one. `steps` is not part of it (a run can be
    /// extended), nor are name, threads, checkpoint interval and output limits.
    pub fn protocol(&self) -> serde_json::Value {
        serde_json::json!({
            "temperature_k": self.temperature_k,
            "friction_per_ps": self.friction_per_ps,
            "dt_fs": self.dt_fs,
            "burn_in_steps": self.burn_in_steps,
            "save_every": self.save_every,
            "spacing": self.spacing,
            "replicas": self.replicas,
            "seed": self.seed,
            "minimize": self.minimize,
            "minimize_tolerance": self.minimize_tolerance,
            "minimize_max_iterations": self.minimize_max_iterations,
            "remove_cm_motion": self.remove_cm_motion,
        })
    }
}

/// Keys whose values differ between two protocol objects (for error messages).
pub(crate) fn protocol_differences(a: &serde_json::Value, b: &serde_json::Value) -> Vec<String> {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return vec!["<protocol>".into()];
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            format!(
                "{k}: checkpoint {} vs now {}",
                a.get(k).unwrap_or(&serde_json::Value::Null),
                b.get(k).unwrap_or(&serde_json::Value::Null)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_timewarp_protocol() {
        let c = MdConfig::default();
        assert_eq!(
            (c.temperature_k, c.friction_per_ps, c.dt_fs),
            (310.0, 0.3, 0.5)
        );
        assert_eq!(c.spacing, SpacingKind::Log);
        assert_eq!(c.minimize_tolerance, 2.0);
        assert_eq!(c.steps_for_ns(1.0).unwrap(), 2_000_000);
        c.validate().unwrap();
    }

    #[test]
    fn toml_like_partial_json_and_unknown_keys() {
        let c: MdConfig = serde_json::from_str(r#"{"steps": 100, "spacing": "regular"}"#).unwrap();
        assert_eq!(c.steps, 100);
        assert_eq!(c.spacing, SpacingKind::Regular);
        assert_eq!(c.temperature_k, 310.0);
        assert!(serde_json::from_str::<MdConfig>(r#"{"stepz": 100}"#).is_err());
    }

    #[test]
    fn validation_names_the_setting() {
        let e = MdConfig {
            save_every: 0,
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.to_string().contains("save_every"));
        let e = MdConfig {
            dt_fs: -1.0,
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.to_string().contains("time step") && e.to_string().contains("dt_fs"));
        let e = MdConfig {
            name: Some("a/b".into()),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.to_string().contains("name"));
    }

    #[test]
    fn negative_nan_infinite_or_huge_ns_is_refused() {
        let c = MdConfig::default();
        assert_eq!(c.steps_for_ns(1.0).unwrap(), 2_000_000);
        for ns in [-1.0, 0.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e12] {
            let e = c.steps_for_ns(ns).unwrap_err().to_string();
            assert!(e.contains("ns"), "{ns}: {e}");
        }
        // The time step is checked before it divides.
        let c = MdConfig {
            dt_fs: 0.0,
            ..Default::default()
        };
        assert!(c
            .steps_for_ns(1.0)
            .unwrap_err()
            .to_string()
            .contains("dt_fs"));
    }

    #[test]
    fn huge_step_counts_are_refused_naming_the_key() {
        for (key, c) in [
            (
                "steps",
                MdConfig {
                    steps: u64::MAX,
                    ..Default::default()
                },
            ),
            (
                "burn_in_steps",
                MdConfig {
                    burn_in_steps: u64::MAX - 1,
                    ..Default::default()
                },
            ),
            (
                "save_every",
                MdConfig {
                    save_every: MAX_STEPS + 1,
                    ..Default::default()
                },
            ),
            (
                "checkpoint_every",
                MdConfig {
                    checkpoint_every: u64::MAX,
                    ..Default::default()
                },
            ),
        ] {
            let e = c.validate().unwrap_err().to_string();
            assert!(e.contains(&format!("{key} = ")), "{key}: {e}");
        }
        // The largest accepted values do not overflow the step counter.
        let c = MdConfig {
            steps: MAX_STEPS,
            burn_in_steps: MAX_STEPS,
            save_every: MAX_STEPS,
            replicas: MAX_REPLICAS,
            ..Default::default()
        };
        c.validate().unwrap();
        assert!(c.total_steps().checked_mul(c.replicas as u64).is_some());
    }

    #[test]
    fn every_numeric_setting_is_range_checked_by_name() {
        let cases: Vec<(&str, MdConfig)> = vec![
            (
                "temperature_k",
                MdConfig {
                    temperature_k: 0.0,
                    ..Default::default()
                },
            ),
            (
                "temperature_k",
                MdConfig {
                    temperature_k: -5.0,
                    ..Default::default()
                },
            ),
            (
                "temperature_k",
                MdConfig {
                    temperature_k: f64::NAN,
                    ..Default::default()
                },
            ),
            (
                "temperature_k",
                MdConfig {
                    temperature_k: f64::INFINITY,
                    ..Default::default()
                },
            ),
            (
                "friction_per_ps",
                MdConfig {
                    friction_per_ps: -0.1,
                    ..Default::default()
                },
            ),
            (
                "friction_per_ps",
                MdConfig {
                    friction_per_ps: f64::NAN,
                    ..Default::default()
                },
            ),
            (
                "friction_per_ps",
                MdConfig {
                    friction_per_ps: f64::INFINITY,
                    ..Default::default()
                },
            ),
            (
                "dt_fs",
                MdConfig {
                    dt_fs: 0.0,
                    ..Default::default()
                },
            ),
            (
                "dt_fs",
                MdConfig {
                    dt_fs: f64::NAN,
                    ..Default::default()
                },
            ),
            (
                "dt_fs",
                MdConfig {
                    dt_fs: 500.0,
                    ..Default::default()
                },
            ),
            (
                "save_every",
                MdConfig {
                    save_every: 0,
                    ..Default::default()
                },
            ),
            (
                "replicas",
                MdConfig {
                    replicas: 0,
                    ..Default::default()
                },
            ),
            (
                "replicas",
                MdConfig {
                    replicas: MAX_REPLICAS + 1,
                    ..Default::default()
                },
            ),
            (
                "threads",
                MdConfig {
                    threads: MAX_THREADS + 1,
                    ..Default::default()
                },
            ),
            (
                "minimize_tolerance",
                MdConfig {
                    minimize_tolerance: 0.0,
                    ..Default::default()
                },
            ),
            (
                "minimize_tolerance",
                MdConfig {
                    minimize_tolerance: f64::NAN,
                    ..Default::default()
                },
            ),
            (
                "max_abs_energy",
                MdConfig {
                    max_abs_energy: f64::NAN,
                    ..Default::default()
                },
            ),
            (
                "max_abs_energy",
                MdConfig {
                    max_abs_energy: -1.0,
                    ..Default::default()
                },
            ),
        ];
        for (key, c) in cases {
            let e = c.validate().unwrap_err().to_string();
            assert!(e.contains(key), "{key}: {e}");
        }
        // Friction 0 (Verlet) stays valid.
        MdConfig {
            friction_per_ps: 0.0,
            ..Default::default()
        }
        .validate()
        .unwrap();
    }

    #[test]
    fn protocol_ignores_steps_and_threads() {
        let a = MdConfig::default();
        let b = MdConfig {
            steps: 5,
            threads: 3,
            checkpoint_every: 7,
            ..Default::default()
        };
        assert_eq!(a.protocol(), b.protocol());
        let c = MdConfig {
            seed: 1,
            ..Default::default()
        };
        let d = protocol_differences(&a.protocol(), &c.protocol());
        assert_eq!(d.len(), 1);
        assert!(d[0].starts_with("seed"));
    }
}
