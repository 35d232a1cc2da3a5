//! A secret kept at one key of a SOPS file.
//!
//! Reads need no lock: writes replace the file atomically, so a reader sees the old version or
//! the new one. Writes take the store's lock, re-read and re-verify the file inside it, and
//! replace it atomically; a missing file is created from `.sops.yaml` or the given recipients.

use std::cell::RefCell;
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

    /// Takes the store's lock (waiting up to `wait_limit` if `wait`). A symlinked store is
    /// followed to its target: the lock, the journal and the atomic replacement all live in the
    /// target's directory, so the link stays a link (as with sops, which writes through it).
    pub fn lock(
        &self,
        wait: bool,
        wait_limit: std::time::Duration,
    ) -> Result<LockedSops<'_>, Error> {
        let real = resolve_links(&self.path);
        let parent = real
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !parent.is_dir() {
            return Err(StoreError::MissingDirectory {
                dir: parent.to_owned(),
            }
            .into());
        }
        if real != self.path {
            log::debug!(
                "{} is a symlink: writing through it to {}",
                self.path.display(),
                real.display()
            );
        }
        let lock = lock::acquire(
            &lock::lock_path_for(&real),
            &self.path.display().to_string(),
            wait,
            wait_limit,
        )?;
        atomic::remove_stale_temps(&real);
        Ok(LockedSops {
            store: self,
            real,
            reserved: RefCell::new(None),
            _lock: lock,
        })
    }
}

/// `path` with every symlink followed (the target need not exist yet).
fn resolve_links(path: &Path) -> PathBuf {
    let mut p = path.to_owned();
    for _ in 0..40 {
        match std::fs::read_link(&p) {
            Ok(target) if target.is_absolute() => p = target,
            Ok(target) => p = p.parent().unwrap_or(Path::new("")).join(target),
            Err(_) => break,
        }
    }
    p
}

/// A SOPS store whose lock is held.
#[derive(Debug)]
pub struct LockedSops<'a> {
    store: &'a SopsStore,
    /// The file a write replaces: the store's path with symlinks followed.
    real: PathBuf,
    /// Space taken by the preflight for the write after an irreversible step.
    reserved: RefCell<Option<atomic::Reservation>>,
    _lock: StoreLock,
}

/// Room reserved beyond the probe's rendering, for a secret longer than the probe.
const RESERVE_SLACK: u64 = 4096;

/// A new version of the file, not yet written, and the data key it is encrypted with.
struct Rendered {
    text: String,
    key: crate::sops::cipher::DataKey,
    /// Where the value is in the new text (a list position may differ from the one asked for:
    /// past a list's end sops appends).
    at: KeyPath,
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

    /// Computes the new text (`None`: unchanged) without writing it, and the data key it is
    /// encrypted with (to read it back before the rename).
    fn render(&self, secret: &SecretString) -> Result<(Option<Rendered>, WriteOutcome), Error> {
        let format = self.store.format()?;
        match self.store.open()? {
            Some(file) => {
                let key = file.data_key().clone();
                let mut result = file.set(&self.store.key, secret, GoTime::now_utc())?;
                if crate::faults::hit("store.render").is_err()
                    && let Some(t) = result.text.as_mut()
                {
                    // Test hook (debug builds): a render that is not a readable file.
                    t.truncate(t.len() / 2);
                }
                let outcome = WriteOutcome {
                    changed: result.text.is_some(),
                    created_file: false,
                    added_key: result.added,
                };
                let at = result.at;
                Ok((result.text.map(|text| Rendered { text, key, at }), outcome))
            }
            None => {
                let cwd = std::env::current_dir().map_err(|e| {
                    StoreError::io("find the working directory for", &self.store.path, e)
                })?;
                let plan =
                    config::plan(&cwd, &self.store.path, self.store.recipients.as_deref())
                        .map_err(|e| SopsError::new(&self.store.path, SopsErrorKind::Config(e)))?;
                let (text, key) =
                    create::new_file(format, &self.store.key, secret, &plan, GoTime::now_utc())
                        .map_err(|k| SopsError::new(&self.store.path, k))?;
                Ok((
                    Some(Rendered {
                        text,
                        key,
                        at: self.store.key.clone(),
                    }),
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
    ///
    /// The write's space is taken now: a temp file the size of the new file plus room for a
    /// longer secret, written and fsynced, which [`write`](Self::write) then fills in place. So
    /// a nearly full disk stops the run here, before any irreversible call, not after it.
    pub fn preflight(&self, probe_value: &SecretString) -> Result<Preflight, Error> {
        let (text, _) = self.render(probe_value)?;
        let len = match &text {
            Some(r) => {
                self.parse_back(r, probe_value)?;
                r.text.len()
            }
            None => std::fs::metadata(&self.real).map_or(0, |m| m.len() as usize),
        };
        atomic::check_writable(&self.real)?;
        let reservation = atomic::Reservation::new(&self.real, len as u64 + RESERVE_SLACK)?;
        *self.reserved.borrow_mut() = Some(reservation);
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

    /// Checks that the rendered text opens as a SOPS file with its data key (every value, the
    /// MAC) and holds `secret` at the key: the guard before anything is renamed into place.
    fn parse_back(&self, rendered: &Rendered, secret: &SecretString) -> Result<(), Error> {
        let refuse = |why: String| -> Error {
            StoreError::io(
                "write a file it can read back to",
                &self.real,
                std::io::Error::other(format!(
                    "the new version did not read back ({why}); nothing was written"
                )),
            )
            .into()
        };
        let file = SopsFile::open_with_key(&self.real, rendered.text.clone(), &rendered.key)
            .map_err(|e| refuse(e.to_string()))?;
        let got = file.get(&rendered.at).map_err(|e| refuse(e.to_string()))?;
        if !crate::secret::eq(&got, secret) {
            return Err(refuse("the key holds another value".into()));
        }
        Ok(())
    }

    /// The file's exact bytes (`None`: no file), to put back if a mint is rolled back.
    pub fn snapshot(&self) -> Result<Option<Vec<u8>>, Error> {
        match std::fs::read(&self.real) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io("read", &self.real, e).into()),
        }
    }

    /// Puts back the exact bytes of a [`snapshot`](Self::snapshot) (or removes a file that
    /// did not exist).
    pub fn restore(&self, snapshot: Option<&[u8]>) -> Result<(), Error> {
        match snapshot {
            Some(bytes) => Ok(atomic::replace(&self.real, bytes)?),
            None => match std::fs::remove_file(&self.real) {
                Ok(()) => {
                    atomic::sync_dir(&self.real);
                    Ok(())
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(StoreError::io("remove", &self.real, e).into()),
            },
        }
    }

    /// The file a write replaces (symlinks followed).
    pub fn real_path(&self) -> &Path {
        &self.real
    }

    /// What journal entries of this store and key are bound to: the resolved file (its
    /// directory made absolute) and the key.
    pub fn binding(&self) -> crate::lifecycle::journal::Binding {
        let dir = self
            .real
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let abs = std::fs::canonicalize(dir).map_or_else(
            |_| self.real.clone(),
            |d| d.join(self.real.file_name().unwrap_or_default()),
        );
        crate::lifecycle::journal::Binding {
            store: abs.display().to_string(),
            key: self.store.key.to_string(),
        }
    }

    /// Removes the key (`revoke`), as `sops unset` would: the new text is parsed back and
    /// MAC-verified, and must no longer hold the key, before it is renamed into place. With
    /// `dry_run` nothing is written. `false`: the key (or the file) was not there.
    pub fn remove(&self, dry_run: bool) -> Result<bool, Error> {
        let Some(file) = self.store.open()? else {
            return Ok(false);
        };
        let key = file.data_key().clone();
        let Some(text) = file.unset(&self.store.key, GoTime::now_utc())? else {
            return Ok(false);
        };
        let back = SopsFile::open_with_key(&self.real, text.clone(), &key).map_err(|e| {
            StoreError::io(
                "write a file it can read back to",
                &self.real,
                std::io::Error::other(format!(
                    "the new version did not read back ({e}); nothing was written"
                )),
            )
        })?;
        if back.get(&self.store.key).is_ok() {
            return Err(StoreError::io(
                "remove the key from",
                &self.real,
                std::io::Error::other(
                    "the key is still there after removing it; nothing was written",
                ),
            )
            .into());
        }
        if !dry_run {
            atomic::replace(&self.real, text.as_bytes())?;
            log::info!("removed {} (replaced atomically)", self.store.label());
        }
        Ok(true)
    }

    /// What a write would do, without writing (`--check`).
    pub fn dry_run(&self, secret: &SecretString) -> Result<WriteOutcome, Error> {
        Ok(self.render(secret)?.1)
    }

    /// Writes the secret.
    ///
    /// The new text is parsed back, MAC-verified and checked to hold `secret` before it is
    /// renamed into place: a file cfsecret (or sops) could not read is never written.
    pub fn write(&self, secret: &SecretString) -> Result<WriteOutcome, Error> {
        let (rendered, outcome) = self.render(secret)?;
        match rendered {
            Some(rendered) => {
                self.parse_back(&rendered, secret)?;
                let text = &rendered.text;
                let reserved = self.reserved.borrow_mut().take();
                match reserved {
                    Some(r) if r.size() >= text.len() as u64 => {
                        r.commit(&self.real, text.as_bytes())?
                    }
                    _ => atomic::replace(&self.real, text.as_bytes())?,
                }
                log::info!(
                    "wrote {} ({} bytes, replaced atomically)",
                    self.real.display(),
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
