//! Where secrets are kept: a key of a SOPS file, or an OS keyring entry.
//!
//! Commands talk to [`Store`]; every write goes through [`Locked`], which holds the store's lock,
//! so concurrent runs serialise and always act on what is stored now.

pub mod atomic;
pub mod error;
pub mod lock;
pub mod sops_file;

use secrecy::SecretString;
use serde_json::{Value, json};

use crate::cli::args::StoreArgs;
use crate::error::{Error, UsageError};
use crate::sops::KeyPath;
pub use error::StoreError;
pub use sops_file::{Preflight, SopsStore, WriteOutcome};

/// Reads a secret from a keyring entry (`SERVICE/USER`).
pub fn keyring_read_required(entry: &str) -> Result<SecretString, Error> {
    Err(UsageError::new(format!(
        "keyring entry {entry}: the keyring is not available in this build yet"
    ))
    .into())
}

/// A configured store.
#[derive(Debug, Clone)]
pub enum Store {
    /// A key of a SOPS file.
    Sops(SopsStore),
}

/// A store whose lock is held.
#[derive(Debug)]
pub enum Locked<'a> {
    /// A SOPS file.
    Sops(sops_file::LockedSops<'a>),
}

impl Store {
    /// The store the flags name.
    pub fn from_args(args: &StoreArgs) -> Result<Self, Error> {
        match (&args.file, &args.key, &args.keyring) {
            (Some(file), Some(key), None) => {
                let key = KeyPath::parse(key).map_err(|e| UsageError::new(e.to_string()).with_hint(
                    "use a top-level key name, or sops's index syntax: --key '[\"cloudflare\"][\"api_token\"]'",
                ))?;
                Ok(Self::Sops(SopsStore::new(file, key, args.age.clone())))
            }
            (None, None, Some(_)) => Err(UsageError::new(
                "--keyring is not available in this build yet",
            )
            .with_hint("keep the secret in a SOPS file with --file and --key")
            .into()),
            _ => Err(UsageError::new(
                "name one store: --file PATH --key KEYPATH, or --keyring SERVICE/USER",
            )
            .into()),
        }
    }

    /// The store for `--json` output.
    pub fn describe(&self) -> Value {
        match self {
            Self::Sops(s) => {
                json!({"type": "sops", "file": s.path().display().to_string(), "key": s.key().to_string()})
            }
        }
    }

    /// `KEY in FILE`, for messages.
    pub fn label(&self) -> String {
        match self {
            Self::Sops(s) => s.label(),
        }
    }

    /// The stored secret, `None` if absent.
    pub fn read(&self) -> Result<Option<SecretString>, Error> {
        match self {
            Self::Sops(s) => s.read(),
        }
    }

    /// The stored secret; absent is an error.
    pub fn read_required(&self) -> Result<SecretString, Error> {
        match self {
            Self::Sops(s) => s.read_required(),
        }
    }

    /// The recipients given for a new file (`--age` / `SOPS_AGE_RECIPIENTS`).
    pub fn recipients_arg(&self) -> Option<&str> {
        match self {
            Self::Sops(s) => s.recipients(),
        }
    }

    /// Takes the store's lock.
    pub fn lock(&self, wait: bool, limit: std::time::Duration) -> Result<Locked<'_>, Error> {
        match self {
            Self::Sops(s) => Ok(Locked::Sops(s.lock(wait, limit)?)),
        }
    }
}

impl Locked<'_> {
    /// The journal of unfinished steps, next to the lock.
    pub fn journal_path(&self) -> std::path::PathBuf {
        match self {
            Self::Sops(l) => {
                crate::lifecycle::journal::path_for(&lock::lock_path_for(l.store().path()))
            }
        }
    }

    /// The age recipients of the store itself (who could read a rescue file), if known.
    pub fn recipients(&self) -> Vec<crate::keys::recipients::Recipient> {
        match self {
            Self::Sops(l) => match l.store().open() {
                Ok(Some(file)) => file
                    .age_recipients()
                    .iter()
                    .filter_map(|r| crate::keys::recipients::Recipient::parse(r).ok())
                    .collect(),
                _ => Vec::new(),
            },
        }
    }

    /// Where a rescue file for this store should go first, and its name stem.
    pub fn rescue_place(&self) -> (std::path::PathBuf, String) {
        match self {
            Self::Sops(l) => {
                let p = l.store().path();
                let dir = p
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(std::path::Path::new("."));
                let stem = p
                    .file_name()
                    .map_or_else(|| "store".into(), |n| n.to_string_lossy().into_owned());
                (dir.to_owned(), stem)
            }
        }
    }

    /// The flags that name this store, for messages (`--file F --key 'K'`).
    pub fn store_flags(&self) -> String {
        match self {
            Self::Sops(l) => format!(
                "--file {} --key '{}'",
                l.store().path().display(),
                l.store().key()
            ),
        }
    }

    /// Re-reads the secret inside the lock.
    pub fn read(&self) -> Result<Option<SecretString>, Error> {
        match self {
            Self::Sops(l) => l.read(),
        }
    }

    /// Checks everything a write needs, without writing.
    pub fn preflight(&self, probe: &SecretString) -> Result<Preflight, Error> {
        match self {
            Self::Sops(l) => l.preflight(probe),
        }
    }

    /// What a write would do.
    pub fn dry_run(&self, secret: &SecretString) -> Result<WriteOutcome, Error> {
        match self {
            Self::Sops(l) => l.dry_run(secret),
        }
    }

    /// Writes the secret.
    pub fn write(&self, secret: &SecretString) -> Result<WriteOutcome, Error> {
        match self {
            Self::Sops(l) => l.write(secret),
        }
    }
}
