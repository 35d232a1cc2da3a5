//! The other things the API returns: verify results, permission groups and their scopes, zones,
//! accounts, and the secret-bearing pieces of create and roll answers.

use std::fmt;

use jiff::Timestamp;
use secrecy::SecretString;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use super::serde_util::{null_default, opt_time};
use super::token::TokenStatus;

/// What `…/tokens/verify` says about the bearer token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyResult {
    pub id: String,
    #[serde(default)]
    pub status: TokenStatus,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_time")]
    pub not_before: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_time")]
    pub expires_on: Option<Timestamp>,
}

/// A permission group from `…/tokens/permission_groups`. Names are not unique: the same name can
/// exist at several scopes with different ids.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionGroup {
    pub id: String,
    pub name: String,
    /// Raw scope strings, e.g. `com.cloudflare.api.account.zone`; see [`Scope::from_api`].
    #[serde(default, deserialize_with = "null_default")]
    pub scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

impl PermissionGroup {
    /// Whether the group applies at `scope`.
    pub fn has_scope(&self, scope: Scope) -> bool {
        self.scopes
            .iter()
            .any(|s| Scope::from_api(s) == Some(scope))
    }

    /// The first scope cfsecret knows (groups normally have exactly one).
    pub fn scope(&self) -> Option<Scope> {
        self.scopes.iter().find_map(|s| Scope::from_api(s))
    }
}

/// The resource scopes a permission group can apply to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// `com.cloudflare.api.user`: the user itself (e.g. API Tokens Write).
    User,
    /// `com.cloudflare.api.account`.
    Account,
    /// `com.cloudflare.api.account.zone`.
    Zone,
    /// `com.cloudflare.edge.r2.bucket`: single R2 buckets.
    R2Bucket,
}

impl Scope {
    /// Parses the API's scope string; `None` for scopes cfsecret does not know.
    pub fn from_api(s: &str) -> Option<Self> {
        match s.trim() {
            "com.cloudflare.api.user" => Some(Self::User),
            "com.cloudflare.api.account" => Some(Self::Account),
            "com.cloudflare.api.account.zone" => Some(Self::Zone),
            "com.cloudflare.edge.r2.bucket" => Some(Self::R2Bucket),
            _ => None,
        }
    }

    /// Parses what a user types for `--scope`: `zone`, `account`, `user`, `r2-bucket`, or the API
    /// string.
    pub fn from_user(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zone" => Some(Self::Zone),
            "account" => Some(Self::Account),
            "user" => Some(Self::User),
            "r2-bucket" | "r2bucket" | "bucket" => Some(Self::R2Bucket),
            other => Self::from_api(other),
        }
    }

    /// The API's scope string, as sent in `?scope=`.
    pub fn as_api(self) -> &'static str {
        match self {
            Self::User => "com.cloudflare.api.user",
            Self::Account => "com.cloudflare.api.account",
            Self::Zone => "com.cloudflare.api.account.zone",
            Self::R2Bucket => "com.cloudflare.edge.r2.bucket",
        }
    }

    /// A short word for messages: `zone`, `account`, `user`, `r2-bucket`.
    pub fn as_word(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Account => "account",
            Self::Zone => "zone",
            Self::R2Bucket => "r2-bucket",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_word())
    }
}

/// Filters for the permission-groups endpoint (`?name=…&scope=…`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PermissionGroupFilter {
    /// Exact API name, e.g. "DNS Write".
    pub name: Option<String>,
    pub scope: Option<Scope>,
}

/// A zone from `GET /zones`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Zone {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountRef>,
}

/// The account a zone belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// An account from `GET /accounts`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
}

/// The `{"id": …}` result of DELETE.
#[derive(Debug, Deserialize)]
pub(crate) struct Deleted {
    #[allow(dead_code)] // parsed to check the shape; the caller already knows the id
    #[serde(default)]
    pub id: Option<String>,
}

/// A token secret inside a response: deserialized from the body bytes straight into a
/// `SecretString`, with no intermediate `String` left behind.
pub(crate) struct SecretValue(pub SecretString);

impl<'de> Deserialize<'de> for SecretValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SecretValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a token secret (a string)")
            }
            // serde_json hands over a slice of the (zeroized-after-use) body when the string has
            // no escapes, which token secrets never have. `SecretString::from(&str)` allocates
            // exactly once, at the final size, so no reallocation leaves a copy behind.
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SecretValue, E> {
                Ok(SecretValue(SecretString::from(v)))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<SecretValue, E> {
                let v = zeroize::Zeroizing::new(v);
                Ok(SecretValue(SecretString::from(v.as_str())))
            }
        }
        d.deserialize_str(V)
    }
}

/// The secret half of a create response (`result.value`); the rest is parsed as a [`Token`] in a
/// second pass, which skips `value` without copying it.
#[derive(Deserialize)]
pub(crate) struct CreatedValue {
    pub value: SecretValue,
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use serde_json::json;

    #[test]
    fn secret_values_deserialize_without_debug_leaks() {
        let v: SecretValue = serde_json::from_slice(br#""cfut_abc""#).unwrap();
        assert_eq!(v.0.expose_secret(), "cfut_abc");
        assert!(!format!("{:?}", v.0).contains("cfut_abc"));
        let created: CreatedValue =
            serde_json::from_slice(br#"{"id":"x","value":"cfut_def","name":"n"}"#).unwrap();
        assert_eq!(created.value.0.expose_secret(), "cfut_def");
        assert!(serde_json::from_slice::<SecretValue>(b"42").is_err());
    }

    #[test]
    fn permission_group_scopes() {
        let g: PermissionGroup = serde_json::from_value(json!({"id":"1","name":"Zone Read",
            "scopes":["com.cloudflare.api.account.zone"],"category":"dns_and_zones","x":1}))
        .unwrap();
        assert!(g.has_scope(Scope::Zone));
        assert_eq!(g.scope(), Some(Scope::Zone));
        assert_eq!(Scope::from_user("Account"), Some(Scope::Account));
        assert_eq!(
            Scope::from_user("com.cloudflare.api.user"),
            Some(Scope::User)
        );
        assert_eq!(Scope::from_api("com.cloudflare.api.new.thing"), None);
    }
}
