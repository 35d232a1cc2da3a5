//! One lock per store, so concurrent runs (overlapping cron jobs, Ansible forks) serialise.
//!
//! The lock is an advisory `flock` on a sidecar file next to the store (`.NAME.cfsecret.lock`),
//! never deleted: deleting a lock file lets a third process lock a new inode while the second
//! still holds the old one. The store is always re-read after the lock is taken.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::error::StoreError;

/// A held lock; released on drop.
#[derive(Debug)]
pub(crate) struct StoreLock {
    _file: File,
    path: PathBuf,
}

impl StoreLock {
    /// The lock file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

pub(crate) use super::paths::lock_path_for;

/// Takes the lock at `lock_path`. Without `wait`, a held lock is an error (exit 6); with it,
/// waits up to `wait_limit`.
pub(crate) fn acquire(
    lock_path: &Path,
    store: &str,
    wait: bool,
    wait_limit: Duration,
) -> Result<StoreLock, StoreError> {
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts
        .open(lock_path)
        .map_err(|e| StoreError::io("create the lock file", lock_path, e))?;
    let started = Instant::now();
    let mut logged = false;
    loop {
        match file.try_lock() {
            Ok(()) => {
                return Ok(StoreLock {
                    _file: file,
                    path: lock_path.to_owned(),
                });
            }
            Err(TryLockError::WouldBlock) if wait && started.elapsed() < wait_limit => {
                if !logged {
                    log::info!("waiting for another cfsecret to release the lock on {store}");
                    logged = true;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(TryLockError::WouldBlock) => {
                return Err(StoreError::Locked {
                    store: store.to_owned(),
                    lock: lock_path.to_owned(),
                    waited: wait.then(|| started.elapsed()),
                });
            }
            Err(TryLockError::Error(e)) => return Err(StoreError::io("lock", lock_path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_or_waits() {
        let dir = tempfile::tempdir().unwrap();
        let lock = lock_path_for(&dir.path().join("s.yaml"));
        assert!(lock.ends_with(".s.yaml.cfsecret.lock"));
        let held = acquire(&lock, "s.yaml", false, Duration::ZERO).unwrap();
        let err = acquire(&lock, "s.yaml", false, Duration::ZERO).unwrap_err();
        assert!(matches!(err, StoreError::Locked { waited: None, .. }));
        let err = acquire(&lock, "s.yaml", true, Duration::from_millis(120)).unwrap_err();
        assert!(matches!(
            err,
            StoreError::Locked {
                waited: Some(_),
                ..
            }
        ));
        drop(held);
        acquire(&lock, "s.yaml", false, Duration::ZERO).unwrap();
    }
}
