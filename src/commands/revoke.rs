//! `cfsecret revoke`: delete a token at Cloudflare (a 404 counts as done) and remove it from
//! its store (unless `--keep-key`), journaled so that a run interrupted between the two is
//! finished by the next one. `--token-id` (incidents) deletes by id with the management
//! credential and touches no store.

use serde_json::Value;

use crate::cli::args::GlobalArgs;
use crate::cli::manage_args::RevokeArgs;
use crate::cloudflare::{Deletion, Op};
use crate::error::Error;
use crate::lifecycle::journal::Pending;
use crate::lifecycle::session::{self, AuthSource, Session};
use crate::lifecycle::{LifecycleError, Run};
use crate::output::Report;
use crate::store::Store;

use super::create_converge::facts;

/// Runs `revoke`.
pub(crate) fn run(args: &RevokeArgs, global: &GlobalArgs) -> Result<Report, Error> {
    if let Some(id) = &args.token_id {
        return by_id(args, global, id.trim());
    }
    let store = Store::from_args(&args.store)?;
    let (mut run, _rescue, mut notes) =
        Run::begin(&store, global, &args.auth, args.store.keyring_backend, None)?;
    run.action = "revoked";
    let remove_key = !args.keep_key;
    let Some(secret) = run.locked.read()? else {
        if notes.changed() {
            // A previous revoke of this key was finished just now.
            return Ok(Report::new(true, "revoked", notes.join())
                .field("already_gone", true)
                .field("key_removed", false)
                .field("store", store.describe()));
        }
        return Err(LifecycleError::NothingStored {
            store: store.label(),
        }
        .into());
    };
    let token_id = match run.verify(&secret) {
        Ok(v) => Some(v.id),
        // Deleted (or rolled away) already: only the key is left to remove.
        Err(e) if e.token_invalid() => None,
        Err(e) => return Err(e.into()),
    };
    let manager = run.manager(Some(&secret))?;
    let old = token_id.as_ref().and_then(|id| {
        run.session
            .block_on(manager.get_token(&run.session.owner, id))
            .ok()
    });
    let report = |changed: bool, gone: bool, removed: bool, msg: String| {
        let mut r = Report::new(changed, "revoked", msg)
            .field(
                "token_id",
                token_id.clone().map_or(Value::Null, Value::from),
            )
            .field("already_gone", gone)
            .field("key_removed", removed)
            .field("store", store.describe());
        // Always present, null when the stored secret no longer names a token.
        r.fields.insert(
            "token_id".into(),
            token_id.clone().map_or(Value::Null, Value::from),
        );
        if let Some(t) = &old {
            r = r.field("old", facts(t)).field("name", t.name.clone());
        }
        r
    };
    let with = |mut msg: String, notes: &crate::lifecycle::Notes| {
        if !notes.is_empty() {
            msg.push_str("; ");
            msg.push_str(&notes.join());
        }
        msg
    };
    // Everything after the delete is checked first: the key can be removed from the store.
    if remove_key {
        run.locked.remove(true)?;
    }
    if run.check {
        let what = match &token_id {
            Some(id) => format!("would delete token {id} at Cloudflare"),
            None => "the stored token is already gone at Cloudflare".to_owned(),
        };
        let tail = if remove_key {
            format!(" and remove it from {}", store.label())
        } else {
            " (the key stays: --keep-key)".to_owned()
        };
        let changed = token_id.is_some() || remove_key;
        return Ok(report(
            changed,
            token_id.is_none(),
            remove_key,
            with(format!("{what}{tail}"), &notes),
        ));
    }
    let mut gone = token_id.is_none();
    if let Some(id) = &token_id {
        run.record(Pending::Revoking {
            token_id: id.clone(),
            remove_key,
        })?;
        match run
            .session
            .block_on(manager.delete_token(&run.session.owner, id))
        {
            Ok(Deletion::Deleted) => {}
            Ok(Deletion::AlreadyGone) => gone = true,
            Err(e) => {
                // Refused: nothing happened, so nothing is left to finish. Any other error
                // (the outcome unknown) stays journaled: the next run deletes again (a 404 is
                // done) and removes the key.
                if e.refusal().is_some() {
                    run.clear()?;
                }
                return Err(e.into());
            }
        }
        let _ = crate::faults::hit("api.delete.sent");
    }
    let removed = remove_key && run.locked.remove(false)?;
    run.clear()?;
    notes.mark_changed();
    let mut msg = match &token_id {
        Some(id) if gone => format!("token {id} was already gone at Cloudflare"),
        Some(id) => format!("deleted token {id} at Cloudflare"),
        None => "the stored token was already gone at Cloudflare".to_owned(),
    };
    if removed {
        msg.push_str(&format!(" and removed it from {}", store.label()));
    }
    let changed = !gone || removed;
    Ok(report(changed, gone, removed, with(msg, &notes)))
}

/// `revoke --token-id ID`: the management credential deletes the token; no store is touched.
fn by_id(args: &RevokeArgs, global: &GlobalArgs, id: &str) -> Result<Report, Error> {
    let session = Session::new(global, args.auth.account_id.as_deref())?;
    let source = AuthSource::from(&args.auth).with_backend(args.store.keyring_backend);
    let cred = session::management_credential(&source)?
        .ok_or_else(|| session::no_credential(Op::DeleteToken))?;
    let manager = session.client(Some(cred))?;
    let old = match session.block_on(manager.get_token(&session.owner, id)) {
        Ok(t) => Some(t),
        Err(e)
            if e.refusal() == Some(crate::cloudflare::Refusal::UnknownToken)
                || e.refusal() == Some(crate::cloudflare::Refusal::NotFound) =>
        {
            None
        }
        Err(e) => return Err(e.into()),
    };
    let base = |changed: bool, gone: bool, msg: String| {
        let mut r = Report::new(changed, "revoked", msg)
            .field("token_id", id.to_owned())
            .field("already_gone", gone)
            .field("key_removed", false);
        r.fields.insert("store".into(), Value::Null);
        if let Some(t) = &old {
            r = r.field("old", facts(t)).field("name", t.name.clone());
        }
        r
    };
    if global.check {
        return Ok(match &old {
            Some(_) => base(
                true,
                false,
                format!("would delete token {id} at Cloudflare"),
            ),
            None => base(
                false,
                true,
                format!("token {id} is already gone at Cloudflare"),
            ),
        });
    }
    Ok(
        match session.block_on(manager.delete_token(&session.owner, id))? {
            Deletion::Deleted => base(true, false, format!("deleted token {id} at Cloudflare")),
            Deletion::AlreadyGone => base(
                false,
                true,
                format!("token {id} was already gone at Cloudflare"),
            ),
        },
    )
}
