//! TOML configuration. One schema serves every command and `timewarp run`: a file has optional
//! sections `[forcefield]`, `[md]`, `[train]`, `[sample]`, `[explore]`, `[analyze]` (and `[run]`);
//! each command reads the sections it needs from `--config FILE`, command-line flags override
//! them, and the effective configuration is written into the output folder as `config.toml`.

use anyhow::{Context, Result};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::path::Path;

/// Force-field choice shared by every command that evaluates energies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ForceFieldSettings {
    /// `amber14-obc1` (the Timewarp protocol), `amber14-obc2` or `amber14-vacuum`.
    pub forcefield: String,
    /// Non-periodic reaction-field cutoff in nm, or "none".
    pub cutoff: String,
}

impl Default for ForceFieldSettings {
    fn default() -> Self {
        Self { forcefield: "amber14-obc1".into(), cutoff: "2.0".into() }
    }
}

impl ForceFieldSettings {
    pub fn options(&self) -> Result<timewarp_ff::SystemOptions> {
        crate::commands::energy::system_options(&self.forcefield, &self.cutoff)
    }

    /// Parameterise a topology with these settings.
    pub fn system(&self, top: &timewarp_mol::Topology, what: &Path) -> Result<timewarp_ff::System> {
        timewarp_ff::ForceField::amber14()
            .create_system(top, &self.options()?)
            .with_context(|| format!("cannot parameterise {}", what.display()))
    }
}

/// Reads section `section` of the TOML file `path` into `T` (defaults when the section is
/// absent). Unknown keys are errors that name the file.
pub fn load_section<T: DeserializeOwned + Default>(path: Option<&Path>, section: &str) -> Result<T> {
    let Some(path) = path else { return Ok(T::default()) };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    let table: toml::Table =
        toml::from_str(&text).with_context(|| format!("invalid TOML in {}", path.display()))?;
    match table.get(section) {
        None => Ok(T::default()),
        Some(value) => value
            .clone()
            .try_into()
            .with_context(|| format!("invalid [{section}] section in {}", path.display())),
    }
}

/// Writes `value` as TOML (under `[section]` headers if it is a struct of sections) to `path`,
/// atomically (temporary file, then rename).
pub fn write_toml_atomic<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let text = toml::to_string_pretty(value).context("cannot serialise the configuration")?;
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
