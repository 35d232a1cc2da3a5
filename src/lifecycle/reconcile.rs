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
use crate::cloudflare::{Client, Deletion, NewToken, Refusal};
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

/// Finishes or cleans up this key's step in progress and its pending revocations, using the
/// stored secret to see what happened. Entries of other keys (and of other stores) are left
/// alone. Returns human notes of what was done.
pub(crate) fn reconcile(
    run: &mut Run<'_>,
    stored: Option<&SecretString>,
    rescue_to: &[Recipient],
) -> Result<Notes, Error> {
    let mut notes = Notes::default();
    let step = run.pending();
    let revocations = run.journal.revocations(&run.binding);
    if step.is_none() && revocations.is_empty() {
        return Ok(notes);
    }
    let holds = holder(run, stored)?;
    let manager = run.manager(stored)?;
    if let Some(step) = step {
        finish_step(run, &manager, &holds, step, rescue_to, &mut notes)?;
    }
    for entry in revocations {
        if let Pending::Revoke { old_id, after, .. } = entry.step {
            due_revocation(run, &manager, &holds, &old_id, after, &mut notes)?;
        }
    }
    Ok(notes)
}

/// Finishes a `revoke` a previous run left: the token is deleted (404: already gone) and, unless
/// the store now holds another token, the key removed.
fn finish_revoking(
    run: &mut Run<'_>,
    manager: &Client,
    holds: &Holder,
    token_id: &str,
    remove_key: bool,
    notes: &mut Notes,
) -> Result<(), Error> {
    let why = "finishing an interrupted revoke";
    if run.check {
        notes.change(format!("would delete token {token_id} ({why})"));
    } else {
        match run
            .session
            .block_on(manager.delete_token(&run.session.owner, token_id))
        {
            Ok(Deletion::Deleted) => notes.change(format!("deleted token {token_id} ({why})")),
            Ok(Deletion::AlreadyGone) => {
                notes.info(format!("token {token_id} was already gone ({why})"))
            }
            // The stored secret no longer works and the credential (often that very token)
            // is refused: the delete went through before the interruption.
            Err(e) if e.refusal().is_some() && matches!(holds, Holder::Invalid) => {
                notes.info(format!("token {token_id} is gone ({why})"))
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !remove_key {
        return Ok(());
    }
    match holds {
        Holder::Token(id) if id != token_id => notes.info(format!(
            "{} now holds another token ({id}); its key stays",
            run.label()
        )),
        _ if run.check => notes.change(format!("would remove the key from {}", run.label())),
        _ => {
            if run.locked.remove(false)? {
                notes.change(format!("removed the revoked token from {}", run.label()));
            }
        }
    }
    Ok(())
}

/// Drops this key's step without acting on it, saying why.
fn drop_step(run: &mut Run<'_>, why: String) -> Result<(), Error> {
    log::warn!("{}: ignoring the journal's step: {why}", run.label());
    run.clear()
}

fn finish_step(
    run: &mut Run<'_>,
    manager: &Client,
    holds: &Holder,
    step: Pending,
    rescue_to: &[Recipient],
    notes: &mut Notes,
) -> Result<(), Error> {
    let owner = run.session.owner.clone();
    let tag = run.binding.tag();
    let stored_step = match step {
        Pending::Minting {
            pending_name,
            final_name,
            old_id,
        } => {
            if !naming::is_pending_of_store(&pending_name, &final_name, &tag) {
                return drop_step(
                    run,
                    format!("{pending_name:?} is not a name this store mints"),
                );
            }
            let tokens = run.session.block_on(manager.list_tokens(&owner))?;
            let mut adopted = None;
            for t in tokens.iter().filter(|t| t.name == pending_name) {
                match holds {
                    Holder::Token(id) if *id == t.id => adopted = Some(t.id.clone()),
                    _ => delete(
                        run,
                        manager,
                        &t.id,
                        notes,
                        "created by an interrupted run whose secret was never stored",
                    )?,
                }
            }
            adopted.map(|new_id| (new_id, final_name, old_id, None))
        }
        Pending::Minted {
            new_id,
            pending_name,
            final_name,
            old_id,
        } => match holds {
            Holder::Token(id) if *id == new_id => Some((new_id, final_name, old_id, None)),
            _ => {
                // Delete it only if it provably is this run's token: it still carries the
                // pending name (this store's tag, that run's nonce) the journal recorded.
                match run.session.block_on(manager.get_token(&owner, &new_id)) {
                    Ok(t)
                        if t.name == pending_name
                            && naming::is_pending_of_store(&pending_name, &final_name, &tag) =>
                    {
                        delete(
                            run,
                            manager,
                            &new_id,
                            notes,
                            "created by an interrupted run but never stored",
                        )?
                    }
                    Ok(t) => {
                        return drop_step(
                            run,
                            format!(
                                "token {new_id} ({:?}) is not provably one this store minted; it is left alone",
                                t.name
                            ),
                        );
                    }
                    Err(e) if e.refusal() == Some(Refusal::UnknownToken) => {
                        notes.info(format!("token {new_id} was already gone"));
                    }
                    Err(e) => return Err(e.into()),
                }
                None
            }
        },
        Pending::Stored {
            new_id,
            final_name,
            old_id,
            revoke_after,
        } => match holds {
            Holder::Token(id) if *id == new_id => Some((new_id, final_name, old_id, revoke_after)),
            _ => {
                // The store no longer holds that token (it vanished, or another value was
                // stored): nothing of this step can be finished safely.
                return drop_step(
                    run,
                    format!("the store no longer holds token {new_id}; nothing is revoked"),
                );
            }
        },
        Pending::Rolling { token_id } => {
            match holds {
                Holder::Token(id) if *id == token_id && roll_may_still_land(run) => {
                    // A roll whose answer was lost may still be carried out (a request stalled
                    // past our timeout): keep watching, so that if it kills the stored secret
                    // the next run with a management credential rolls again.
                    notes.info(format!(
                        "a previous roll of token {token_id} got no answer and may still take effect; the journal keeps watching it"
                    ));
                    return Ok(());
                }
                Holder::Token(_) => {}
                Holder::Invalid => reroll(run, &token_id, rescue_to, notes)?,
            }
            None
        }
        Pending::Revoke { .. } => None,
        Pending::Revoking {
            token_id,
            remove_key,
        } => {
            finish_revoking(run, manager, holds, &token_id, remove_key, notes)?;
            None
        }
    };
    match stored_step {
        Some((new_id, final_name, old_id, revoke_after)) => finish_stored(
            run,
            manager,
            &new_id,
            &final_name,
            old_id.as_deref(),
            revoke_after,
            notes,
        ),
        None => run.clear(),
    }
}

/// How long a roll whose answer was lost may still take effect at Cloudflare (a stalled request
/// is carried out late); until then its journal entry is kept even while the old secret works.
pub(crate) const LATE_ROLL_WINDOW: i64 = 15 * 60;

/// Whether this key's step started less than [`LATE_ROLL_WINDOW`] ago.
pub(crate) fn roll_may_still_land(run: &Run<'_>) -> bool {
    run.journal
        .step(&run.binding)
        .is_some_and(|e| jiff::Timestamp::now().as_second() - e.started < LATE_ROLL_WINDOW)
}

/// A `--keep-old` revocation: done once its time has come (never of the token the store holds).
fn due_revocation(
    run: &mut Run<'_>,
    manager: &Client,
    holds: &Holder,
    old_id: &str,
    after: i64,
    notes: &mut Notes,
) -> Result<(), Error> {
    if matches!(holds, Holder::Token(id) if id == old_id) {
        log::warn!(
            "{} holds token {old_id} again: its pending revocation is dropped",
            run.label()
        );
        return run.revoked(old_id);
    }
    if jiff::Timestamp::now().as_second() < after {
        notes.info(format!(
            "the old token {old_id} stays valid until {} (--keep-old)",
            crate::sops::gotime::GoTime::from_unix(after).format_rfc3339()
        ));
        return Ok(());
    }
    if run.check {
        notes.change(format!(
            "would revoke the old token {old_id} (--keep-old is over)"
        ));
        return Ok(());
    }
    let _ = crate::faults::hit("api.revoke.sent");
    match run
        .session
        .block_on(manager.delete_token(&run.session.owner, old_id))
    {
        Ok(Deletion::Deleted) => notes.change(format!("revoked the old token {old_id}")),
        Ok(Deletion::AlreadyGone) => notes.info(format!("the old token {old_id} was already gone")),
        Err(e) => {
            // Kept: the next run retries.
            log::warn!("could not revoke the old token {old_id} yet: {e}");
            notes.info(format!(
                "the old token {old_id} could not be revoked yet; the next run retries"
            ));
            return Ok(());
        }
    }
    run.revoked(old_id)
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
    run.reserve_rescue(rescue_to)?;
    let secret = run
        .session
        .block_on(client.roll_token(&run.session.owner, token_id))?;
    let _ = crate::faults::hit("api.roll.sent");
    if let Err(e) = run.store_or_rescue(&secret, token_id, rescue_to) {
        // Rescued: the rescue file is the way back, and rolling again would kill it. Not even
        // rescued: the step stays, so the next run rolls again.
        if e.exit() == crate::error::Exit::Rescued
            && let Err(c) = run.clear()
        {
            log::warn!("could not clear the journal: {c}");
        }
        return Err(e);
    }
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
pub(crate) fn finish_stored(
    run: &mut Run<'_>,
    manager: &Client,
    new_id: &str,
    final_name: &str,
    old_id: Option<&str>,
    revoke_after: Option<i64>,
    notes: &mut Notes,
) -> Result<(), Error> {
    let owner = run.session.owner.clone();
    let current = match run.session.block_on(manager.get_token(&owner, new_id)) {
        Ok(t) => t,
        Err(e) if e.refusal() == Some(Refusal::UnknownToken) => {
            // Deleted elsewhere: nothing of this step is left to finish, and a store whose
            // token vanished must stay recoverable (`create --force`).
            return drop_step(run, format!("token {new_id} no longer exists"));
        }
        Err(e) => return Err(e.into()),
    };
    let mut renamed = true;
    if current.name != final_name && naming::is_pending_for(&current.name, final_name) {
        if run.check {
            notes.change(format!("would rename token {new_id} to {final_name:?}"));
        } else {
            let mut named = NewToken::from_token(&current);
            named.name = final_name.to_owned();
            let result = run
                .session
                .block_on(manager.update_token(&owner, new_id, &named));
            let _ = crate::faults::hit("api.rename.sent");
            if let Err(e) = result {
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
            // A pending revocation of its own, beside whatever later commands journal.
            run.record_revoke(old, t, new_id)?;
            notes.info(format!(
                "the old token {old} stays valid until {} (--keep-old)",
                crate::sops::gotime::GoTime::from_unix(t).format_rfc3339()
            ));
        } else if run.check {
            notes.change(format!("would revoke the old token {old}"));
            return Ok(());
        } else {
            let result = run.session.block_on(manager.delete_token(&owner, old));
            let _ = crate::faults::hit("api.revoke.sent");
            match result {
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
