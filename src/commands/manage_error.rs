//! Errors of the token-management commands (`verify --probe`/`--min-remaining`, `list`,
//! `revoke`) beyond API and store errors.

use serde_json::{Map, Value};

use crate::error::{Diagnose, Exit};

/// A token-management step went wrong.
#[derive(Debug)]
pub(crate) enum ManageError {
    /// `verify --min-remaining`: the token expires within the given time (exit 3).
    ExpiresSoon {
        store: String,
        token_id: String,
        expires_on: String,
        expires_in: i64,
        min: String,
    },
    /// `verify --probe`: an expected check failed (exit 3).
    ProbeFailed {
        store: String,
        token_id: String,
        failed: Vec<String>,
        probe: Value,
        expires_in: Value,
    },
    /// `verify --probe` could not learn what the token holds and was told nothing.
    ProbeNeedsExpect { token_id: String },
    /// `--expect` names a permission no probe checks.
    UnknownProbePermission { name: String, known: String },
    /// `list --file` and `--key` are not paired.
    UnpairedStores { files: usize, keys: usize },
}

impl std::fmt::Display for ManageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ExpiresSoon {
                store,
                token_id,
                expires_on,
                min,
                ..
            } => write!(
                f,
                "the token at {store} (id {token_id}) expires {expires_on}, within --min-remaining {min}"
            ),
            Self::ProbeFailed {
                store,
                token_id,
                failed,
                ..
            } => write!(
                f,
                "the token at {store} (id {token_id}) is active, but these expected checks failed: {}",
                failed.join(", ")
            ),
            Self::ProbeNeedsExpect { token_id } => write!(
                f,
                "token {token_id} cannot read its own policies, so there is nothing to probe"
            ),
            Self::UnknownProbePermission { name, .. } => {
                write!(f, "no probe checks the permission {name:?}")
            }
            Self::UnpairedStores { files, keys } => write!(
                f,
                "{files} --file but {keys} --key: each --file needs the --key at the same position"
            ),
        }
    }
}

impl std::error::Error for ManageError {}

impl Diagnose for ManageError {
    fn code(&self) -> &'static str {
        match self {
            Self::ExpiresSoon { .. } => "expires_soon",
            Self::ProbeFailed { .. } => "probe_failed",
            Self::ProbeNeedsExpect { .. } => "probe_needs_expect",
            Self::UnknownProbePermission { .. } => "unknown_permission",
            Self::UnpairedStores { .. } => "usage",
        }
    }

    fn exit(&self) -> Exit {
        match self {
            Self::ExpiresSoon { .. } | Self::ProbeFailed { .. } => Exit::NotActive,
            _ => Exit::Usage,
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            Self::ExpiresSoon { .. } => "rotate it now (`cfsecret rotate` on the same store, \
                e.g. with --min-remaining there too, from cron)"
                .into(),
            Self::ProbeFailed { .. } => {
                "give the token the missing permissions (`cfsecret create` \
                with the full declared set updates it in place), or drop them from --expect"
                    .into()
            }
            Self::ProbeNeedsExpect { .. } => {
                "name what it should reach: --expect PERM (repeatable, \
                e.g. --expect \"DNS Write\") or --preset NAME; or pass --auth-file/--auth-stdin so \
                its policies can be read"
                    .into()
            }
            Self::UnknownProbePermission { known, .. } => {
                format!("probes exist for: {known}")
            }
            Self::UnpairedStores { .. } => {
                "write them as pairs: --file A --key K1 --file B --key K2".into()
            }
        })
    }

    fn fields(&self) -> Map<String, Value> {
        let mut m = Map::new();
        match self {
            Self::ExpiresSoon {
                token_id,
                expires_on,
                expires_in,
                ..
            } => {
                m.insert("token_id".into(), token_id.clone().into());
                m.insert("expires_on".into(), expires_on.clone().into());
                m.insert("expires_in".into(), (*expires_in).into());
            }
            Self::ProbeFailed {
                token_id,
                probe,
                expires_in,
                ..
            } => {
                m.insert("token_id".into(), token_id.clone().into());
                m.insert("probe".into(), probe.clone());
                m.insert("expires_in".into(), expires_in.clone());
            }
            Self::ProbeNeedsExpect { token_id } => {
                m.insert("token_id".into(), token_id.clone().into());
            }
            _ => {}
        }
        m
    }
}
