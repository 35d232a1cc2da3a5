//! `GET /zones` and `GET /accounts`: just enough for a client to resolve zone
//! and account names to ids with the credential it has.

use serde_json::{Value, json};

use crate::auth::Principal;
use crate::catalog::{CATALOG, SCOPE_ACCOUNT, SCOPE_ZONE};
use crate::envelope::{ApiError, Reply};
use crate::pagination;
use crate::policy::Target;
use crate::request::ApiRequest;
use crate::state::State;

/// Zones the caller may read: some zone-scoped permission group is granted
/// on the zone (any group, as real tokens with only "DNS Write" still see
/// their zone), or the Global API Key. `name` and `account.id` filter
/// exactly; an unknown name gives an empty list.
pub(crate) fn list_zones(
    state: &State,
    req: &ApiRequest,
    who: &Principal,
) -> Result<Reply, ApiError> {
    let page = pagination::parse(req)?;
    let zone_groups: Vec<&str> = CATALOG
        .iter()
        .filter(|g| g.scope == SCOPE_ZONE)
        .map(|g| g.id)
        .collect();
    let items: Vec<Value> = state
        .dir
        .zones
        .iter()
        .filter(|z| req.query("name").is_none_or(|n| n == z.name))
        .filter(|z| req.query("account.id").is_none_or(|a| a == z.account_id))
        .filter(|z| {
            let target = Target::Zone {
                id: &z.id,
                account: &z.account_id,
            };
            who.may(&state.dir, &zone_groups, target)
        })
        .map(|z| {
            let account_name = state
                .dir
                .account(&z.account_id)
                .map_or("", |a| a.name.as_str());
            json!({"id": z.id, "name": z.name, "status": "active",
                   "account": {"id": z.account_id, "name": account_name}})
        })
        .collect();
    Ok(pagination::reply(items, page, state.strict.null_results))
}

/// Every account of the user, for user tokens and the Global API Key [?: the
/// live API may narrow this to accounts the token has resources in].
/// Account-owned tokens: see `Strict::accounts_refuse_account_tokens` (refused,
/// or their own account only).
pub(crate) fn list_accounts(
    state: &State,
    req: &ApiRequest,
    who: &Principal,
) -> Result<Reply, ApiError> {
    if who.is_account_token() && state.strict.accounts_refuse_account_tokens {
        return Err(ApiError::invalid(
            "List accounts endpoint does not support account owned tokens.",
        ));
    }
    let page = pagination::parse(req)?;
    let account_groups: Vec<&str> = CATALOG
        .iter()
        .filter(|g| g.scope == SCOPE_ACCOUNT)
        .map(|g| g.id)
        .collect();
    let items = state
        .dir
        .accounts
        .iter()
        .filter(|a| req.query("name").is_none_or(|n| n == a.name))
        // An account-owned token belongs to one account: it sees no other.
        .filter(|a| who.owning_account().is_none_or(|own| own == a.id))
        // Strict::accounts_need_permission: only accounts the caller holds something on.
        .filter(|a| {
            !state.strict.accounts_need_permission
                || who.may(&state.dir, &account_groups, Target::Account(&a.id))
        })
        .map(|a| json!({"id": a.id, "name": a.name}))
        .collect();
    Ok(pagination::reply(items, page, state.strict.null_results))
}

/// `GET /user`: the Global API Key, or a token with "User Details Read" on the user; anything
/// else is 403/9109 "Unauthorized to access requested resource" like the token routes. Only
/// `id` and `email` are modelled (api-schemas `iam_user`).
pub(crate) fn user(state: &State, who: &Principal) -> Result<Reply, ApiError> {
    let group = CATALOG
        .iter()
        .find(|g| g.name == "User Details Read")
        .map(|g| g.id)
        .unwrap_or_default();
    if !who.may(&state.dir, &[group], Target::User(&state.dir.user_id)) {
        return Err(ApiError::unauthorized_resource());
    }
    Ok(Reply::ok(
        json!({"id": state.dir.user_id, "email": state.dir.email}),
    ))
}
