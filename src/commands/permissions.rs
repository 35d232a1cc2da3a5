//! `cfsecret permissions`: the permission groups a token can be given.

use std::fmt::Write as _;

use crate::args::{GlobalArgs, PermissionsArgs, Scope as ScopeArg};
use crate::cloudflare::{PermissionGroupFilter, Scope};
use crate::error::Error;
use crate::lifecycle::session::{self, AuthSource, Session};
use crate::output::Report;
use crate::permissions::catalog as permissions;

/// Runs `permissions`.
pub(crate) fn run(args: &PermissionsArgs, global: &GlobalArgs) -> Result<Report, Error> {
    let auth = AuthSource::from(&args.auth);
    let cred = session::management_credential(&auth)?
        .ok_or_else(|| session::no_credential(crate::cloudflare::Op::PermissionGroups))?;
    let session = Session::new(global, args.auth.account_id.as_deref())?;
    let client = session.client(Some(cred))?;
    let groups = session
        .block_on(client.permission_groups(&session.owner, &PermissionGroupFilter::default()))?;
    let scope = args.scope.map(|s| match s {
        ScopeArg::Zone => Scope::Zone,
        ScopeArg::Account => Scope::Account,
        ScopeArg::User => Scope::User,
    });
    let shown = permissions::filter(&groups, scope, args.filter.as_deref());
    let mut table = String::new();
    let width = shown
        .iter()
        .map(|g| g.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = writeln!(table, "{:<width$}  {:<8}  ID", "NAME", "SCOPE");
    for g in &shown {
        let scope = g
            .scope()
            .map_or_else(|| g.scopes.join(","), |s| s.as_word().to_owned());
        let _ = writeln!(table, "{:<width$}  {:<8}  {}", g.name, scope, g.id);
    }
    let list: Vec<serde_json::Value> = shown
        .iter()
        .map(|g| serde_json::json!({"name": g.name, "id": g.id, "scopes": g.scopes}))
        .collect();
    let msg = if global.json {
        format!("{} permission groups", shown.len())
    } else {
        table.trim_end().to_owned()
    };
    Ok(Report::new(false, "unchanged", msg).field("permission_groups", list))
}
