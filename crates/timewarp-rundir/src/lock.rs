//! An exclusive lock on an output folder, held for the whole command.
//!
//! The lock is the file `.timewarp.lock` in the folder, created with `O_EXCL` and holding the
//! holder's pid, command and start time. A second writer finds it and is refused with those.
//! A lock whose process no longer exists (killed, crashed) is stale: it is moved aside and taken
//! over. The lock is removed when the holder drops it.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::RunDirError;

/// File name of the lock inside a locked folder.
pub const LOCK_FILE: &str = ".timewarp.lock";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Holder {
    pid: u32,
    command: String,
    /// Seconds since the Unix epoch.
    since: u64,
}

/// Whether process `pid` exists (on Unix: `kill(pid, 0)` succeeds or is refused for
/// permission). Elsewhere every holder is taken to be alive.
fn alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        // SAFETY: kill with signal 0 only checks for the process; it sends nothing.
        let r = unsafe { libc::kill(pid as libc::pid_t, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// A held lock; released on drop.
#[derive(Debug)]
pub struct FolderLock {
    path: PathBuf,
}

impl FolderLock {
    /// Locks `dir` (created if needed) for `command` (e.g. `timewarp md`).
    pub fn acquire(dir: &Path, command: &str) -> Result<FolderLock, RunDirError> {
        std::fs::create_dir_all(dir).map_err(|e| RunDirError::io(dir, e))?;
        let path = dir.join(LOCK_FILE);
        let me = Holder {
            pid: std::process::id(),
            command: command.to_string(),
            since: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        };
        for _ in 0..20 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    let text = serde_json::to_string(&me).expect("holder serialises");
                    f.write_all(text.as_bytes())
                        .and_then(|_| f.sync_all())
                        .map_err(|e| RunDirError::io(&path, e))?;
                    return Ok(FolderLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read_to_string(&path)
                        .ok()
                        .and_then(|t| serde_json::from_str::<Holder>(&t).ok());
                    match holder {
                        Some(h) if h.pid != me.pid && alive(h.pid) => {
                            return Err(RunDirError::Locked {
                                dir: dir.to_path_buf(),
                                pid: h.pid,
                                command: h.command,
                                since: format!("{} s since the epoch", h.since),
                            });
                        }
                        Some(h) if h.pid == me.pid => {
                            return Err(RunDirError::Refused {
                                dir: dir.to_path_buf(),
                                message: format!(
                                    "already locked by this process (`{}`)",
                                    h.command
                                ),
                            });
                        }
                        Some(_) => {
                            // Stale: its process is gone. Move it aside (only one of several
                            // contenders succeeds) and try again.
                            let aside = dir.join(format!("{LOCK_FILE}.stale-{}", me.pid));
                            if std::fs::rename(&path, &aside).is_ok() {
                                tracing_like(&format!(
                                    "took over the stale lock of {}",
                                    dir.display()
                                ));
                                let _ = std::fs::remove_file(&aside);
                            }
                        }
                        // Being written by its creator right now: give it a moment.
                        None => std::thread::sleep(std::time::Duration::from_millis(25)),
                    }
                }
                Err(e) => return Err(RunDirError::io(&path, e)),
            }
        }
        Err(RunDirError::Refused { dir: dir.to_path_buf(), message: format!("cannot take the lock {} (unreadable; remove it if no timewarp process uses the folder)", path.display()) })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        let ours = std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|t| serde_json::from_str::<Holder>(&t).ok())
            .is_some_and(|h| h.pid == std::process::id());
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A note on stderr (this crate has no logger of its own).
fn tracing_like(message: &str) {
    eprintln!("note: {message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("tw-lock-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn a_second_holder_is_refused_and_the_lock_goes_with_its_holder() {
        let dir = scratch("twice");
        let lock = FolderLock::acquire(&dir, "timewarp md").unwrap();
        let err = FolderLock::acquire(&dir, "timewarp train")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("already locked by this process") && err.contains("timewarp md"),
            "{err}"
        );
        drop(lock);
        assert!(!dir.join(LOCK_FILE).exists());
        let _again = FolderLock::acquire(&dir, "timewarp train").unwrap();
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_live_foreign_holder_is_named_and_a_dead_one_is_taken_over() {
        let dir = scratch("foreign");
        std::fs::create_dir_all(&dir).unwrap();
        // pid 1 (init) is alive on every Unix system.
        std::fs::write(
            dir.join(LOCK_FILE),
            r#"{"pid":1,"command":"timewarp md --seed 7","since":0}"#,
        )
        .unwrap();
        let err = FolderLock::acquire(&dir, "timewarp md").unwrap_err();
        assert!(matches!(err, RunDirError::Locked { pid: 1, .. }), "{err}");
        assert!(err.to_string().contains("timewarp md --seed 7"));
        // A pid that cannot exist: stale.
        std::fs::write(
            dir.join(LOCK_FILE),
            r#"{"pid":4000000000,"command":"killed","since":0}"#,
        )
        .unwrap();
        let lock = FolderLock::acquire(&dir, "timewarp md").unwrap();
        assert!(std::fs::read_to_string(lock.path())
            .unwrap()
            .contains(&std::process::id().to_string()));
        drop(lock);
        std::fs::remove_dir_all(&dir).ok();
    }
}
