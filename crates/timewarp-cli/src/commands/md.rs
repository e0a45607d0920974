//! `timewarp md`: Langevin MD in the official Timewarp trajectory layout, of one structure
//! (`--pdb FILE`) or of a data set of many peptides (`--sequences`, `--sequence-file`,
//! `--all-dipeptides`, several `--pdb` or a quoted glob): one folder per peptide, a
//! `manifest.json` with train/val/test splits by peptide, resumable per peptide
//! (`timewarp_md::dataset`).

use crate::config::{load_section, write_toml_atomic, ForceFieldSettings};
use crate::progress::Progress;
use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use timewarp_md::dataset::{
    all_dipeptides, run_md_dataset, DatasetConfig, DatasetObserver, PeptideEntry, PeptideOutcome,
    PeptideReport, PeptideSource, SplitFractions, SplitName, MANIFEST_FILE,
};
use timewarp_md::{MdConfig, SpacingKind};
use timewarp_rundir::RunControl;

#[derive(clap::Args)]
pub struct Args {
    /// Starting structure (PDB with all hydrogens). Repeat it, or give a quoted glob
    /// (`--pdb 'dir/*.pdb'`), for a data set of several peptides.
    #[arg(long)]
    pdb: Vec<String>,
    /// Data set of capped peptides built from sequences, comma-separated: `AK,GW,AH(HID)E`.
    #[arg(long, value_delimiter = ',')]
    sequences: Vec<String>,
    /// Data set of the sequences in FILE: one per line, `#` starts a comment, blank lines are
    /// ignored.
    #[arg(long)]
    sequence_file: Option<PathBuf>,
    /// Data set of the 400 capped dipeptides of the 20 standard amino acids.
    #[arg(long)]
    all_dipeptides: bool,
    /// Data-set split by peptide: TRAIN,VAL,TEST fractions (default 0.8,0.1,0.1, or `split` of
    /// the TOML's `[dataset]`; seed: --seed).
    #[arg(long)]
    split: Option<String>,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
    /// TOML file with `[md]`, `[forcefield]` (and `[dataset]`) sections; flags override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Production steps per replica (default 20000000 = 10 ns at 0.5 fs). The burn-in comes on
    /// top: with the default --burn-in-steps 2000000 (1 ns), `--steps 2000` runs 2,002,000 steps
    /// and saves frames of the last 2000 only.
    #[arg(long, conflicts_with = "ns")]
    steps: Option<u64>,
    /// Production length per replica in ns (instead of --steps); the burn-in comes on top.
    #[arg(long)]
    ns: Option<f64>,
    /// Burn-in steps before production, run after minimisation and not saved (default 2000000 =
    /// 1 ns at 0.5 fs, the Timewarp protocol); velocities are drawn again after it. 0: none.
    #[arg(long)]
    burn_in_steps: Option<u64>,
    /// Temperature in K (default 310).
    #[arg(long)]
    temperature: Option<f64>,
    /// Langevin friction in 1/ps (default 0.3).
    #[arg(long)]
    friction: Option<f64>,
    /// Time step in fs (default 0.5).
    #[arg(long)]
    dt_fs: Option<f64>,
    /// Frame interval in steps (default 1000000): with --spacing log, the length of a block
    /// that holds frames at its offsets 0, 1, 10, 100, …; with --spacing regular, the distance
    /// between frames.
    #[arg(long)]
    save_every: Option<u64>,
    /// Frame spacing (default log): log saves production steps k·save_every + {0, 1, 10, 100,
    /// …} (the official layout, pairs at many lags), so `--steps 2000 --save-every 100` writes
    /// 61 frames, not 21, and `--steps 2000` with the default --save-every writes 5 (steps 0, 1,
    /// 10, 100, 1000); regular saves every save_every steps.
    #[arg(long)]
    spacing: Option<timewarp_md::SpacingKind>,
    /// Independent replicas, run in parallel.
    #[arg(long)]
    replicas: Option<usize>,
    /// Worker threads (0: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// RNG seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Trajectory name (default: the PDB file stem; single structure only).
    #[arg(long)]
    name: Option<String>,
    /// Skip energy minimisation.
    #[arg(long)]
    no_minimize: bool,
    /// Force field: amber14-obc1 (default, the Timewarp protocol), amber14-obc2 or
    /// amber14-vacuum.
    #[arg(long)]
    forcefield: Option<String>,
    /// Cutoff in nm or `none`.
    #[arg(long)]
    cutoff: Option<String>,
    /// Continue from the checkpoint in --out (data sets always continue where they stopped).
    #[arg(long)]
    resume: bool,
}

/// The effective configuration written next to the output.
#[derive(Serialize)]
struct Effective<'a> {
    forcefield: &'a ForceFieldSettings,
    md: &'a MdConfig,
}

/// Parses `--spacing` (`regular` or `log`).
pub fn spacing_kind(s: &str) -> Result<SpacingKind> {
    s.parse()
        .map_err(|e: String| anyhow::anyhow!("--spacing: {e}"))
}

/// The flags of `timewarp md` and the `[md]` keys they set: an invalid value is refused naming
/// both.
const FLAG_KEYS: [(&str, &str); 8] = [
    ("--temperature", "temperature_k"),
    ("--friction", "friction_per_ps"),
    ("--dt-fs", "dt_fs"),
    ("--steps", "steps"),
    ("--burn-in-steps", "burn_in_steps"),
    ("--save-every", "save_every"),
    ("--replicas", "replicas"),
    ("--threads", "threads"),
];

pub fn main(args: Args, quiet: bool) -> Result<()> {
    // Step counts are checked here too, so that the error names the flag (MdConfig::validate
    // names the TOML key of the same limit).
    for (flag, value) in [
        ("--steps", args.steps),
        ("--burn-in-steps", args.burn_in_steps),
        ("--save-every", args.save_every),
    ] {
        if let Some(v) = value.filter(|&v| v > timewarp_md::config::MAX_STEPS) {
            bail!(
                "{flag} {v} is more than the limit of {:e} steps",
                timewarp_md::config::MAX_STEPS
            );
        }
    }
    let mut cfg: MdConfig = load_section(args.config.as_deref(), "md")?;
    let mut ff: ForceFieldSettings = load_section(args.config.as_deref(), "forcefield")?;
    if let Some(v) = args.forcefield {
        ff.forcefield = v;
    }
    if let Some(v) = args.cutoff {
        ff.cutoff = v;
    }
    if let Some(v) = args.temperature {
        cfg.temperature_k = v;
    }
    if let Some(v) = args.friction {
        cfg.friction_per_ps = v;
    }
    if let Some(v) = args.dt_fs {
        cfg.dt_fs = v;
    }
    if let Some(v) = args.steps {
        cfg.steps = v;
    }
    if let Some(ns) = args.ns {
        cfg.steps = cfg
            .steps_for_ns(ns)
            .with_context(|| format!("invalid --ns {ns}"))?;
    }
    if let Some(v) = args.burn_in_steps {
        cfg.burn_in_steps = v;
    }
    if let Some(v) = args.save_every {
        cfg.save_every = v;
    }
    if let Some(v) = args.spacing {
        cfg.spacing = v;
    }
    if let Some(v) = args.replicas {
        cfg.replicas = v;
    }
    if let Some(v) = args.threads {
        cfg.threads = v;
    }
    if let Some(v) = args.seed {
        // config.toml (TOML) holds signed 64-bit integers only: a larger seed could not be written
        // back.
        if v > i64::MAX as u64 {
            bail!("--seed {v} is too large: at most {}", i64::MAX);
        }
        cfg.seed = v;
    }
    if args.no_minimize {
        cfg.minimize = false;
    }
    if let Err(e) = cfg.validate() {
        let message = match &e {
            timewarp_md::MdError::Config(m) => m.clone(),
            _ => String::new(),
        };
        let given = |flag: &str| match flag {
            "--temperature" => args.temperature.is_some(),
            "--friction" => args.friction.is_some(),
            "--dt-fs" => args.dt_fs.is_some(),
            "--steps" => args.steps.is_some() || args.ns.is_some(),
            "--burn-in-steps" => args.burn_in_steps.is_some(),
            "--save-every" => args.save_every.is_some(),
            "--replicas" => args.replicas.is_some(),
            "--threads" => args.threads.is_some(),
            _ => false,
        };
        let key_of = |m: &str| {
            FLAG_KEYS.iter().find(|(_, key)| {
                m.strip_prefix(key)
                    .is_some_and(|rest| rest.starts_with(' '))
            })
        };
        match key_of(&message) {
            Some((flag, _)) if given(flag) => bail!("invalid {flag}: {message}"),
            _ => {
                return Err(anyhow::Error::new(e)
                    .context("invalid MD settings (the flags, or [md] of --config)"))
            }
        }
    }
    let dataset = !args.sequences.is_empty()
        || args.sequence_file.is_some()
        || args.all_dipeptides
        || args.split.is_some()
        || args.pdb.len() > 1
        || args.pdb.iter().any(|p| is_glob(p));
    if dataset {
        if args.name.is_some() {
            bail!("--name applies to a single --pdb; the peptides of a data set are named after their sequence or file");
        }
        let settings: DatasetSettings = load_section(args.config.as_deref(), "dataset")?;
        let split = match args.split.or(settings.split) {
            Some(s) => s.parse::<SplitFractions>().context("invalid split")?,
            None => SplitFractions::default(),
        };
        let peptides = collect_peptides(
            &args.sequences,
            args.sequence_file.as_deref(),
            args.all_dipeptides,
            &args.pdb,
        )?;
        return run_dataset(&cfg, &ff, split, &peptides, &args.out, quiet);
    }
    let pdb = match args.pdb.as_slice() {
        [one] => PathBuf::from(one),
        _ => bail!("give --pdb FILE, or peptides for a data set (--sequences, --sequence-file, --all-dipeptides)"),
    };
    cfg.name = args
        .name
        .or(cfg.name)
        .or_else(|| Some(timewarp_md::name_from_path(&pdb)));
    run(&cfg, &ff, &pdb, &args.out, args.resume, quiet)
}

/// Runs MD with an effective configuration (also used by `timewarp run`): the output folder is
/// locked and inspected before anything is written (see `timewarp_rundir`); `config.toml` goes
/// in only once the folder is accepted.
pub fn run(
    cfg: &MdConfig,
    ff: &ForceFieldSettings,
    pdb_path: &Path,
    out: &Path,
    resume: bool,
    quiet: bool,
) -> Result<()> {
    cfg.validate()?;
    let options = ff.options()?;
    let config = toml::to_string_pretty(&Effective {
        forcefield: ff,
        md: cfg,
    })
    .context("cannot serialise the configuration")?;
    let bar = Progress::new("", "steps", quiet);
    let (burn_in, steps, replicas) = (cfg.burn_in_steps, cfg.steps, cfg.replicas as u64);
    let show_phase = |done: u64| {
        let (label, message) = md_phase(burn_in, steps, replicas, done);
        bar.set_phase(label, || message);
    };
    show_phase(0);
    let progress = |done: u64, total: u64| {
        bar.set(done, total);
        show_phase(done);
    };
    let control = RunControl::new(resume, &progress).with_file("config.toml", config);
    let summary = timewarp_md::run_md_command(cfg, &options, pdb_path, out, &control)
        .with_context(|| format!("MD of {} failed", pdb_path.display()))?;
    bar.finish();
    println!(
        "md: {} frames of {} atoms in {} ({:.1} ns/day per replica, {:.0} steps/s per replica, {:.1} s)",
        summary.n_frames,
        summary.n_atoms,
        out.display(),
        summary.ns_per_day_per_replica,
        summary.steps_per_second_per_replica,
        summary.wall_seconds_this_run
    );
    Ok(())
}

/// The label and message of the MD progress bar after `done` of the
/// `replicas × (burn_in + steps)` steps: the bar counts burn-in steps too, so it says so. With
/// one replica the phases are shown one after the other (`burn-in`, then `md`); replicas run in
/// parallel, so with several the message states the sum.
pub fn md_phase(burn_in: u64, steps: u64, replicas: u64, done: u64) -> (&'static str, String) {
    use crate::progress::format_count;
    if replicas > 1 {
        return (
            "md",
            format!(
                "total = {replicas} replicas × ({} burn-in + {} production steps); burn-in not saved",
                format_count(burn_in),
                format_count(steps)
            ),
        );
    }
    if done < burn_in {
        (
            "burn-in",
            format!(
                "burn-in: {} steps, not saved; then {} production steps",
                format_count(burn_in),
                format_count(steps)
            ),
        )
    } else {
        (
            "md",
            format!(
                "production: {} steps saved as frames (after {} burn-in steps)",
                format_count(steps),
                format_count(burn_in)
            ),
        )
    }
}

/// `[dataset]` of a TOML file: settings of a multi-peptide data set.
#[derive(Debug, Default, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
struct DatasetSettings {
    /// TRAIN,VAL,TEST fractions of the peptides, e.g. "0.8,0.1,0.1".
    split: Option<String>,
}

/// A `--pdb` value with glob metacharacters.
fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// The peptides of a data set, in the order: `--sequences`, `--sequence-file`,
/// `--all-dipeptides`, `--pdb` (globs expanded in name order).
fn collect_peptides(
    sequences: &[String],
    file: Option<&Path>,
    dipeptides: bool,
    pdbs: &[String],
) -> Result<Vec<PeptideSource>> {
    let mut out: Vec<PeptideSource> = Vec::new();
    for s in sequences {
        let s = s.trim();
        if s.is_empty() {
            bail!("--sequences holds an empty entry (two commas in a row?)");
        }
        out.push(PeptideSource::Sequence(s.to_string()));
    }
    if let Some(path) = file {
        out.extend(
            read_sequence_file(path)?
                .into_iter()
                .map(PeptideSource::Sequence),
        );
    }
    if dipeptides {
        out.extend(all_dipeptides().into_iter().map(PeptideSource::Sequence));
    }
    for p in pdbs {
        if is_glob(p) {
            let mut matches: Vec<PathBuf> = glob::glob(p)
                .with_context(|| format!("invalid --pdb pattern '{p}'"))?
                .collect::<Result<_, _>>()
                .with_context(|| format!("cannot read the files of --pdb '{p}'"))?;
            if matches.is_empty() {
                bail!("--pdb '{p}' matches no file");
            }
            matches.sort();
            out.extend(matches.into_iter().map(PeptideSource::Pdb));
        } else {
            out.push(PeptideSource::Pdb(PathBuf::from(p)));
        }
    }
    if out.is_empty() {
        bail!("no peptides given");
    }
    Ok(out)
}

/// Sequences of a sequence file: one per line, `#` comments, blank lines ignored; each is
/// checked, and a bad one is reported with the file and line.
pub fn read_sequence_file(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read sequence file {}", path.display()))?;
    parse_sequence_list(&text, &path.display().to_string())
}

fn parse_sequence_list(text: &str, origin: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let entry = line.split('#').next().unwrap_or("").trim();
        if entry.is_empty() {
            continue;
        }
        if entry.contains(char::is_whitespace) || entry.contains(',') {
            bail!(
                "{origin}:{}: '{entry}' is not one sequence (give one sequence per line)",
                i + 1
            );
        }
        if let Err(e) = timewarp_mol::builder::parse_sequence(entry) {
            bail!("{origin}:{}: bad sequence '{entry}': {e}", i + 1);
        }
        out.push(entry.to_string());
    }
    if out.is_empty() {
        bail!("{origin}: no sequences");
    }
    Ok(out)
}

/// Prints one line per peptide and shows one progress bar for the MD steps of the whole data
/// set (several peptides may run at once).
struct DatasetPrinter {
    quiet: bool,
    /// What the bar counts (burn-in included).
    message: String,
    out: PathBuf,
    state: Mutex<PrinterState>,
}

#[derive(Default)]
struct PrinterState {
    bar: Option<Progress>,
    /// MD steps done by each running peptide.
    running: std::collections::HashMap<usize, u64>,
    finished: u64,
    /// MD steps of one peptide (the same protocol for all).
    per_peptide: u64,
    /// Peptides requested.
    total: usize,
}

impl DatasetPrinter {
    fn new(quiet: bool, out: &Path, cfg: &MdConfig) -> Self {
        use crate::progress::format_count;
        let message = format!(
            "per peptide {} replica(s) × ({} burn-in + {} production steps); burn-in not saved",
            cfg.replicas,
            format_count(cfg.burn_in_steps),
            format_count(cfg.steps)
        );
        DatasetPrinter {
            quiet,
            message,
            out: out.to_path_buf(),
            state: Mutex::new(PrinterState::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, PrinterState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl PrinterState {
    fn redraw(&self) {
        if let Some(bar) = &self.bar {
            let done = self.finished * self.per_peptide + self.running.values().sum::<u64>();
            bar.callback()(done, self.total as u64 * self.per_peptide);
        }
    }
}

impl DatasetObserver for DatasetPrinter {
    fn peptide_started(&self, index: usize, total: usize, _entry: &PeptideEntry) {
        let mut st = self.state();
        st.total = total;
        if st.bar.is_none() {
            let bar = Progress::new("md", "steps", self.quiet);
            bar.set_message(self.message.clone());
            st.bar = Some(bar);
        }
        st.running.insert(index, 0);
    }

    fn md_progress(&self, index: usize, done: u64, total: u64) {
        let mut st = self.state();
        st.per_peptide = total;
        st.running.insert(index, done);
        st.redraw();
    }

    fn peptide_finished(&self, index: usize, total: usize, r: &PeptideReport) {
        let atoms = r.n_atoms.map_or(String::new(), |n| format!(", {n} atoms"));
        let head = format!("md {}/{} {} [{}{atoms}]", index + 1, total, r.name, r.split);
        let line = match &r.outcome {
            PeptideOutcome::AlreadyComplete => format!("{head}: already complete, skipped"),
            PeptideOutcome::Ran(s) => format!(
                "{head}: {} frames in {:.1} s ({:.1} ns/day per replica) → {}",
                s.n_frames,
                s.wall_seconds_this_run,
                s.ns_per_day_per_replica,
                self.out.join(&r.name).display()
            ),
            PeptideOutcome::Failed(e) => format!("{head}: FAILED: {e}"),
        };
        let mut st = self.state();
        st.running.remove(&index);
        st.finished += 1;
        match &st.bar {
            Some(bar) => bar.println(&line),
            None => println!("{line}"),
        }
        st.redraw();
        if st.finished as usize == total {
            if let Some(bar) = st.bar.take() {
                bar.finish();
            }
        }
    }
}

/// MD of every peptide into the data-set layout under `out`.
fn run_dataset(
    cfg: &MdConfig,
    ff: &ForceFieldSettings,
    split: SplitFractions,
    peptides: &[PeptideSource],
    out: &Path,
    quiet: bool,
) -> Result<()> {
    #[derive(Serialize)]
    struct Effective<'a> {
        forcefield: &'a ForceFieldSettings,
        md: &'a MdConfig,
        dataset: DatasetSettings,
    }
    let dataset = DatasetConfig {
        md: MdConfig {
            name: None,
            ..cfg.clone()
        },
        forcefield: ff.options()?,
        split,
    };
    // The data-set folder is one writer's for the whole command.
    let _lock = timewarp_rundir::FolderLock::acquire(out, "timewarp md (data set)")?;
    let printer = DatasetPrinter::new(quiet, out, cfg);
    let summary = run_md_dataset(&dataset, peptides, out, &printer)
        .with_context(|| format!("MD data set in {} failed", out.display()))?;
    write_toml_atomic(
        &out.join("config.toml"),
        &Effective {
            forcefield: ff,
            md: &dataset.md,
            dataset: DatasetSettings {
                split: Some(split.to_string()),
            },
        },
    )?;
    let count =
        |o: fn(&PeptideOutcome) -> bool| summary.reports.iter().filter(|r| o(&r.outcome)).count();
    let ran = count(|o| matches!(o, PeptideOutcome::Ran(_)));
    let skipped = count(|o| matches!(o, PeptideOutcome::AlreadyComplete));
    let failed: Vec<&str> = summary.failed().map(|r| r.name.as_str()).collect();
    let m = &summary.manifest;
    let in_split = |s: SplitName| m.in_split(s).count();
    println!(
        "md data set {}: {} peptides: {ran} run, {skipped} already complete, {} failed; splits {} train / {} val / {} test ({})",
        out.display(),
        summary.reports.len(),
        failed.len(),
        in_split(SplitName::Train),
        in_split(SplitName::Val),
        in_split(SplitName::Test),
        out.join(MANIFEST_FILE).display()
    );
    if !failed.is_empty() {
        bail!(
            "{} of {} peptides failed ({}); their errors are in {}",
            failed.len(),
            summary.reports.len(),
            failed.join(", "),
            out.join(MANIFEST_FILE).display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md_progress_names_burn_in_and_production() {
        let (label, message) = md_phase(2_000_000, 2000, 1, 10);
        assert_eq!(label, "burn-in");
        assert!(
            message.contains("2,000,000") && message.contains("not saved"),
            "{message}"
        );
        let (label, message) = md_phase(2_000_000, 2000, 1, 2_000_500);
        assert_eq!(label, "md");
        assert!(
            message.starts_with("production") && message.contains("2,000,000 burn-in"),
            "{message}"
        );
        let (_, message) = md_phase(100, 50, 4, 0);
        assert!(
            message.contains("4 replicas × (100 burn-in + 50 production steps)"),
            "{message}"
        );
        assert!(spacing_kind("logg")
            .unwrap_err()
            .to_string()
            .contains("--spacing"));
    }

    #[test]
    fn sequence_lists_skip_comments_and_name_the_bad_line() {
        let text = "# dipeptides\nAK\n\n  GW  # tryptophan\nAH(HID)E\n";
        assert_eq!(
            parse_sequence_list(text, "seqs.txt").unwrap(),
            ["AK", "GW", "AH(HID)E"]
        );
        let e = parse_sequence_list("AK\n# x\nAZ\n", "seqs.txt")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("seqs.txt:3: bad sequence 'AZ'") && e.contains("'Z'"),
            "{e}"
        );
        let e = parse_sequence_list("AK GW\n", "seqs.txt")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("seqs.txt:1:"), "{e}");
        assert!(parse_sequence_list("# nothing\n\n", "seqs.txt").is_err());
    }

    #[test]
    fn peptides_come_in_flag_order_and_globs_expand() {
        let dir = std::env::temp_dir().join(format!("timewarp-cli-md-glob-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["b.pdb", "a.pdb", "c.txt"] {
            std::fs::write(dir.join(f), "").unwrap();
        }
        let pattern = format!("{}/*.pdb", dir.display());
        let p = collect_peptides(
            &["GW".into()],
            None,
            false,
            &[pattern.clone(), "x/ala2.pdb".into()],
        )
        .unwrap();
        let names: Vec<String> = p.iter().map(|s| s.name()).collect();
        assert_eq!(names, ["GW", "a", "b", "ala2"]);
        assert_eq!(collect_peptides(&[], None, true, &[]).unwrap().len(), 400);
        let none = format!("{}/*.xyz", dir.display());
        assert!(collect_peptides(&[], None, false, &[none])
            .unwrap_err()
            .to_string()
            .contains("matches no file"));
        assert!(collect_peptides(&["AK".into(), " ".into()], None, false, &[]).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
