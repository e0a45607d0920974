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
        Self {
            forcefield: "amber14-obc1".into(),
            cutoff: "2.0".into(),
        }
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

/// Every section a command or `timewarp run` reads. A file is shared between commands, so a
/// command accepts the sections of the others, but a name outside this list is a misspelling
/// (`[mdd]`) whose settings would otherwise be ignored without a word.
pub const KNOWN_SECTIONS: [&str; 10] = [
    "run",
    "forcefield",
    "md",
    "dataset",
    "fit",
    "train",
    "finetune",
    "sample",
    "explore",
    "analyze",
];

/// Reads section `section` of the TOML file `path` into `T` (defaults when the section is
/// absent). Unknown sections, keys outside a section and unknown keys are errors that name the
/// file.
pub fn load_section<T: DeserializeOwned + Default>(
    path: Option<&Path>,
    section: &str,
) -> Result<T> {
    let Some(path) = path else {
        return Ok(T::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    let table: toml::Table =
        toml::from_str(&text).with_context(|| format!("invalid TOML in {}", path.display()))?;
    for (name, value) in &table {
        if !value.is_table() {
            anyhow::bail!(
                "{}: `{name}` stands outside any section; put it under its section, e.g. [{section}]",
                path.display()
            );
        }
        if !KNOWN_SECTIONS.contains(&name.as_str()) {
            anyhow::bail!(
                "{}: unknown section [{name}] (known sections: {})",
                path.display(),
                KNOWN_SECTIONS.map(|s| format!("[{s}]")).join(", ")
            );
        }
    }
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
    Ok(timewarp_rundir::write_atomic(path, text.as_bytes())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!(
            "timewarp-cli-config-{name}-{}.toml",
            std::process::id()
        ));
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn misspelt_section_is_refused_naming_it_and_the_file() {
        let path = file("mdd", "[mdd]\nsteps = 5\n");
        let e = format!(
            "{:#}",
            load_section::<timewarp_md::MdConfig>(Some(&path), "md").unwrap_err()
        );
        assert!(
            e.contains("[mdd]") && e.contains(&path.display().to_string()),
            "{e}"
        );
        // Every command refuses it, not only the one whose section it resembles.
        let e = format!(
            "{:#}",
            load_section::<ForceFieldSettings>(Some(&path), "forcefield").unwrap_err()
        );
        assert!(e.contains("[mdd]"), "{e}");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn keys_outside_a_section_are_refused() {
        let path = file("top", "steps = 5\n[md]\nseed = 1\n");
        let e = format!(
            "{:#}",
            load_section::<timewarp_md::MdConfig>(Some(&path), "md").unwrap_err()
        );
        assert!(
            e.contains("`steps`") && e.contains("outside any section"),
            "{e}"
        );
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn sections_of_other_commands_are_accepted() {
        let text = "[run]\nout = \"x\"\n[forcefield]\n[md]\nsteps = 7\n[dataset]\n[fit]\n[train]\n[finetune]\n[sample]\n[explore]\n[analyze]\n";
        let path = file("all", text);
        let md: timewarp_md::MdConfig = load_section(Some(&path), "md").unwrap();
        assert_eq!(md.steps, 7);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn misspelt_sample_and_explore_keys_are_refused_naming_them() {
        let path = file(
            "chain-keys",
            "[sample]
steps = 5
seeds = 1
[explore]
chains = 4
threshold = 9
",
        );
        let e = format!(
            "{:#}",
            load_section::<timewarp_sample::SampleConfig>(Some(&path), "sample").unwrap_err()
        );
        assert!(
            e.contains("[sample]")
                && e.contains("`seeds`")
                && e.contains(&path.display().to_string()),
            "{e}"
        );
        let e = format!(
            "{:#}",
            load_section::<timewarp_sample::ExploreConfig>(Some(&path), "explore").unwrap_err()
        );
        assert!(e.contains("[explore]") && e.contains("`threshold`"), "{e}");
        std::fs::remove_file(&path).unwrap();
    }
}
