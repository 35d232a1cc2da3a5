//! The token store: tokens in creation order, an index from secret hash to
//! token id, and the test-only log of issued secrets.

use std::collections::HashMap;

use crate::directory::Directory;
use crate::envelope::ApiError;
use crate::policy;
use crate::secrets::{self, SecretHash};
use crate::strict::Strict;
use crate::token::{ACTIVE, Owner, Policy, Token};
use crate::token_input::TokenInput;

#[derive(Debug)]
pub(crate) struct State {
    pub dir: Directory,
    pub tokens: Vec<Token>,
    index: HashMap<SecretHash, String>,
    /// Every secret ever handed out. The store authenticates by hash only;
    /// this list exists so tests can grep output for leaked secrets.
    issued: Vec<String>,
    pub user_token_quota: usize,
    pub account_token_quota: usize,
    pub verify_inactive_as_401: bool,
    pub strict: Strict,
}

impl State {
    pub(crate) fn new(dir: Directory) -> Self {
        State {
            dir,
            tokens: Vec::new(),
            index: HashMap::new(),
            issued: Vec::new(),
            user_token_quota: 50,
            account_token_quota: 500,
            verify_inactive_as_401: false,
            strict: Strict::default(),
        }
    }

    pub(crate) fn token(&self, id: &str) -> Option<&Token> {
        self.tokens.iter().find(|t| t.id == id)
    }

    pub(crate) fn token_mut(&mut self, id: &str) -> Option<&mut Token> {
        self.tokens.iter_mut().find(|t| t.id == id)
    }

    pub(crate) fn token_by_secret(&self, secret: &str) -> Option<&Token> {
        let id = self.index.get(&secrets::hash(secret))?;
        self.token(id)
    }

    pub(crate) fn owned_by<'a>(&'a self, owner: &'a Owner) -> impl Iterator<Item = &'a Token> {
        self.tokens.iter().filter(move |t| &t.owner == owner)
    }

    pub(crate) fn issued_secrets(&self) -> &[String] {
        &self.issued
    }

    /// Validates ownership of the resources, assigns ids and a secret.
    /// `enforce_quota` is off for direct test setup (`FakeCloudflare::mint`).
    pub(crate) fn create(
        &mut self,
        owner: Owner,
        input: TokenInput,
        now: i64,
        enforce_quota: bool,
    ) -> Result<(Token, String), ApiError> {
        policy::check_grantable(&input.policies, &owner, &self.dir)?;
        if enforce_quota {
            let quota = match owner {
                Owner::User(_) => self.user_token_quota,
                Owner::Account(_) => self.account_token_quota,
            };
            if self.owned_by(&owner).count() >= quota {
                // The live body was not captured [?]; 400/1001 like other
                // create validation failures, naming the documented limit.
                return Err(ApiError::invalid(format!(
                    "Maximum number of API tokens reached: the quota is {quota} tokens"
                )));
            }
        }
        let secret = self.new_secret(&owner);
        let token = Token {
            id: secrets::random_id(),
            name: input.name,
            owner,
            status: ACTIVE.into(),
            issued_on: now,
            modified_on: now,
            last_used_on: None,
            not_before: input.not_before,
            expires_on: input.expires_on,
            policies: input
                .policies
                .into_iter()
                .map(|p| Policy {
                    id: secrets::random_id(),
                    effect: p.effect,
                    groups: p.groups,
                    resources: p.resources,
                })
                .collect(),
            condition: input.condition,
            secret_hash: secrets::hash(&secret),
            // Only tokens minted through the API wait for propagation; test setup is immediate.
            effective_from: if enforce_quota {
                now + self.strict.propagation_secs.max(0)
            } else {
                now
            },
        };
        self.index.insert(token.secret_hash, token.id.clone());
        self.tokens.push(token.clone());
        Ok((token, secret))
    }

    /// Full replace of the mutable fields. Policy ids sent back that belong
    /// to this token are kept; any other id gets a fresh one [?].
    pub(crate) fn update(
        &mut self,
        id: &str,
        input: TokenInput,
        now: i64,
    ) -> Result<Token, ApiError> {
        let owner = self
            .token(id)
            .map(|t| t.owner.clone())
            .ok_or_else(ApiError::no_route)?;
        policy::check_grantable(&input.policies, &owner, &self.dir)?;
        let t = self.token_mut(id).ok_or_else(ApiError::no_route)?;
        let policies = input
            .policies
            .into_iter()
            .map(|p| Policy {
                id: p
                    .id
                    .filter(|pid| t.policies.iter().any(|old| &old.id == pid))
                    .unwrap_or_else(secrets::random_id),
                effect: p.effect,
                groups: p.groups,
                resources: p.resources,
            })
            .collect();
        t.name = input.name;
        t.policies = policies;
        t.condition = input.condition;
        t.not_before = input.not_before;
        t.expires_on = input.expires_on;
        if let Some(status) = input.status {
            t.status = status;
        }
        t.modified_on = now;
        Ok(t.clone())
    }

    /// New secret; the old one stops working at once (no grace period is
    /// documented). The id stays, and so does `issued_on`: the roll answers with
    /// the bare new secret only (cloudflare-go `RollAPIToken` returns a string;
    /// cloudflare-docs `partials/fundamentals/api-roll-token.mdx`: "the access and
    /// permissions will be the same"), and nothing documents a new `issued_on`.
    /// `modified_on` moves: a third-party checker switched to it because
    /// "Cloudflare updates [it] when a token is rolled" (mondoohq/cnspec PR #2467).
    pub(crate) fn roll(&mut self, id: &str, now: i64) -> Option<String> {
        let owner = self.token(id)?.owner.clone();
        let secret = self.new_secret(&owner);
        let hash = secrets::hash(&secret);
        let t = self.token_mut(id)?;
        let old = std::mem::replace(&mut t.secret_hash, hash);
        t.modified_on = now;
        self.index.remove(&old);
        self.index.insert(hash, id.to_string());
        Some(secret)
    }

    pub(crate) fn delete(&mut self, id: &str) -> Option<Token> {
        let pos = self.tokens.iter().position(|t| t.id == id)?;
        let t = self.tokens.remove(pos);
        self.index.remove(&t.secret_hash);
        Some(t)
    }

    fn new_secret(&mut self, owner: &Owner) -> String {
        let secret = match owner {
            Owner::User(_) => secrets::generate(secrets::USER_PREFIX),
            Owner::Account(_) if self.strict.legacy_account_secrets => secrets::generate_legacy(),
            Owner::Account(_) => secrets::generate(secrets::ACCOUNT_PREFIX),
        };
        self.issued.push(secret.clone());
        secret
    }
}
