//! What a fake instance starts with: who the user is, which accounts and
//! zones exist, quotas, and the behaviour switches the reference leaves open.

use std::net::{Ipv4Addr, SocketAddr};

use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub struct Config {
    /// Must be a loopback address; port 0 picks a free port.
    pub listen: SocketAddr,
    pub user_id: String,
    pub email: String,
    /// `None`: a random 37-hex key (the pre-2026 Global API Key shape).
    pub global_api_key: Option<String>,
    /// `(name, id)`; the first one is the default account.
    pub accounts: Vec<(String, String)>,
    /// `(name, id)`; every zone belongs to the default account.
    pub zones: Vec<(String, String)>,
    pub user_token_quota: usize,
    pub account_token_quota: usize,
    /// Verify answers 401/1000 for disabled, expired and revoked tokens
    /// instead of 200 with that status. The live behaviour is unknown, so
    /// clients must cope with both.
    pub verify_inactive_as_401: bool,
    /// One line per API request on stderr: method, path, status. Never
    /// headers, bodies or query strings.
    pub log_requests: bool,
    /// How strictly the fake follows the live API (see `Strict`).
    pub strict: crate::strict::Strict,
    /// Serve over TLS with this identity (`base_url()` is then `https://`).
    pub tls: Option<crate::tls::TlsIdentity>,
}

pub const DEFAULT_USER_ID: &str = "7c5dae5552338874e5053f2534d2767a";
pub const DEFAULT_ACCOUNT_ID: &str = "01a7362d577a6c3019a474fd6f485823";
pub const DEFAULT_ACCOUNT_NAME: &str = "Example Account";

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            user_id: DEFAULT_USER_ID.into(),
            email: "user@example.com".into(),
            global_api_key: None,
            accounts: vec![(DEFAULT_ACCOUNT_NAME.into(), DEFAULT_ACCOUNT_ID.into())],
            zones: vec![
                (
                    "example.com".into(),
                    "023e105f4ecef8ad9ca31a8372d0c353".into(),
                ),
                (
                    "example.org".into(),
                    "3c8f2a0e6b1d4e5f9a7c0b2d4e6f8a1c".into(),
                ),
                (
                    "cell-v0.example.net".into(),
                    "9f2c1a8b7d6e4f30a1b2c3d4e5f60718".into(),
                ),
            ],
            user_token_quota: 50,
            account_token_quota: 500,
            verify_inactive_as_401: false,
            log_requests: false,
            strict: crate::strict::Strict::default(),
            tls: None,
        }
    }
}

impl Config {
    /// Replaces the zones with `names`, each with an id derived from its name,
    /// so the same name gets the same id on every run (handy for walk-throughs).
    pub fn with_zone_names<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.zones = names
            .into_iter()
            .map(|n| {
                let n = n.into();
                let id = derived_zone_id(&n);
                (n, id)
            })
            .collect();
        self
    }
}

pub fn derived_zone_id(name: &str) -> String {
    let digest = Sha256::digest(format!("fake-cloudflare zone {name}").as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}
