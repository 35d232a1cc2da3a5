//! Errors of the OS keyring store.
//!
//! Every message is built from the entry's name, the backend and the backend's own error text
//! (D-Bus error names, errno names); never from a value read or written. keyring-core's errors
//! can carry the stored bytes (`BadEncoding`, `BadDataFormat`), so they are converted into these
//! on the thread that received them and the bytes are wiped there.

use std::fmt;
use std::time::Duration;

use crate::error::{Diagnose, Exit};

/// A keyring operation failed.
#[derive(Debug)]
pub(crate) enum KeyringError {
    /// `--keyring-backend` names a backend this operating system does not have.
    BackendUnavailable {
        /// The backend asked for.
        backend: &'static str,
        /// The backends this OS has.
        here: &'static str,
    },
    /// No Secret Service could be reached: no session bus, or nothing answers on it.
    NoSecretService {
        /// What the D-Bus layer said.
        detail: String,
    },
    /// The collection is locked and was not unlocked (no one answered the unlock prompt).
    Locked {
        /// The entry.
        entry: String,
        /// What the Secret Service said.
        detail: String,
    },
    /// The Secret Service has no default collection to create the entry in.
    NoCollection {
        /// The entry.
        entry: String,
    },
    /// The kernel refused the keyutils system calls: blocked outright (EPERM, ENOSYS: a
    /// container's seccomp profile, usually), or access to the session keyring denied (EACCES).
    KeyctlDenied {
        /// The errno and its meaning.
        errno: &'static str,
        /// Whether the calls themselves are blocked (rather than one keyring refused).
        blocked: bool,
    },
    /// The entry does not exist.
    Missing {
        /// The entry.
        entry: String,
        /// The flags naming it, for the hint.
        flags: String,
    },
    /// Several items match the entry.
    Ambiguous {
        /// The entry.
        entry: String,
        /// How many match.
        count: usize,
    },
    /// The stored value is not UTF-8 text.
    NotText {
        /// The entry.
        entry: String,
    },
    /// A write was accepted but reading it back did not return the value written.
    NotConfirmed {
        /// The entry.
        entry: String,
        /// What was read instead ("nothing", "a different value").
        found: &'static str,
    },
    /// The backend did not answer in time (a prompt nobody sees, a hung daemon).
    Timeout {
        /// The entry.
        entry: String,
        /// The operation ("read", "write").
        op: &'static str,
        /// How long cfsecret waited.
        waited: Duration,
    },
    /// The backend rejected the entry's name or value.
    Rejected {
        /// The entry.
        entry: String,
        /// What it said.
        detail: String,
    },
    /// Anything else the backend reported.
    Failed {
        /// The entry.
        entry: String,
        /// The operation ("read", "write", "remove the probe entry of").
        op: &'static str,
        /// What the backend said.
        detail: String,
    },
}

impl fmt::Display for KeyringError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BackendUnavailable { backend, here } => write!(
                f,
                "the keyring backend {backend} is not available on this system (available: {here})"
            ),
            Self::NoSecretService { detail } => {
                write!(
                    f,
                    "cannot reach a Secret Service on the session bus ({detail})"
                )
            }
            Self::Locked { entry, detail } => write!(
                f,
                "cannot use {entry}: the keyring collection is locked and was not unlocked ({detail})"
            ),
            Self::NoCollection { entry } => write!(
                f,
                "cannot store {entry}: the Secret Service has no default collection to put it in"
            ),
            Self::KeyctlDenied {
                errno,
                blocked: true,
            } => write!(
                f,
                "the kernel keyring system calls (keyctl, add_key) are blocked here ({errno})"
            ),
            Self::KeyctlDenied {
                errno,
                blocked: false,
            } => write!(
                f,
                "the kernel keyring refused access to the session keyring ({errno})"
            ),
            Self::Missing { entry, .. } => write!(f, "{entry} does not exist"),
            Self::Ambiguous { entry, count } => {
                write!(
                    f,
                    "{count} keyring items match {entry}; cfsecret needs exactly one"
                )
            }
            Self::NotText { entry } => write!(f, "{entry} holds a value that is not UTF-8 text"),
            Self::NotConfirmed { entry, found } => write!(
                f,
                "the write to {entry} was not confirmed: reading it back returned {found}"
            ),
            Self::Timeout { entry, op, waited } => write!(
                f,
                "the keyring did not answer within {}s when asked to {op} {entry}",
                waited.as_secs()
            ),
            Self::Rejected { entry, detail } => write!(f, "the keyring rejected {entry}: {detail}"),
            Self::Failed { entry, op, detail } => write!(f, "cannot {op} {entry}: {detail}"),
        }
    }
}

impl std::error::Error for KeyringError {}

impl Diagnose for KeyringError {
    fn code(&self) -> &'static str {
        match self {
            Self::BackendUnavailable { .. } => "keyring_backend_unavailable",
            Self::NoSecretService { .. } => "keyring_unreachable",
            Self::Locked { .. } => "keyring_locked",
            Self::NoCollection { .. } => "keyring_no_collection",
            Self::KeyctlDenied { .. } => "keyctl_denied",
            Self::Missing { .. } => "keyring_entry_missing",
            Self::Ambiguous { .. } => "keyring_ambiguous",
            Self::NotText { .. } => "keyring_not_text",
            Self::NotConfirmed { .. } => "keyring_write_not_confirmed",
            Self::Timeout { .. } => "keyring_timeout",
            Self::Rejected { .. } => "keyring_rejected",
            Self::Failed { .. } => "keyring_error",
        }
    }

    fn exit(&self) -> Exit {
        match self {
            Self::BackendUnavailable { .. } => Exit::Usage,
            _ => Exit::Failure,
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            Self::BackendUnavailable { here, .. } => {
                format!("choose one of: {here} (--keyring-backend or CFSECRET_KEYRING_BACKEND), or use a SOPS file with --file and --key")
            }
            Self::NoSecretService { .. } => "start a Secret Service: log in to a desktop session, or run cfsecret inside `dbus-run-session` after `gnome-keyring-daemon --unlock --components=secrets` (it reads the keyring password on stdin); or choose the kernel keyring with --keyring-backend keyutils; or keep the secret in a SOPS file with --file and --key".into(),
            Self::Locked { .. } => "unlock the collection first: log in to the desktop session (or answer the unlock prompt there); without a desktop, start the daemon unlocked (`gnome-keyring-daemon --unlock` reads the password on stdin when it starts). Or choose --keyring-backend keyutils, or keep the secret in a SOPS file with --file and --key".into(),
            Self::NoCollection { .. } => "create the default (login) collection: start the daemon with `gnome-keyring-daemon --unlock` (it creates the collection with the password it reads on stdin), or create one in Seahorse; or choose --keyring-backend keyutils".into(),
            Self::KeyctlDenied { blocked: true, .. } => "containers often block these calls (Docker's default seccomp profile does): keep the secret in a SOPS file with --file and --key, allow keyctl/add_key/request_key in the container's seccomp profile, or use the Secret Service".into(),
            Self::KeyctlDenied { blocked: false, .. } => "the process may have no session keyring of its own (a container, or a job started without pam_keyinit): run it under `keyctl session`, or keep the secret in a SOPS file with --file and --key".into(),
            Self::Missing { flags, .. } => {
                format!("store it first: `cfsecret set {flags}` reads the secret on stdin")
            }
            Self::Ambiguous { .. } => "remove the extra items (for the Secret Service, `secret-tool search --all service SERVICE username USER` lists them), then store the secret again".into(),
            Self::NotText { .. } => "store the token again with `cfsecret set`".into(),
            Self::NotConfirmed { .. } => "another program may be writing this entry at the same time; check the keyring, then run again".into(),
            Self::Timeout { .. } => "an unlock prompt may be waiting where nobody sees it, or the keyring daemon hangs: unlock the keyring first, or use --keyring-backend keyutils or a SOPS file".into(),
            Self::Rejected { .. } => "use a shorter or plainer SERVICE/USER".into(),
            Self::Failed { .. } => "check that the keyring daemon runs and is unlocked, then run again (-vv explains more)".into(),
        })
    }
}
