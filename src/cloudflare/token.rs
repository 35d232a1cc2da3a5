//! The token model: what the token endpoints send and receive.
//!
//! Reading is lenient where the API is known to vary: the token status is an open set
//! (`revoked (exposed)` exists), a missing optional field and `null` mean the same, the IP
//! condition comes as `request_ip` or the legacy `request.ip`, resource values are `"*"` or a
//! nested map, and unknown fields are ignored. Writing is strict and minimal: only what the API
//! documents, `request_ip` only, no policy ids on create (the API refuses them), second-precision
//! UTC timestamps.

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;
use serde::de::Deserializer;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use super::serde_util::{null_default, opt_time};

/// A token's status. Open: Cloudflare added `revoked (exposed)` for tokens it revoked after a
/// leak, and may add more; anything unknown is kept verbatim rather than failing the response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum TokenStatus {
    /// Usable.
    #[default]
    Active,
    /// Switched off by its owner (`status: "disabled"` on update).
    Disabled,
    /// Past `expires_on`.
    Expired,
    /// Revoked automatically after it was found in public (secret scanning).
    RevokedExposed,
    /// Anything else, verbatim.
    Other(String),
}

impl TokenStatus {
    /// The API's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
            Self::Expired => "expired",
            Self::RevokedExposed => "revoked (exposed)",
            Self::Other(s) => s,
        }
    }

    /// Only `active` tokens work.
    pub fn is_active(&self) -> bool {
        *self == Self::Active
    }
}

impl From<&str> for TokenStatus {
    fn from(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "active" => Self::Active,
            "disabled" => Self::Disabled,
            "expired" => Self::Expired,
            "revoked (exposed)" => Self::RevokedExposed,
            _ => Self::Other(s.to_owned()),
        }
    }
}

impl fmt::Display for TokenStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for TokenStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TokenStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<String>::deserialize(d)? {
            Some(s) => Self::from(s.as_str()),
            None => Self::Other(String::new()),
        })
    }
}

/// A policy's effect. Documented as `allow`/`deny`; kept open like the status.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Effect {
    Allow,
    Deny,
    Other(String),
}

impl Effect {
    pub fn as_str(&self) -> &str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
            Self::Other(s) => s,
        }
    }
}

impl Serialize for Effect {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Effect {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.to_ascii_lowercase().as_str() {
            "allow" => Self::Allow,
            "deny" => Self::Deny,
            _ => Self::Other(s),
        })
    }
}

/// A permission group as it appears inside a policy. Only `id` matters on input; responses add
/// `name` and sometimes an opaque `meta`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionGroupRef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<serde_json::Value>,
}

impl PermissionGroupRef {
    /// A reference by id only, as create and update send it.
    pub fn id(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: None,
            meta: None,
        }
    }
}

/// The value of one `resources` entry: `"*"` (normally) or a nested map, as in
/// `{"com.cloudflare.api.account.<id>": {"com.cloudflare.api.account.zone.*": "*"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ResourceValue {
    /// A plain value, `"*"` in every documented case.
    Scope(String),
    /// A nested resource map.
    Nested(BTreeMap<String, ResourceValue>),
}

impl ResourceValue {
    /// `"*"`.
    pub fn all() -> Self {
        Self::Scope("*".to_owned())
    }
}

/// A policy's `resources`. A `BTreeMap`, so that two equal maps compare equal whatever order the
/// API returned the keys in.
pub type Resources = BTreeMap<String, ResourceValue>;

/// One token policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Assigned by Cloudflare; never sent on create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub effect: Effect,
    #[serde(default, deserialize_with = "null_default")]
    pub permission_groups: Vec<PermissionGroupRef>,
    #[serde(default, deserialize_with = "null_default")]
    pub resources: Resources,
}

/// `condition.request_ip`: CIDRs the token may (`in`) and may not (`not_in`) be used from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpCondition {
    #[serde(
        rename = "in",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub allow: Vec<String>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub not_in: Vec<String>,
}

impl IpCondition {
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty() && self.not_in.is_empty()
    }
}

/// A token's `condition`. Read from `request_ip` or the legacy `request.ip` key; written as
/// `request_ip` only, and not at all when empty: an empty `request_ip` once produced tokens that
/// worked from nowhere.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Condition {
    pub request_ip: Option<IpCondition>,
}

impl Condition {
    /// No restriction at all.
    pub fn is_empty(&self) -> bool {
        self.request_ip.as_ref().is_none_or(IpCondition::is_empty)
    }
}

impl Serialize for Condition {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        if let Some(ip) = self.request_ip.as_ref().filter(|ip| !ip.is_empty()) {
            map.serialize_entry("request_ip", ip)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Condition {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default)]
            request_ip: Option<IpCondition>,
            #[serde(default, rename = "request.ip")]
            legacy: Option<IpCondition>,
        }
        let raw = Option::<Raw>::deserialize(d)?;
        Ok(Condition {
            request_ip: raw.and_then(|r| r.request_ip.or(r.legacy)),
        })
    }
}

/// A token as the API returns it (never with its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    pub id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    #[serde(default)]
    pub status: TokenStatus,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_time")]
    pub issued_on: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_time")]
    pub modified_on: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_time")]
    pub last_used_on: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_time")]
    pub not_before: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_time")]
    pub expires_on: Option<Timestamp>,
    #[serde(default, deserialize_with = "null_default")]
    pub policies: Vec<Policy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
}

/// What create and update send: name, policies, validity window, IP condition and (update only)
/// status. Built by `policy::build_policies`, or from an existing token with
/// [`NewToken::successor_of`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewToken {
    /// 1–120 characters.
    pub name: String,
    /// At least one.
    pub policies: Vec<Policy>,
    pub not_before: Option<Timestamp>,
    pub expires_on: Option<Timestamp>,
    pub condition: Option<Condition>,
    /// Sent by update only (e.g. `disabled`); ignored by create.
    pub status: Option<TokenStatus>,
}

impl NewToken {
    /// A token with these policies and nothing else.
    pub fn new(name: impl Into<String>, policies: Vec<Policy>) -> Self {
        Self {
            name: name.into(),
            policies,
            not_before: None,
            expires_on: None,
            condition: None,
            status: None,
        }
    }

    /// A new token with the same policies and IP condition as `old`: what rotate mints. Policy
    /// ids and group names are dropped (the API refuses reused policy ids on create); validity
    /// times are left for the caller to set.
    pub fn successor_of(old: &Token, name: impl Into<String>) -> Self {
        let policies = old
            .policies
            .iter()
            .map(|p| Policy {
                id: None,
                effect: p.effect.clone(),
                permission_groups: p
                    .permission_groups
                    .iter()
                    .map(|g| PermissionGroupRef::id(g.id.clone()))
                    .collect(),
                resources: p.resources.clone(),
            })
            .collect();
        Self {
            condition: old.condition.clone().filter(|c| !c.is_empty()),
            ..Self::new(name, policies)
        }
    }

    /// The same token as `current`, for a read-modify-write update: everything kept, ids too.
    pub fn from_token(current: &Token) -> Self {
        Self {
            name: current.name.clone(),
            policies: current.policies.clone(),
            not_before: current.not_before,
            expires_on: current.expires_on,
            condition: current.condition.clone(),
            status: Some(current.status.clone()),
        }
    }

    /// The problem with this token, if any, checked before anything is sent.
    pub(crate) fn problem(&self) -> Option<&'static str> {
        let len = self.name.chars().count();
        if self.name.trim().is_empty() {
            Some("the token name is empty")
        } else if len > 120 {
            Some("the token name is longer than 120 characters")
        } else if self.policies.is_empty() {
            Some("the token has no policies")
        } else if self.policies.iter().any(|p| p.permission_groups.is_empty()) {
            Some("a policy has no permission groups")
        } else if self.policies.iter().any(|p| p.resources.is_empty()) {
            Some("a policy has no resources")
        } else if matches!((self.not_before, self.expires_on), (Some(nb), Some(exp)) if nb >= exp) {
            Some("not_before is not earlier than expires_on")
        } else {
            None
        }
    }

    /// The JSON body of `POST …/tokens`.
    pub(crate) fn create_body(&self) -> serde_json::Value {
        self.body(false)
    }

    /// The JSON body of `PUT …/tokens/{id}`.
    pub(crate) fn update_body(&self) -> serde_json::Value {
        self.body(true)
    }

    fn body(&self, update: bool) -> serde_json::Value {
        let policies = self
            .policies
            .iter()
            .map(|p| PolicyBody {
                id: p.id.as_deref().filter(|_| update),
                effect: &p.effect,
                permission_groups: p
                    .permission_groups
                    .iter()
                    .map(|g| GroupId { id: &g.id })
                    .collect(),
                resources: &p.resources,
            })
            .collect();
        let body = TokenBody {
            name: &self.name,
            policies,
            not_before: self.not_before.map(api_time),
            expires_on: self.expires_on.map(api_time),
            condition: self.condition.as_ref().filter(|c| !c.is_empty()),
            // Only the statuses an owner can set are sent back: `revoked (exposed)`, `expired`,
            // an empty or unknown status read from the token would be refused by the update API
            // (issue 12, item 7), so the field is left out and the status stays as it is.
            status: self
                .status
                .as_ref()
                .filter(|s| update && matches!(s, TokenStatus::Active | TokenStatus::Disabled)),
        };
        // Plain structs of strings and maps always serialize; Null is never reached.
        serde_json::to_value(body).unwrap_or(serde_json::Value::Null)
    }
}

/// The body of a create or update, field for field what the API documents (the id of a policy
/// only on update; group references by id only).
#[derive(Serialize)]
struct TokenBody<'a> {
    name: &'a str,
    policies: Vec<PolicyBody<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    not_before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    condition: Option<&'a Condition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a TokenStatus>,
}

#[derive(Serialize)]
struct PolicyBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    effect: &'a Effect,
    permission_groups: Vec<GroupId<'a>>,
    resources: &'a Resources,
}

#[derive(Serialize)]
struct GroupId<'a> {
    id: &'a str,
}

/// Formats a timestamp the way the API documents it: UTC, second precision, `Z`.
pub fn api_time(t: Timestamp) -> String {
    Timestamp::from_second(t.as_second())
        .unwrap_or(t)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn token(v: serde_json::Value) -> Token {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn status_is_an_open_set() {
        let t = token(json!({"id":"a","name":"n","status":"revoked (exposed)","policies":[]}));
        assert_eq!(t.status, TokenStatus::RevokedExposed);
        let t = token(json!({"id":"a","name":"n","status":"quarantined"}));
        assert_eq!(t.status, TokenStatus::Other("quarantined".into()));
        assert!(!t.status.is_active());
        assert_eq!(t.status.to_string(), "quarantined");
        assert!(TokenStatus::from("Active").is_active());
    }

    #[test]
    fn missing_and_null_optionals_are_the_same() {
        let a = token(json!({"id":"a","name":"n","status":"active","policies":[]}));
        let b = token(
            json!({"id":"a","name":"n","status":"active","policies":null,
            "condition":null,"not_before":null,"expires_on":"","last_used_on":null,
            "issued_on":null,"modified_on":null,"unknown_field":{"x":1}}),
        );
        assert_eq!(a, b);
        assert_eq!(a.condition, None);
    }

    #[test]
    fn timestamps_parse_rfc3339() {
        let t = token(json!({"id":"a","name":"n","status":"active",
            "issued_on":"2018-07-01T05:20:00Z","expires_on":"2020-04-10T00:00:00.123456+02:00"}));
        assert_eq!(t.issued_on.unwrap().to_string(), "2018-07-01T05:20:00Z");
        assert_eq!(
            t.expires_on.unwrap().to_string(),
            "2020-04-09T22:00:00.123456Z"
        );
        assert!(
            serde_json::from_value::<Token>(json!({"id":"a","issued_on":"yesterday"})).is_err()
        );
    }

    #[test]
    fn both_condition_spellings_are_read() {
        let new = token(json!({"id":"a","name":"n","condition":
            {"request_ip":{"in":["10.0.0.0/8"],"not_in":["10.0.0.1/32"]}}}));
        let old = token(json!({"id":"a","name":"n","condition":
            {"request.ip":{"in":["10.0.0.0/8"],"not_in":["10.0.0.1/32"]}}}));
        assert_eq!(new.condition, old.condition);
        let ip = new.condition.unwrap().request_ip.unwrap();
        assert_eq!(ip.allow, vec!["10.0.0.0/8"]);
        assert_eq!(ip.not_in, vec!["10.0.0.1/32"]);
        let empty = token(json!({"id":"a","name":"n","condition":{}}));
        assert!(empty.condition.unwrap().is_empty());
    }

    #[test]
    fn resources_take_both_shapes() {
        let p: Policy = serde_json::from_value(json!({
            "id":"p1","effect":"allow",
            "permission_groups":[{"id":"g1","name":"DNS Write","meta":{"key":"k","value":"v"}}],
            "resources":{
                "com.cloudflare.api.account.zone.z1":"*",
                "com.cloudflare.api.account.a1":{"com.cloudflare.api.account.zone.*":"*"}
            }
        }))
        .unwrap();
        assert_eq!(
            p.resources["com.cloudflare.api.account.zone.z1"],
            ResourceValue::all()
        );
        match &p.resources["com.cloudflare.api.account.a1"] {
            ResourceValue::Nested(inner) => {
                assert_eq!(
                    inner["com.cloudflare.api.account.zone.*"],
                    ResourceValue::all()
                )
            }
            other => panic!("{other:?}"),
        }
        // Round trip keeps the nested shape.
        let back = serde_json::to_value(&p.resources).unwrap();
        assert_eq!(
            back["com.cloudflare.api.account.a1"]["com.cloudflare.api.account.zone.*"],
            "*"
        );
    }

    fn sample_policy() -> Policy {
        Policy {
            id: Some("p1".into()),
            effect: Effect::Allow,
            permission_groups: vec![PermissionGroupRef {
                id: "g1".into(),
                name: Some("DNS Write".into()),
                meta: None,
            }],
            resources: [(
                "com.cloudflare.api.account.zone.z1".to_owned(),
                ResourceValue::all(),
            )]
            .into(),
        }
    }

    #[test]
    fn create_body_is_minimal_and_never_carries_policy_ids() {
        let mut t = NewToken::new("deploy", vec![sample_policy()]);
        t.expires_on = Some("2026-07-01T00:00:00.987Z".parse().unwrap());
        t.condition = Some(Condition {
            request_ip: Some(IpCondition {
                allow: vec!["192.0.2.0/24".into()],
                not_in: vec![],
            }),
        });
        t.status = Some(TokenStatus::Disabled);
        let body = t.create_body();
        assert_eq!(
            body,
            json!({"name":"deploy","policies":[{"effect":"allow",
                "permission_groups":[{"id":"g1"}],
                "resources":{"com.cloudflare.api.account.zone.z1":"*"}}],
                "expires_on":"2026-07-01T00:00:00Z",
                "condition":{"request_ip":{"in":["192.0.2.0/24"]}}})
        );
        let update = t.update_body();
        assert_eq!(update["policies"][0]["id"], "p1");
        assert_eq!(update["status"], "disabled");
    }

    #[test]
    fn empty_condition_is_not_sent() {
        let mut t = NewToken::new("x", vec![sample_policy()]);
        t.condition = Some(Condition {
            request_ip: Some(IpCondition::default()),
        });
        assert!(t.create_body().get("condition").is_none());
    }

    #[test]
    fn successor_keeps_policies_and_condition_but_not_ids() {
        let old = token(json!({"id":"a","name":"old","status":"active",
            "policies":[{"id":"p1","effect":"allow","permission_groups":[{"id":"g1","name":"DNS Write"}],
              "resources":{"com.cloudflare.api.account.zone.z1":"*"}}],
            "condition":{"request.ip":{"in":["10.0.0.0/8"]}}}));
        let s = NewToken::successor_of(&old, "new");
        assert_eq!(s.name, "new");
        assert_eq!(s.policies[0].id, None);
        assert_eq!(s.policies[0].permission_groups[0].name, None);
        assert_eq!(s.condition, old.condition);
        assert_eq!(s.problem(), None);
    }

    #[test]
    fn local_validation() {
        assert!(NewToken::new("", vec![sample_policy()]).problem().is_some());
        assert!(
            NewToken::new("x".repeat(121), vec![sample_policy()])
                .problem()
                .is_some()
        );
        assert!(NewToken::new("ok", vec![]).problem().is_some());
        let mut t = NewToken::new("ok", vec![sample_policy()]);
        t.not_before = Some("2026-01-02T00:00:00Z".parse().unwrap());
        t.expires_on = Some("2026-01-01T00:00:00Z".parse().unwrap());
        assert!(t.problem().is_some());
    }
}
