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
use super::k8s::{Encoding, Shape, Target};
use super::lock::{self, StoreLock};
use crate::error::Error;
use crate::keys::identities::Identities;
use crate::sops::config;
use crate::sops::create;
use crate::sops::error::{SopsError, SopsErrorKind};
use crate::sops::gotime::GoTime;
use crate::sops::{Format, KeyPath, SopsFile};

/// A key of a SOPS file.
#[derive(Debug, Clone)]
pub(crate) struct SopsStore {
    path: PathBuf,
    key: KeyPath,
    /// Recipients for a new file (`--age` or `SOPS_AGE_RECIPIENTS`).
    recipients: Option<String>,
    /// Kubernetes Secret options: the document, the encoding, a new file's shape.
    shape: Shape,
}

/// What a write did (or, in check mode, would do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WriteOutcome {
    /// Whether the store changed (false: the value was already there).
    pub(crate) changed: bool,
    /// Whether the file was created.
    pub(crate) created_file: bool,
    /// Whether the key was added to an existing file.
    pub(crate) added_key: bool,
}

impl SopsStore {
    /// The key `key` of the file at `path`.
    pub(crate) fn new(path: impl Into<PathBuf>, key: KeyPath, recipients: Option<String>) -> Self {
        Self {
            path: path.into(),
            key,
            recipients,
            shape: Shape::default(),
        }
    }

    /// The same store with Kubernetes options (`--k8s-secret`, `--encoding`, `--document`).
    pub(crate) fn with_shape(mut self, shape: Shape) -> Self {
        self.shape = shape;
        self
    }

    /// The file opened, with the document holding the key selected, and where the key is.
    fn open_target(&self) -> Result<Option<(SopsFile, Target)>, Error> {
        let Some(mut file) = self.open()? else {
            return Ok(None);
        };
        let target = self.shape.target(&mut file, &self.path, &self.key)?;
        Ok(Some((file, target)))
    }

    /// Whether a missing Secret document is added to the file (`--k8s-secret` without
    /// `--document`) rather than an error.
    fn appends(&self, e: &Error) -> bool {
        self.shape.secret.is_some()
            && self.shape.document.is_none()
            && e.code() == "document_not_found"
            && self.format().is_ok_and(|f| f == Format::Yaml)
    }

    /// Where a new file holds the key, and its encoding.
    fn new_target(&self) -> Target {
        let key = self.shape.key_for(&self.key, None);
        let under_data = key.keys().first() == Some(&"data");
        let encoding =
            self.shape
                .encoding
                .unwrap_or(if self.shape.secret.is_some() && under_data {
                    Encoding::Base64
                } else {
                    Encoding::Raw
                });
        Target {
            doc: 0,
            key,
            encoding,
        }
    }

    /// The file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// `--age` / `SOPS_AGE_RECIPIENTS`, for new files.
    pub(crate) fn recipients(&self) -> Option<&str> {
        self.recipients.as_deref()
    }

    /// The key path.
    pub(crate) fn key(&self) -> &KeyPath {
        &self.key
    }

    /// `KEY in FILE`, for messages.
    pub(crate) fn label(&self) -> String {
        format!("{} in {}", self.key, self.path.display())
    }

    fn format(&self) -> Result<Format, SopsError> {
        Format::from_path(&self.path)
            .ok_or_else(|| SopsError::new(&self.path, SopsErrorKind::UnknownFormat))
    }

    /// Reads and verifies the file; `None` when the file does not exist.
    pub(crate) fn open(&self) -> Result<Option<SopsFile>, Error> {
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
    pub(crate) fn read(&self) -> Result<Option<SecretString>, Error> {
        let (file, t) = match self.open_target() {
            Ok(Some(found)) => found,
            Ok(None) => return Ok(None),
            // The Secret is not in the file yet: a write adds it.
            Err(e) if self.appends(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        match file.get(&t.key) {
            Ok(s) => Ok(Some(t.encoding.decode(s, &self.path, &t.key)?)),
            Err(SopsError {
                kind: SopsErrorKind::KeyNotFound(_),
                ..
            }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Like [`read`](Self::read), but a missing file or key is an error.
    pub(crate) fn read_required(&self) -> Result<SecretString, Error> {
        match self.open_target()? {
            None => Err(SopsError::new(&self.path, SopsErrorKind::Missing).into()),
            Some((file, t)) => Ok(t.encoding.decode(file.get(&t.key)?, &self.path, &t.key)?),
        }
    }

    /// Takes the store's lock (waiting up to `wait_limit` if `wait`). A symlinked store is
    /// followed to its target: the lock, the journal and the atomic replacement all live in the
    /// target's directory, so the link stays a link (as with sops, which writes through it).
    pub(crate) fn lock(
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
pub(crate) struct LockedSops<'a> {
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
    /// The document the value is in.
    doc: usize,
    /// The text stored at `at` (the secret, encoded as the key needs).
    stored: SecretString,
}

/// The result of the checks before an irreversible step.
#[derive(Debug)]
pub(crate) struct Preflight {}

impl LockedSops<'_> {
    /// The store.
    pub(crate) fn store(&self) -> &SopsStore {
        self.store
    }

    /// Re-reads the secret inside the lock.
    pub(crate) fn read(&self) -> Result<Option<SecretString>, Error> {
        self.store.read()
    }

    /// Computes the new text (`None`: unchanged) without writing it, and the data key it is
    /// encrypted with (to read it back before the rename).
    fn render(&self, secret: &SecretString) -> Result<(Option<Rendered>, WriteOutcome), Error> {
        let format = self.store.format()?;
        let opened = match self.store.open() {
            Ok(Some(mut file)) => {
                match self
                    .store
                    .shape
                    .target(&mut file, &self.store.path, &self.store.key)
                {
                    Ok(target) => Some((file, target)),
                    Err(e) if self.store.appends(&e) => return self.render_append(&file, secret),
                    Err(e) => return Err(e),
                }
            }
            Ok(None) => None,
            Err(e) => return Err(e),
        };
        match opened {
            Some((file, target)) => {
                let key = file.data_key().clone();
                let stored = target.encoding.encode(secret);
                let mut result = file.set(&target.key, &stored, GoTime::now_utc())?;
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
                Ok((
                    result.text.map(|text| Rendered {
                        text,
                        key,
                        at,
                        doc: target.doc,
                        stored,
                    }),
                    outcome,
                ))
            }
            None => {
                let cwd = std::env::current_dir().map_err(|e| {
                    StoreError::io("find the working directory for", &self.store.path, e)
                })?;
                let plan =
                    config::plan(&cwd, &self.store.path, self.store.recipients.as_deref())
                        .map_err(|e| SopsError::new(&self.store.path, SopsErrorKind::Config(e)))?;
                let target = self.store.new_target();
                let stored = target.encoding.encode(secret);
                let now = GoTime::now_utc();
                let made = match &self.store.shape.secret {
                    Some(s) if format == Format::Yaml => crate::sops::k8s_secret::new_secret(
                        &s.namespace,
                        &s.name,
                        &target.key,
                        &stored,
                        plan,
                        now,
                    ),
                    Some(_) => Err(SopsErrorKind::CannotEdit {
                        path: target.key.clone(),
                        why: "--k8s-secret creates a YAML manifest: name a .yaml or .yml file",
                    }),
                    None => create::new_file(format, &target.key, &stored, &plan, now),
                };
                let (text, key) = made.map_err(|k| SopsError::new(&self.store.path, k))?;
                Ok((
                    Some(Rendered {
                        text,
                        key,
                        at: target.key,
                        doc: 0,
                        stored,
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

    /// A new Secret document (`--k8s-secret`) appended to an existing multi-document file.
    fn render_append(
        &self,
        file: &SopsFile,
        secret: &SecretString,
    ) -> Result<(Option<Rendered>, WriteOutcome), Error> {
        let s = self
            .store
            .shape
            .secret
            .as_ref()
            .expect("appends() checked it");
        let target = self.store.new_target();
        let stored = target.encoding.encode(secret);
        let err = |k| Error::from(SopsError::new(&self.store.path, k));
        let start = file.metadata_start().ok_or_else(|| {
            err(SopsErrorKind::CannotEdit {
                path: target.key.clone(),
                why: "the first document has no `sops:` block to copy",
            })
        })?;
        let text = crate::sops::k8s_secret::append_secret(
            file.source(),
            start,
            file.metadata(),
            file.data_key(),
            (&s.namespace, &s.name),
            &target.key,
            &stored,
            GoTime::now_utc(),
        )
        .map_err(err)?;
        log::info!(
            "{} has no Secret {}/{}: adding it as document {}",
            self.store.path.display(),
            s.namespace,
            s.name,
            file.documents()
        );
        Ok((
            Some(Rendered {
                text,
                key: file.data_key().clone(),
                at: target.key,
                doc: file.documents(),
                stored,
            }),
            WriteOutcome {
                changed: true,
                created_file: false,
                added_key: true,
            },
        ))
    }

    /// Everything a write will need, checked without changing anything: the file opens and
    /// verifies (or can be created), the key can be written encrypted, the directory is
    /// writable, and who could decrypt a rescue file.
    ///
    /// The write's space is taken now: a temp file the size of the new file plus room for a
    /// longer secret, written and fsynced, which [`write`](Self::write) then fills in place. So
    /// a nearly full disk stops the run here, before any irreversible call, not after it.
    pub(crate) fn preflight(&self, probe_value: &SecretString) -> Result<Preflight, Error> {
        let (text, _) = self.render(probe_value)?;
        let len = match &text {
            Some(r) => {
                self.parse_back(r)?;
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
        // The recipients are worked out only so that a broken config fails here, before the
        // irreversible step; rescue files take theirs from `Locked::recipients`.
        let _ = recipients;
        Ok(Preflight {})
    }

    /// Checks that the rendered text opens as a SOPS file with its data key (every value, the
    /// MAC) and holds `secret` at the key: the guard before anything is renamed into place.
    fn parse_back(&self, rendered: &Rendered) -> Result<(), Error> {
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
        let mut file = SopsFile::open_with_key(&self.real, rendered.text.clone(), &rendered.key)
            .map_err(|e| refuse(e.to_string()))?;
        file.select_document(rendered.doc);
        let got = file.get(&rendered.at).map_err(|e| refuse(e.to_string()))?;
        if !crate::secret::eq(&got, &rendered.stored) {
            return Err(refuse("the key holds another value".into()));
        }
        Ok(())
    }

    /// The file's exact bytes (`None`: no file), to put back if a mint is rolled back.
    pub(crate) fn snapshot(&self) -> Result<Option<Vec<u8>>, Error> {
        match std::fs::read(&self.real) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io("read", &self.real, e).into()),
        }
    }

    /// Puts back the exact bytes of a [`snapshot`](Self::snapshot) (or removes a file that
    /// did not exist).
    pub(crate) fn restore(&self, snapshot: Option<&[u8]>) -> Result<(), Error> {
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
    pub(crate) fn real_path(&self) -> &Path {
        &self.real
    }

    /// What journal entries of this store and key are bound to: the resolved file (its
    /// directory made absolute) and the key.
    pub(crate) fn binding(&self) -> super::Binding {
        let dir = self
            .real
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let abs = std::fs::canonicalize(dir).map_or_else(
            |_| self.real.clone(),
            |d| d.join(self.real.file_name().unwrap_or_default()),
        );
        super::Binding {
            store: abs.display().to_string(),
            key: self.store.key.to_string(),
        }
    }

    /// Removes the key (`revoke`), as `sops unset` would: the new text is parsed back and
    /// MAC-verified, and must no longer hold the key, before it is renamed into place. With
    /// `dry_run` nothing is written. `false`: the key (or the file) was not there.
    pub(crate) fn remove(&self, dry_run: bool) -> Result<bool, Error> {
        // The key where it really is: in the selected document, under data/stringData.
        let (file, target) = match self.store.open_target() {
            Ok(Some(found)) => found,
            Ok(None) => return Ok(false),
            Err(e) if self.store.appends(&e) => return Ok(false),
            Err(e) => return Err(e),
        };
        let key = file.data_key().clone();
        let Some(text) = file.unset(&target.key, GoTime::now_utc())? else {
            return Ok(false);
        };
        let mut back = SopsFile::open_with_key(&self.real, text.clone(), &key).map_err(|e| {
            StoreError::io(
                "write a file it can read back to",
                &self.real,
                std::io::Error::other(format!(
                    "the new version did not read back ({e}); nothing was written"
                )),
            )
        })?;
        if !back.select_document(target.doc) || back.get(&target.key).is_ok() {
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
    pub(crate) fn dry_run(&self, secret: &SecretString) -> Result<WriteOutcome, Error> {
        Ok(self.render(secret)?.1)
    }

    /// Writes the secret.
    ///
    /// The new text is parsed back, MAC-verified and checked to hold `secret` before it is
    /// renamed into place: a file cfsecret (or sops) could not read is never written.
    pub(crate) fn write(&self, secret: &SecretString) -> Result<WriteOutcome, Error> {
        let (rendered, outcome) = self.render(secret)?;
        match rendered {
            Some(rendered) => {
                self.parse_back(&rendered)?;
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
