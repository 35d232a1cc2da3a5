//! Cloudflare's response envelope: `{success, errors, messages, result, result_info}`.
//!
//! Success is decided on the HTTP status *and* `success`, never on `errors.len()`: the published
//! examples show `success: true` next to a non-empty `errors`. Failure bodies are parsed leniently:
//! a 502 from a proxy may be HTML, an empty body, or JSON whose `code` is a string, and none of
//! that may turn into a panic or hide the HTTP status.

use std::fmt;

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Longest message text kept from a server response; the rest is cut. A misbehaving endpoint (or
/// a wrong `CLOUDFLARE_API_BASE_URL`) should not be able to flood a terminal or a log.
const MAX_MESSAGE_CHARS: usize = 300;
/// At most this many `errors[]` / `error_chain[]` items are kept.
const MAX_MESSAGES: usize = 8;

/// One item of `errors[]` or `messages[]`: a numeric code and Cloudflare's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiMessage {
    /// Cloudflare's code, e.g. 10000; `None` when absent or not a number.
    pub code: Option<i64>,
    /// The message text, stripped of control characters and cut to a sane length.
    pub message: String,
    /// `error_chain[]`: the more specific causes, e.g. 6111 under 6003.
    pub chain: Vec<ApiMessage>,
}

impl ApiMessage {
    /// This code and every code in the chain below it.
    pub fn codes(&self) -> Vec<i64> {
        let mut out: Vec<i64> = self.code.into_iter().collect();
        for c in &self.chain {
            out.extend(c.codes());
        }
        out
    }

    /// Replaces every occurrence of `secret` in the texts. Cloudflare is not known to echo
    /// credentials, but an error path is the last place a secret should be able to slip through.
    pub(crate) fn redact(&mut self, secret: &str) {
        // Short strings would redact innocent words; real secrets are 37+ characters.
        if secret.len() >= 8 && self.message.contains(secret) {
            self.message = self.message.replace(secret, "[redacted]");
        }
        for c in &mut self.chain {
            c.redact(secret);
        }
    }

    fn from_value(v: &Value, depth: usize) -> ApiMessage {
        let (code, message, chain) = match v {
            Value::Object(map) => {
                let code = map.get("code").and_then(|c| match c {
                    Value::Number(n) => n.as_i64(),
                    Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                });
                let message = match map.get("message") {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Null) | None => String::new(),
                    Some(other) => other.to_string(),
                };
                let chain = match map.get("error_chain") {
                    Some(Value::Array(items)) if depth < 3 => items
                        .iter()
                        .take(MAX_MESSAGES)
                        .map(|i| Self::from_value(i, depth + 1))
                        .collect(),
                    _ => Vec::new(),
                };
                (code, message, chain)
            }
            Value::String(s) => (None, s.clone(), Vec::new()),
            other => (None, other.to_string(), Vec::new()),
        };
        ApiMessage {
            code,
            message: sanitize(&message),
            chain,
        }
    }
}

impl fmt::Display for ApiMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = if self.message.is_empty() {
            "(no message)"
        } else {
            &self.message
        };
        match self.code {
            Some(code) => write!(f, "{text} (code {code})")?,
            None => f.write_str(text)?,
        }
        for c in &self.chain {
            write!(f, ": {c}")?;
        }
        Ok(())
    }
}

/// Keeps printable text only (no ANSI escapes or newlines from a hostile server) and cuts it.
pub(crate) fn sanitize(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_MESSAGE_CHARS)
        .collect();
    if s.chars().count() > MAX_MESSAGE_CHARS {
        out.push('…');
    }
    out.trim().to_owned()
}

/// `result_info` of list endpoints. Every field is optional: only `page`, `per_page`, `count` and
/// `total_count` are documented, some endpoints add `total_pages`, and a fake may send none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ResultInfo {
    #[serde(default, deserialize_with = "lenient_u64")]
    pub page: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub per_page: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub count: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub total_count: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub total_pages: Option<u64>,
}

fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

fn lenient_messages<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ApiMessage>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Array(items)) => items
            .iter()
            .take(MAX_MESSAGES)
            .map(|v| ApiMessage::from_value(v, 0))
            .collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![ApiMessage::from_value(&other, 0)],
    })
}

fn lenient_info<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ResultInfo>, D::Error> {
    // A `result_info` of an unexpected shape is ignored rather than failing the whole response.
    Ok(match Option::<Value>::deserialize(d)? {
        Some(v @ Value::Object(_)) => serde_json::from_value(v).ok(),
        _ => None,
    })
}

/// The envelope with a typed `result`. `result` is deserialized straight from the body bytes, so
/// a secret inside it (create's `value`, roll's bare string) lands in a `SecretString` without an
/// intermediate copy (see `types::SecretValue`).
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope<T> {
    #[serde(default)]
    pub success: Option<bool>,
    #[serde(default, deserialize_with = "lenient_messages")]
    pub errors: Vec<ApiMessage>,
    // `messages` is not read: serde skips it like any field cfsecret has no use for, malformed
    // or not, so it needs no parsing of its own.
    #[serde(default = "none")]
    pub result: Option<T>,
    #[serde(default, deserialize_with = "lenient_info")]
    pub result_info: Option<ResultInfo>,
}

fn none<T>() -> Option<T> {
    None
}

/// Why a 2xx body was not a usable success envelope.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SuccessProblem {
    /// `success` is `false` although the status is 2xx: treat as a refusal with these errors.
    NotSuccessful(Vec<ApiMessage>),
    /// No `success` field, no `result`, or a body that does not parse.
    Malformed(String),
}

/// [`parse_success_nullable`] where a result is required (the tests' shorthand).
#[cfg(test)]
pub(crate) fn parse_success<T: DeserializeOwned>(
    body: &[u8],
    describe_serde_errors: bool,
) -> Result<(T, Option<ResultInfo>), SuccessProblem> {
    match parse_success_nullable::<T>(body, describe_serde_errors)? {
        (Some(r), info) => Ok((r, info)),
        (None, _) => Err(SuccessProblem::Malformed(
            "the response has no `result`".to_owned(),
        )),
    }
}

/// A 2xx response, parsed. A `null` or missing `result` is `None`: it is nullable on list pages
/// (`iam_api-response-collection`) and DELETE (`iam_api-response-single-id`), and cloudflare-go
/// decodes both with `json:"result,nullable"`; callers that need one say so. `describe_serde_errors`
/// is false for secret-bearing operations: serde's messages can quote the offending value
/// ("invalid type: string \"cfut_…\""), so only the position is kept then.
pub(crate) fn parse_success_nullable<T: DeserializeOwned>(
    body: &[u8],
    describe_serde_errors: bool,
) -> Result<(Option<T>, Option<ResultInfo>), SuccessProblem> {
    let env: Envelope<T> = serde_json::from_slice(body).map_err(|e| {
        SuccessProblem::Malformed(describe_json_error(body, &e, describe_serde_errors))
    })?;
    match env.success {
        Some(true) => {}
        Some(false) => return Err(SuccessProblem::NotSuccessful(env.errors)),
        None => {
            return Err(SuccessProblem::Malformed(
                "the response has no `success` field".to_owned(),
            ));
        }
    }
    Ok((env.result, env.result_info))
}

fn describe_json_error(body: &[u8], e: &serde_json::Error, detailed: bool) -> String {
    use serde_json::error::Category;
    if body.iter().all(u8::is_ascii_whitespace) {
        return "the body is empty".to_owned();
    }
    match e.classify() {
        Category::Syntax | Category::Eof if !looks_like_json(body) => {
            format!("the body is not JSON ({})", body_kind(body))
        }
        Category::Syntax | Category::Eof => {
            format!(
                "the JSON is cut off or invalid at line {} column {}",
                e.line(),
                e.column()
            )
        }
        _ if detailed => format!("unexpected shape: {}", sanitize(&e.to_string())),
        _ => format!(
            "unexpected shape at line {} column {}",
            e.line(),
            e.column()
        ),
    }
}

fn looks_like_json(body: &[u8]) -> bool {
    matches!(
        body.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{') | Some(b'[')
    )
}

/// A word on what a non-JSON body looks like, for messages. Never quotes the body.
pub(crate) fn body_kind(body: &[u8]) -> &'static str {
    let start: Vec<u8> = body
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(15)
        .map(u8::to_ascii_lowercase)
        .collect();
    if start.is_empty() {
        "empty"
    } else if start.starts_with(b"<!doctype html") || start.starts_with(b"<html") {
        "an HTML page"
    } else if start.starts_with(b"<") {
        "markup"
    } else {
        "plain text"
    }
}

/// What a non-2xx body says, as far as it says anything.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Failure {
    pub errors: Vec<ApiMessage>,
    /// `None` if the body was Cloudflare-shaped JSON, else what it looked like ("an HTML page").
    pub not_json: Option<&'static str>,
}

/// Parses a failure body without ever failing.
pub(crate) fn parse_failure(body: &[u8]) -> Failure {
    #[derive(Deserialize)]
    struct Head {
        #[serde(default)]
        success: Option<bool>,
        #[serde(default, deserialize_with = "lenient_messages")]
        errors: Vec<ApiMessage>,
        #[allow(dead_code)]
        #[serde(default)]
        result: Option<IgnoredAny>,
    }
    match serde_json::from_slice::<Head>(body) {
        Ok(head) if head.success.is_some() || !head.errors.is_empty() => Failure {
            errors: head.errors,
            not_json: None,
        },
        Ok(_) => Failure {
            errors: Vec::new(),
            not_json: Some("JSON without Cloudflare's envelope"),
        },
        Err(_) => Failure {
            errors: Vec::new(),
            not_json: Some(body_kind(body)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Item {
        id: String,
    }

    #[test]
    fn success_true_with_errors_is_still_success() {
        let body = br#"{"success":true,"errors":[{"code":1000,"message":"placeholder"}],
            "messages":[],"result":{"id":"abc"}}"#;
        let (item, info) = parse_success::<Item>(body, true).unwrap();
        assert_eq!(item.id, "abc");
        assert_eq!(info, None);
    }

    #[test]
    fn success_false_on_2xx_is_a_refusal() {
        let body = br#"{"success":false,"errors":[{"code":9109,"message":"Nope"}],"result":null}"#;
        match parse_success::<Item>(body, true) {
            Err(SuccessProblem::NotSuccessful(errs)) => assert_eq!(errs[0].code, Some(9109)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_success_or_result_is_malformed() {
        assert!(matches!(
            parse_success::<Item>(br#"{"result":{"id":"x"}}"#, true),
            Err(SuccessProblem::Malformed(_))
        ));
        assert!(matches!(
            parse_success::<Item>(br#"{"success":true,"result":null}"#, true),
            Err(SuccessProblem::Malformed(_))
        ));
    }

    #[test]
    fn odd_bodies_do_not_panic_and_do_not_quote() {
        for body in [
            &b""[..],
            b"   ",
            b"<!DOCTYPE html><html>502 Bad Gateway</html>",
            b"upstream connect error",
            b"{\"success\":tru",
            b"[1,2,3]",
            b"null",
        ] {
            let problem = parse_success::<Item>(body, false).unwrap_err();
            let SuccessProblem::Malformed(what) = problem else {
                panic!("{body:?}")
            };
            assert!(
                !what.contains("Bad Gateway") && !what.contains("upstream"),
                "{what}"
            );
            let failure = parse_failure(body);
            assert!(failure.errors.is_empty());
            assert!(failure.not_json.is_some());
        }
        assert_eq!(body_kind(b"<!DOCTYPE html>"), "an HTML page");
    }

    #[test]
    fn shape_errors_of_secret_ops_never_quote_the_value() {
        // A roll-style string where an object was expected: serde would quote it.
        let body = br#"{"success":true,"errors":[],"result":"cfut_SECRETSECRETSECRET"}"#;
        let SuccessProblem::Malformed(quiet) = parse_success::<Item>(body, false).unwrap_err()
        else {
            panic!()
        };
        assert!(!quiet.contains("SECRET"), "{quiet}");
        let SuccessProblem::Malformed(loud) = parse_success::<Item>(body, true).unwrap_err() else {
            panic!()
        };
        assert!(loud.contains("unexpected shape"), "{loud}");
    }

    #[test]
    fn failure_bodies_are_read_leniently() {
        let body = br#"{"success":false,"errors":[{"code":6003,"message":"Invalid request headers",
            "error_chain":[{"code":6111,"message":"Invalid format for Authorization header"}]},
            {"code":"1001","message":"stringly\u001b[31m"}, "bare"],"messages":[],"result":null}"#;
        let f = parse_failure(body);
        assert_eq!(f.not_json, None);
        assert_eq!(f.errors.len(), 3);
        assert_eq!(f.errors[0].codes(), vec![6003, 6111]);
        assert_eq!(
            f.errors[0].to_string(),
            "Invalid request headers (code 6003): Invalid format for Authorization header (code 6111)"
        );
        assert_eq!(f.errors[1].code, Some(1001));
        assert!(!f.errors[1].message.contains('\u{1b}'));
        assert_eq!(f.errors[2].message, "bare");
        let nulls = parse_failure(br#"{"success":false,"errors":null,"result":null}"#);
        assert_eq!(nulls, Failure::default());
    }

    #[test]
    fn result_info_is_lenient() {
        let body = br#"{"success":true,"errors":[],"result":[],
            "result_info":{"page":"2","per_page":50,"count":0,"total_count":51.5}}"#;
        let (_items, info) = parse_success::<Vec<Item>>(body, true).unwrap();
        let info = info.unwrap();
        assert_eq!(info.page, Some(2));
        assert_eq!(info.per_page, Some(50));
        assert_eq!(info.total_count, None);
        let weird = br#"{"success":true,"result":[],"result_info":"n/a"}"#;
        assert_eq!(parse_success::<Vec<Item>>(weird, true).unwrap().1, None);
    }

    #[test]
    fn messages_are_sanitized_and_redacted() {
        let long = "x".repeat(1000);
        assert!(sanitize(&long).chars().count() <= MAX_MESSAGE_CHARS + 1);
        let mut m = ApiMessage {
            code: Some(1),
            message: "token cfut_abcdefghij is bad".into(),
            chain: vec![],
        };
        m.redact("cfut_abcdefghij");
        assert_eq!(m.message, "token [redacted] is bad");
    }
}
