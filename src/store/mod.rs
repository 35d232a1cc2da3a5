//! Where secrets are kept: a key of a SOPS file, or an OS keyring entry.
//!
//! Commands talk to [`Store`]; every write goes through [`Locked`], which holds the store's lock,
//! so concurrent runs serialise and always act on what is stored now.

pub mod atomic;
pub mod error;
pub mod keyring;
pub mod lock;
pub mod sops_file;

use secrecy::SecretString;
use serde_json::{Value, json};

use crate::cli::args::{KeyringBackend, StoreArgs};
use crate::error::{Error, UsageError};
use crate::sops::KeyPath;
pub use error::StoreError;
pub use keyring::{KeyringError, KeyringStore};
pub use sops_file::{Preflight, SopsStore, WriteOutcome};

/// Reads the management token from a keyring entry (`--auth-keyring SERVICE/USER`), in the
/// backend `--keyring-backend`/`CFSECRET_KEYRING_BACKEND` names, else the OS default.
pub fn keyring_read_required(
    entry: &str,
    backend: Option<KeyringBackend>,
) -> Result<SecretString, Error> {
    KeyringStore::parse("--auth-keyring", entry, backend, None)?.read_required()
}

/// A configured store.
#[derive(Debug, Clone)]
pub enum Store {
    /// A key of a SOPS file.
    Sops(SopsStore),
    /// An OS keyring entry.
    Keyring(KeyringStore),
}

/// What a store held before a write, exactly.
pub enum Snapshot {
    /// A file's bytes, `None` when there was no file.
    File(Option<Vec<u8>>),
    /// A keyring entry's value.
    Keyring(Option<SecretString>),
}

/// A store whose lock is held.
#[derive(Debug)]
pub enum Locked<'a> {
    /// A SOPS file.
    Sops(sops_file::LockedSops<'a>),
    /// A keyring entry.
    Keyring(keyring::LockedKeyring<'a>),
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
            (None, None, Some(entry)) => Ok(Self::Keyring(KeyringStore::parse(
                "--keyring",
                entry,
                args.keyring_backend,
                args.age.clone(),
            )?)),
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
            Self::Keyring(k) => json!({
                "type": "keyring",
                "backend": k.backend().name(),
                "service": k.service(),
                "user": k.user(),
            }),
        }
    }

    /// `KEY in FILE`, for messages.
    pub fn label(&self) -> String {
        match self {
            Self::Sops(s) => s.label(),
            Self::Keyring(k) => k.label(),
        }
    }

    /// The stored secret, `None` if absent.
    pub fn read(&self) -> Result<Option<SecretString>, Error> {
        match self {
            Self::Sops(s) => s.read(),
            Self::Keyring(k) => k.read(),
        }
    }

    /// The stored secret; absent is an error.
    pub fn read_required(&self) -> Result<SecretString, Error> {
        match self {
            Self::Sops(s) => s.read_required(),
            Self::Keyring(k) => k.read_required(),
        }
    }

    /// The recipients given for a new file (`--age` / `SOPS_AGE_RECIPIENTS`); for a keyring
    /// entry, the default recipients of a rescue file.
    pub fn recipients_arg(&self) -> Option<&str> {
        match self {
            Self::Sops(s) => s.recipients(),
            Self::Keyring(k) => k.rescue_default(),
        }
    }

    /// Takes the store's lock.
    pub fn lock(&self, wait: bool, limit: std::time::Duration) -> Result<Locked<'_>, Error> {
        match self {
            Self::Sops(s) => Ok(Locked::Sops(s.lock(wait, limit)?)),
            Self::Keyring(k) => Ok(Locked::Keyring(k.lock(wait, limit)?)),
        }
    }
}

impl Locked<'_> {
    /// The journal of unfinished steps, next to the lock.
    pub fn journal_path(&self) -> std::path::PathBuf {
        match self {
            Self::Sops(l) => {
                crate::lifecycle::journal::path_for(&lock::lock_path_for(l.real_path()))
            }
            Self::Keyring(l) => l.journal_path(),
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
            // A keyring has no recipients: rescue needs --rescue-age or SOPS_AGE_RECIPIENTS.
            Self::Keyring(_) => Vec::new(),
        }
    }

    /// What this store's journal entries are bound to.
    pub fn binding(&self) -> crate::lifecycle::journal::Binding {
        match self {
            Self::Sops(l) => l.binding(),
            Self::Keyring(l) => crate::lifecycle::journal::Binding {
                store: format!("keyring:{}", l.journal_path().display()),
                key: String::new(),
            },
        }
    }

    /// What is stored now, exactly, to put back if a mint is rolled back.
    pub fn snapshot(&self) -> Result<Snapshot, Error> {
        match self {
            Self::Sops(l) => Ok(Snapshot::File(l.snapshot()?)),
            Self::Keyring(l) => Ok(Snapshot::Keyring(l.read()?)),
        }
    }

    /// Puts a [`snapshot`](Self::snapshot) back: a file's exact bytes (or its absence); a
    /// keyring entry's value.
    pub fn restore(&self, snapshot: &Snapshot) -> Result<(), Error> {
        match (self, snapshot) {
            (Self::Sops(l), Snapshot::File(bytes)) => l.restore(bytes.as_deref()),
            (Self::Keyring(l), Snapshot::Keyring(Some(secret))) => l.write(secret).map(|_| ()),
            _ => Ok(()),
        }
    }

    /// Where a rescue file for this store should go first, and its name stem.
    pub fn rescue_place(&self) -> (std::path::PathBuf, String) {
        match self {
            Self::Sops(l) => {
                let p = l.real_path();
                let dir = p
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(std::path::Path::new("."));
                let stem = p
                    .file_name()
                    .map_or_else(|| "store".into(), |n| n.to_string_lossy().into_owned());
                (dir.to_owned(), stem)
            }
            Self::Keyring(l) => l.rescue_place(),
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
            Self::Keyring(l) => l.store().flags(),
        }
    }

    /// Re-reads the secret inside the lock.
    pub fn read(&self) -> Result<Option<SecretString>, Error> {
        match self {
            Self::Sops(l) => l.read(),
            Self::Keyring(l) => l.read(),
        }
    }

    /// Checks everything a write needs, without writing.
    pub fn preflight(&self, probe: &SecretString) -> Result<Preflight, Error> {
        match self {
            Self::Sops(l) => l.preflight(probe),
            Self::Keyring(l) => l.preflight(probe),
        }
    }

    /// What a write would do.
    pub fn dry_run(&self, secret: &SecretString) -> Result<WriteOutcome, Error> {
        match self {
            Self::Sops(l) => l.dry_run(secret),
            Self::Keyring(l) => l.dry_run(secret),
        }
    }

    /// Removes the key or entry (`revoke`); `dry_run` writes nothing. `false`: not there.
    pub fn remove(&self, dry_run: bool) -> Result<bool, Error> {
        match self {
            Self::Sops(l) => l.remove(dry_run),
            Self::Keyring(l) => l.remove(dry_run),
        }
    }

    /// Writes the secret.
    pub fn write(&self, secret: &SecretString) -> Result<WriteOutcome, Error> {
        match self {
            Self::Sops(l) => l.write(secret),
            Self::Keyring(l) => l.write(secret),
        }
    }
}
