//! Everything one fake instance shares between its connections, its Rust
//! handle and its HTTP control plane. The management operations live here
//! once so that the two test interfaces stay mirrors of each other.

use std::sync::{Arc, Mutex};

use crate::clock::{Clock, format_ts};
use crate::config::Config;
use crate::directory::Directory;
use crate::faults::FaultBook;
use crate::journal::{Journal, lock};
use crate::spec::{Minted, Resource, TokenInfo, TokenSpec};
use crate::state::State;
use crate::token::{Owner, Token};
use crate::token_input::{self, Purpose};

pub(crate) struct App {
    pub state: Mutex<State>,
    pub clock: Clock,
    pub faults: Mutex<FaultBook>,
    pub journal: Arc<Journal>,
    pub log_requests: bool,
    pub bootstrap: Minted,
    /// A user token holding only API Tokens Write: the minimal manager the README once asked
    /// for, which cannot read zones or accounts (cfsecret issue 12, item 1). Minted on first
    /// use, so the default world (and every token count) stays as it was.
    pub minimal_manager: Mutex<Option<Minted>>,
    /// TCP connections accepted so far (issue 12, item 9: one per cfsecret run).
    pub connections: std::sync::atomic::AtomicUsize,
}

impl App {
    /// The minimal manager's secret, minting it on first use.
    pub(crate) fn minimal_manager(&self) -> String {
        let mut slot = lock(&self.minimal_manager);
        if let Some(m) = slot.as_ref() {
            return m.secret.clone();
        }
        let user = lock(&self.state).dir.user_id.clone();
        let spec =
            TokenSpec::user("minimal-manager").permission("API Tokens Write", Resource::User(user));
        let minted = self.mint(&spec).expect("the minimal manager is valid");
        let secret = minted.secret.clone();
        *slot = Some(minted);
        secret
    }

    pub(crate) fn new(config: &Config) -> Self {
        let dir = Directory::from_config(config);
        let mut state = State::new(dir);
        state.user_token_quota = config.user_token_quota;
        state.account_token_quota = config.account_token_quota;
        state.verify_inactive_as_401 = config.verify_inactive_as_401;
        state.strict = config.strict.clone();
        let user = state.dir.user_id.clone();
        let account = state.dir.default_account().id.clone();
        let mut app = App {
            state: Mutex::new(state),
            clock: Clock::default(),
            faults: Mutex::default(),
            journal: Arc::default(),
            log_requests: config.log_requests,
            bootstrap: Minted {
                id: String::new(),
                secret: String::new(),
            },
            minimal_manager: Mutex::new(None),
            connections: Default::default(),
        };
        let spec = TokenSpec::user("bootstrap")
            .permission("API Tokens Write", Resource::User(user))
            .permission("Zone Read", Resource::AllZones)
            .permissions(
                &["Account API Tokens Write", "Account Settings Read"],
                Resource::Account(account),
            );
        app.bootstrap = app.mint(&spec).expect("the bootstrap token is valid");
        app
    }

    pub(crate) fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Creates a token as the API would, minus authentication and quota.
    pub(crate) fn mint(&self, spec: &TokenSpec) -> Result<Minted, String> {
        let input =
            token_input::parse(&spec.to_create_body(), Purpose::Create).map_err(|e| e.message)?;
        let now = self.now();
        let mut st = lock(&self.state);
        let owner = match &spec.account_id {
            None => Owner::User(st.dir.user_id.clone()),
            Some(a) => Owner::Account(a.clone()),
        };
        let (token, secret) = st.create(owner, input, now, false).map_err(|e| e.message)?;
        if let Some(status) = &spec.status
            && let Some(t) = st.token_mut(&token.id)
        {
            t.status = status.clone();
        }
        Ok(Minted {
            id: token.id,
            secret,
        })
    }

    pub(crate) fn info(&self, t: &Token) -> TokenInfo {
        let now = self.now();
        let ts = |v: Option<i64>| v.map(format_ts);
        TokenInfo {
            id: t.id.clone(),
            name: t.name.clone(),
            status: t.effective_status(now).to_string(),
            owner: t.owner.clone(),
            issued_on: format_ts(t.issued_on),
            modified_on: format_ts(t.modified_on),
            last_used_on: ts(t.last_used_on),
            expires_on: ts(t.expires_on),
            not_before: ts(t.not_before),
            policies: t.policies_json(),
            condition: t.condition.as_ref().map(|c| c.to_json()),
        }
    }

    /// All tokens, or those called `name`; with `active_only`, only those
    /// usable now (see `is_active_secret`).
    pub(crate) fn tokens(&self, name: Option<&str>, active_only: bool) -> Vec<TokenInfo> {
        let now = self.now();
        lock(&self.state)
            .tokens
            .iter()
            .filter(|t| name.is_none_or(|n| t.name == n) && (!active_only || t.usable(now)))
            .map(|t| self.info(t))
            .collect()
    }

    pub(crate) fn token(&self, id: &str) -> Option<TokenInfo> {
        lock(&self.state).token(id).map(|t| self.info(t))
    }

    pub(crate) fn token_for_secret(&self, secret: &str) -> Option<TokenInfo> {
        lock(&self.state)
            .token_by_secret(secret)
            .map(|t| self.info(t))
    }

    /// Authenticates, is active and inside its validity window.
    pub(crate) fn is_active_secret(&self, secret: &str) -> bool {
        let now = self.now();
        lock(&self.state)
            .token_by_secret(secret)
            .is_some_and(|t| t.usable(now))
    }

    pub(crate) fn issued_secrets(&self) -> Vec<String> {
        lock(&self.state).issued_secrets().to_vec()
    }

    /// Changes only the status (e.g. `revoked (exposed)`, as Cloudflare's
    /// leak scanner would); timestamps are left to `backdate`.
    pub(crate) fn set_status(&self, id: &str, status: &str) -> bool {
        lock(&self.state).token_mut(id).is_some_and(|t| {
            t.status = status.to_string();
            true
        })
    }

    pub(crate) fn delete(&self, id: &str) -> bool {
        lock(&self.state).delete(id).is_some()
    }

    /// Sets `modified_on` to now, as any edit does (a dashboard rename, an expiry change).
    pub(crate) fn touch(&self, id: &str) -> bool {
        let now = self.now();
        lock(&self.state).token_mut(id).is_some_and(|t| {
            t.modified_on = now;
            true
        })
    }

    /// Moves `issued_on` and `modified_on` `secs` into the past, so
    /// age-based rotation can be tested without waiting.
    pub(crate) fn backdate(&self, id: &str, secs: u64) -> bool {
        let secs = i64::try_from(secs).unwrap_or(i64::MAX);
        lock(&self.state).token_mut(id).is_some_and(|t| {
            t.issued_on = t.issued_on.saturating_sub(secs);
            t.modified_on = t.modified_on.saturating_sub(secs);
            true
        })
    }
}
