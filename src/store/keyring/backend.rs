//! The keyring backends: which ones this OS has, the default, and one operation on one entry.
//!
//! Each operation opens its backend's store crate explicitly and builds the entry from it:
//! keyring-core's process-wide default store is never set, so nothing can fall back to its
//! in-memory mock. Each runs on a worker thread with a deadline, because a Secret Service may
//! answer a locked collection with an unlock prompt that nobody in a cron job will ever see.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use keyring_core::Entry;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroize;

use super::error::KeyringError;

/// How long one keyring operation may take: long enough for a person to answer an unlock
/// prompt on a desktop, short enough that an unattended run ends instead of hanging.
pub(crate) const DEADLINE: Duration = Duration::from_secs(120);

/// The keyring backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyringBackend {
    /// Linux: the Secret Service (GNOME Keyring, KWallet) over D-Bus.
    SecretService,
    /// Linux: the kernel keyring (keyutils); lost at reboot.
    Keyutils,
    /// macOS Keychain.
    Keychain,
    /// Windows Credential Manager.
    CredentialManager,
}

impl KeyringBackend {
    /// Every backend, in the order `--help` lists them.
    pub(crate) const ALL: &'static [Self] = &[
        Self::SecretService,
        Self::Keyutils,
        Self::Keychain,
        Self::CredentialManager,
    ];

    /// The backend a `--keyring-backend`/`CFSECRET_KEYRING_BACKEND` spelling names.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|b| b.name() == name)
    }

    /// One line for `--help`.
    pub(crate) fn help(self) -> &'static str {
        match self {
            Self::SecretService => "Linux: the Secret Service (GNOME Keyring, KWallet) over D-Bus",
            Self::Keyutils => "Linux: the kernel keyring (keyutils); lost at reboot",
            Self::Keychain => "macOS Keychain",
            Self::CredentialManager => "Windows Credential Manager",
        }
    }

    /// The `--keyring-backend` spelling.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::SecretService => "secret-service",
            Self::Keyutils => "keyutils",
            Self::Keychain => "keychain",
            Self::CredentialManager => "credential-manager",
        }
    }

    /// The backend, for messages ("SERVICE/USER in the Secret Service").
    pub(crate) fn title(self) -> &'static str {
        match self {
            Self::SecretService => "the Secret Service",
            Self::Keyutils => "the kernel keyring (keyutils)",
            Self::Keychain => "the macOS Keychain",
            Self::CredentialManager => "Windows Credential Manager",
        }
    }

    /// Whether this build can use the backend on this OS.
    pub(crate) fn available(self) -> bool {
        match self {
            Self::SecretService | Self::Keyutils => cfg!(target_os = "linux"),
            Self::Keychain => cfg!(target_os = "macos"),
            Self::CredentialManager => cfg!(target_os = "windows"),
        }
    }

    /// The default on this OS. On Linux it is the Secret Service, the keyring a desktop user
    /// sees and that survives a reboot; keyutils (RAM only) must be asked for. There is no
    /// silent fallback from one to the other: a secret must not land in a store its reader
    /// will not look in.
    pub(crate) fn default_here() -> Option<Self> {
        if cfg!(target_os = "linux") {
            Some(Self::SecretService)
        } else if cfg!(target_os = "macos") {
            Some(Self::Keychain)
        } else if cfg!(target_os = "windows") {
            Some(Self::CredentialManager)
        } else {
            None
        }
    }

    /// The backends this OS has, for messages.
    pub(crate) fn available_here() -> &'static str {
        if cfg!(target_os = "linux") {
            "secret-service, keyutils"
        } else if cfg!(target_os = "macos") {
            "keychain"
        } else if cfg!(target_os = "windows") {
            "credential-manager"
        } else {
            "none on this operating system"
        }
    }
}

/// One keyring entry, as the backend operations need it (cheap to clone onto a worker thread).
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The backend.
    pub(crate) backend: KeyringBackend,
    /// The service part of `SERVICE/USER`.
    pub(crate) service: String,
    /// The user part.
    pub(crate) user: String,
    /// `SERVICE/USER in BACKEND`, for messages.
    pub(crate) label: String,
    /// The flags naming the entry, for hints.
    pub(crate) flags: String,
}

/// The stored secret, `None` when the entry does not exist.
pub(crate) fn get(t: &Target) -> Result<Option<SecretString>, KeyringError> {
    run(t, "read", |entry| match entry.get_password() {
        // keyring-core hands out a plain String: copy it into a SecretString, wipe the original.
        Ok(s) => Ok(Some(crate::secret::from_string(s))),
        Err(keyring_core::Error::NoEntry) => Ok(None),
        Err(e) => Err(e),
    })
}

/// Stores `secret`, creating the entry if needed.
pub(crate) fn set(t: &Target, secret: &SecretString) -> Result<(), KeyringError> {
    let secret = secret.clone();
    run(t, "write", move |entry| {
        entry.set_password(secret.expose_secret())
    })
}

/// Removes the entry; `false` when there was none.
pub(crate) fn delete(t: &Target) -> Result<bool, KeyringError> {
    run(t, "remove", |entry| match entry.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring_core::Error::NoEntry) => Ok(false),
        Err(e) => Err(e),
    })
}

/// Opens the backend, builds the entry and runs `op` on a worker thread, waiting at most
/// [`DEADLINE`]. Errors are converted on the worker, so no stored bytes leave it.
fn run<T, F>(t: &Target, op: &'static str, f: F) -> Result<T, KeyringError>
where
    T: Send + 'static,
    F: FnOnce(&Entry) -> keyring_core::Result<T> + Send + 'static,
{
    let target = t.clone();
    let (tx, rx) = mpsc::channel();
    log::debug!("keyring: {op} {}", t.label);
    let spawned = std::thread::Builder::new()
        .name("cfsecret-keyring".into())
        .spawn(move || {
            let result =
                open(&target).and_then(|entry| f(&entry).map_err(|e| classify(e, &target, op)));
            // The receiver is gone only after the deadline; the result is dropped (and a
            // secret in it wiped) here.
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        return Err(KeyringError::Failed {
            entry: t.label.clone(),
            op,
            detail: format!("cannot start a thread: {e}"),
        });
    }
    match rx.recv_timeout(DEADLINE) {
        Ok(result) => result,
        Err(RecvTimeoutError::Timeout) => Err(KeyringError::Timeout {
            entry: t.label.clone(),
            op,
            waited: DEADLINE,
        }),
        Err(RecvTimeoutError::Disconnected) => Err(KeyringError::Failed {
            entry: t.label.clone(),
            op,
            detail: "the keyring library stopped unexpectedly".into(),
        }),
    }
}

/// The entry in its backend's store, opened explicitly.
fn open(t: &Target) -> Result<Entry, KeyringError> {
    #[allow(unused_imports)]
    use keyring_core::api::CredentialStoreApi;
    match t.backend {
        #[cfg(target_os = "linux")]
        KeyringBackend::SecretService => {
            // Connecting is where a missing session bus or Secret Service shows.
            let store = zbus_secret_service_keyring_store::Store::new().map_err(|e| {
                KeyringError::NoSecretService {
                    detail: platform_detail(&e),
                }
            })?;
            store
                .build(&t.service, &t.user, None)
                .map_err(|e| classify(e, t, "open"))
        }
        #[cfg(target_os = "linux")]
        KeyringBackend::Keyutils => {
            // The description is `keyring:USER@SERVICE`; an `@` in SERVICE would make two
            // entries share one, so the store refuses it (and parsing refused it already).
            let config = std::collections::HashMap::from([("service_no_divider", "true")]);
            let store = linux_keyutils_keyring_store::Store::new_with_configuration(&config)
                .map_err(|e| classify(e, t, "open"))?;
            store
                .build(&t.service, &t.user, None)
                .map_err(|e| classify(e, t, "open"))
        }
        #[cfg(target_os = "macos")]
        KeyringBackend::Keychain => {
            let store = apple_native_keyring_store::keychain::Store::new()
                .map_err(|e| classify(e, t, "open"))?;
            store
                .build(&t.service, &t.user, None)
                .map_err(|e| classify(e, t, "open"))
        }
        #[cfg(target_os = "windows")]
        KeyringBackend::CredentialManager => {
            let store =
                windows_native_keyring_store::Store::new().map_err(|e| classify(e, t, "open"))?;
            store
                .build(&t.service, &t.user, None)
                .map_err(|e| classify(e, t, "open"))
        }
        #[allow(unreachable_patterns)]
        other => Err(KeyringError::BackendUnavailable {
            backend: other.name(),
            here: KeyringBackend::available_here(),
        }),
    }
}

/// The text of a platform error (what the D-Bus layer or the kernel said), else the error's own.
fn platform_detail(e: &keyring_core::Error) -> String {
    match e {
        keyring_core::Error::PlatformFailure(inner)
        | keyring_core::Error::NoStorageAccess(inner) => inner.to_string(),
        other => other.to_string(),
    }
}

/// Turns a keyring-core error into cfsecret's, wiping any stored bytes it carries.
fn classify(e: keyring_core::Error, t: &Target, op: &'static str) -> KeyringError {
    use keyring_core::Error as E;
    let entry = t.label.clone();
    match e {
        E::NoEntry => KeyringError::Missing {
            entry,
            flags: t.flags.clone(),
        },
        E::BadEncoding(mut bytes) => {
            bytes.zeroize();
            KeyringError::NotText { entry }
        }
        E::BadDataFormat(mut bytes, _) => {
            bytes.zeroize();
            KeyringError::NotText { entry }
        }
        E::Ambiguous(items) => KeyringError::Ambiguous {
            entry,
            count: items.len(),
        },
        E::TooLong(what, limit) => KeyringError::Rejected {
            entry,
            detail: format!("{what} is longer than the limit of {limit}"),
        },
        E::Invalid(what, why) => KeyringError::Rejected {
            entry,
            detail: format!("{what} {why}"),
        },
        E::PlatformFailure(inner) | E::NoStorageAccess(inner) => platform(inner.as_ref(), t, op),
        other => KeyringError::Failed {
            entry,
            op,
            detail: other.to_string(),
        },
    }
}

/// Classifies what the backend library reported, by its type.
fn platform(
    inner: &(dyn std::error::Error + Send + Sync + 'static),
    t: &Target,
    op: &'static str,
) -> KeyringError {
    let entry = t.label.clone();
    let detail = inner.to_string();
    #[cfg(target_os = "linux")]
    if let Some(ss) = inner.downcast_ref::<secret_service::Error>() {
        use secret_service::Error as S;
        return match ss {
            // A locked collection makes the service ask for an unlock prompt; headless, the
            // prompt fails or is dismissed.
            S::Locked | S::Prompt | S::PromptDisconnected => KeyringError::Locked { entry, detail },
            // The `default` alias points nowhere.
            S::NoResult => KeyringError::NoCollection { entry },
            S::Unavailable => KeyringError::NoSecretService { detail },
            _ => KeyringError::Failed { entry, op, detail },
        };
    }
    #[cfg(target_os = "linux")]
    if let Some(k) = inner.downcast_ref::<linux_keyutils::KeyError>() {
        use linux_keyutils::KeyError as K;
        let enosys = rustix::io::Errno::NOSYS.raw_os_error();
        let denied = match k {
            // What a seccomp filter answers for a blocked call (Docker: EPERM; some: ENOSYS).
            K::PermissionDenied => Some(("EPERM, operation not permitted", true)),
            K::Unknown(n) if *n == enosys => Some(("ENOSYS, function not implemented", true)),
            K::OperationNotSupported => Some(("ENOTSUP, operation not supported", true)),
            // The calls work, but this keyring is not ours to write (e.g. a user-session
            // keyring owned by an unmapped group in a user namespace).
            K::AccessDenied => Some(("EACCES, permission denied", false)),
            _ => None,
        };
        if let Some((errno, blocked)) = denied {
            return KeyringError::KeyctlDenied { errno, blocked };
        }
    }
    KeyringError::Failed { entry, op, detail }
}
