//! The run record `run.json` and the inspection of an output folder before a command writes.
//!
//! A record names the command, its effective settings, the identity of its inputs (the content
//! digest of a file, or the fingerprint recorded by the timewarp command that made an input
//! folder), their fingerprint, whether the run completed, its wall time, and the command's own
//! summary. A command writes it twice: when it starts (`completed: false`) and when it ends.
//!
//! [`inspect`] decides, with the folder locked, what a command may do with it: start fresh (new
//! or empty folder), continue (`--resume`, same command and fingerprint), skip (complete, same
//! fingerprint) — or refuse, naming what the folder holds or which settings differ. Nothing is
//! written by the inspection, so a refused run leaves the folder byte for byte as it was.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::atomic::{read_json, write_json_atomic};
use crate::RunDirError;

/// File name of the run record.
pub const RUN_JSON: &str = "run.json";
/// `format` of a run record.
pub const RECORD_FORMAT: &str = "timewarp-run/1";

/// FNV-1a, 64 bit: a stable digest (not for security; for telling inputs and settings apart).
fn fnv1a(bytes: &[u8], mut h: u64) -> u64 {
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}
const FNV_OFFSET: u64 = 0xcbf29ce484222325;

/// The digest of a run's settings and inputs, 16 hexadecimal digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fingerprint(pub String);

impl Fingerprint {
    /// Of the settings (canonical JSON: object keys sorted) and the inputs' identities.
    pub fn of(settings: &Value, inputs: &[InputIdentity]) -> Fingerprint {
        let mut h = fnv1a(canonical(settings).as_bytes(), FNV_OFFSET);
        for i in inputs {
            h = fnv1a(i.role.as_bytes(), h);
            h = fnv1a(i.digest.as_bytes(), h);
        }
        Fingerprint(format!("{h:016x}"))
    }
}

/// JSON with object keys in sorted order (serde_json's map preserves insertion order otherwise).
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        serde_json::to_string(k).unwrap_or_default(),
                        canonical(&m[*k])
                    )
                })
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

/// What an input is, for the fingerprint: its role in the run, where it was, and its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputIdentity {
    /// e.g. `pdb`, `md`, `kernel`, `model`.
    pub role: String,
    pub path: PathBuf,
    /// `file:<content digest>` or `run:<fingerprint of the folder's run.json>`, or
    /// `files:<digest of names and sizes>` for a folder that no timewarp command made.
    pub digest: String,
}

impl InputIdentity {
    /// A file, by its content.
    pub fn file(role: &str, path: &Path) -> Result<Self, RunDirError> {
        let bytes = std::fs::read(path).map_err(|e| RunDirError::io(path, e))?;
        Ok(InputIdentity {
            role: role.into(),
            path: path.to_path_buf(),
            digest: format!("file:{:016x}", fnv1a(&bytes, FNV_OFFSET)),
        })
    }

    /// A folder: the fingerprint of its complete run record, or (data from elsewhere) a digest
    /// of the names and sizes of its files.
    pub fn folder(role: &str, path: &Path) -> Result<Self, RunDirError> {
        let record = path.join(RUN_JSON);
        if record.is_file() {
            let r: RunRecord = read_json(&record)?;
            if r.format == RECORD_FORMAT {
                return Ok(InputIdentity {
                    role: role.into(),
                    path: path.to_path_buf(),
                    digest: format!("run:{}", r.fingerprint.0),
                });
            }
        }
        let mut entries = Vec::new();
        collect_files(path, path, &mut entries).map_err(|e| RunDirError::io(path, e))?;
        entries.sort();
        let mut h = FNV_OFFSET;
        for (name, size) in &entries {
            h = fnv1a(name.as_bytes(), h);
            h = fnv1a(&size.to_le_bytes(), h);
        }
        Ok(InputIdentity {
            role: role.into(),
            path: path.to_path_buf(),
            digest: format!("files:{h:016x}"),
        })
    }

    /// In-memory data (e.g. a parsed structure), by its canonical JSON; `path` says where it came
    /// from.
    pub fn value(role: &str, path: &Path, value: &Value) -> Self {
        InputIdentity {
            role: role.into(),
            path: path.to_path_buf(),
            digest: format!(
                "data:{:016x}",
                fnv1a(canonical(value).as_bytes(), FNV_OFFSET)
            ),
        }
    }

    /// A file or a folder, whichever `path` is.
    pub fn of(role: &str, path: &Path) -> Result<Self, RunDirError> {
        if path.is_dir() {
            Self::folder(role, path)
        } else {
            Self::file(role, path)
        }
    }
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<(String, u64)>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let p = e.path();
        let name = p
            .strip_prefix(root)
            .unwrap_or(&p)
            .to_string_lossy()
            .into_owned();
        if name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            collect_files(root, &p, out)?;
        } else {
            out.push((name, e.metadata()?.len()));
        }
    }
    Ok(())
}

/// `run.json` of an output folder. `S` is the command's own summary (JSON for readers that do
/// not know the command).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord<S = Value> {
    pub format: String,
    /// e.g. `md`, `sample`.
    pub command: String,
    /// timewarp's version.
    pub version: String,
    pub fingerprint: Fingerprint,
    /// The effective settings the fingerprint covers.
    pub settings: Value,
    /// How far the run goes (e.g. `{"steps": 40000}`) and other settings that may change when a
    /// run is continued (checkpoint intervals): recorded, not part of the fingerprint. A finished
    /// run continued with a larger extent (`--resume`) goes on from where it stopped.
    #[serde(default)]
    pub extent: Value,
    pub inputs: Vec<InputIdentity>,
    /// False while the command runs (or after it was killed); true when it finished.
    pub completed: bool,
    /// Wall-clock seconds over all invocations.
    pub wall_seconds: f64,
    /// The command's summary (`null` until it finishes).
    pub summary: S,
}

impl RunRecord {
    /// A record of a starting run.
    pub fn start(command: &str, settings: Value, inputs: Vec<InputIdentity>) -> Self {
        let fingerprint = Fingerprint::of(&settings, &inputs);
        RunRecord {
            format: RECORD_FORMAT.into(),
            command: command.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            fingerprint,
            settings,
            extent: Value::Null,
            inputs,
            completed: false,
            wall_seconds: 0.0,
            summary: Value::Null,
        }
    }

    /// With `extent` (see [`RunRecord::extent`]).
    pub fn with_extent(mut self, extent: Value) -> Self {
        self.extent = extent;
        self
    }

    /// Reads `dir/run.json` if there is one (any command's).
    pub fn read(dir: &Path) -> Result<Option<RunRecord>, RunDirError> {
        let path = dir.join(RUN_JSON);
        if !path.is_file() {
            return Ok(None);
        }
        let r: RunRecord = read_json(&path)?;
        if r.format != RECORD_FORMAT {
            return Err(RunDirError::Json {
                path,
                message: format!("unknown run-record format {:?}", r.format),
            });
        }
        Ok(Some(r))
    }

    /// Writes the record into `dir` (atomically).
    pub fn write(&self, dir: &Path) -> Result<(), RunDirError> {
        write_json_atomic(&dir.join(RUN_JSON), self)
    }

    /// The finished record with `summary`, `wall_seconds` in total.
    pub fn finish<S: Serialize>(
        mut self,
        wall_seconds: f64,
        summary: &S,
    ) -> Result<Self, RunDirError> {
        self.completed = true;
        self.wall_seconds = wall_seconds;
        self.summary = serde_json::to_value(summary).map_err(|e| RunDirError::Json {
            path: RUN_JSON.into(),
            message: e.to_string(),
        })?;
        Ok(self)
    }
}

/// What a command may do with its output folder.
#[derive(Debug, Clone, PartialEq)]
pub enum FolderState {
    /// Nothing of a run there: start.
    New,
    /// An unfinished run of this command with these settings, or a finished one to be extended:
    /// continue it (`resume` was given).
    Resume(RunRecord),
    /// A finished run of this command with these settings.
    Complete(RunRecord),
}

/// Settings that differ between two runs, as `key: old → new` (dotted keys).
pub fn changed_settings(old: &Value, new: &Value) -> Vec<String> {
    fn walk(prefix: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
                keys.sort();
                keys.dedup();
                for k in keys {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(
                        &p,
                        x.get(k).unwrap_or(&Value::Null),
                        y.get(k).unwrap_or(&Value::Null),
                        out,
                    );
                }
            }
            _ if a != b => out.push(format!("{prefix}: {a} → {b}")),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk("", old, new, &mut out);
    out
}

/// Files a folder may hold without being a run of ours (a lock, a config written by a run
/// killed before its record, hidden files).
fn incidental(name: &str) -> bool {
    name.starts_with('.') || name == "config.toml"
}

/// Decides what `command` with `record.settings` / `record.inputs` may do with `dir` (which the
/// caller has locked). `checkpointed` tells whether the folder holds the command's own
/// checkpoint (a run killed before it wrote its record).
pub fn inspect(
    dir: &Path,
    record: &RunRecord,
    resume: bool,
    checkpointed: bool,
) -> Result<FolderState, RunDirError> {
    let refuse = |message: String| {
        Err(RunDirError::Refused {
            dir: dir.to_path_buf(),
            message,
        })
    };
    match RunRecord::read(dir)? {
        Some(old) if old.command != record.command => {
            refuse(format!("holds the output of `timewarp {}`; `timewarp {}` will not write into it — choose another folder", old.command, record.command))
        }
        Some(old) if old.fingerprint != record.fingerprint => {
            let mut changes = changed_settings(&old.settings, &record.settings);
            if old.inputs != record.inputs {
                for (a, b) in old.inputs.iter().zip(&record.inputs) {
                    if a != b {
                        changes.push(format!("input {}: {} ({}) → {} ({})", a.role, a.path.display(), a.digest, b.path.display(), b.digest));
                    }
                }
                if old.inputs.len() != record.inputs.len() {
                    changes.push(format!("{} inputs → {}", old.inputs.len(), record.inputs.len()));
                }
            }
            refuse(format!(
                "holds a {} run of `timewarp {}` with other settings ({}); choose another folder, or remove this one to start over",
                if old.completed { "finished" } else { "unfinished" },
                old.command,
                changes.join("; ")
            ))
        }
        Some(old) if old.completed && old.extent == record.extent => Ok(FolderState::Complete(old)),
        Some(old) if resume => Ok(FolderState::Resume(old)),
        Some(old) if old.completed => refuse(format!(
            "holds a finished run of `timewarp {}` with {} (now {}); extend it with --resume, or choose another folder",
            record.command, old.extent, record.extent
        )),
        Some(_) => refuse(format!("holds an unfinished run of `timewarp {}`; continue it with --resume, or choose another folder", record.command)),
        None if checkpointed && resume => Ok(FolderState::New),
        None if checkpointed => refuse("holds an unfinished run (a checkpoint); continue it with --resume, or choose another folder".to_string()),
        None => {
            if dir.is_dir() {
                let foreign: Vec<String> = std::fs::read_dir(dir)
                    .map_err(|e| RunDirError::io(dir, e))?
                    .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                    .filter(|n| !incidental(n))
                    .collect();
                if !foreign.is_empty() && !resume {
                    let mut shown = foreign.clone();
                    shown.sort();
                    shown.truncate(5);
                    return refuse(format!("is not empty ({}{}) and holds no timewarp run record; choose an empty or new folder", shown.join(", "), if foreign.len() > 5 { ", …" } else { "" }));
                }
            }
            Ok(FolderState::New)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("tw-record-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn fingerprints_ignore_key_order_and_see_every_value() {
        let a = Fingerprint::of(&json!({"x": 1, "y": {"a": 2.5, "b": [1, 2]}}), &[]);
        let b = Fingerprint::of(&json!({"y": {"b": [1, 2], "a": 2.5}, "x": 1}), &[]);
        assert_eq!(a, b);
        assert_ne!(
            a,
            Fingerprint::of(&json!({"x": 1, "y": {"a": 2.5, "b": [2, 1]}}), &[])
        );
        let input = InputIdentity {
            role: "pdb".into(),
            path: "a.pdb".into(),
            digest: "file:1".into(),
        };
        assert_ne!(
            a,
            Fingerprint::of(&json!({"x": 1, "y": {"a": 2.5, "b": [1, 2]}}), &[input])
        );
    }

    #[test]
    fn inspection_covers_new_resume_complete_and_refusals() {
        let dir = scratch("inspect");
        let md = RunRecord::start("md", json!({"md": {"temperature_k": 310.0}}), vec![]);
        assert_eq!(inspect(&dir, &md, false, false).unwrap(), FolderState::New);
        md.write(&dir).unwrap();
        // Unfinished: resume only when asked.
        assert!(inspect(&dir, &md, false, false)
            .unwrap_err()
            .to_string()
            .contains("--resume"));
        assert!(matches!(
            inspect(&dir, &md, true, false).unwrap(),
            FolderState::Resume(_)
        ));
        md.clone()
            .finish(3.0, &json!({"frames": 10}))
            .unwrap()
            .write(&dir)
            .unwrap();
        assert!(matches!(
            inspect(&dir, &md, false, false).unwrap(),
            FolderState::Complete(_)
        ));
        // A longer run of the same settings: extend with --resume only.
        let longer = md.clone().with_extent(json!({"steps": 20}));
        assert!(inspect(&dir, &longer, false, false)
            .unwrap_err()
            .to_string()
            .contains("extend it with --resume"));
        assert!(matches!(
            inspect(&dir, &longer, true, false).unwrap(),
            FolderState::Resume(_)
        ));
        // Other settings: refused, naming the change.
        let hot = RunRecord::start("md", json!({"md": {"temperature_k": 400.0}}), vec![]);
        let err = inspect(&dir, &hot, true, false).unwrap_err().to_string();
        assert!(err.contains("md.temperature_k: 310.0 → 400.0"), "{err}");
        // Another command's folder.
        let train = RunRecord::start("train", json!({}), vec![]);
        assert!(inspect(&dir, &train, true, false)
            .unwrap_err()
            .to_string()
            .contains("holds the output of `timewarp md`"));
        // A folder of someone else's files.
        let other = scratch("foreign");
        std::fs::write(other.join("thesis.tex"), "x").unwrap();
        assert!(inspect(&other, &md, false, false)
            .unwrap_err()
            .to_string()
            .contains("thesis.tex"));
        std::fs::remove_dir_all(&dir).ok();
        std::fs::remove_dir_all(&other).ok();
    }

    #[test]
    fn input_folders_are_identified_by_their_record() {
        let dir = scratch("inputs");
        let md = RunRecord::start("md", json!({"steps": 5}), vec![]);
        md.write(&dir).unwrap();
        let id = InputIdentity::folder("md", &dir).unwrap();
        assert_eq!(id.digest, format!("run:{}", md.fingerprint.0));
        let plain = scratch("plain");
        std::fs::write(plain.join("x-traj-arrays.npz"), "123").unwrap();
        let a = InputIdentity::folder("md", &plain).unwrap();
        std::fs::write(plain.join("x-traj-arrays.npz"), "12345").unwrap();
        assert_ne!(a, InputIdentity::folder("md", &plain).unwrap());
        std::fs::remove_dir_all(&dir).ok();
        std::fs::remove_dir_all(&plain).ok();
    }
}
