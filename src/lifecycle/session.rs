//! A Cloudflare session for one command: the runtime, the base URL, timeouts, the owner of the
//! tokens, and the management credential found in the contract's order.

use std::future::Future;

use secrecy::SecretString;

use crate::cli::args::{GlobalArgs, KeyringBackend};
use crate::cloudflare::{
    ApiError, BaseUrl, Client, ClientConfig, Credential, CredentialSource, ManagementCredential,
    Owner,
};
use crate::error::Error;
use crate::sops::KeyPath;
use crate::store::SopsStore;

/// Where the management credential may come from, besides the environment.
#[derive(Debug, Clone, Default)]
pub struct AuthSource {
    /// `--auth-file` and `--auth-key`.
    pub file: Option<(std::path::PathBuf, String)>,
    /// `--auth-keyring`.
    pub keyring: Option<String>,
    /// `--keyring-backend` (commands without it read `CFSECRET_KEYRING_BACKEND` themselves).
    pub keyring_backend: Option<KeyringBackend>,
}

impl From<&crate::cli::args::AuthArgs> for AuthSource {
    fn from(a: &crate::cli::args::AuthArgs) -> Self {
        Self {
            file: a.auth_file.clone().zip(a.auth_key.clone()),
            keyring: a.auth_keyring.clone(),
            keyring_backend: None,
        }
    }
}

impl AuthSource {
    /// The same, with the command's `--keyring-backend` (which also serves `--auth-keyring`).
    pub fn with_backend(mut self, backend: Option<KeyringBackend>) -> Self {
        self.keyring_backend = backend;
        self
    }
}

/// `CFSECRET_KEYRING_BACKEND`, for commands that have no `--keyring-backend` flag.
fn backend_from_env() -> Result<Option<KeyringBackend>, Error> {
    use clap::ValueEnum;
    match std::env::var("CFSECRET_KEYRING_BACKEND") {
        Ok(v) if !v.is_empty() => KeyringBackend::from_str(&v, false).map(Some).map_err(|_| {
            crate::error::UsageError::new(format!(
                "CFSECRET_KEYRING_BACKEND={v:?} is not a keyring backend"
            ))
            .with_hint("use secret-service, keyutils, keychain or credential-manager")
            .into()
        }),
        _ => Ok(None),
    }
}

/// One command's connection to Cloudflare.
pub struct Session {
    runtime: tokio::runtime::Runtime,
    /// The one HTTP client of the run (no credential); every [`Session::client`] shares its
    /// connection pool.
    http: Client,
    /// User-owned, or the `--account-id` account's tokens.
    pub owner: Owner,
    /// `--account-id`, also used to verify account-owned tokens.
    pub account_id: Option<String>,
}

impl Session {
    /// A session for `--account-id` (if any), with the global `--timeout`.
    pub fn new(global: &GlobalArgs, account_id: Option<&str>) -> Result<Self, Error> {
        let base = BaseUrl::from_env()?;
        let mut config = ClientConfig::default();
        config.retry.timeout = global.timeout;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                crate::store::StoreError::io(
                    "start the async runtime for",
                    std::path::Path::new("cfsecret"),
                    e,
                )
            })?;
        let http = Client::new(base, None, config)?;
        Ok(Self {
            runtime,
            http,
            owner: account_id.map_or(Owner::User, Owner::account),
            account_id: account_id.map(|a| a.trim().to_ascii_lowercase()),
        })
    }

    /// Runs a future to completion.
    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// A client acting with `credential` (or none: verify only).
    pub fn client(&self, credential: Option<ManagementCredential>) -> Result<Client, Error> {
        Ok(self.http.with_credential(credential)?)
    }

    /// A client acting as `token` (the stored token, which may hold API Tokens Write).
    pub fn client_as(
        &self,
        token: &SecretString,
        source: CredentialSource,
    ) -> Result<Client, Error> {
        self.client(Some(ManagementCredential::bearer(token, source)?))
    }
}

/// The management credential in the contract's order: `--auth-file`/`--auth-keyring`, then
/// `CLOUDFLARE_API_TOKEN`, then `CLOUDFLARE_EMAIL` + `CLOUDFLARE_API_KEY`. `None` when none is
/// set (roll and rotate then fall back to the stored token itself).
pub fn management_credential(auth: &AuthSource) -> Result<Option<ManagementCredential>, Error> {
    // `--auth-stdin` ranks first (its conflicts with --auth-file/--auth-keyring are checked
    // before the command runs).
    if let Some(c) = crate::commands::auth_stdin::credential()? {
        return Ok(Some(c));
    }
    if let Some((path, key)) = &auth.file {
        let kp = KeyPath::parse(key).map_err(|e| crate::error::UsageError::new(e.to_string()))?;
        let token = SopsStore::new(path, kp, None).read_required()?;
        let source = CredentialSource::AuthFile {
            path: path.clone(),
            key: key.clone(),
        };
        return Ok(Some(ManagementCredential::bearer(&token, source)?));
    }
    if let Some(entry) = &auth.keyring {
        let backend = match auth.keyring_backend {
            Some(b) => Some(b),
            None => backend_from_env()?,
        };
        let token = crate::store::keyring_read_required(entry, backend)?;
        let source = CredentialSource::AuthKeyring {
            entry: entry.clone(),
        };
        return Ok(Some(ManagementCredential::bearer(&token, source)?));
    }
    Ok(Credential::from_env()?)
}

/// The error for an operation that needs a management credential and found none.
pub fn no_credential(op: crate::cloudflare::Op) -> Error {
    ApiError::NoCredential { op }.into()
}
