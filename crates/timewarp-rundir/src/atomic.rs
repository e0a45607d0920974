//! Durable atomic file replacement: the bytes go to a temporary file in the same folder
//! (`.<name>.tmp-<pid>`, so a rename never crosses file systems and two processes never share a
//! temporary), which is fsynced and renamed over the target; then the folder is fsynced so that
//! the rename itself survives a crash. A kill at any moment leaves the old file or the new one,
//! never a mix; a failed write removes its temporary.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{de::DeserializeOwned, Serialize};

use crate::RunDirError;

/// The temporary file that becomes `path`.
fn tmp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// fsync of the folder holding `path` (best effort: not every platform can sync a folder).
pub fn sync_parent(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Replaces `path` atomically with what `write` writes into a buffered temporary file. `E` is
/// the caller's error type (so that serialisers can report their own errors).
pub fn write_atomic_with<E: From<RunDirError>>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<(), E>,
) -> Result<(), E> {
    let tmp = tmp_path(path);
    let result = (|| -> Result<(), E> {
        let file = File::create(&tmp).map_err(|e| RunDirError::io(&tmp, e))?;
        let mut w = BufWriter::new(file);
        write(&mut w)?;
        let file = w
            .into_inner()
            .map_err(|e| RunDirError::io(&tmp, e.into_error()))?;
        file.sync_all().map_err(|e| RunDirError::io(&tmp, e))?;
        drop(file);
        std::fs::rename(&tmp, path).map_err(|e| RunDirError::io(path, e))?;
        sync_parent(path);
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Replaces `path` atomically with `bytes`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), RunDirError> {
    write_atomic_with(path, |w| {
        w.write_all(bytes).map_err(|e| RunDirError::io(path, e))
    })
}

/// Replaces `path` atomically with `value` as pretty JSON.
pub fn write_json_atomic<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<(), RunDirError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| RunDirError::Json {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    write_atomic(path, text.as_bytes())
}

/// [`write_json_atomic`] without indentation: for large numeric files (a pooled kernel is
/// 3× smaller so).
pub fn write_json_compact_atomic<T: Serialize + ?Sized>(
    path: &Path,
    value: &T,
) -> Result<(), RunDirError> {
    let text = serde_json::to_string(value).map_err(|e| RunDirError::Json {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    write_atomic(path, text.as_bytes())
}

/// Replaces the folder `dst` atomically with what `fill` writes into a fresh temporary folder
/// `dst.tmp/`: the old folder is renamed to `dst.old/`, the new one to `dst`, and `dst.old/`
/// removed (two renames, so a kill between them leaves only `dst.old/`, which
/// [`find_replaced_dir`] returns). A failing `fill` leaves `dst` as it was.
pub fn replace_dir_atomic<E: From<RunDirError>>(
    dst: &Path,
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    let name = dst
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (tmp, old) = (
        dst.with_file_name(format!("{name}.tmp")),
        dst.with_file_name(format!("{name}.old")),
    );
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |e| RunDirError::io(&p, e)
    };
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
    }
    std::fs::create_dir_all(&tmp).map_err(io(&tmp))?;
    if let Err(e) = fill(&tmp) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if let Ok(d) = File::open(&tmp) {
        let _ = d.sync_all();
    }
    if dst.exists() {
        if old.exists() {
            std::fs::remove_dir_all(&old).map_err(io(&old))?;
        }
        std::fs::rename(dst, &old).map_err(io(dst))?;
    }
    std::fs::rename(&tmp, dst).map_err(io(&tmp))?;
    sync_parent(dst);
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(io(&old))?;
    }
    Ok(())
}

/// The complete folder written by [`replace_dir_atomic`]: `dst`, or `dst.old/` if a kill fell
/// between its two renames; `complete` says whether a candidate holds what makes it whole.
pub fn find_replaced_dir(dst: &Path, complete: impl Fn(&Path) -> bool) -> Option<PathBuf> {
    let name = dst
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    [dst.to_path_buf(), dst.with_file_name(format!("{name}.old"))]
        .into_iter()
        .find(|p| complete(p))
}

/// Reads JSON from `path`.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, RunDirError> {
    let text = std::fs::read_to_string(path).map_err(|e| RunDirError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| RunDirError::Json {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_files_and_leaves_no_temporary() {
        let dir = std::env::temp_dir().join(format!("tw-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.json");
        write_json_atomic(&p, &vec![1, 2, 3]).unwrap();
        write_json_atomic(&p, &vec![4]).unwrap();
        assert_eq!(read_json::<Vec<i32>>(&p).unwrap(), vec![4]);
        // A failing writer keeps the old file and removes its temporary.
        let err = write_atomic_with::<RunDirError>(&p, |_| {
            Err(RunDirError::Refused {
                dir: dir.clone(),
                message: "no".into(),
            })
        });
        assert!(err.is_err());
        assert_eq!(read_json::<Vec<i32>>(&p).unwrap(), vec![4]);
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.json"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
