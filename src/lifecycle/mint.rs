//! Minting a token into the store: the sequence create and rotate share.
//!
//! 1. journal the intent, then create the token under a recognisable pending name;
//! 2. journal its id, write its secret to the store;
//! 3. read it back from the store and verify it with Cloudflare;
//! 4. journal "stored", give it its final name, revoke the token it replaces (or let that
//!    token expire after `--keep-old`); clear the journal.
//!
//! Any failure before 4 is rolled back (the new token deleted, the old secret put back) so the
//! store keeps a working token; a lost create response is cleaned up by its pending name.

use std::time::Duration;

use secrecy::SecretString;

use super::error::LifecycleError;
use super::journal::Pending;
use super::naming;
use super::reconcile;
use super::{Notes, Run};
use crate::cloudflare::{ApiError, Client, Deletion, NewToken, Token, VerifyResult};
use crate::error::Error;
use crate::store::Snapshot;

/// The token a mint replaces.
pub(crate) struct Replaced {
    /// Its id.
    pub(crate) id: String,
}

/// A minted, stored and verified token.
#[derive(Debug)]
pub(crate) struct Minted {
    /// The new token as created.
    pub(crate) token: Token,
    /// What Cloudflare said when the stored copy was verified.
    pub(crate) verified: VerifyResult,
    /// What was done to the old token, and other remarks.
    pub(crate) notes: Notes,
}

/// Mints `spec` and makes it the stored token.
pub(crate) fn mint_and_store(
    run: &mut Run<'_>,
    manager: &Client,
    mut spec: NewToken,
    replaced: Option<Replaced>,
    keep_old: Option<Duration>,
) -> Result<Minted, Error> {
    let owner = run.session.owner.clone();
    let final_name = spec.name.clone();
    let pending_name = naming::pending_name(&final_name, &run.binding.tag());
    spec.name = pending_name.clone();
    let old_id = replaced.as_ref().map(|r| r.id.clone());
    run.record(Pending::Minting {
        pending_name: pending_name.clone(),
        final_name: final_name.clone(),
        old_id: old_id.clone(),
    })?;
    let created = run.session.block_on(manager.create_token(&owner, &spec));
    let _ = crate::faults::hit("api.create.sent");
    let (token, secret) = match created {
        Ok(created) => created,
        Err(e) if e.maybe_applied() => return Err(lost_create(run, manager, &pending_name, e)),
        Err(e) => {
            run.clear()?;
            return Err(e.into());
        }
    };
    log::info!("created token {} as {pending_name:?}", token.id);
    // What the store holds now, byte for byte, to put back if anything below fails.
    let snapshot = match run.locked.snapshot() {
        Ok(s) => s,
        Err(e) => return Err(roll_back(run, manager, &token.id, None, e)),
    };
    if let Err(cause) = secret_shape(&secret) {
        let e = LifecycleError::MalformedSecret {
            store: run.label(),
            token_id: token.id.clone(),
            cause,
        };
        return Err(roll_back(run, manager, &token.id, None, e.into()));
    }
    // No journal, no write: a new token the journal does not know is deleted at once.
    if let Err(e) = run.record(Pending::Minted {
        new_id: token.id.clone(),
        pending_name: pending_name.clone(),
        final_name: final_name.clone(),
        old_id: old_id.clone(),
    }) {
        return Err(roll_back(run, manager, &token.id, None, e));
    }
    if let Err(write_error) = run.locked.write(&secret) {
        // A failed write leaves the file as it was (it is replaced atomically).
        return Err(roll_back(run, manager, &token.id, None, write_error));
    }
    run.note_written(&token.id, false);
    let restricted = (spec.condition.is_some()
        || spec
            .not_before
            .is_some_and(|nb| nb > jiff::Timestamp::now()))
    .then_some(manager);
    let verified = match run.read_back_and_verify(&secret, &token.id, restricted) {
        Ok(v) => v,
        Err(cause) => {
            // The store's exact previous bytes go back, whatever it held.
            let e = LifecycleError::NewTokenFailedVerification {
                store: run.label(),
                new_id: token.id.clone(),
                cause,
                rolled_back: true,
            };
            return Err(roll_back(
                run,
                manager,
                &token.id,
                Some(&snapshot),
                e.into(),
            ));
        }
    };
    // Finish with the credential that minted the token, even when that is the old stored
    // token: it still holds its permissions, while a new token's may take up to a minute to
    // propagate (issue 12, item 6). The next run acts as the new token and finishes whatever
    // is left (the journal says what).
    let revoke_after = match (keep_old, &old_id) {
        (Some(grace), Some(old)) => Some(expire_old_later(run, manager, old, grace)),
        _ => None,
    };
    // From here on the new token is stored and verified: a failure is no longer "nothing
    // changed". Without this journal write the entry stays at "minted", which the next run
    // also finishes (the store holds the new token).
    if let Err(e) = run.record(Pending::Stored {
        new_id: token.id.clone(),
        final_name: final_name.clone(),
        old_id: old_id.clone(),
        revoke_after,
    }) {
        log::warn!(
            "could not journal the stored token {} (the next run finishes it): {e}",
            token.id
        );
    }
    let mut notes = Notes::default();
    if let Err(e) = reconcile::finish_stored(
        run,
        manager,
        &token.id,
        &final_name,
        old_id.as_deref(),
        revoke_after,
        &mut notes,
    ) {
        match &old_id {
            // The old token could not be revoked (exit 4), or something before that failed:
            // either way the new one is stored and verified and the old one still exists.
            Some(old) if e.exit() != crate::error::Exit::RevokeFailed => {
                return Err(LifecycleError::RevokeFailed {
                    store: run.label(),
                    new_id: token.id.clone(),
                    old_id: old.clone(),
                    cause: e.to_string(),
                    action: run.action,
                }
                .into());
            }
            Some(_) => return Err(e),
            None => {
                log::warn!("token {} is stored and verified, but: {e}", token.id);
                notes.info(format!(
                    "token {} could not be given its final name yet; the next run does",
                    token.id
                ));
            }
        }
    }
    Ok(Minted {
        token,
        verified,
        notes,
    })
}

/// The create went out but its answer (with the only copy of the secret) did not come back.
/// Whatever it created is found by its pending name and deleted; if nothing is found yet, the
/// journal keeps the name for the next run.
fn lost_create(run: &mut Run<'_>, manager: &Client, pending_name: &str, cause: ApiError) -> Error {
    let owner = run.session.owner.clone();
    let found = run.session.block_on(manager.list_tokens(&owner));
    let store = run.label();
    match found {
        Ok(tokens) => {
            let orphans: Vec<&Token> = tokens.iter().filter(|t| t.name == pending_name).collect();
            let mut all_deleted = !orphans.is_empty();
            for t in &orphans {
                match run.session.block_on(manager.delete_token(&owner, &t.id)) {
                    Ok(_) => log::warn!(
                        "deleted token {} that a lost create response left behind",
                        t.id
                    ),
                    Err(_) => all_deleted = false,
                }
            }
            if all_deleted && run.clear().is_ok() {
                return LifecycleError::OutcomeUnknown {
                    store,
                    what: format!("the response to creating a token was lost ({cause}); the token it created was deleted, nothing changed"),
                }
                .into();
            }
        }
        Err(e) => log::warn!("could not look for the token a lost create left behind: {e}"),
    }
    LifecycleError::OutcomeUnknown {
        store,
        what: format!("the response to creating a token was lost ({cause}); the next run deletes whatever it created"),
    }
    .into()
}

/// Undoes a mint: puts the store's exact previous bytes back (if given) and deletes the new
/// token. Returns the error to report; if the new token cannot be deleted the journal keeps it
/// for the next run.
fn roll_back(
    run: &mut Run<'_>,
    manager: &Client,
    new_id: &str,
    put_back: Option<&Snapshot>,
    cause: Error,
) -> Error {
    if let Some(previous) = put_back
        && let Err(e) = run.locked.restore(previous)
    {
        log::error!(
            "could not put the previous contents of {} back: {e}",
            run.label()
        );
    }
    match run
        .session
        .block_on(manager.delete_token(&run.session.owner, new_id))
    {
        Ok(Deletion::Deleted | Deletion::AlreadyGone) => {
            log::warn!("rolled back: deleted the new token {new_id}");
            if let Err(e) = run.clear() {
                log::warn!("could not clear the journal: {e}");
            }
        }
        Err(e) => log::error!("could not delete the new token {new_id}; the next run will: {e}"),
    }
    cause
}

/// What a token secret from Cloudflare must look like before it is written anywhere: printable
/// ASCII without spaces, of a sane length (Cloudflare's are 40 to a few hundred characters).
pub(crate) fn secret_shape(secret: &SecretString) -> Result<(), String> {
    use secrecy::ExposeSecret;
    let s = secret.expose_secret();
    if s.is_empty() {
        return Err("the API returned an empty secret".into());
    }
    if s.len() > 1024 {
        return Err(format!("the API returned a secret of {} bytes", s.len()));
    }
    if !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("the API returned a secret with spaces or control characters".into());
    }
    Ok(())
}

/// `--keep-old`: the old token stays valid for `grace`, and Cloudflare itself makes it expire
/// then, so it dies on time even if cfsecret never runs again. Returns the revocation time.
fn expire_old_later(run: &Run<'_>, manager: &Client, old_id: &str, grace: Duration) -> i64 {
    let deadline =
        jiff::Timestamp::now().as_second() + i64::try_from(grace.as_secs()).unwrap_or(i64::MAX / 2);
    let owner = run.session.owner.clone();
    let update = || -> Result<(), ApiError> {
        let current = run.session.block_on(manager.get_token(&owner, old_id))?;
        let deadline_ts = jiff::Timestamp::from_second(deadline).unwrap_or(jiff::Timestamp::MAX);
        if current.expires_on.is_some_and(|e| e <= deadline_ts) {
            return Ok(());
        }
        let mut shortened = NewToken::from_token(&current);
        shortened.expires_on = Some(deadline_ts);
        let result = run
            .session
            .block_on(manager.update_token(&owner, old_id, &shortened));
        let _ = crate::faults::hit("api.expire.sent");
        result.map(|_| ())
    };
    if let Err(e) = update() {
        log::warn!(
            "could not set the old token {old_id} to expire at the end of --keep-old (the next run revokes it): {e}"
        );
    }
    deadline
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 9 item 8: what the API returns is checked before it is written anywhere.
    #[test]
    fn malformed_secrets_are_refused() {
        let ok = SecretString::from("cfut_".to_owned() + &"a".repeat(40));
        assert!(secret_shape(&ok).is_ok());
        for bad in [
            String::new(),
            "abc\u{7}def".into(),
            "abc\r\ndef".into(),
            "abc def".into(),
            "x".repeat(2 * 1024 * 1024),
        ] {
            assert!(secret_shape(&SecretString::from(bad)).is_err());
        }
    }
}
