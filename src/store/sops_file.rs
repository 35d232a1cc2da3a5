//! A secret kept at one key of a SOPS file.
//!
//! Reads need no lock: writes replace the file atomically, so a reader sees the old version or
//! the new one. Writes take the store's lock, re-read and re-verify the file inside it, and
//! replace it atomically; a missing file is created from `.sops.yaml` or the given recipients.

use std::path::{Path, PathBuf};

use secrecy::SecretString;

use super::atomic;
use super::error::StoreError;
use super::lock::{self, StoreLock};
use crate::error::Error;
use crate::keys::identities::Identities;
use crate::keys::recipients::Recipient;
use crate::sops::config;
use crate::sops::create;
use crate::sops::error::{SopsError, SopsErrorKind};
use crate::sops::gotime::GoTime;
use crate::sops::{Format, KeyPath, SopsFile};

/// A key of a SOPS file.
#[derive(Debug, Clone)]
pub struct SopsStore {
    path: PathBuf,
    key: KeyPath,
    /// Recipients for a new file (`--age` or `SOPS_AGE_RECIPIENTS`).
    recipients: Option<String>,
}

/// What a write did (or, in check mode, would do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOutcome {
    /// Whether the store changed (false: the value was already there).
    pub changed: bool,
    /// Whether the file was created.
    pub created_file: bool,
    /// Whether the key was added to an existing file.
    pub added_key: bool,
}

impl SopsStore {
    /// The key `key` of the file at `path`.
    pub fn new(path: impl Into<PathBuf>, key: KeyPath, recipients: Option<String>) -> Self {
        Self {
            path: path.into(),
            key,
            recipients,
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `--age` / `SOPS_AGE_RECIPIENTS`, for new files.
    pub fn recipients(&self) -> Option<&str> {
        self.recipients.as_deref()
    }

    /// The key path.
    pub fn key(&self) -> &KeyPath {
        &self.key
    }

    /// `KEY in FILE`, for messages.
    pub fn label(&self) -> String {
        format!("{} in {}", self.key, self.path.display())
    }

    fn format(&self) -> Result<Format, SopsError> {
        Format::from_path(&self.path)
            .ok_or_else(|| SopsError::new(&self.path, SopsErrorKind::UnknownFormat))
    }

    /// Reads and verifies the file; `None` when the file does not exist.
    pub fn open(&self) -> Result<Option<SopsFile>, Error> {
        self.format()?;
        // Bounded, and never a FIFO or device: the read happens while the lock is held.
        let text = match crate::bounded::read(&self.path, crate::bounded::STORE_LIMIT) {
            Ok(bytes) => String::from_utf8(bytes.to_vec()).map_err(|_| {
                SopsError::new(
                    &self.path,
                    SopsErrorKind::Syntax {
                        line: 1,
                        col: 1,
                        message: "the file is not UTF-8 text".into(),
                    },
                )
            })?,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(SopsError::new(&self.path, SopsErrorKind::Read(e)).into()),
        };
        let mut ids = Identities::discover();
        log::debug!("opening {} ({} bytes)", self.path.display(), text.len());
        let file = SopsFile::open(&self.path, text, &mut ids)?;
        log::debug!(
            "{}: data key recovered, every value and the MAC verified",
            self.path.display()
        );
        Ok(Some(file))
    }

    /// The stored secret; `None` when the file or the key does not exist.
    pub fn read(&self) -> Result<Option<SecretString>, Error> {
        let Some(file) = self.open()? else {
            return Ok(None);
        };
        match file.get(&self.key) {
            Ok(s) => Ok(Some(s)),
            Err(SopsError {
                kind: SopsErrorKind::KeyNotFound(_),
                ..
            }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Like [`read`](Self::read), but a missing file or key is an error.
    pub fn read_required(&self) -> Result<SecretString, Error> {
        match self.open()? {
            None => Err(SopsError::new(&self.path, SopsErrorKind::Missing).into()),
            Some(file) => Ok(file.get(&self.key)?),
        }
    }

    /// Takes the store's lock (waiting up to `wait_limit` if `wait`).
    pub fn lock(
        &self,
        wait: bool,
        wait_limit: std::time::Duration,
    ) -> Result<LockedSops<'_>, Error> {
        let parent = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !parent.is_dir() {
            return Err(StoreError::MissingDirectory {
                dir: parent.to_owned(),
            }
            .into());
        }
        let lock = lock::acquire(
            &lock::lock_path_for(&self.path),
            &self.path.display().to_string(),
            wait,
            wait_limit,
        )?;
        atomic::remove_stale_temps(&self.path);
        Ok(LockedSops {
            store: self,
            _lock: lock,
        })
    }
}

/// A SOPS store whose lock is held.
#[derive(Debug)]
pub struct LockedSops<'a> {
    store: &'a SopsStore,
    _lock: StoreLock,
}

/// The result of the checks before an irreversible step.
#[derive(Debug)]
pub struct Preflight {
    /// Who can decrypt a rescue file (the store's own recipients).
    pub rescue_recipients: Vec<Recipient>,
}

impl LockedSops<'_> {
    /// The store.
    pub fn store(&self) -> &SopsStore {
        self.store
    }

    /// Re-reads the secret inside the lock.
    pub fn read(&self) -> Result<Option<SecretString>, Error> {
        self.store.read()
    }

    /// Computes the new text (`None`: unchanged) without writing it.
    fn render(&self, secret: &SecretString) -> Result<(Option<String>, WriteOutcome), Error> {
        let format = self.store.format()?;
        match self.store.open()? {
            Some(file) => {
                let result = file.set(&self.store.key, secret, GoTime::now_utc())?;
                let outcome = WriteOutcome {
                    changed: result.text.is_some(),
                    created_file: false,
                    added_key: result.added,
                };
                Ok((result.text, outcome))
            }
            None => {
                let cwd = std::env::current_dir().map_err(|e| {
                    StoreError::io("find the working directory for", &self.store.path, e)
                })?;
                let plan =
                    config::plan(&cwd, &self.store.path, self.store.recipients.as_deref())
                        .map_err(|e| SopsError::new(&self.store.path, SopsErrorKind::Config(e)))?;
                let text =
                    create::new_file(format, &self.store.key, secret, &plan, GoTime::now_utc())
                        .map_err(|k| SopsError::new(&self.store.path, k))?;
                Ok((
                    Some(text),
                    WriteOutcome {
                        changed: true,
                        created_file: true,
                        added_key: true,
                    },
                ))
            }
        }
    }

    /// Everything a write will need, checked without changing anything: the file opens and
    /// verifies (or can be created), the key can be written encrypted, the directory is
    /// writable, and who could decrypt a rescue file.
    pub fn preflight(&self, probe_value: &SecretString) -> Result<Preflight, Error> {
        let (_, _) = self.render(probe_value)?;
        atomic::check_writable(&self.store.path)?;
        let recipients = match self.store.open()? {
            Some(file) => file.age_recipients(),
            None => {
                let cwd = std::env::current_dir().map_err(|e| {
                    StoreError::io("find the working directory for", &self.store.path, e)
                })?;
                config::plan(&cwd, &self.store.path, self.store.recipients.as_deref())
                    .map_err(|e| SopsError::new(&self.store.path, SopsErrorKind::Config(e)))?
                    .groups
                    .iter()
                    .flatten()
                    .map(|r| r.text.clone())
                    .collect()
            }
        };
        let rescue_recipients = recipients
            .iter()
            .filter_map(|r| Recipient::parse(r).ok())
            .collect();
        Ok(Preflight { rescue_recipients })
    }

    /// What a write would do, without writing (`--check`).
    pub fn dry_run(&self, secret: &SecretString) -> Result<WriteOutcome, Error> {
        Ok(self.render(secret)?.1)
    }

    /// Writes the secret.
    pub fn write(&self, secret: &SecretString) -> Result<WriteOutcome, Error> {
        let (text, outcome) = self.render(secret)?;
        match text {
            Some(text) => {
                atomic::replace(&self.store.path, text.as_bytes())?;
                log::info!(
                    "wrote {} ({} bytes, replaced atomically)",
                    self.store.path.display(),
                    text.len()
                );
            }
            None => log::info!(
                "{} already holds this value; nothing written",
                self.store.label()
            ),
        }
        Ok(outcome)
    }
}
