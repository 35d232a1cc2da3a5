//! `cfsecret roll`: roll the stored token's secret in place and store the new one.
//!
//! A roll kills the old secret at once and returns the new one exactly once, so everything the
//! write needs is checked first, the intent is journaled, and if the write still fails the new
//! secret goes to an age-encrypted rescue file (exit 5).

use std::time::{Duration, Instant};

use crate::args::{GlobalArgs, RollArgs};
use crate::cloudflare::api_time;
use crate::error::{Error, UsageError};
use crate::lifecycle::journal::Pending;
use crate::lifecycle::{LifecycleError, Run, reconcile};
use crate::output::Report;
use crate::store::Store;

/// Runs `roll`.
pub(crate) fn run(args: &RollArgs, global: &GlobalArgs) -> Result<Report, Error> {
    let store = Store::from_args(&args.store)?;
    let (mut run, rescue, mut notes) = Run::begin(
        &store,
        global,
        &args.auth,
        args.store.keyring_backend,
        args.rescue_age.as_deref(),
    )?;
    // A roll whose write fails leaves its secret nowhere but a rescue file: no recipient for
    // one, no roll (refused before any call to Cloudflare).
    if rescue.is_empty() {
        return Err(UsageError::new(format!(
            "no rescue recipient for {}: a roll whose write fails could lose the token",
            store.label()
        ))
        .with_hint("pass --rescue-age age1… (or set SOPS_AGE_RECIPIENTS)")
        .into());
    }
    run.action = "rolled";
    let (current, v) = run.stored_token()?;
    let manager = run.manager(Some(&current))?;
    // Everything the write after the roll needs, checked before the roll.
    run.locked.preflight(&super::create::probe())?;
    if run.check {
        notes.change(format!(
            "would roll token {} and store its new secret at {}",
            v.id,
            store.label()
        ));
        return Ok(Report::new(true, "rolled", notes.join())
            .field("token_id", v.id)
            .field("store", store.describe()));
    }
    // A previous roll of this token whose answer was lost may still land (the journal kept
    // it): after this roll, the entry stays until that window is over.
    let late_roll_watched = matches!(run.pending(), Some(Pending::Rolling { .. }))
        && reconcile::roll_may_still_land(&run);
    // The room a rescue file needs, taken before the roll like the store write's.
    run.reserve_rescue(&rescue)?;
    run.record(Pending::Rolling {
        token_id: v.id.clone(),
    })?;
    let secret = match run
        .session
        .block_on(manager.roll_token(&run.session.owner, &v.id))
    {
        Ok(s) => s,
        Err(e) if e.maybe_applied() => {
            // Did the roll happen? The old secret stops working if it did; a stalled request
            // may still be applied, so watch for a while before deciding.
            let settle = (global.timeout * 2).max(Duration::from_secs(3));
            let start = Instant::now();
            let mut rolled = false;
            while start.elapsed() < settle {
                match run.verify(&current) {
                    Err(v) if v.token_invalid() => {
                        rolled = true;
                        break;
                    }
                    _ => std::thread::sleep(Duration::from_millis(300)),
                }
            }
            let stored = run.locked.read()?;
            if rolled {
                log::warn!("the roll of {} happened but its response was lost", v.id);
                notes.extend(reconcile::reconcile(&mut run, stored.as_ref(), &rescue)?);
                let after = run
                    .locked
                    .read()?
                    .ok_or_else(|| LifecycleError::NothingStored {
                        store: store.label(),
                    })?;
                let fresh = run.verify(&after)?;
                let msg = format!(
                    "rolled token {} and stored its new secret at {}; {}",
                    v.id,
                    store.label(),
                    notes.join()
                );
                return Ok(Report::new(true, "rolled", msg)
                    .field("token_id", fresh.id)
                    .field("status", fresh.status.as_str())
                    .field("expires_on", fresh.expires_on.map(api_time))
                    .field("store", store.describe()));
            }
            return Err(LifecycleError::OutcomeUnknown {
                store: store.label(),
                what: format!("the roll of token {} got no answer ({e})", v.id),
            }
            .into());
        }
        Err(e) => {
            run.clear()?;
            return Err(e.into());
        }
    };
    let _ = crate::faults::hit("api.roll.sent");
    log::info!("rolled token {}", v.id);
    if let Err(cause) = crate::lifecycle::mint::secret_shape(&secret) {
        // Nothing is written; the journal keeps the roll, so the next run (the stored secret
        // is dead now) rolls again with the management credential.
        return Err(LifecycleError::MalformedSecret {
            store: store.label(),
            token_id: v.id.clone(),
            cause,
        }
        .into());
    }
    let stored = run.store_or_rescue(&secret, &v.id, &rescue);
    if let Err(e) = &stored
        && e.exit() == crate::error::Exit::Rescued
    {
        // The rescue file (named in the error) is now the way back; rolling again would kill
        // it. The store's directory may be what failed, so the journal may not be removable:
        // that must not hide the rescue (exit 5). Not even rescued: the journal stays, so the
        // next run rolls again (the secret is lost, the token is not).
        if let Err(e) = run.clear() {
            log::warn!("could not clear the journal: {e}");
        }
    }
    stored?;
    // The roll happened and its secret is stored (the write parsed it back): exit 1 would say
    // "nothing changed". A verification that fails now is reported, and the journal kept, so
    // the next run settles it (rolling again if the stored secret turns out dead).
    let verified = match run.read_back_and_verify(&secret, &v.id, None) {
        Ok(verified) => Some(verified),
        Err(cause) => {
            log::warn!(
                "the new secret of token {} is stored but did not verify yet: {cause}",
                v.id
            );
            notes.info(format!(
                "the new secret is stored but could not be verified yet ({cause}); check it with `cfsecret verify`"
            ));
            None
        }
    };
    // The roll is done and stored: a journal that cannot be removed now must not turn that
    // into "nothing changed" (the next run sees the store holds the token and clears it).
    if verified.is_some()
        && !late_roll_watched
        && let Err(e) = run.clear()
    {
        log::warn!("could not clear the journal: {e}");
    }
    let mut msg = format!(
        "rolled token {} and stored its new secret at {}",
        v.id,
        store.label()
    );
    if !notes.is_empty() {
        msg.push_str("; ");
        msg.push_str(&notes.join());
    }
    // The token's name and times after the roll (issue 14, item 7): one read, best effort,
    // with the explicit credential or the new secret (the old one is dead now).
    let facts = match &run.explicit {
        Some(c) => run.session.client(Some(c.clone())),
        None => run
            .session
            .client_as(&secret, crate::cloudflare::CredentialSource::StoredToken),
    }
    .ok()
    .and_then(|c| {
        run.session
            .block_on(c.get_token(&run.session.owner, &v.id))
            .map_err(|e| log::info!("could not read token {} after the roll: {e}", v.id))
            .ok()
    });
    let report = Report::new(true, "rolled", msg);
    let report = match &facts {
        Some(t) => super::create_converge::with_facts(report, t),
        None => report,
    };
    Ok(report
        .field("token_id", v.id)
        .field(
            "status",
            verified
                .as_ref()
                .map_or("unverified", |v| v.status.as_str()),
        )
        .field(
            "expires_on",
            verified.and_then(|v| v.expires_on).map(api_time),
        )
        .field("store", store.describe()))
}
