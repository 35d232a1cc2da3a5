//! What `verify` does beyond "is it active" (issue 14): how long it has left
//! (`expires_in`, `--warn-remaining`, `--min-remaining`) and `--probe`.

use secrecy::SecretString;
use serde_json::Value;

use crate::cli::args::{GlobalArgs, VerifyArgs};
use crate::cloudflare::{CredentialSource, VerifyResult, api_time};
use crate::error::Error;
use crate::lifecycle::session::{self, AuthSource, Session};
use crate::store::Store;

use super::manage_error::ManageError;

/// Seconds until `expires_on` (negative once past), `None` without an expiry.
pub(crate) fn expires_in(v: &VerifyResult, now: jiff::Timestamp) -> Option<i64> {
    v.expires_on.map(|e| e.as_second() - now.as_second())
}

/// The extra fields of verify's report (`expires_in` always, `warning`, `probe`), adding to
/// the human message; an error for `--min-remaining` or a failed expected probe.
pub(crate) fn run(
    session: &Session,
    store: &Store,
    secret: &SecretString,
    v: &VerifyResult,
    args: &VerifyArgs,
    global: &GlobalArgs,
    msg: &mut String,
) -> Result<Vec<(String, Value)>, Error> {
    let m = &args.manage;
    let left = expires_in(v, jiff::Timestamp::now());
    let left_json = left.map_or(Value::Null, Value::from);
    let mut fields = Vec::new();
    let within = |d: std::time::Duration| {
        left.is_some_and(|s| s < i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    };
    if let Some(min) = m.min_remaining
        && within(min)
    {
        return Err(ManageError::ExpiresSoon {
            store: store.label(),
            token_id: v.id.clone(),
            expires_on: v.expires_on.map(api_time).unwrap_or_default(),
            expires_in: left.unwrap_or_default(),
            min: crate::duration::format_duration(min),
        }
        .into());
    }
    if let Some(warn) = m.warn_remaining
        && within(warn)
    {
        let when = v.expires_on.map(api_time).unwrap_or_default();
        let left_text = crate::duration::format_duration(std::time::Duration::from_secs(
            left.unwrap_or_default().max(0).unsigned_abs(),
        ));
        let warning = format!("the token expires {when}, in {left_text}: within --warn-remaining");
        log::warn!("{}: {warning}", store.label());
        msg.push_str("; warning: ");
        msg.push_str(&warning);
        fields.push(("warning".to_owned(), Value::from(warning)));
    }
    if m.probe {
        let policies = own_policies(session, secret, v, args)?;
        let probe = super::probe::run(
            session,
            secret,
            &v.id,
            policies.as_deref(),
            &m.expect,
            m.preset,
        )?;
        let summary = format!("{}/{} checks passed", probe.passed, probe.total);
        if !global.json {
            msg.push('\n');
            msg.push_str(&probe.lines.join("\n"));
            msg.push('\n');
        } else {
            msg.push_str("; ");
        }
        msg.push_str(&summary);
        if !probe.failed_expected.is_empty() {
            if !global.json {
                // The lines say which failed; the error says what to do.
                eprintln!("{}", crate::terminal::sanitize(msg));
            }
            return Err(ManageError::ProbeFailed {
                store: store.label(),
                token_id: v.id.clone(),
                failed: probe.failed_expected,
                probe: probe.json,
                expires_in: left_json,
            }
            .into());
        }
        fields.push(("probe".to_owned(), probe.json));
    }
    fields.push(("expires_in".to_owned(), left_json));
    Ok(fields)
}

/// The token's own policies: read with the management credential when one is given, else
/// with the token itself (it needs API Tokens Read for that); `None` when neither may.
fn own_policies(
    session: &Session,
    secret: &SecretString,
    v: &VerifyResult,
    args: &VerifyArgs,
) -> Result<Option<Vec<crate::cloudflare::Policy>>, Error> {
    let auth = AuthSource {
        file: args.auth.auth_file.clone().zip(args.auth.auth_key.clone()),
        keyring: args.auth.auth_keyring.clone(),
        keyring_backend: args.store.keyring_backend,
    };
    let reader = match session::management_credential(&auth)? {
        Some(cred) => session.client(Some(cred))?,
        None => session.client_as(secret, CredentialSource::VerifiedToken)?,
    };
    match session.block_on(reader.get_token(&session.owner, &v.id)) {
        Ok(t) => Ok(Some(t.policies)),
        Err(e) if e.refusal().is_some() => {
            log::info!(
                "cannot read the policies of token {} ({e}); probing what --expect names",
                v.id
            );
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}
