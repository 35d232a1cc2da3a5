//! Replacing a file atomically and durably: a temp file in the same directory (created with
//! `create_new`, mode 0600), written and fsynced, given the target's mode and owner, renamed over
//! the target, then the directory fsynced. A crash at any point leaves the old file or the new
//! one, never a mix. Only ciphertext is ever written through here.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use rand::RngCore;

use super::error::StoreError;

const TEMP_MARK: &str = ".cfsecret-";
const TEMP_SUFFIX: &str = ".tmp";

fn temp_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map_or_else(|| "store".into(), |n| n.to_string_lossy().into_owned());
    let mut rnd = [0u8; 6];
    rand::rngs::OsRng.fill_bytes(&mut rnd);
    let tag: String = rnd.iter().map(|b| format!("{b:02x}")).collect();
    target.with_file_name(format!(
        ".{name}{TEMP_MARK}{}-{tag}{TEMP_SUFFIX}",
        std::process::id()
    ))
}

/// Creates a file with `create_new` and mode 0600 (the mode applies before any byte is written).
pub(crate) fn create_private(path: &Path) -> std::io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// Checks that a file can be created in `dir` (and removes the probe), so an irreversible step
/// does not start when the write after it would fail.
pub(crate) fn check_writable(target: &Path) -> Result<(), StoreError> {
    let probe = temp_path(target);
    let file = create_private(&probe)
        .map_err(|e| StoreError::io("create a file in the directory of", target, e))?;
    drop(file);
    std::fs::remove_file(&probe)
        .map_err(|e| StoreError::io("remove a probe file next to", target, e))
}

/// Removes temp files a killed cfsecret left next to `target` (call while holding the lock).
pub(crate) fn remove_stale_temps(target: &Path) {
    let (Some(dir), Some(name)) = (target.parent(), target.file_name()) else {
        return;
    };
    let prefix = format!(".{}{TEMP_MARK}", name.to_string_lossy());
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let n = entry.file_name().to_string_lossy().into_owned();
        if n.starts_with(&prefix) && n.ends_with(TEMP_SUFFIX) {
            log::debug!("removing a temp file left by an interrupted run: {n}");
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Replaces (or creates) `target` with `contents`. An existing file keeps its mode and, where
/// permitted, its owner; a new file gets mode 0600.
pub(crate) fn replace(target: &Path, contents: &[u8]) -> Result<(), StoreError> {
    Reservation::new(target, 0)?.commit(target, contents)
}

/// The space a replacement needs, taken before an irreversible step: a temp file next to the
/// target, already `size` bytes long and fsynced, that [`commit`](Self::commit) overwrites in
/// place (allocated blocks need no new space) and renames over the target. Dropped unused, it
/// is removed; a killed run's is removed by the next run's [`remove_stale_temps`].
#[derive(Debug)]
pub(crate) struct Reservation {
    file: Option<File>,
    temp: PathBuf,
    size: u64,
}

fn injected(point: &str, what: &'static str, path: &Path) -> Result<(), StoreError> {
    crate::faults::hit(point).map_err(|e| StoreError::io(what, path, e))
}

impl Reservation {
    /// Creates the temp file next to `target` and fills it with `size` bytes.
    pub(crate) fn new(target: &Path, size: u64) -> Result<Self, StoreError> {
        let temp = temp_path(target);
        let file = create_private(&temp)
            .map_err(|e| StoreError::io("create a temp file next to", target, e))?;
        let mut this = Self {
            file: Some(file),
            temp,
            size,
        };
        if size > 0 {
            let chunk = vec![0u8; 64 * 1024];
            let mut left = size;
            let file = this.file.as_mut().expect("just created");
            while left > 0 {
                let n = left.min(chunk.len() as u64) as usize;
                file.write_all(&chunk[..n])
                    .map_err(|e| StoreError::io("reserve space for the write of", target, e))?;
                left -= n as u64;
            }
            file.sync_all()
                .map_err(|e| StoreError::io("reserve space for the write of", target, e))?;
        }
        Ok(this)
    }

    /// The bytes reserved.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// Writes `contents` into the reserved file, fsyncs it, gives it the target's mode (and
    /// owner) and renames it over `target`, then fsyncs the directory.
    pub(crate) fn commit(mut self, target: &Path, contents: &[u8]) -> Result<(), StoreError> {
        let existing = std::fs::metadata(target).ok();
        let mut file = self.file.take().expect("a reservation is committed once");
        let temp = self.temp.clone();
        let result = (|| {
            injected("store.temp_write", "write", &temp)?;
            file.seek(SeekFrom::Start(0))
                .and_then(|_| file.write_all(contents))
                .and_then(|()| file.set_len(contents.len() as u64))
                .map_err(|e| StoreError::io("write", &temp, e))?;
            #[cfg(unix)]
            if let Some(meta) = &existing {
                use std::os::unix::fs::{MetadataExt, PermissionsExt};
                file.set_permissions(std::fs::Permissions::from_mode(meta.mode() & 0o7777))
                    .map_err(|e| StoreError::io("set the mode of", &temp, e))?;
                // Keep the owner when running as root on someone else's file; a plain user
                // cannot give files away, and then the file simply becomes theirs, as with sops.
                let _ = std::os::unix::fs::fchown(&file, Some(meta.uid()), Some(meta.gid()));
            }
            injected("store.fsync", "fsync", &temp)?;
            file.sync_all()
                .map_err(|e| StoreError::io("fsync", &temp, e))?;
            injected("store.rename", "rename the new version over", target)?;
            std::fs::rename(&temp, target)
                .map_err(|e| StoreError::io("rename the new version over", target, e))?;
            sync_dir(target);
            let _ = crate::faults::hit("store.renamed");
            Ok(())
        })();
        drop(file);
        if result.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        result
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Fsyncs the directory of `path` so the rename itself is durable.
pub(crate) fn sync_dir(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn keeps_the_mode_and_leaves_no_temp_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("s.yaml");
        replace(&target, b"one").unwrap();
        assert_eq!(
            std::fs::metadata(&target).unwrap().permissions().mode() & 0o777,
            0o600
        );
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
        replace(&target, b"two").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"two");
        assert_eq!(
            std::fs::metadata(&target).unwrap().permissions().mode() & 0o777,
            0o640
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["s.yaml"]);
    }

    #[test]
    fn stale_temps_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("s.yaml");
        std::fs::write(dir.path().join(".s.yaml.cfsecret-1-abc.tmp"), "x").unwrap();
        std::fs::write(dir.path().join("other.tmp"), "x").unwrap();
        remove_stale_temps(&target);
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["other.tmp"]);
    }
}
