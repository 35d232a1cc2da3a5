//! `cfsecret rotate`: the unattended path — mint a successor with the same policies, store it,
//! verify it from the store, then revoke the old token.

use std::time::Duration;

use jiff::Timestamp;

use crate::args::{GlobalArgs, RotateArgs};
use crate::cloudflare::{NewToken, Token, api_time};
use crate::duration::{format_duration, parse_duration};
use crate::error::Error;
use crate::lifecycle::mint::{self, Replaced};
use crate::lifecycle::{Run, naming};
use crate::output::Report;
use crate::store::Store;

fn dur(flag: Option<&String>) -> Result<Option<Duration>, Error> {
    Ok(flag.map(|s| parse_duration(s)).transpose()?)
}

/// Whether the token is due: old enough (`--max-age`) or close enough to expiry
/// (`--min-remaining`); always without either flag. Returns the reason.
fn due(
    token: &Token,
    born: Option<Timestamp>,
    max_age: Option<Duration>,
    min_remaining: Option<Duration>,
    now: Timestamp,
) -> Option<String> {
    if max_age.is_none() && min_remaining.is_none() {
        return Some("rotation requested".into());
    }
    if let Some(max) = max_age {
        // The secret's age (`born`, from `Run::secret_since`): the token's `issued_on`, or
        // later when cfsecret rolled it in place. Not `modified_on`, which every edit moves.
        let age = born.map_or(Duration::MAX, |c| {
            Duration::from_secs(now.as_second().saturating_sub(c.as_second()).max(0) as u64)
        });
        if age >= max {
            return Some(format!(
                "it is {} old (--max-age {})",
                format_duration(age),
                format_duration(max)
            ));
        }
    }
    if let (Some(min), Some(exp)) = (min_remaining, token.expires_on) {
        let left =
            Duration::from_secs(exp.as_second().saturating_sub(now.as_second()).max(0) as u64);
        if left <= min {
            return Some(format!(
                "it expires in {} (--min-remaining {})",
                format_duration(left),
                format_duration(min)
            ));
        }
    }
    None
}

/// Runs `rotate`.
pub(crate) fn run(args: &RotateArgs, global: &GlobalArgs) -> Result<Report, Error> {
    let store = Store::from_args(&args.store)?;
    let max_age = dur(args.max_age.as_ref())?;
    let min_remaining = dur(args.min_remaining.as_ref())?;
    let keep_old = dur(args.keep_old.as_ref())?;
    let (mut run, _rescue, mut notes) = Run::begin(
        &store,
        global,
        &args.auth,
        args.store.keyring_backend,
        args.rescue_age.as_deref(),
    )?;
    run.action = "rotated";
    if run.has_pending() {
        // A previous rotation's old token is still in its --keep-old grace period (or, in
        // check mode, would have been finished: the notes say what, and whether that changes
        // something).
        return Ok(Report::new(
            notes.changed(),
            "unchanged",
            format!("{}: {}", store.label(), notes.join()),
        )
        .field("store", store.describe()));
    }
    let (current, v) = run.stored_token()?;
    let manager = run.manager(Some(&current))?;
    let owner = run.session.owner.clone();
    // One list serves both the old token (a list carries full token objects, policies included)
    // and the sweep for abandoned successors below: a rotation makes 7 calls, not 8 (issue 12,
    // item 9). A token the list somehow lacks is read on its own.
    // If the list fails, the old token is read on its own and the sweep is skipped, as before.
    let listed = run
        .session
        .block_on(manager.list_tokens(&owner))
        .unwrap_or_else(|e| {
            log::warn!(
                "could not list tokens (the sweep for abandoned successors is skipped): {e}"
            );
            Vec::new()
        });
    let old = match listed.iter().find(|t| t.id == v.id) {
        Some(t) => t.clone(),
        None => run.session.block_on(manager.get_token(&owner, &v.id))?,
    };
    let now = Timestamp::now();
    let born = run.secret_since(&old);
    let Some(reason) = (if v.status.is_active() {
        due(&old, born, max_age, min_remaining, now)
    } else {
        Some(format!("it is {}", v.status.as_str()))
    }) else {
        let age = born.map(|c| {
            format_duration(Duration::from_secs(
                (now.as_second() - c.as_second()).max(0) as u64,
            ))
        });
        let mut msg = format!(
            "the token at {} (id {}) does not need rotating yet{}",
            store.label(),
            v.id,
            age.map(|a| format!(" (age {a})")).unwrap_or_default()
        );
        // Finishing a previous run's step (a revocation, a clean-up) is a change at Cloudflare.
        // In check mode the notes say "would ...": the same change the real run would report.
        let finished = notes.changed();
        if !notes.is_empty() {
            msg.push_str("; ");
            msg.push_str(&notes.join());
        }
        let r = Report::new(finished, "unchanged", msg);
        // Issue 14, item 7: the token's facts in every result.
        let r = super::create_converge::with_facts(r, &old);
        return Ok(r
            .field("token_id", v.id)
            .field("status", v.status.as_str())
            .field("expires_on", v.expires_on.map(api_time))
            .field("store", store.describe()));
    };
    sweep_abandoned(&run, &manager, &old, &listed, now, &mut notes);
    // A token whose rename was interrupted still carries its pending mark: rotate under the
    // name it was meant to have.
    let name = naming::strip_pending(&old.name).to_owned();
    let mut successor = NewToken::successor_of(&old, name);
    // Keep the lifetime: a token minted for 90 days is replaced by one for 90 days.
    if let (Some(exp), Some(issued)) = (old.expires_on, old.issued_on) {
        let lifetime = exp.as_second() - issued.as_second();
        successor.expires_on = Timestamp::from_second(now.as_second() + lifetime.max(3600)).ok();
    }
    run.locked.preflight(&super::create::probe())?;
    if run.check {
        notes.change(format!("would rotate token {} ({reason})", v.id));
        return Ok(Report::new(true, "rotated", notes.join())
            .field("token_id", v.id)
            // The successor as it would be (its predicted expiry), and the token it replaces.
            .field("name", successor.name.clone())
            .field("expires_on", successor.expires_on.map(api_time))
            .field("old", super::create_converge::facts(&old))
            .field("store", store.describe()));
    }
    let minted = mint::mint_and_store(
        &mut run,
        &manager,
        successor,
        Some(Replaced { id: v.id.clone() }),
        keep_old,
    )?;
    notes.extend(minted.notes);
    let msg = format!(
        "rotated the token at {} ({reason}): {} replaces {}; {}",
        store.label(),
        minted.token.id,
        v.id,
        notes.join()
    );
    let final_name = naming::strip_pending(&minted.token.name).to_owned();
    let r = super::create_converge::with_facts(Report::new(true, "rotated", msg), &minted.token);
    Ok(r.field("name", final_name)
        .field("old", super::create_converge::facts(&old))
        .field("token_id", minted.token.id.clone())
        .field("old_token_id", v.id)
        .field("status", minted.verified.status.as_str())
        .field("expires_on", minted.verified.expires_on.map(api_time))
        .field("store", store.describe()))
}

/// Deletes successors of this token that an interrupted run of this store left under a pending
/// name when its journal was lost too. Only tokens named `NAME [cfsecret:pending:TAG.…]` for
/// this very name and this store's TAG, older than an hour, are touched; failures only warn. `--check` only says what it would delete.
fn sweep_abandoned(
    run: &Run<'_>,
    manager: &crate::cloudflare::Client,
    old: &Token,
    tokens: &[Token],
    now: Timestamp,
    notes: &mut crate::lifecycle::Notes,
) {
    let owner = run.session.owner.clone();
    // Only this store's own pending names (its tag): a token of the same name another store
    // holds, even one still carrying its pending name, is never touched.
    let tag = run.binding.tag();
    for t in tokens.iter().filter(|t| {
        t.id != old.id
            && naming::is_pending_of_store(&t.name, naming::strip_pending(&old.name), &tag)
    }) {
        if t.issued_on
            .is_some_and(|i| now.as_second() - i.as_second() > 3600)
        {
            if run.check {
                notes.change(format!(
                    "would delete abandoned successor {} ({:?})",
                    t.id, t.name
                ));
                continue;
            }
            match run.session.block_on(manager.delete_token(&owner, &t.id)) {
                Ok(_) => notes.change(format!(
                    "deleted abandoned successor {} ({:?})",
                    t.id, t.name
                )),
                Err(e) => log::warn!("could not delete abandoned successor {}: {e}", t.id),
            }
        }
    }
}
