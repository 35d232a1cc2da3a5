//! The token endpoints, user-owned (`/user/tokens`) and account-owned
//! (`/accounts/{id}/tokens`), which behave the same apart from the owner,
//! the secret prefix and the permission groups that guard them.

use serde_json::{Value, json};

use crate::auth::{self, Principal};
use crate::catalog::{
    ACCOUNT_API_TOKENS_READ, ACCOUNT_API_TOKENS_WRITE, API_TOKENS_READ, API_TOKENS_WRITE, CATALOG,
};
use crate::envelope::{ApiError, Reply};
use crate::pagination;
use crate::policy::Target;
use crate::request::ApiRequest;
use crate::router::{Action, Scope};
use crate::state::State;
use crate::token::{Owner, Token};
use crate::token_input::{self, Purpose};

/// `GET …/tokens/verify`: Bearer only, no permission needed.
///
/// Unknown, rolled-away and deleted secrets, and tokens owned by someone else
/// than the path names (a `cfat_` secret on `/user/tokens/verify`), are
/// 401/1000. An unmet IP condition is 403/9109 as on every route [?].
/// Disabled, expired and revoked tokens get 200 with their status and no
/// message, or 401/1000 with `verify_inactive_as_401`; the live behaviour is
/// unknown. A token before its `not_before` is always 401/1000: there is no
/// status that could say so [?].
pub(crate) fn verify(
    state: &mut State,
    req: &ApiRequest,
    scope: &Scope,
    now: i64,
) -> Result<Reply, ApiError> {
    let secret = auth::bearer(req)?.ok_or_else(ApiError::missing_authorization)?;
    let token = state
        .token_by_secret(secret)
        .ok_or_else(ApiError::invalid_api_token)?;
    let owner_matches = match (scope, &token.owner) {
        (Scope::User, Owner::User(_)) => true,
        (Scope::Account(a), Owner::Account(b)) => a == b,
        _ => false,
    };
    if !owner_matches {
        // Strict::account_token_on_user_verify_403
        if matches!(scope, Scope::User)
            && secret.starts_with(crate::secrets::ACCOUNT_PREFIX)
            && state.strict.account_token_on_user_verify_403
        {
            return Err(ApiError::unauthorized_resource());
        }
        return Err(ApiError::invalid_api_token());
    }
    if !token.permits_ip(req.peer) {
        return Err(ApiError::wrong_location(req.peer));
    }
    if token.not_yet_valid(now) {
        return Err(ApiError::invalid_api_token());
    }
    let status = token.effective_status(now).to_string();
    let active = token.usable(now);
    if !active && state.verify_inactive_as_401 {
        return Err(ApiError::invalid_api_token());
    }
    let mut result = json!({"id": token.id, "status": status});
    for (key, ts) in [
        ("not_before", token.not_before),
        ("expires_on", token.expires_on),
    ] {
        if let Some(ts) = ts {
            result[key] = crate::clock::format_ts(ts).into();
        }
    }
    let id = token.id.clone();
    if let Some(t) = state.token_mut(&id) {
        t.last_used_on = Some(now);
    }
    let messages = if active {
        vec![json!({"code": 10000, "message": "This API Token is valid and active", "type": null})]
    } else {
        Vec::new()
    };
    Ok(Reply::ok_with(result, messages, None))
}

/// Every token route except verify, for an authenticated caller.
pub(crate) fn handle(
    state: &mut State,
    req: &ApiRequest,
    who: &Principal,
    scope: &Scope,
    action: &Action,
    now: i64,
) -> Result<Reply, ApiError> {
    let writes = matches!(
        action,
        Action::Create | Action::Update(_) | Action::Delete(_) | Action::Roll(_)
    );
    let (owner, target, groups): (Owner, Target<'_>, &[&str]) = match scope {
        Scope::User => (
            Owner::User(state.dir.user_id.clone()),
            Target::User(&state.dir.user_id),
            if writes {
                &[API_TOKENS_WRITE]
            } else {
                &[API_TOKENS_READ, API_TOKENS_WRITE]
            },
        ),
        Scope::Account(a) => (
            Owner::Account(a.clone()),
            Target::Account(a),
            if writes {
                &[ACCOUNT_API_TOKENS_WRITE]
            } else {
                &[ACCOUNT_API_TOKENS_READ, ACCOUNT_API_TOKENS_WRITE]
            },
        ),
    };
    // An account the user does not have is as unreachable as one without
    // the permission [?: the live API may answer 404 instead].
    let known = match scope {
        Scope::User => true,
        Scope::Account(a) => state.dir.account(a).is_some(),
    };
    if !known || !who.may(&state.dir, groups, target) {
        return Err(if state.strict.missing_permission_9109 {
            ApiError::unauthorized_resource()
        } else {
            ApiError::authentication_error()
        });
    }
    let existing = |state: &State, id: &str| owned(state, id, &owner, &req.api_path).map(|_| ());
    let null_results = state.strict.null_results;
    match action {
        Action::Create => {
            let input = token_input::parse(&req.json()?, Purpose::Create)?;
            if let Scope::Account(a) = scope
                && state.strict.common_permission_check
            {
                common_permission_check(state, who, a, &input.policies)?;
            }
            let (token, secret) = state.create(owner.clone(), input, now, true)?;
            let mut result = token.to_json(now);
            result["value"] = secret.into();
            Ok(Reply::ok(result))
        }
        Action::List => {
            let page = pagination::parse(req)?;
            let mut items: Vec<Value> = state.owned_by(&owner).map(|t| t.to_json(now)).collect();
            if req.query("direction") == Some("desc") {
                items.reverse();
            }
            Ok(pagination::reply(items, page, null_results))
        }
        Action::PermissionGroups => Ok(permission_groups(state, req)),
        Action::Get(id) => Ok(Reply::ok(
            owned(state, id, &owner, &req.api_path)?.to_json(now),
        )),
        Action::Update(id) => {
            existing(state, id)?;
            let input = token_input::parse(&req.json()?, Purpose::Update)?;
            Ok(Reply::ok(state.update(id, input, now)?.to_json(now)))
        }
        Action::Delete(id) => {
            existing(state, id)?;
            state.delete(id);
            Ok(Reply::ok(if null_results {
                Value::Null
            } else {
                json!({"id": id})
            }))
        }
        Action::Roll(id) => {
            existing(state, id)?;
            // `{}` per the docs; an empty body (cloudflare-go v0) is fine too.
            match req.json()? {
                Value::Null | Value::Object(_) => {}
                _ => return Err(ApiError::invalid("Request body must be a JSON object")),
            }
            let secret = state.roll(id, now).ok_or_else(ApiError::no_route)?;
            Ok(Reply::ok(Value::String(secret)))
        }
        Action::Verify => Err(ApiError::no_route()),
    }
}

/// The target token must exist and belong to the owner the path names.
fn owned<'s>(state: &'s State, id: &str, owner: &Owner, path: &str) -> Result<&'s Token, ApiError> {
    state
        .token(id)
        .filter(|t| &t.owner == owner)
        .ok_or_else(|| {
            if state.strict.unknown_token_code_1000 {
                ApiError::new(404, 1000, "Invalid token")
            } else {
                ApiError::object_not_found(path)
            }
        })
}

/// `Strict::common_permission_check` (terraform-provider-cloudflare #7241): on the account
/// route, a zone-scoped group granted on a flat single-zone key must be held by the creator on
/// that zone. All-zones keys, the nested account form and R2 buckets are not checked.
fn common_permission_check(
    state: &State,
    who: &Principal,
    account: &str,
    policies: &[token_input::PolicyInput],
) -> Result<(), ApiError> {
    const ZONE: &str = "com.cloudflare.api.account.zone.";
    for p in policies {
        for key in p.resources.keys() {
            let Some(zone) = key.strip_prefix(ZONE).filter(|z| *z != "*") else {
                continue;
            };
            for g in p
                .groups
                .iter()
                .filter(|g| g.scope == crate::catalog::SCOPE_ZONE)
            {
                let target = Target::Zone { id: zone, account };
                if !who.may(&state.dir, &[g.id], target) {
                    return Err(ApiError::invalid(format!(
                        "Failed common permission check against resources. (Permission group: \"{}\")",
                        g.name
                    )));
                }
            }
        }
    }
    Ok(())
}

/// The whole catalog in one page, filtered exactly by `name` and `scope`.
/// `per_page` is ignored, but `page` past 1 is an empty page so clients that
/// page "until empty" stop.
fn permission_groups(state: &State, req: &ApiRequest) -> Reply {
    let items: Vec<Value> = CATALOG
        .iter()
        .filter(|g| req.query("name").is_none_or(|n| n == g.name))
        .filter(|g| req.query("scope").is_none_or(|s| s == g.scope))
        .map(|g| json!({"id": g.id, "name": g.name, "scopes": [g.scope]}))
        .collect();
    let page: usize = req.query("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let count = items.len();
    let result = if page <= 1 { items } else { Vec::new() };
    if result.is_empty() && state.strict.null_results {
        let info = json!({"page": page.max(1), "per_page": CATALOG.len(), "count": 0, "total_count": count});
        return Reply::ok_with(Value::Null, Vec::new(), Some(info));
    }
    let info = json!({"page": page.max(1), "per_page": CATALOG.len(), "count": result.len(), "total_count": count});
    Reply::ok_with(Value::Array(result), Vec::new(), Some(info))
}
