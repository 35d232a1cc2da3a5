//! What `create` mints: the permissions, zones, accounts, validity and IP conditions given on the
//! command line, resolved against Cloudflare (permission groups, zone and account names).

use jiff::Timestamp;

use super::session::Session;
use crate::cloudflare::{Client, NewToken, PermissionGroupFilter, Scope};
use crate::duration;
use crate::error::{Diagnose, Error, Exit, UsageError};
use crate::permissions::presets::{self, Preset};
use crate::permissions::{self, ResolvedPermission, ScopeContext, policy};

/// What `create` was asked to mint, as the command line gave it (plain values, no clap).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenRequest<'a> {
    /// `--name`.
    pub(crate) name: &'a str,
    /// `--preset`.
    pub(crate) preset: Option<Preset>,
    /// `--permission`.
    pub(crate) permission: &'a [String],
    /// `--zone`.
    pub(crate) zone: &'a [String],
    /// `--account`.
    pub(crate) account: &'a [String],
    /// `--expires-in`.
    pub(crate) expires_in: Option<&'a str>,
    /// `--expires-on`.
    pub(crate) expires_on: Option<&'a str>,
    /// `--not-before`.
    pub(crate) not_before: Option<&'a str>,
    /// `--allow-ip`.
    pub(crate) allow_ip: &'a [String],
    /// `--deny-ip`.
    pub(crate) deny_ip: &'a [String],
}

/// A zone or account name that cannot be resolved.
#[derive(Debug)]
pub(crate) enum LookupError {
    /// No zone of that name is visible to the management credential.
    UnknownZone(String),
    /// No account of that name.
    UnknownAccount(String),
    /// Account permissions but no account given, and the credential sees several.
    AccountNeeded(Vec<String>),
}

impl std::fmt::Display for LookupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnknownZone(z) => write!(
                f,
                "no zone named {z:?} is visible to the management credential"
            ),
            Self::UnknownAccount(a) => write!(
                f,
                "no account named {a:?} is visible to the management credential"
            ),
            Self::AccountNeeded(names) if names.is_empty() => f.write_str(
                "the permissions need an account, and the management credential sees none",
            ),
            Self::AccountNeeded(names) => write!(
                f,
                "the permissions need an account; choose one of: {}",
                names.join(", ")
            ),
        }
    }
}

impl std::error::Error for LookupError {}

impl Diagnose for LookupError {
    fn code(&self) -> &'static str {
        match self {
            Self::UnknownZone(_) => "unknown_zone",
            Self::UnknownAccount(_) => "unknown_account",
            Self::AccountNeeded(_) => "needs_account",
        }
    }

    fn exit(&self) -> Exit {
        match self {
            Self::AccountNeeded(_) => Exit::Usage,
            _ => Exit::Failure,
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            // Names resolve only with a read permission the management credential may lack
            // (a token with only API Tokens Write sees no zone and no account): say which.
            Self::UnknownZone(_) => "pass the zone id instead (--zone ZONE_ID; it is on the \
                zone's Overview page), or give the management credential \"Zone Read\" on the \
                zone (`cfsecret create --preset manager` mints one that has it); or check the \
                spelling"
                .into(),
            Self::UnknownAccount(_) => "pass the account id instead (--account ACCOUNT_ID; it is \
                in the dashboard URL), or give the management credential \"Account Settings \
                Read\" on the account (`cfsecret create --preset manager`); or check the spelling"
                .into(),
            Self::AccountNeeded(names) if names.is_empty() => "pass --account ACCOUNT_ID (or \
                --account-id), or give the management credential \"Account Settings Read\" so \
                it can see the account"
                .into(),
            Self::AccountNeeded(_) => "pass --account NAME_OR_ID (or --account-id)".into(),
        })
    }
}

fn is_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The validity window from `--expires-in`/`--expires-on` and `--not-before`.
pub(crate) fn validity(
    args: &TokenRequest<'_>,
    now: Timestamp,
) -> Result<(Option<Timestamp>, Option<Timestamp>), Error> {
    let expires = match (&args.expires_in, &args.expires_on) {
        (Some(d), _) => {
            let d = duration::parse_duration(d)?;
            let secs = i64::try_from(d.as_secs())
                .map_err(|_| UsageError::new("--expires-in is too long"))?;
            Some(
                now.checked_add(jiff::SignedDuration::from_secs(secs))
                    .map_err(|_| UsageError::new("--expires-in is too long"))?,
            )
        }
        (None, Some(t)) => Some(duration::parse_instant(t)?),
        (None, None) => None,
    };
    let not_before = args.not_before.map(duration::parse_instant).transpose()?;
    if let Some(e) = expires
        && e <= now
    {
        return Err(
            UsageError::new("the token would expire before it is created")
                .with_hint("choose a later --expires-on")
                .into(),
        );
    }
    if let (Some(e), Some(nb)) = (expires, not_before)
        && nb >= e
    {
        return Err(UsageError::new("--not-before is not before the expiry").into());
    }
    Ok((not_before, expires))
}

/// Resolves everything `create` needs into the token to mint. Read-only API calls only.
pub(crate) fn build(
    args: &TokenRequest<'_>,
    session: &Session,
    client: &Client,
) -> Result<NewToken, Error> {
    let now = Timestamp::now();
    let (not_before, expires_on) = validity(args, now)?;
    let condition = policy::ip_condition(args.allow_ip, args.deny_ip)?;
    let groups = session
        .block_on(client.permission_groups(&session.owner, &PermissionGroupFilter::default()))?;
    let manager = args
        .preset
        .is_some_and(|p| p.name == presets::ACCOUNT_MANAGER.name);
    let perms: Vec<ResolvedPermission> = match args.preset {
        Some(_) if manager && session.account_id.is_some() => {
            presets::ACCOUNT_MANAGER.resolve(&groups)?
        }
        Some(p) => p.resolve(&groups)?,
        None => {
            let ctx = ScopeContext {
                zones: !args.zone.is_empty(),
                accounts: !args.account.is_empty() || session.account_id.is_some(),
            };
            permissions::resolve_all(args.permission, &groups, ctx)?
        }
    };
    let mut zone_ids = Vec::new();
    for z in args.zone {
        if is_id(z) {
            zone_ids.push(z.to_ascii_lowercase());
            continue;
        }
        let found = session.block_on(client.zones_by_name(z))?;
        let zone = found
            .into_iter()
            .find(|f| f.name.eq_ignore_ascii_case(z))
            .ok_or_else(|| LookupError::UnknownZone(z.clone()))?;
        zone_ids.push(zone.id);
    }
    // The manager preset reads every zone and account unless narrowed with --zone/--account,
    // so that names resolve for whatever it will manage.
    if manager && zone_ids.is_empty() {
        zone_ids.push("*".to_owned());
    }
    let needs_account = perms.iter().any(|p| p.scope == Some(Scope::Account));
    let mut account_ids = Vec::new();
    for a in args.account {
        if is_id(a) {
            account_ids.push(a.to_ascii_lowercase());
            continue;
        }
        let found = session.block_on(client.accounts(Some(a)))?;
        let acct = found
            .into_iter()
            .find(|f| f.name.eq_ignore_ascii_case(a))
            .ok_or_else(|| LookupError::UnknownAccount(a.clone()))?;
        account_ids.push(acct.id);
    }
    if manager && args.account.is_empty() && session.account_id.is_none() {
        account_ids.push("*".to_owned());
    }
    if needs_account && account_ids.is_empty() {
        match &session.account_id {
            Some(id) => account_ids.push(id.clone()),
            None => {
                // One visible account is unambiguous; several must be chosen explicitly.
                let all = session.block_on(client.accounts(None))?;
                match all.as_slice() {
                    [only] => {
                        log::info!("using the only visible account {} ({})", only.name, only.id);
                        account_ids.push(only.id.clone());
                    }
                    many => {
                        return Err(LookupError::AccountNeeded(
                            many.iter()
                                .map(|a| format!("{} ({})", a.name, a.id))
                                .collect(),
                        )
                        .into());
                    }
                }
            }
        }
    }
    let needs_user = perms.iter().any(|p| p.scope == Some(Scope::User));
    let user_id = if needs_user {
        Some(session.block_on(client.user_id())?)
    } else {
        None
    };
    let mut policies = policy::build_policies(&perms, &zone_ids, &account_ids, user_id.as_deref())?;
    if let crate::cloudflare::Owner::Account(owner) = &session.owner {
        policy::nest_zones_under_account(&mut policies, owner);
    }
    let mut token = NewToken::new(args.name, policies);
    token.not_before = not_before;
    token.expires_on = expires_on;
    token.condition = condition;
    Ok(token)
}
