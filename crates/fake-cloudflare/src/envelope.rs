//! The v4 response envelope `{"success","errors","messages","result"(,"result_info")}`
//! and the catalogue of error bodies the fake can produce. Codes, messages and
//! statuses follow the API reference §4; guesses are marked [?].

use serde_json::{Value, json};

/// One error in `errors[]`, with its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub code: u32,
    pub message: String,
    pub chain: Vec<(u32, String)>,
}

impl ApiError {
    pub(crate) fn new(status: u16, code: u32, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            chain: Vec::new(),
        }
    }

    pub(crate) fn missing_authorization() -> Self {
        Self::new(400, 1001, "Missing \"Authorization\" header")
    }

    pub(crate) fn malformed_authorization() -> Self {
        ApiError {
            chain: vec![(6111, "Invalid format for Authorization header".into())],
            ..Self::new(400, 6003, "Invalid request headers")
        }
    }

    /// Verify's answer for a secret it does not accept.
    pub(crate) fn invalid_api_token() -> Self {
        Self::new(401, 1000, "Invalid API Token")
    }

    /// Every other route's answer for a secret it does not accept.
    pub(crate) fn invalid_access_token() -> Self {
        Self::new(403, 9109, "Invalid access token")
    }

    pub(crate) fn wrong_location(ip: std::net::IpAddr) -> Self {
        Self::new(
            403,
            9109,
            format!("Cannot use the access token from location: {ip}"),
        )
    }

    /// From memory of the live API, not in the reference [?].
    pub(crate) fn unknown_global_key() -> Self {
        Self::new(403, 9103, "Unknown X-Auth-Key or X-Auth-Email")
    }

    pub(crate) fn authentication_error() -> Self {
        Self::new(403, 10000, "Authentication error")
    }

    pub(crate) fn unauthorized_resource() -> Self {
        Self::new(403, 9109, "Unauthorized to access requested resource")
    }

    /// Validation failures: 400/1001 with the fake's own wording; the live
    /// messages were not captured [?].
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(400, 1001, message)
    }

    /// From memory of the live API [?].
    pub(crate) fn malformed_json() -> Self {
        Self::new(400, 6007, "Malformed JSON in request body")
    }

    pub(crate) fn no_route() -> Self {
        Self::new(404, 7003, "No route for the URI")
    }

    /// An unknown object id in a path, e.g. `/user/tokens/<id>`.
    pub(crate) fn object_not_found(path: &str) -> Self {
        Self::new(
            404,
            7003,
            format!("Could not route to {path}, perhaps your object identifier is invalid?"),
        )
    }

    pub(crate) fn rate_limited() -> Self {
        Self::new(
            429,
            971,
            "Please wait and consider throttling your request speed",
        )
    }

    fn to_json(&self) -> Value {
        let mut e = json!({"code": self.code, "message": self.message});
        if !self.chain.is_empty() {
            e["error_chain"] = self
                .chain
                .iter()
                .map(|(code, message)| json!({"code": code, "message": message}))
                .collect();
        }
        e
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Body {
    Json(Value),
    /// Raw text, e.g. the HTML-ish page a gateway serves on a 5xx.
    Text {
        content_type: &'static str,
        text: String,
    },
}

/// A finished response, before it is turned into HTTP.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Body,
}

impl Reply {
    pub(crate) fn json(status: u16, value: Value) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Json(value),
        }
    }

    pub(crate) fn ok(result: Value) -> Self {
        Self::ok_with(result, Vec::new(), None)
    }

    pub(crate) fn ok_with(result: Value, messages: Vec<Value>, result_info: Option<Value>) -> Self {
        let mut v = json!({"success": true, "errors": [], "messages": messages, "result": result});
        if let Some(info) = result_info {
            v["result_info"] = info;
        }
        Self::json(200, v)
    }

    pub(crate) fn error(e: &ApiError) -> Self {
        Self::json(
            e.status,
            json!({"success": false, "errors": [e.to_json()], "messages": [], "result": null}),
        )
    }
}

impl From<ApiError> for Reply {
    fn from(e: ApiError) -> Self {
        Reply::error(&e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_envelope_has_null_result_and_chain() {
        let Reply { status, body, .. } = ApiError::malformed_authorization().into();
        assert_eq!(status, 400);
        assert_eq!(
            body,
            Body::Json(json!({
                "success": false,
                "errors": [{"code": 6003, "message": "Invalid request headers",
                    "error_chain": [{"code": 6111, "message": "Invalid format for Authorization header"}]}],
                "messages": [],
                "result": null
            }))
        );
    }

    #[test]
    fn success_envelope_key_order() {
        let Reply { body, .. } = Reply::ok_with(json!([]), vec![], Some(json!({"page": 1})));
        let Body::Json(v) = body else { panic!() };
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            ["success", "errors", "messages", "result", "result_info"]
        );
    }
}
