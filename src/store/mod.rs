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

    /// Takes the store's lock.
    pub fn lock(&self, wait: bool, limit: std::time::Duration) -> Result<Locked<'_>, Error> {
        match self {
            Self::Sops(s) => Ok(Locked::Sops(s.lock(wait, limit)?)),
        }
    }
}

impl Locked<'_> {
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
