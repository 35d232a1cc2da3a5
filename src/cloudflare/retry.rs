//! When to send a request again, and how long to wait first.
//!
//! The rules (contract invariant 6):
//! - the request never left (connect error): safe to retry, whatever the operation;
//! - 429: Cloudflare rejected the request without acting on it, so any operation may be retried
//!   after `Retry-After`, as long as the total wait stays within a budget;
//! - 5xx, 408, a timeout, or a connection that broke after the request was sent: retried with
//!   exponential backoff only for idempotent operations (reads, verify, delete). For create,
//!   update and roll the outcome is unknown and the caller must reconcile, so they are never sent
//!   twice.
//!
//! [`decide`] is pure, so these rules are unit-tested without a server; waiting goes through the
//! injectable [`Sleeper`], so tests can record the waits instead of sleeping through them.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use jiff::Timestamp;
use reqwest::header::HeaderMap;

use super::op::Op;

/// Retry and timeout settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Per attempt, from sending to the last byte of the body.
    pub timeout: Duration,
    /// Attempts in all for failures other than 429 (connect errors; 5xx and timeouts of
    /// idempotent calls). 1 means no retry.
    pub max_attempts: u32,
    /// First backoff; doubled on every further failure.
    pub backoff_base: Duration,
    /// Longest single backoff.
    pub backoff_max: Duration,
    /// Total time spent waiting out 429s before giving up.
    pub rate_limit_budget: Duration,
    /// Most 429s answered with a retry, so that `Retry-After: 0` cannot loop forever.
    pub max_rate_limit_retries: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            max_attempts: 4,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(8),
            rate_limit_budget: Duration::from_secs(120),
            max_rate_limit_retries: 10,
        }
    }
}

/// What one attempt came to, as far as retrying is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A response that is final: 2xx, or a 4xx other than 408/429.
    Final,
    /// 429, with the wait the server asked for, if it said.
    RateLimited(Option<Duration>),
    /// 5xx or 408.
    ServerError,
    /// The connection could not be made; the request was not sent.
    NotSent,
    /// No complete answer within the timeout; the request may have been processed.
    TimedOut,
    /// The connection broke after the request may have been sent.
    Broken,
}

/// What to do after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Hand the response (or error) to the caller.
    Stop,
    /// Wait this long (before jitter for backoffs), then send again.
    Retry { wait: Duration, rate_limited: bool },
    /// A 429 whose wait would exceed the budget: give up now and say when to come back.
    RateLimitExhausted { retry_after: Option<Duration> },
}

/// Counters carried across the attempts of one call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct State {
    /// Failures other than 429 so far (including this one when deciding).
    pub failures: u32,
    /// 429s so far (including this one when deciding).
    pub rate_limited: u32,
    /// Time already spent waiting out 429s.
    pub rate_waited: Duration,
}

/// Decides what to do after an attempt of `op` ended in `outcome`. `state` already counts this
/// attempt.
pub fn decide(op: Op, outcome: Outcome, state: &State, policy: &RetryPolicy) -> Decision {
    match outcome {
        Outcome::Final => Decision::Stop,
        Outcome::RateLimited(asked) => {
            let wait = asked
                .unwrap_or_else(|| backoff(state.rate_limited, policy))
                // Never hammer: even "Retry-After: 0" waits a little.
                .max(policy.backoff_base.min(Duration::from_millis(100)));
            if state.rate_limited > policy.max_rate_limit_retries
                || state.rate_waited + wait > policy.rate_limit_budget
            {
                Decision::RateLimitExhausted { retry_after: asked }
            } else {
                Decision::Retry {
                    wait,
                    rate_limited: true,
                }
            }
        }
        Outcome::NotSent => retry_failure(state, policy),
        Outcome::ServerError | Outcome::TimedOut | Outcome::Broken if op.idempotent() => {
            retry_failure(state, policy)
        }
        Outcome::ServerError | Outcome::TimedOut | Outcome::Broken => Decision::Stop,
    }
}

fn retry_failure(state: &State, policy: &RetryPolicy) -> Decision {
    if state.failures >= policy.max_attempts {
        Decision::Stop
    } else {
        Decision::Retry {
            wait: backoff(state.failures, policy),
            rate_limited: false,
        }
    }
}

/// `base * 2^(n-1)`, capped; `n` counts from 1.
pub fn backoff(n: u32, policy: &RetryPolicy) -> Duration {
    let exp = n.saturating_sub(1).min(16);
    policy
        .backoff_base
        .saturating_mul(1u32 << exp)
        .min(policy.backoff_max)
}

/// Full-range jitter between half and all of `d`, so that parallel cron jobs spread out.
pub fn jitter(d: Duration) -> Duration {
    use rand::Rng;
    if d.is_zero() {
        return d;
    }
    let nanos = d.as_nanos().min(u128::from(u64::MAX)) as u64;
    Duration::from_nanos(rand::thread_rng().gen_range(nanos / 2..=nanos))
}

/// The longest wait cfsecret believes from a header; anything longer is clamped (and then
/// exceeds any sane budget, so the call fails with a "retry after" message).
const MAX_HEADER_WAIT: Duration = Duration::from_secs(24 * 3600);

/// How long a 429 asks to wait: `Retry-After` (seconds or an HTTP date), else `Retry-After-Ms`,
/// else the `t=` of the `Ratelimit` header, else `X-RateLimit-Reset` (seconds, or a Unix time).
pub fn retry_after(headers: &HeaderMap, now: Timestamp) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let clamp = |d: Duration| d.min(MAX_HEADER_WAIT);
    if let Some(v) = text("retry-after") {
        if let Some(d) = seconds(v) {
            return Some(clamp(d));
        }
        static PARSER: jiff::fmt::rfc2822::DateTimeParser =
            jiff::fmt::rfc2822::DateTimeParser::new();
        if let Ok(at) = PARSER.parse_timestamp(v) {
            return Some(clamp(until(now, at)));
        }
    }
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(clamp(Duration::from_secs_f64(ms.min(1e12) / 1000.0)));
    }
    if let Some(d) = text("ratelimit").and_then(ratelimit_reset) {
        return Some(clamp(d));
    }
    if let Some(v) = text("x-ratelimit-reset").and_then(|v| v.parse::<u64>().ok()) {
        // Large values are a Unix time, small ones a delay.
        let d = if v > 1_000_000_000 {
            Timestamp::from_second(v as i64)
                .map(|at| until(now, at))
                .unwrap_or(MAX_HEADER_WAIT)
        } else {
            Duration::from_secs(v)
        };
        return Some(clamp(d));
    }
    None
}

fn seconds(v: &str) -> Option<Duration> {
    if let Ok(n) = v.parse::<u64>() {
        return Some(Duration::from_secs(n.min(MAX_HEADER_WAIT.as_secs())));
    }
    v.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite() && *f >= 0.0)
        .map(|f| Duration::from_secs_f64(f.min(MAX_HEADER_WAIT.as_secs_f64())))
}

fn until(now: Timestamp, at: Timestamp) -> Duration {
    Duration::try_from(now.duration_until(at)).unwrap_or(Duration::ZERO)
}

/// The `t=` (seconds to reset) of an IETF `RateLimit` header: `"default";r=0;t=30`. With several
/// items, the longest reset wins.
fn ratelimit_reset(v: &str) -> Option<Duration> {
    v.split(',')
        .flat_map(|item| item.split(';'))
        .filter_map(|param| {
            let (k, val) = param.trim().split_once('=')?;
            (k.trim() == "t").then(|| val.trim().parse::<u64>().ok())?
        })
        .max()
        .map(Duration::from_secs)
}

/// Waits between attempts. Injectable so that tests can record the waits instead of sleeping.
pub trait Sleeper: Send + Sync + fmt::Debug {
    /// Waits for `d`.
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The real sleeper: `tokio::time::sleep`.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn policy() -> RetryPolicy {
        RetryPolicy::default()
    }

    fn state(failures: u32, rate_limited: u32, waited: u64) -> State {
        State {
            failures,
            rate_limited,
            rate_waited: Duration::from_secs(waited),
        }
    }

    #[test]
    fn mutations_are_never_resent_once_sent() {
        for op in [Op::CreateToken, Op::UpdateToken, Op::RollToken] {
            for outcome in [Outcome::ServerError, Outcome::TimedOut, Outcome::Broken] {
                assert_eq!(
                    decide(op, outcome, &state(1, 0, 0), &policy()),
                    Decision::Stop,
                    "{op:?} {outcome:?}"
                );
            }
            // …but a request that never left, or a 429, is fine to send again.
            assert!(matches!(
                decide(op, Outcome::NotSent, &state(1, 0, 0), &policy()),
                Decision::Retry {
                    rate_limited: false,
                    ..
                }
            ));
            assert!(matches!(
                decide(op, Outcome::RateLimited(Some(Duration::from_secs(2))), &state(0, 1, 0), &policy()),
                Decision::Retry { rate_limited: true, wait } if wait == Duration::from_secs(2)
            ));
        }
    }

    #[test]
    fn idempotent_calls_retry_with_backoff_until_max_attempts() {
        let p = policy();
        for op in [Op::Verify, Op::GetToken, Op::DeleteToken, Op::ListTokens] {
            for outcome in [Outcome::ServerError, Outcome::TimedOut, Outcome::Broken] {
                assert_eq!(
                    decide(op, outcome, &state(1, 0, 0), &p),
                    Decision::Retry {
                        wait: Duration::from_millis(500),
                        rate_limited: false
                    }
                );
                assert_eq!(
                    decide(op, outcome, &state(3, 0, 0), &p),
                    Decision::Retry {
                        wait: Duration::from_secs(2),
                        rate_limited: false
                    }
                );
                assert_eq!(decide(op, outcome, &state(4, 0, 0), &p), Decision::Stop);
            }
        }
        assert_eq!(
            decide(Op::GetToken, Outcome::Final, &state(0, 0, 0), &p),
            Decision::Stop
        );
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let p = policy();
        let waits: Vec<u128> = (1..=7).map(|n| backoff(n, &p).as_millis()).collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 8000, 8000, 8000]);
        assert_eq!(backoff(1000, &p), p.backoff_max);
        for _ in 0..100 {
            let j = jitter(Duration::from_secs(2));
            assert!(j >= Duration::from_secs(1) && j <= Duration::from_secs(2));
        }
        assert_eq!(jitter(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn rate_limit_budget() {
        let p = policy();
        let asked = Some(Duration::from_secs(30));
        assert!(matches!(
            decide(
                Op::ListTokens,
                Outcome::RateLimited(asked),
                &state(0, 4, 90),
                &p
            ),
            Decision::Retry { .. }
        ));
        assert_eq!(
            decide(
                Op::ListTokens,
                Outcome::RateLimited(asked),
                &state(0, 5, 91),
                &p
            ),
            Decision::RateLimitExhausted { retry_after: asked }
        );
        let long = Some(Duration::from_secs(300));
        assert_eq!(
            decide(
                Op::CreateToken,
                Outcome::RateLimited(long),
                &state(0, 1, 0),
                &p
            ),
            Decision::RateLimitExhausted { retry_after: long }
        );
        // Retry-After: 0 still waits, and cannot loop forever.
        assert!(matches!(
            decide(Op::Verify, Outcome::RateLimited(Some(Duration::ZERO)), &state(0, 1, 0), &p),
            Decision::Retry { wait, .. } if wait > Duration::ZERO
        ));
        assert!(matches!(
            decide(
                Op::Verify,
                Outcome::RateLimited(Some(Duration::ZERO)),
                &state(0, 11, 0),
                &p
            ),
            Decision::RateLimitExhausted { .. }
        ));
        // No header: backoff.
        assert!(matches!(
            decide(Op::Verify, Outcome::RateLimited(None), &state(0, 2, 0), &p),
            Decision::Retry { wait, .. } if wait == Duration::from_secs(1)
        ));
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn retry_after_forms() {
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let ra = |pairs: &[(&'static str, &str)]| retry_after(&headers(pairs), now);
        assert_eq!(ra(&[("retry-after", "7")]), Some(Duration::from_secs(7)));
        assert_eq!(
            ra(&[("retry-after", " 1.5 ")]),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            ra(&[("retry-after", "Thu, 01 Jan 2026 00:01:00 GMT")]),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            ra(&[("retry-after", "Wed, 31 Dec 2025 23:00:00 GMT")]),
            Some(Duration::ZERO)
        );
        assert_eq!(
            ra(&[("retry-after-ms", "250")]),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            ra(&[("ratelimit", "\"default\";r=0;t=30")]),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            ra(&[("ratelimit", "\"burst\";r=0;t=5, \"default\";r=0;t=42")]),
            Some(Duration::from_secs(42))
        );
        assert_eq!(
            ra(&[("x-ratelimit-reset", "12")]),
            Some(Duration::from_secs(12))
        );
        assert_eq!(
            ra(&[("x-ratelimit-reset", "1767225630")]),
            Some(Duration::from_secs(30))
        );
        // Retry-After is preferred over the fallbacks.
        assert_eq!(
            ra(&[
                ("retry-after", "3"),
                ("retry-after-ms", "9000"),
                ("ratelimit", "t=60")
            ]),
            Some(Duration::from_secs(3))
        );
        // Garbage falls through to the next header, then to nothing.
        assert_eq!(
            ra(&[("retry-after", "soon"), ("retry-after-ms", "800")]),
            Some(Duration::from_millis(800))
        );
        assert_eq!(ra(&[("retry-after", "-5")]), None);
        assert_eq!(ra(&[]), None);
        assert_eq!(
            ra(&[("retry-after", "99999999999999")]),
            Some(MAX_HEADER_WAIT)
        );
    }
}
