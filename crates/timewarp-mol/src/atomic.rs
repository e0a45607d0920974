//! Crash-safe file replacement: write `<path>.tmp`, fsync it, rename it over `path`, fsync the
//! folder. A killed process leaves either the old or the new file, never a mix.

use crate::MolError;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// `<path>.tmp`, next to `path` so that the rename stays on one file system.
pub(crate) fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|s| s.to_os_string())
        .unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Make a rename in the folder of `path` durable (best effort: not every platform can fsync
/// a folder).
pub(crate) fn sync_parent_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// Write `path` atomically with `write`, which gets a buffered writer on `<path>.tmp`.
pub(crate) fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<(), MolError>,
) -> Result<(), MolError> {
    let tmp = tmp_path(path);
    let result = (|| {
        let file = File::create(&tmp).map_err(|e| MolError::io(&tmp, e))?;
        let mut w = BufWriter::new(file);
        write(&mut w)?;
        let file = w
            .into_inner()
            .map_err(|e| MolError::io(&tmp, e.into_error()))?;
        file.sync_all().map_err(|e| MolError::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| MolError::io(path, e))?;
        sync_parent_dir(path);
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn tmp_path_appends_suffix() {
        assert_eq!(
            tmp_path(Path::new("/a/b/x-traj-arrays.npz")),
            Path::new("/a/b/x-traj-arrays.npz.tmp")
        );
        assert_eq!(tmp_path(Path::new("x.npz")), Path::new("x.npz.tmp"));
    }

    #[test]
    fn failed_write_keeps_old_file_and_removes_tmp() {
        let dir = std::env::temp_dir().join(format!("tw-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.txt");
        write_atomic(&path, |w| {
            w.write_all(b"old").map_err(|e| MolError::io("f", e))
        })
        .unwrap();
        let err = write_atomic(&path, |w| {
            w.write_all(b"half").unwrap();
            Err(MolError::EmptyPdb { file: "x".into() })
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert!(!tmp_path(&path).exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
