//! The test-facing data types: `TokenSpec` (what to mint directly), `Minted`
//! and `TokenInfo` (a token without its secret).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::catalog::{self, SCOPE_ACCOUNT, SCOPE_USER, SCOPE_ZONE};
use crate::token::Owner;

/// A token to create directly, bypassing HTTP and the quota (test setup).
/// `policies` are API-shaped JSON; the builder methods produce them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenSpec {
    pub name: String,
    /// `None`: user-owned (`cfut_`); `Some(id)`: owned by that account (`cfat_`).
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub policies: Vec<Value>,
    /// Set after creation, e.g. `disabled` or `revoked (exposed)`.
    #[serde(default)]
    pub status: Option<String>,
    /// RFC 3339; see `FakeCloudflare::timestamp` for times relative to the
    /// fake's clock.
    #[serde(default)]
    pub expires_on: Option<String>,
    #[serde(default)]
    pub not_before: Option<String>,
    /// API-shaped, e.g. `{"request_ip": {"in": ["10.0.0.0/8"]}}`.
    #[serde(default)]
    pub condition: Option<Value>,
}

/// What a policy built by `TokenSpec::permission` applies to.
#[derive(Debug, Clone, PartialEq)]
pub enum Resource {
    /// `com.cloudflare.api.user.<id>` (pass `fake.user_id()`).
    User(String),
    /// `com.cloudflare.api.account.<id>`
    Account(String),
    /// `com.cloudflare.api.account.*`
    AllAccounts,
    /// `com.cloudflare.api.account.zone.<id>`
    Zone(String),
    /// `com.cloudflare.api.account.zone.*`
    AllZones,
    /// `{"com.cloudflare.api.account.<id>": {"com.cloudflare.api.account.zone.*": "*"}}`
    AccountZones(String),
}

impl Resource {
    pub fn to_json(&self) -> Value {
        match self {
            Resource::User(id) => json!({format!("com.cloudflare.api.user.{id}"): "*"}),
            Resource::Account(id) => json!({format!("com.cloudflare.api.account.{id}"): "*"}),
            Resource::AllAccounts => json!({"com.cloudflare.api.account.*": "*"}),
            Resource::Zone(id) => json!({format!("com.cloudflare.api.account.zone.{id}"): "*"}),
            Resource::AllZones => json!({"com.cloudflare.api.account.zone.*": "*"}),
            Resource::AccountZones(id) => json!({format!("com.cloudflare.api.account.{id}"):
                {"com.cloudflare.api.account.zone.*": "*"}}),
        }
    }

    /// The scope a permission group must have to apply here, which is how
    /// duplicate names ("Access: Apps and Policies Write") are told apart.
    pub fn scope(&self) -> &'static str {
        match self {
            Resource::User(_) => SCOPE_USER,
            Resource::Account(_) | Resource::AllAccounts => SCOPE_ACCOUNT,
            Resource::Zone(_) | Resource::AllZones | Resource::AccountZones(_) => SCOPE_ZONE,
        }
    }
}

impl TokenSpec {
    pub fn user(name: &str) -> Self {
        TokenSpec {
            name: name.into(),
            account_id: None,
            policies: Vec::new(),
            status: None,
            expires_on: None,
            not_before: None,
            condition: None,
        }
    }

    pub fn account(name: &str, account_id: &str) -> Self {
        TokenSpec {
            account_id: Some(account_id.into()),
            ..Self::user(name)
        }
    }

    /// Adds an allow policy granting the named group on `resource`.
    /// Panics if no group of that name exists at the resource's scope.
    pub fn permission(self, group: &str, resource: Resource) -> Self {
        self.permissions(&[group], resource)
    }

    /// One allow policy with several groups of the resource's scope.
    pub fn permissions(self, groups: &[&str], resource: Resource) -> Self {
        self.with_policy("allow", groups, resource)
    }

    /// Adds a deny policy for the named group on `resource`.
    pub fn deny(self, group: &str, resource: Resource) -> Self {
        self.with_policy("deny", &[group], resource)
    }

    /// Adds an API-shaped policy as is.
    pub fn policy(mut self, policy: Value) -> Self {
        self.policies.push(policy);
        self
    }

    pub fn status(mut self, status: &str) -> Self {
        self.status = Some(status.into());
        self
    }

    pub fn expires_on(mut self, ts: &str) -> Self {
        self.expires_on = Some(ts.into());
        self
    }

    pub fn not_before(mut self, ts: &str) -> Self {
        self.not_before = Some(ts.into());
        self
    }

    pub fn condition(mut self, condition: Value) -> Self {
        self.condition = Some(condition);
        self
    }

    /// Adds `cidr` to `condition.request_ip.in`.
    pub fn allow_ip(self, cidr: &str) -> Self {
        self.push_ip("in", cidr)
    }

    /// Adds `cidr` to `condition.request_ip.not_in`.
    pub fn deny_ip(self, cidr: &str) -> Self {
        self.push_ip("not_in", cidr)
    }

    fn push_ip(mut self, list: &str, cidr: &str) -> Self {
        let cond = self
            .condition
            .get_or_insert_with(|| json!({"request_ip": {}}));
        let ip = &mut cond["request_ip"];
        if !ip[list].is_array() {
            ip[list] = json!([]);
        }
        if let Some(a) = ip[list].as_array_mut() {
            a.push(cidr.into());
        }
        self
    }

    fn with_policy(self, effect: &str, groups: &[&str], resource: Resource) -> Self {
        let scope = resource.scope();
        let groups: Vec<Value> = groups
            .iter()
            .map(|name| {
                let g = catalog::find(name, scope)
                    .unwrap_or_else(|| panic!("no permission group {name:?} at scope {scope}"));
                json!({"id": g.id})
            })
            .collect();
        self.policy(
            json!({"effect": effect, "resources": resource.to_json(), "permission_groups": groups}),
        )
    }

    /// The create body the API would receive for this spec.
    pub(crate) fn to_create_body(&self) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), self.name.clone().into());
        m.insert("policies".into(), self.policies.clone().into());
        for (key, v) in [
            ("expires_on", &self.expires_on),
            ("not_before", &self.not_before),
        ] {
            if let Some(v) = v {
                m.insert(key.into(), v.clone().into());
            }
        }
        if let Some(c) = &self.condition {
            m.insert("condition".into(), c.clone());
        }
        Value::Object(m)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Minted {
    pub id: String,
    pub secret: String,
}

/// Everything about a token but its secret, as the fake sees it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    /// Effective status: an active token past `expires_on` is `expired`.
    pub status: String,
    pub owner: Owner,
    pub issued_on: String,
    pub modified_on: String,
    pub last_used_on: Option<String>,
    pub expires_on: Option<String>,
    pub not_before: Option<String>,
    /// API-shaped, with policy ids and permission-group names filled in.
    pub policies: Value,
    /// API-shaped (`request_ip`), if the token has a condition.
    pub condition: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_resolves_names_by_scope() {
        let s = TokenSpec::user("t")
            .permission("Access: Apps and Policies Write", Resource::AllZones)
            .permission("Access: Apps and Policies Write", Resource::AllAccounts)
            .allow_ip("10.0.0.0/8")
            .allow_ip("::1/128")
            .deny_ip("10.1.0.0/16");
        assert_eq!(
            s.policies[0]["permission_groups"][0]["id"],
            "959972745952452f8be2452be8cbb9f2"
        );
        assert_eq!(
            s.policies[1]["permission_groups"][0]["id"],
            "1e13c5124ca64b72b1969a67e8829049"
        );
        assert_eq!(
            s.condition,
            Some(
                json!({"request_ip": {"in": ["10.0.0.0/8", "::1/128"], "not_in": ["10.1.0.0/16"]}})
            )
        );
    }

    #[test]
    #[should_panic(expected = "no permission group")]
    fn wrong_scope_panics() {
        let _ = TokenSpec::user("t").permission("DNS Write", Resource::AllAccounts);
    }
}
