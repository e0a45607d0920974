//! A kernel file as the commands read it: the fitted kernel of one molecule, or a pooled kernel
//! that makes the fitted kernel of any peptide whose residue types it was fitted on.

use std::path::{Path, PathBuf};

use timewarp_mol::Topology;

use super::pooled::{PooledKernel, POOLED_FORMAT, POOLED_VERSION};
use super::{
    kernel_path, FittedKernel, KERNEL_FORMAT, KERNEL_JSON, KERNEL_VERSION, POOLED_KERNEL_FILE,
};
use crate::SampleError;

/// The contents of a kernel file (`kernel.json`, or `kernel.json.gz` for a pooled kernel).
#[derive(Debug, Clone, PartialEq)]
pub enum KernelFile {
    /// Fitted to one molecule (`timewarp fit`).
    Molecule(Box<FittedKernel>),
    /// Pooled over peptides by residue type (`timewarp fit --pooled`).
    Pooled(PooledKernel),
}

impl KernelFile {
    /// Reads `path` (a kernel file, or a folder holding one: see [`kernel_path`]) and checks
    /// it.
    pub fn load(path: &Path) -> Result<KernelFile, SampleError> {
        let file = kernel_path(path)?;
        let value: serde_json::Value = timewarp_rundir::read_json(&file)?;
        let format = value.get("format").and_then(|f| f.as_str()).unwrap_or("");
        let version = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        let bad = |m: String| SampleError::Kernel(format!("{}: {m}", file.display()));
        let json = |e: serde_json::Error| SampleError::Json {
            path: file.clone(),
            message: e.to_string(),
        };
        match (format, version) {
            (KERNEL_FORMAT, v) if v == KERNEL_VERSION as u64 => {
                let k: FittedKernel = serde_json::from_value(value).map_err(json)?;
                k.validate().map_err(bad)?;
                Ok(KernelFile::Molecule(Box::new(k)))
            }
            (POOLED_FORMAT, v) if v == POOLED_VERSION as u64 => {
                let k: PooledKernel = serde_json::from_value(value).map_err(json)?;
                k.validate().map_err(bad)?;
                Ok(KernelFile::Pooled(k))
            }
            _ => Err(bad(format!(
                "not a kernel of this version ({format} v{version}; expected {KERNEL_FORMAT} v{KERNEL_VERSION} or {POOLED_FORMAT} v{POOLED_VERSION})"
            ))),
        }
    }

    /// The fitted kernel of the molecule `top` (`what` names it in messages): the kernel itself,
    /// checked to be of that molecule, or the pooled kernel instantiated for it.
    pub fn for_molecule(&self, top: &Topology, what: &str) -> Result<FittedKernel, SampleError> {
        match self {
            KernelFile::Molecule(k) => {
                k.check_molecule(top, what)?;
                Ok(k.as_ref().clone())
            }
            KernelFile::Pooled(p) => p.instantiate(top).map_err(|e| match e {
                SampleError::Kernel(m) => SampleError::Kernel(format!("{what}: {m}")),
                e => e,
            }),
        }
    }

    /// The name of this kernel's file inside a kernel folder.
    pub fn file_name(&self) -> &'static str {
        match self {
            KernelFile::Molecule(_) => KERNEL_JSON,
            KernelFile::Pooled(_) => POOLED_KERNEL_FILE,
        }
    }

    /// Writes the kernel file into the folder `dir` (atomically): `kernel.json`, or
    /// `kernel.json.gz` for a pooled kernel.
    pub fn save(&self, dir: &Path) -> Result<PathBuf, SampleError> {
        match self {
            KernelFile::Molecule(k) => k.save(dir),
            KernelFile::Pooled(p) => p.save(dir),
        }
    }
}

impl PooledKernel {
    /// Writes the pooled kernel into the folder `dir` as `kernel.json.gz` (atomically; compact
    /// and compressed, as it is megabytes of numbers).
    pub fn save(&self, dir: &Path) -> Result<PathBuf, SampleError> {
        std::fs::create_dir_all(dir).map_err(|e| SampleError::io(dir, e))?;
        let path = dir.join(POOLED_KERNEL_FILE);
        timewarp_rundir::write_json_gz_atomic(&path, self)?;
        Ok(path)
    }
}
