//! Finishing or cleaning up what an interrupted run left, before a new run does anything.
//!
//! Only tokens the journal names (or the exact pending name it recorded) are ever deleted, and
//! only after Cloudflare has said definitively which token the store holds: a network error is
//! never taken to mean "not in the store".

use secrecy::SecretString;

use super::error::LifecycleError;
use super::journal::Pending;
use super::naming;
use super::{Notes, Run};
use crate::cloudflare::{Client, Deletion, NewToken};
use crate::error::Error;
use crate::keys::recipients::Recipient;

/// Which token the store holds, as far as Cloudflare can tell.
enum Holder {
    /// This active token.
    Token(String),
    /// Nothing, or a secret Cloudflare rejects (rolled away, deleted).
    Invalid,
}

fn holder(run: &Run<'_>, stored: Option<&SecretString>) -> Result<Holder, Error> {
    let Some(secret) = stored else {
        return Ok(Holder::Invalid);
    };
    match run.verify(secret) {
        Ok(v) if v.status.is_active() => Ok(Holder::Token(v.id)),
        Ok(_) => Ok(Holder::Invalid),
        Err(e) if e.token_invalid() => Ok(Holder::Invalid),
        Err(e) => Err(e.into()),
    }
}

fn delete(
    run: &Run<'_>,
    client: &Client,
    id: &str,
    notes: &mut Notes,
    why: &str,
) -> Result<(), Error> {
    if run.check {
        notes.change(format!("would delete token {id} ({why})"));
        return Ok(());
    }
    match run
        .session
        .block_on(client.delete_token(&run.session.owner, id))?
    {
        Deletion::Deleted => notes.change(format!("deleted token {id} ({why})")),
        Deletion::AlreadyGone => notes.info(format!("token {id} was already gone ({why})")),
    }
    Ok(())
}

/// Completes a step the journal records, using the stored secret to see what happened.
/// Returns human notes of what was done.
pub fn reconcile(
    run: &mut Run<'_>,
    stored: Option<&SecretString>,
    rescue_to: &[Recipient],
) -> Result<Notes, Error> {
    let Some(pending) = run.journal.pending.clone() else {
        return Ok(Notes::default());
    };
    let mut notes = Notes::default();
    let holds = holder(run, stored)?;
    let manager = run.manager(stored)?;
    let owner = run.session.owner.clone();
    let stored_step = match pending {
        Pending::Minting {
            pending_name,
            final_name,
            old_id,
        } => {
            let tokens = run.session.block_on(manager.list_tokens(&owner))?;
            let mut adopted = None;
            for t in tokens.iter().filter(|t| t.name == pending_name) {
                match &holds {
                    Holder::Token(id) if *id == t.id => adopted = Some(t.id.clone()),
                    _ => delete(
                        run,
                        &manager,
                        &t.id,
                        &mut notes,
                        "created by an interrupted run whose secret was never stored",
                    )?,
                }
            }
            adopted.map(|new_id| (new_id, final_name, old_id, None))
        }
        Pending::Minted {
            new_id,
            final_name,
            old_id,
        } => match &holds {
            Holder::Token(id) if *id == new_id => Some((new_id, final_name, old_id, None)),
            _ => {
                delete(
                    run,
                    &manager,
                    &new_id,
                    &mut notes,
                    "created by an interrupted run but never stored",
                )?;
                None
            }
        },
        Pending::Stored {
            new_id,
            final_name,
            old_id,
            revoke_after,
        } => Some((new_id, final_name, old_id, revoke_after)),
        Pending::Rolling { token_id } => {
            match holds {
                Holder::Token(_) => {}
                Holder::Invalid => reroll(run, &token_id, rescue_to, &mut notes)?,
            }
            None
        }
    };
    match stored_step {
        Some((new_id, final_name, old_id, revoke_after)) => {
            finish_stored(
                run,
                &manager,
                &new_id,
                &final_name,
                old_id.as_deref(),
                revoke_after,
                &mut notes,
            )?;
        }
        None => run.clear()?,
    }
    Ok(notes)
}

/// A roll went out, its response (the only copy of the new secret) was lost, and the stored
/// secret is dead: roll again with a credential other than the dead one, and store the result.
fn reroll(
    run: &mut Run<'_>,
    token_id: &str,
    rescue_to: &[Recipient],
    notes: &mut Notes,
) -> Result<(), Error> {
    let Some(cred) = run.explicit.clone() else {
        return Err(LifecycleError::LockedOut {
            store: run.label(),
            token_id: token_id.to_owned(),
        }
        .into());
    };
    if run.check {
        notes.change(format!(
            "would roll token {token_id} again (a previous roll's response was lost)"
        ));
        return Ok(());
    }
    let client = run.session.client(Some(cred))?;
    let secret = run
        .session
        .block_on(client.roll_token(&run.session.owner, token_id))?;
    run.store_or_rescue(&secret, token_id, rescue_to)?;
    run.read_back_and_verify(&secret, token_id, None)
        .map_err(|cause| LifecycleError::NewTokenFailedVerification {
            store: run.label(),
            new_id: token_id.to_owned(),
            cause,
            rolled_back: false,
        })?;
    notes.change(format!(
        "rolled token {token_id} again and stored it: a previous roll's response had been lost"
    ));
    Ok(())
}

/// The new token is in the store: give it its final name and revoke the old one (when due).
pub fn finish_stored(
    run: &mut Run<'_>,
    manager: &Client,
    new_id: &str,
    final_name: &str,
    old_id: Option<&str>,
    revoke_after: Option<i64>,
    notes: &mut Notes,
) -> Result<(), Error> {
    let owner = run.session.owner.clone();
    let current = run.session.block_on(manager.get_token(&owner, new_id))?;
    let mut renamed = true;
    if current.name != final_name && naming::is_pending_for(&current.name, final_name) {
        if run.check {
            notes.change(format!("would rename token {new_id} to {final_name:?}"));
        } else {
            let mut named = NewToken::from_token(&current);
            named.name = final_name.to_owned();
            if let Err(e) = run
                .session
                .block_on(manager.update_token(&owner, new_id, &named))
            {
                // The token works under its pending name; the journal keeps the rename for the
                // next run.
                log::warn!("could not rename token {new_id} to {final_name:?} yet: {e}");
                renamed = false;
            } else {
                notes.mark_changed();
            }
        }
    }
    if let Some(old) = old_id {
        let now = jiff::Timestamp::now().as_second();
        if let Some(t) = revoke_after
            && now < t
        {
            notes.info(format!(
                "the old token {old} stays valid until {} (--keep-old)",
                crate::sops::gotime::GoTime::from_unix(t).format_rfc3339()
            ));
            return Ok(());
        }
        if run.check {
            notes.change(format!("would revoke the old token {old}"));
            return Ok(());
        }
        match run.session.block_on(manager.delete_token(&owner, old)) {
            Ok(Deletion::Deleted) => notes.change(format!("revoked the old token {old}")),
            Ok(Deletion::AlreadyGone) => {
                notes.info(format!("the old token {old} was already gone"))
            }
            Err(e) => {
                // Keep the journal: the next run retries the revocation.
                return Err(LifecycleError::RevokeFailed {
                    store: run.label(),
                    new_id: new_id.to_owned(),
                    old_id: old.to_owned(),
                    cause: e.to_string(),
                    action: run.action,
                }
                .into());
            }
        }
    }
    if renamed {
        run.clear()
    } else {
        run.record(Pending::Stored {
            new_id: new_id.to_owned(),
            final_name: final_name.to_owned(),
            old_id: None,
            revoke_after: None,
        })
    }
}
