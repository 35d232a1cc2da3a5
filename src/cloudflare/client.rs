//! The Cloudflare API client: one async method per endpoint cfsecret uses.
//!
//! Needs a tokio runtime with I/O and time enabled. Secrets only ever travel as `SecretString`:
//! the management credential inside the client, the token passed to [`Client::verify`], and the
//! secrets returned by [`Client::create_token`] and [`Client::roll_token`], which are
//! deserialized from the (wiped-after-use) body straight into a `SecretString`.

use reqwest::header::HeaderMap;
use reqwest::{Method, Url};
use secrecy::SecretString;
use serde::de::DeserializeOwned;

use super::base_url::BaseUrl;
use super::credential::{
    Credential, CredentialSource, ManagementCredential, TokenFormat, clean_token,
};
use super::envelope::{self, ResultInfo};
use super::error::{ApiError, Refusal};
use super::op::Op;
use super::owner::Owner;
use super::token::{NewToken, Token};
use super::transport::{Auth, Call, ClientConfig, Transport, auth_headers};
use super::types::{
    Account, CreatedValue, Deleted, PermissionGroup, PermissionGroupFilter, SecretValue,
    VerifyResult, Zone,
};

mod own_account;

/// Page size for token lists: the API's maximum.
const TOKENS_PER_PAGE: u32 = 50;
/// Enough pages for the 500-token account quota, twice over. A server that ignores `page` and
/// repeats itself is caught here instead of looping.
const MAX_TOKEN_PAGES: u32 = 20;
/// Page size for permission groups: large, because the default page hides most of the ~400.
const GROUPS_PER_PAGE: u32 = 1000;
const MAX_GROUP_PAGES: u32 = 10;
/// How many visible accounts a legacy-format secret is tried on before asking for --account-id.
const MAX_VERIFY_ACCOUNTS: usize = 5;
/// Page size and limit for zone and account lookups.
const LOOKUP_PER_PAGE: u32 = 50;
const MAX_LOOKUP_PAGES: u32 = 20;

/// What [`Client::delete_token`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deletion {
    /// The token existed and is now deleted.
    Deleted,
    /// There was no such token (404): it had been deleted before. Not an error.
    AlreadyGone,
}

/// How a list endpoint says it has no more pages.
#[derive(Clone, Copy)]
enum Paging {
    /// Keep going until a page comes back empty or short (the token lists: `result_info` is not
    /// relied upon for totals, as in Cloudflare's own SDK; a short page counts as the last only
    /// when `result_info.per_page` shows the server used the page size asked for).
    UntilEmpty,
    /// Follow `result_info` (`total_pages`, else `total_count`); without it, stop after a short
    /// page.
    ResultInfo,
}

/// A Cloudflare API client.
pub struct Client {
    transport: Transport,
    management: Option<(ManagementCredential, HeaderMap)>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.transport.base.as_str())
            .field(
                "credential",
                &self
                    .management
                    .as_ref()
                    .map(|(m, _)| m.source().to_string()),
            )
            .finish()
    }
}

impl Client {
    /// A client for `base`, authenticating management calls with `credential`. Without a
    /// credential only [`Client::verify`] works; the other calls fail with
    /// [`ApiError::NoCredential`].
    pub fn new(
        base: BaseUrl,
        credential: Option<ManagementCredential>,
        config: ClientConfig,
    ) -> Result<Self, ApiError> {
        let management = with_headers(credential)?;
        Ok(Self {
            transport: Transport::new(base, config)?,
            management,
        })
    }

    /// A client acting with `credential` that shares this one's HTTP connection pool: a run
    /// that verifies with the token itself and manages with another credential still opens
    /// one connection.
    pub fn with_credential(
        &self,
        credential: Option<ManagementCredential>,
    ) -> Result<Self, ApiError> {
        let management = with_headers(credential)?;
        Ok(Self {
            transport: self.transport.clone(),
            management,
        })
    }

    /// The API base URL in use.
    pub fn base_url(&self) -> &BaseUrl {
        &self.transport.base
    }

    /// Where the management credential came from, if there is one.
    pub fn credential_source(&self) -> Option<&CredentialSource> {
        self.management.as_ref().map(|(m, _)| m.source())
    }

    fn auth(&self, op: Op) -> Result<Auth<'_>, ApiError> {
        self.management
            .as_ref()
            .map(Auth::management)
            .ok_or(ApiError::NoCredential { op })
    }

    fn url(&self, segments: &[String], query: &[(&str, String)]) -> Url {
        let mut url = self.transport.base.endpoint(segments);
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        url
    }

    fn token_url(&self, owner: &Owner, id: &str, tail: Option<&str>) -> Url {
        let mut segments = owner.tokens_path();
        segments.push(id.to_owned());
        segments.extend(tail.map(str::to_owned));
        self.url(&segments, &[])
    }

    async fn call<T: DeserializeOwned>(
        &self,
        call: Call<'_>,
    ) -> Result<(T, Option<ResultInfo>), ApiError> {
        let reply = self.transport.execute(&call).await?;
        self.transport.parse(&call, &reply)
    }

    /// Asks Cloudflare whether `token` is valid, using the token itself as the bearer (no
    /// management credential involved). A 200 with a status other than `active` is returned as
    /// is; an unknown, rolled-away or deleted secret is an error whose
    /// [`ApiError::token_invalid`] is true (exit 3).
    ///
    /// Account-owned tokens are verified on `/accounts/{id}/tokens/verify`: a `cfat_` secret goes
    /// there when `account_id` is known; without it, the user endpoint is tried and a refusal
    /// becomes [`ApiError::AccountIdNeeded`]. A legacy-format secret with an account id is tried
    /// on the account endpoint first, then on the user endpoint.
    pub async fn verify(
        &self,
        token: &SecretString,
        account_id: Option<&str>,
    ) -> Result<VerifyResult, ApiError> {
        let source = CredentialSource::VerifiedToken;
        let token = clean_token(token, &source)?;
        let headers = auth_headers(&Credential::Bearer(token.clone()), &source)?;
        let format = TokenFormat::of(&token);
        let owners = match (format, account_id) {
            (TokenFormat::Account, Some(id)) => vec![Owner::account(id)],
            (TokenFormat::User | TokenFormat::Account | TokenFormat::GlobalKey, _)
            | (TokenFormat::Legacy, None) => vec![Owner::User],
            (TokenFormat::Legacy, Some(id)) => vec![Owner::account(id), Owner::User],
        };
        let auth = || Auth {
            headers: &headers,
            source: &source,
            secret: &token,
        };
        let mut first_refusal = None;
        for owner in &owners {
            match self.verify_on(owner, auth()).await {
                Ok(result) => return Ok(result),
                Err(e) if e.refusal() == Some(Refusal::TokenInvalid) => {
                    first_refusal.get_or_insert(e);
                }
                // `/user/tokens/verify` may answer an account-owned token with 403/9109 rather
                // than 401/1000 (issue 12, item 5): that too says "not a user token".
                Err(e)
                    if account_id.is_none()
                        && format == TokenFormat::Account
                        && matches!(
                            e.refusal(),
                            Some(Refusal::NotAuthorized | Refusal::MissingPermission)
                        ) =>
                {
                    return self.verify_in_own_account(auth, false).await;
                }
                Err(e) => return Err(e),
            }
        }
        if format == TokenFormat::Account && account_id.is_none() {
            return self.verify_in_own_account(auth, false).await;
        }
        if format == TokenFormat::Legacy && account_id.is_none() {
            // A pre-2026 secret does not say who owns it, and the user endpoint answers 401 for
            // account-owned ones. With a management credential, try the accounts it can see;
            // without one, the accounts the token itself lists; else ask for --account-id
            // rather than call the token dead.
            if self.management.is_none() {
                return self.verify_in_own_account(auth, true).await;
            }
            let accounts = match self.accounts(None).await {
                Ok(a) if !a.is_empty() => a,
                _ => return Err(ApiError::AccountIdNeeded { legacy: true }),
            };
            for account in accounts.iter().take(MAX_VERIFY_ACCOUNTS) {
                match self.verify_on(&Owner::account(&account.id), auth()).await {
                    Ok(result) => return Ok(result),
                    Err(e) if e.refusal() == Some(Refusal::TokenInvalid) => {}
                    Err(e) => return Err(e),
                }
            }
            if accounts.len() > MAX_VERIFY_ACCOUNTS {
                return Err(ApiError::AccountIdNeeded { legacy: true });
            }
        }
        Err(first_refusal.unwrap_or(ApiError::AccountIdNeeded { legacy: false }))
    }

    async fn verify_on(&self, owner: &Owner, auth: Auth<'_>) -> Result<VerifyResult, ApiError> {
        let mut segments = owner.tokens_path();
        segments.push("verify".to_owned());
        let call = Call {
            op: Op::Verify,
            method: Method::GET,
            url: self.url(&segments, &[]),
            body: None,
            auth,
            token_id: None,
        };
        Ok(self.call::<VerifyResult>(call).await?.0)
    }

    /// Mints a token. Returns its metadata and its secret, which Cloudflare shows only this once.
    ///
    /// Never retried once sent: on a timeout, 5xx or broken connection the error's
    /// [`ApiError::maybe_applied`] is true and the caller must look for a token of this name.
    pub async fn create_token(
        &self,
        owner: &Owner,
        token: &NewToken,
    ) -> Result<(Token, SecretString), ApiError> {
        let op = Op::CreateToken;
        if let Some(problem) = token.problem() {
            return Err(ApiError::InvalidRequest { op, problem });
        }
        let call = Call {
            op,
            method: Method::POST,
            url: self.url(&owner.tokens_path(), &[]),
            body: Some(json_bytes(&token.create_body())),
            auth: self.auth(op)?,
            token_id: None,
        };
        let reply = self.transport.execute(&call).await?;
        // Two passes over the same wiped-after-use body: one takes the secret, the other the
        // token and skips `value` without copying it.
        let secret = self
            .transport
            .parse::<CreatedValue>(&call, &reply)?
            .0
            .value
            .0;
        let (created, _) = self.transport.parse::<Token>(&call, &reply)?;
        Ok((created, secret))
    }

    /// Reads one token (without its secret).
    pub async fn get_token(&self, owner: &Owner, id: &str) -> Result<Token, ApiError> {
        let op = Op::GetToken;
        let call = Call {
            op,
            method: Method::GET,
            url: self.token_url(owner, id, None),
            body: None,
            auth: self.auth(op)?,
            token_id: Some(id),
        };
        Ok(self.call::<Token>(call).await?.0)
    }

    /// Lists all of the owner's tokens, 50 per page, until a page comes back empty.
    pub async fn list_tokens(&self, owner: &Owner) -> Result<Vec<Token>, ApiError> {
        self.paginate(
            Op::ListTokens,
            &owner.tokens_path(),
            &[],
            TOKENS_PER_PAGE,
            MAX_TOKEN_PAGES,
            Paging::UntilEmpty,
        )
        .await
    }

    /// Replaces a token's name, policies, validity and condition (PUT replaces everything: build
    /// `token` from [`NewToken::from_token`] to change one thing). Never retried once sent.
    pub async fn update_token(
        &self,
        owner: &Owner,
        id: &str,
        token: &NewToken,
    ) -> Result<Token, ApiError> {
        let op = Op::UpdateToken;
        if let Some(problem) = token.problem() {
            return Err(ApiError::InvalidRequest { op, problem });
        }
        let call = Call {
            op,
            method: Method::PUT,
            url: self.token_url(owner, id, None),
            body: Some(json_bytes(&token.update_body())),
            auth: self.auth(op)?,
            token_id: Some(id),
        };
        Ok(self.call::<Token>(call).await?.0)
    }

    /// Deletes a token. A 404 carrying Cloudflare's error envelope means it was already gone and
    /// is reported as [`Deletion::AlreadyGone`]; a 404 without the envelope (a wrong base URL) is
    /// still an error.
    pub async fn delete_token(&self, owner: &Owner, id: &str) -> Result<Deletion, ApiError> {
        let op = Op::DeleteToken;
        let call = Call {
            op,
            method: Method::DELETE,
            url: self.token_url(owner, id, None),
            body: None,
            auth: self.auth(op)?,
            token_id: Some(id),
        };
        let reply = self.transport.execute(&call).await?;
        if reply.status == 404
            && envelope::parse_failure(reply.body.as_slice())
                .not_json
                .is_none()
        {
            log::debug!("cloudflare: token {id} was already gone");
            return Ok(Deletion::AlreadyGone);
        }
        // `result` is nullable on DELETE (`iam_api-response-single-id`): a 2xx is the answer.
        self.transport.parse_nullable::<Deleted>(&call, &reply)?;
        Ok(Deletion::Deleted)
    }

    /// Rolls a token's secret: the old secret stops working at once and the new one is returned
    /// exactly once. Never retried once sent: if the answer is lost, so is the new secret, and
    /// the error's [`ApiError::maybe_applied`] says so.
    pub async fn roll_token(&self, owner: &Owner, id: &str) -> Result<SecretString, ApiError> {
        let op = Op::RollToken;
        let call = Call {
            op,
            method: Method::PUT,
            url: self.token_url(owner, id, Some("value")),
            body: Some(b"{}".to_vec()),
            auth: self.auth(op)?,
            token_id: Some(id),
        };
        Ok(self.call::<SecretValue>(call).await?.0.0)
    }

    /// Lists permission groups, optionally filtered by exact name and scope (server-side).
    pub async fn permission_groups(
        &self,
        owner: &Owner,
        filter: &PermissionGroupFilter,
    ) -> Result<Vec<PermissionGroup>, ApiError> {
        let mut segments = owner.tokens_path();
        segments.push("permission_groups".to_owned());
        let mut query = Vec::new();
        if let Some(name) = &filter.name {
            query.push(("name", name.clone()));
        }
        if let Some(scope) = filter.scope {
            query.push(("scope", scope.as_api().to_owned()));
        }
        self.paginate(
            Op::PermissionGroups,
            &segments,
            &query,
            GROUPS_PER_PAGE,
            MAX_GROUP_PAGES,
            Paging::ResultInfo,
        )
        .await
    }

    /// The user's id, for a grant on `com.cloudflare.api.user.<id>`: `GET /user` (the Global
    /// API Key, or a token with User Details Read), else read from the management token's own
    /// policies (a token holding API Tokens Write names the user in them).
    pub async fn user_id(&self) -> Result<String, ApiError> {
        #[derive(serde::Deserialize)]
        struct User {
            id: String,
        }
        let op = Op::User;
        let call = Call {
            op,
            method: Method::GET,
            url: self.url(&["user".to_owned()], &[]),
            body: None,
            auth: self.auth(op)?,
            token_id: None,
        };
        let refused = match self.call::<User>(call).await {
            Ok((user, _)) => return Ok(user.id.to_ascii_lowercase()),
            Err(e) if e.refusal().is_some() => e,
            Err(e) => return Err(e),
        };
        let Some((m, _)) = &self.management else {
            return Err(refused);
        };
        if !matches!(m.credential(), Credential::Bearer(_)) {
            return Err(refused);
        }
        let me = self.verify(m.secret(), None).await?;
        let own = self.get_token(&Owner::User, &me.id).await?;
        own.policies
            .iter()
            .flat_map(|p| p.resources.keys())
            .find_map(|k| k.strip_prefix("com.cloudflare.api.user."))
            .map(str::to_ascii_lowercase)
            .ok_or(refused)
    }

    /// A read-only `GET` of `segments` (`verify --probe`): its `result`, or the API's refusal. `op` is [`Op::Zones`] or [`Op::Accounts`], whose refusals
    /// read as a missing permission rather than a token-management problem.
    pub(crate) async fn read_only_get(
        &self,
        op: Op,
        segments: &[String],
        query: &[(&str, String)],
    ) -> Result<Option<serde_json::Value>, ApiError> {
        let call = Call {
            op,
            method: Method::GET,
            url: self.url(segments, query),
            body: None,
            auth: self.auth(op)?,
            token_id: None,
        };
        let reply = self.transport.execute(&call).await?;
        self.transport
            .parse_nullable::<serde_json::Value>(&call, &reply)
            .map(|(v, _)| v)
    }

    /// Zones with exactly this name (normally one; several if several accounts hold the name).
    pub async fn zones_by_name(&self, name: &str) -> Result<Vec<Zone>, ApiError> {
        self.paginate(
            Op::Zones,
            &["zones".to_owned()],
            &[("name", name.trim().to_owned())],
            LOOKUP_PER_PAGE,
            MAX_LOOKUP_PAGES,
            Paging::ResultInfo,
        )
        .await
    }

    /// Accounts the credential can see, optionally filtered by name.
    pub async fn accounts(&self, name: Option<&str>) -> Result<Vec<Account>, ApiError> {
        let query: Vec<(&str, String)> = name
            .map(|n| vec![("name", n.trim().to_owned())])
            .unwrap_or_default();
        self.paginate(
            Op::Accounts,
            &["accounts".to_owned()],
            &query,
            LOOKUP_PER_PAGE,
            MAX_LOOKUP_PAGES,
            Paging::ResultInfo,
        )
        .await
    }

    async fn paginate<T: DeserializeOwned>(
        &self,
        op: Op,
        segments: &[String],
        query: &[(&str, String)],
        per_page: u32,
        max_pages: u32,
        paging: Paging,
    ) -> Result<Vec<T>, ApiError> {
        let mut all = Vec::new();
        for page in 1..=max_pages {
            let mut q = query.to_vec();
            q.push(("page", page.to_string()));
            q.push(("per_page", per_page.to_string()));
            let call = Call {
                op,
                method: Method::GET,
                url: self.url(segments, &q),
                body: None,
                auth: self.auth(op)?,
                token_id: None,
            };
            // `result` is nullable on list pages (`iam_api-response-collection`): null is empty.
            let reply = self.transport.execute(&call).await?;
            let (items, info) = self.transport.parse_nullable::<Vec<T>>(&call, &reply)?;
            let items = items.unwrap_or_default();
            let got = items.len() as u64;
            all.extend(items);
            let more = match (paging, info) {
                (_, _) if got == 0 => false,
                // A short page from a server that honoured our page size is the last one: no
                // extra call for the empty page after it (issue 12, item 9). Without that
                // echo, keep going until a page comes back empty.
                (Paging::UntilEmpty, Some(info)) if info.per_page == Some(u64::from(per_page)) => {
                    got >= u64::from(per_page)
                }
                (Paging::UntilEmpty, _) => true,
                (Paging::ResultInfo, Some(info)) => match (info.total_pages, info.total_count) {
                    (Some(pages), _) => u64::from(page) < pages,
                    (None, Some(total)) => (all.len() as u64) < total,
                    (None, None) => got >= u64::from(per_page),
                },
                (Paging::ResultInfo, None) => got >= u64::from(per_page),
            };
            if !more {
                return Ok(all);
            }
        }
        Err(ApiError::Malformed {
            op,
            token_id: None,
            status: 200,
            what: format!(
                "more than {max_pages} pages; the server seems to ignore the `page` parameter"
            ),
        })
    }
}

fn json_bytes(v: &serde_json::Value) -> Vec<u8> {
    // Serializing a `Value` cannot fail (all keys are strings).
    serde_json::to_vec(v).unwrap_or_else(|_| b"{}".to_vec())
}

/// A management credential with its authentication headers, built once per client.
fn with_headers(
    credential: Option<ManagementCredential>,
) -> Result<Option<(ManagementCredential, HeaderMap)>, ApiError> {
    credential
        .map(|m| {
            let headers = auth_headers(m.credential(), m.source())?;
            Ok((m, headers))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudflare::PermissionGroupFilter;

    /// The commands may run calls on a multi-threaded runtime or spawn them: the client must be
    /// shareable and its futures `Send`.
    #[test]
    fn client_is_sync_and_futures_are_send() {
        fn send<T: Send>(_: &T) {}
        fn sync<T: Send + Sync>() {}
        sync::<Client>();
        let c = Client::new(BaseUrl::cloudflare(), None, ClientConfig::default()).unwrap();
        let (owner, secret) = (Owner::User, SecretString::from("x"));
        let spec = NewToken::new("x", vec![]);
        send(&c.verify(&secret, None));
        send(&c.create_token(&owner, &spec));
        send(&c.get_token(&owner, "id"));
        send(&c.list_tokens(&owner));
        send(&c.update_token(&owner, "id", &spec));
        send(&c.delete_token(&owner, "id"));
        send(&c.roll_token(&owner, "id"));
        send(&c.permission_groups(&owner, &PermissionGroupFilter::default()));
        send(&c.zones_by_name("example.com"));
        send(&c.accounts(None));
        assert!(format!("{c:?}").contains("api.cloudflare.com"));
    }
}
