//! A secret kept in an OS keyring entry: `--keyring SERVICE/USER`.
//!
//! The same shape as the SOPS store: reads need no lock; writes take a lock file, and every
//! write is read back and compared before it counts. A keyring has no file to put a lock or a
//! journal next to, so both live in cfsecret's state directory (`$XDG_STATE_HOME/cfsecret/`,
//! else `~/.local/state/cfsecret/`), named after the backend, service and user.
//!
//! `SERVICE/USER` splits at the first `/`: the service cannot contain one, the user can
//! (`cloudflare/ci/dns01` is service `cloudflare`, user `ci/dns01`).

pub mod backend;
pub mod error;

use std::path::PathBuf;

use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::lock::{self, StoreLock};
use super::sops_file::{Preflight, WriteOutcome};
use crate::cli::args::KeyringBackend;
use crate::error::{Error, UsageError};
use backend::Target;
pub use error::KeyringError;

/// The user-name suffix of the entry the preflight writes and removes.
const PROBE_SUFFIX: &str = ".cfsecret-probe";

/// An OS keyring entry.
#[derive(Debug, Clone)]
pub struct KeyringStore {
    service: String,
    user: String,
    backend: KeyringBackend,
    /// `--age` / `SOPS_AGE_RECIPIENTS`: a keyring has no recipients of its own, so these are
    /// the only default for a rescue file.
    rescue_default: Option<String>,
}

impl KeyringStore {
    /// Parses `SERVICE/USER` as given to `flag` (`--keyring`, `--auth-keyring`), with the
    /// backend from `--keyring-backend`/`CFSECRET_KEYRING_BACKEND` or the OS default.
    pub fn parse(
        flag: &str,
        spec: &str,
        backend: Option<KeyringBackend>,
        rescue_default: Option<String>,
    ) -> Result<Self, Error> {
        let usage = |why: &str| {
            Error::from(
                UsageError::new(format!("{flag} {spec:?}: {why}")).with_hint(format!(
                    "name the entry as SERVICE/USER, e.g. {flag} cloudflare/dns01"
                )),
            )
        };
        let Some((service, user)) = spec.split_once('/') else {
            return Err(usage("expected SERVICE/USER"));
        };
        if service.is_empty() || user.is_empty() {
            return Err(usage("both SERVICE and USER must be non-empty"));
        }
        if spec.chars().any(char::is_control) {
            return Err(usage("control characters are not allowed"));
        }
        let backend = match backend.or_else(KeyringBackend::default_here) {
            Some(b) if b.available() => b,
            other => {
                return Err(KeyringError::BackendUnavailable {
                    backend: other.map_or("(default)", KeyringBackend::name),
                    here: KeyringBackend::available_here(),
                }
                .into());
            }
        };
        if backend == KeyringBackend::Keyutils && service.contains('@') {
            // keyutils names the key `keyring:USER@SERVICE`; an `@` in SERVICE is ambiguous.
            return Err(usage("with keyutils, SERVICE cannot contain '@'"));
        }
        Ok(Self {
            service: service.to_owned(),
            user: user.to_owned(),
            backend,
            rescue_default,
        })
    }

    /// The service part.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The user part.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The backend.
    pub fn backend(&self) -> KeyringBackend {
        self.backend
    }

    /// `--age` / `SOPS_AGE_RECIPIENTS`, the default rescue recipients.
    pub fn rescue_default(&self) -> Option<&str> {
        self.rescue_default.as_deref()
    }

    /// `SERVICE/USER in the Secret Service`, for messages.
    pub fn label(&self) -> String {
        format!("{}/{} in {}", self.service, self.user, self.backend.title())
    }

    /// The flags that name this entry, quoted for a shell.
    pub fn flags(&self) -> String {
        let spec = format!("{}/{}", self.service, self.user);
        let quoted = shlex::try_quote(&spec).map_or_else(|_| spec.clone(), |q| q.into_owned());
        format!(
            "--keyring {quoted} --keyring-backend {}",
            self.backend.name()
        )
    }

    fn target(&self) -> Target {
        Target {
            backend: self.backend,
            service: self.service.clone(),
            user: self.user.clone(),
            label: self.label(),
            flags: self.flags(),
        }
    }

    /// The entry the preflight writes and removes: same service, user `USER.cfsecret-probe`.
    fn probe_target(&self) -> Target {
        let user = format!("{}{PROBE_SUFFIX}", self.user);
        Target {
            backend: self.backend,
            label: format!(
                "the probe entry {}/{user} in {}",
                self.service,
                self.backend.title()
            ),
            flags: self.flags(),
            service: self.service.clone(),
            user,
        }
    }

    /// The stored secret; `None` when the entry does not exist.
    pub fn read(&self) -> Result<Option<SecretString>, Error> {
        Ok(backend::get(&self.target())?)
    }

    /// Like [`read`](Self::read), but a missing entry is an error.
    pub fn read_required(&self) -> Result<SecretString, Error> {
        self.read()?.ok_or_else(|| {
            KeyringError::Missing {
                entry: self.label(),
                flags: self.flags(),
            }
            .into()
        })
    }

    /// A file-name stem for this entry: backend, service and user, sanitised.
    fn stem(&self) -> String {
        let clean = |s: &str| -> String {
            s.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                        c
                    } else {
                        '_'
                    }
                })
                .take(40)
                .collect()
        };
        format!(
            "keyring-{}-{}-{}",
            self.backend.name(),
            clean(&self.service),
            clean(&self.user)
        )
    }

    /// The lock file's name: the stem plus a hash of the exact names, since sanitising can map
    /// two entries to one stem.
    fn lock_name(&self) -> String {
        let mut h = Sha256::new();
        for part in [self.backend.name(), &self.service, &self.user] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        let hash: String = h.finalize()[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("{}-{hash}.cfsecret.lock", self.stem())
    }

    /// The lock file, in the state directory (created 0700 if missing).
    fn lock_path(&self) -> Result<PathBuf, Error> {
        let dir = state_dir().ok_or_else(|| KeyringError::Failed {
            entry: self.label(),
            op: "lock",
            detail:
                "neither XDG_STATE_HOME nor HOME is set, so there is no place for its lock file"
                    .into(),
        })?;
        create_private_dir(&dir)?;
        Ok(dir.join(self.lock_name()))
    }

    /// Takes the entry's lock (waiting up to `wait_limit` if `wait`).
    pub fn lock(
        &self,
        wait: bool,
        wait_limit: std::time::Duration,
    ) -> Result<LockedKeyring<'_>, Error> {
        let path = self.lock_path()?;
        let lock = lock::acquire(&path, &self.label(), wait, wait_limit)?;
        Ok(LockedKeyring { store: self, lock })
    }
}

/// `$XDG_STATE_HOME/cfsecret`, else `~/.local/state/cfsecret`.
fn state_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| crate::keys::identities::home_dir().map(|h| h.join(".local/state")))
        .map(|d| d.join("cfsecret"))
}

/// Creates `dir` (and its parents) if missing; what cfsecret creates is private (0700).
fn create_private_dir(dir: &std::path::Path) -> Result<(), Error> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
        .map_err(|e| super::StoreError::io("create the state directory", dir, e).into())
}

/// A keyring entry whose lock is held.
#[derive(Debug)]
pub struct LockedKeyring<'a> {
    store: &'a KeyringStore,
    lock: StoreLock,
}

impl LockedKeyring<'_> {
    /// The store.
    pub fn store(&self) -> &KeyringStore {
        self.store
    }

    /// The journal, next to the lock file.
    pub fn journal_path(&self) -> PathBuf {
        crate::lifecycle::journal::path_for(self.lock.path())
    }

    /// Where a rescue file goes first, and its name stem.
    pub fn rescue_place(&self) -> (PathBuf, String) {
        let dir = state_dir().map_or_else(std::env::temp_dir, |d| d.join("rescue"));
        (dir, self.store.stem())
    }

    /// Re-reads the secret inside the lock.
    pub fn read(&self) -> Result<Option<SecretString>, Error> {
        self.store.read()
    }

    /// What is stored now, for a write: an entry whose value is not text counts as a different
    /// value (a write replaces it) rather than as an error.
    fn current(&self, secret: &SecretString) -> Result<Option<bool>, Error> {
        match backend::get(&self.store.target()) {
            Ok(Some(v)) => Ok(Some(crate::secret::eq(&v, secret))),
            Ok(None) => Ok(None),
            Err(KeyringError::NotText { .. }) => Ok(Some(false)),
            Err(e) => Err(e.into()),
        }
    }

    /// Proves the backend is reachable and writable before an irreversible step: the entry
    /// itself reads, and a probe entry beside it is written, read back and removed.
    pub fn preflight(&self, probe: &SecretString) -> Result<Preflight, Error> {
        self.current(probe)?;
        let t = self.store.probe_target();
        let mut tag = [0u8; 8];
        rand::rngs::OsRng.fill_bytes(&mut tag);
        let tag: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        let value = crate::secret::from_str(&format!("{}-{tag}", probe.expose_secret()));
        backend::set(&t, &value)?;
        let back = backend::get(&t);
        if let Err(e) = backend::delete(&t) {
            log::warn!("could not remove {}: {e}", t.label);
        }
        match back? {
            Some(v) if crate::secret::eq(&v, &value) => {}
            other => {
                return Err(KeyringError::NotConfirmed {
                    entry: t.label,
                    found: if other.is_some() {
                        "a different value"
                    } else {
                        "nothing"
                    },
                }
                .into());
            }
        }
        log::debug!("{} is reachable and writable", self.store.label());
        // A keyring has no age recipients: rescue files need --rescue-age or SOPS_AGE_RECIPIENTS.
        Ok(Preflight {
            rescue_recipients: Vec::new(),
        })
    }

    /// Removes the entry (`revoke`); with `dry_run`, only says whether it is there. `false`:
    /// there was no entry.
    pub fn remove(&self, dry_run: bool) -> Result<bool, Error> {
        let t = self.store.target();
        if dry_run {
            return Ok(!matches!(backend::get(&t), Ok(None)));
        }
        Ok(backend::delete(&t)?)
    }

    /// What a write would do, without writing (`--check`).
    pub fn dry_run(&self, secret: &SecretString) -> Result<WriteOutcome, Error> {
        let current = self.current(secret)?;
        Ok(WriteOutcome {
            changed: current != Some(true),
            created_file: false,
            added_key: current.is_none(),
        })
    }

    /// Writes the secret, then reads it back: only a read-back equal to the value written
    /// (compared in constant time) counts as stored.
    pub fn write(&self, secret: &SecretString) -> Result<WriteOutcome, Error> {
        let t = self.store.target();
        let current = self.current(secret)?;
        if current == Some(true) {
            log::info!("{} already holds this value; nothing written", t.label);
            return Ok(WriteOutcome {
                changed: false,
                created_file: false,
                added_key: false,
            });
        }
        backend::set(&t, secret)?;
        let found = match backend::get(&t) {
            Ok(Some(v)) if crate::secret::eq(&v, secret) => None,
            Ok(Some(_)) | Err(KeyringError::NotText { .. }) => Some("a different value"),
            Ok(None) => Some("nothing"),
            Err(e) => return Err(e.into()),
        };
        if let Some(found) = found {
            return Err(KeyringError::NotConfirmed {
                entry: t.label,
                found,
            }
            .into());
        }
        log::info!("wrote {} and read it back", t.label);
        Ok(WriteOutcome {
            changed: true,
            created_file: false,
            added_key: current.is_none(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(spec: &str, b: Option<KeyringBackend>) -> Result<KeyringStore, Error> {
        KeyringStore::parse("--keyring", spec, b, None)
    }

    #[test]
    fn service_and_user_split_at_the_first_slash() {
        let s = parse("cloudflare/ci/dns01", None).unwrap();
        assert_eq!((s.service(), s.user()), ("cloudflare", "ci/dns01"));
        for bad in ["", "noslash", "/user", "service/", "a/b\nc"] {
            let e = parse(bad, None).unwrap_err();
            assert_eq!(e.code(), "usage", "{bad:?}");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_backends_and_their_rules() {
        assert_eq!(
            parse("s/u", None).unwrap().backend(),
            KeyringBackend::SecretService
        );
        let e = parse("s/u", Some(KeyringBackend::Keychain)).unwrap_err();
        assert_eq!(e.code(), "keyring_backend_unavailable");
        assert_eq!(e.exit(), crate::error::Exit::Usage);
        assert!(parse("a@b/u", Some(KeyringBackend::Keyutils)).is_err());
        assert!(parse("a@b/u", Some(KeyringBackend::SecretService)).is_ok());
        assert!(parse("a/u@x", Some(KeyringBackend::Keyutils)).is_ok());
    }

    #[test]
    fn names_quote_for_the_shell_and_lock_names_differ() {
        let spec = "my service/it's $HOME `me`";
        let words = shlex::split(&parse(spec, None).unwrap().flags()).unwrap();
        assert_eq!(words[..2], ["--keyring", spec]);
        let a = parse("a/b_c", None).unwrap();
        let b = parse("a/b c", None).unwrap();
        assert_eq!(a.stem(), b.stem(), "sanitised stems may collide");
        assert_ne!(
            a.lock_name(),
            b.lock_name(),
            "the hash keeps lock names apart"
        );
        assert!(a.lock_name().ends_with(".cfsecret.lock"));
    }
}
