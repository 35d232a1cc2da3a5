//! Where the API lives: `https://api.cloudflare.com/client/v4` unless `CLOUDFLARE_API_BASE_URL`
//! says otherwise.
//!
//! Plain `http://` would put the management credential on the wire in clear text, so it is
//! accepted only for loopback hosts (127.0.0.0/8, ::1, `localhost`): the local fake and test
//! servers. A URL with a user name or password is refused as well, because it would put a secret
//! into the environment and into every message that names the URL.

use std::ffi::OsString;
use std::fmt;
use std::net::IpAddr;

use reqwest::Url;

use super::error::ApiError;

/// The production endpoint.
pub const DEFAULT_BASE_URL: &str = "https://api.cloudflare.com/client/v4";
/// The environment variable that overrides it.
pub const BASE_URL_ENV: &str = "CLOUDFLARE_API_BASE_URL";

/// A validated API base URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseUrl(Url);

impl BaseUrl {
    /// The production API.
    pub fn cloudflare() -> Self {
        Self::parse(DEFAULT_BASE_URL).expect("the default base URL is valid")
    }

    /// Validates a base URL given by the user.
    pub fn parse(input: &str) -> Result<Self, ApiError> {
        let trimmed = input.trim();
        let invalid = |reason: &'static str| ApiError::InvalidBaseUrl {
            // Only the part before any '@' is shown: what follows a user:password@ is not, and the
            // password never is.
            value: redact_userinfo(trimmed),
            reason,
        };
        let mut url = Url::parse(trimmed).map_err(|_| invalid("it is not an absolute URL"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "it contains a user name or password; credentials go in CLOUDFLARE_API_TOKEN",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("it has a query string or fragment"));
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => {
                return Err(ApiError::InsecureBaseUrl {
                    url: url.to_string(),
                });
            }
            _ => return Err(invalid("the scheme is neither https nor http")),
        }
        if url.host().is_none() {
            return Err(invalid("it has no host"));
        }
        // Normalise "…/client/v4/" and "…/client/v4" to the same thing.
        let path = url.path().trim_end_matches('/').to_owned();
        url.set_path(&path);
        Ok(Self(url))
    }

    /// `CLOUDFLARE_API_BASE_URL`, or the production API when unset or empty.
    pub fn from_env() -> Result<Self, ApiError> {
        Self::from_lookup(|k| std::env::var_os(k))
    }

    /// [`BaseUrl::from_env`] with an injectable environment, for tests.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<OsString>) -> Result<Self, ApiError> {
        match lookup(BASE_URL_ENV) {
            None => Ok(Self::cloudflare()),
            Some(v) => match v.to_str() {
                Some(s) if s.trim().is_empty() => Ok(Self::cloudflare()),
                Some(s) => Self::parse(s),
                None => Err(ApiError::InvalidBaseUrl {
                    value: BASE_URL_ENV.to_owned(),
                    reason: "it is not valid UTF-8",
                }),
            },
        }
    }

    /// The URL as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Whether the host is loopback (then proxies are bypassed: a test server is never behind one).
    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.0)
    }

    /// The URL of an endpoint below the base. Each segment is percent-encoded, so an id read from
    /// a file cannot walk to another path.
    pub(crate) fn endpoint<S: AsRef<str>>(&self, segments: &[S]) -> Url {
        let mut url = self.0.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty();
            for s in segments {
                path.push(s.as_ref());
            }
        }
        url
    }
}

impl Default for BaseUrl {
    fn default() -> Self {
        Self::cloudflare()
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    // IPv6 hosts come bracketed: "[::1]".
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => host.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
    }
}

/// The URL with anything that may be a user name or password hidden: everything before the last
/// `@`, whatever separates the scheme (`https://`, `https:`, `https:\\`, none at all), since
/// URL parsers accept all of these spellings.
fn redact_userinfo(s: &str) -> String {
    let Some(at) = s.rfind('@') else {
        return s.to_owned();
    };
    let scheme = s
        .split_once(':')
        .map(|(scheme, _)| scheme)
        // Only a scheme that is surely not a user name is shown.
        .filter(|scheme| {
            scheme.len() < at
                && ["https", "http"]
                    .iter()
                    .any(|known| scheme.eq_ignore_ascii_case(known))
        });
    match scheme {
        Some(scheme) => format!("{scheme}://[redacted]@{}", &s[at + 1..]),
        None => format!("[redacted]@{}", &s[at + 1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Diagnose;

    #[test]
    fn default_is_cloudflare() {
        let b = BaseUrl::from_lookup(|_| None).unwrap();
        assert_eq!(b.as_str(), DEFAULT_BASE_URL);
        let empty = BaseUrl::from_lookup(|_| Some(" ".into())).unwrap();
        assert_eq!(empty, b);
    }

    #[test]
    fn https_anywhere_http_only_on_loopback() {
        for ok in [
            "https://api.example.test/client/v4",
            "http://127.0.0.1:8080",
            "http://127.1.2.3:1/x/",
            "http://localhost:9999/client/v4",
            "http://LOCALHOST.:9999",
            "http://[::1]:8080/client/v4",
            "http://[::ffff:127.0.0.1]:8080",
        ] {
            assert!(BaseUrl::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.cloudflare.com/client/v4",
            "http://10.0.0.1:8080",
            "http://localhost.example.com",
            "http://[::2]:80",
            "http://128.0.0.1",
        ] {
            let err = BaseUrl::parse(bad).unwrap_err();
            assert_eq!(err.code(), "insecure_base_url", "{bad}");
            assert!(err.hint().unwrap().contains("https://"), "{bad}");
        }
    }

    #[test]
    fn other_mistakes() {
        for bad in [
            "api.cloudflare.com",
            "ftp://x",
            "https://x/?a=b",
            "https://x/#frag",
        ] {
            assert_eq!(
                BaseUrl::parse(bad).unwrap_err().code(),
                "bad_base_url",
                "{bad}"
            );
        }
        for spelled in [
            "https://user:hunter2secret@api.example.test",
            "https:user:hunter2secret@api.example.test/client/v4",
            "https:\\\\user:hunter2secret@api.example.test",
            "https:/\\user:hunter2secret@api.example.test",
            "HTTPS:user:hunter2secret@api.example.test",
            "user:hunter2secret@api.example.test",
            "https://user:hunter2@secret@api.example.test",
            "ftp:user:hunter2secret@x",
            "hunter2secret:x@api.example.test",
        ] {
            let err = BaseUrl::parse(spelled).unwrap_err();
            let text = format!("{err} {err:?} {}", err.hint().unwrap_or_default());
            assert!(!text.contains("hunter2"), "{spelled}: {text}");
            assert!(
                text.contains("api.example.test") || text.contains('x'),
                "{text}"
            );
        }
    }

    #[test]
    fn endpoints_are_joined_and_encoded() {
        let b = BaseUrl::parse("http://127.0.0.1:1234/client/v4/").unwrap();
        assert_eq!(b.as_str(), "http://127.0.0.1:1234/client/v4");
        assert_eq!(
            b.endpoint(&["user", "tokens", "verify"]).as_str(),
            "http://127.0.0.1:1234/client/v4/user/tokens/verify"
        );
        assert_eq!(
            b.endpoint(&["user", "tokens", "../x"]).as_str(),
            "http://127.0.0.1:1234/client/v4/user/tokens/..%2Fx"
        );
        let root = BaseUrl::parse("http://127.0.0.1:1234").unwrap();
        assert_eq!(
            root.endpoint(&["zones"]).as_str(),
            "http://127.0.0.1:1234/zones"
        );
    }
}
