//! Who is calling: a Bearer token or the Global API Key, and what they may do.
//! Verify has its own rules (see `api_tokens::verify`) and only uses `bearer`.

use crate::directory::Directory;
use crate::envelope::ApiError;
use crate::policy::{self, Target};
use crate::request::ApiRequest;
use crate::state::State;
use crate::token::{Owner, Token};

#[derive(Debug, Clone)]
pub(crate) enum Principal {
    /// X-Auth-Email + X-Auth-Key: everything the user may do.
    GlobalKey,
    /// A snapshot of the authenticated token.
    Token(Box<Token>),
}

impl Principal {
    pub(crate) fn may(&self, dir: &Directory, group_ids: &[&str], target: Target<'_>) -> bool {
        match self {
            Principal::Token(t) => policy::allows(t, group_ids, target),
            Principal::GlobalKey => match target {
                Target::User(u) => u == dir.user_id,
                Target::Account(a) => dir.account(a).is_some(),
                Target::Zone { id, .. } => dir.zone(id).is_some(),
            },
        }
    }

    pub(crate) fn is_account_token(&self) -> bool {
        matches!(self, Principal::Token(t) if matches!(t.owner, Owner::Account(_)))
    }

    /// The account that owns an account-owned token.
    pub(crate) fn owning_account(&self) -> Option<&str> {
        match self {
            Principal::Token(t) => match &t.owner {
                Owner::Account(a) => Some(a),
                Owner::User(_) => None,
            },
            _ => None,
        }
    }
}

/// The Bearer secret, if an Authorization header was sent at all. The header
/// must be `Bearer <credential>` with a credential of a real token shape,
/// otherwise 400/6003 with 6111 in its `error_chain`.
pub(crate) fn bearer(req: &ApiRequest) -> Result<Option<&str>, ApiError> {
    let Some(value) = req.authorization.as_deref() else {
        return Ok(None);
    };
    let (scheme, credential) = value
        .split_once(' ')
        .ok_or_else(ApiError::malformed_authorization)?;
    if !scheme.eq_ignore_ascii_case("bearer") || !crate::secrets::is_well_formed(credential) {
        return Err(ApiError::malformed_authorization());
    }
    Ok(Some(credential))
}

/// Authenticates a non-verify request and marks the token as used.
///
/// A Bearer header wins over X-Auth-* headers. Unknown secrets, IP
/// conditions not met, and tokens that are disabled, expired, revoked or not
/// yet valid are all 403/9109; the last group is a guess [?] (the reference
/// has no capture for non-verify routes).
pub(crate) fn authenticate(
    state: &mut State,
    req: &ApiRequest,
    now: i64,
) -> Result<Principal, ApiError> {
    if let Some(secret) = bearer(req)? {
        let token = state
            .token_by_secret(secret)
            .ok_or_else(ApiError::invalid_access_token)?;
        if !token.permits_ip(req.peer) {
            return Err(ApiError::wrong_location(req.peer));
        }
        if !token.usable(now) {
            return Err(ApiError::invalid_access_token());
        }
        let id = token.id.clone();
        let token = state
            .token_mut(&id)
            .ok_or_else(ApiError::invalid_access_token)?;
        token.last_used_on = Some(now);
        let mut snapshot = token.clone();
        // Strict::propagation_secs: authenticated, but no permission has arrived yet.
        if now < snapshot.effective_from {
            snapshot.policies.clear();
        }
        return Ok(Principal::Token(Box::new(snapshot)));
    }
    match (&req.auth_email, &req.auth_key) {
        (Some(email), Some(key)) => {
            if email.eq_ignore_ascii_case(&state.dir.email) && *key == state.dir.global_api_key {
                Ok(Principal::GlobalKey)
            } else {
                Err(ApiError::unknown_global_key())
            }
        }
        _ => Err(ApiError::missing_authorization()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn req(auth: Option<&str>) -> ApiRequest {
        ApiRequest {
            api_path: "/user/tokens".into(),
            query: vec![],
            authorization: auth.map(String::from),
            auth_email: None,
            auth_key: None,
            body: Default::default(),
            peer: IpAddr::V4(Ipv4Addr::LOCALHOST),
        }
    }

    #[test]
    fn bearer_shapes() {
        let good = "8M7wS6hCpXVc-DoRnPPY_UCWPgy8aea4Wy6kCe5T";
        assert_eq!(bearer(&req(None)), Ok(None));
        assert_eq!(
            bearer(&req(Some(&format!("Bearer {good}")))),
            Ok(Some(good))
        );
        assert_eq!(
            bearer(&req(Some(&format!("bearer {good}")))),
            Ok(Some(good))
        );
        for bad in [
            "Bearer abc-def".to_string(),
            format!("Basic {good}"),
            format!("Bearer  {good}"),
            good.to_string(),
            "Bearer".into(),
        ] {
            assert_eq!(
                bearer(&req(Some(&bad))),
                Err(ApiError::malformed_authorization()),
                "{bad}"
            );
        }
    }
}
