//! `cfsecret create`: mint a token and store it.

use secrecy::SecretString;

use crate::cli::args::{CreateArgs, GlobalArgs};
use crate::cloudflare::{Op, api_time};
use crate::error::Error;
use crate::lifecycle::mint::{self, Replaced};
use crate::lifecycle::session;
use crate::lifecycle::{Run, spec};
use crate::output::Report;
use crate::store::Store;

/// A harmless value for the preflight's trial render (never written).
pub fn probe() -> SecretString {
    SecretString::from("cfsecret-preflight-probe")
}

/// Runs `create`.
pub fn run(args: &CreateArgs, global: &GlobalArgs) -> Result<Report, Error> {
    let store = Store::from_args(&args.store)?;
    // Flags that can be checked locally fail before anything else.
    spec::validity(args, jiff::Timestamp::now())?;
    crate::cloudflare::policy::ip_condition(&args.allow_ip, &args.deny_ip)?;
    let (mut run, _rescue, mut notes) =
        Run::begin(&store, global, &args.auth, args.store.keyring_backend, None)?;
    run.action = "created";
    let current = run.locked.read()?;
    let mut replaced = None;
    if let Some(secret) = &current {
        match run.verify(secret) {
            Ok(v) if v.status.is_active() && !args.force => {
                // Issue 14: converge the token in place (or report it unchanged).
                return super::create_converge::run(&mut run, args, global, &store, v, notes);
            }
            // An inactive or (with --force) active token is replaced, and revoked afterwards.
            Ok(v) => {
                replaced = Some(Replaced {
                    id: v.id,
                    secret: Some(secret.clone()),
                })
            }
            Err(e) if e.token_invalid() => {}
            Err(e) => return Err(e.into()),
        }
    }
    let manager = match &run.explicit {
        Some(c) => run.session.client(Some(c.clone()))?,
        None => return Err(session::no_credential(Op::CreateToken)),
    };
    let token = spec::build(args, &run.session, &manager)?;
    run.locked.preflight(&probe())?;
    if run.check {
        notes.change(format!(
            "would create token {:?} with {} policies and store it at {}",
            token.name,
            token.policies.len(),
            store.label()
        ));
        // The predicted expiry (issue 14, item 7).
        return Ok(Report::new(true, "created", notes.join())
            .field("name", token.name.clone())
            .field("expires_on", token.expires_on.map(api_time))
            .field("store", store.describe()));
    }
    let old_id = replaced.as_ref().map(|r| r.id.clone());
    // The token being replaced, for the result's `old` (issue 14, item 7); best effort.
    let old = old_id.as_ref().and_then(|id| {
        run.session
            .block_on(manager.get_token(&run.session.owner, id))
            .ok()
    });
    let minted = mint::mint_and_store(&mut run, &manager, token, replaced, None)?;
    notes.extend(minted.notes);
    let mut msg = format!(
        "created token {} ({:?}) and stored it at {}",
        minted.token.id,
        args.name,
        store.label()
    );
    if !notes.is_empty() {
        msg.push_str("; ");
        msg.push_str(&notes.join());
    }
    let r = super::create_converge::with_facts(Report::new(true, "created", msg), &minted.token);
    let r = match &old {
        Some(t) => r.field("old", super::create_converge::facts(t)),
        None => r,
    };
    Ok(r.field("token_id", minted.token.id.clone())
        .field("name", args.name.clone())
        .field("status", minted.verified.status.as_str())
        .field("expires_on", minted.verified.expires_on.map(api_time))
        .field("old_token_id", old_id)
        .field("store", store.describe()))
}
