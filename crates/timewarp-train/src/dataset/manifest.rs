//! Data of many peptides: a folder written by `timewarp md` over several peptides holds a
//! `manifest.json`; training reads the complete peptides of its `train` split, validates on
//! its `val` split and never reads its `test` split.

use crate::error::DataError;
use std::path::{Component, Path, PathBuf};

/// File name of the manifest of an MD data set (`timewarp md` over several peptides).
pub use timewarp_md::dataset::MANIFEST_FILE as MD_DATASET_MANIFEST;

/// The peptides of an MD data set, by split.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MdDatasetSplits {
    pub root: PathBuf,
    /// Folders of the complete `train` peptides.
    pub train: Vec<PathBuf>,
    /// Folders of the complete `val` peptides.
    pub val: Vec<PathBuf>,
    /// Number of `test` peptides (never read by training).
    pub n_test: usize,
    /// `train`/`val` peptides whose MD is pending or failed: left out.
    pub incomplete: Vec<String>,
}

/// Whether `dir` is an MD data set (holds a `manifest.json`).
pub fn is_md_dataset(dir: &Path) -> bool {
    dir.join(MD_DATASET_MANIFEST).is_file()
}

/// Reads the manifest of the MD data set in `dir` (its one type is
/// `timewarp_md::dataset::Manifest`).
pub fn read_md_dataset(dir: &Path) -> Result<MdDatasetSplits, DataError> {
    use timewarp_md::dataset::{Manifest, PeptideStatus, SplitName};
    let path = dir.join(MD_DATASET_MANIFEST);
    let bad = |detail: String| DataError::Read {
        origin: path.display().to_string(),
        detail,
    };
    let m = Manifest::read(&path).map_err(|e| match e {
        timewarp_md::MdError::Manifest { reason, .. } => {
            bad(format!("not a data-set manifest: {reason}"))
        }
        other => bad(other.to_string()),
    })?;
    let mut out = MdDatasetSplits {
        root: dir.to_path_buf(),
        ..Default::default()
    };
    for p in m.peptides {
        let folder = Path::new(&p.folder);
        let plain = folder
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
        if p.folder.is_empty() || folder.is_absolute() || !plain {
            return Err(bad(format!(
                "peptide '{}': folder '{}' is not a plain relative path",
                p.name, p.folder
            )));
        }
        let list = match p.split {
            SplitName::Train => &mut out.train,
            SplitName::Val => &mut out.val,
            SplitName::Test => {
                out.n_test += 1;
                continue;
            }
        };
        if p.status == PeptideStatus::Complete {
            list.push(dir.join(folder));
        } else {
            let status = format!("{:?}", p.status).to_lowercase();
            out.incomplete.push(format!("{} ({status})", p.name));
        }
    }
    Ok(out)
}
