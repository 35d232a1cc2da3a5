//! `cfsecret verify`: read the token from the store and ask Cloudflare about it.

use secrecy::SecretString;

use crate::cli::args::{GlobalArgs, VerifyArgs};
use crate::cloudflare::permissions::{self, ScopeContext};
use crate::cloudflare::{CredentialSource, PermissionGroupFilter, VerifyResult, policy};
use crate::error::Error;
use crate::lifecycle::LifecycleError;
use crate::lifecycle::session::{self, AuthSource, Session};
use crate::output::Report;
use crate::store::Store;

fn time(t: Option<jiff::Timestamp>) -> serde_json::Value {
    t.map_or(serde_json::Value::Null, |t| {
        crate::cloudflare::api_time(t).into()
    })
}

/// Runs `verify`.
pub fn run(args: &VerifyArgs, global: &GlobalArgs) -> Result<Report, Error> {
    let store = Store::from_args(&args.store)?;
    let secret = store.read()?.ok_or_else(|| LifecycleError::NothingStored {
        store: store.label(),
    })?;
    let session = Session::new(global, args.account_id.as_deref())?;
    let v = check_active(&session, &store, &secret)?;
    if !args.require.is_empty() {
        let auth = AuthSource {
            file: args.auth.auth_file.clone().zip(args.auth.auth_key.clone()),
            keyring: args.auth.auth_keyring.clone(),
            keyring_backend: args.store.keyring_backend,
        };
        require(&session, &store, &secret, &v, &args.require, &auth)?;
    }
    let mut msg = format!("the token at {} is active (id {})", store.label(), v.id);
    if let Some(exp) = v.expires_on {
        msg.push_str(&format!(", expires {}", crate::cloudflare::api_time(exp)));
    }
    let extra = super::verify_more::run(&session, &store, &secret, &v, args, global, &mut msg)?;
    let report = Report::new(false, "verified", msg)
        .field("token_id", v.id.clone())
        .field("status", v.status.as_str())
        .field("expires_on", time(v.expires_on))
        .field("not_before", time(v.not_before))
        .field("store", store.describe());
    // Inserted as is: `expires_in` is present even when null (no expiry).
    Ok(extra.into_iter().fold(report, |mut r, (k, v)| {
        r.fields.insert(k, v);
        r
    }))
}

/// Verifies the secret: an error with exit 3 unless it is active and already valid.
pub fn check_active(
    session: &Session,
    store: &Store,
    secret: &SecretString,
) -> Result<VerifyResult, Error> {
    let client = session.client(None)?;
    let v = match session.block_on(client.verify(secret, session.account_id.as_deref())) {
        Ok(v) => v,
        Err(e) if e.token_invalid() => {
            return Err(LifecycleError::NotActive {
                store: store.label(),
                token_id: None,
                status: "invalid".into(),
                detail: e.to_string(),
            }
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    if !v.status.is_active() {
        return Err(LifecycleError::NotActive {
            store: store.label(),
            token_id: Some(v.id.clone()),
            status: v.status.as_str().to_owned(),
            detail: "Cloudflare does not accept it".into(),
        }
        .into());
    }
    if let Some(nb) = v.not_before
        && nb > jiff::Timestamp::now()
    {
        return Err(LifecycleError::NotActive {
            store: store.label(),
            token_id: Some(v.id.clone()),
            status: "not yet valid".into(),
            detail: format!("it is valid from {}", crate::cloudflare::api_time(nb)),
        }
        .into());
    }
    Ok(v)
}

/// Checks that the token's policies grant every required permission. Reading policies needs
/// API Tokens Read: the management credential if one is set, else the token itself.
fn require(
    session: &Session,
    store: &Store,
    secret: &SecretString,
    v: &VerifyResult,
    required: &[String],
    auth: &AuthSource,
) -> Result<(), Error> {
    let reader = match session::management_credential(auth)? {
        Some(cred) => session.client(Some(cred))?,
        None => session.client_as(secret, CredentialSource::VerifiedToken)?,
    };
    let token = session.block_on(reader.get_token(&session.owner, &v.id))?;
    let groups = session
        .block_on(reader.permission_groups(&session.owner, &PermissionGroupFilter::default()))?;
    let ctx = ScopeContext {
        zones: true,
        accounts: true,
    };
    let mut missing = Vec::new();
    for name in required {
        // A name can exist at several scopes: any of its groups granted is enough.
        let ids: Vec<String> = match permissions::resolve(name, &groups, ctx) {
            Ok(p) => vec![p.group.id],
            Err(permissions::PermissionError::Ambiguous { candidates, .. }) => {
                candidates.into_iter().map(|c| c.id).collect()
            }
            Err(e) => return Err(e.into()),
        };
        if !ids
            .iter()
            .any(|id| policy::allows_group(&token.policies, id))
        {
            missing.push(name.clone());
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(LifecycleError::MissingPermissions {
            store: store.label(),
            token_id: v.id.clone(),
            missing,
        }
        .into())
    }
}
