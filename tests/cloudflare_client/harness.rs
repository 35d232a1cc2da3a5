//! The test harness: a fake per test, a recording sleeper, a process-wide log capture, and the
//! secret-leak checks every test runs on its errors and, on drop, on every log line.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use cfsecret::cloudflare::{
    ApiError, BaseUrl, Client, ClientConfig, CredentialSource, ManagementCredential, NewToken,
    Owner, PermissionGroupFilter, RetryPolicy, Sleeper,
};
use cfsecret::error::Diagnose;
use cfsecret::permissions::policy::build_policies;
use cfsecret::permissions::presets::Preset;
use fake_cloudflare::{FakeCloudflare, Op};
use secrecy::SecretString;

/// Records every wait instead of sleeping.
#[derive(Debug, Default)]
pub struct Recorder(Mutex<Vec<Duration>>);

impl Recorder {
    pub fn waits(&self) -> Vec<Duration> {
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

pub static LOG: OnceLock<Mutex<Vec<String>>> = OnceLock::new();

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

pub struct Env {
    pub fake: FakeCloudflare,
    pub sleeper: Arc<Recorder>,
}

impl Env {
    pub fn new() -> Self {
        Self::with(fake_cloudflare::Config::default())
    }

    /// A fake with these settings (e.g. `Strict` switches).
    pub fn with(config: fake_cloudflare::Config) -> Self {
        capture_logs();
        Self {
            fake: FakeCloudflare::start_with(config),
            sleeper: Arc::default(),
        }
    }

    /// A client acting as `secret`, 5 s timeout.
    pub fn client_as(&self, secret: &str) -> Client {
        let cred =
            ManagementCredential::bearer(&SecretString::from(secret), CredentialSource::TokenEnv)
                .unwrap();
        self.client_with(Some(cred), Duration::from_secs(5))
    }

    pub fn config(&self, timeout: Duration) -> ClientConfig {
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

    pub fn base(&self) -> BaseUrl {
        BaseUrl::parse(&self.fake.base_url()).unwrap()
    }

    pub fn bootstrap(&self) -> ManagementCredential {
        ManagementCredential::bearer(
            &SecretString::from(self.fake.bootstrap_token()),
            CredentialSource::TokenEnv,
        )
        .unwrap()
    }

    /// A client with the bootstrap token (API Tokens Write) and a 5 s timeout.
    pub fn client(&self) -> Client {
        self.client_with(Some(self.bootstrap()), Duration::from_secs(5))
    }

    pub fn client_with(&self, cred: Option<ManagementCredential>, timeout: Duration) -> Client {
        Client::new(self.base(), cred, self.config(timeout)).unwrap()
    }

    /// How many requests of `op` the fake saw, and their statuses.
    pub fn statuses(&self, op: Op) -> Vec<Option<u16>> {
        self.fake
            .requests()
            .into_iter()
            .filter(|r| r.op == Some(op))
            .map(|r| r.status)
            .collect()
    }

    /// Fails if any secret the fake ever issued, or the Global API Key, appears in `text`.
    #[track_caller]
    pub fn assert_no_secret(&self, text: &str) {
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
    pub fn check(&self, e: &ApiError) -> String {
        let text = format!("{e}\n{e:?}\n{}", e.hint().unwrap_or_default());
        self.assert_no_secret(&text);
        text
    }

    /// Checks every log line captured so far.
    pub fn check_logs(&self) {
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
pub async fn dns_token(client: &Client, name: &str) -> NewToken {
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

pub fn secret(s: &str) -> SecretString {
    SecretString::from(s)
}

// The harness's own checks are not vacuous.

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
