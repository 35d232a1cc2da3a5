//! The management credential: what cfsecret authenticates with to create, roll and delete tokens.
//!
//! Secrets live only in `SecretString` (zeroized on drop, redacted `Debug`). Every credential
//! carries a [`CredentialSource`] so that an error can say *which* credential Cloudflare refused
//! ("CLOUDFLARE_API_TOKEN lacks API Tokens Write") without ever showing it. The store-based
//! sources (`--auth-file`, `--auth-keyring`, the stored token) are read by the store layer, which
//! hands the secret over together with its label; this module reads the environment (steps 2 and
//! 3 of the contract's order).

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};

use super::error::ApiError;

/// Environment variable holding a Bearer token.
pub const TOKEN_ENV: &str = "CLOUDFLARE_API_TOKEN";
/// Environment variable holding the account e-mail for the Global API Key.
pub const EMAIL_ENV: &str = "CLOUDFLARE_EMAIL";
/// Environment variable holding the Global API Key.
pub const KEY_ENV: &str = "CLOUDFLARE_API_KEY";
/// The other spelling of [`KEY_ENV`] some guides use.
pub(crate) const GLOBAL_KEY_ENV: &str = "CLOUDFLARE_GLOBAL_KEY";

/// Where a credential came from, for messages. Holds no secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialSource {
    /// `CLOUDFLARE_API_TOKEN`.
    TokenEnv,
    /// `CLOUDFLARE_EMAIL` + `CLOUDFLARE_API_KEY`.
    GlobalKeyEnv,
    /// `--auth-file PATH --auth-key KEY`.
    AuthFile { path: PathBuf, key: String },
    /// `--auth-keyring SERVICE/USER`.
    AuthKeyring { entry: String },
    /// The token held in the store being rolled or rotated (contract step 4).
    StoredToken,
    /// The token passed to `verify`.
    VerifiedToken,
    /// Anything else, described by the caller.
    Other(String),
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TokenEnv => f.write_str(TOKEN_ENV),
            Self::GlobalKeyEnv => write!(f, "the Global API Key in {EMAIL_ENV} + {KEY_ENV}"),
            Self::AuthFile { path, key } => {
                write!(f, "the token at {key} in {} (--auth-file)", path.display())
            }
            Self::AuthKeyring { entry } => {
                write!(f, "the token in keyring entry {entry} (--auth-keyring)")
            }
            Self::StoredToken => f.write_str("the stored token"),
            Self::VerifiedToken => f.write_str("the token being verified"),
            Self::Other(s) => f.write_str(s),
        }
    }
}

/// What is wrong with a credential's shape. Never includes the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShapeProblem {
    /// Nothing left after trimming whitespace.
    Empty,
    /// Not RFC 7235 token68 (`^[A-Za-z0-9._~+/-]+=*$`): spaces, quotes, a `Bearer ` prefix, …
    NotToken68,
    /// A scannable Global API Key (`cfk_…`) where a Bearer token was expected.
    GlobalKeyAsToken,
    /// The Global API Key contains characters no key has.
    BadGlobalKey,
    /// The e-mail for the Global API Key is not an address.
    BadEmail,
}

impl ShapeProblem {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::Empty => "is empty",
            Self::NotToken68 => {
                "is not shaped like an API token (it contains spaces, quotes or other characters \
                 tokens never have)"
            }
            Self::GlobalKeyAsToken => "looks like a Global API Key (cfk_…), not an API token",
            Self::BadGlobalKey => "is not shaped like a Global API Key",
            Self::BadEmail => "is not an e-mail address",
        }
    }
}

/// How Cloudflare authenticates a request. Cloning copies the secret into another zeroizing
/// buffer (a command needs the same credential for more than one client).
#[derive(Clone)]
pub enum Credential {
    /// `Authorization: Bearer <token>`.
    Bearer(SecretString),
    /// `X-Auth-Email` + `X-Auth-Key`: the legacy Global API Key.
    GlobalKey { email: String, key: SecretString },
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bearer(_) => f.write_str("Bearer([redacted])"),
            Self::GlobalKey { email, .. } => f
                .debug_struct("GlobalKey")
                .field("email", email)
                .field("key", &"[redacted]")
                .finish(),
        }
    }
}

/// The format family of a token secret, told by its prefix (the checksum is not checked: its
/// input is undocumented).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenFormat {
    /// `cfut_…`: a user-owned API token.
    User,
    /// `cfat_…`: an account-owned API token; verify it on `/accounts/{id}/tokens/verify`.
    Account,
    /// `cfk_…`: a Global API Key, not a token.
    GlobalKey,
    /// The pre-2026 40-character format, which does not say who owns it.
    Legacy,
}

impl TokenFormat {
    /// Classifies a secret by prefix.
    pub fn of(secret: &SecretString) -> Self {
        let s = secret.expose_secret().trim();
        if s.starts_with("cfut_") {
            Self::User
        } else if s.starts_with("cfat_") {
            Self::Account
        } else if s.starts_with("cfk_") {
            Self::GlobalKey
        } else {
            Self::Legacy
        }
    }
}

/// RFC 7235 token68, the shape Cloudflare's gateway checks before anything else (6003/6111).
pub fn is_token68(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'+' | b'/' | b'-')
        })
}

/// Trims a token and checks its shape locally, so that a pasted newline or a Global API Key in
/// the wrong variable gives a clear message instead of Cloudflare's 6003. The error names the
/// source, never the value.
pub fn clean_token(
    raw: &SecretString,
    source: &CredentialSource,
) -> Result<SecretString, ApiError> {
    let trimmed = raw.expose_secret().trim();
    let problem = if trimmed.is_empty() {
        Some(ShapeProblem::Empty)
    } else if trimmed.starts_with("cfk_") {
        Some(ShapeProblem::GlobalKeyAsToken)
    } else if !is_token68(trimmed) {
        Some(ShapeProblem::NotToken68)
    } else {
        None
    };
    match problem {
        Some(problem) => Err(ApiError::BadCredentialShape {
            source: source.clone(),
            problem,
        }),
        None => Ok(SecretString::from(trimmed)),
    }
}

/// A credential plus where it came from: what [`super::Client`] authenticates with.
#[derive(Debug, Clone)]
pub struct ManagementCredential {
    credential: Credential,
    source: CredentialSource,
}

impl ManagementCredential {
    /// A Bearer token from `source`, trimmed and shape-checked.
    pub fn bearer(raw: &SecretString, source: CredentialSource) -> Result<Self, ApiError> {
        let token = clean_token(raw, &source)?;
        Ok(Self {
            credential: Credential::Bearer(token),
            source,
        })
    }

    /// The Global API Key with its account e-mail, trimmed and shape-checked.
    pub fn global_key(
        email: &str,
        key: &SecretString,
        source: CredentialSource,
    ) -> Result<Self, ApiError> {
        let bad = |problem| ApiError::BadCredentialShape {
            source: source.clone(),
            problem,
        };
        let email = email.trim();
        if email.is_empty() || !email.contains('@') || !email.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(bad(ShapeProblem::BadEmail));
        }
        let k = key.expose_secret().trim();
        if k.is_empty() {
            return Err(bad(ShapeProblem::Empty));
        }
        // Legacy keys are 37–45 lowercase hex, new ones cfk_ + alphanumerics; either way a header
        // value of plain visible ASCII.
        if !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(bad(ShapeProblem::BadGlobalKey));
        }
        Ok(Self {
            credential: Credential::GlobalKey {
                email: email.to_owned(),
                key: SecretString::from(k),
            },
            source,
        })
    }

    /// The credential.
    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    /// Where it came from.
    pub fn source(&self) -> &CredentialSource {
        &self.source
    }

    /// The secret, for redacting it from server messages.
    pub(crate) fn secret(&self) -> &SecretString {
        match &self.credential {
            Credential::Bearer(t) => t,
            Credential::GlobalKey { key, .. } => key,
        }
    }
}

impl Credential {
    /// Steps 2 and 3 of the contract's credential order: `CLOUDFLARE_API_TOKEN`, else
    /// `CLOUDFLARE_EMAIL` + `CLOUDFLARE_API_KEY`. `Ok(None)` when neither is set. A variable that
    /// is set but empty counts as unset (Ansible and systemd often export empty variables).
    pub fn from_env() -> Result<Option<ManagementCredential>, ApiError> {
        Self::from_lookup(|k| std::env::var_os(k))
    }

    /// [`Credential::from_env`] with an injectable environment, for tests.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<OsString>,
    ) -> Result<Option<ManagementCredential>, ApiError> {
        let read = |name: &'static str,
                    source: &CredentialSource|
         -> Result<Option<SecretString>, ApiError> {
            match lookup(name) {
                None => Ok(None),
                Some(v) => {
                    // Move the value into a SecretString before anything else looks at it.
                    let s = v.into_string().map_err(|os| {
                        drop(zeroize::Zeroizing::new(os.into_encoded_bytes()));
                        ApiError::BadCredentialShape {
                            source: source.clone(),
                            problem: ShapeProblem::NotToken68,
                        }
                    })?;
                    // Copy into an exactly-sized SecretString and wipe the original: converting
                    // the String itself could reallocate and leave an unwiped copy behind.
                    let s = zeroize::Zeroizing::new(s);
                    let secret = SecretString::from(s.as_str());
                    Ok((!secret.expose_secret().trim().is_empty()).then_some(secret))
                }
            }
        };
        if let Some(token) = read(TOKEN_ENV, &CredentialSource::TokenEnv)? {
            return ManagementCredential::bearer(&token, CredentialSource::TokenEnv).map(Some);
        }
        let email = lookup(EMAIL_ENV)
            .and_then(|v| v.into_string().ok())
            .filter(|s| !s.trim().is_empty());
        // The seed guides also spell the key CLOUDFLARE_GLOBAL_KEY; CLOUDFLARE_API_KEY wins.
        let key = match read(KEY_ENV, &CredentialSource::GlobalKeyEnv)? {
            Some(k) => Some(k),
            None => read(GLOBAL_KEY_ENV, &CredentialSource::GlobalKeyEnv)?,
        };
        match (email, key) {
            (None, None) => Ok(None),
            (Some(email), Some(key)) => {
                ManagementCredential::global_key(&email, &key, CredentialSource::GlobalKeyEnv)
                    .map(Some)
            }
            (Some(_), None) => Err(ApiError::IncompleteGlobalKey {
                present: EMAIL_ENV,
                missing: KEY_ENV,
            }),
            (None, Some(_)) => Err(ApiError::IncompleteGlobalKey {
                present: KEY_ENV,
                missing: EMAIL_ENV,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Diagnose;
    use std::collections::HashMap;

    const TOKEN: &str = "cfut_a1B2c3D4e5a1B2c3D4e5a1B2c3D4e5a1B2c3D4e50123abcd";

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).map(OsString::from)
    }

    fn all_text(e: &ApiError) -> String {
        format!("{e} {e:?} {}", e.hint().unwrap_or_default())
    }

    #[test]
    fn token68_shape() {
        for ok in [
            TOKEN,
            "8M7wS6hCpXVc-DoRnPPY_UCWPgy8aea4Wy6kCe5T",
            "abc.def~g+h/i==",
            "a=",
        ] {
            assert!(is_token68(ok), "{ok}");
        }
        for bad in [
            "",
            "=",
            "abc def",
            "abc\n",
            "\"abc\"",
            "Bearer abc",
            "a=b",
            "ä",
        ] {
            assert!(!is_token68(bad), "{bad:?}");
        }
    }

    #[test]
    fn token_env_wins_and_is_trimmed() {
        let padded = format!("  {TOKEN}\n");
        let m = Credential::from_lookup(env(&[
            (TOKEN_ENV, &padded),
            (EMAIL_ENV, "me@example.com"),
            (KEY_ENV, "0123456789abcdef0123456789abcdef01234"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(m.source(), &CredentialSource::TokenEnv);
        match m.credential() {
            Credential::Bearer(t) => assert_eq!(t.expose_secret(), TOKEN),
            other => panic!("{other:?}"),
        }
        assert!(!format!("{m:?}").contains(TOKEN));
    }

    #[test]
    fn global_key_from_env() {
        let m = Credential::from_lookup(env(&[
            (TOKEN_ENV, ""),
            (EMAIL_ENV, "me@example.com"),
            (KEY_ENV, "0123456789abcdef0123456789abcdef01234"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(m.source(), &CredentialSource::GlobalKeyEnv);
        let dbg = format!("{m:?}");
        assert!(dbg.contains("me@example.com") && !dbg.contains("0123456789abcdef"));
    }

    #[test]
    fn nothing_set_is_none_and_half_a_key_is_an_error() {
        assert!(Credential::from_lookup(env(&[])).unwrap().is_none());
        let err = Credential::from_lookup(env(&[(EMAIL_ENV, "me@example.com")])).unwrap_err();
        assert_eq!(err.code(), "incomplete_credential");
        assert!(all_text(&err).contains(KEY_ENV));
        let err =
            Credential::from_lookup(env(&[(KEY_ENV, "abcdef0123456789abcdef0123456789abcde")]))
                .unwrap_err();
        assert!(all_text(&err).contains(EMAIL_ENV));
    }

    #[test]
    fn bad_shapes_never_echo_the_value() {
        for (value, problem) in [
            ("my Zq7x token", ShapeProblem::NotToken68),
            ("\"cfut_quoted_Zq7xvalue\"", ShapeProblem::NotToken68),
            ("cfk_globalkeyZq7xvalue1234", ShapeProblem::GlobalKeyAsToken),
        ] {
            let err = Credential::from_lookup(env(&[(TOKEN_ENV, value)])).unwrap_err();
            assert!(
                matches!(&err, ApiError::BadCredentialShape { problem: p, .. } if *p == problem),
                "{err:?}"
            );
            let text = all_text(&err);
            assert!(text.contains(TOKEN_ENV), "{text}");
            assert!(!text.contains("Zq7x"), "{text}");
            assert_eq!(err.code(), "bad_credential");
        }
        let err = ManagementCredential::global_key(
            "me@example.com",
            &SecretString::from("has space Zq7xkey"),
            CredentialSource::GlobalKeyEnv,
        )
        .unwrap_err();
        assert!(!all_text(&err).contains("Zq7x"));
        let err = ManagementCredential::global_key(
            "not-an-email",
            &SecretString::from("abc"),
            CredentialSource::GlobalKeyEnv,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            ApiError::BadCredentialShape {
                problem: ShapeProblem::BadEmail,
                ..
            }
        ));
    }

    #[test]
    fn formats_by_prefix() {
        assert_eq!(
            TokenFormat::of(&SecretString::from(TOKEN)),
            TokenFormat::User
        );
        assert_eq!(
            TokenFormat::of(&SecretString::from("cfat_x")),
            TokenFormat::Account
        );
        assert_eq!(
            TokenFormat::of(&SecretString::from("cfk_x")),
            TokenFormat::GlobalKey
        );
        assert_eq!(
            TokenFormat::of(&SecretString::from("abc")),
            TokenFormat::Legacy
        );
    }

    #[test]
    fn sources_read_well() {
        let s = CredentialSource::AuthFile {
            path: "secrets/cf.yaml".into(),
            key: "mgmt_token".into(),
        };
        assert_eq!(
            s.to_string(),
            "the token at mgmt_token in secrets/cf.yaml (--auth-file)"
        );
        assert_eq!(
            CredentialSource::StoredToken.to_string(),
            "the stored token"
        );
    }
}
