//! MD data sets of many peptides (`timewarp md --sequences …`, `--all-dipeptides`, `--pdb
//! 'dir/*.pdb'`):
//! the training data of a transferable Timewarp model.
//!
//! [`run_md_dataset`] runs the same [`MdConfig`] for every peptide, one peptide after another
//! (the replicas of one peptide run in parallel, as in [`run_md`]), into
//!
//! ```text
//! OUT/manifest.json              data-set record, rewritten atomically after every peptide
//! OUT/<name>/                    one peptide in the official layout of `timewarp md`
//!     <name>-traj-state0.pdb, <name>-traj-arrays.npz, run.json, checkpoint.json
//!     (or replica-000/, replica-001/, … with several replicas)
//! ```
//!
//! - Peptides run concurrently when there are more worker threads than replicas: with
//!   `md.threads` workers (0: one per core) and R replicas, ⌊workers / R⌋ peptides at a time
//!   (at least one), each with its share of the threads. Peptides are independent (own seed,
//!   own folder), so the trajectories do not depend on the concurrency.
//! - A peptide is a sequence (built by [`timewarp_mol::builder::build_peptide`], then
//!   minimised) or a PDB file. Its name is the filesystem-safe form of the sequence
//!   ([`sequence_name`]: `AH(HID)E` → `AH-HID-E`) or the PDB's file stem.
//! - Seeds: peptide `name` runs with seed `splitmix64(seed ⊕ fnv1a(name))` ([`peptide_seed`]),
//!   so adding peptides to a data set does not change the trajectories of the others.
//! - Resumable per peptide: a peptide whose `run.json` records the configured protocol and
//!   steps for all its replicas is skipped; any other peptide is run with `resume = true`, so a
//!   partial run continues from its checkpoint and a fresh one starts from scratch.
//! - Failures: a peptide that cannot be built, read, parameterised or simulated is marked
//!   `failed` (with the error) in the manifest and the next peptide starts. Failed peptides are
//!   tried again by the next invocation.
//! - Splits by peptide ([`split`]): fixed when a peptide first enters the manifest; a peptide
//!   never moves between train, val and test.

mod manifest;
mod split;

pub use manifest::{
    Manifest, PeptideEntry, PeptideStatus, SplitSpec, MANIFEST_FILE, MANIFEST_FORMAT,
};
pub use split::{assign_splits, fnv1a, splitmix64, SplitFractions, SplitName};

use crate::config::protocol_differences;
use crate::minimize::{minimize, MinimizeOptions};
use crate::run::{md_record, name_from_path, run_md, MdSummary};
use crate::{MdConfig, MdError};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use timewarp_ff::{FfError, ForceField, SystemOptions};
use timewarp_mol::builder::{build_peptide, BuildError};
use timewarp_mol::pdb::{read_pdb, PdbFile};
use timewarp_rundir::{RunRecord, Session};

/// The 20 standard amino acids by one-letter code.
pub const STANDARD_AMINO_ACIDS: &str = "ACDEFGHIKLMNPQRSTVWY";

/// Where a peptide's starting structure comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeptideSource {
    /// A sequence for [`build_peptide`] (ACE/NME caps, all hydrogens), e.g. `AK`, `AH(HID)E`.
    Sequence(String),
    /// A PDB file with all hydrogens.
    Pdb(PathBuf),
}

impl PeptideSource {
    /// The peptide's name in the data set: [`sequence_name`] or the PDB file stem.
    pub fn name(&self) -> String {
        match self {
            PeptideSource::Sequence(s) => sequence_name(s),
            PeptideSource::Pdb(p) => name_from_path(p),
        }
    }

    /// The sequence or the path, for messages.
    pub fn describe(&self) -> String {
        match self {
            PeptideSource::Sequence(s) => format!("sequence {s}"),
            PeptideSource::Pdb(p) => p.display().to_string(),
        }
    }
}

/// Filesystem-safe name of a sequence: letters, digits, `_` and `-` are kept, parentheses
/// become `-` (`AH(HID)E` → `AH-HID-E`), anything else `_`; no leading, trailing or repeated `-`.
pub fn sequence_name(sequence: &str) -> String {
    let mut name = String::with_capacity(sequence.len());
    for c in sequence.trim().chars() {
        let c = match c {
            '(' | ')' => '-',
            c if c.is_ascii_alphanumeric() || c == '_' || c == '-' => c,
            _ => '_',
        };
        if c == '-' && (name.is_empty() || name.ends_with('-')) {
            continue;
        }
        name.push(c);
    }
    while name.ends_with('-') {
        name.pop();
    }
    name
}

/// The 400 dipeptides of the standard amino acids, `AA`, `AC`, …, `YY`.
pub fn all_dipeptides() -> Vec<String> {
    let aa = STANDARD_AMINO_ACIDS.chars();
    aa.clone()
        .flat_map(|a| aa.clone().map(move |b| format!("{a}{b}")))
        .collect()
}

/// Salt of the per-peptide MD seeds.
const SEED_SALT: u64 = 0x6d64_7365_6564_0001;

/// MD seed of peptide `name` in a data set with seed `dataset_seed`.
pub fn peptide_seed(dataset_seed: u64, name: &str) -> u64 {
    splitmix64(dataset_seed ^ SEED_SALT ^ fnv1a(name))
}

/// Settings of a data set.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetConfig {
    /// MD of every peptide; `seed` is the data-set seed (of the MD and of the split), `name`
    /// is ignored (each peptide is named after its source).
    pub md: MdConfig,
    /// amber14 options (implicit solvent, cutoff).
    pub forcefield: SystemOptions,
    pub split: SplitFractions,
}

/// What happened to one requested peptide.
#[derive(Debug, Clone, PartialEq)]
pub enum PeptideOutcome {
    /// Its MD was already complete; nothing was run.
    AlreadyComplete,
    /// MD ran (fresh or resumed) to the end.
    Ran(Box<MdSummary>),
    /// It failed; the message names the peptide's problem.
    Failed(String),
}

/// Report of one requested peptide.
#[derive(Debug, Clone, PartialEq)]
pub struct PeptideReport {
    pub name: String,
    pub split: SplitName,
    pub n_atoms: Option<usize>,
    pub outcome: PeptideOutcome,
}

/// Everything [`run_md_dataset`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetSummary {
    /// The manifest as written at the end.
    pub manifest: Manifest,
    /// The requested peptides, in the order they ran.
    pub reports: Vec<PeptideReport>,
}

impl DatasetSummary {
    /// The requested peptides that failed.
    pub fn failed(&self) -> impl Iterator<Item = &PeptideReport> {
        self.reports
            .iter()
            .filter(|r| matches!(r.outcome, PeptideOutcome::Failed(_)))
    }
}

/// Receives progress of a data-set run (all methods default to doing nothing).
pub trait DatasetObserver: Sync {
    /// Peptide `index` (0-based) of the `total` requested ones is about to start.
    fn peptide_started(&self, _index: usize, _total: usize, _entry: &PeptideEntry) {}
    /// MD progress of peptide `index`, as `progress` of [`run_md`] (several peptides may run
    /// at once, see the module documentation).
    fn md_progress(&self, _index: usize, _done: u64, _total: u64) {}
    /// A peptide is done (skipped, run or failed); the manifest is already updated.
    fn peptide_finished(&self, _index: usize, _total: usize, _report: &PeptideReport) {}
}

/// An observer that ignores everything.
impl DatasetObserver for () {}

/// Why one peptide failed.
#[derive(Debug, thiserror::Error)]
enum PeptideError {
    #[error("cannot build the peptide: {0}")]
    Build(#[from] BuildError),
    #[error("cannot parameterise it with amber14: {0}")]
    ForceField(#[from] FfError),
    #[error(transparent)]
    Md(#[from] MdError),
}

/// Runs MD of every peptide of `peptides` into `out` (see the module documentation), keeping
/// `out/manifest.json` up to date.
///
/// Errors are returned for the data set as a whole (invalid settings, two different sources
/// with the same name, a manifest that disagrees with `cfg`, a manifest that cannot be
/// written); a failing peptide is reported in the summary and the manifest instead.
pub fn run_md_dataset(
    cfg: &DatasetConfig,
    peptides: &[PeptideSource],
    out: &Path,
    observer: &dyn DatasetObserver,
) -> Result<DatasetSummary, MdError> {
    let md = MdConfig {
        name: None,
        ..cfg.md.clone()
    };
    md.validate()?;
    cfg.split.validate()?;
    let requested = distinct_peptides(peptides)?;
    std::fs::create_dir_all(out).map_err(|e| MdError::io(out, e))?;
    let manifest_path = out.join(MANIFEST_FILE);
    let mut manifest = if manifest_path.is_file() {
        let m = Manifest::read(&manifest_path)?;
        check_compatible(&m, &md, cfg, &manifest_path)?;
        Manifest {
            md: md.clone(),
            ..m
        }
    } else {
        Manifest {
            format: MANIFEST_FORMAT.into(),
            md: md.clone(),
            forcefield: cfg.forcefield,
            split: SplitSpec::new(cfg.split, md.seed),
            peptides: Vec::new(),
        }
    };

    // New peptides enter the manifest; known ones keep their entry (and split).
    let existing: HashMap<String, SplitName> = manifest
        .peptides
        .iter()
        .map(|p| (p.name.clone(), p.split))
        .collect();
    for (name, source) in &requested {
        match manifest.peptides.iter_mut().find(|p| &p.name == name) {
            Some(entry) => {
                let known = match (&entry.sequence, &entry.source) {
                    (Some(s), _) => PeptideSource::Sequence(s.clone()),
                    (None, Some(p)) => PeptideSource::Pdb(p.clone()),
                    (None, None) => PeptideSource::Sequence(String::new()),
                };
                match (&known, source) {
                    (PeptideSource::Sequence(a), PeptideSource::Sequence(b)) if a == b => {}
                    // A PDB may be given by another path (another working directory).
                    (PeptideSource::Pdb(_), PeptideSource::Pdb(p)) => {
                        entry.source = Some(p.clone())
                    }
                    _ => {
                        return Err(MdError::Manifest {
                            path: manifest_path,
                            reason: format!(
                                "peptide '{name}' was made from {} but is now given as {}",
                                known.describe(),
                                source.describe()
                            ),
                        })
                    }
                }
            }
            None => manifest.peptides.push(PeptideEntry {
                name: name.clone(),
                sequence: match source {
                    PeptideSource::Sequence(s) => Some(s.clone()),
                    PeptideSource::Pdb(_) => None,
                },
                source: match source {
                    PeptideSource::Pdb(p) => Some(p.clone()),
                    PeptideSource::Sequence(_) => None,
                },
                folder: name.clone(),
                n_atoms: None,
                seed: peptide_seed(md.seed, name),
                split: SplitName::Train, // assigned below
                status: PeptideStatus::Pending,
                error: None,
            }),
        }
    }
    let names: Vec<&str> = manifest.peptides.iter().map(|p| p.name.as_str()).collect();
    let splits = assign_splits(
        &names,
        &manifest.split.fractions(),
        manifest.split.seed,
        &existing,
    );
    for (p, s) in manifest.peptides.iter_mut().zip(splits) {
        p.split = s;
    }
    manifest.write(&manifest_path)?;

    let total = requested.len();
    let workers = match md.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        t => t,
    };
    let concurrent = (workers / md.replicas.max(1)).clamp(1, total.max(1));
    let per_peptide_threads = (workers / concurrent).max(1);
    let shared = std::sync::Mutex::new((manifest, vec![None::<PeptideReport>; total]));
    let next = std::sync::atomic::AtomicUsize::new(0);
    // Set when a worker fails for the data set as a whole (the manifest cannot be written):
    // the others stop after their current peptide.
    let abort = std::sync::atomic::AtomicBool::new(false);
    let worker = || -> Result<(), MdError> {
        loop {
            if abort.load(std::sync::atomic::Ordering::SeqCst) {
                return Ok(());
            }
            let index = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let Some((name, source)) = requested.get(index) else {
                return Ok(());
            };
            let (dir, peptide_md, k) = {
                let guard = shared.lock().unwrap_or_else(|e| e.into_inner());
                let manifest = &guard.0;
                let k = manifest
                    .peptides
                    .iter()
                    .position(|p| &p.name == name)
                    .expect("requested peptides are in the manifest");
                observer.peptide_started(index, total, &manifest.peptides[k]);
                let entry = &manifest.peptides[k];
                let peptide_md = MdConfig {
                    name: Some(name.clone()),
                    seed: entry.seed,
                    threads: per_peptide_threads,
                    ..md.clone()
                };
                (out.join(&entry.folder), peptide_md, k)
            };
            let progress = |done: u64, all: u64| observer.md_progress(index, done, all);
            let (outcome, n_atoms) = match completed_run(&dir, &peptide_md) {
                Some(n_atoms) => (PeptideOutcome::AlreadyComplete, Some(n_atoms)),
                None => match run_peptide(&peptide_md, &cfg.forcefield, source, &dir, &progress) {
                    Ok(summary) => {
                        let n = summary.n_atoms;
                        (PeptideOutcome::Ran(Box::new(summary)), Some(n))
                    }
                    Err((e, n_atoms)) => {
                        tracing::error!("peptide {name} ({}) failed: {e}", source.describe());
                        (PeptideOutcome::Failed(e.to_string()), n_atoms)
                    }
                },
            };
            let mut guard = shared.lock().unwrap_or_else(|e| e.into_inner());
            let (manifest, reports) = &mut *guard;
            let entry = &mut manifest.peptides[k];
            entry.n_atoms = n_atoms.or(entry.n_atoms);
            (entry.status, entry.error) = match &outcome {
                PeptideOutcome::Failed(e) => (PeptideStatus::Failed, Some(e.clone())),
                _ => (PeptideStatus::Complete, None),
            };
            let report = PeptideReport {
                name: name.clone(),
                split: entry.split,
                n_atoms: entry.n_atoms,
                outcome,
            };
            if let Err(e) = manifest.write(&manifest_path) {
                abort.store(true, std::sync::atomic::Ordering::SeqCst);
                return Err(e);
            }
            observer.peptide_finished(index, total, &report);
            reports[index] = Some(report);
        }
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..concurrent).map(|_| scope.spawn(worker)).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect::<Result<Vec<()>, MdError>>()
    })?;
    let (manifest, reports) = shared.into_inner().unwrap_or_else(|e| e.into_inner());
    let reports = reports
        .into_iter()
        .map(|r| r.expect("every requested peptide was processed"))
        .collect();
    Ok(DatasetSummary { manifest, reports })
}

/// The requested peptides with their names, duplicates of the same source dropped.
fn distinct_peptides(peptides: &[PeptideSource]) -> Result<Vec<(String, PeptideSource)>, MdError> {
    if peptides.is_empty() {
        return Err(MdError::Config("no peptides given".into()));
    }
    let mut out: Vec<(String, PeptideSource)> = Vec::with_capacity(peptides.len());
    for source in peptides {
        let name = source.name();
        if name.is_empty() || name == "." || name == ".." {
            return Err(MdError::Config(format!(
                "{} does not give a usable peptide name",
                source.describe()
            )));
        }
        match out.iter().find(|(n, _)| *n == name) {
            Some((_, s)) if s == source => {}
            Some((_, s)) => {
                return Err(MdError::Config(format!(
                    "{} and {} have the same name '{name}'",
                    s.describe(),
                    source.describe()
                )))
            }
            None => out.push((name, source.clone())),
        }
    }
    Ok(out)
}

/// An existing manifest must describe the same protocol, force field and split.
fn check_compatible(
    m: &Manifest,
    md: &MdConfig,
    cfg: &DatasetConfig,
    path: &Path,
) -> Result<(), MdError> {
    let mut differences = protocol_differences(&m.md.protocol(), &md.protocol());
    if m.forcefield != cfg.forcefield {
        differences.push(format!(
            "forcefield: manifest {:?} vs now {:?}",
            m.forcefield, cfg.forcefield
        ));
    }
    let split = SplitSpec::new(cfg.split, md.seed);
    if m.split != split {
        differences.push(format!(
            "split: manifest {},{},{} vs now {}",
            m.split.train, m.split.val, m.split.test, cfg.split
        ));
    }
    if differences.is_empty() {
        Ok(())
    } else {
        Err(MdError::Manifest {
            path: path.to_path_buf(),
            reason: format!(
                "the data set was made with other settings ({}); use another output folder",
                differences.join("; ")
            ),
        })
    }
}

/// `Some(n_atoms)` if `dir/run.json` records a finished MD run of exactly this protocol and
/// length (the peptide's settings, every replica at burn-in + steps).
fn completed_run(dir: &Path, md: &MdConfig) -> Option<usize> {
    let record = RunRecord::read(dir).ok()??;
    if !record.completed || record.command != "md" {
        return None;
    }
    let ran: MdConfig = serde_json::from_value(record.settings.get("md")?.clone()).ok()?;
    let steps = record.extent.get("steps")?.as_u64()?;
    if ran.protocol() != md.protocol() || steps != md.steps || ran.name != md.name {
        return None;
    }
    let summary: MdSummary = serde_json::from_value(record.summary).ok()?;
    let all_done = summary.replicas.len() == md.replicas
        && summary
            .replicas
            .iter()
            .all(|r| r.steps_done == md.total_steps());
    all_done.then_some(summary.n_atoms)
}

/// Builds or reads one peptide, parameterises it and runs (or resumes) its MD. The error
/// comes with the atom count when the structure got that far.
// The error is made once per peptide and recorded in the manifest; boxing it buys nothing.
#[allow(clippy::result_large_err)]
fn run_peptide(
    md: &MdConfig,
    forcefield: &SystemOptions,
    source: &PeptideSource,
    dir: &Path,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<MdSummary, (PeptideError, Option<usize>)> {
    let mut pdb = match source {
        PeptideSource::Sequence(s) => {
            let (topology, positions) = build_peptide(s).map_err(|e| (e.into(), None))?;
            PdbFile {
                topology,
                models: vec![positions],
            }
        }
        PeptideSource::Pdb(p) => read_pdb(p).map_err(|e| (MdError::from(e).into(), None))?,
    };
    let n_atoms = Some(pdb.topology.n_atoms());
    let system = ForceField::amber14()
        .create_system(&pdb.topology, forcefield)
        .map_err(|e| (e.into(), n_atoms))?;
    if matches!(source, PeptideSource::Sequence(_)) && !md.minimize {
        // Template geometry is only a starting point: a built peptide is always minimised
        // (run_md does it when md.minimize is set).
        let opts = MinimizeOptions {
            tolerance: md.minimize_tolerance,
            max_iterations: md.minimize_max_iterations,
            ..MinimizeOptions::default()
        };
        minimize(&system, &mut pdb.models[0], &opts).map_err(|e| (e.into(), n_atoms))?;
    }
    // The peptide's folder is opened like every output folder (locked, inspected, recorded).
    let source_path = match source {
        PeptideSource::Sequence(s) => PathBuf::from(format!("sequence:{s}")),
        PeptideSource::Pdb(p) => p.clone(),
    };
    let session = Session::open(
        dir,
        md_record(md, forcefield, &pdb, &source_path),
        true,
        true,
    )
    .map_err(|e| (MdError::from(e).into(), n_atoms))?;
    let summary = run_md(md, &pdb, &system, system.masses(), dir, true, progress)
        .map_err(|e| (e.into(), n_atoms))?;
    session
        .finish(&summary)
        .map_err(|e| (MdError::from(e).into(), n_atoms))?;
    Ok(summary)
}

#[cfg(test)]
#[path = "dataset_tests.rs"]
mod tests;
