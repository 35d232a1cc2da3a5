//! `FakeCloudflare`: a running fake in a background thread with its own
//! tokio runtime, and the synchronous API tests drive it with.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::app::App;
use crate::clock::format_ts;
use crate::config::Config;
use crate::faults::Fault;
use crate::journal::{RequestRecord, lock};
use crate::server;
use crate::spec::{Minted, TokenInfo, TokenSpec};

/// How long `wait_idle` waits before it fails the test.
const WAIT_IDLE_LIMIT: Duration = Duration::from_secs(60);

pub struct FakeCloudflare {
    app: Arc<App>,
    addr: SocketAddr,
    scheme: &'static str,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeCloudflare {
    /// `Config::default()` on `127.0.0.1:<free port>`. Panics if it cannot bind.
    pub fn start() -> Self {
        Self::start_with(Config::default())
    }

    pub fn start_with(config: Config) -> Self {
        Self::try_start_with(config).expect("fake-cloudflare failed to start")
    }

    /// Binds before returning, so the port is known and in use. Only
    /// loopback addresses are accepted: the fake has no business on a network.
    pub fn try_start_with(config: Config) -> io::Result<Self> {
        if !config.listen.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "refusing to listen on non-loopback address {}",
                    config.listen
                ),
            ));
        }
        let listener = std::net::TcpListener::bind(config.listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let tls = config.tls.as_ref().map(crate::tls::acceptor).transpose()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let app = Arc::new(App::new(&config));
        let (tx, rx) = oneshot::channel();
        let served = Arc::clone(&app);
        let thread = std::thread::Builder::new()
            .name(format!("fake-cloudflare {addr}"))
            .spawn(move || {
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => server::serve(l, served, rx, tls).await,
                        Err(e) => eprintln!("fake-cloudflare: {e}"),
                    }
                });
                // Stalled requests still sleeping are abandoned, not awaited.
                runtime.shutdown_background();
            })?;
        Ok(FakeCloudflare {
            app,
            addr,
            scheme,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/client/v4` (`https://` with `Config::tls`)
    pub fn base_url(&self) -> String {
        format!("{}://{}{}", self.scheme, self.addr, server::API_PREFIX)
    }

    /// `http://127.0.0.1:PORT/__fake` (`https://` with `Config::tls`)
    pub fn control_url(&self) -> String {
        format!("{}://{}{}", self.scheme, self.addr, server::CONTROL_PREFIX)
    }

    /// The secret of the user token "bootstrap": API Tokens Write on the
    /// user, Zone Read on all zones, Account API Tokens Write and Account
    /// Settings Read on the default account.
    pub fn bootstrap_token(&self) -> String {
        self.app.bootstrap.secret.clone()
    }

    pub fn bootstrap_token_id(&self) -> String {
        self.app.bootstrap.id.clone()
    }

    /// The secret of the user token "minimal-manager": only API Tokens Write on the user (no
    /// Zone Read, no account permission), as the README once described the management token.
    /// Minted on first use (it is not in `tokens()` before).
    pub fn minimal_manager_token(&self) -> String {
        self.app.minimal_manager()
    }

    /// TCP connections accepted since start (control plane included).
    pub fn connections(&self) -> usize {
        self.app
            .connections
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn user_id(&self) -> String {
        lock(&self.app.state).dir.user_id.clone()
    }

    /// The default (first) account.
    pub fn account_id(&self) -> String {
        lock(&self.app.state).dir.default_account().id.clone()
    }

    pub fn zone_id(&self, name: &str) -> Option<String> {
        let st = lock(&self.app.state);
        st.dir
            .zones
            .iter()
            .find(|z| z.name == name)
            .map(|z| z.id.clone())
    }

    /// `(email, key)` for `X-Auth-Email` / `X-Auth-Key`.
    pub fn global_api_key(&self) -> (String, String) {
        let st = lock(&self.app.state);
        (st.dir.email.clone(), st.dir.global_api_key.clone())
    }

    /// Creates a token directly (no HTTP, no quota). Panics if the spec is
    /// invalid, as the API would refuse it.
    pub fn mint(&self, spec: TokenSpec) -> Minted {
        self.app
            .mint(&spec)
            .unwrap_or_else(|e| panic!("fake-cloudflare: cannot mint {:?}: {e}", spec.name))
    }

    /// Panics on an unknown id, like the other id-taking helpers.
    pub fn set_status(&self, id: &str, status: &str) {
        assert!(self.app.set_status(id, status), "no token {id}");
    }

    pub fn delete(&self, id: &str) {
        assert!(self.app.delete(id), "no token {id}");
    }

    /// Moves `issued_on` and `modified_on` `secs` into the past.
    /// Sets `modified_on` to now, as an edit in the dashboard would. Panics on an unknown id.
    pub fn touch(&self, id: &str) {
        assert!(self.app.touch(id), "no token {id}");
    }

    pub fn backdate(&self, id: &str, secs: u64) {
        assert!(self.app.backdate(id, secs), "no token {id}");
    }

    /// Moves the fake's clock (negative goes back).
    pub fn advance_clock(&self, secs: i64) {
        self.app.clock.advance(secs);
    }

    /// The fake's current time, Unix seconds.
    pub fn now(&self) -> i64 {
        self.app.now()
    }

    /// RFC 3339 for `now() + offset_secs`, for `expires_on`/`not_before`.
    pub fn timestamp(&self, offset_secs: i64) -> String {
        format_ts(self.app.now() + offset_secs)
    }

    pub fn tokens(&self) -> Vec<TokenInfo> {
        self.app.tokens(None, false)
    }

    pub fn token(&self, id: &str) -> Option<TokenInfo> {
        self.app.token(id)
    }

    /// Which token this secret authenticates as now, whatever its status.
    pub fn token_for_secret(&self, secret: &str) -> Option<TokenInfo> {
        self.app.token_for_secret(secret)
    }

    /// Authenticates, status active, not expired, past `not_before`.
    pub fn is_active_secret(&self, secret: &str) -> bool {
        self.app.is_active_secret(secret)
    }

    /// Tokens with this name for which `is_active_secret` would hold.
    pub fn active_tokens_named(&self, name: &str) -> Vec<TokenInfo> {
        self.app.tokens(Some(name), true)
    }

    /// Every secret ever minted or rolled, including the bootstrap token's.
    pub fn issued_secrets(&self) -> Vec<String> {
        self.app.issued_secrets()
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        self.app.journal.records()
    }

    pub fn clear_requests(&self) {
        self.app.journal.clear();
    }

    /// Blocks until no API request is in flight (a stalled request counts
    /// until it has been carried out). Panics after 60 s.
    pub fn wait_idle(&self) {
        assert!(
            self.app.journal.wait_idle(WAIT_IDLE_LIMIT),
            "fake-cloudflare: requests still in flight after {WAIT_IDLE_LIMIT:?}"
        );
    }

    pub fn add_fault(&self, fault: Fault) {
        lock(&self.app.faults).add(fault);
    }

    pub fn clear_faults(&self) {
        lock(&self.app.faults).clear();
    }

    /// Faults not yet spent.
    pub fn pending_faults(&self) -> Vec<Fault> {
        lock(&self.app.faults).pending()
    }
}

impl Drop for FakeCloudflare {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    /// Tests share one fake across threads (e.g. behind an `Arc`).
    #[test]
    fn handle_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<super::FakeCloudflare>();
    }
}
