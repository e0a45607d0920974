//! The fitted internal-coordinate proposal: a Metropolis–Hastings kernel in the Z-matrix chart of
//! [`timewarp_mol::internal`], fitted from MD (`timewarp fit`), with no neural network. It is both
//! a sampler of its own and the baseline a learned proposal must beat.
//!
//! # The move
//! The coordinates q = X⁻¹(x) are split into blocks, one per residue with φ and ψ (caps and
//! residues without φ/ψ join the nearest one). A move picks a block uniformly and, keeping the
//! rigid pose and every other block fixed, draws
//! 1. (φ′, ψ′) of the block's residue from a symmetrised lag-τ transition histogram of the MD
//!    ([`transitions`]; uniform within the target cell), optionally mixed with an independence
//!    component, the φ/ψ marginal (`[fit] marginal_mix`);
//! 2. each rotor (methyl, side-chain χ, hydroxyl) of the block from its own 1-D transition
//!    histogram;
//! 3. the block's bonds, angles, rigid torsions and offsets from the φ/ψ-conditional Gaussian
//!    ([`gaussian`]), conditioned on the new φ/ψ and on the coordinates outside the block.
//!
//! # Exactness
//! The target on q is π(q) ∝ exp(−U(X(q))/kT)·J(q) (J of the chart, see
//! [`timewarp_mol::internal`]); as a density of Cartesian positions on the slice of fixed pose
//! the proposal is Q(q′|q)/J(q′). The kernel therefore returns log q(y|x) = log Q(q′|q) − log J(q′)
//! and log q(x|y) = log Q(q|q′) − log J(q), and the sampler's ratio
//! exp(−βΔU)·q(x|y)/q(y|x) is exactly the MH ratio in q. The block is chosen with the same
//! probability in both directions, so it cancels. A proposal outside the chart's domain (a bond
//! ≤ 0, an angle outside (0, π)) or a truncated Gaussian draw (see [`gaussian`]) is a null move:
//! it is rejected (log q(x|y) = −∞).

mod blocks;
pub mod fit;
pub mod gaussian;
pub mod moves;
pub mod pooled;
pub mod proposal;
pub mod source;
pub mod transitions;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use timewarp_mol::internal::ZMatrix;
use timewarp_mol::Topology;

pub use fit::{fit_kernel, run_fit, FitConfig, FitSummary};
pub use gaussian::{Features, GaussianModel};
pub use pooled::{fit_pooled, PooledKernel, PooledMolecule};
pub use proposal::FittedProposal;
pub use source::KernelFile;
pub use transitions::{MarginalMix, TransitionHistogram};

use crate::SampleError;

/// `format` of a kernel file.
pub const KERNEL_FORMAT: &str = "timewarp-fitted-kernel";
/// Version of the kernel file layout.
pub const KERNEL_VERSION: u32 = 1;
/// File name of a kernel inside a kernel folder.
pub const KERNEL_JSON: &str = "kernel.json";
/// File name of a pooled kernel inside a kernel folder: gzip-compressed JSON, as it is megabytes
/// of numbers (it lives in the repository under `models/dipeptides/`).
pub const POOLED_KERNEL_FILE: &str = "kernel.json.gz";

/// The kernel file inside the folder `dir`: `kernel.json` (one molecule's kernel) or
/// `kernel.json.gz` (a pooled kernel). A folder with both is refused rather than one of them
/// silently preferred.
fn kernel_file_in(dir: &Path) -> Result<PathBuf, SampleError> {
    let plain = dir.join(KERNEL_JSON);
    let pooled = dir.join(POOLED_KERNEL_FILE);
    match (plain.exists(), pooled.exists()) {
        (true, true) => Err(SampleError::Kernel(format!(
            "{}: holds both {KERNEL_JSON} and {POOLED_KERNEL_FILE}; remove the stale one",
            dir.display()
        ))),
        (false, true) => Ok(pooled),
        _ => Ok(plain),
    }
}

/// `path` itself when it names a file, else the kernel file of the folder ([`kernel_file_in`]).
pub fn kernel_path(path: &Path) -> Result<PathBuf, SampleError> {
    if path.is_dir() {
        kernel_file_in(path)
    } else {
        Ok(path.to_path_buf())
    }
}

/// The φ/ψ move of a block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackboneMove {
    /// Coordinate indices of φ and ψ.
    pub phi: usize,
    pub psi: usize,
    pub transitions: TransitionHistogram,
}

/// The move of one rotor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RotorMove {
    /// Coordinate index of the rotor torsion.
    pub dof: usize,
    pub transitions: TransitionHistogram,
}

/// One block of coordinates moved together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Block {
    /// e.g. `ALA 2`.
    pub label: String,
    pub backbone: Option<BackboneMove>,
    pub rotors: Vec<RotorMove>,
    /// Indices into the Gaussian's variables.
    pub gaussian: Vec<usize>,
}

/// Names of the residues and atoms a kernel was fitted on, to refuse other molecules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoleculeIdentity {
    /// `NAME NUMBER` per residue.
    pub residues: Vec<String>,
    /// `RES NUMBER: ATOM` per atom.
    pub atoms: Vec<String>,
}

impl MoleculeIdentity {
    pub fn of(top: &Topology) -> Self {
        MoleculeIdentity {
            residues: top
                .residues
                .iter()
                .map(|r| format!("{} {}", r.name, r.number))
                .collect(),
            atoms: top
                .atoms
                .iter()
                .map(|a| {
                    let r = &top.residues[a.residue];
                    format!("{} {}: {}", r.name, r.number, a.name)
                })
                .collect(),
        }
    }

    /// `ACE-ALA-NME`.
    pub fn sequence(&self) -> String {
        self.residues
            .iter()
            .map(|r| r.split(' ').next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("-")
    }
}

/// An MD folder the kernel was fitted on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitSource {
    pub dir: PathBuf,
    pub trajectories: usize,
    pub frames: usize,
    /// Frame pairs (t, t + τ).
    pub pairs: usize,
}

/// A fitted kernel: everything needed to propose, as plain data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedKernel {
    pub format: String,
    pub version: u32,
    pub molecule: MoleculeIdentity,
    pub zmatrix: ZMatrix,
    /// Lag of the transition histograms, ps.
    pub tau_ps: f64,
    /// Temperature of the MD it was fitted on, K (the kernel proposes; the chain's target
    /// temperature is the sampler's).
    pub md_temperature_k: Option<f64>,
    pub sources: Vec<FitSource>,
    pub blocks: Vec<Block>,
    pub gaussian: GaussianModel,
    /// The fitting settings.
    #[serde(deserialize_with = "fit::fit_as_written")]
    pub fit: FitConfig,
}

impl FittedKernel {
    /// Reads a kernel from `path` (a `kernel.json`, or a folder holding one).
    pub fn load(path: &Path) -> Result<FittedKernel, SampleError> {
        let file = kernel_path(path)?;
        let kernel: FittedKernel = timewarp_rundir::read_json(&file)?;
        if kernel.format != KERNEL_FORMAT || kernel.version != KERNEL_VERSION {
            return Err(SampleError::Kernel(format!(
                "{}: not a fitted kernel of this version ({} v{}; expected {KERNEL_FORMAT} v{KERNEL_VERSION})",
                file.display(),
                kernel.format,
                kernel.version
            )));
        }
        kernel
            .validate()
            .map_err(|m| SampleError::Kernel(format!("{}: {m}", file.display())))?;
        Ok(kernel)
    }

    /// Writes the kernel into the folder `dir` as `kernel.json` (atomically).
    pub fn save(&self, dir: &Path) -> Result<PathBuf, SampleError> {
        std::fs::create_dir_all(dir).map_err(|e| SampleError::io(dir, e))?;
        let path = dir.join(KERNEL_JSON);
        timewarp_rundir::write_json_atomic(&path, self)?;
        Ok(path)
    }

    /// Internal consistency of the indices (a hand-edited or truncated file fails here).
    pub fn validate(&self) -> Result<(), String> {
        let d = self.zmatrix.n_dofs();
        let g = self.gaussian.dim();
        if self.gaussian.periodic.len() != g
            || self.gaussian.weights.len() != g * self.gaussian.features.len()
            || self.gaussian.covariance.len() != g * g
        {
            return Err("the Gaussian's arrays do not match its dimension".into());
        }
        let in_range = |i: usize| i < d;
        if !self.gaussian.dofs.iter().all(|&i| in_range(i))
            || !self
                .gaussian
                .features
                .backbone
                .iter()
                .all(|&(a, b)| in_range(a) && in_range(b))
        {
            return Err("a Gaussian coordinate index is out of range".into());
        }
        let mut covered = vec![0u32; d];
        for b in &self.blocks {
            let histograms = b
                .backbone
                .iter()
                .map(|bb| &bb.transitions)
                .chain(b.rotors.iter().map(|r| &r.transitions));
            for h in histograms {
                h.validate()
                    .map_err(|e| format!("block {}: {e}", b.label))?;
            }
            if let Some(bb) = &b.backbone {
                covered[bb.phi] += 1;
                covered[bb.psi] += 1;
            }
            for r in &b.rotors {
                if !in_range(r.dof) {
                    return Err(format!("block {}: rotor index out of range", b.label));
                }
                covered[r.dof] += 1;
            }
            for &j in &b.gaussian {
                if j >= g {
                    return Err(format!("block {}: Gaussian variable out of range", b.label));
                }
                covered[self.gaussian.dofs[j]] += 1;
            }
        }
        if let Some(i) = covered.iter().position(|&c| c != 1) {
            return Err(format!(
                "coordinate {i} is moved by {} blocks (must be exactly one)",
                covered[i]
            ));
        }
        Ok(())
    }

    /// Checks that `top` is the molecule the kernel was fitted on; the error names the first
    /// difference.
    pub fn check_molecule(&self, top: &Topology, what: &str) -> Result<(), SampleError> {
        let other = MoleculeIdentity::of(top);
        let mine = &self.molecule;
        let differ = |detail: String| {
            Err(SampleError::Kernel(format!(
                "the kernel was fitted on {} ({} atoms), {what} holds {} ({} atoms): {detail}",
                mine.sequence(),
                mine.atoms.len(),
                other.sequence(),
                other.atoms.len()
            )))
        };
        if let Some(i) = (0..mine.atoms.len().max(other.atoms.len()))
            .find(|&i| mine.atoms.get(i) != other.atoms.get(i))
        {
            let show = |v: Option<&String>| v.cloned().unwrap_or_else(|| "nothing".into());
            return differ(format!(
                "atom {} is {} in the kernel, {} in {what}",
                i + 1,
                show(mine.atoms.get(i)),
                show(other.atoms.get(i))
            ));
        }
        let zm =
            ZMatrix::from_topology(top).map_err(|e| SampleError::Kernel(format!("{what}: {e}")))?;
        if zm != self.zmatrix {
            return differ("the bonds differ".into());
        }
        Ok(())
    }
}
