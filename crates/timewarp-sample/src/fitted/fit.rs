//! `timewarp fit`: a [`FittedKernel`] from MD trajectories of one molecule.
//!
//! From every frame the internal coordinates q are computed in the molecule's Z-matrix. Pairs of
//! frames τ apart fill the transition histograms (φ/ψ per residue, each rotor); all frames fit
//! the φ/ψ-conditional Gaussian of the remaining coordinates by least squares. Torsions that the
//! topology calls rigid but that spread widely in the MD (e.g. a ring pucker) are moved by a
//! transition histogram too.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use timewarp_mol::internal::{Dof, TorsionRole, ZMatrix};
use timewarp_mol::traj::{find_trajectories, read_traj};
use timewarp_mol::Topology;

use super::blocks::{drop_empty, BlockLayout};
use super::gaussian::Features;
use super::pooled::{fit_pooled, PooledMolecule};
use super::{
    FitSource, FittedKernel, GaussianModel, MoleculeIdentity, RotorMove, TransitionHistogram,
    KERNEL_FORMAT, KERNEL_VERSION,
};
use crate::SampleError;
use timewarp_rundir::{InputIdentity, RunControl, RunRecord, Session};

/// Fewest frame pairs that make a transition histogram worth fitting.
pub const MIN_PAIRS: usize = 200;

/// Settings of `timewarp fit` (the `[fit]` section).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FitConfig {
    /// Lag τ of the transition histograms, ps (a multiple of the MD frame spacing). Acceptance
    /// barely depends on it (the histograms are symmetrised, so the φ/ψ moves are in detailed
    /// balance with the MD populations whatever τ is); larger τ makes larger moves.
    pub lag_ps: f64,
    /// Bins per torsion of the φ/ψ histograms (36: 10°).
    pub bins: usize,
    /// Bins of the rotor histograms.
    pub rotor_bins: usize,
    /// Weight ε of the uniform component of every transition histogram (keeps states that the
    /// MD never visited reachable).
    pub uniform_mix: f64,
    /// A rigid torsion or offset whose circular standard deviation in the MD exceeds this
    /// (radians) is moved by a transition histogram instead of the Gaussian.
    pub max_gaussian_torsion_std: f64,
    /// ρ ∈ [0, 1): the block's Gaussian innovation is proposed as ε′ = ρ ε + √(1 − ρ²) z from
    /// the current one (preconditioned Crank–Nicolson: reversible with respect to the fitted
    /// Gaussian, so a ρ > 0 keeps part of the current deviation from the conditional mean);
    /// 0 draws the block's coordinates independently of their current values. The flow refining
    /// the kernel makes the same move in its latent space. Measured (8 × 5 000 steps, alanine
    /// dipeptide): ρ = 0 → acceptance 0.498, 7 442 β↔αR transitions; 0.9 → 0.554, 7 936; on the
    /// pooled kernel of 40 dipeptides, five unseen ones: acceptance ×1.5–1.9 (0.5 → 0.8 → 0.9),
    /// transitions ×1.3–1.9.
    pub rest_correlation: f64,
    /// Fit one kernel pooled over several peptides by residue type ([`super::pooled`]), which
    /// applies to peptides outside the data; false: the kernel of the one molecule of the data.
    pub pooled: bool,
    /// Move each residue's side chain (Cβ and beyond: its rotors and their atoms) in a block of
    /// its own, apart from the φ/ψ block of its backbone: smaller moves, each accepted more
    /// often (a kernel file stores its blocks; this records how they were made).
    pub split_side_chains: bool,
    /// Weight w ∈ [0, 1) of the independence component of every φ/ψ move: with probability w
    /// the new (φ, ψ) is drawn from a φ/ψ marginal whatever the current cell — the residue's own
    /// MD marginal, or for a pooled kernel that of every training residue of every type — which
    /// proposes basins that the residue's lag-τ rows (short MD, one basin) rarely point to.
    /// Measured with ρ = 0.9: alanine dipeptide 0 → 7 936 transitions, 0.3 → 8 387, 0.6 → 8 669
    /// (acceptance 0.554–0.559); five unseen dipeptides, pooled kernel: 0.5 vs 0.3 more
    /// transitions on four of five at equal acceptance.
    pub marginal_mix: f64,
    /// Probability with which each rotor of a block with a φ/ψ move moves with it (the rotors
    /// of a side-chain block always move): a random scan over the rotors, chosen independently
    /// of the state, so every choice is an exact MH move of its own. A methyl rotor redrawn at
    /// every φ/ψ move costs acceptance without helping φ/ψ sample. Measured on alanine dipeptide
    /// (one block, ρ = 0.9, w = 0.6, 8 × 5 000 steps, seeds 1 and 2): p = 1 → acceptance
    /// 0.550 / 0.525, 8 473 / 8 138 β↔αR transitions; 0.5 → 0.616 / 0.605, 9 469 / 9 303;
    /// 0.3 → 0.640 / 0.624, 9 944 / 9 551; 0.15 → 0.655 / 0.643, 10 145 / 9 804. With side
    /// chains in blocks of their own the φ/ψ blocks hold no rotors and p changes nothing.
    pub rotor_move_probability: f64,
    /// Harmonics per rotor in the features of the Gaussian's mean (0: the mean depends on φ/ψ
    /// alone): with them the coordinates a rotor carries follow it when it moves — a methyl's
    /// hydrogens, proline's ring atoms when its ring rotor changes pucker.
    pub rotor_harmonics: usize,
}

/// Settings added to [`FitConfig`] after kernel files were first written, with the values the
/// files written before them were made with (a missing field in a `[fit]` section of a config
/// gets [`FitConfig::default`] instead).
fn fit_fields_added() -> [(&'static str, serde_json::Value); 4] {
    [
        ("rest_correlation", 0.0.into()),
        ("marginal_mix", 0.0.into()),
        ("rotor_move_probability", 1.0.into()),
        ("rotor_harmonics", 0.into()),
    ]
}

/// Reads the `fit` record of a kernel file: fields it lacks get the values its kernel was made
/// with ([`fit_fields_added`]), not today's defaults, so that an old kernel proposes as it did.
pub(crate) fn fit_as_written<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<FitConfig, D::Error> {
    let mut value = serde_json::Value::deserialize(d)?;
    if let Some(map) = value.as_object_mut() {
        for (name, legacy) in fit_fields_added() {
            map.entry(name).or_insert(legacy);
        }
    }
    serde_json::from_value(value).map_err(serde::de::Error::custom)
}

impl Default for FitConfig {
    fn default() -> Self {
        FitConfig {
            lag_ps: 50.0,
            bins: 36,
            rotor_bins: 36,
            uniform_mix: 0.01,
            max_gaussian_torsion_std: 0.6,
            rest_correlation: 0.9,
            pooled: false,
            split_side_chains: true,
            marginal_mix: 0.5,
            rotor_move_probability: 0.3,
            rotor_harmonics: 3,
        }
    }
}

impl FitConfig {
    pub fn validate(&self) -> Result<(), SampleError> {
        let bad = |m: String| Err(SampleError::Config(m));
        if !(self.lag_ps.is_finite() && self.lag_ps > 0.0) {
            return bad(format!("lag_ps must be positive, got {}", self.lag_ps));
        }

        if !(2..=360).contains(&self.bins) || !(2..=360).contains(&self.rotor_bins) {
            return bad(format!(
                "bins and rotor_bins must lie in 2..=360, got {} and {}",
                self.bins, self.rotor_bins
            ));
        }
        if !(self.uniform_mix > 0.0 && self.uniform_mix < 1.0) {
            return bad(format!(
                "uniform_mix must lie in (0, 1), got {}",
                self.uniform_mix
            ));
        }
        if !(0.0..1.0).contains(&self.marginal_mix) {
            return bad(format!(
                "marginal_mix must lie in [0, 1), got {}",
                self.marginal_mix
            ));
        }
        if !(self.rotor_move_probability > 0.0 && self.rotor_move_probability <= 1.0) {
            return bad(format!(
                "rotor_move_probability must lie in (0, 1], got {}",
                self.rotor_move_probability
            ));
        }
        if self.rotor_harmonics > 6 {
            return bad(format!(
                "rotor_harmonics must lie in 0..=6, got {}",
                self.rotor_harmonics
            ));
        }
        if !(0.0..1.0).contains(&self.rest_correlation) {
            return bad(format!(
                "rest_correlation must lie in [0, 1), got {}",
                self.rest_correlation
            ));
        }
        if !(self.max_gaussian_torsion_std > 0.0) {
            return bad(format!(
                "max_gaussian_torsion_std must be positive, got {}",
                self.max_gaussian_torsion_std
            ));
        }
        Ok(())
    }
}

/// One trajectory's frames, ready for fitting.
pub struct FitTrajectory<'a> {
    /// Where it came from, for messages.
    pub label: String,
    /// Positions, T × N × 3 (nm).
    pub positions: &'a [f32],
    /// Time of each frame, ps (T).
    pub time: &'a [f64],
}

/// Number of frames separating two frames τ apart in an evenly spaced trajectory.
pub(crate) fn lag_frames(t: &FitTrajectory<'_>, lag_ps: f64) -> Result<usize, SampleError> {
    let n = t.time.len();
    if n < 2 {
        return Ok(usize::MAX);
    }
    let dt = t.time[1] - t.time[0];
    let uneven = t
        .time
        .windows(2)
        .any(|w| ((w[1] - w[0]) - dt).abs() > 1e-6 * dt.abs() + 1e-9);
    if !(dt > 0.0) || uneven {
        return Err(SampleError::Kernel(format!(
            "{}: frames are not evenly spaced in time (MD written with --spacing log?); fitting needs regular spacing",
            t.label
        )));
    }
    let lag = (lag_ps / dt).round();
    if lag < 1.0 || (lag * dt - lag_ps).abs() > 1e-6 * lag_ps {
        return Err(SampleError::Kernel(format!(
            "{}: the lag {lag_ps} ps is not a multiple of the frame spacing {dt} ps",
            t.label
        )));
    }
    Ok(lag as usize)
}

/// Circular standard deviation √(−2 ln R) of a torsion over frames.
pub(crate) fn circular_std(values: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut c, mut n) = (0.0, 0.0, 0.0);
    for v in values {
        s += v.sin();
        c += v.cos();
        n += 1.0;
    }
    let r = ((s * s + c * c).sqrt() / n).min(1.0);
    (-2.0 * r.ln()).sqrt()
}

/// Internal coordinates of every frame of `positions` (T × N × 3, nm) in the chart `zm`.
pub(crate) fn chart_coordinates(zm: &ZMatrix, positions: &[f32]) -> Vec<Vec<f64>> {
    let n = zm.n_atoms();
    let mut x = vec![[0.0; 3]; n];
    positions
        .chunks_exact(3 * n)
        .map(|frame| {
            for (a, p) in x.iter_mut().zip(frame.chunks_exact(3)) {
                *a = [p[0] as f64, p[1] as f64, p[2] as f64];
            }
            let mut q = vec![0.0; zm.n_dofs()];
            zm.to_internal(&x, &mut q);
            q
        })
        .collect()
}

/// One molecule's MD in its chart: the internal coordinates of every frame of every trajectory,
/// and each trajectory's lag τ in frames.
pub(crate) struct ChartedMd {
    pub qs: Vec<Vec<Vec<f64>>>,
    pub lags: Vec<usize>,
}

impl ChartedMd {
    pub fn new(
        zm: &ZMatrix,
        trajectories: &[FitTrajectory<'_>],
        cfg: &FitConfig,
    ) -> Result<Self, SampleError> {
        let n = zm.n_atoms();
        let mut md = ChartedMd {
            qs: Vec::with_capacity(trajectories.len()),
            lags: Vec::with_capacity(trajectories.len()),
        };
        for t in trajectories {
            let frames = t.positions.len() / (3 * n);
            if t.positions.len() != frames * 3 * n || t.time.len() != frames {
                return Err(SampleError::Kernel(format!(
                    "{}: {} positions and {} times for {n} atoms",
                    t.label,
                    t.positions.len(),
                    t.time.len()
                )));
            }
            md.lags.push(lag_frames(t, cfg.lag_ps)?);
            md.qs.push(chart_coordinates(zm, t.positions));
        }
        Ok(md)
    }

    /// Pairs (values at t, values at t + τ) of the coordinates `dofs`.
    pub fn pairs<'a>(
        &'a self,
        dofs: &'a [usize],
    ) -> impl Iterator<Item = (Vec<f64>, Vec<f64>)> + 'a {
        self.qs.iter().zip(&self.lags).flat_map(move |(q, &l)| {
            (0..q.len().saturating_sub(l)).map(move |t| {
                (
                    dofs.iter().map(|&i| q[t][i]).collect(),
                    dofs.iter().map(|&i| q[t + l][i]).collect(),
                )
            })
        })
    }

    /// Number of pairs at the φ/ψ lag.
    pub fn n_pairs(&self) -> usize {
        self.qs
            .iter()
            .zip(&self.lags)
            .map(|(q, &l)| q.len().saturating_sub(l))
            .sum()
    }

    pub fn frames(&self) -> impl Iterator<Item = &Vec<f64>> {
        self.qs.iter().flatten()
    }
}

/// Fits the kernel of the molecule `top` to `trajectories`.
pub fn fit_kernel(
    top: &Topology,
    trajectories: &[FitTrajectory<'_>],
    cfg: &FitConfig,
) -> Result<FittedKernel, SampleError> {
    cfg.validate()?;
    let zm = ZMatrix::from_topology(top).map_err(|e| SampleError::Kernel(e.to_string()))?;
    let md = ChartedMd::new(&zm, trajectories, cfg)?;
    let n_pairs = md.n_pairs();
    if n_pairs < MIN_PAIRS {
        let longest = trajectories
            .iter()
            .map(|t| t.time.last().unwrap_or(&0.0) - t.time.first().unwrap_or(&0.0))
            .fold(0.0, f64::max);
        return Err(SampleError::Kernel(format!(
            "the MD is too short to fill the transition histograms: {n_pairs} frame pairs at lag {} ps (need at least {MIN_PAIRS}; the longest trajectory spans {longest} ps)",
            cfg.lag_ps
        )));
    }
    let all: Vec<&[f64]> = md.frames().map(|q| q.as_slice()).collect();
    // Blocks: one per residue with φ/ψ; every other coordinate joins the block of the nearest
    // such residue (by residue index).
    let backbone = zm.backbone().to_vec();
    let layout = BlockLayout::new(top, &backbone, cfg.split_side_chains);
    let mut blocks = layout.empty_blocks(|bb| {
        let h = TransitionHistogram::fit(2, cfg.bins, cfg.uniform_mix, md.pairs(&[bb.phi, bb.psi]));
        let own = h.cell_counts();
        h.with_marginal(cfg.marginal_mix, &own)
            .map_err(SampleError::Kernel)
    })?;
    let mut gauss_dofs = Vec::new();
    let mut gauss_block = Vec::new();
    for (i, dof) in zm.dofs().iter().enumerate() {
        let block = layout.block_of(dof.atom());
        let histogram = match *dof {
            Dof::Torsion {
                role: TorsionRole::Phi { .. } | TorsionRole::Psi { .. },
                ..
            } => continue,
            Dof::Torsion {
                role: TorsionRole::Rotor,
                ..
            } => true,
            Dof::Torsion { .. } => {
                circular_std(all.iter().map(|q| q[i])) > cfg.max_gaussian_torsion_std
            }
            Dof::Bond { .. } | Dof::Angle { .. } => false,
        };
        if histogram {
            blocks[block].rotors.push(RotorMove {
                dof: i,
                transitions: TransitionHistogram::fit(
                    1,
                    cfg.rotor_bins,
                    cfg.uniform_mix,
                    md.pairs(&[i]),
                ),
            });
        } else {
            gauss_dofs.push(i);
            gauss_block.push(block);
        }
    }
    let periodic: Vec<bool> = gauss_dofs
        .iter()
        .map(|&i| zm.dofs()[i].is_periodic())
        .collect();
    let features = Features {
        backbone: backbone.iter().map(|b| (b.phi, b.psi)).collect(),
        rotors: if cfg.rotor_harmonics > 0 {
            blocks
                .iter()
                .flat_map(|b| b.rotors.iter().map(|r| r.dof))
                .collect()
        } else {
            Vec::new()
        },
        rotor_harmonics: cfg.rotor_harmonics,
    };
    let gaussian = GaussianModel::fit(gauss_dofs, periodic, features, &all)
        .map_err(|e| SampleError::Kernel(e.to_string()))?;
    for (j, &b) in gauss_block.iter().enumerate() {
        blocks[b].gaussian.push(j);
    }
    drop_empty(&mut blocks);
    let kernel = FittedKernel {
        format: KERNEL_FORMAT.into(),
        version: KERNEL_VERSION,
        molecule: MoleculeIdentity::of(top),
        zmatrix: zm,
        tau_ps: cfg.lag_ps,
        md_temperature_k: None,
        sources: Vec::new(),
        blocks,
        gaussian,
        fit: cfg.clone(),
    };
    kernel.validate().map_err(SampleError::Kernel)?;
    Ok(kernel)
}

/// What `timewarp fit` did (its `run.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitSummary {
    pub command: String,
    pub kernel: PathBuf,
    pub molecule: String,
    pub sources: Vec<FitSource>,
    pub tau_ps: f64,
    pub blocks: Vec<String>,
    pub rotors: usize,
    pub gaussian_dim: usize,
    pub wall_seconds: f64,
}

/// Reads every trajectory of the MD folders `md_dirs` (and their replica subfolders), fits the
/// kernel, and writes `kernel.json` into `out` (opened as every output folder: locked and
/// inspected first; a folder holding this fit already is not fitted again).
pub fn run_fit(
    cfg: &FitConfig,
    md_dirs: &[PathBuf],
    out: &Path,
    control: &RunControl<'_>,
) -> Result<FitSummary, SampleError> {
    let t0 = Instant::now();
    cfg.validate()?;
    if md_dirs.is_empty() {
        return Err(SampleError::Config("no MD folder given".into()));
    }
    let inputs = md_dirs
        .iter()
        .map(|d| InputIdentity::folder("md", d))
        .collect::<Result<Vec<_>, _>>()?;
    let settings = serde_json::json!({ "fit": cfg });
    let session = Session::open_with(
        out,
        RunRecord::start("fit", settings, inputs),
        control,
        false,
    )?;
    if session.is_complete() {
        return serde_json::from_value(session.record().summary.clone()).map_err(|e| {
            SampleError::Json {
                path: out.join(timewarp_rundir::RUN_JSON),
                message: e.to_string(),
            }
        });
    }
    // Trajectories by molecule, in the order met: (topology, name, trajectory indices).
    let mut molecules: Vec<(Topology, String, Vec<usize>)> = Vec::new();
    let mut arrays = Vec::new();
    let mut sources = Vec::new();
    for dir in md_dirs {
        let found = find_trajectories(dir)?;
        let mut frames = 0;
        for (d, name) in &found {
            let (pdb, traj) = read_traj(d, name)?;
            let label = d.join(name).display().to_string();
            let identity = MoleculeIdentity::of(&pdb.topology);
            let known = molecules
                .iter()
                .position(|m| MoleculeIdentity::of(&m.0) == identity);
            match known {
                Some(m) => molecules[m].2.push(arrays.len()),
                None if cfg.pooled || molecules.is_empty() => {
                    molecules.push((pdb.topology, name.clone(), vec![arrays.len()]))
                }
                None => {
                    let first = &molecules[0].1;
                    return Err(SampleError::Kernel(format!(
                        "{label} holds another molecule ({}) than {first} ({}): a kernel of one molecule is fitted to its own MD; fit one kernel for several peptides with --pooled",
                        identity.sequence(),
                        MoleculeIdentity::of(&molecules[0].0).sequence()
                    )));
                }
            }
            frames += traj.n_frames();
            arrays.push((label, traj));
        }
        sources.push(FitSource {
            dir: dir.clone(),
            trajectories: found.len(),
            frames,
            pairs: 0,
        });
    }
    let trajs: Vec<FitTrajectory<'_>> = arrays
        .iter()
        .map(|(label, a)| FitTrajectory {
            label: label.clone(),
            positions: &a.positions,
            time: &a.time,
        })
        .collect();
    // Pairs per source folder.
    let mut k = 0;
    for s in sources.iter_mut() {
        for t in &trajs[k..k + s.trajectories] {
            let lag = lag_frames(t, cfg.lag_ps)?;
            s.pairs += (t.time.len()).saturating_sub(lag);
        }
        k += s.trajectories;
    }
    let md_temperature_k = md_dirs.iter().find_map(|d| md_temperature(d));
    let (path, (molecule, blocks, rotors, gaussian_dim)) = if cfg.pooled {
        let pooled: Vec<PooledMolecule<'_>> = molecules
            .iter()
            .map(|(top, name, idx)| PooledMolecule {
                name: name.clone(),
                topology: top,
                trajectories: idx
                    .iter()
                    .map(|&i| FitTrajectory {
                        label: trajs[i].label.clone(),
                        positions: trajs[i].positions,
                        time: trajs[i].time,
                    })
                    .collect(),
            })
            .collect();
        let mut kernel = fit_pooled(&pooled, cfg)?;
        kernel.sources = sources.clone();
        kernel.md_temperature_k = md_temperature_k;
        let described = (
            format!(
                "{} peptides: {}",
                kernel.peptides.len(),
                kernel.peptides.join(", ")
            ),
            kernel.group_names().iter().map(|s| s.to_string()).collect(),
            kernel.groups.values().map(|g| g.rotors.len()).sum(),
            kernel.groups.values().map(|g| g.gaussian.dim()).sum(),
        );
        (kernel.save(out)?, described)
    } else {
        let mut kernel = fit_kernel(&molecules[0].0, &trajs, cfg)?;
        kernel.sources = sources.clone();
        kernel.md_temperature_k = md_temperature_k;
        let described = (
            kernel.molecule.sequence(),
            kernel.blocks.iter().map(|b| b.label.clone()).collect(),
            kernel.blocks.iter().map(|b| b.rotors.len()).sum(),
            kernel.gaussian.dim(),
        );
        (kernel.save(out)?, described)
    };
    let summary = FitSummary {
        command: "fit".into(),
        kernel: path,
        molecule,
        sources,
        tau_ps: cfg.lag_ps,
        blocks,
        rotors,
        gaussian_dim,
        wall_seconds: t0.elapsed().as_secs_f64(),
    };
    session.finish(&summary)?;
    Ok(summary)
}

/// The MD temperature recorded in an MD folder's `config.toml` (`[md] temperature_k`), if any.
fn md_temperature(dir: &Path) -> Option<f64> {
    let table: toml::Table = std::fs::read_to_string(dir.join("config.toml"))
        .ok()?
        .parse()
        .ok()?;
    let t = table.get("md")?.get("temperature_k")?;
    t.as_float().or_else(|| t.as_integer().map(|i| i as f64))
}
