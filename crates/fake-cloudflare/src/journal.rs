//! The request journal tests assert on, and the in-flight count behind
//! `wait_idle`.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::{Serialize, Serializer};

use crate::faults::{FaultKind, Op};

/// One API request as the fake handled it. Control-plane calls are not
/// journaled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestRecord {
    pub method: String,
    /// Path without the query string, e.g. `/client/v4/user/tokens`.
    pub path: String,
    /// The raw query string, if any (names and paging, never secrets).
    pub query: Option<String>,
    /// `None` for requests no route matched.
    pub op: Option<Op>,
    /// `None` when the connection was dropped without a response.
    #[serde(serialize_with = "status_or_dropped")]
    pub status: Option<u16>,
    /// The fault that applied to this request, if any.
    pub fault: Option<FaultKind>,
}

impl RequestRecord {
    pub fn dropped(&self) -> bool {
        self.status.is_none()
    }
}

fn status_or_dropped<S: Serializer>(status: &Option<u16>, s: S) -> Result<S::Ok, S::Error> {
    match status {
        Some(code) => s.serialize_u16(*code),
        None => s.serialize_str("dropped"),
    }
}

#[derive(Debug, Default)]
pub(crate) struct Journal {
    records: Mutex<Vec<RequestRecord>>,
    in_flight: Mutex<usize>,
    idle: Condvar,
}

/// Held while a request is being handled; dropping it ends the request.
pub(crate) struct InFlight(Arc<Journal>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut n = lock(&self.0.in_flight);
        *n -= 1;
        if *n == 0 {
            self.0.idle.notify_all();
        }
    }
}

impl Journal {
    pub(crate) fn begin(self: &Arc<Self>) -> InFlight {
        *lock(&self.in_flight) += 1;
        InFlight(Arc::clone(self))
    }

    pub(crate) fn record(&self, r: RequestRecord) {
        lock(&self.records).push(r);
    }

    pub(crate) fn records(&self) -> Vec<RequestRecord> {
        lock(&self.records).clone()
    }

    pub(crate) fn clear(&self) {
        lock(&self.records).clear();
    }

    pub(crate) fn in_flight(&self) -> usize {
        *lock(&self.in_flight)
    }

    /// Blocks until no request is in flight; false if `timeout` passed first.
    pub(crate) fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut n = lock(&self.in_flight);
        while *n > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            n = self
                .idle
                .wait_timeout(n, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
        true
    }
}

/// A panic while holding a lock must not wedge every later test assertion.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
