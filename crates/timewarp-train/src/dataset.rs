//! The pair data set: conditioning states x(t) and targets x(t+τ) from MD trajectories.
//!
//! A trajectory in the official layout is a pair of files `<name>-traj-state0.pdb` (topology)
//! and `<name>-traj-arrays.npz` (`step`, `time`, `energies`, `positions`, `velocities`,
//! `forces`). A pair is two frames whose MD step numbers differ by exactly the lag τ (the
//! official `step_width`), so regular and the official logarithmic frame spacing both work:
//! frame i pairs with the frame whose step is `step[i] + τ`, if there is one.
//!
//! The data set keeps only an index of pairs (trajectory, frame x, frame y); a trajectory's
//! positions are loaded when a batch needs them and kept in a byte-bounded LRU cache, so data
//! sets larger than memory train (slowly if the cache thrashes). Only positions are kept: the
//! training replaces the MD velocities by auxiliary N(0, I) draws (see [`crate::augment`]).
//!
//! Data of many peptides: a folder written by `timewarp md` over several peptides holds a
//! `manifest.json` ([`read_md_dataset`]); training then reads the complete peptides of its
//! `train` split, validates on its `val` split and never reads its `test` split. With
//! [`Balance::Peptide`] every batch element first draws a peptide uniformly, then one of its
//! pairs ([`PeptideSampler`]), so that peptides with long trajectories do not dominate.

use crate::error::DataError;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use timewarp_mol::Element;

pub use timewarp_rundir::layout::{discover, TrajectoryFiles, ARRAYS_SUFFIX, STATE0_SUFFIX};

/// How pairs are divided into training and validation sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Split {
    /// The last `val_fraction` of every trajectory's simulated time is validation data; pairs
    /// straddling the boundary are dropped, so no validation target was seen in training.
    TimeBlock { val_fraction: f64 },
    /// A `val_fraction` of the peptides (trajectory names; replicas of a peptide stay together)
    /// is held out: this measures transfer to unseen peptides.
    Peptide { val_fraction: f64 },
}

impl Default for Split {
    fn default() -> Self {
        Split::TimeBlock { val_fraction: 0.1 }
    }
}

/// How training pairs are drawn when the data hold several peptides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Balance {
    /// Each batch element picks a peptide uniformly, then a pair of that peptide uniformly
    /// (replicas of a peptide pooled): every peptide weighs the same, whatever its trajectory
    /// length. Batches are drawn with replacement, as a pure function of (seed, step).
    #[default]
    Peptide,
    /// Uniform over all pairs, in epochs without replacement (the official Timewarp order):
    /// a peptide weighs in proportion to its number of pairs.
    Pair,
}

/// Draws batches with per-peptide balance ([`Balance::Peptide`]).
#[derive(Debug, Clone)]
pub struct PeptideSampler {
    /// Peptide names, sorted, and the pairs of each.
    names: Vec<String>,
    groups: Vec<Vec<PairRef>>,
}

/// Salt of the per-peptide sampling stream (independent of the epoch order and augmentation).
const BALANCE_SALT: u64 = 0x6261_6c61_6e63_6531;

impl PeptideSampler {
    /// Groups `pairs` by the peptide name of their trajectory (replicas pooled).
    pub fn new(pairs: &[PairRef], infos: &[TrajectoryInfo]) -> Self {
        let mut by_name: std::collections::BTreeMap<&str, Vec<PairRef>> = Default::default();
        for r in pairs {
            by_name.entry(infos[r.traj as usize].name.as_str()).or_default().push(*r);
        }
        let (names, groups) = by_name.into_iter().map(|(n, g)| (n.to_string(), g)).unzip();
        PeptideSampler { names, groups }
    }

    pub fn n_peptides(&self) -> usize {
        self.groups.len()
    }

    /// Peptide names (sorted) and their pair counts.
    pub fn peptides(&self) -> impl Iterator<Item = (&str, usize)> {
        self.names.iter().map(String::as_str).zip(self.groups.iter().map(Vec::len))
    }

    /// The `batch` pairs of optimiser step `step`: for each element a peptide p ~ U{peptides},
    /// then a pair ~ U{pairs of p}. ChaCha8 stream `step` of the seed, so a resumed run draws
    /// the same batches as an uninterrupted one.
    pub fn batch(&self, batch: usize, seed: u64, step: u64) -> Vec<PairRef> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ BALANCE_SALT);
        rng.set_stream(step);
        (0..batch)
            .map(|_| {
                let g = &self.groups[rng.random_range(0..self.groups.len())];
                g[rng.random_range(0..g.len())]
            })
            .collect()
    }
}

/// The per-peptide sampler when `balance` asks for it and the pairs span at least two
/// peptides; `None` means the epoch order of [`epoch_batches`] (with a single peptide both
/// balances give every pair the same weight, and the epoch order draws without replacement).
pub fn peptide_sampler(balance: Balance, pairs: &[PairRef], infos: &[TrajectoryInfo]) -> Option<PeptideSampler> {
    match balance {
        Balance::Pair => None,
        Balance::Peptide => Some(PeptideSampler::new(pairs, infos)).filter(|s| s.n_peptides() > 1),
    }
}

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
    let bad = |detail: String| DataError::Read { origin: path.display().to_string(), detail };
    let m = Manifest::read(&path).map_err(|e| match e {
        timewarp_md::MdError::Manifest { reason, .. } => bad(format!("not a data-set manifest: {reason}")),
        other => bad(other.to_string()),
    })?;
    let mut out = MdDatasetSplits { root: dir.to_path_buf(), ..Default::default() };
    for p in m.peptides {
        let folder = Path::new(&p.folder);
        if p.folder.is_empty() || folder.is_absolute() || folder.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
            return Err(bad(format!("peptide '{}': folder '{}' is not a plain relative path", p.name, p.folder)));
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
            out.incomplete.push(format!("{} ({})", p.name, format!("{:?}", p.status).to_lowercase()));
        }
    }
    Ok(out)
}

/// A trajectory as loaded into memory: what the data set needs from the files.
#[derive(Debug, Clone)]
pub struct Trajectory {
    /// Peptide name (`<name>` of the official layout); replicas share it.
    pub name: String,
    pub elements: Vec<Element>,
    /// MD step number of each frame.
    pub steps: Vec<i64>,
    /// Positions in nm, frame-major, flat [T·N·3].
    pub positions: Vec<f32>,
}

impl Trajectory {
    pub fn n_atoms(&self) -> usize {
        self.elements.len()
    }
    pub fn n_frames(&self) -> usize {
        self.steps.len()
    }
}

/// Where a trajectory's positions come from.
#[derive(Debug, Clone)]
enum Source {
    Files { arrays: PathBuf },
    Memory(Arc<Vec<f32>>),
}

/// Per-trajectory metadata kept for the whole run (small).
#[derive(Debug, Clone)]
pub struct TrajectoryInfo {
    pub name: String,
    /// The topology file (`…-traj-state0.pdb`), needed by the acceptance loss; `None` for
    /// in-memory trajectories.
    pub state0: Option<PathBuf>,
    pub n_atoms: usize,
    pub n_frames: usize,
    pub elements: Vec<Element>,
    /// Flow vocabulary index of every atom.
    pub atom_types: Vec<i64>,
    /// MD step number of every frame.
    pub steps: Vec<i64>,
    /// Frame pairs (x, y) with steps[y] = steps[x] + τ.
    pub pairs: Vec<(u32, u32)>,
    source: Source,
}

impl TrajectoryInfo {
    /// A human-readable origin for error messages.
    pub fn origin(&self) -> String {
        match &self.source {
            Source::Files { arrays } => arrays.display().to_string(),
            Source::Memory(_) => format!("in-memory trajectory '{}'", self.name),
        }
    }
}

/// One training example: frame `x` and frame `y` (τ later) of trajectory `traj`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairRef {
    pub traj: u32,
    pub x: u32,
    pub y: u32,
}

/// A padded batch on the host, f32, in the official dense layout: real atoms first, padded
/// slots with atom type 0 and zero coordinates.
#[derive(Debug, Clone, Default)]
pub struct PairBatch {
    pub n_max: usize,
    /// Real atoms of each example.
    pub n_atoms: Vec<usize>,
    /// Trajectory index of each example.
    pub traj: Vec<u32>,
    /// [B·N] flow vocabulary indices.
    pub atom_types: Vec<i64>,
    /// [B·N·3] x^p(t) in nm.
    pub x_coords: Vec<f32>,
    /// [B·N·3] x^p(t+τ) in nm.
    pub y_coords: Vec<f32>,
    /// [B·N·3] auxiliary velocities of x(t) (filled by the augmentation).
    pub x_velocs: Vec<f32>,
    /// [B·N·3] auxiliary velocities of x(t+τ).
    pub y_velocs: Vec<f32>,
}

impl PairBatch {
    /// A zeroed batch of `batch` examples with `n_max` atom slots each.
    pub fn zeros(batch: usize, n_max: usize) -> Self {
        let mut b = PairBatch::default();
        b.reset(batch, n_max);
        b
    }

    /// Resizes and zeroes the buffers, keeping their allocations.
    pub fn reset(&mut self, batch: usize, n_max: usize) {
        self.n_max = n_max;
        self.n_atoms.clear();
        self.n_atoms.resize(batch, 0);
        self.traj.clear();
        self.traj.resize(batch, 0);
        for v in [&mut self.x_coords, &mut self.y_coords, &mut self.x_velocs, &mut self.y_velocs] {
            v.clear();
            v.resize(batch * n_max * 3, 0.0);
        }
        self.atom_types.clear();
        self.atom_types.resize(batch * n_max, 0);
    }

    pub fn batch_size(&self) -> usize {
        self.n_atoms.len()
    }

    /// Padding mask in the flow's convention: 1.0 for a real atom, 0.0 for padding, [B·N].
    pub fn real_mask(&self) -> Vec<f32> {
        let mut m = vec![0.0; self.batch_size() * self.n_max];
        for (b, &n) in self.n_atoms.iter().enumerate() {
            m[b * self.n_max..b * self.n_max + n].fill(1.0);
        }
        m
    }
}

/// Index of all pairs of a set of trajectories, with on-demand loading of positions.
pub struct PairDataset {
    pub trajectories: Vec<TrajectoryInfo>,
    pub lag_steps: i64,
    cache: PositionCache,
}

/// Maps an element to the flow's atom-type vocabulary.
pub type AtomTyper = dyn Fn(Element) -> Option<i64> + Sync;

impl PairDataset {
    /// Builds the index of `trajectory files` (see [`discover`]): reads each file once to find
    /// its pairs, then drops the positions (they are reloaded on demand).
    pub fn from_files(
        files: &[TrajectoryFiles],
        lag_steps: i64,
        atom_type: &AtomTyper,
        cache_bytes: usize,
    ) -> Result<Self, DataError> {
        let mut trajectories = Vec::with_capacity(files.len());
        let mut cache = PositionCache::new(cache_bytes);
        for (t, f) in files.iter().enumerate() {
            let mut traj = crate::io::read_trajectory(f)?;
            let origin = f.arrays.display().to_string();
            let source = Source::Files { arrays: f.arrays.clone() };
            // Keep the positions just read while the budget allows (no second read).
            let positions = Arc::new(std::mem::take(&mut traj.positions));
            if positions.len() * 4 <= cache_bytes {
                cache.insert(t as u32, positions);
            }
            trajectories.push(make_info(traj, Some(f.state0.clone()), source, lag_steps, atom_type, &origin)?);
        }
        cache.loads = 0;
        Ok(PairDataset { trajectories, lag_steps, cache })
    }

    /// A data set of trajectories already in memory (synthetic data, tests, benchmarks).
    pub fn from_memory(
        trajs: Vec<Trajectory>,
        lag_steps: i64,
        atom_type: &AtomTyper,
    ) -> Result<Self, DataError> {
        let mut trajectories = Vec::with_capacity(trajs.len());
        for mut t in trajs {
            let n = t.n_atoms();
            if t.positions.len() != t.n_frames() * n * 3 {
                return Err(DataError::Shape {
                    origin: format!("in-memory trajectory '{}'", t.name),
                    detail: format!(
                        "{} position values for {} frames of {} atoms",
                        t.positions.len(),
                        t.n_frames(),
                        n
                    ),
                });
            }
            let origin = format!("in-memory trajectory '{}'", t.name);
            let source = Source::Memory(Arc::new(std::mem::take(&mut t.positions)));
            trajectories.push(make_info(t, None, source, lag_steps, atom_type, &origin)?);
        }
        Ok(PairDataset { trajectories, lag_steps, cache: PositionCache::new(usize::MAX) })
    }

    /// Positions of trajectory `t`, loading it if it is not cached.
    pub fn positions(&mut self, t: u32) -> Result<Arc<Vec<f32>>, DataError> {
        let info = &self.trajectories[t as usize];
        match &info.source {
            Source::Memory(p) => Ok(p.clone()),
            Source::Files { arrays } => {
                if let Some(p) = self.cache.get(t) {
                    return Ok(p);
                }
                let p = Arc::new(crate::io::read_positions(info, arrays)?);
                self.cache.insert(t, p.clone());
                Ok(p)
            }
        }
    }

    /// Number of trajectory loads so far (cache misses), for diagnostics.
    pub fn loads(&self) -> u64 {
        self.cache.loads
    }

    /// Fills `out` with the pairs `refs`, padded to the largest molecule among them. Velocities
    /// are zeroed (the augmentation draws them).
    pub fn fill_batch(&mut self, refs: &[PairRef], out: &mut PairBatch) -> Result<(), DataError> {
        let n_max = refs.iter().map(|r| self.trajectories[r.traj as usize].n_atoms).max().unwrap_or(0);
        out.reset(refs.len(), n_max);
        for (b, r) in refs.iter().enumerate() {
            let pos = self.positions(r.traj)?;
            let info = &self.trajectories[r.traj as usize];
            let n = info.n_atoms;
            out.n_atoms[b] = n;
            out.traj[b] = r.traj;
            out.atom_types[b * n_max..b * n_max + n].copy_from_slice(&info.atom_types);
            let (x0, y0) = (r.x as usize * n * 3, r.y as usize * n * 3);
            out.x_coords[b * n_max * 3..(b * n_max + n) * 3].copy_from_slice(&pos[x0..x0 + n * 3]);
            out.y_coords[b * n_max * 3..(b * n_max + n) * 3].copy_from_slice(&pos[y0..y0 + n * 3]);
        }
        Ok(())
    }
}

fn make_info(
    t: Trajectory,
    state0: Option<PathBuf>,
    source: Source,
    lag_steps: i64,
    atom_type: &AtomTyper,
    origin: &str,
) -> Result<TrajectoryInfo, DataError> {
    let atom_types = t
        .elements
        .iter()
        .enumerate()
        .map(|(i, &e)| {
            atom_type(e).ok_or_else(|| DataError::UnknownElement {
                origin: origin.to_string(),
                atom: i + 1,
                element: e.symbol().to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(TrajectoryInfo {
        n_atoms: t.n_atoms(),
        n_frames: t.n_frames(),
        pairs: frame_pairs(&t.steps, lag_steps),
        name: t.name,
        state0,
        elements: t.elements,
        atom_types,
        steps: t.steps,
        source,
    })
}

/// All frame pairs (i, j) with step[j] = step[i] + τ.
pub fn frame_pairs(steps: &[i64], lag_steps: i64) -> Vec<(u32, u32)> {
    let by_step: HashMap<i64, u32> = steps.iter().enumerate().map(|(i, &s)| (s, i as u32)).collect();
    steps
        .iter()
        .enumerate()
        .filter_map(|(i, &s)| by_step.get(&(s + lag_steps)).map(|&j| (i as u32, j)))
        .collect()
}

/// Training and validation pairs after the split.
#[derive(Debug, Clone, Default)]
pub struct SplitPairs {
    pub train: Vec<PairRef>,
    pub val: Vec<PairRef>,
}

/// Divides the pairs of every trajectory into training and validation pairs.
pub fn split_pairs(
    infos: &[TrajectoryInfo],
    split: &Split,
    seed: u64,
) -> Result<SplitPairs, DataError> {
    let mut out = SplitPairs::default();
    match *split {
        Split::TimeBlock { val_fraction } => {
            check_fraction(val_fraction)?;
            for (t, info) in infos.iter().enumerate() {
                let (p, s) = (&info.pairs, &info.steps);
                let (lo, hi) = (s.iter().min().copied().unwrap_or(0), s.iter().max().copied().unwrap_or(0));
                // Boundary in simulated time, so that log-spaced frames split by time too.
                let boundary = lo as f64 + (1.0 - val_fraction) * (hi - lo) as f64;
                for &(x, y) in p {
                    let r = PairRef { traj: t as u32, x, y };
                    let (sx, sy) = (s[x as usize] as f64, s[y as usize] as f64);
                    if val_fraction > 0.0 && sx >= boundary {
                        out.val.push(r);
                    } else if val_fraction == 0.0 || sy < boundary {
                        out.train.push(r);
                    }
                }
            }
        }
        Split::Peptide { val_fraction } => {
            check_fraction(val_fraction)?;
            let mut names: Vec<&str> = infos.iter().map(|i| i.name.as_str()).collect();
            names.sort();
            names.dedup();
            if names.len() < 2 && val_fraction > 0.0 {
                return Err(DataError::TooFewPeptides { found: names.len() });
            }
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_5b11_7000_0001);
            names.shuffle(&mut rng);
            let n_val = if val_fraction > 0.0 {
                ((val_fraction * names.len() as f64).round() as usize).clamp(1, names.len() - 1)
            } else {
                0
            };
            let val_names: Vec<&str> = names[..n_val].to_vec();
            for (t, info) in infos.iter().enumerate() {
                let p = &info.pairs;
                let is_val = val_names.contains(&infos[t].name.as_str());
                let dst = if is_val { &mut out.val } else { &mut out.train };
                dst.extend(p.iter().map(|&(x, y)| PairRef { traj: t as u32, x, y }));
            }
        }
    }
    Ok(out)
}

fn check_fraction(f: f64) -> Result<(), DataError> {
    if (0.0..1.0).contains(&f) {
        Ok(())
    } else {
        Err(DataError::Config(format!("validation fraction {f} is not in [0, 1)")))
    }
}

/// Evenly spaced subset of at most `max` pairs (deterministic, keeps coverage of all peptides
/// and of the whole trajectory).
pub fn subsample(pairs: &[PairRef], max: usize) -> Vec<PairRef> {
    if pairs.len() <= max || max == 0 {
        return pairs.to_vec();
    }
    (0..max).map(|k| pairs[k * pairs.len() / max]).collect()
}

/// The batches of one epoch: pairs shuffled with a seed derived from (seed, epoch), then
/// sorted by molecule size (a stable sort, so the order within a size is random), cut into
/// batches of `batch` pairs, and the batches shuffled. Batches hence hold molecules of equal
/// size, except at the borders between sizes. The order is a pure function of (seed, epoch),
/// so a resumed run recomputes it and continues at the saved batch.
pub fn epoch_batches(
    pairs: &[PairRef],
    infos: &[TrajectoryInfo],
    batch: usize,
    seed: u64,
    epoch: u64,
) -> Vec<Vec<PairRef>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ epoch.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut order = pairs.to_vec();
    order.shuffle(&mut rng);
    order.sort_by_key(|r| infos[r.traj as usize].n_atoms);
    let mut batches: Vec<Vec<PairRef>> = order.chunks(batch.max(1)).map(|c| c.to_vec()).collect();
    batches.shuffle(&mut rng);
    batches
}

/// Least-recently-used cache of trajectory positions, bounded in bytes (always holds at least
/// the trajectory just loaded).
struct PositionCache {
    budget: usize,
    used: usize,
    map: HashMap<u32, Arc<Vec<f32>>>,
    order: VecDeque<u32>,
    loads: u64,
}

impl PositionCache {
    fn new(budget: usize) -> Self {
        PositionCache { budget, used: 0, map: HashMap::new(), order: VecDeque::new(), loads: 0 }
    }

    fn get(&mut self, t: u32) -> Option<Arc<Vec<f32>>> {
        let p = self.map.get(&t)?.clone();
        if self.order.back() != Some(&t) {
            self.order.retain(|&k| k != t);
            self.order.push_back(t);
        }
        Some(p)
    }

    fn insert(&mut self, t: u32, p: Arc<Vec<f32>>) {
        self.loads += 1;
        let bytes = p.len() * 4;
        while self.used + bytes > self.budget {
            let Some(old) = self.order.pop_front() else { break };
            if let Some(v) = self.map.remove(&old) {
                self.used -= v.len() * 4;
            }
        }
        self.used += bytes;
        self.map.insert(t, p);
        self.order.push_back(t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typer(e: Element) -> Option<i64> {
        match e {
            Element::C => Some(0),
            Element::H => Some(1),
            _ => None,
        }
    }

    fn traj(name: &str, n: usize, steps: Vec<i64>) -> Trajectory {
        let t = steps.len();
        Trajectory {
            name: name.into(),
            elements: vec![Element::C; n],
            positions: (0..t * n * 3).map(|k| k as f32).collect(),
            steps,
        }
    }

    #[test]
    fn pairs_with_regular_spacing() {
        let p = frame_pairs(&[0, 10, 20, 30, 40], 20);
        assert_eq!(p, vec![(0, 2), (1, 3), (2, 4)]);
    }

    #[test]
    fn pairs_with_log_spacing() {
        // Official log spacing: each block of 10 000 steps saves at 0, 1, 10, 100, 1000 steps.
        let steps = vec![0, 1, 10, 100, 1000, 10000, 10001, 10010, 10100, 11000, 20000];
        assert_eq!(frame_pairs(&steps, 1000), vec![(0, 4), (5, 9)]);
        assert_eq!(frame_pairs(&steps, 10000), vec![(0, 5), (1, 6), (2, 7), (3, 8), (4, 9), (5, 10)]);
        assert!(frame_pairs(&steps, 7).is_empty());
    }

    #[test]
    fn time_block_split_drops_straddling_pairs() {
        let ds = PairDataset::from_memory(vec![traj("a", 2, (0..10).map(|s| s * 10).collect())], 10, &typer).unwrap();
        let s = split_pairs(&ds.trajectories, &Split::TimeBlock { val_fraction: 0.2 }, 0).unwrap();
        // boundary at step 72: training pairs end before it, validation pairs start after it.
        assert_eq!(s.train.len(), 7); // (0,1) … (6,7)
        assert_eq!(s.val.iter().map(|r| (r.x, r.y)).collect::<Vec<_>>(), vec![(8, 9)]);
    }

    #[test]
    fn peptide_split_keeps_replicas_together() {
        let trajs = vec![
            traj("a", 2, vec![0, 1, 2]),
            traj("b", 3, vec![0, 1, 2]),
            traj("a", 2, vec![0, 1, 2]),
            traj("c", 4, vec![0, 1, 2]),
        ];
        let ds = PairDataset::from_memory(trajs, 1, &typer).unwrap();
        let s = split_pairs(&ds.trajectories, &Split::Peptide { val_fraction: 0.34 }, 7).unwrap();
        assert_eq!(s.train.len() + s.val.len(), 8);
        let name = |r: &PairRef| ds.trajectories[r.traj as usize].name.clone();
        for v in &s.val {
            assert!(s.train.iter().all(|t| name(t) != name(v)));
        }
        assert!(!s.val.is_empty());
        let single = PairDataset::from_memory(vec![traj("a", 2, vec![0, 1])], 1, &typer).unwrap();
        assert!(matches!(
            split_pairs(&single.trajectories, &Split::Peptide { val_fraction: 0.5 }, 0),
            Err(DataError::TooFewPeptides { .. })
        ));
    }

    #[test]
    fn unknown_element_is_named() {
        let mut t = traj("x", 2, vec![0, 1]);
        t.elements[1] = Element::Zn;
        let e = PairDataset::from_memory(vec![t], 1, &typer).err().unwrap().to_string();
        assert!(e.contains("Zn") && e.contains("atom 2"), "{e}");
    }

    #[test]
    fn batches_are_padded_and_sorted_by_size() {
        let trajs = vec![traj("a", 2, (0..20).collect()), traj("b", 3, (0..20).collect())];
        let mut ds = PairDataset::from_memory(trajs, 1, &typer).unwrap();
        let s = split_pairs(&ds.trajectories, &Split::TimeBlock { val_fraction: 0.0 }, 0).unwrap();
        assert_eq!(s.train.len(), 38);
        let batches = epoch_batches(&s.train, &ds.trajectories, 4, 1, 0);
        assert_eq!(batches.iter().map(|b| b.len()).sum::<usize>(), 38);
        let mixed = batches
            .iter()
            .filter(|b| b.iter().any(|r| r.traj == 0) && b.iter().any(|r| r.traj == 1))
            .count();
        assert!(mixed <= 1);
        // Deterministic per (seed, epoch), different across epochs.
        assert_eq!(batches, epoch_batches(&s.train, &ds.trajectories, 4, 1, 0));
        assert_ne!(batches, epoch_batches(&s.train, &ds.trajectories, 4, 1, 1));

        let refs = [PairRef { traj: 0, x: 3, y: 4 }, PairRef { traj: 1, x: 0, y: 1 }];
        let mut b = PairBatch::default();
        ds.fill_batch(&refs, &mut b).unwrap();
        assert_eq!(b.n_max, 3);
        assert_eq!(b.n_atoms, vec![2, 3]);
        // Example 0: frame 3 of a 2-atom trajectory starts at 3·2·3 = 18.
        assert_eq!(&b.x_coords[..6], &[18., 19., 20., 21., 22., 23.]);
        assert_eq!(&b.x_coords[6..9], &[0., 0., 0.]);
        assert_eq!(&b.y_coords[..3], &[24., 25., 26.]);
        assert_eq!(b.real_mask(), vec![1., 1., 0., 1., 1., 1.]);
    }

    /// Two peptides with 10:1 pair counts: 100 and 10 pairs.
    fn unbalanced() -> PairDataset {
        let trajs = vec![traj("big", 2, (0..101).collect()), traj("small", 3, (0..11).collect())];
        PairDataset::from_memory(trajs, 1, &typer).unwrap()
    }

    /// Fraction of the first `n_batches` batches' elements that come from peptide "big".
    fn big_fraction(batches: impl Iterator<Item = Vec<PairRef>>, n_batches: usize) -> f64 {
        let (mut big, mut all) = (0usize, 0usize);
        for b in batches.take(n_batches) {
            big += b.iter().filter(|r| r.traj == 0).count();
            all += b.len();
        }
        big as f64 / all as f64
    }

    #[test]
    fn peptide_balance_weighs_peptides_equally_and_pair_balance_weighs_pairs() {
        let ds = unbalanced();
        let s = split_pairs(&ds.trajectories, &Split::TimeBlock { val_fraction: 0.0 }, 0).unwrap();
        assert_eq!(s.train.len(), 110);
        // 200 batches of 32 = 6400 draws. Under `peptide` the expected share of "big" is 1/2
        // (binomial standard deviation 0.006); under `pair` it is 100/110 = 0.909. Tolerance
        // ±0.03 for both, five standard deviations of the peptide draw.
        let sampler = peptide_sampler(Balance::Peptide, &s.train, &ds.trajectories).unwrap();
        assert_eq!(sampler.peptides().collect::<Vec<_>>(), vec![("big", 100), ("small", 10)]);
        let f = big_fraction((0..).map(|step| sampler.batch(32, 3, step)), 200);
        assert!((f - 0.5).abs() < 0.03, "peptide balance: big fraction {f}");
        assert!(peptide_sampler(Balance::Pair, &s.train, &ds.trajectories).is_none());
        let epochs = (0..).flat_map(|e| epoch_batches(&s.train, &ds.trajectories, 32, 3, e));
        let f = big_fraction(epochs, 200);
        assert!((f - 100.0 / 110.0).abs() < 0.03, "pair balance: big fraction {f}");
        // Pure function of (seed, step); every drawn pair is a real training pair.
        assert_eq!(sampler.batch(32, 3, 17), sampler.batch(32, 3, 17));
        assert_ne!(sampler.batch(32, 3, 17), sampler.batch(32, 3, 18));
        assert!(sampler.batch(64, 1, 0).iter().all(|r| s.train.contains(r)));
        // One peptide: the epoch order, whatever the balance.
        let single = PairDataset::from_memory(vec![traj("a", 2, (0..5).collect())], 1, &typer).unwrap();
        let p = split_pairs(&single.trajectories, &Split::TimeBlock { val_fraction: 0.0 }, 0).unwrap();
        assert!(peptide_sampler(Balance::Peptide, &p.train, &single.trajectories).is_none());
    }

    #[test]
    fn cache_evicts_least_recently_used() {
        let mut c = PositionCache::new(3 * 4 * 2);
        c.insert(0, Arc::new(vec![0.0; 3]));
        c.insert(1, Arc::new(vec![0.0; 3]));
        assert!(c.get(0).is_some());
        c.insert(2, Arc::new(vec![0.0; 3]));
        assert!(c.get(1).is_none());
        assert!(c.get(0).is_some() && c.get(2).is_some());
        assert_eq!(c.loads, 3);
    }
}
