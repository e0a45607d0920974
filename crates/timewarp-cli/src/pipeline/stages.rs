//! Stage markers: a stage's folder gets `stage.json` (atomically) when the stage completes; a
//! folder without it is resumed from the stage's own checkpoint, and a complete stage is skipped.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Marker written when a stage has completed.
#[derive(Debug, Serialize, Deserialize)]
pub struct StageDone {
    pub stage: String,
    pub wall_seconds: f64,
}

pub fn done_marker(dir: &Path) -> PathBuf {
    dir.join("stage.json")
}

pub fn is_done(dir: &Path) -> bool {
    done_marker(dir).is_file()
}

fn mark_done(dir: &Path, stage: &str, started: Instant) -> Result<()> {
    let text = serde_json::to_string_pretty(&StageDone { stage: stage.into(), wall_seconds: started.elapsed().as_secs_f64() })?;
    let tmp = dir.join("stage.json.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, done_marker(dir)).with_context(|| format!("cannot write {}", done_marker(dir).display()))?;
    Ok(())
}

/// Runs one stage unless its marker exists; `body(resume)` gets whether to resume (one of the
/// `resume_probe` files exists in the folder).
pub fn stage(name: &str, dir: &Path, resume_probe: &[&str], body: impl FnOnce(bool) -> Result<()>) -> Result<()> {
    if is_done(dir) {
        println!("[{name}] already complete in {} — skipped", dir.display());
        return Ok(());
    }
    let resume = resume_probe.iter().any(|p| dir.join(p).exists());
    println!("[{name}] {} → {}", if resume { "resuming" } else { "starting" }, dir.display());
    let started = Instant::now();
    body(resume).with_context(|| format!("stage '{name}' failed (run the same command again to resume it)"))?;
    mark_done(dir, name, started)
}
