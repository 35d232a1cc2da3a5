//! Everything that can go wrong talking to Cloudflare, with a stable code and a hint.
//!
//! Display says what went wrong and where (the operation, the token id, the HTTP status and
//! Cloudflare's own `message` and `code`); the hint says what to do next. The hint is keyed on
//! (HTTP status, Cloudflare code), because the same code means different things on different
//! endpoints (1001 three ways; 10000 is also the "token is valid" *message*). No variant holds
//! secret material: server texts are sanitised and have the credential redacted before they get
//! here, and bodies are never quoted.

use std::fmt;
use std::time::Duration;

use jiff::Timestamp;

use super::credential::{CredentialSource, ShapeProblem};
use super::envelope::ApiMessage;
use super::op::Op;
use crate::duration::format_duration;
use crate::error::{Diagnose, Exit};

/// An error from the Cloudflare client.
#[derive(Debug)]
#[non_exhaustive]
pub enum ApiError {
    /// `CLOUDFLARE_API_BASE_URL` is not a usable URL.
    InvalidBaseUrl { value: String, reason: &'static str },
    /// `CLOUDFLARE_API_BASE_URL` uses plain http for a non-loopback host.
    InsecureBaseUrl { url: String },
    /// A credential failed the local shape check; nothing was sent.
    BadCredentialShape {
        source: CredentialSource,
        problem: ShapeProblem,
    },
    /// Half of the Global API Key pair is set.
    IncompleteGlobalKey {
        present: &'static str,
        missing: &'static str,
    },
    /// The operation needs a management credential and none was given.
    NoCredential { op: Op },
    /// The token to create or update is invalid; nothing was sent.
    InvalidRequest { op: Op, problem: &'static str },
    /// The HTTP client could not be set up (TLS).
    ClientInit { detail: String },
    /// Cloudflare answered with a 4xx (or a 2xx with `success: false`).
    Refused {
        op: Op,
        token_id: Option<String>,
        status: u16,
        errors: Vec<ApiMessage>,
        /// Set when the body was not Cloudflare's JSON: what it looked like.
        not_json: Option<&'static str>,
        credential: CredentialSource,
    },
    /// Still rate-limited when the wait budget ran out.
    RateLimited {
        op: Op,
        waited: Duration,
        retry_after: Option<Duration>,
        retry_at: Option<Timestamp>,
    },
    /// No complete answer within the timeout, after `attempts` tries.
    Timeout {
        op: Op,
        token_id: Option<String>,
        after: Duration,
        attempts: u32,
        maybe_applied: bool,
    },
    /// The connection failed. `maybe_applied` is false when the request never left (connect
    /// error), true when a mutating request was sent and the answer was lost.
    Transport {
        op: Op,
        token_id: Option<String>,
        detail: String,
        attempts: u32,
        maybe_applied: bool,
    },
    /// Cloudflare answered 5xx (or 408), after `attempts` tries.
    ServerError {
        op: Op,
        token_id: Option<String>,
        status: u16,
        errors: Vec<ApiMessage>,
        attempts: u32,
        maybe_applied: bool,
    },
    /// A 2xx answer that could not be understood. For create and roll the change was applied.
    Malformed {
        op: Op,
        token_id: Option<String>,
        status: u16,
        what: String,
    },
    /// A `cfat_` (account-owned) token was verified without `--account-id`, and the user endpoint
    /// does not know it; or (`legacy`) a pre-2026 40-character secret the user endpoint does not
    /// know, which is either invalid or account-owned.
    AccountIdNeeded { legacy: bool },
    /// An account-owned secret verified without `--account-id` lists several accounts.
    AccountAmbiguous { accounts: Vec<String> },
}

/// What a refusal means, from (HTTP status, Cloudflare codes, message).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// 10000 "Authentication error": valid credential, missing permission.
    MissingPermission,
    /// 9109: not allowed for this account/zone, from this IP, or an invalid credential on a
    /// non-verify endpoint.
    NotAuthorized,
    /// 1000 "Invalid API Token": unknown, rolled-away or deleted secret.
    TokenInvalid,
    /// 6003/6111 (9106 on some endpoints): the Authorization header is malformed.
    MalformedToken,
    /// 404 or 7003 on a token id: no such token (deleted?).
    UnknownToken,
    /// 404 or 7003 without a token id: the route does not exist (wrong base URL?).
    NotFound,
    /// The owner has as many tokens as Cloudflare allows.
    QuotaExceeded,
    /// 400/1001 "Failed common permission check against resources. (Permission group: …)": an
    /// account token may only grant a zone-scoped group on a single zone that it holds itself
    /// (terraform-provider-cloudflare #7241).
    CommonPermissionCheck,
    /// 1001 and other 400s: the request itself was rejected.
    BadRequest,
    /// Anything else.
    Other,
}

impl Refusal {
    /// Classifies a refusal of `op`. Order matters: 10000 and 1000 are the most specific signals.
    pub fn classify(op: Op, status: u16, errors: &[ApiMessage], has_token_id: bool) -> Self {
        let codes: Vec<i64> = errors.iter().flat_map(ApiMessage::codes).collect();
        let has = |c: i64| codes.contains(&c);
        let text = errors
            .iter()
            .map(|e| e.to_string().to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        if has(10000) && matches!(status, 401 | 403) {
            Self::MissingPermission
        } else if status == 404 && has_token_id {
            // An unknown token id may answer 404 with code 1000 (issue 12, item 7): the id is
            // unknown, the credential is fine.
            Self::UnknownToken
        } else if text.contains("failed common permission check") {
            Self::CommonPermissionCheck
        } else if has(1000) {
            Self::TokenInvalid
        } else if has(6003) || has(6111) || has(9106) {
            Self::MalformedToken
        } else if text.contains("quota") || text.contains("maximum number of") {
            Self::QuotaExceeded
        } else if has(9109)
            && text.contains("unauthorized to access requested resource")
            && op.is_token_management()
            && !matches!(op, Op::CreateToken | Op::UpdateToken)
        {
            // What the token routes answer for a missing API Tokens Read/Write (live snapshot
            // in issue 12, item 3). On create and update the same words may also mean "asks for
            // more than the credential holds", so those stay NotAuthorized with a hint for both.
            Self::MissingPermission
        } else if has(9109) {
            Self::NotAuthorized
        } else if status == 404 || has(7003) || has(7000) {
            if has_token_id {
                Self::UnknownToken
            } else {
                Self::NotFound
            }
        } else if has(1001) || status == 400 || status == 422 {
            Self::BadRequest
        } else if matches!(status, 401 | 403) {
            Self::MissingPermission
        } else {
            Self::Other
        }
    }

    /// The stable code for `--json`.
    pub fn code(self) -> &'static str {
        match self {
            Self::MissingPermission => "missing_permission",
            Self::NotAuthorized => "not_authorized",
            Self::TokenInvalid => "token_invalid",
            Self::MalformedToken => "malformed_token",
            Self::UnknownToken => "unknown_token",
            Self::NotFound => "not_found",
            Self::QuotaExceeded => "quota_exceeded",
            Self::CommonPermissionCheck => "common_permission_check",
            Self::BadRequest => "bad_request",
            Self::Other => "api_refused",
        }
    }
}

impl ApiError {
    /// True when a mutating request was sent and its outcome is unknown: the caller must
    /// reconcile (list tokens by name after a create; assume the secret is gone after a roll).
    /// Also true for a 2xx create or roll whose answer could not be read: that change happened.
    pub fn maybe_applied(&self) -> bool {
        match self {
            Self::Timeout { maybe_applied, .. }
            | Self::Transport { maybe_applied, .. }
            | Self::ServerError { maybe_applied, .. } => *maybe_applied,
            Self::Malformed { op, .. } => !op.idempotent(),
            _ => false,
        }
    }

    /// What kind of refusal this is, if Cloudflare refused.
    pub fn refusal(&self) -> Option<Refusal> {
        match self {
            Self::Refused {
                status,
                errors,
                token_id,
                op,
                ..
            } => Some(Refusal::classify(*op, *status, errors, token_id.is_some())),
            _ => None,
        }
    }

    /// True when Cloudflare says the token itself is invalid (1000) or malformed: for `verify`,
    /// the token is not active (exit 3).
    pub fn token_invalid(&self) -> bool {
        matches!(
            self.refusal(),
            Some(Refusal::TokenInvalid | Refusal::MalformedToken)
        )
    }

    /// The operation this error came from, if any.
    pub fn op(&self) -> Option<Op> {
        match self {
            Self::NoCredential { op }
            | Self::InvalidRequest { op, .. }
            | Self::Refused { op, .. }
            | Self::RateLimited { op, .. }
            | Self::Timeout { op, .. }
            | Self::Transport { op, .. }
            | Self::ServerError { op, .. }
            | Self::Malformed { op, .. } => Some(*op),
            Self::AccountIdNeeded { .. } | Self::AccountAmbiguous { .. } => Some(Op::Verify),
            _ => None,
        }
    }

    fn applied_note(&self) -> &'static str {
        match self.op() {
            Some(Op::CreateToken) if self.maybe_applied() => {
                "; the request was sent, so the token may have been created"
            }
            Some(Op::RollToken) if self.maybe_applied() => {
                "; the request was sent, so the secret may have been rolled"
            }
            Some(Op::UpdateToken) if self.maybe_applied() => {
                "; the request was sent, so the token may have been updated"
            }
            _ => "",
        }
    }
}

fn for_token(token_id: &Option<String>) -> String {
    token_id
        .as_deref()
        .map(|id| format!(" {id}"))
        .unwrap_or_default()
}

/// "read the token" + " abc123" → "read the token abc123".
fn what(op: Op, token_id: &Option<String>) -> String {
    format!("{}{}", op.describe(), for_token(token_id))
}

fn list(errors: &[ApiMessage]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn attempts_note(attempts: u32) -> String {
    if attempts > 1 {
        format!(" ({attempts} attempts)")
    } else {
        String::new()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidBaseUrl { value, reason } => {
                write!(f, "invalid API base URL {value:?}: {reason}")
            }
            Self::InsecureBaseUrl { url } => write!(
                f,
                "refusing plain-http API base URL {url}: the credential would travel unencrypted"
            ),
            Self::BadCredentialShape { source, problem } => {
                write!(f, "{source} {}", problem.describe())
            }
            Self::IncompleteGlobalKey { present, missing } => {
                write!(f, "{present} is set but {missing} is not")
            }
            Self::NoCredential { op } => {
                write!(f, "no Cloudflare credential to {op} with")
            }
            Self::InvalidRequest { op, problem } => {
                write!(f, "cannot {op}: {problem}")
            }
            Self::ClientInit { detail } => write!(f, "could not set up the HTTPS client: {detail}"),
            Self::Refused {
                op,
                token_id,
                status,
                errors,
                not_json,
                ..
            } => {
                write!(
                    f,
                    "Cloudflare refused to {} (HTTP {status})",
                    what(*op, token_id)
                )?;
                if !errors.is_empty() {
                    write!(f, ": {}", list(errors))
                } else if let Some(kind) = not_json {
                    write!(f, " and answered with {kind} instead of its JSON envelope")
                } else {
                    f.write_str(" without saying why")
                }
            }
            Self::RateLimited {
                op,
                waited,
                retry_after,
                ..
            } => {
                write!(f, "Cloudflare is rate-limiting requests to {op} (HTTP 429)")?;
                if !waited.is_zero() {
                    write!(f, "; waited {} in all", format_duration(*waited))?;
                }
                match retry_after {
                    Some(d) => write!(f, " and it asks to wait {} more", format_duration(*d)),
                    None => Ok(()),
                }
            }
            Self::Timeout {
                op,
                token_id,
                after,
                attempts,
                ..
            } => write!(
                f,
                "no answer from Cloudflare within {} to {}{}{}",
                format_duration(*after),
                what(*op, token_id),
                attempts_note(*attempts),
                self.applied_note()
            ),
            Self::Transport {
                op,
                token_id,
                detail,
                attempts,
                maybe_applied,
            } => {
                if *maybe_applied || op.idempotent() {
                    write!(
                        f,
                        "the connection to Cloudflare failed while trying to {}: {detail}{}{}",
                        what(*op, token_id),
                        attempts_note(*attempts),
                        self.applied_note()
                    )
                } else {
                    write!(
                        f,
                        "could not reach Cloudflare to {}: {detail}{}",
                        what(*op, token_id),
                        attempts_note(*attempts)
                    )
                }
            }
            Self::ServerError {
                op,
                token_id,
                status,
                errors,
                attempts,
                ..
            } => {
                write!(
                    f,
                    "Cloudflare failed with HTTP {status} while trying to {}",
                    what(*op, token_id)
                )?;
                if !errors.is_empty() {
                    write!(f, ": {}", list(errors))?;
                }
                write!(f, "{}{}", attempts_note(*attempts), self.applied_note())
            }
            Self::Malformed {
                op,
                token_id,
                status,
                what: problem,
            } => write!(
                f,
                "could not understand Cloudflare's answer (HTTP {status}) to {}: {problem}",
                what(*op, token_id)
            ),
            Self::AccountIdNeeded { legacy: false } => f.write_str(
                "the token is account-owned (cfat_…) and the user endpoint does not know it",
            ),
            Self::AccountIdNeeded { legacy: true } => f.write_str(
                "the user endpoint does not know this token, and its pre-2026 format does not \
                 say whether it is account-owned",
            ),
            Self::AccountAmbiguous { accounts } => write!(
                f,
                "the token is account-owned and lists several accounts ({}): which one owns it is \
                 not known",
                accounts.join(", ")
            ),
        }
    }
}

impl std::error::Error for ApiError {}

impl Diagnose for ApiError {
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidBaseUrl { .. } => "bad_base_url",
            Self::InsecureBaseUrl { .. } => "insecure_base_url",
            Self::BadCredentialShape { .. } => "bad_credential",
            Self::IncompleteGlobalKey { .. } => "incomplete_credential",
            Self::NoCredential { .. } => "no_credential",
            Self::InvalidRequest { .. } => "invalid_token_spec",
            Self::ClientInit { .. } => "client_init",
            Self::Refused { .. } => self.refusal().map_or("api_refused", Refusal::code),
            Self::RateLimited { .. } => "rate_limited",
            _ if self.maybe_applied() => "outcome_unknown",
            Self::Timeout { .. } => "timeout",
            Self::Transport { .. } => "network",
            Self::ServerError { .. } => "server_error",
            Self::Malformed { .. } => "malformed_response",
            Self::AccountIdNeeded { .. } | Self::AccountAmbiguous { .. } => "account_id_needed",
        }
    }

    fn exit(&self) -> Exit {
        match self {
            Self::InvalidBaseUrl { .. }
            | Self::InsecureBaseUrl { .. }
            | Self::IncompleteGlobalKey { .. }
            | Self::AccountIdNeeded { .. }
            | Self::AccountAmbiguous { .. } => Exit::Usage,
            Self::BadCredentialShape {
                source: CredentialSource::VerifiedToken,
                ..
            } => Exit::NotActive,
            Self::Refused { op: Op::Verify, .. } if self.token_invalid() => Exit::NotActive,
            _ => Exit::Failure,
        }
    }

    fn hint(&self) -> Option<String> {
        super::hints::hint(self)
    }
}
