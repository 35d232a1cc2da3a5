//! Parsing and validating create/update bodies. Structural problems are
//! 400/1001 with the fake's own wording (the live messages were not captured
//! [?]); whether the caller may grant the resources is `policy::check_grantable`.

use serde_json::{Map, Value};

use crate::catalog::{self, PermissionGroup};
use crate::cidr::Cidr;
use crate::clock::parse_ts;
use crate::envelope::ApiError;
use crate::token::{ACTIVE, Condition, DISABLED, Effect};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Create,
    Update,
}

#[derive(Debug, Clone)]
pub(crate) struct PolicyInput {
    pub id: Option<String>,
    pub effect: Effect,
    pub groups: Vec<&'static PermissionGroup>,
    pub resources: Map<String, Value>,
}

#[derive(Debug, Clone)]
pub(crate) struct TokenInput {
    pub name: String,
    pub policies: Vec<PolicyInput>,
    pub condition: Option<Condition>,
    pub not_before: Option<i64>,
    pub expires_on: Option<i64>,
    /// Update only; create always yields `active`.
    pub status: Option<String>,
}

pub(crate) const MAX_NAME_CHARS: usize = 120;

pub(crate) fn parse(body: &Value, purpose: Purpose) -> Result<TokenInput, ApiError> {
    let obj = body
        .as_object()
        .ok_or_else(|| ApiError::invalid("Request body must be a JSON object"))?;
    let name = match obj.get("name") {
        Some(Value::String(s)) => s.clone(),
        _ => return Err(ApiError::invalid("name is required")),
    };
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(ApiError::invalid(format!(
            "name must be between 1 and {MAX_NAME_CHARS} characters"
        )));
    }
    let policies = match obj.get("policies") {
        Some(Value::Array(list)) if !list.is_empty() => list
            .iter()
            .map(|p| parse_policy(p, purpose))
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(ApiError::invalid("policies must be a non-empty array")),
    };
    let not_before = timestamp(obj, "not_before")?;
    let expires_on = timestamp(obj, "expires_on")?;
    if let (Some(nb), Some(exp)) = (not_before, expires_on)
        && exp <= nb
    {
        return Err(ApiError::invalid(
            "expires_on must be later than not_before",
        ));
    }
    let status = match (purpose, obj.get("status")) {
        (Purpose::Update, Some(Value::String(s))) if s == ACTIVE || s == DISABLED => {
            Some(s.clone())
        }
        (Purpose::Update, Some(Value::Null) | None) | (Purpose::Create, _) => None,
        (Purpose::Update, Some(_)) => {
            return Err(ApiError::invalid(
                "status must be \"active\" or \"disabled\"",
            ));
        }
    };
    Ok(TokenInput {
        name,
        policies,
        condition: parse_condition(obj.get("condition"))?,
        not_before,
        expires_on,
        status,
    })
}

fn timestamp(obj: &Map<String, Value>, key: &str) -> Result<Option<i64>, ApiError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => parse_ts(s).map(Some).ok_or_else(|| {
            ApiError::invalid(format!(
                "{key} must be an RFC 3339 timestamp like 2018-07-01T05:20:00Z"
            ))
        }),
        Some(_) => Err(ApiError::invalid(format!("{key} must be a string"))),
    }
}

fn parse_policy(p: &Value, purpose: Purpose) -> Result<PolicyInput, ApiError> {
    let obj = p
        .as_object()
        .ok_or_else(|| ApiError::invalid("each policy must be an object"))?;
    let id = match obj.get("id") {
        None | Some(Value::Null) => None,
        Some(_) if purpose == Purpose::Create => {
            return Err(ApiError::invalid(
                "Reusing existing policies is not supported by token creation",
            ));
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(ApiError::invalid("policies[].id must be a string")),
    };
    let effect = match obj.get("effect").and_then(Value::as_str) {
        Some("allow") => Effect::Allow,
        Some("deny") => Effect::Deny,
        _ => {
            return Err(ApiError::invalid(
                "policies[].effect must be \"allow\" or \"deny\"",
            ));
        }
    };
    let groups = match obj.get("permission_groups") {
        Some(Value::Array(list)) if !list.is_empty() => list
            .iter()
            .map(parse_group)
            .collect::<Result<Vec<_>, _>>()?,
        _ => {
            return Err(ApiError::invalid(
                "policies[].permission_groups must be a non-empty array",
            ));
        }
    };
    let resources = match obj.get("resources") {
        Some(Value::Object(m)) if !m.is_empty() => m.clone(),
        _ => {
            return Err(ApiError::invalid(
                "policies[].resources must be a non-empty object",
            ));
        }
    };
    for value in resources.values() {
        let ok = match value {
            Value::String(s) => s == "*",
            Value::Object(inner) => !inner.is_empty() && inner.values().all(|v| v == "*"),
            _ => false,
        };
        if !ok {
            return Err(ApiError::invalid(
                "policies[].resources values must be \"*\" or an object of \"*\"",
            ));
        }
    }
    Ok(PolicyInput {
        id,
        effect,
        groups,
        resources,
    })
}

/// Only `id` counts; a `name` sent along is ignored, as the docs say.
fn parse_group(g: &Value) -> Result<&'static PermissionGroup, ApiError> {
    let id = g
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid("permission_groups[].id must be present"))?;
    catalog::by_id(id)
        .ok_or_else(|| ApiError::invalid(format!("Permission group {id} does not exist")))
}

/// Accepts the current `request_ip` and the legacy `request.ip` (still in the
/// docs' how-to). `condition: {}` or null means no restriction.
fn parse_condition(c: Option<&Value>) -> Result<Option<Condition>, ApiError> {
    let obj = match c {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(o)) => o,
        Some(_) => return Err(ApiError::invalid("condition must be an object")),
    };
    let ip = match obj.get("request_ip").or_else(|| obj.get("request.ip")) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(ip)) => ip,
        Some(_) => return Err(ApiError::invalid("condition.request_ip must be an object")),
    };
    Ok(Some(Condition {
        ip_in: cidr_list(ip.get("in"), "in")?,
        ip_not_in: cidr_list(ip.get("not_in"), "not_in")?,
    }))
}

type CidrList = Vec<(String, Cidr)>;

fn cidr_list(v: Option<&Value>, key: &str) -> Result<Option<CidrList>, ApiError> {
    let list = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(list)) => list,
        Some(_) => {
            return Err(ApiError::invalid(format!(
                "condition.request_ip.{key} must be an array"
            )));
        }
    };
    list.iter()
        .map(|item| {
            item.as_str()
                .and_then(|s| Cidr::parse(s).map(|c| (s.to_string(), c)))
                .ok_or_else(|| {
                    ApiError::invalid(format!(
                        "condition.request_ip.{key}: {item} is not a CIDR (use /32 for one address)"
                    ))
                })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body() -> Value {
        json!({"name": "t", "policies": [{"effect": "allow",
            "resources": {"com.cloudflare.api.account.zone.*": "*"},
            "permission_groups": [{"id": "c8fed203ed3043cba015a93ad1616f1f", "name": "ignored"}]}]})
    }

    fn err(v: Value, p: Purpose) -> ApiError {
        parse(&v, p).unwrap_err()
    }

    #[test]
    fn valid_body_parses() {
        let t = parse(&body(), Purpose::Create).unwrap();
        assert_eq!(t.policies[0].groups[0].name, "Zone Read");
        assert!(t.condition.is_none());
    }

    #[test]
    fn structural_errors() {
        let mut b = body();
        b["name"] = json!("x".repeat(121));
        assert_eq!(err(b, Purpose::Create).code, 1001);
        let mut b = body();
        b["name"] = json!("é".repeat(120));
        assert!(parse(&b, Purpose::Create).is_ok());
        let mut b = body();
        b["policies"] = json!([]);
        assert_eq!(err(b, Purpose::Create).status, 400);
        let mut b = body();
        b["policies"][0]["effect"] = json!("maybe");
        assert_eq!(err(b, Purpose::Create).status, 400);
        let mut b = body();
        b["policies"][0]["permission_groups"][0]["id"] = json!("00000000000000000000000000000000");
        assert!(err(b, Purpose::Create).message.contains("does not exist"));
        let mut b = body();
        b["expires_on"] = json!("tomorrow");
        assert_eq!(err(b, Purpose::Create).status, 400);
    }

    #[test]
    fn policy_ids_only_on_update() {
        let mut b = body();
        b["policies"][0]["id"] = json!("f267e341f3dd4697bd3b9f71dd96247f");
        assert_eq!(
            err(b.clone(), Purpose::Create).message,
            "Reusing existing policies is not supported by token creation"
        );
        assert!(parse(&b, Purpose::Update).is_ok());
    }

    #[test]
    fn both_condition_spellings() {
        for key in ["request_ip", "request.ip"] {
            let mut b = body();
            b["condition"] = json!({key: {"in": ["10.0.0.0/8", "2400:cb00::/32"]}});
            let c = parse(&b, Purpose::Create).unwrap().condition.unwrap();
            assert_eq!(
                c.to_json(),
                json!({"request_ip": {"in": ["10.0.0.0/8", "2400:cb00::/32"]}})
            );
        }
        let mut b = body();
        b["condition"] = json!({"request_ip": {"in": ["10.0.0.1"]}});
        assert_eq!(err(b, Purpose::Create).status, 400);
        let mut b = body();
        b["condition"] = json!({});
        assert!(parse(&b, Purpose::Create).unwrap().condition.is_none());
    }

    #[test]
    fn status_only_on_update() {
        let mut b = body();
        b["status"] = json!("disabled");
        assert_eq!(parse(&b, Purpose::Create).unwrap().status, None);
        assert_eq!(
            parse(&b, Purpose::Update).unwrap().status.as_deref(),
            Some("disabled")
        );
        b["status"] = json!("expired");
        assert_eq!(err(b, Purpose::Update).status, 400);
    }
}
