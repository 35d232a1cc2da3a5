//! `create` on a key that already holds an active token: make that token what the command
//! declares, in place (`PUT …/tokens/{id}`: same id, same secret, nothing to redeploy).
//!
//! The update is a full replace (cloudflare-go `UpdateAPIToken` sends the whole token;
//! terraform-provider-cloudflare's `api_token` resource updates with every attribute), so
//! everything that does not change is sent back exactly as Cloudflare returned it: policy ids,
//! the IP condition, the validity window, the status.
//!
//! Validity: `--expires-on`/`--not-before` are absolute and compared to the second.
//! `--expires-in DUR` is relative, so comparing `now + DUR` would change the token on every
//! run; it means "expires at most DUR from now": a token without an expiry, or expiring later
//! than that, gets `now + DUR`; one expiring sooner is left alone (renewing it is `rotate`'s job).

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::cli::args::CreateArgs;
use crate::cloudflare::{
    NewToken, PermissionGroup, PermissionGroupRef, Policy, Token, api_time, policy,
};

/// What differs between the token and the declared one.
#[derive(Debug, Default)]
pub(crate) struct Diff {
    /// The differing fields as they are now.
    pub(crate) before: Map<String, Value>,
    /// The same fields as they will be.
    pub(crate) after: Map<String, Value>,
}

impl Diff {
    pub(crate) fn is_empty(&self) -> bool {
        self.before.is_empty()
    }

    /// `{"before": {...}, "after": {...}}`.
    pub(crate) fn to_json(&self) -> Value {
        json!({"before": self.before, "after": self.after})
    }

    /// The differing field names, for messages.
    pub(crate) fn fields(&self) -> Vec<&str> {
        self.before.keys().map(String::as_str).collect()
    }
}

fn time(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| api_time(t).into())
}

fn second(t: Option<Timestamp>) -> Option<i64> {
    t.map(|t| t.as_second())
}

/// Policies as the API shapes them, with permission-group names filled in from `groups`.
fn shaped(policies: &[Policy], groups: &[PermissionGroup]) -> Value {
    let named: Vec<Policy> = policies
        .iter()
        .map(|p| Policy {
            permission_groups: p
                .permission_groups
                .iter()
                .map(|g| PermissionGroupRef {
                    id: g.id.clone(),
                    name: g.name.clone().or_else(|| {
                        groups
                            .iter()
                            .find(|k| k.id.eq_ignore_ascii_case(&g.id))
                            .map(|k| k.name.clone())
                    }),
                    meta: None,
                })
                .collect(),
            ..p.clone()
        })
        .collect();
    serde_json::to_value(named).unwrap_or(Value::Null)
}

fn condition_json(c: Option<&crate::cloudflare::Condition>) -> Value {
    match c.filter(|c| !c.is_empty()) {
        Some(c) => serde_json::to_value(c).unwrap_or(Value::Null),
        None => Value::Null,
    }
}

/// The token `current` becomes under `declared` (from `spec::build`), and what differs.
/// Unchanged parts are taken from `current` verbatim.
pub(crate) fn plan(
    current: &Token,
    declared: &NewToken,
    args: &CreateArgs,
    groups: &[PermissionGroup],
    now: Timestamp,
) -> (NewToken, Diff) {
    let mut next = NewToken::from_token(current);
    let mut diff = Diff::default();
    let mut differ = |field: &str, before: Value, after: Value| {
        diff.before.insert(field.to_owned(), before);
        diff.after.insert(field.to_owned(), after);
    };
    if current.name != declared.name {
        differ(
            "name",
            current.name.clone().into(),
            declared.name.clone().into(),
        );
        next.name = declared.name.clone();
    }
    if !policy::same_policies(&current.policies, &declared.policies) {
        differ(
            "policies",
            shaped(&current.policies, groups),
            shaped(&declared.policies, groups),
        );
        next.policies = declared.policies.clone();
    }
    if !policy::same_condition(current.condition.as_ref(), declared.condition.as_ref()) {
        differ(
            "condition",
            condition_json(current.condition.as_ref()),
            condition_json(declared.condition.as_ref()),
        );
        next.condition = declared.condition.clone();
    }
    let expires = match (&args.expires_in, declared.expires_on, current.expires_on) {
        // At most DUR from now: a sooner expiry stands.
        (Some(_), Some(limit), Some(now_exp)) if now_exp <= limit && now_exp > now => Some(now_exp),
        (_, want, _) => want,
    };
    if second(expires) != second(current.expires_on) {
        differ("expires_on", time(current.expires_on), time(expires));
        next.expires_on = expires;
    }
    if second(declared.not_before) != second(current.not_before) {
        differ(
            "not_before",
            time(current.not_before),
            time(declared.not_before),
        );
        next.not_before = declared.not_before;
    }
    (next, diff)
}
