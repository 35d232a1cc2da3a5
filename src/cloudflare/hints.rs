//! What to do next, for every [`ApiError`]: the hint half of rage's "error + recommendation".
//!
//! Kept apart from the error type so that the wording can grow without burying the type. Hints
//! name the credential's *source* ("CLOUDFLARE_API_TOKEN", "the stored token"), never its value.

use super::credential::{CredentialSource, ShapeProblem};
use super::envelope::ApiMessage;
use super::error::{ApiError, Refusal};
use super::op::Op;
use crate::duration::format_duration;

const GIVE_CREDENTIAL: &str = "pass a management token with --auth-file PATH --auth-key KEY (or \
     --auth-keyring SERVICE/USER), or set CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL + \
     CLOUDFLARE_API_KEY";

pub(super) fn hint(e: &ApiError) -> Option<String> {
    Some(match e {
        ApiError::InvalidBaseUrl { .. } => "set CLOUDFLARE_API_BASE_URL to an absolute https URL \
            such as https://api.cloudflare.com/client/v4, or unset it"
            .to_owned(),
        ApiError::InsecureBaseUrl { .. } => "use https://; plain http:// is accepted only for \
            loopback hosts (127.0.0.1, ::1, localhost), such as a local test server"
            .to_owned(),
        ApiError::BadCredentialShape { source, problem } => shape_hint(source, *problem),
        ApiError::IncompleteGlobalKey { missing, .. } => {
            format!("set {missing} as well, or better, use an API token in CLOUDFLARE_API_TOKEN")
        }
        ApiError::NoCredential { .. } => format!(
            "{GIVE_CREDENTIAL}; it needs \"API Tokens Write\" (the dashboard template \"Create \
             additional tokens\")"
        ),
        ApiError::InvalidRequest { .. } => {
            "fix the token's name, permissions or validity dates and run again".to_owned()
        }
        ApiError::ClientInit { .. } => {
            "the TLS setup failed; this is a bug, please report it".to_owned()
        }
        ApiError::Refused {
            op,
            status,
            errors,
            credential,
            token_id,
            ..
        } => refusal_hint(
            Refusal::classify(*op, *status, errors, token_id.is_some()),
            *op,
            *status,
            errors,
            credential,
        )?,
        ApiError::RateLimited {
            retry_after,
            retry_at,
            ..
        } => {
            let when = match (retry_at, retry_after) {
                (Some(at), Some(d)) => {
                    format!(
                        "retry after {} (in {})",
                        super::token::api_time(*at),
                        format_duration(*d)
                    )
                }
                _ => "retry in five minutes".to_owned(),
            };
            format!(
                "{when}. Cloudflare allows 1200 requests per 5 minutes per user, counting the \
                 dashboard and every tool that uses the same credential, and blocks for a while \
                 after that"
            )
        }
        ApiError::Timeout { op, .. }
        | ApiError::Transport { op, .. }
        | ApiError::ServerError { op, .. }
            if e.maybe_applied() =>
        {
            unknown_outcome_hint(*op)
        }
        ApiError::Timeout { .. } => "Cloudflare or the network is slow; try again later".to_owned(),
        ApiError::Transport { detail, .. }
            if detail.to_ascii_lowercase().contains("certificate") =>
        {
            "the server's TLS certificate is not trusted. cfsecret trusts the system's CA \
             certificates; behind a TLS-inspecting proxy or with a private CA, set SSL_CERT_FILE \
             (or SSL_CERT_DIR) to a PEM bundle that includes that CA. Nothing was changed"
                .to_owned()
        }
        ApiError::Transport { .. } => "check network access to the API (DNS, firewall, \
            HTTPS_PROXY) and CLOUDFLARE_API_BASE_URL; nothing was changed"
            .to_owned(),
        ApiError::ServerError { .. } => {
            "Cloudflare is having trouble; nothing was changed, try again in a few minutes"
                .to_owned()
        }
        ApiError::Malformed { op, .. } => match op {
            Op::CreateToken => "the token was created but its secret could not be read, so it \
                is lost: delete that token in the dashboard (or let `cfsecret rotate` clean it \
                up) and please report this"
                .to_owned(),
            Op::RollToken => "the secret was rolled but the new one could not be read: the \
                stored secret no longer works. Roll again with a management credential \
                (`cfsecret roll`) and please report this"
                .to_owned(),
            _ => "check that CLOUDFLARE_API_BASE_URL points at the Cloudflare API; if it does, \
                please report this"
                .to_owned(),
        },
        ApiError::AccountIdNeeded { legacy: false } => "pass --account-id ID with the id of the \
            account that owns the token (it is in the dashboard URL of the account)"
            .to_owned(),
        ApiError::AccountAmbiguous { .. } => "pass --account-id ID with the id of the account \
            that owns the token (one of those listed; it is in the dashboard URL of the account)"
            .to_owned(),
        ApiError::AccountIdNeeded { legacy: true } => "if it is an account-owned token, pass \
            --account-id ID (the id is in the dashboard URL of the account), or give a management \
            credential that can list accounts so cfsecret can find it; if it is a user token, it \
            was rolled or deleted: mint a new one with `cfsecret create --force`"
            .to_owned(),
    })
}

fn shape_hint(source: &CredentialSource, problem: ShapeProblem) -> String {
    match (source, problem) {
        (_, ShapeProblem::GlobalKeyAsToken) => "a Global API Key goes in CLOUDFLARE_EMAIL + \
            CLOUDFLARE_API_KEY; CLOUDFLARE_API_TOKEN and token stores take API tokens"
            .to_owned(),
        (_, ShapeProblem::BadEmail) => {
            "set CLOUDFLARE_EMAIL to the e-mail address of the login that owns the key".to_owned()
        }
        (CredentialSource::VerifiedToken | CredentialSource::StoredToken, _) => {
            "the store does not hold a usable token; store a new one with `cfsecret create` \
             (or `cfsecret set`, which reads it from standard input)"
                .to_owned()
        }
        _ => format!(
            "check {source} for stray quotes, spaces or a \"Bearer \" prefix, or copy the token \
             again"
        ),
    }
}

/// `NAME` from Cloudflare's `… (Permission group: "NAME")`.
fn permission_group_named(errors: &[ApiMessage]) -> Option<String> {
    errors.iter().find_map(|e| {
        let text = e.to_string();
        let rest = text.split("Permission group: \"").nth(1)?;
        Some(rest.split('"').next()?.to_owned())
    })
}

fn mentions(errors: &[ApiMessage], needle: &str) -> bool {
    let needle = needle.to_ascii_lowercase();
    errors
        .iter()
        .any(|e| e.to_string().to_ascii_lowercase().contains(&needle))
}

fn refusal_hint(
    kind: Refusal,
    op: Op,
    status: u16,
    errors: &[ApiMessage],
    credential: &CredentialSource,
) -> Option<String> {
    let fallback = if *credential == CredentialSource::StoredToken {
        " (cfsecret used the stored token itself because no management credential was given)"
    } else {
        ""
    };
    Some(match kind {
        Refusal::MissingPermission => match op {
            Op::Zones => format!(
                "{credential} cannot read zones{fallback}: give zone ids instead of names, or \
                 use a credential with \"Zone Read\""
            ),
            Op::Accounts => format!(
                "{credential} cannot list accounts{fallback}: give account ids instead of names, \
                 or use a credential with \"Account Settings Read\""
            ),
            Op::PermissionGroups | Op::ListTokens | Op::GetToken => format!(
                "{credential} lacks \"API Tokens Read\" (\"Account API Tokens Read\" for \
                 account-owned tokens){fallback}. Mint a management token with `cfsecret create \
                 --preset manager` and {GIVE_CREDENTIAL}"
            ),
            _ => format!(
                "{credential} is valid but lacks \"API Tokens Write\" (for account-owned \
                 tokens: \"Account API Tokens Write\" on the account --account-id names){fallback}. \
                 Mint one with `cfsecret create --preset manager` (or the dashboard template \
                 \"Create additional tokens\") and {GIVE_CREDENTIAL}"
            ),
        },
        Refusal::NotAuthorized => {
            let why = if mentions(errors, "location") {
                "this machine's IP address is outside the credential's IP filter: run from an \
                 allowed address or widen the filter in the dashboard"
            } else if mentions(errors, "invalid access token") {
                "the credential is not valid (rolled, deleted or mistyped): replace it"
            } else if mentions(errors, "unauthorized to access requested resource") {
                "the credential lacks \"API Tokens Write\" (\"Account API Tokens Write\" for \
                 account-owned tokens), or the token asks for zones, accounts or permissions the \
                 credential does not have (a token cannot grant more than its creator holds)"
            } else {
                "the credential is not allowed for this account or zone, or not from this IP \
                 address; check its resources and IP filter in the dashboard"
            };
            format!("{credential}: {why}")
        }
        Refusal::TokenInvalid if op == Op::Verify => "the token was rolled, deleted or is \
            wrong. Mint a new one with `cfsecret create --force`, or roll it with `cfsecret \
            roll` and a management credential"
            .to_owned(),
        Refusal::TokenInvalid => format!(
            "{credential} is not a valid token: it was rolled, deleted or mistyped{fallback}. \
             Replace it; {GIVE_CREDENTIAL}"
        ),
        Refusal::MalformedToken => format!(
            "{credential} is not shaped like an API token (a Global API Key sent as a token? a \
             pasted newline?); store the token again"
        ),
        Refusal::UnknownToken => "no token with that id exists for this owner: it was deleted, \
            or it belongs to an account (pass --account-id ID) rather than your user, or the \
            other way round"
            .to_owned(),
        Refusal::NotFound => "the endpoint does not exist: check CLOUDFLARE_API_BASE_URL (it \
            normally ends in /client/v4) and --account-id"
            .to_owned(),
        Refusal::CommonPermissionCheck => {
            let group = permission_group_named(errors)
                .map_or_else(|| "the zone permission".to_owned(), |g| format!("\"{g}\""));
            format!(
                "{credential} is an account-owned token that does not itself hold {group} on \
                 that zone, and Cloudflare's common permission check requires it for a \
                 single-zone grant: add {group} on the zone to the management token, or manage \
                 the token with a user token or the Global API Key"
            )
        }
        Refusal::QuotaExceeded => "Cloudflare allows 50 tokens per user and 500 per account. \
            Delete unused tokens in the dashboard, or roll this token in place with `cfsecret \
            roll` instead of minting a new one"
            .to_owned(),
        Refusal::BadRequest => {
            if mentions(errors, "missing \"authorization\" header") {
                "the request reached Cloudflare without an Authorization header: a proxy may \
                 strip it, or a Global API Key was used where only API tokens work (verify)"
                    .to_owned()
            } else if mentions(errors, "reusing existing policies") {
                "cfsecret sent policy ids on create; this is a bug, please report it".to_owned()
            } else if mentions(errors, "does not support account owned tokens") {
                "this endpoint does not accept account-owned tokens: use a user token or the \
                 Global API Key for it, or give ids instead of names"
                    .to_owned()
            } else {
                "Cloudflare rejected the request as invalid; its message above says which part"
                    .to_owned()
            }
        }
        Refusal::Other if (300..400).contains(&status) => "Cloudflare answered with a redirect, \
            which cfsecret never follows: check CLOUDFLARE_API_BASE_URL"
            .to_owned(),
        // A refusal cfsecret has no words of its own for: Cloudflare's message (printed above,
        // escaped) is the best guide, and a definite refusal changed nothing.
        Refusal::Other => format!(
            "Cloudflare refused this call with HTTP {status} and changed nothing; read its \
             message above, fix what it names, then run again"
        ),
    })
}

fn unknown_outcome_hint(op: Op) -> String {
    match op {
        Op::CreateToken => "the token may exist although cfsecret never got its secret (which \
            is then lost). Do not simply run again: look for a token with this name (the next \
            `cfsecret rotate` finds and deletes such leftovers by name) and delete it first"
            .to_owned(),
        Op::RollToken => "if the roll happened, the stored secret no longer works and the new \
            one is lost. Run `cfsecret verify`; if the stored token is invalid, roll it again \
            with a management credential (`cfsecret roll`) or create a new one"
            .to_owned(),
        _ => "read the token back to see whether the change was applied before trying again"
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Diagnose, Exit};
    use std::time::Duration;

    fn msg(code: i64, text: &str) -> ApiMessage {
        ApiMessage {
            code: Some(code),
            message: text.into(),
            chain: vec![],
        }
    }

    fn refused(op: Op, status: u16, errors: Vec<ApiMessage>, token: Option<&str>) -> ApiError {
        ApiError::Refused {
            op,
            token_id: token.map(str::to_owned),
            status,
            errors,
            not_json: None,
            credential: CredentialSource::TokenEnv,
        }
    }

    #[test]
    fn codes_and_hints_keyed_on_status_and_code() {
        let e = refused(
            Op::CreateToken,
            403,
            vec![msg(10000, "Authentication error")],
            None,
        );
        assert_eq!(e.code(), "missing_permission");
        assert_eq!(
            e.to_string(),
            "Cloudflare refused to create a token (HTTP 403): Authentication error (code 10000)"
        );
        let h = e.hint().unwrap();
        assert!(
            h.contains("CLOUDFLARE_API_TOKEN") && h.contains("API Tokens Write"),
            "{h}"
        );
        assert!(
            h.contains("Create additional tokens") && h.contains("--auth-file"),
            "{h}"
        );

        let e = refused(
            Op::CreateToken,
            403,
            vec![msg(
                9109,
                "Cannot use the access token from location: 192.0.2.1",
            )],
            None,
        );
        assert_eq!(e.code(), "not_authorized");
        assert!(e.hint().unwrap().contains("IP"));

        let e = refused(Op::Verify, 401, vec![msg(1000, "Invalid API Token")], None);
        assert_eq!(e.code(), "token_invalid");
        assert_eq!(e.exit(), Exit::NotActive);
        assert!(e.hint().unwrap().contains("rolled, deleted"));
        let e = refused(
            Op::RollToken,
            401,
            vec![msg(1000, "Invalid API Token")],
            None,
        );
        assert_eq!(e.exit(), Exit::Failure);

        let chained = ApiMessage {
            code: Some(6003),
            message: "Invalid request headers".into(),
            chain: vec![msg(6111, "Invalid format for Authorization header")],
        };
        assert_eq!(
            refused(Op::Verify, 400, vec![chained], None).code(),
            "malformed_token"
        );

        let e = refused(
            Op::GetToken,
            404,
            vec![msg(7003, "No route for the URI")],
            Some("abc"),
        );
        assert_eq!(e.code(), "unknown_token");
        assert!(e.to_string().contains("read the token abc"));
        assert!(e.hint().unwrap().contains("deleted"));
        assert_eq!(
            refused(Op::ListTokens, 404, vec![], None).code(),
            "not_found"
        );

        for text in [
            "Missing \"Authorization\" header",
            "Reusing existing policies is not supported by token creation",
            "List accounts endpoint does not support account owned tokens.",
        ] {
            let e = refused(Op::CreateToken, 400, vec![msg(1001, text)], None);
            assert_eq!(e.code(), "bad_request");
            assert!(
                !e.hint().unwrap().contains("its message above"),
                "no specific hint for {text}"
            );
        }

        let e = refused(
            Op::CreateToken,
            400,
            vec![msg(1001, "Token quota exceeded")],
            None,
        );
        assert_eq!(e.code(), "quota_exceeded");
        assert!(e.hint().unwrap().contains("50"));
    }

    #[test]
    fn stored_token_fallback_is_named() {
        let e = ApiError::Refused {
            op: Op::RollToken,
            token_id: Some("abc".into()),
            status: 403,
            errors: vec![msg(10000, "Authentication error")],
            not_json: None,
            credential: CredentialSource::StoredToken,
        };
        let h = e.hint().unwrap();
        assert!(
            h.starts_with("the stored token") && h.contains("no management credential"),
            "{h}"
        );
    }

    #[test]
    fn outcome_unknown_only_for_mutations() {
        let t = |op, maybe_applied| ApiError::Timeout {
            op,
            token_id: None,
            after: Duration::from_secs(30),
            attempts: 1,
            maybe_applied,
        };
        let create = t(Op::CreateToken, true);
        assert_eq!(create.code(), "outcome_unknown");
        assert!(create.maybe_applied());
        assert!(create.to_string().contains("may have been created"));
        assert!(create.hint().unwrap().contains("Do not simply run again"));
        let roll = t(Op::RollToken, true);
        assert!(roll.hint().unwrap().contains("new one is lost"));
        let get = t(Op::GetToken, false);
        assert_eq!(get.code(), "timeout");
        assert!(!get.to_string().contains("may have been"));
        let malformed_roll = ApiError::Malformed {
            op: Op::RollToken,
            token_id: None,
            status: 200,
            what: "x".into(),
        };
        assert!(malformed_roll.maybe_applied());
    }

    #[test]
    fn rate_limit_says_when() {
        let e = ApiError::RateLimited {
            op: Op::ListTokens,
            waited: Duration::from_secs(120),
            retry_after: Some(Duration::from_secs(300)),
            retry_at: Some("2026-01-01T00:05:00Z".parse().unwrap()),
        };
        assert_eq!(e.code(), "rate_limited");
        assert!(e.to_string().contains("waited 2m in all"), "{e}");
        assert!(
            e.hint()
                .unwrap()
                .contains("retry after 2026-01-01T00:05:00Z (in 5m)")
        );
    }

    #[test]
    fn non_json_refusals_say_so() {
        let e = ApiError::Refused {
            op: Op::ListTokens,
            token_id: None,
            status: 403,
            errors: vec![],
            not_json: Some("an HTML page"),
            credential: CredentialSource::TokenEnv,
        };
        assert!(e.to_string().contains("an HTML page"));
    }

    #[test]
    fn real_api_refusals_are_classified_by_operation() {
        let denied = || vec![msg(9109, "Unauthorized to access requested resource")];
        // Issue 12, item 3: on the token routes 9109 is a missing permission...
        for op in [Op::GetToken, Op::RollToken, Op::ListTokens, Op::DeleteToken] {
            let e = refused(op, 403, denied(), Some("t1"));
            assert_eq!(e.code(), "missing_permission", "{op:?}");
            assert!(e.hint().unwrap().contains("--auth-file"));
        }
        // ...while on create it may also mean "asks for more than it holds".
        let e = refused(Op::CreateToken, 403, denied(), None);
        assert_eq!(e.code(), "not_authorized");
        assert!(e.hint().unwrap().contains("API Tokens Write"));
        // Item 7: 404 with code 1000 on a token id is an unknown token.
        let e = refused(
            Op::GetToken,
            404,
            vec![msg(1000, "Invalid token")],
            Some("t1"),
        );
        assert_eq!(e.code(), "unknown_token");
        // Item 2: the common permission check names the group.
        let e = refused(
            Op::CreateToken,
            400,
            vec![msg(
                1001,
                "Failed common permission check against resources. (Permission group: \"DNS Write\")",
            )],
            None,
        );
        assert_eq!(e.code(), "common_permission_check");
        assert!(e.hint().unwrap().contains("\"DNS Write\""));
    }
}
