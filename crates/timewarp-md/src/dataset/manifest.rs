//! `manifest.json` of an MD data set: what was asked for, and where each peptide stands.
//!
//! ```json
//! {
//!   "format": "timewarp-md-dataset/1",
//!   "md": { ...MdConfig, "seed": data-set seed... },
//!   "forcefield": { "gb": "Obc1", "nonbonded": { "CutoffNonPeriodic": { "cutoff_nm": 2.0 } } },
//!   "split": { "train": 0.8, "val": 0.1, "test": 0.1, "seed": 0 },
//!   "peptides": [
//!     { "name": "AH-HID-E", "sequence": "AH(HID)E", "folder": "AH-HID-E", "n_atoms": 45,
//!       "seed": 1234, "split": "train", "status": "complete" },
//!     { "name": "ala2", "source": "/data/ala2.pdb", "folder": "ala2", "n_atoms": 22,
//!       "seed": 99, "split": "val", "status": "failed", "error": "..." }
//!   ]
//! }
//! ```
//!
//! `folder` is relative to the manifest's directory. The manifest is rewritten atomically
//! (temporary file, then rename) after every peptide, so a killed run leaves a valid one.

use super::split::{SplitFractions, SplitName};
use crate::{MdConfig, MdError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use timewarp_ff::SystemOptions;

/// File name of the manifest in the data-set folder.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Format tag of the current manifest layout.
pub const MANIFEST_FORMAT: &str = "timewarp-md-dataset/1";

/// Split settings as stored: fractions and the seed of the assignment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitSpec {
    pub train: f64,
    pub val: f64,
    pub test: f64,
    pub seed: u64,
}

impl SplitSpec {
    pub fn new(fractions: SplitFractions, seed: u64) -> Self {
        SplitSpec {
            train: fractions.train,
            val: fractions.val,
            test: fractions.test,
            seed,
        }
    }

    pub fn fractions(&self) -> SplitFractions {
        SplitFractions {
            train: self.train,
            val: self.val,
            test: self.test,
        }
    }
}

/// Where a peptide's MD stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PeptideStatus {
    /// Not run yet, or interrupted (its folder may hold a checkpoint to resume).
    Pending,
    /// All replicas ran the configured steps.
    Complete,
    /// Building, parameterising or simulating failed; `error` says why.
    Failed,
}

/// One peptide of the data set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeptideEntry {
    /// Trajectory name (`<name>-traj-*` files); filesystem-safe.
    pub name: String,
    /// The sequence as given, for peptides built from a sequence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
    /// The PDB file, for peptides read from a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<PathBuf>,
    /// Output folder, relative to the manifest's directory.
    pub folder: String,
    /// Atoms (with hydrogens); `None` until the structure has been built or read.
    pub n_atoms: Option<usize>,
    /// MD seed of this peptide (derived from the data-set seed and the name).
    pub seed: u64,
    pub split: SplitName,
    pub status: PeptideStatus,
    /// Why it failed (status `failed` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The whole manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    /// The MD settings every peptide ran with (`name` unset, `seed` the data-set seed).
    pub md: MdConfig,
    /// Force-field options of every peptide (amber14).
    pub forcefield: SystemOptions,
    pub split: SplitSpec,
    pub peptides: Vec<PeptideEntry>,
}

impl Manifest {
    /// Reads `path`, checking the format tag.
    pub fn read(path: &Path) -> Result<Manifest, MdError> {
        let text = std::fs::read_to_string(path).map_err(|e| MdError::io(path, e))?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| manifest_error(path, e.to_string()))?;
        match value.get("format").and_then(|f| f.as_str()) {
            Some(MANIFEST_FORMAT) => {}
            Some(other) => {
                return Err(manifest_error(
                    path,
                    format!("format '{other}' is not '{MANIFEST_FORMAT}'"),
                ))
            }
            None => return Err(manifest_error(path, "no \"format\" tag".into())),
        }
        serde_json::from_value(value).map_err(|e| manifest_error(path, e.to_string()))
    }

    /// Writes the manifest to `path` atomically.
    pub fn write(&self, path: &Path) -> Result<(), MdError> {
        timewarp_rundir::write_atomic_with(path, |w| {
            serde_json::to_writer_pretty(&mut *w, self)
                .map_err(|e| MdError::io(path, std::io::Error::other(e)))?;
            std::io::Write::write_all(w, b"\n").map_err(|e| MdError::io(path, e))
        })
    }

    pub fn peptide(&self, name: &str) -> Option<&PeptideEntry> {
        self.peptides.iter().find(|p| p.name == name)
    }

    /// Peptides of one split.
    pub fn in_split(&self, split: SplitName) -> impl Iterator<Item = &PeptideEntry> {
        self.peptides.iter().filter(move |p| p.split == split)
    }

    /// Number of peptides per status: (complete, pending, failed).
    pub fn status_counts(&self) -> (usize, usize, usize) {
        let n = |s| self.peptides.iter().filter(|p| p.status == s).count();
        (
            n(PeptideStatus::Complete),
            n(PeptideStatus::Pending),
            n(PeptideStatus::Failed),
        )
    }
}

fn manifest_error(path: &Path, reason: String) -> MdError {
    MdError::Manifest {
        path: path.to_path_buf(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("twmd-manifest-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn example() -> Manifest {
        Manifest {
            format: MANIFEST_FORMAT.into(),
            md: MdConfig {
                steps: 300,
                seed: 5,
                ..MdConfig::default()
            },
            forcefield: SystemOptions::default(),
            split: SplitSpec::new(SplitFractions::default(), 5),
            peptides: vec![
                PeptideEntry {
                    name: "AH-HID-E".into(),
                    sequence: Some("AH(HID)E".into()),
                    source: None,
                    folder: "AH-HID-E".into(),
                    n_atoms: Some(45),
                    seed: 17,
                    split: SplitName::Train,
                    status: PeptideStatus::Complete,
                    error: None,
                },
                PeptideEntry {
                    name: "broken".into(),
                    sequence: None,
                    source: Some("/data/broken.pdb".into()),
                    folder: "broken".into(),
                    n_atoms: None,
                    seed: 3,
                    split: SplitName::Test,
                    status: PeptideStatus::Failed,
                    error: Some("no ATOM records".into()),
                },
            ],
        }
    }

    #[test]
    fn round_trip_through_the_file() {
        let dir = scratch("rt");
        let path = dir.join(MANIFEST_FILE);
        let m = example();
        m.write(&path).unwrap();
        let back = Manifest::read(&path).unwrap();
        assert_eq!(back, m);
        // The documented keys and values.
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(v["format"], MANIFEST_FORMAT);
        assert_eq!(v["split"]["train"], 0.8);
        assert_eq!(v["split"]["seed"], 5);
        assert_eq!(v["peptides"][0]["split"], "train");
        assert_eq!(v["peptides"][0]["status"], "complete");
        assert!(v["peptides"][0].get("error").is_none());
        assert_eq!(v["peptides"][1]["status"], "failed");
        assert_eq!(v["peptides"][1]["error"], "no ATOM records");
        assert_eq!(back.status_counts(), (1, 0, 1));
        assert_eq!(back.in_split(SplitName::Test).count(), 1);
        assert_eq!(back.peptide("broken").unwrap().n_atoms, None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn wrong_format_and_garbage_name_the_file() {
        let dir = scratch("bad");
        let path = dir.join(MANIFEST_FILE);
        let mut v = serde_json::to_value(example()).unwrap();
        v["format"] = "something-else/9".into();
        std::fs::write(&path, v.to_string()).unwrap();
        let e = Manifest::read(&path).unwrap_err().to_string();
        assert!(
            e.contains("manifest.json") && e.contains("something-else/9"),
            "{e}"
        );
        std::fs::write(&path, "{not json").unwrap();
        let e = Manifest::read(&path).unwrap_err().to_string();
        assert!(e.contains("manifest.json"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
