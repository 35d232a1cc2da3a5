//! The stored token and how the API renders it. The secret itself is never
//! stored, only its SHA-256.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::catalog::PermissionGroup;
use crate::cidr::Cidr;
use crate::clock::format_ts;
use crate::secrets::SecretHash;

/// Who a token belongs to: the user (`/user/tokens`, `cfut_`) or an account
/// (`/accounts/{id}/tokens`, `cfat_`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Owner {
    User(String),
    Account(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    Allow,
    Deny,
}

#[derive(Debug, Clone)]
pub(crate) struct Policy {
    pub id: String,
    pub effect: Effect,
    pub groups: Vec<&'static PermissionGroup>,
    /// Kept as sent (validated): `"*"` or a nested object per key.
    pub resources: Map<String, Value>,
}

/// `condition.request_ip`. The original CIDR strings are kept so that a
/// client reading its token back sees what it sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct Condition {
    pub ip_in: Option<Vec<(String, Cidr)>>,
    pub ip_not_in: Option<Vec<(String, Cidr)>>,
}

impl Condition {
    /// `in` (when present) must contain the address and `not_in` must not.
    /// A present but empty `in`, or a `request_ip` with neither list, admits
    /// nobody: in 2020 Terraform sent an empty `request_ip` and got a token
    /// usable from nowhere (TF #897) [? may have changed since].
    pub(crate) fn permits(&self, ip: IpAddr) -> bool {
        if self.ip_in.is_none() && self.ip_not_in.is_none() {
            return false;
        }
        let hit =
            |list: &Option<Vec<(String, Cidr)>>| list.iter().flatten().any(|(_, c)| c.contains(ip));
        (self.ip_in.is_none() || hit(&self.ip_in)) && !hit(&self.ip_not_in)
    }

    /// Always emitted with the current key `request_ip`, whichever spelling
    /// came in.
    pub(crate) fn to_json(&self) -> Value {
        let strings = |l: &Vec<(String, Cidr)>| -> Value {
            l.iter().map(|(s, _)| Value::from(s.as_str())).collect()
        };
        let mut ip = Map::new();
        if let Some(l) = &self.ip_in {
            ip.insert("in".into(), strings(l));
        }
        if let Some(l) = &self.ip_not_in {
            ip.insert("not_in".into(), strings(l));
        }
        json!({"request_ip": ip})
    }
}

pub(crate) const ACTIVE: &str = "active";
pub(crate) const DISABLED: &str = "disabled";
pub(crate) const EXPIRED: &str = "expired";

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub id: String,
    pub name: String,
    pub owner: Owner,
    /// As set: `active`, `disabled`, `revoked (exposed)`, ... An `active`
    /// token past `expires_on` reports `expired` (see `effective_status`).
    pub status: String,
    pub issued_on: i64,
    pub modified_on: i64,
    pub last_used_on: Option<i64>,
    pub not_before: Option<i64>,
    pub expires_on: Option<i64>,
    pub policies: Vec<Policy>,
    pub condition: Option<Condition>,
    pub secret_hash: SecretHash,
    /// When its permissions take effect (`Strict::propagation_secs` after an API create).
    pub effective_from: i64,
}

impl Token {
    pub(crate) fn effective_status(&self, now: i64) -> &str {
        match self.expires_on {
            Some(exp) if self.status == ACTIVE && exp <= now => EXPIRED,
            _ => &self.status,
        }
    }

    pub(crate) fn not_yet_valid(&self, now: i64) -> bool {
        self.not_before.is_some_and(|nb| now < nb)
    }

    /// May authenticate a request right now (the IP condition aside).
    pub(crate) fn usable(&self, now: i64) -> bool {
        self.effective_status(now) == ACTIVE && !self.not_yet_valid(now)
    }

    pub(crate) fn permits_ip(&self, ip: IpAddr) -> bool {
        self.condition.as_ref().is_none_or(|c| c.permits(ip))
    }

    pub(crate) fn policies_json(&self) -> Value {
        self.policies
            .iter()
            .map(|p| {
                json!({
                    "id": p.id,
                    "effect": match p.effect { Effect::Allow => "allow", Effect::Deny => "deny" },
                    "resources": p.resources,
                    "permission_groups": p.groups.iter()
                        .map(|g| json!({"id": g.id, "name": g.name}))
                        .collect::<Vec<_>>(),
                })
            })
            .collect()
    }

    /// The API's token object. Optional fields are omitted when unset, as on
    /// the live API; `value` is never part of it.
    pub(crate) fn to_json(&self, now: i64) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), self.id.clone().into());
        m.insert("name".into(), self.name.clone().into());
        m.insert("status".into(), self.effective_status(now).into());
        m.insert("issued_on".into(), format_ts(self.issued_on).into());
        m.insert("modified_on".into(), format_ts(self.modified_on).into());
        let optional = [
            ("last_used_on", self.last_used_on),
            ("not_before", self.not_before),
            ("expires_on", self.expires_on),
        ];
        for (key, ts) in optional {
            if let Some(ts) = ts {
                m.insert(key.into(), format_ts(ts).into());
            }
        }
        m.insert("policies".into(), self.policies_json());
        if let Some(c) = &self.condition {
            m.insert("condition".into(), c.to_json());
        }
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(ip_in: Option<&[&str]>, ip_not_in: Option<&[&str]>) -> Condition {
        let list = |l: &[&str]| {
            l.iter()
                .map(|s| (s.to_string(), Cidr::parse(s).unwrap()))
                .collect()
        };
        Condition {
            ip_in: ip_in.map(list),
            ip_not_in: ip_not_in.map(list),
        }
    }

    #[test]
    fn ip_condition_semantics() {
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(cond(Some(&["127.0.0.0/8"]), None).permits(lo));
        assert!(!cond(Some(&["10.0.0.0/8"]), None).permits(lo));
        assert!(!cond(Some(&["127.0.0.0/8"]), Some(&["127.0.0.1/32"])).permits(lo));
        assert!(cond(None, Some(&["10.0.0.0/8"])).permits(lo));
        assert!(!cond(Some(&[]), None).permits(lo));
        assert!(!cond(None, None).permits(lo));
    }
}
