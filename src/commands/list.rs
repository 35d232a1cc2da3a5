//! `cfsecret list`: the owner's tokens (the user's, or `--account-id`'s), which of the given
//! stores hold which, the pending orphans cfsecret left (a create whose rename never
//! happened), tokens unused for `--stale DUR`, and the count against the quota.
//!
//! Read-only: `GET …/tokens` with the management credential, and each store's token verified
//! with itself (`…/tokens/verify`) to learn its id. No secret is printed.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::cli::args::{GlobalArgs, StoreArgs};
use crate::cli::manage_args::ListArgs;
use crate::cloudflare::{Op, Owner, Token, api_time};
use crate::error::Error;
use crate::lifecycle::naming;
use crate::lifecycle::session::{self, AuthSource, Session};
use crate::output::Report;
use crate::store::Store;
use crate::terminal::sanitize_line;

use super::manage_error::ManageError;

/// Cloudflare's caps: 50 user tokens, 500 account-owned tokens per account (the developer
/// docs' API token limits; the fake's `user_token_quota`/`account_token_quota`).
fn quota(owner: &Owner) -> u64 {
    match owner {
        Owner::User => 50,
        Owner::Account(_) => 500,
    }
}

fn time(t: Option<jiff::Timestamp>) -> Value {
    t.map_or(Value::Null, |t| api_time(t).into())
}

/// The stores the flags name, in order: `--file`/`--key` pairs, then `--keyring` entries.
fn stores(args: &ListArgs) -> Result<Vec<Store>, Error> {
    if args.file.len() != args.key.len() {
        return Err(ManageError::UnpairedStores {
            files: args.file.len(),
            keys: args.key.len(),
        }
        .into());
    }
    let mut out = Vec::new();
    for (file, key) in args.file.iter().zip(&args.key) {
        out.push(Store::from_args(&StoreArgs {
            file: Some(file.clone()),
            key: Some(key.clone()),
            keyring: None,
            keyring_backend: None,
            age: None,
        })?);
    }
    for entry in &args.keyring {
        out.push(Store::from_args(&StoreArgs {
            file: None,
            key: None,
            keyring: Some(entry.clone()),
            keyring_backend: args.keyring_backend,
            age: None,
        })?);
    }
    Ok(out)
}

/// Runs `list`.
pub(crate) fn run(args: &ListArgs, global: &GlobalArgs) -> Result<Report, Error> {
    let stores = stores(args)?;
    let session = Session::new(global, args.auth.account_id.as_deref())?;
    let source = AuthSource::from(&args.auth).with_backend(args.keyring_backend);
    let cred = session::management_credential(&source)?
        .ok_or_else(|| session::no_credential(Op::ListTokens))?;
    let manager = session.client(Some(cred))?;
    let tokens = session.block_on(manager.list_tokens(&session.owner))?;
    // Which store holds which token: each stored secret verified with itself.
    let verifier = session.client(None)?;
    let mut held: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut store_rows = Vec::new();
    for store in &stores {
        let (id, error) = match store.read() {
            Ok(None) => (None, Some("nothing_stored".to_owned())),
            Err(e) => (None, Some(e.code().to_owned())),
            Ok(Some(secret)) => {
                match session.block_on(verifier.verify(&secret, session.account_id.as_deref())) {
                    Ok(v) => (Some(v.id), None),
                    Err(e) => (None, Some(crate::error::Diagnose::code(&e).to_owned())),
                }
            }
        };
        if let Some(id) = &id {
            held.entry(id.clone()).or_default().push(store.describe());
        }
        store_rows.push(json!({"store": store.describe(), "token_id": id, "error": error}));
    }
    let now = jiff::Timestamp::now();
    let stale_before = args.stale.map(|d| {
        now.as_second()
            .saturating_sub(i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    });
    let is_stale = |t: &Token| {
        stale_before.is_some_and(|limit| {
            // Never used: unused since it was issued.
            t.last_used_on
                .or(t.issued_on)
                .is_some_and(|used| used.as_second() < limit)
        })
    };
    let rows: Vec<Value> = tokens
        .iter()
        .map(|t| {
            json!({
                "id": t.id,
                "name": t.name,
                "status": t.status.as_str(),
                "issued_on": time(t.issued_on),
                "modified_on": time(t.modified_on),
                "last_used_on": time(t.last_used_on),
                "expires_on": time(t.expires_on),
                "stores": held.get(&t.id).cloned().unwrap_or_default(),
                "pending_orphan": naming::strip_pending(&t.name) != t.name,
                "stale": is_stale(t),
            })
        })
        .collect();
    let count = tokens.len();
    let cap = quota(&session.owner);
    let orphans = rows.iter().filter(|r| r["pending_orphan"] == true).count();
    let stale = rows.iter().filter(|r| r["stale"] == true).count();
    let mut msg = format!("{count} of {cap} tokens");
    if orphans > 0 {
        msg.push_str(&format!(", {orphans} pending orphan(s) cfsecret left"));
    }
    if args.stale.is_some() {
        msg.push_str(&format!(", {stale} stale"));
    }
    if !global.json {
        msg = format!("{}\n{msg}", table(&tokens, &rows));
    }
    Ok(Report::new(false, "listed", msg)
        .field("tokens", Value::Array(rows))
        .field("count", count)
        .field("quota", cap)
        .field("stores", Value::Array(store_rows)))
}

/// The human table: one line per token.
fn table(tokens: &[Token], rows: &[Value]) -> String {
    let day = |t: Option<jiff::Timestamp>| {
        t.map_or_else(|| "-".to_owned(), |t| api_time(t)[..10].to_owned())
    };
    let mut out = format!(
        "{:<32}  {:<30}  {:<8}  {:<10}  {:<10}  {:<10}  {}\n",
        "ID", "NAME", "STATUS", "ISSUED", "LAST USED", "EXPIRES", "STORES / FLAGS"
    );
    for (t, r) in tokens.iter().zip(rows) {
        let mut flags: Vec<String> = r["stores"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| match (s["file"].as_str(), s["key"].as_str()) {
                (Some(f), Some(k)) => format!("{f}#{k}"),
                _ => format!(
                    "keyring:{}/{}",
                    s["service"].as_str().unwrap_or(""),
                    s["user"].as_str().unwrap_or("")
                ),
            })
            .collect();
        if r["pending_orphan"] == true {
            flags.push("PENDING-ORPHAN".into());
        }
        if r["stale"] == true {
            flags.push("STALE".into());
        }
        let name: String = sanitize_line(&t.name).chars().take(30).collect();
        out.push_str(&format!(
            "{:<32}  {:<30}  {:<8}  {:<10}  {:<10}  {:<10}  {}\n",
            t.id,
            name,
            sanitize_line(t.status.as_str()),
            day(t.issued_on),
            day(t.last_used_on),
            day(t.expires_on),
            sanitize_line(&flags.join(", "))
        ));
    }
    out.trim_end().to_owned()
}
