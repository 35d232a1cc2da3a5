//! `create` on a key that already holds an active token (issue 14, item 1): compare it with the
//! request and update it in place, or report it unchanged. `--force` never comes here.

use serde_json::{Value, json};

use crate::cli::args::{CreateArgs, GlobalArgs};
use crate::cloudflare::{PermissionGroupFilter, Token, VerifyResult, api_time};
use crate::error::Error;
use crate::lifecycle::{Notes, Run, converge, spec};
use crate::output::Report;
use crate::store::Store;

fn time(t: Option<jiff::Timestamp>) -> Value {
    t.map_or(Value::Null, |t| api_time(t).into())
}

/// The non-secret facts of a token every action reports (issue 14, item 7).
pub(crate) fn facts(t: &Token) -> Value {
    json!({
        "token_id": t.id,
        "name": t.name,
        "issued_on": time(t.issued_on),
        "modified_on": time(t.modified_on),
        "expires_on": time(t.expires_on),
    })
}

/// Adds `name`, `issued_on`, `modified_on`, `expires_on` of `t` to a report.
pub(crate) fn with_facts(report: Report, t: &Token) -> Report {
    report
        .field("name", t.name.clone())
        .field("issued_on", time(t.issued_on))
        .field("modified_on", time(t.modified_on))
        .field("expires_on", time(t.expires_on))
}

/// Converges the stored active token `v` towards `args`.
pub(crate) fn run(
    run: &mut Run<'_>,
    args: &CreateArgs,
    _global: &GlobalArgs,
    store: &Store,
    v: VerifyResult,
    notes: Notes,
) -> Result<Report, Error> {
    let with_notes = |mut msg: String| {
        if !notes.is_empty() {
            msg.push_str("; ");
            msg.push_str(&notes.join());
        }
        msg
    };
    let Some(cred) = run.explicit.clone() else {
        // Reading and updating the token needs the management credential; without one the
        // request cannot be compared, as before issue 14.
        let msg = with_notes(format!(
            "{} already holds an active token (id {}); use --force to mint a new one \
             (give a management credential to compare it with the request and update it)",
            store.label(),
            v.id
        ));
        return Ok(Report::new(notes.changed(), "unchanged", msg)
            .field("token_id", v.id)
            .field("status", "active")
            .field("expires_on", time(v.expires_on))
            .field("store", store.describe()));
    };
    let manager = run.session.client(Some(cred))?;
    let owner = run.session.owner.clone();
    let current = run.session.block_on(manager.get_token(&owner, &v.id))?;
    let declared = spec::build(args, &run.session, &manager)?;
    let groups = run
        .session
        .block_on(manager.permission_groups(&owner, &PermissionGroupFilter::default()))?;
    let (next, diff) = converge::plan(&current, &declared, args, &groups, jiff::Timestamp::now());
    if diff.is_empty() {
        let msg = with_notes(format!(
            "{} already holds an active token (id {}) as requested; use --force to mint a new one",
            store.label(),
            v.id
        ));
        let r = Report::new(notes.changed(), "unchanged", msg)
            .field("token_id", v.id)
            .field("status", "active")
            .field("store", store.describe());
        return Ok(with_facts(r, &current));
    }
    let fields = diff.fields().join(", ");
    if run.check {
        let msg = with_notes(format!(
            "would update token {} at {} in place ({fields})",
            v.id,
            store.label()
        ));
        let predicted = Token {
            name: next.name.clone(),
            expires_on: next.expires_on,
            ..current.clone()
        };
        let r = Report::new(true, "updated", msg)
            .field("token_id", v.id)
            .field("status", "active")
            .field("diff", diff.to_json())
            .field("old", facts(&current))
            .field("store", store.describe());
        return Ok(with_facts(r, &predicted));
    }
    let updated = run
        .session
        .block_on(manager.update_token(&owner, &v.id, &next))?;
    let msg = with_notes(format!(
        "updated token {} at {} in place ({fields}); same secret, nothing to redeploy",
        v.id,
        store.label()
    ));
    let r = Report::new(true, "updated", msg)
        .field("token_id", updated.id.clone())
        .field("status", updated.status.as_str())
        .field("diff", diff.to_json())
        .field("old", facts(&current))
        .field("store", store.describe());
    Ok(with_facts(r, &updated))
}
