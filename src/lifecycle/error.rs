//! Errors of the token lifecycle (create, rotate, roll, verify) beyond API and store errors.

use serde_json::{Map, Value};

use crate::error::{Diagnose, Exit};

/// A lifecycle step went wrong.
#[derive(Debug)]
pub(crate) enum LifecycleError {
    /// The store holds no token to rotate or roll.
    NothingStored { store: String },
    /// The stored token is not valid, so it cannot be identified, rotated or rolled.
    StoredTokenInvalid { store: String, detail: String },
    /// `verify`: the token is not active (exit 3).
    NotActive {
        store: String,
        token_id: Option<String>,
        status: String,
        detail: String,
    },
    /// `verify --require`: the token lacks permissions (exit 3).
    MissingPermissions {
        store: String,
        token_id: String,
        missing: Vec<String>,
    },
    /// The new token was stored and verified, but the old one could not be revoked (exit 4).
    RevokeFailed {
        store: String,
        new_id: String,
        old_id: String,
        cause: String,
        /// What the run did before the revocation failed (`created`, `rotated`).
        action: &'static str,
    },
    /// The new token did not verify from the store; the old one was put back.
    NewTokenFailedVerification {
        store: String,
        new_id: String,
        cause: String,
        rolled_back: bool,
    },
    /// A roll's response was lost, the stored secret is dead, and there is no other credential.
    LockedOut { store: String, token_id: String },
    /// A create or roll whose outcome is unknown could not be cleaned up yet.
    OutcomeUnknown { store: String, what: String },
    /// Cloudflare returned a secret that cannot be a token secret; nothing was written.
    MalformedSecret {
        store: String,
        token_id: String,
        cause: String,
    },
}

impl std::fmt::Display for LifecycleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NothingStored { store } => write!(f, "there is no token at {store}"),
            Self::StoredTokenInvalid { store, detail } => {
                write!(
                    f,
                    "the token at {store} is not valid, so it cannot be identified ({detail})"
                )
            }
            Self::NotActive {
                store,
                token_id,
                status,
                detail,
            } => match token_id {
                Some(id) => write!(f, "the token at {store} (id {id}) is {status}: {detail}"),
                None => write!(f, "the token at {store} is {status}: {detail}"),
            },
            Self::MissingPermissions {
                store,
                token_id,
                missing,
            } => write!(
                f,
                "the token at {store} (id {token_id}) is active but lacks {}",
                missing.join(", ")
            ),
            Self::RevokeFailed {
                store,
                new_id,
                old_id,
                cause,
                ..
            } => write!(
                f,
                "the new token {new_id} is stored at {store} and verified, but the old token {old_id} could not be revoked: {cause}"
            ),
            Self::NewTokenFailedVerification {
                store,
                new_id,
                cause,
                rolled_back,
            } => {
                write!(
                    f,
                    "the new token {new_id} did not verify from {store}: {cause}"
                )?;
                if *rolled_back {
                    f.write_str("; the store was put back as it was and the new token deleted")?;
                }
                Ok(())
            }
            Self::LockedOut { store, token_id } => write!(
                f,
                "token {token_id} was rolled but the response with its new secret was lost, and the secret at {store} no longer works"
            ),
            Self::OutcomeUnknown { store, what } => {
                write!(f, "{what} for {store}; the outcome is not known yet")
            }
            Self::MalformedSecret {
                store,
                token_id,
                cause,
            } => write!(
                f,
                "{cause} for token {token_id}; nothing was written to {store}"
            ),
        }
    }
}

impl std::error::Error for LifecycleError {}

impl Diagnose for LifecycleError {
    fn code(&self) -> &'static str {
        match self {
            Self::NothingStored { .. } => "nothing_stored",
            Self::StoredTokenInvalid { .. } => "token_invalid",
            Self::NotActive { .. } => "token_not_active",
            Self::MissingPermissions { .. } => "missing_permission",
            Self::RevokeFailed { .. } => "revoke_failed",
            Self::NewTokenFailedVerification { .. } => "verification_failed",
            Self::LockedOut { .. } => "locked_out",
            Self::OutcomeUnknown { .. } => "outcome_unknown",
            Self::MalformedSecret { .. } => "malformed_secret",
        }
    }

    fn exit(&self) -> Exit {
        match self {
            Self::NotActive { .. } | Self::MissingPermissions { .. } => Exit::NotActive,
            Self::RevokeFailed { .. } => Exit::RevokeFailed,
            _ => Exit::Failure,
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            Self::NothingStored { .. } => "mint one first with `cfsecret create`".into(),
            Self::StoredTokenInvalid { .. } => {
                "mint a new token with `cfsecret create --force` (a rolled-away or deleted token cannot be rotated)".into()
            }
            Self::NotActive { .. } => "mint a new token with `cfsecret create --force`, or check the token in the dashboard".into(),
            Self::MissingPermissions { .. } => {
                "create a token with those permissions (`cfsecret create --force --permission ...`)".into()
            }
            Self::RevokeFailed { .. } => {
                "the next `cfsecret rotate` retries the revocation; or delete the old token in the dashboard".into()
            }
            Self::NewTokenFailedVerification { .. } => "run the command again; if it keeps failing, check the token in the dashboard".into(),
            Self::LockedOut { .. } => {
                "roll the token in the dashboard and store it with `cfsecret set`, or run `cfsecret roll` with a management credential (--auth-file, CLOUDFLARE_API_TOKEN)".into()
            }
            Self::OutcomeUnknown { .. } => "run the command again: the next run finishes or cleans up what this one left".into(),
            Self::MalformedSecret { .. } => "run the command again (a created token was deleted; a rolled one is rolled again by the next run with a management credential)".into(),
        })
    }

    fn fields(&self) -> Map<String, Value> {
        let mut m = Map::new();
        match self {
            Self::NotActive {
                token_id, status, ..
            } => {
                if let Some(id) = token_id {
                    m.insert("token_id".into(), id.clone().into());
                }
                m.insert("status".into(), status.clone().into());
            }
            Self::MissingPermissions {
                token_id, missing, ..
            } => {
                m.insert("token_id".into(), token_id.clone().into());
                m.insert("status".into(), "active".into());
                m.insert("missing_permissions".into(), missing.clone().into());
            }
            Self::RevokeFailed {
                new_id,
                old_id,
                action,
                ..
            } => {
                m.insert("action".into(), (*action).into());
                m.insert("token_id".into(), new_id.clone().into());
                m.insert("old_token_id".into(), old_id.clone().into());
            }
            Self::NewTokenFailedVerification { new_id, .. } => {
                m.insert("token_id".into(), new_id.clone().into());
            }
            Self::LockedOut { token_id, .. } | Self::MalformedSecret { token_id, .. } => {
                m.insert("token_id".into(), token_id.clone().into());
            }
            _ => {}
        }
        m
    }

    fn changed(&self) -> bool {
        matches!(self, Self::RevokeFailed { .. })
    }
}
