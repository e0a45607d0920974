//! Crash-safe file replacement: write `<path>.tmp`, fsync it, rename over `path`, fsync the
//! folder. A kill at any moment leaves either the old or the new complete file.

use crate::MdError;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The temporary name used while `path` is being replaced.
pub fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Make a finished temporary file durable and move it over `path`.
pub fn commit(tmp: &Path, path: &Path) -> Result<(), MdError> {
    File::open(tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| MdError::io(tmp, e))?;
    fs::rename(tmp, path).map_err(|e| MdError::io(path, e))?;
    if let Some(dir) = path.parent() {
        // persisting the rename needs the directory entry synced (ignored where unsupported)
        if let Ok(d) = File::open(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        }) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Atomically replace `path` by the bytes written by `write`.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), MdError> {
    let tmp = tmp_path(path);
    {
        let f = File::create(&tmp).map_err(|e| MdError::io(&tmp, e))?;
        let mut w = std::io::BufWriter::new(f);
        write(&mut w)
            .and_then(|_| w.flush())
            .map_err(|e| MdError::io(&tmp, e))?;
    }
    commit(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_tmp() {
        let dir = std::env::temp_dir().join(format!("twmd-atomic-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.json");
        write_atomic(&p, |w| w.write_all(b"one")).unwrap();
        write_atomic(&p, |w| w.write_all(b"two")).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert!(!tmp_path(&p).exists());
        // a failing writer leaves the old file untouched
        let r = write_atomic(&p, |_| Err(std::io::Error::other("disk full")));
        assert!(r.is_err());
        assert_eq!(fs::read(&p).unwrap(), b"two");
        fs::remove_dir_all(&dir).unwrap();
    }
}
