//! Running one stage of the pipeline. Each stage is a timewarp command with its own output
//! folder, which the command locks and inspects against its run record (`run.json`, see
//! `timewarp_rundir`): a finished stage with the same settings and inputs is skipped, an
//! unfinished one continues from its checkpoint, and a stage whose settings or inputs changed
//! is refused — with the way to redo it and everything after it.

use anyhow::{Context, Result};
use std::path::Path;
use timewarp_rundir::RunRecord;

/// The order of the stages (their folder names), for `--restart-from`.
pub const STAGES: [&str; 8] = [
    "md",
    "kernel",
    "model",
    "finetune",
    "sample",
    "sample-fitted",
    "explore",
    "report",
];

/// Runs the stage `name` in `dir`; `body` runs its command (with `resume`: an unfinished run
/// continues, a finished one with the same record returns at once).
pub fn stage(name: &str, dir: &Path, body: impl FnOnce() -> Result<()>) -> Result<()> {
    let before = RunRecord::read(dir).ok().flatten();
    let complete = before.as_ref().is_some_and(|r| r.completed);
    if !complete {
        println!(
            "[{name}] {} → {}",
            if before.is_some() {
                "resuming"
            } else {
                "starting"
            },
            dir.display()
        );
    }
    let folder = dir
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    body().with_context(|| {
        format!(
            "stage '{name}' failed; run the same command again to resume it, or redo it and every stage after it with `timewarp run CONFIG --restart-from {folder}` (that removes their folders)"
        )
    })?;
    if complete {
        println!("[{name}] already complete in {} — skipped", dir.display());
    }
    Ok(())
}

/// Removes the folders of stage `from` and of every stage after it under `out` (`--restart-from`).
/// Only folders that hold a timewarp run record (or nothing) are removed.
pub fn restart_from(out: &Path, from: &str) -> Result<Vec<String>> {
    let start = STAGES.iter().position(|s| *s == from).with_context(|| {
        format!(
            "--restart-from {from}: not a stage (one of {})",
            STAGES.join(", ")
        )
    })?;
    let mut removed = Vec::new();
    for s in &STAGES[start..] {
        let dir = out.join(s);
        if !dir.exists() {
            continue;
        }
        let record = RunRecord::read(&dir).with_context(|| {
            format!(
                "{}: unreadable run record; remove it by hand",
                dir.display()
            )
        })?;
        let empty = std::fs::read_dir(&dir)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if record.is_none()
            && !empty
            && !dir.join("checkpoint.json").is_file()
            && !dir.join("last").exists()
            && !dir.join("replica-000").exists()
        {
            anyhow::bail!(
                "{} holds no timewarp run record; not removing it",
                dir.display()
            );
        }
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("cannot remove {}", dir.display()))?;
        removed.push(dir.display().to_string());
    }
    Ok(removed)
}
