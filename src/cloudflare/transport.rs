//! Sending one API call: authentication headers, the per-attempt timeout, the retry loop, logging,
//! and turning an HTTP answer into a parsed result or an [`ApiError`].
//!
//! Logging is at debug level and carries method, path, status, attempt and elapsed time only:
//! never a header, never a body.

use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use super::base_url::BaseUrl;
use super::body::{self, SecretBytes};
use super::credential::{Credential, CredentialSource, ManagementCredential, ShapeProblem};
use super::envelope::{self, ApiMessage, ResultInfo, SuccessProblem};
use super::error::ApiError;
use super::op::Op;
use super::retry::{self, Decision, Outcome, RetryPolicy, Sleeper, State, TokioSleeper};

/// Settings of a [`super::Client`].
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Timeouts and retries.
    pub retry: RetryPolicy,
    /// How to wait between attempts.
    pub sleeper: Arc<dyn Sleeper>,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// The largest response body read (the permission-group list is about 100 KB).
    pub max_body: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            sleeper: Arc::new(TokioSleeper),
            user_agent: concat!("cfsecret/", env!("CARGO_PKG_VERSION")).to_owned(),
            max_body: 16 * 1024 * 1024,
        }
    }
}

/// reqwest is built with `rustls-no-provider`; ring is installed as the process default once.
/// If something else installed a provider first, that one is used: any provider is fine.
pub(crate) fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _already_installed = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Request headers that authenticate as `credential`, with the secret ones marked sensitive so
/// that no `Debug` of a request or header map prints them.
pub(crate) fn auth_headers(
    credential: &Credential,
    source: &CredentialSource,
) -> Result<HeaderMap, ApiError> {
    let bad = |problem| ApiError::BadCredentialShape {
        source: source.clone(),
        problem,
    };
    let mut headers = HeaderMap::new();
    match credential {
        Credential::Bearer(token) => {
            let secret = token.expose_secret();
            // Built in a zeroizing buffer sized up front, so no reallocation leaves a copy.
            let mut value = Zeroizing::new(String::with_capacity(7 + secret.len()));
            value.push_str("Bearer ");
            value.push_str(secret);
            let mut v = HeaderValue::from_str(&value).map_err(|_| bad(ShapeProblem::NotToken68))?;
            v.set_sensitive(true);
            headers.insert(AUTHORIZATION, v);
        }
        Credential::GlobalKey { email, key } => {
            let e = HeaderValue::from_str(email).map_err(|_| bad(ShapeProblem::BadEmail))?;
            let mut k = HeaderValue::from_str(key.expose_secret())
                .map_err(|_| bad(ShapeProblem::BadGlobalKey))?;
            k.set_sensitive(true);
            headers.insert(HeaderName::from_static("x-auth-email"), e);
            headers.insert(HeaderName::from_static("x-auth-key"), k);
        }
    }
    Ok(headers)
}

/// Who authenticates a call: the prepared headers, the source for messages, and the secret to
/// redact from whatever the server says.
pub(crate) struct Auth<'a> {
    pub headers: &'a HeaderMap,
    pub source: &'a CredentialSource,
    pub secret: &'a SecretString,
}

impl<'a> Auth<'a> {
    pub(crate) fn management(m: &'a (ManagementCredential, HeaderMap)) -> Self {
        Self {
            headers: &m.1,
            source: m.0.source(),
            secret: m.0.secret(),
        }
    }
}

/// One API call.
pub(crate) struct Call<'a> {
    pub op: Op,
    pub method: Method,
    pub url: Url,
    /// JSON; never secret (token bodies hold names, ids and CIDRs).
    pub body: Option<Vec<u8>>,
    pub auth: Auth<'a>,
    pub token_id: Option<&'a str>,
}

/// A final HTTP answer (2xx, or a 4xx other than 408/429).
pub(crate) struct Reply {
    pub status: u16,
    pub body: SecretBytes,
}

enum Attempt {
    Response {
        status: u16,
        retry_after: Option<Duration>,
        body: SecretBytes,
    },
    NotSent(String),
    TimedOut,
    Broken(String),
}

/// The HTTP machinery shared by all calls of a client. Cloning shares the connection pool
/// (`reqwest::Client` is a handle), so one run keeps one TLS connection however many
/// credentials it acts with.
#[derive(Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
    pub(crate) base: BaseUrl,
    pub(crate) config: ClientConfig,
}

impl Transport {
    pub(crate) fn new(base: BaseUrl, config: ClientConfig) -> Result<Self, ApiError> {
        install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            // A redirect could carry the credential elsewhere; the API never needs one.
            .redirect(reqwest::redirect::Policy::none())
            // Every retry decision is made in retry.rs, where the operation is known.
            .retry(reqwest::retry::never())
            // A connect timeout shorter than the attempt timeout classifies a dead host as "not
            // sent" (safe to retry) rather than "timed out" (outcome unknown).
            .connect_timeout(
                config
                    .retry
                    .timeout
                    .mul_f32(0.8)
                    .min(Duration::from_secs(10)),
            );
        if base.is_loopback() {
            builder = builder.no_proxy();
        }
        let http = builder.build().map_err(|e| ApiError::ClientInit {
            detail: root_cause(&e),
        })?;
        Ok(Self { http, base, config })
    }

    /// Sends `call`, retrying as retry.rs decides. Returns the final answer, or an error for
    /// transport failures, 5xx after retries and an exhausted 429 budget.
    pub(crate) async fn execute(&self, call: &Call<'_>) -> Result<Reply, ApiError> {
        let mut state = State::default();
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let started = Instant::now();
            let attempt = self.attempt(call).await?;
            let elapsed = started.elapsed().as_millis();
            let (outcome, label) = match &attempt {
                Attempt::Response {
                    status,
                    retry_after,
                    ..
                } => (
                    match status {
                        429 => Outcome::RateLimited(*retry_after),
                        408 | 500..=599 => Outcome::ServerError,
                        _ => Outcome::Final,
                    },
                    status.to_string(),
                ),
                Attempt::NotSent(_) => (Outcome::NotSent, "not sent".to_owned()),
                Attempt::TimedOut => (Outcome::TimedOut, "timed out".to_owned()),
                Attempt::Broken(_) => (Outcome::Broken, "connection broken".to_owned()),
            };
            log::debug!(
                "cloudflare: {} {} -> {label} (attempt {attempts}, {elapsed} ms)",
                call.method,
                path_and_query(&call.url),
            );
            match outcome {
                Outcome::RateLimited(_) => state.rate_limited += 1,
                Outcome::Final => {}
                _ => state.failures += 1,
            }
            match retry::decide(call.op, outcome, &state, &self.config.retry) {
                Decision::Retry { wait, rate_limited } => {
                    let wait = if rate_limited {
                        state.rate_waited += wait;
                        wait
                    } else {
                        retry::jitter(wait)
                    };
                    log::debug!(
                        "cloudflare: retrying {} in {} ms",
                        call.op,
                        wait.as_millis()
                    );
                    self.config.sleeper.sleep(wait).await;
                }
                Decision::RateLimitExhausted { retry_after } => {
                    return Err(ApiError::RateLimited {
                        op: call.op,
                        waited: state.rate_waited,
                        retry_after,
                        retry_at: retry_after.and_then(|d| Timestamp::now().checked_add(d).ok()),
                    });
                }
                Decision::Stop => return self.stop(call, attempt, attempts),
            }
        }
    }

    fn stop(&self, call: &Call<'_>, attempt: Attempt, attempts: u32) -> Result<Reply, ApiError> {
        let op = call.op;
        let token_id = call.token_id.map(str::to_owned);
        let maybe_applied = !op.idempotent();
        Err(match attempt {
            Attempt::Response { status, body, .. } if status == 408 || status >= 500 => {
                ApiError::ServerError {
                    op,
                    token_id,
                    status,
                    errors: redacted(envelope::parse_failure(body.as_slice()).errors, &call.auth),
                    attempts,
                    maybe_applied,
                }
            }
            Attempt::Response { status, body, .. } => return Ok(Reply { status, body }),
            Attempt::NotSent(detail) => ApiError::Transport {
                op,
                token_id,
                detail,
                attempts,
                maybe_applied: false,
            },
            Attempt::TimedOut => ApiError::Timeout {
                op,
                token_id,
                after: self.config.retry.timeout,
                attempts,
                maybe_applied,
            },
            Attempt::Broken(detail) => ApiError::Transport {
                op,
                token_id,
                detail,
                attempts,
                maybe_applied,
            },
        })
    }

    async fn attempt(&self, call: &Call<'_>) -> Result<Attempt, ApiError> {
        let mut request = self
            .http
            .request(call.method.clone(), call.url.clone())
            .headers(call.auth.headers.clone())
            .header(ACCEPT, "application/json");
        if let Some(body) = &call.body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let limit = self.config.max_body;
        let exchange = async {
            let response = request.send().await.map_err(|e| {
                if e.is_connect() {
                    Attempt::NotSent(root_cause(&e))
                } else if e.is_timeout() {
                    Attempt::TimedOut
                } else {
                    Attempt::Broken(root_cause(&e))
                }
            })?;
            let status = response.status().as_u16();
            let retry_after = if status == 429 {
                retry::retry_after(response.headers(), Timestamp::now())
            } else {
                None
            };
            match body::read(response, limit).await {
                Ok(Ok(body)) => Ok(Ok(Attempt::Response {
                    status,
                    retry_after,
                    body,
                })),
                Ok(Err(body::TooLarge)) => Ok(Err(status)),
                Err(e) if e.is_timeout() => Err(Attempt::TimedOut),
                Err(e) => Err(Attempt::Broken(root_cause(&e))),
            }
        };
        match tokio::time::timeout(self.config.retry.timeout, exchange).await {
            Err(_elapsed) => Ok(Attempt::TimedOut),
            Ok(Err(attempt)) => Ok(attempt),
            Ok(Ok(Ok(attempt))) => Ok(attempt),
            Ok(Ok(Err(status))) => Err(ApiError::Malformed {
                op: call.op,
                token_id: call.token_id.map(str::to_owned),
                status,
                what: format!("the body is larger than {} bytes", limit),
            }),
        }
    }

    /// Parses a 2xx answer's `result` as `T`; anything else becomes the matching error.
    pub(crate) fn parse<T: DeserializeOwned>(
        &self,
        call: &Call<'_>,
        reply: &Reply,
    ) -> Result<(T, Option<ResultInfo>), ApiError> {
        match self.parse_nullable::<T>(call, reply)? {
            (Some(r), info) => Ok((r, info)),
            (None, _) => Err(ApiError::Malformed {
                op: call.op,
                token_id: call.token_id.map(str::to_owned),
                status: reply.status,
                what: "the response has no `result`".to_owned(),
            }),
        }
    }

    /// [`Transport::parse`] where `result` may be `null` (list pages, DELETE).
    pub(crate) fn parse_nullable<T: DeserializeOwned>(
        &self,
        call: &Call<'_>,
        reply: &Reply,
    ) -> Result<(Option<T>, Option<ResultInfo>), ApiError> {
        if !(200..300).contains(&reply.status) {
            return Err(refused(call, reply));
        }
        envelope::parse_success_nullable::<T>(reply.body.as_slice(), !call.op.returns_secret())
            .map_err(|problem| match problem {
                SuccessProblem::NotSuccessful(errors) => ApiError::Refused {
                    op: call.op,
                    token_id: call.token_id.map(str::to_owned),
                    status: reply.status,
                    errors: redacted(errors, &call.auth),
                    not_json: None,
                    credential: call.auth.source.clone(),
                },
                SuccessProblem::Malformed(what) => ApiError::Malformed {
                    op: call.op,
                    token_id: call.token_id.map(str::to_owned),
                    status: reply.status,
                    what,
                },
            })
    }
}

/// The refusal a non-2xx final answer stands for.
pub(crate) fn refused(call: &Call<'_>, reply: &Reply) -> ApiError {
    let failure = envelope::parse_failure(reply.body.as_slice());
    ApiError::Refused {
        op: call.op,
        token_id: call.token_id.map(str::to_owned),
        status: reply.status,
        errors: redacted(failure.errors, &call.auth),
        not_json: failure.not_json,
        credential: call.auth.source.clone(),
    }
}

fn redacted(mut errors: Vec<ApiMessage>, auth: &Auth<'_>) -> Vec<ApiMessage> {
    for e in &mut errors {
        e.redact(auth.secret.expose_secret());
    }
    errors
}

/// The innermost cause of a reqwest error ("Connection refused (os error 111)"), without the URL
/// reqwest's own message carries.
fn root_cause(e: &reqwest::Error) -> String {
    let mut cur: &dyn std::error::Error = e;
    let mut deepest = None;
    while let Some(next) = cur.source() {
        deepest = Some(next);
        cur = next;
    }
    let text = match deepest {
        Some(cause) => cause.to_string(),
        None if e.is_connect() => "could not connect".to_owned(),
        None if e.is_timeout() => "timed out".to_owned(),
        None if e.is_body() || e.is_decode() => "the response body could not be read".to_owned(),
        None => "the request failed".to_owned(),
    };
    envelope::sanitize(&text)
}

fn path_and_query(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}
