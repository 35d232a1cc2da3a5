//! A thin HTTP client for the tests, and request bodies they share.

use std::time::Duration;

use fake_cloudflare::FakeCloudflare;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

pub const ZONE_READ: &str = "c8fed203ed3043cba015a93ad1616f1f";
pub const DNS_WRITE: &str = "4755a26eedb94da69e1066d98aa820be";
pub const API_TOKENS_WRITE: &str = "686d18d5ac6c441c867cbf6771e58a0a";
pub const ACCOUNT_API_TOKENS_WRITE: &str = "5bc3f8b21c554832afc660159ab75fa4";

#[derive(Clone, Copy)]
pub enum Auth<'a> {
    None,
    Bearer(&'a str),
    /// The raw `Authorization` header value.
    Header(&'a str),
    Global(&'a str, &'a str),
}

pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn result(&self) -> Value {
        let v = self.json();
        assert_eq!(v["success"], true, "{}", self.text);
        v["result"].clone()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a failure envelope with exactly this status, code and message.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: u64, message: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        let v = self.json();
        assert_eq!(v["success"], false, "{}", self.text);
        assert_eq!(v["result"], Value::Null, "{}", self.text);
        assert_eq!(v["errors"][0]["code"], code, "{}", self.text);
        assert_eq!(v["errors"][0]["message"], message, "{}", self.text);
    }
}

pub struct Api {
    pub base: String,
    http: reqwest::Client,
}

impl Api {
    pub fn new(fake: &FakeCloudflare) -> Self {
        Self::with_timeout(fake, Duration::from_secs(20))
    }

    pub fn with_timeout(fake: &FakeCloudflare, timeout: Duration) -> Self {
        Api {
            base: fake.base_url(),
            http: http_builder().timeout(timeout).build().expect("client"),
        }
    }

    pub async fn try_call(
        &self,
        method: &str,
        path: &str,
        auth: Auth<'_>,
        body: Option<Value>,
    ) -> reqwest::Result<Resp> {
        self.send(method, path, auth, body.map(|b| b.to_string()))
            .await
    }

    /// `body` is sent as is, with `Content-Type: application/json`.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        auth: Auth<'_>,
        body: Option<String>,
    ) -> reqwest::Result<Resp> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        req = match auth {
            Auth::None => req,
            Auth::Bearer(s) => req.header("authorization", format!("Bearer {s}")),
            Auth::Header(h) => req.header("authorization", h),
            Auth::Global(email, key) => req.header("x-auth-email", email).header("x-auth-key", key),
        };
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await?;
        Ok(Resp {
            status,
            headers,
            text,
        })
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        auth: Auth<'_>,
        body: Option<Value>,
    ) -> Resp {
        self.try_call(method, path, auth, body)
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    pub async fn get(&self, path: &str, auth: Auth<'_>) -> Resp {
        self.call("GET", path, auth, None).await
    }

    pub async fn post(&self, path: &str, auth: Auth<'_>, body: Value) -> Resp {
        self.call("POST", path, auth, Some(body)).await
    }

    pub async fn put(&self, path: &str, auth: Auth<'_>, body: Value) -> Resp {
        self.call("PUT", path, auth, Some(body)).await
    }

    pub async fn delete(&self, path: &str, auth: Auth<'_>) -> Resp {
        self.call("DELETE", path, auth, None).await
    }
}

/// A create body: one allow policy of `group` on `resources`.
pub fn token_body(name: &str, group: &str, resources: Value) -> Value {
    json!({"name": name, "policies": [{"effect": "allow", "resources": resources,
        "permission_groups": [{"id": group}]}]})
}

pub fn all_zones() -> Value {
    json!({"com.cloudflare.api.account.zone.*": "*"})
}

/// A reqwest client; installs the ring provider first (see the dev-dependency note).
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A reqwest client builder, with the crypto provider installed.
pub fn http_builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}
