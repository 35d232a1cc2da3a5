//! Errors of the stores (files and locks here; the keyring adds its own).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Diagnose, Exit};

/// A store operation failed.
#[derive(Debug)]
pub(crate) enum StoreError {
    /// A file-system operation failed.
    Io {
        /// What was being done ("rename the new version over").
        op: &'static str,
        /// The path concerned.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// A file cfsecret did not write could not be read within its bounds (not a regular file,
    /// too large, or the OS refused).
    Read {
        /// What the file is ("the journal").
        what: &'static str,
        /// The path concerned.
        path: PathBuf,
        /// Why.
        error: crate::bounded::ReadError,
    },
    /// The directory the store should be in does not exist.
    MissingDirectory {
        /// The directory.
        dir: PathBuf,
    },
    /// Another cfsecret holds the store's lock.
    Locked {
        /// The store, for the message.
        store: String,
        /// The lock file.
        lock: PathBuf,
        /// How long we waited, with `--wait`.
        waited: Option<Duration>,
    },
}

impl StoreError {
    /// An I/O error while doing `op` on `path`.
    pub(crate) fn io(op: &'static str, path: &Path, error: std::io::Error) -> Self {
        Self::Io {
            op,
            path: path.to_owned(),
            error,
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { op, path, error } => write!(f, "cannot {op} {}: {error}", path.display()),
            Self::Read { what, path, error } => {
                write!(f, "cannot read {what} {}: {error}", path.display())
            }
            Self::MissingDirectory { dir } => {
                write!(f, "the directory {} does not exist", dir.display())
            }
            Self::Locked {
                store,
                lock,
                waited: None,
            } => write!(
                f,
                "another cfsecret is working on {store} (it holds {})",
                lock.display()
            ),
            Self::Locked {
                store,
                lock,
                waited: Some(w),
            } => write!(
                f,
                "another cfsecret still held the lock on {store} after {}s ({})",
                w.as_secs(),
                lock.display()
            ),
        }
    }
}

impl std::error::Error for StoreError {}

impl Diagnose for StoreError {
    fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "io_error",
            Self::Read { error, .. } => match error {
                crate::bounded::ReadError::Io(_) => "read_failed",
                crate::bounded::ReadError::NotRegular(_) => "not_a_regular_file",
                crate::bounded::ReadError::TooLarge { .. } => "file_too_large",
            },
            Self::MissingDirectory { .. } => "missing_directory",
            Self::Locked { .. } => "locked",
        }
    }

    fn exit(&self) -> Exit {
        match self {
            Self::Io { .. } | Self::Read { .. } | Self::MissingDirectory { .. } => Exit::Failure,
            Self::Locked { .. } => Exit::Locked,
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            Self::Io { error, .. } if error.kind() == std::io::ErrorKind::PermissionDenied => {
                "run cfsecret as a user that may write there, or fix the permissions".into()
            }
            Self::Io { error, .. } if error.kind() == std::io::ErrorKind::NotFound => {
                "check that the directory exists".into()
            }
            Self::Io { .. } => {
                "check free disk space and permissions, then run the command again".into()
            }
            Self::Read { path, error, .. } => error.hint(path),
            Self::MissingDirectory { dir } => {
                format!(
                    "create it first (mkdir -p {}), or fix the path",
                    dir.display()
                )
            }
            Self::Locked { waited: None, .. } => {
                "run again later, or pass --wait to queue behind the other run".into()
            }
            Self::Locked { .. } => {
                "the other run may be stuck; check for a hanging cfsecret process, then run again"
                    .into()
            }
        })
    }
}
