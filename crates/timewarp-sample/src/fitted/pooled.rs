//! The pooled (transferable) fitted kernel: the proposal of [`super`] fitted over the MD of many
//! peptides at once and keyed by residue type, so that it applies to a peptide that none of them
//! was.
//!
//! # Keys
//! The Z-matrix of a peptide is rooted at its central residue and grows outwards (see
//! [`timewarp_mol::internal`]), so a residue's coordinates are the same functions of its atoms
//! in every peptide where the residue sits on the same side of the root. Every coordinate is
//! therefore keyed by its **group** — the residue's type (its force-field template, so that the
//! protonation states HIE, HID and HIP are types of their own) and its side of the root residue
//! (`ALA/root`, `LYS/after`, `ACE/before`) — and by the atoms that define it, named with their
//! residue offset (`angle H-N-C-1`). A group's φ/ψ transition histogram, its rotors' histograms
//! and the φ/ψ-conditional Gaussian of its other coordinates are fitted to every frame of every
//! peptide that has the group; a cap's Gaussian is conditioned on the φ/ψ of the residue it caps
//! (the residue whose block it joins).
//!
//! # Instantiation
//! For a peptide, [`PooledKernel::instantiate`] builds its Z-matrix, looks every coordinate up by
//! its key and assembles an ordinary [`FittedKernel`]: the blocks as `timewarp fit` makes them,
//! and one Gaussian whose mean coefficients and covariance are the groups' (zero between groups:
//! residues are coupled only through their φ/ψ). The exactness argument of [`super`] holds
//! unchanged, since the result is an ordinary fitted kernel of that peptide. A group or a
//! coordinate that no training peptide had is an error naming it. With `[fit] marginal_mix` > 0
//! every φ/ψ move is mixed with the φ/ψ marginal of all training residues of all types (see
//! [`super::transitions`]): a residue type whose few training peptides never left one basin still
//! proposes the others.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use timewarp_ff::ForceField;
use timewarp_mol::internal::{Dof, TorsionRole, ZMatrix};
use timewarp_mol::Topology;

use super::blocks::{drop_empty, nearest_backbone, BlockLayout};
use super::fit::{circular_std, ChartedMd, FitTrajectory, MIN_PAIRS};
use super::gaussian::Features;
use super::{
    FitConfig, FitSource, FittedKernel, GaussianModel, MoleculeIdentity, RotorMove,
    TransitionHistogram, KERNEL_FORMAT, KERNEL_VERSION,
};
use crate::SampleError;

/// `format` of a pooled kernel file.
pub const POOLED_FORMAT: &str = "timewarp-pooled-kernel";
/// Version of the pooled kernel layout.
pub const POOLED_VERSION: u32 = 1;

/// Key of the φ and ψ coordinates of a group.
const PHI: &str = "phi";
const PSI: &str = "psi";

/// Everything fitted for one group (a residue type on one side of the root residue).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PooledGroup {
    /// Training peptides that had the group.
    pub peptides: Vec<String>,
    /// Frames its Gaussian was fitted to.
    pub frames: usize,
    /// The φ/ψ transition histogram (residues with φ and ψ).
    pub backbone: Option<TransitionHistogram>,
    /// The transition histogram of every rotor (and widely spread rigid torsion), by key.
    pub rotors: BTreeMap<String, TransitionHistogram>,
    /// Keys of the Gaussian's variables, in its order.
    pub gaussian_keys: Vec<String>,
    /// Keys of the rotors whose harmonics are features of the Gaussian's mean, in feature order
    /// (none in kernels made before rotor features).
    #[serde(default)]
    pub feature_rotor_keys: Vec<String>,
    /// The Gaussian over (φ, ψ, feature rotors…, variables…) of the residue it is conditioned
    /// on: φ/ψ at indices 0 and 1 when the residue has them (features of (0, 1)), then the
    /// feature rotors (rotor features of their indices), then the variables.
    pub gaussian: GaussianModel,
}

/// A fitted kernel pooled over peptides, by group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PooledKernel {
    pub format: String,
    pub version: u32,
    /// Lag of the transition histograms, ps.
    pub tau_ps: f64,
    /// Temperature of the MD, K.
    pub md_temperature_k: Option<f64>,
    /// Training peptides (their names, e.g. the data set's `AK`).
    pub peptides: Vec<String>,
    pub sources: Vec<FitSource>,
    /// By group name, e.g. `ALA/root`.
    pub groups: BTreeMap<String, PooledGroup>,
    #[serde(deserialize_with = "super::fit::fit_as_written")]
    pub fit: FitConfig,
}

/// One training peptide: its topology and MD.
pub struct PooledMolecule<'a> {
    pub name: String,
    pub topology: &'a Topology,
    pub trajectories: Vec<FitTrajectory<'a>>,
}

/// Residue, group and key of every coordinate of a molecule.
struct Layout {
    residue: Vec<usize>,
    group: Vec<String>,
    key: Vec<String>,
    /// Per residue: its group and the coordinate indices of the (φ, ψ) its Gaussian is
    /// conditioned on.
    residues: BTreeMap<usize, (String, Option<(usize, usize)>)>,
}

impl Layout {
    /// The layout of `top` in its chart `zm`; residue types are the force field's templates.
    fn of(top: &Topology, zm: &ZMatrix) -> Result<Layout, String> {
        let types = ForceField::amber14()
            .residue_templates(top)
            .map_err(|e| e.to_string())?;
        let entries = zm.entries();
        let root = top.atoms[entries[0].atom].residue;
        let mut entry_of = vec![0; top.n_atoms()];
        for (e, z) in entries.iter().enumerate() {
            entry_of[z.atom] = e;
        }
        let group_of = |r: usize| {
            let side = match r.cmp(&root) {
                std::cmp::Ordering::Less => "before",
                std::cmp::Ordering::Equal => "root",
                std::cmp::Ordering::Greater => "after",
            };
            format!("{}/{side}", types[r])
        };
        let backbone = zm.backbone();
        let mut layout = Layout {
            residue: Vec::with_capacity(zm.n_dofs()),
            group: Vec::with_capacity(zm.n_dofs()),
            key: Vec::with_capacity(zm.n_dofs()),
            residues: BTreeMap::new(),
        };
        for dof in zm.dofs() {
            let atom = dof.atom();
            // φ and ψ belong to their residue, whichever atom carries them.
            let r = match *dof {
                Dof::Torsion {
                    role: TorsionRole::Phi { residue } | TorsionRole::Psi { residue },
                    ..
                } => residue,
                _ => top.atoms[atom].residue,
            };
            let tag = |a: usize| {
                let off = top.atoms[a].residue as i64 - r as i64;
                match off {
                    0 => top.atoms[a].name.clone(),
                    _ => format!("{}{off:+}", top.atoms[a].name),
                }
            };
            let refs = entries[entry_of[atom]].refs;
            let chain = |k: usize| {
                std::iter::once(atom)
                    .chain(refs[..k].iter().copied())
                    .map(tag)
                    .collect::<Vec<_>>()
                    .join("-")
            };
            let key = match *dof {
                Dof::Bond { .. } => format!("bond {}", chain(1)),
                Dof::Angle { .. } => format!("angle {}", chain(2)),
                Dof::Torsion { role, .. } => match role {
                    TorsionRole::Phi { .. } => PHI.to_string(),
                    TorsionRole::Psi { .. } => PSI.to_string(),
                    TorsionRole::Rotor => format!("rotor {}", chain(3)),
                    TorsionRole::Rigid => format!("torsion {}", chain(3)),
                    TorsionRole::Offset { leader } => {
                        format!("offset {} from {}", chain(2), tag(zm.dofs()[leader].atom()))
                    }
                },
            };
            let group = group_of(r);
            layout.residues.entry(r).or_insert_with(|| {
                let f = (!backbone.is_empty()).then(|| {
                    let b = backbone[nearest_backbone(backbone, r)];
                    (b.phi, b.psi)
                });
                (group.clone(), f)
            });
            layout.residue.push(r);
            layout.group.push(group);
            layout.key.push(key);
        }
        Ok(layout)
    }

    /// Coordinate indices of residue `r`, in storage order.
    fn dofs_of(&self, r: usize) -> Vec<usize> {
        (0..self.residue.len())
            .filter(|&i| self.residue[i] == r)
            .collect()
    }
}

/// A training peptide in its chart.
struct Charted {
    name: String,
    zm: ZMatrix,
    layout: Layout,
    md: ChartedMd,
}

/// Fits a pooled kernel to the MD of `molecules`.
pub fn fit_pooled(
    molecules: &[PooledMolecule<'_>],
    cfg: &FitConfig,
) -> Result<PooledKernel, SampleError> {
    cfg.validate()?;
    if molecules.is_empty() {
        return Err(SampleError::Kernel("no training peptide given".into()));
    }
    let mut charted = Vec::with_capacity(molecules.len());
    for m in molecules {
        let zm = ZMatrix::from_topology(m.topology)
            .map_err(|e| SampleError::Kernel(format!("{}: {e}", m.name)))?;
        let md = ChartedMd::new(&zm, &m.trajectories, cfg)?;
        let layout = Layout::of(m.topology, &zm)
            .map_err(|e| SampleError::Kernel(format!("{}: {e}", m.name)))?;
        charted.push(Charted {
            name: m.name.clone(),
            zm,
            layout,
            md,
        });
    }
    // Every residue of every peptide, by group: (peptide, residue).
    let mut members: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
    for (i, c) in charted.iter().enumerate() {
        for (&r, (g, _)) in &c.layout.residues {
            members.entry(g.clone()).or_default().push((i, r));
        }
    }
    let mut groups = BTreeMap::new();
    for (g, mols) in &members {
        groups.insert(g.clone(), fit_group(g, mols, &charted, cfg)?);
    }
    Ok(PooledKernel {
        format: POOLED_FORMAT.into(),
        version: POOLED_VERSION,
        tau_ps: cfg.lag_ps,
        md_temperature_k: None,
        peptides: charted.iter().map(|c| c.name.clone()).collect(),
        sources: Vec::new(),
        groups,
        fit: cfg.clone(),
    })
}

/// Fits group `g` to its residues `members` (peptide, residue).
fn fit_group(
    g: &str,
    members: &[(usize, usize)],
    charted: &[Charted],
    cfg: &FitConfig,
) -> Result<PooledGroup, SampleError> {
    // The coordinates of the group in each peptide, checked to mean the same in all.
    let mols: Vec<usize> = members.iter().map(|m| m.0).collect();
    let dofs: Vec<Vec<usize>> = members
        .iter()
        .map(|&(m, r)| charted[m].layout.dofs_of(r))
        .collect();
    let first = &charted[mols[0]];
    let keys: Vec<String> = dofs[0]
        .iter()
        .map(|&i| first.layout.key[i].clone())
        .collect();
    for (k, &m) in mols.iter().enumerate().skip(1) {
        let other: Vec<&String> = dofs[k].iter().map(|&i| &charted[m].layout.key[i]).collect();
        if other.len() != keys.len() || other.iter().zip(&keys).any(|(a, b)| *a != b) {
            let which = (0..keys.len().max(other.len()))
                .find(|&j| keys.get(j) != other.get(j).copied())
                .unwrap_or(0);
            return Err(SampleError::Kernel(format!(
                "{g}: the coordinates of {} and {} differ ({} vs {}): the residue is built differently",
                first.name,
                charted[m].name,
                keys.get(which).map_or("nothing", |s| s.as_str()),
                other.get(which).map_or("nothing", |s| s.as_str()),
            )));
        }
    }
    let pairs_of = |j: usize| -> Vec<(Vec<f64>, Vec<f64>)> {
        let cols: Vec<Vec<usize>> = dofs.iter().map(|d| vec![d[j]]).collect();
        mols.iter()
            .zip(&cols)
            .flat_map(|(&m, c)| charted[m].md.pairs(c).collect::<Vec<_>>())
            .collect()
    };
    let n_pairs: usize = mols.iter().map(|&m| charted[m].md.n_pairs()).sum();
    if n_pairs < MIN_PAIRS {
        return Err(SampleError::Kernel(format!(
            "{g}: {n_pairs} frame pairs at lag {} ps in its peptides (need at least {MIN_PAIRS})",
            cfg.lag_ps
        )));
    }
    let position = |key: &str| keys.iter().position(|k| k == key);
    let backbone = match (position(PHI), position(PSI)) {
        (Some(p), Some(s)) => {
            let pairs: Vec<_> = mols
                .iter()
                .zip(&dofs)
                .flat_map(|(&m, d)| charted[m].md.pairs(&[d[p], d[s]]).collect::<Vec<_>>())
                .collect();
            Some(TransitionHistogram::fit(
                2,
                cfg.bins,
                cfg.uniform_mix,
                pairs.into_iter(),
            ))
        }
        _ => None,
    };
    let mut rotors = BTreeMap::new();
    let mut gaussian_cols = Vec::new();
    for (j, key) in keys.iter().enumerate() {
        if key == PHI || key == PSI {
            continue;
        }
        let dof = first.zm.dofs()[dofs[0][j]];
        let histogram = match dof {
            Dof::Torsion {
                role: TorsionRole::Rotor,
                ..
            } => true,
            Dof::Torsion { .. } => {
                let values = mols
                    .iter()
                    .zip(&dofs)
                    .flat_map(|(&m, d)| charted[m].md.frames().map(move |q| q[d[j]]));
                circular_std(values) > cfg.max_gaussian_torsion_std
            }
            Dof::Bond { .. } | Dof::Angle { .. } => false,
        };
        if histogram {
            let h = TransitionHistogram::fit(
                1,
                cfg.rotor_bins,
                cfg.uniform_mix,
                pairs_of(j).into_iter(),
            );
            rotors.insert(key.clone(), h);
        } else {
            gaussian_cols.push(j);
        }
    }
    // The Gaussian over (φ, ψ of the conditioning residue, feature rotors…, variables…).
    let conditioned = first.layout.residues[&members[0].1].1.is_some();
    let feature_rotor_cols: Vec<usize> = if cfg.rotor_harmonics > 0 {
        (0..keys.len())
            .filter(|&j| rotors.contains_key(&keys[j]))
            .collect()
    } else {
        Vec::new()
    };
    let rotor_off = if conditioned { 2 } else { 0 };
    let off = rotor_off + feature_rotor_cols.len();
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for (&(m, r), d) in members.iter().zip(&dofs) {
        let c = &charted[m];
        let f = c.layout.residues[&r].1;
        for q in c.md.frames() {
            let mut row = Vec::with_capacity(off + gaussian_cols.len());
            if let Some((p, s)) = f {
                row.extend([q[p], q[s]]);
            }
            row.extend(feature_rotor_cols.iter().map(|&j| q[d[j]]));
            row.extend(gaussian_cols.iter().map(|&j| q[d[j]]));
            rows.push(row);
        }
    }
    let features = Features {
        backbone: if conditioned { vec![(0, 1)] } else { vec![] },
        rotors: (rotor_off..off).collect(),
        rotor_harmonics: cfg.rotor_harmonics,
    };
    let periodic: Vec<bool> = gaussian_cols
        .iter()
        .map(|&j| first.zm.dofs()[dofs[0][j]].is_periodic())
        .collect();
    let gaussian = if gaussian_cols.is_empty() {
        GaussianModel {
            dofs: Vec::new(),
            periodic: Vec::new(),
            features,
            weights: Vec::new(),
            covariance: Vec::new(),
        }
    } else {
        let refs: Vec<&[f64]> = rows.iter().map(|r| r.as_slice()).collect();
        GaussianModel::fit(
            (off..off + gaussian_cols.len()).collect(),
            periodic,
            features,
            &refs,
        )
        .map_err(|e| SampleError::Kernel(format!("{g}: {e}")))?
    };
    let mut peptides: Vec<String> = mols.iter().map(|&m| charted[m].name.clone()).collect();
    peptides.dedup();
    Ok(PooledGroup {
        peptides,
        frames: rows.len(),
        backbone,
        rotors,
        gaussian_keys: gaussian_cols.iter().map(|&j| keys[j].clone()).collect(),
        feature_rotor_keys: feature_rotor_cols
            .iter()
            .map(|&j| keys[j].clone())
            .collect(),
        gaussian,
    })
}

impl PooledKernel {
    /// Internal consistency (a hand-edited or truncated file fails here).
    pub fn validate(&self) -> Result<(), String> {
        for (g, group) in &self.groups {
            let m = &group.gaussian;
            let d = m.dim();
            if d != group.gaussian_keys.len()
                || m.periodic.len() != d
                || m.weights.len() != d * m.features.len()
                || m.covariance.len() != d * d
                || m.features.backbone.len() > 1
                || m.features.rotors.len() != group.feature_rotor_keys.len()
            {
                return Err(format!("group {g}: the Gaussian's arrays do not match"));
            }
            if let Some(k) = group
                .feature_rotor_keys
                .iter()
                .find(|k| !group.rotors.contains_key(*k))
            {
                return Err(format!(
                    "group {g}: the feature rotor `{k}` has no histogram"
                ));
            }
            if !group.feature_rotor_keys.is_empty()
                && m.features.rotor_harmonics != self.fit.rotor_harmonics
            {
                return Err(format!(
                    "group {g}: {} rotor harmonics, the kernel's fit {}",
                    m.features.rotor_harmonics, self.fit.rotor_harmonics
                ));
            }
            if let Some(h) = &group.backbone {
                if h.dims != 2 || h.bins != self.fit.bins {
                    return Err(format!(
                        "group {g}: the φ/ψ histogram is not on the kernel's {0}×{0} grid",
                        self.fit.bins
                    ));
                }
            }
            for h in group.backbone.iter().chain(group.rotors.values()) {
                h.validate().map_err(|e| format!("group {g}: {e}"))?;
            }
        }
        Ok(())
    }

    /// The φ/ψ cell populations of every training residue of every type (the sum of the groups'
    /// own marginals), the independence component of the φ/ψ moves when `fit.marginal_mix` > 0.
    pub fn backbone_marginal(&self) -> Option<Vec<f64>> {
        if self.fit.marginal_mix <= 0.0 {
            return None;
        }
        let mut sum: Option<Vec<f64>> = None;
        for h in self.groups.values().filter_map(|g| g.backbone.as_ref()) {
            let counts = h.cell_counts();
            // Every group's histogram has the same grid (`validate`).
            match &mut sum {
                Some(s) => s.iter_mut().zip(&counts).for_each(|(a, b)| *a += b),
                None => sum = Some(counts),
            }
        }
        sum
    }

    /// The groups, e.g. `ALA/root, LYS/after`.
    pub fn group_names(&self) -> Vec<&str> {
        self.groups.keys().map(|s| s.as_str()).collect()
    }

    /// The fitted kernel of the molecule `top` (any peptide whose groups were all in training).
    pub fn instantiate(&self, top: &Topology) -> Result<FittedKernel, SampleError> {
        let zm = ZMatrix::from_topology(top).map_err(|e| SampleError::Kernel(e.to_string()))?;
        let layout = Layout::of(top, &zm).map_err(SampleError::Kernel)?;
        let residue_of_group = |g: &str| {
            let i = layout.group.iter().position(|x| x == g).unwrap_or(0);
            let r = &top.residues[layout.residue[i]];
            format!("{} {}", r.name, r.number)
        };
        for (g, _) in layout.residues.values() {
            if !self.groups.contains_key(g) {
                let (name, side) = g.split_once('/').unwrap_or((g, ""));
                let seen: Vec<&str> = self
                    .groups
                    .keys()
                    .filter(|k| k.ends_with(&format!("/{side}")))
                    .map(|k| k.split('/').next().unwrap_or(k))
                    .collect();
                let place = match side {
                    "root" => "at the root of the Z-matrix (the first residue of a dipeptide)",
                    "after" => "after the root residue (e.g. the second residue of a dipeptide)",
                    _ => "before the root residue",
                };
                return Err(SampleError::Kernel(format!(
                    "residue {} (type {name}) sits {place}, where no training peptide of this pooled kernel had a residue of type {name}: it has {} there (trained on {})",
                    residue_of_group(g),
                    seen.join(", "),
                    self.peptides.join(", ")
                )));
            }
        }
        let backbone = zm.backbone().to_vec();
        let layout_blocks = BlockLayout::new(top, &backbone, self.fit.split_side_chains);
        let marginal = self.backbone_marginal();
        let mut blocks = layout_blocks.empty_blocks(|bb| {
            let g = &layout.group[bb.phi];
            let h = self.groups[g].backbone.clone().ok_or_else(|| {
                SampleError::Kernel(format!("{g}: the pooled kernel has no φ/ψ histogram"))
            })?;
            match &marginal {
                Some(p) => h
                    .with_marginal(self.fit.marginal_mix, p)
                    .map_err(|e| SampleError::Kernel(format!("{g}: {e}"))),
                None => Ok(h),
            }
        })?;
        // (coordinate, group, index in the group's Gaussian) of every Gaussian variable.
        let mut vars: Vec<(usize, &PooledGroup, usize)> = Vec::new();
        for (i, dof) in zm.dofs().iter().enumerate() {
            let (g, key) = (&layout.group[i], &layout.key[i]);
            if key == PHI || key == PSI {
                continue;
            }
            let group = &self.groups[g];
            let block = layout_blocks.block_of(dof.atom());
            if let Some(h) = group.rotors.get(key) {
                blocks[block].rotors.push(RotorMove {
                    dof: i,
                    transitions: h.clone(),
                });
            } else if let Some(j) = group.gaussian_keys.iter().position(|k| k == key) {
                blocks[block].gaussian.push(vars.len());
                vars.push((i, group, j));
            } else {
                return Err(SampleError::Kernel(format!(
                    "{}: the coordinate `{key}` of {g} is not in the pooled kernel (the residue is built differently from the training peptides' {g})",
                    top.atom_label(dof.atom())
                )));
            }
        }
        drop_empty(&mut blocks);
        // Feature rotors: every rotor coordinate whose group conditions its Gaussian on it.
        let feature_rotors: Vec<usize> = (0..zm.n_dofs())
            .filter(|&i| {
                self.groups[&layout.group[i]]
                    .feature_rotor_keys
                    .contains(&layout.key[i])
            })
            .collect();
        let harmonics = self.fit.rotor_harmonics;
        let feature_rotor_of = |residue: usize, key: &str| {
            feature_rotors
                .iter()
                .position(|&i| layout.residue[i] == residue && layout.key[i] == key)
                .expect("a group's feature rotor is a coordinate of its residue")
        };
        let features = Features {
            backbone: backbone.iter().map(|b| (b.phi, b.psi)).collect(),
            rotors: feature_rotors.clone(),
            rotor_harmonics: if feature_rotors.is_empty() {
                0
            } else {
                harmonics
            },
        };
        let (p, d) = (features.len(), vars.len());
        let mut weights = vec![0.0; p * d];
        let mut covariance = vec![0.0; d * d];
        for (col, &(i, group, j)) in vars.iter().enumerate() {
            let m = &group.gaussian;
            let gd = m.dim();
            weights[col] = m.weights[j];
            if let Some((phi, _)) = layout.residues[&layout.residue[i]].1 {
                let r = backbone
                    .iter()
                    .position(|b| b.phi == phi)
                    .expect("a conditioning φ is a backbone φ");
                let (to, from) = (features.backbone_feature(r), m.features.backbone_feature(0));
                for f in 0..Features::PER_RESIDUE {
                    weights[(to + f) * d + col] = m.weights[(from + f) * gd + j];
                }
            }
            // The group's rotor features, mapped to the molecule's rotors.
            for (k, key) in group.feature_rotor_keys.iter().enumerate() {
                let to = features.rotor_feature(feature_rotor_of(layout.residue[i], key));
                let from = m.features.rotor_feature(k);
                for f in 0..2 * harmonics {
                    weights[(to + f) * d + col] = m.weights[(from + f) * gd + j];
                }
            }
            for (row, &(i2, _, j2)) in vars.iter().enumerate() {
                if layout.residue[i] == layout.residue[i2] {
                    covariance[row * d + col] = m.covariance[j2 * gd + j];
                }
            }
        }
        let gaussian = GaussianModel {
            dofs: vars.iter().map(|v| v.0).collect(),
            periodic: vars.iter().map(|v| zm.dofs()[v.0].is_periodic()).collect(),
            features,
            weights,
            covariance,
        };
        let kernel = FittedKernel {
            format: KERNEL_FORMAT.into(),
            version: KERNEL_VERSION,
            molecule: MoleculeIdentity::of(top),
            zmatrix: zm,
            tau_ps: self.tau_ps,
            md_temperature_k: self.md_temperature_k,
            sources: self.sources.clone(),
            blocks,
            gaussian,
            fit: self.fit.clone(),
        };
        kernel.validate().map_err(SampleError::Kernel)?;
        Ok(kernel)
    }
}
