//! A request reduced to what the API logic needs, independent of hyper.

use std::net::IpAddr;

use bytes::Bytes;
use serde_json::Value;

use crate::envelope::ApiError;

#[derive(Debug, Clone)]
pub(crate) struct ApiRequest {
    /// The path below `/client/v4`, e.g. `/user/tokens/abc`.
    pub api_path: String,
    pub query: Vec<(String, String)>,
    /// Header values, lossily decoded: a non-UTF-8 value cannot be
    /// well-formed, and U+FFFD makes sure it is not.
    pub authorization: Option<String>,
    pub auth_email: Option<String>,
    pub auth_key: Option<String>,
    pub body: Bytes,
    /// The socket peer, which is what IP conditions are checked against.
    pub peer: IpAddr,
}

impl ApiRequest {
    pub(crate) fn query(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; an empty body is `null`.
    pub(crate) fn json(&self) -> Result<Value, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&self.body).map_err(|_| ApiError::malformed_json())
    }
}

pub(crate) fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    raw.map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}
