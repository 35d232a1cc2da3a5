//! Errors of the SOPS engine: each names the file, says what is wrong, and what to do.

use std::fmt;
use std::path::PathBuf;

use super::config::ConfigError;
use super::datakey::{DataKeyError, WrapError};
use super::keypath::KeyPath;
use super::metadata::MetadataError;
use super::walk::{WalkError, WalkErrorKind};
use crate::error::{Diagnose, Exit};

/// An error about one SOPS file.
#[derive(Debug)]
pub(crate) struct SopsError {
    /// The file concerned.
    pub(crate) path: PathBuf,
    /// What went wrong.
    pub(crate) kind: SopsErrorKind,
}

/// What went wrong with a SOPS file.
#[derive(Debug)]
pub(crate) enum SopsErrorKind {
    /// Reading the file failed, or it is not a regular file, or too large.
    Read(crate::bounded::ReadError),
    /// The file does not exist.
    Missing,
    /// The file is empty.
    Empty,
    /// The extension is not `.yaml`, `.yml`, `.json` or `.env`.
    UnknownFormat,
    /// The text does not parse (line, column, message).
    Syntax {
        line: usize,
        col: usize,
        message: String,
    },
    /// The file is not encrypted with sops, or its metadata is unusable.
    Metadata(MetadataError),
    /// The data key could not be recovered.
    DataKey(DataKeyError),
    /// A value does not decrypt.
    Value(WalkError),
    /// The file has no MAC.
    NoMac,
    /// The MAC does not decrypt (`lastmodified` or `mac` changed).
    MacUndecryptable,
    /// The MAC does not match the content.
    MacMismatch,
    /// The key path does not exist.
    KeyNotFound(KeyPath),
    /// The key path leads to a map or a list instead of a value.
    NotAValue { path: KeyPath, found: &'static str },
    /// The key path cannot be followed: part of it (`at`) is not what the next step needs.
    PathBlocked {
        path: KeyPath,
        at: String,
        found: &'static str,
    },
    /// The file's rules would leave this key unencrypted.
    WouldBePlaintext { path: KeyPath, rule: String },
    /// The value cannot be edited in place (alias copy, flow map, block scalar in a list…).
    CannotEdit { path: KeyPath, why: &'static str },
    /// `.sops.yaml` problems, or no recipients for a new file.
    Config(ConfigError),
    /// The data key could not be wrapped for a recipient.
    Wrap(WrapError),
}

impl SopsError {
    /// An error about `path`.
    pub(crate) fn new(path: impl Into<PathBuf>, kind: SopsErrorKind) -> Self {
        Self {
            path: path.into(),
            kind,
        }
    }
}

impl fmt::Display for SopsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.path.display();
        match &self.kind {
            SopsErrorKind::Read(e) => write!(f, "cannot read {p}: {e}"),
            SopsErrorKind::Missing => write!(f, "{p} does not exist"),
            SopsErrorKind::Empty => write!(f, "{p} is empty"),
            SopsErrorKind::UnknownFormat => write!(
                f,
                "{p}: unknown format (expected .yaml, .yml, .json or .env)"
            ),
            SopsErrorKind::Syntax { line, col, message } => {
                write!(f, "{p}:{line}:{col}: {message}")
            }
            SopsErrorKind::Metadata(e) => write!(f, "cannot use {p}: {e}"),
            SopsErrorKind::DataKey(e) => write!(f, "cannot decrypt {p}: {e}"),
            SopsErrorKind::Value(WalkError { path, kind }) => match kind {
                WalkErrorKind::Cipher(c) => write!(
                    f,
                    "cannot decrypt {p}: the value at {path} does not decrypt ({c})"
                ),
                WalkErrorKind::NotEncrypted(ty) => write!(
                    f,
                    "cannot decrypt {p}: the value at {path} should be encrypted but is a plain {ty}"
                ),
            },
            SopsErrorKind::NoMac => write!(f, "cannot trust {p}: it has no MAC"),
            SopsErrorKind::MacUndecryptable => write!(
                f,
                "cannot trust {p}: its MAC does not decrypt (`sops.lastmodified` or `sops.mac` was changed)"
            ),
            SopsErrorKind::MacMismatch => write!(
                f,
                "cannot trust {p}: the MAC does not match its content (a value was changed, added or removed outside sops)"
            ),
            SopsErrorKind::KeyNotFound(k) => write!(f, "{p} has no key {k}"),
            SopsErrorKind::NotAValue { path, found } => {
                write!(f, "in {p}, {path} is {found}, not a single value")
            }
            SopsErrorKind::PathBlocked { path, at, found } => {
                write!(f, "in {p}, {path} cannot be reached: {at} is {found}")
            }
            SopsErrorKind::WouldBePlaintext { path, rule } => write!(
                f,
                "refusing to write {path} to {p}: the file's rule `{rule}` leaves that key unencrypted, so the secret would be stored in plaintext"
            ),
            SopsErrorKind::CannotEdit { path, why } => {
                write!(f, "cannot change {path} in {p}: {why}")
            }
            SopsErrorKind::Config(e) => write!(f, "cannot create {p}: {e}"),
            SopsErrorKind::Wrap(e) => write!(f, "cannot encrypt {p}: {e}"),
        }
    }
}

impl std::error::Error for SopsError {}

impl Diagnose for SopsError {
    fn code(&self) -> &'static str {
        match &self.kind {
            SopsErrorKind::Read(crate::bounded::ReadError::Io(_)) => "read_failed",
            SopsErrorKind::Read(crate::bounded::ReadError::NotRegular(_)) => "not_a_regular_file",
            SopsErrorKind::Read(crate::bounded::ReadError::TooLarge { .. }) => "file_too_large",
            SopsErrorKind::Missing => "file_not_found",
            SopsErrorKind::Empty => "empty_file",
            SopsErrorKind::UnknownFormat => "unknown_format",
            SopsErrorKind::Syntax { .. } => "parse_error",
            SopsErrorKind::Metadata(MetadataError::Missing) => "not_sops",
            SopsErrorKind::Metadata(_) => "bad_metadata",
            SopsErrorKind::DataKey(e) if e.damaged.is_some() => "damaged_data_key",
            SopsErrorKind::DataKey(e) if e.no_identities => "no_identity",
            SopsErrorKind::DataKey(_) => "wrong_identity",
            SopsErrorKind::Value(_) => "value_tampered",
            SopsErrorKind::NoMac | SopsErrorKind::MacUndecryptable | SopsErrorKind::MacMismatch => {
                "mac_mismatch"
            }
            SopsErrorKind::KeyNotFound(_) => "key_not_found",
            SopsErrorKind::NotAValue { .. } | SopsErrorKind::PathBlocked { .. } => "not_a_value",
            SopsErrorKind::WouldBePlaintext { .. } => "would_store_plaintext",
            SopsErrorKind::CannotEdit { .. } => "cannot_edit",
            SopsErrorKind::Config(ConfigError::NoRecipients) => "no_recipients",
            SopsErrorKind::Config(_) => "config_error",
            SopsErrorKind::Wrap(_) => "bad_recipient",
        }
    }

    fn exit(&self) -> Exit {
        Exit::Failure
    }

    fn hint(&self) -> Option<String> {
        let p = self.path.display();
        Some(match &self.kind {
            SopsErrorKind::Read(e) => e.hint(&self.path),
            SopsErrorKind::Missing => format!(
                "check the path; to create {p}, run a storing command with recipients from .sops.yaml, --age or SOPS_AGE_RECIPIENTS"
            ),
            SopsErrorKind::Empty => format!("restore {p} from version control, or delete it so cfsecret can create it"),
            SopsErrorKind::UnknownFormat => "name the file .yaml, .yml, .json or .env".into(),
            SopsErrorKind::Syntax { .. } => format!("fix the syntax, or restore {p} from version control"),
            SopsErrorKind::Metadata(MetadataError::Missing) => format!(
                "{p} is not encrypted with sops; encrypt it with `sops encrypt -i {p}`, or use a new path and cfsecret will create it"
            ),
            SopsErrorKind::Metadata(_) => format!("restore {p} from version control or re-create it with sops"),
            SopsErrorKind::DataKey(e) if e.damaged.is_some() => format!(
                "restore {p} from version control, or re-create it with sops; your identity is fine"
            ),
            SopsErrorKind::DataKey(e) if e.no_identities => {
                "make your age identity available: SOPS_AGE_KEY_FILE=/path/to/keys.txt, SOPS_AGE_KEY, SOPS_AGE_KEY_CMD, or ~/.config/sops/age/keys.txt".into()
            }
            SopsErrorKind::DataKey(_) => format!(
                "use an identity whose recipient is listed in {p} (see its `sops` block), or ask someone who can decrypt it to add yours with `sops updatekeys`"
            ),
            SopsErrorKind::Value(_) | SopsErrorKind::NoMac | SopsErrorKind::MacUndecryptable | SopsErrorKind::MacMismatch => format!(
                "cfsecret never rewrites a file that fails verification; inspect the change with `git diff -- {p}` and restore it (`git checkout -- {p}`), or re-encrypt it with sops if the change was intended"
            ),
            SopsErrorKind::KeyNotFound(_) => format!("check --key against the keys in {p}"),
            SopsErrorKind::NotAValue { .. } | SopsErrorKind::PathBlocked { .. } => {
                "point --key at a single value, e.g. '[\"cloudflare\"][\"api_token\"]'".into()
            }
            SopsErrorKind::WouldBePlaintext { .. } => format!(
                "choose a key the file's rule encrypts, or change the rule in {p}'s creation rule (.sops.yaml) and re-encrypt it with sops"
            ),
            SopsErrorKind::CannotEdit { .. } => format!("edit {p} with `sops edit`, or choose another key"),
            SopsErrorKind::Config(e) => e.hint(),
            SopsErrorKind::Wrap(_) => {
                "use X25519 (age1…) or SSH (ssh-ed25519/ssh-rsa) recipients, or install the missing age plugin".into()
            }
        })
    }
}
