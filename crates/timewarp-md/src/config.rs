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

impl MdConfig {
    /// Time step in ps.
    pub fn dt_ps(&self) -> f64 {
        self.dt_fs * 1e-3
    }

    /// Production steps that cover `ns` nanoseconds at this time step (rounded to nearest).
    pub fn steps_for_ns(&self, ns: f64) -> u64 {
        (ns * 1e3 / self.dt_ps()).round() as u64
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
        self.integrator().validate()?;
        let bad = |s: String| Err(MdError::Config(s));
        if self.save_every == 0 {
            return bad("save_every must be at least 1 step".into());
        }
        if self.replicas == 0 {
            return bad("replicas must be at least 1".into());
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
        if self.total_steps() > i64::MAX as u64 {
            return bad("burn_in_steps + steps does not fit a 64-bit step counter".into());
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
        assert_eq!(c.steps_for_ns(1.0), 2_000_000);
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
        assert!(e.to_string().contains("time step"));
        let e = MdConfig {
            name: Some("a/b".into()),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.to_string().contains("name"));
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
