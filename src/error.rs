//! The error vocabulary shared by every part of cfsecret.
//!
//! Each area (the SOPS engine, the stores, the Cloudflare client, the commands) has its own error
//! enum, in the style of rage: a `Display` that says what went wrong and where, plus a separate
//! *hint* that says what to do next. They all implement [`Diagnose`], which also gives the stable
//! machine code printed as `"error"` in `--json` output and the process exit code from
//! CONTRACT.md. No error type may hold secret material: messages are built from paths, key names,
//! token ids and API codes only.

use std::fmt;

/// Process exit codes, fixed by CONTRACT.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Exit {
    /// Success, or nothing to do.
    Success = 0,
    /// An error: nothing changed, or the change was rolled back.
    Failure = 1,
    /// A usage error (bad flags or arguments).
    Usage = 2,
    /// verify: the token is not active or lacks a required permission.
    NotActive = 3,
    /// rotate: the new token is stored and verified, but the old one could not be revoked.
    RevokeFailed = 4,
    /// The new secret could not be written to the store; it was saved, encrypted, to a rescue file.
    Rescued = 5,
    /// Another cfsecret holds the lock on this store.
    Locked = 6,
    /// The store changed and verified, but a `--then` command failed (the token stays).
    ThenFailed = 7,
}

impl Exit {
    /// The numeric process exit status.
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// What every cfsecret error can say about itself.
pub trait Diagnose: std::error::Error {
    /// A stable, machine-readable code for `--json` output (`"error": "mac_mismatch"`).
    fn code(&self) -> &'static str;

    /// The process exit code this error leads to.
    fn exit(&self) -> Exit {
        Exit::Failure
    }

    /// What the user should do next, if there is something useful to say.
    fn hint(&self) -> Option<String> {
        None
    }

    /// Extra result fields for `--json` (a token id, a status, the store), never a secret.
    fn fields(&self) -> serde_json::Map<String, serde_json::Value> {
        serde_json::Map::new()
    }

    /// Whether something was changed before the failure (a rotation whose new token is stored
    /// but whose old token could not be revoked).
    fn changed(&self) -> bool {
        false
    }
}

/// A usage error found after clap has parsed the arguments (a combination clap cannot express).
#[derive(Debug)]
pub struct UsageError {
    message: String,
    hint: Option<String>,
}

impl UsageError {
    /// A usage error with a message and no hint.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
        }
    }

    /// Adds what to do instead.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UsageError {}

impl Diagnose for UsageError {
    fn code(&self) -> &'static str {
        "usage"
    }

    fn exit(&self) -> Exit {
        Exit::Usage
    }

    fn hint(&self) -> Option<String> {
        self.hint.clone()
    }
}

/// Any cfsecret error, boxed, as the commands pass it up to `main`.
pub struct Error(Box<dyn Diagnose + Send + Sync + 'static>);

impl Error {
    /// Wraps any diagnosable error.
    pub fn new<E: Diagnose + Send + Sync + 'static>(e: E) -> Self {
        Self(Box::new(e))
    }

    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        self.0.code()
    }

    /// The exit code.
    pub fn exit(&self) -> Exit {
        self.0.exit()
    }

    /// What to do next.
    pub fn hint(&self) -> Option<String> {
        self.0.hint()
    }

    /// Whether something changed before the failure.
    pub fn changed(&self) -> bool {
        self.0.changed()
    }

    /// Extra result fields for `--json`.
    pub fn fields(&self) -> serde_json::Map<String, serde_json::Value> {
        self.0.fields()
    }

    /// The wrapped error, for tests and for callers that branch on a specific error type.
    pub fn inner(&self) -> &(dyn Diagnose + Send + Sync + 'static) {
        &*self.0
    }
}

impl<E: Diagnose + Send + Sync + 'static> From<E> for Error {
    fn from(e: E) -> Self {
        Self::new(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Error {
    // Debug shows the same text as Display: an error never holds a secret, and a `{:?}` in a
    // panic or a log line should read like the message the user sees.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.0, self.0.code())
    }
}

/// `Result` with cfsecret's boxed [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
