//! The Cloudflare client against the local fake (`crates/fake-cloudflare`): round trips, retry
//! rules under injected faults, error codes and hints, and that no secret the fake issued ever
//! shows up in an error or a log line.
//!
//! Waits between attempts go through a recording sleeper, so a 429 with `Retry-After: 7` is
//! checked to wait 7 s without the test sleeping. Timeouts are real (1 s) where a stall is the
//! point of the test.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use cfsecret::cloudflare::permissions::{ScopeContext, resolve_all};
use cfsecret::cloudflare::policy::{build_policies, ip_condition, same_grants, same_policies};
use cfsecret::cloudflare::presets::Preset;
use cfsecret::cloudflare::{
    ApiError, BaseUrl, Client, ClientConfig, CredentialSource, Deletion, ManagementCredential,
    NewToken, Owner, PermissionGroupFilter, Refusal, RetryPolicy, Scope, Sleeper, TokenStatus,
};
use cfsecret::error::{Diagnose, Exit};
use fake_cloudflare::{FakeCloudflare, Fault, FaultKind, Op, Resource, TokenSpec};
use secrecy::{ExposeSecret, SecretString};

// ---------------------------------------------------------------------------------------------
// Harness

/// Records every wait instead of sleeping.
#[derive(Debug, Default)]
struct Recorder(Mutex<Vec<Duration>>);

impl Recorder {
    fn waits(&self) -> Vec<Duration> {
        self.0.lock().unwrap().clone()
    }
}

impl Sleeper for Recorder {
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        self.0.lock().unwrap().push(d);
        Box::pin(std::future::ready(()))
    }
}

/// Every log line of the process, at every level: checked for secrets.
struct Capture;

static LOG: OnceLock<Mutex<Vec<String>>> = OnceLock::new();

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        LOG.get_or_init(Default::default)
            .lock()
            .unwrap()
            .push(format!("{} {}", record.target(), record.args()));
    }
    fn flush(&self) {}
}

fn capture_logs() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        let _ = log::set_boxed_logger(Box::new(Capture));
        log::set_max_level(log::LevelFilter::Trace);
    });
}

struct Env {
    fake: FakeCloudflare,
    sleeper: Arc<Recorder>,
}

impl Env {
    fn new() -> Self {
        capture_logs();
        Self {
            fake: FakeCloudflare::start(),
            sleeper: Arc::default(),
        }
    }

    fn config(&self, timeout: Duration) -> ClientConfig {
        ClientConfig {
            retry: RetryPolicy {
                timeout,
                max_attempts: 3,
                backoff_base: Duration::from_millis(20),
                backoff_max: Duration::from_millis(100),
                rate_limit_budget: Duration::from_secs(120),
                max_rate_limit_retries: 5,
            },
            sleeper: self.sleeper.clone(),
            ..ClientConfig::default()
        }
    }

    fn base(&self) -> BaseUrl {
        BaseUrl::parse(&self.fake.base_url()).unwrap()
    }

    fn bootstrap(&self) -> ManagementCredential {
        ManagementCredential::bearer(
            &SecretString::from(self.fake.bootstrap_token()),
            CredentialSource::TokenEnv,
        )
        .unwrap()
    }

    /// A client with the bootstrap token (API Tokens Write) and a 5 s timeout.
    fn client(&self) -> Client {
        self.client_with(Some(self.bootstrap()), Duration::from_secs(5))
    }

    fn client_with(&self, cred: Option<ManagementCredential>, timeout: Duration) -> Client {
        Client::new(self.base(), cred, self.config(timeout)).unwrap()
    }

    /// How many requests of `op` the fake saw, and their statuses.
    fn statuses(&self, op: Op) -> Vec<Option<u16>> {
        self.fake
            .requests()
            .into_iter()
            .filter(|r| r.op == Some(op))
            .map(|r| r.status)
            .collect()
    }

    /// Fails if any secret the fake ever issued, or the Global API Key, appears in `text`.
    #[track_caller]
    fn assert_no_secret(&self, text: &str) {
        let mut secrets = self.fake.issued_secrets();
        secrets.push(self.fake.global_api_key().1);
        for s in secrets {
            assert!(!text.contains(&s), "a secret leaked into: {text}");
            // Nor a recognisable piece of it (the 40-character body).
            if s.len() > 30 {
                assert!(
                    !text.contains(&s[5..35]),
                    "part of a secret leaked into: {text}"
                );
            }
        }
    }

    /// Display, Debug and hint of an error, checked for secrets.
    #[track_caller]
    fn check(&self, e: &ApiError) -> String {
        let text = format!("{e}\n{e:?}\n{}", e.hint().unwrap_or_default());
        self.assert_no_secret(&text);
        text
    }

    /// Checks every log line captured so far.
    fn check_logs(&self) {
        let lines = LOG.get_or_init(Default::default).lock().unwrap().join("\n");
        self.assert_no_secret(&lines);
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.check_logs();
        }
    }
}

/// A token spec built the way `create` builds one: a preset resolved against the live
/// permission-group list, zone names looked up, policies built from both.
async fn dns_token(client: &Client, name: &str) -> NewToken {
    let groups = client
        .permission_groups(&Owner::User, &PermissionGroupFilter::default())
        .await
        .unwrap();
    let perms = Preset::find("cert-manager-dns01")
        .unwrap()
        .resolve(&groups)
        .unwrap();
    let zones = client.zones_by_name("example.com").await.unwrap();
    assert_eq!(zones.len(), 1);
    let policies = build_policies(&perms, &[zones[0].id.clone()], &[], None).unwrap();
    NewToken::new(name, policies)
}

fn secret(s: &str) -> SecretString {
    SecretString::from(s)
}

// ---------------------------------------------------------------------------------------------
// The harness's own checks are not vacuous

#[tokio::test]
async fn leak_checks_catch_a_leak_and_logs_are_captured() {
    let env = Env::new();
    let token = env.fake.bootstrap_token();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        env.assert_no_secret(&format!("oops {token} oops"))
    }));
    assert!(caught.is_err(), "a secret in the text must fail the check");
    env.client().verify(&secret(&token), None).await.unwrap();
    let lines = LOG.get_or_init(Default::default).lock().unwrap().clone();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("cloudflare: GET /client/v4/user/tokens/verify -> 200 (attempt 1")),
        "{lines:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Round trips

#[tokio::test]
async fn create_verify_get_update_roll_delete_round_trip() {
    let env = Env::new();
    let client = env.client();
    let spec = dns_token(&client, "cert-manager").await;

    let (token, value) = client.create_token(&Owner::User, &spec).await.unwrap();
    assert_eq!(token.name, "cert-manager");
    assert_eq!(token.status, TokenStatus::Active);
    assert!(value.expose_secret().starts_with("cfut_"));
    assert!(env.fake.is_active_secret(value.expose_secret()));
    assert!(same_policies(&token.policies, &spec.policies));
    assert!(!format!("{value:?}").contains(value.expose_secret()));

    let verified = client.verify(&value, None).await.unwrap();
    assert_eq!(verified.id, token.id);
    assert!(verified.status.is_active());

    let read = client.get_token(&Owner::User, &token.id).await.unwrap();
    assert!(same_grants(&token, &read));
    let listed = client.list_tokens(&Owner::User).await.unwrap();
    assert!(listed.iter().any(|t| t.id == token.id));

    let mut renamed = NewToken::from_token(&read);
    renamed.name = "cert-manager-renamed".into();
    let updated = client
        .update_token(&Owner::User, &token.id, &renamed)
        .await
        .unwrap();
    assert_eq!(updated.name, "cert-manager-renamed");
    assert!(same_grants(&read, &updated));

    let rolled = client.roll_token(&Owner::User, &token.id).await.unwrap();
    assert_ne!(rolled.expose_secret(), value.expose_secret());
    assert!(env.fake.is_active_secret(rolled.expose_secret()));
    let old = client.verify(&value, None).await.unwrap_err();
    assert!(old.token_invalid());
    assert_eq!(old.code(), "token_invalid");
    assert_eq!(old.exit(), Exit::NotActive);
    env.check(&old);
    assert_eq!(client.verify(&rolled, None).await.unwrap().id, token.id);

    assert_eq!(
        client.delete_token(&Owner::User, &token.id).await.unwrap(),
        Deletion::Deleted
    );
    assert_eq!(
        client.delete_token(&Owner::User, &token.id).await.unwrap(),
        Deletion::AlreadyGone
    );
    let gone = client.verify(&rolled, None).await.unwrap_err();
    assert!(gone.token_invalid());
    let unknown = client.get_token(&Owner::User, &token.id).await.unwrap_err();
    assert_eq!(unknown.code(), "unknown_token");
    assert!(env.check(&unknown).contains("deleted"));
}

#[tokio::test]
async fn successor_gets_the_same_policies_and_condition() {
    let env = Env::new();
    let client = env.client();
    let mut spec = dns_token(&client, "deploy").await;
    spec.condition = ip_condition(&["127.0.0.1", "::1"], &["192.0.2.0/24"]).unwrap();
    spec.expires_on = Some(jiff::Timestamp::now() + Duration::from_secs(86_400));
    let (old, _old_secret) = client.create_token(&Owner::User, &spec).await.unwrap();
    assert_eq!(
        old.expires_on.map(|t| t.as_second()),
        spec.expires_on.map(|t| t.as_second())
    );

    let successor = NewToken::successor_of(&old, "deploy-2");
    let (new, new_secret) = client.create_token(&Owner::User, &successor).await.unwrap();
    assert_ne!(new.id, old.id);
    assert!(same_grants(&old, &new), "{old:#?}\n{new:#?}");
    // The fake applies the IP condition: the client on 127.0.0.1 may use it.
    assert!(
        client
            .verify(&new_secret, None)
            .await
            .unwrap()
            .status
            .is_active()
    );
}

#[tokio::test]
async fn list_follows_pages_until_an_empty_one() {
    let env = Env::new();
    for i in 0..55 {
        env.fake
            .mint(TokenSpec::user(&format!("bulk-{i}")).permission(
                "Zone Read",
                Resource::Zone(env.fake.zone_id("example.com").unwrap()),
            ));
    }
    let tokens = env.client().list_tokens(&Owner::User).await.unwrap();
    assert_eq!(tokens.len(), 56); // + bootstrap
    let pages: Vec<Option<String>> = env
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.op == Some(Op::ListTokens))
        .map(|r| r.query)
        .collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(
        pages
            .iter()
            .all(|q| q.as_deref().unwrap_or("").contains("per_page=50"))
    );
}

#[tokio::test]
async fn account_owned_tokens() {
    let env = Env::new();
    let client = env.client();
    let account = env.fake.account_id();
    let owner = Owner::account(&account);
    let groups = client
        .permission_groups(&owner, &PermissionGroupFilter::default())
        .await
        .unwrap();
    let ctx = ScopeContext {
        zones: false,
        accounts: true,
    };
    let perms = resolve_all(&["Account:Account Settings:Read"], &groups, ctx).unwrap();
    let policies = build_policies(&perms, &[], std::slice::from_ref(&account), None).unwrap();
    let (token, value) = client
        .create_token(&owner, &NewToken::new("ci", policies))
        .await
        .unwrap();
    assert!(value.expose_secret().starts_with("cfat_"));
    assert_eq!(
        client.verify(&value, Some(&account)).await.unwrap().id,
        token.id
    );
    // Without the account id, the user endpoint does not know it: say what to pass.
    let err = client.verify(&value, None).await.unwrap_err();
    assert!(matches!(err, ApiError::AccountIdNeeded), "{err:?}");
    assert!(env.check(&err).contains("--account-id"));
    assert_eq!(
        client.list_tokens(&owner).await.unwrap().len(),
        1,
        "account tokens are listed under the account"
    );
}

#[tokio::test]
async fn verify_reports_inactive_statuses() {
    let env = Env::new();
    let client = env.client_with(None, Duration::from_secs(5));
    let zone = env.fake.zone_id("example.com").unwrap();
    let minted = env
        .fake
        .mint(TokenSpec::user("t").permission("DNS Read", Resource::Zone(zone)));
    let s = secret(&minted.secret);
    env.fake.set_status(&minted.id, "disabled");
    assert_eq!(
        client.verify(&s, None).await.unwrap().status,
        TokenStatus::Disabled
    );
    env.fake.set_status(&minted.id, "revoked (exposed)");
    assert_eq!(
        client.verify(&s, None).await.unwrap().status,
        TokenStatus::RevokedExposed
    );
    // No management credential: management calls say so instead of sending anything.
    let err = client.list_tokens(&Owner::User).await.unwrap_err();
    assert_eq!(err.code(), "no_credential");
    assert!(env.check(&err).contains("CLOUDFLARE_API_TOKEN"));
}

#[tokio::test]
async fn global_api_key_manages_tokens() {
    let env = Env::new();
    let (email, key) = env.fake.global_api_key();
    let cred =
        ManagementCredential::global_key(&email, &secret(&key), CredentialSource::GlobalKeyEnv)
            .unwrap();
    let client = env.client_with(Some(cred), Duration::from_secs(5));
    assert!(!client.list_tokens(&Owner::User).await.unwrap().is_empty());
    assert!(!format!("{client:?}").contains(&key));
}

#[tokio::test]
async fn live_catalog_resolves_dashboard_spellings_and_presets() {
    let env = Env::new();
    let groups = env
        .client()
        .permission_groups(&Owner::User, &PermissionGroupFilter::default())
        .await
        .unwrap();
    assert!(groups.len() > 50, "the whole catalog in one call");
    let both = ScopeContext {
        zones: true,
        accounts: true,
    };
    let resolved = resolve_all(
        &[
            "Zone:DNS:Edit",
            "Zone:Zone:Read",
            "Account:Cloudflare Workers:Edit",
            "Account:Cloudflare R2:Edit",
            "Zone:Cloudflare Workers Routes:Edit",
            "User:API Tokens:Edit",
        ],
        &groups,
        both,
    )
    .unwrap();
    let names: Vec<&str> = resolved.iter().map(|r| r.group.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "DNS Write",
            "Zone Read",
            "Workers Scripts Write",
            "Workers R2 Storage Write",
            "Workers Routes Write",
            "API Tokens Write"
        ]
    );
    for preset in cfsecret::cloudflare::presets::PRESETS {
        preset
            .resolve(&groups)
            .unwrap_or_else(|e| panic!("{}: {e}", preset.name));
    }
    // Server-side filters.
    let filtered = env
        .client()
        .permission_groups(
            &Owner::User,
            &PermissionGroupFilter {
                name: Some("DNS Write".into()),
                scope: Some(Scope::Zone),
            },
        )
        .await
        .unwrap();
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0].name, "DNS Write");
}

// ---------------------------------------------------------------------------------------------
// Retries, timeouts and unknown outcomes

#[tokio::test]
async fn rate_limit_waits_retry_after_then_succeeds() {
    let env = Env::new();
    env.fake.add_fault(Fault::new(
        Op::ListTokens,
        FaultKind::RateLimit {
            retry_after_secs: 7,
        },
    ));
    let client = env.client();
    client.list_tokens(&Owner::User).await.unwrap();
    assert_eq!(env.sleeper.waits(), [Duration::from_secs(7)]);
    // Page 1 after the 429, then the empty page 2 that ends the list.
    assert_eq!(
        env.statuses(Op::ListTokens),
        [Some(429), Some(200), Some(200)]
    );
}

#[tokio::test]
async fn rate_limited_create_is_retried_because_it_was_not_carried_out() {
    let env = Env::new();
    let client = env.client();
    let spec = dns_token(&client, "after-429").await;
    env.fake.add_fault(Fault::new(
        Op::CreateToken,
        FaultKind::RateLimit {
            retry_after_secs: 2,
        },
    ));
    client.create_token(&Owner::User, &spec).await.unwrap();
    assert_eq!(env.sleeper.waits(), [Duration::from_secs(2)]);
    assert_eq!(env.fake.active_tokens_named("after-429").len(), 1);
}

#[tokio::test]
async fn rate_limit_beyond_the_budget_says_when_to_retry() {
    let env = Env::new();
    env.fake.add_fault(Fault::new(
        Op::GetToken,
        FaultKind::RateLimit {
            retry_after_secs: 300,
        },
    ));
    let err = env
        .client()
        .get_token(&Owner::User, &env.fake.bootstrap_token_id())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "rate_limited");
    assert!(!err.maybe_applied());
    let text = env.check(&err);
    assert!(
        text.contains("retry after") && text.contains("in 5m"),
        "{text}"
    );
    assert!(env.sleeper.waits().is_empty(), "gave up without waiting");
}

#[tokio::test]
async fn server_error_on_get_is_retried() {
    let env = Env::new();
    env.fake
        .add_fault(Fault::new(Op::GetToken, FaultKind::server_error()));
    let token = env
        .client()
        .get_token(&Owner::User, &env.fake.bootstrap_token_id())
        .await
        .unwrap();
    assert_eq!(token.id, env.fake.bootstrap_token_id());
    assert_eq!(env.statuses(Op::GetToken), [Some(500), Some(200)]);
    assert_eq!(env.sleeper.waits().len(), 1);
}

#[tokio::test]
async fn persistent_html_500_gives_up_after_max_attempts() {
    let env = Env::new();
    env.fake
        .add_fault(Fault::new(Op::ListTokens, FaultKind::server_error()).times(10));
    let err = env.client().list_tokens(&Owner::User).await.unwrap_err();
    assert_eq!(err.code(), "server_error");
    assert!(!err.maybe_applied());
    let text = env.check(&err);
    assert!(
        text.contains("HTTP 500") && text.contains("3 attempts"),
        "{text}"
    );
    assert_eq!(env.statuses(Op::ListTokens).len(), 3);
}

#[tokio::test]
async fn server_error_on_create_is_not_retried_and_reports_unknown_outcome() {
    let env = Env::new();
    let client = env.client();
    let spec = dns_token(&client, "five-hundred").await;
    env.fake
        .add_fault(Fault::new(Op::CreateToken, FaultKind::server_error()));
    let err = client.create_token(&Owner::User, &spec).await.unwrap_err();
    assert!(err.maybe_applied());
    assert_eq!(err.code(), "outcome_unknown");
    let text = env.check(&err);
    assert!(text.contains("may have been created"), "{text}");
    assert_eq!(env.statuses(Op::CreateToken), [Some(500)]);
    // The fake's 500 really did not create it; the caller reconciles by name.
    assert!(env.fake.active_tokens_named("five-hundred").is_empty());
    assert!(
        !client
            .list_tokens(&Owner::User)
            .await
            .unwrap()
            .iter()
            .any(|t| t.name == "five-hundred")
    );
}

#[tokio::test]
async fn dropped_response_on_create_created_the_token_and_says_maybe_applied() {
    let env = Env::new();
    let client = env.client();
    let spec = dns_token(&client, "dropped").await;
    env.fake
        .add_fault(Fault::new(Op::CreateToken, FaultKind::DropResponse));
    let err = client.create_token(&Owner::User, &spec).await.unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Transport {
                maybe_applied: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), "outcome_unknown");
    env.check(&err);
    assert_eq!(env.statuses(Op::CreateToken), [None]);
    env.fake.wait_idle();
    // It did happen: reconciling by name finds the orphan, whose secret nobody has.
    assert_eq!(env.fake.active_tokens_named("dropped").len(), 1);
    let orphan: Vec<_> = client
        .list_tokens(&Owner::User)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.name == "dropped")
        .collect();
    assert_eq!(orphan.len(), 1);
    assert_eq!(
        client
            .delete_token(&Owner::User, &orphan[0].id)
            .await
            .unwrap(),
        Deletion::Deleted
    );
}

#[tokio::test]
async fn dropped_response_on_delete_is_retried_and_finds_it_gone() {
    let env = Env::new();
    let zone = env.fake.zone_id("example.com").unwrap();
    let minted = env
        .fake
        .mint(TokenSpec::user("old").permission("DNS Read", Resource::Zone(zone)));
    env.fake
        .add_fault(Fault::new(Op::DeleteToken, FaultKind::DropResponse));
    let outcome = env
        .client()
        .delete_token(&Owner::User, &minted.id)
        .await
        .unwrap();
    assert_eq!(outcome, Deletion::AlreadyGone);
    assert_eq!(env.statuses(Op::DeleteToken), [None, Some(404)]);
    assert!(!env.fake.is_active_secret(&minted.secret));
}

#[tokio::test]
async fn stall_past_the_timeout_on_verify_is_retried() {
    let env = Env::new();
    let client = env.client_with(None, Duration::from_secs(1));
    env.fake
        .add_fault(Fault::new(Op::VerifyToken, FaultKind::Stall { secs: 2 }));
    let result = client
        .verify(&secret(&env.fake.bootstrap_token()), None)
        .await
        .unwrap();
    assert_eq!(result.id, env.fake.bootstrap_token_id());
    env.fake.wait_idle();
    assert_eq!(env.statuses(Op::VerifyToken).len(), 2);
}

#[tokio::test]
async fn stall_past_the_timeout_on_roll_is_not_retried_and_the_secret_is_lost() {
    let env = Env::new();
    let zone = env.fake.zone_id("example.com").unwrap();
    let minted = env
        .fake
        .mint(TokenSpec::user("rolled").permission("DNS Read", Resource::Zone(zone)));
    let client = env.client_with(Some(env.bootstrap()), Duration::from_secs(1));
    env.fake
        .add_fault(Fault::new(Op::RollToken, FaultKind::Stall { secs: 2 }));
    let err = client
        .roll_token(&Owner::User, &minted.id)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Timeout {
                maybe_applied: true,
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), "outcome_unknown");
    let text = env.check(&err);
    assert!(text.contains("new one is lost"), "{text}");
    env.fake.wait_idle();
    assert_eq!(env.statuses(Op::RollToken).len(), 1, "sent exactly once");
    // The fake carried it out after the client gave up: the old secret is dead.
    assert!(!env.fake.is_active_secret(&minted.secret));
    let err = client
        .verify(&secret(&minted.secret), None)
        .await
        .unwrap_err();
    assert!(err.token_invalid());
    env.check(&err);
}

#[tokio::test]
async fn unreachable_server_retries_even_create_because_nothing_was_sent() {
    let env = Env::new();
    let spec = dns_token(&env.client(), "unsent").await;
    // A second fake, stopped at once: its port now refuses connections.
    let stopped = FakeCloudflare::start();
    let base = BaseUrl::parse(&stopped.base_url()).unwrap();
    drop(stopped);
    let client = Client::new(
        base,
        Some(env.bootstrap()),
        env.config(Duration::from_secs(2)),
    )
    .unwrap();
    let err = client.create_token(&Owner::User, &spec).await.unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Transport {
                maybe_applied: false,
                attempts: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), "network");
    assert_eq!(env.sleeper.waits().len(), 2);
    let text = env.check(&err);
    assert!(text.contains("could not reach Cloudflare"), "{text}");
    assert!(env.fake.active_tokens_named("unsent").is_empty());
}

// ---------------------------------------------------------------------------------------------
// Credentials and permissions

#[tokio::test]
async fn wrong_credential_is_refused_with_a_useful_code() {
    let env = Env::new();
    let bogus = format!("cfut_{}0123abcd", "a1B2c3D4e5".repeat(4));
    let cred = ManagementCredential::bearer(&secret(&bogus), CredentialSource::TokenEnv).unwrap();
    let client = env.client_with(Some(cred), Duration::from_secs(5));
    let err = client.list_tokens(&Owner::User).await.unwrap_err();
    assert_eq!(err.refusal(), Some(Refusal::NotAuthorized));
    assert_eq!(err.code(), "not_authorized");
    let text = env.check(&err);
    assert!(
        text.contains("CLOUDFLARE_API_TOKEN") && text.contains("not valid"),
        "{text}"
    );
    assert!(!text.contains(&bogus));

    let err = client.verify(&secret(&bogus), None).await.unwrap_err();
    assert_eq!(err.code(), "token_invalid");
    assert_eq!(err.exit(), Exit::NotActive);
}

#[tokio::test]
async fn malformed_credential_is_caught_before_sending() {
    let env = Env::new();
    let err = ManagementCredential::bearer(
        &secret("Bearer abc def"),
        CredentialSource::AuthFile {
            path: "mgmt.sops.yaml".into(),
            key: "token".into(),
        },
    )
    .unwrap_err();
    assert_eq!(err.code(), "bad_credential");
    assert!(env.check(&err).contains("mgmt.sops.yaml"));
    let client = env.client_with(None, Duration::from_secs(5));
    let err = client
        .verify(&secret("not a token"), None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "bad_credential");
    assert_eq!(err.exit(), Exit::NotActive);
    assert!(env.fake.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn missing_permission_names_the_credential_and_the_fix() {
    let env = Env::new();
    let zone = env.fake.zone_id("example.com").unwrap();
    let weak = env
        .fake
        .mint(TokenSpec::user("dns-only").permission("DNS Write", Resource::Zone(zone)));
    let spec = dns_token(&env.client(), "wanted").await;
    for (source, named) in [
        (CredentialSource::TokenEnv, "CLOUDFLARE_API_TOKEN"),
        (CredentialSource::StoredToken, "the stored token"),
    ] {
        let cred = ManagementCredential::bearer(&secret(&weak.secret), source).unwrap();
        let client = env.client_with(Some(cred), Duration::from_secs(5));
        let err = client.create_token(&Owner::User, &spec).await.unwrap_err();
        assert_eq!(err.code(), "missing_permission");
        assert!(!err.maybe_applied());
        let text = env.check(&err);
        assert!(text.contains("Authentication error (code 10000)"), "{text}");
        let hint = err.hint().unwrap();
        assert!(hint.starts_with(named), "{hint}");
        assert!(
            hint.contains("API Tokens Write") && hint.contains("--auth-file"),
            "{hint}"
        );
        let err = client.roll_token(&Owner::User, &weak.id).await.unwrap_err();
        assert_eq!(err.code(), "missing_permission");
        env.check(&err);
    }
    assert!(env.fake.active_tokens_named("wanted").is_empty());
}

#[tokio::test]
async fn quota_exceeded_is_recognised() {
    let env = Env::new();
    let client = env.client();
    let spec = dns_token(&client, "one-too-many").await;
    let zone = env.fake.zone_id("example.com").unwrap();
    for i in 0..50 {
        env.fake.mint(
            TokenSpec::user(&format!("fill-{i}"))
                .permission("DNS Read", Resource::Zone(zone.clone())),
        );
    }
    let err = client.create_token(&Owner::User, &spec).await.unwrap_err();
    assert_eq!(err.code(), "quota_exceeded");
    assert!(env.check(&err).contains("50"));
}

#[tokio::test]
async fn resources_beyond_the_owner_are_not_authorized() {
    let env = Env::new();
    let client = env.client();
    let mut spec = dns_token(&client, "elsewhere").await;
    let groups = client
        .permission_groups(&Owner::User, &PermissionGroupFilter::default())
        .await
        .unwrap();
    let perms = resolve_all(
        &["DNS Write"],
        &groups,
        ScopeContext {
            zones: true,
            accounts: false,
        },
    )
    .unwrap();
    spec.policies = build_policies(&perms, &["0".repeat(32)], &[], None).unwrap();
    let err = client.create_token(&Owner::User, &spec).await.unwrap_err();
    assert_eq!(err.code(), "not_authorized");
    let text = env.check(&err);
    assert!(text.contains("cannot grant more"), "{text}");
}
