//! Fault switches: make the n-th matching call from now fail the way real
//! networks and gateways fail, so clients can prove they never lose a token.

use serde::{Deserialize, Serialize};

use crate::envelope::{ApiError, Body, Reply};

/// The API operation a request maps to. `Any` only appears in matchers and
/// matches every API request, routed or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Op {
    CreateToken,
    ListTokens,
    GetToken,
    UpdateToken,
    DeleteToken,
    RollToken,
    VerifyToken,
    PermissionGroups,
    ListZones,
    ListAccounts,
    GetUser,
    /// The read endpoints of `verify --probe` (`GET /zones/{id}...`, `GET /accounts/{id}...`).
    ReadResource,
    Any,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServerErrorBody {
    /// The text/html page a gateway serves; not JSON at all.
    #[default]
    Html,
    /// A v4 failure envelope.
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FaultKind {
    /// 500 without carrying out the request.
    ServerError {
        #[serde(default)]
        body: ServerErrorBody,
    },
    /// 429/971 with `Retry-After`, not carried out.
    RateLimit { retry_after_secs: u64 },
    /// Sleep, then carry out the request and answer (usually after the
    /// client gave up: the worst case for it).
    Stall { secs: u64 },
    /// Carry out the request, then close the connection without a response.
    DropResponse,
}

impl FaultKind {
    /// HTML 500, the common case for a gateway failure.
    pub fn server_error() -> Self {
        FaultKind::ServerError {
            body: ServerErrorBody::Html,
        }
    }

    /// The answer that replaces the request, for kinds that replace it.
    pub(crate) fn replacement(&self) -> Option<Reply> {
        match self {
            FaultKind::ServerError {
                body: ServerErrorBody::Html,
            } => Some(Reply {
                status: 500,
                headers: Vec::new(),
                body: Body::Text {
                    content_type: "text/html",
                    text: "<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n\
                           <body>\r\n<center><h1>500 Internal Server Error</h1></center>\r\n\
                           <hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
                        .into(),
                },
            }),
            // Code and wording of a JSON 5xx are not documented [?].
            FaultKind::ServerError {
                body: ServerErrorBody::Json,
            } => Some(ApiError::new(500, 10001, "Internal server error").into()),
            FaultKind::RateLimit { retry_after_secs } => {
                let mut r = Reply::from(ApiError::rate_limited());
                r.headers
                    .push(("retry-after", retry_after_secs.to_string()));
                Some(r)
            }
            FaultKind::Stall { .. } | FaultKind::DropResponse => None,
        }
    }
}

fn one() -> u32 {
    1
}

fn any() -> Op {
    Op::Any
}

/// A matcher (operation and/or HTTP method), which matching calls it hits
/// (`nth`, 1-based, counted from when it was added, for `times` calls in a
/// row), and what happens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    #[serde(default = "any")]
    pub op: Op,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default = "one")]
    pub nth: u32,
    #[serde(default = "one")]
    pub times: u32,
    pub kind: FaultKind,
}

impl Fault {
    /// Hits the next matching call once.
    pub fn new(op: Op, kind: FaultKind) -> Self {
        Fault {
            op,
            method: None,
            nth: 1,
            times: 1,
            kind,
        }
    }

    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    pub fn nth(mut self, nth: u32) -> Self {
        self.nth = nth;
        self
    }

    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    /// The 1-based range of matching calls this fault hits.
    fn window(&self) -> (u32, u32) {
        let first = self.nth.max(1);
        (first, first.saturating_add(self.times.max(1) - 1))
    }

    fn matches(&self, method: &str, op: Option<Op>) -> bool {
        let op_ok = self.op == Op::Any || Some(self.op) == op;
        let method_ok = self
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method));
        op_ok && method_ok
    }
}

/// The armed faults with how many matching calls each has seen.
#[derive(Debug, Default)]
pub(crate) struct FaultBook {
    armed: Vec<(Fault, u32)>,
}

impl FaultBook {
    pub(crate) fn add(&mut self, fault: Fault) {
        self.armed.push((fault, 0));
    }

    pub(crate) fn clear(&mut self) {
        self.armed.clear();
    }

    pub(crate) fn pending(&self) -> Vec<Fault> {
        self.armed.iter().map(|(f, _)| f.clone()).collect()
    }

    /// Counts this call against every matching fault and returns the first
    /// one whose window it falls in. Spent faults are forgotten.
    pub(crate) fn on_request(&mut self, method: &str, op: Option<Op>) -> Option<FaultKind> {
        let mut hit = None;
        for (fault, seen) in &mut self.armed {
            if !fault.matches(method, op) {
                continue;
            }
            *seen = seen.saturating_add(1);
            let (first, last) = fault.window();
            if hit.is_none() && (first..=last).contains(seen) {
                hit = Some(fault.kind.clone());
            }
        }
        self.armed.retain(|(f, seen)| *seen < f.window().1);
        hit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nth_and_times_window() {
        let mut book = FaultBook::default();
        book.add(
            Fault::new(Op::RollToken, FaultKind::DropResponse)
                .nth(2)
                .times(2),
        );
        let got: Vec<_> = (0..5)
            .map(|_| book.on_request("PUT", Some(Op::RollToken)).is_some())
            .collect();
        assert_eq!(got, [false, true, true, false, false]);
        assert!(book.pending().is_empty());
    }

    #[test]
    fn other_ops_do_not_count() {
        let mut book = FaultBook::default();
        book.add(Fault::new(Op::CreateToken, FaultKind::DropResponse));
        assert!(book.on_request("GET", Some(Op::ListTokens)).is_none());
        assert!(book.on_request("POST", Some(Op::CreateToken)).is_some());
    }

    #[test]
    fn method_and_any() {
        let mut book = FaultBook::default();
        book.add(Fault::new(Op::Any, FaultKind::DropResponse).method("put"));
        assert!(book.on_request("GET", None).is_none());
        assert!(book.on_request("PUT", Some(Op::UpdateToken)).is_some());
        book.add(Fault::new(Op::Any, FaultKind::DropResponse));
        assert!(
            book.on_request("GET", None).is_some(),
            "Any matches unrouted calls"
        );
    }

    #[test]
    fn every_matching_fault_counts_the_call() {
        let mut book = FaultBook::default();
        book.add(Fault::new(Op::RollToken, FaultKind::server_error()));
        book.add(Fault::new(Op::RollToken, FaultKind::DropResponse).nth(2));
        assert_eq!(
            book.on_request("PUT", Some(Op::RollToken)),
            Some(FaultKind::server_error())
        );
        assert_eq!(
            book.on_request("PUT", Some(Op::RollToken)),
            Some(FaultKind::DropResponse)
        );
        assert_eq!(book.on_request("PUT", Some(Op::RollToken)), None);
    }

    #[test]
    fn json_shape() {
        let f: Fault = serde_json::from_str(
            r#"{"op":"CreateToken","kind":{"RateLimit":{"retry_after_secs":7}}}"#,
        )
        .unwrap();
        assert_eq!(
            f,
            Fault::new(
                Op::CreateToken,
                FaultKind::RateLimit {
                    retry_after_secs: 7
                }
            )
        );
        let f: Fault = serde_json::from_str(r#"{"kind":{"ServerError":{}}}"#).unwrap();
        assert_eq!(f, Fault::new(Op::Any, FaultKind::server_error()));
        let f: Fault = serde_json::from_str(r#"{"kind":"DropResponse","nth":3}"#).unwrap();
        assert_eq!(f.nth, 3);
    }
}
