//! Building a token's `policies` and `condition`, and comparing two tokens' grants.
//!
//! A permission group applies only to resources of its own scope, so resolved groups are split
//! by scope: one policy for all zone groups over all given zones
//! (`com.cloudflare.api.account.zone.<id>`), one for the account groups over the accounts
//! (`com.cloudflare.api.account.<id>`), one for user groups on the user
//! (`com.cloudflare.api.user.<id>`). A scope without resources, or resources without a group
//! that uses them, is an error rather than a token that silently grants less than asked.
//!
//! Rotation must mint a successor with "the same policies". The API may reorder policies and the
//! groups inside them, assigns fresh policy ids and fills in group names, so policies are
//! compared by identity: effect, set of group ids, resources; order-insensitive.

use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

use super::catalog::ResolvedPermission;
use crate::cloudflare::{
    Condition, Effect, IpCondition, PermissionGroupRef, Policy, ResourceValue, Resources, Scope,
    Token,
};
use crate::error::{Diagnose, Exit};

/// A token spec that cannot be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyError {
    /// No permission at all.
    NoPermissions,
    /// Zone permissions but no `--zone`.
    NeedsZones { permissions: Vec<String> },
    /// Account permissions but no `--account`.
    NeedsAccounts { permissions: Vec<String> },
    /// User permissions (e.g. API Tokens Write) but no user id.
    NeedsUser { permissions: Vec<String> },
    /// A group whose scope cfsecret cannot build resources for (R2 buckets, unknown scopes).
    UnsupportedScope { permission: String, scope: String },
    /// `--zone` given but no permission uses zones.
    UnusedZones,
    /// `--account` given but no permission uses accounts.
    UnusedAccounts,
    /// `--allow-ip`/`--deny-ip` value that is not an IP address or CIDR.
    BadCidr { input: String, reason: String },
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoPermissions => f.write_str("the token would have no permissions"),
            Self::NeedsZones { permissions } => write!(
                f,
                "zone permissions ({}) need at least one zone",
                permissions.join(", ")
            ),
            Self::NeedsAccounts { permissions } => write!(
                f,
                "account permissions ({}) need at least one account",
                permissions.join(", ")
            ),
            Self::NeedsUser { permissions } => write!(
                f,
                "user permissions ({}) need the user's id",
                permissions.join(", ")
            ),
            Self::UnsupportedScope { permission, scope } => write!(
                f,
                "permission {permission:?} applies to {scope} resources, which cfsecret cannot \
                 grant yet"
            ),
            Self::UnusedZones => f.write_str("zones were given but no permission applies to zones"),
            Self::UnusedAccounts => {
                f.write_str("accounts were given but no permission applies to accounts")
            }
            Self::BadCidr { input, reason } => {
                write!(f, "{input:?} is not an IP address or CIDR: {reason}")
            }
        }
    }
}

impl std::error::Error for PolicyError {}

impl Diagnose for PolicyError {
    fn code(&self) -> &'static str {
        match self {
            Self::NoPermissions => "no_permissions",
            Self::NeedsZones { .. } => "needs_zone",
            Self::NeedsAccounts { .. } => "needs_account",
            Self::NeedsUser { .. } => "needs_user",
            Self::UnsupportedScope { .. } => "unsupported_scope",
            Self::UnusedZones => "unused_zone",
            Self::UnusedAccounts => "unused_account",
            Self::BadCidr { .. } => "bad_cidr",
        }
    }

    fn exit(&self) -> Exit {
        Exit::Usage
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            Self::NoPermissions => "give --preset or at least one --permission".to_owned(),
            Self::NeedsZones { .. } => "add --zone NAME (or zone id) for each zone".to_owned(),
            Self::NeedsAccounts { .. } => "add --account NAME (or account id)".to_owned(),
            Self::NeedsUser { .. } => {
                "user-scoped permissions such as API Tokens Write are not supported in created \
                 tokens yet; make such a token in the dashboard"
                    .to_owned()
            }
            Self::UnsupportedScope { .. } => {
                "leave that permission out, or create this token in the dashboard".to_owned()
            }
            Self::UnusedZones => {
                "drop --zone, or add a zone permission such as \"DNS Write\"".to_owned()
            }
            Self::UnusedAccounts => {
                "drop --account, or add an account permission such as \"Workers Scripts Write\""
                    .to_owned()
            }
            Self::BadCidr { .. } => {
                "use an address (192.0.2.7, 2001:db8::1) or a network in CIDR form \
                 (192.0.2.0/24, 2001:db8::/32)"
                    .to_owned()
            }
        })
    }
}

/// The resource key of one zone, account or user.
pub fn zone_resource(id: &str) -> String {
    format!("com.cloudflare.api.account.zone.{id}")
}

/// The resource key of one account.
pub fn account_resource(id: &str) -> String {
    format!("com.cloudflare.api.account.{id}")
}

/// The resource key of the user.
pub fn user_resource(id: &str) -> String {
    format!("com.cloudflare.api.user.{id}")
}

fn resources(ids: &[String], key: fn(&str) -> String) -> Resources {
    ids.iter()
        .map(|id| (key(id.trim()), ResourceValue::all()))
        .collect()
}

/// Builds allow policies from resolved groups and resource ids (zone and account *ids*: look
/// names up first). Groups are deduplicated; policies come out account, zone, user.
pub fn build_policies(
    permissions: &[ResolvedPermission],
    zone_ids: &[String],
    account_ids: &[String],
    user_id: Option<&str>,
) -> Result<Vec<Policy>, PolicyError> {
    if permissions.is_empty() {
        return Err(PolicyError::NoPermissions);
    }
    let mut by_scope: [(Scope, Vec<&ResolvedPermission>); 3] = [
        (Scope::Account, vec![]),
        (Scope::Zone, vec![]),
        (Scope::User, vec![]),
    ];
    for p in permissions {
        let slot = by_scope.iter_mut().find(|(s, _)| Some(*s) == p.scope);
        match slot {
            Some((_, list)) => {
                if !list.iter().any(|q| q.group.id == p.group.id) {
                    list.push(p);
                }
            }
            None => {
                return Err(PolicyError::UnsupportedScope {
                    permission: p.group.name.clone(),
                    scope: p
                        .scope
                        .map_or_else(|| p.group.scopes.join(", "), |s| s.as_word().to_owned()),
                });
            }
        }
    }
    let names = |list: &[&ResolvedPermission]| list.iter().map(|p| p.group.name.clone()).collect();
    let mut policies = Vec::new();
    for (scope, list) in &by_scope {
        let used = !list.is_empty();
        let res = match scope {
            Scope::Account if used && account_ids.is_empty() => {
                return Err(PolicyError::NeedsAccounts {
                    permissions: names(list),
                });
            }
            Scope::Account if !used && !account_ids.is_empty() => {
                return Err(PolicyError::UnusedAccounts);
            }
            Scope::Account => resources(account_ids, account_resource),
            Scope::Zone if used && zone_ids.is_empty() => {
                return Err(PolicyError::NeedsZones {
                    permissions: names(list),
                });
            }
            Scope::Zone if !used && !zone_ids.is_empty() => return Err(PolicyError::UnusedZones),
            Scope::Zone => resources(zone_ids, zone_resource),
            Scope::User => match user_id {
                Some(id) => resources(&[id.to_owned()], user_resource),
                None if used => {
                    return Err(PolicyError::NeedsUser {
                        permissions: names(list),
                    });
                }
                None => Resources::new(),
            },
            Scope::R2Bucket => Resources::new(),
        };
        if used {
            policies.push(Policy {
                id: None,
                effect: Effect::Allow,
                permission_groups: list
                    .iter()
                    .map(|p| PermissionGroupRef::id(p.group.id.clone()))
                    .collect(),
                resources: res,
            });
        }
    }
    Ok(policies)
}

/// Rewrites flat single-zone keys into the nested form account-owned tokens use:
/// `{"com.cloudflare.api.account.<A>": {"com.cloudflare.api.account.zone.<Z>": "*"}}`.
///
/// `POST /accounts/{id}/tokens` runs a "common permission check" on a flat
/// `com.cloudflare.api.account.zone.<Z>` key, refusing a zone group the creating account token
/// does not hold itself (400/1001, terraform-provider-cloudflare #7241), while the nested form
/// under the owning account passes and grants the same (the account-token examples in
/// terraform-provider-cloudflare `internal/services/account_token/testdata`).
pub fn nest_zones_under_account(policies: &mut [Policy], account_id: &str) {
    const ZONE: &str = "com.cloudflare.api.account.zone.";
    for p in policies {
        let all_zones = !p.resources.is_empty()
            && p.resources
                .iter()
                .all(|(k, v)| k.starts_with(ZONE) && matches!(v, ResourceValue::Scope(_)));
        if all_zones {
            let zones = std::mem::take(&mut p.resources);
            p.resources
                .insert(account_resource(account_id), ResourceValue::Nested(zones));
        }
    }
}

/// Normalises an `--allow-ip`/`--deny-ip` value to CIDR: a bare address becomes `/32` or `/128`;
/// a network must have its host bits clear (a typo there is a token usable from the wrong place).
pub fn normalize_cidr(input: &str) -> Result<String, PolicyError> {
    let s = input.trim();
    let bad = |reason: String| PolicyError::BadCidr {
        input: s.to_owned(),
        reason,
    };
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let ip: IpAddr = addr
        .parse()
        .map_err(|_| bad("not an IP address".to_owned()))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix: u8 = match prefix {
        None => max,
        Some(p) => p
            .parse()
            .ok()
            .filter(|p| *p <= max)
            .ok_or_else(|| bad(format!("the prefix length must be 0 to {max}")))?,
    };
    let net =
        IpNet::new(ip, prefix).map_err(|_| bad(format!("the prefix length must be 0 to {max}")))?;
    if net.trunc() != net {
        return Err(bad(format!(
            "host bits are set; the network is {}",
            net.trunc()
        )));
    }
    Ok(net.to_string())
}

/// The IP condition from `--allow-ip` and `--deny-ip`; `None` when both are empty (an empty
/// `request_ip` must never be sent: it once made tokens usable from nowhere).
pub fn ip_condition<S: AsRef<str>>(
    allow: &[S],
    deny: &[S],
) -> Result<Option<Condition>, PolicyError> {
    let norm = |list: &[S]| -> Result<Vec<String>, PolicyError> {
        let mut out: Vec<String> = Vec::new();
        for s in list {
            let c = normalize_cidr(s.as_ref())?;
            if !out.contains(&c) {
                out.push(c);
            }
        }
        Ok(out)
    };
    let ip = IpCondition {
        allow: norm(allow)?,
        not_in: norm(deny)?,
    };
    Ok((!ip.is_empty()).then_some(Condition {
        request_ip: Some(ip),
    }))
}

/// The identity of a policy: effect, group ids, resources (canonical JSON of a sorted map).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct PolicyKey {
    effect: String,
    groups: BTreeSet<String>,
    resources: String,
}

fn key(p: &Policy) -> PolicyKey {
    PolicyKey {
        effect: p.effect.as_str().to_ascii_lowercase(),
        groups: p
            .permission_groups
            .iter()
            .map(|g| g.id.to_ascii_lowercase())
            .collect(),
        // Ids are hex and Cloudflare compares them case-insensitively (issue 12, item 7).
        resources: serde_json::to_string(&p.resources)
            .unwrap_or_default()
            .to_ascii_lowercase(),
    }
}

fn keys(policies: &[Policy]) -> Vec<PolicyKey> {
    let mut k: Vec<PolicyKey> = policies.iter().map(key).collect();
    k.sort();
    k
}

/// Whether two policy lists grant the same: same multiset of (effect, group ids, resources),
/// ignoring order, policy ids, group names and `meta`.
pub fn same_policies(a: &[Policy], b: &[Policy]) -> bool {
    keys(a) == keys(b)
}

fn cidr_set(list: &[String]) -> BTreeSet<String> {
    list.iter()
        .map(|c| normalize_cidr(c).unwrap_or_else(|_| c.trim().to_owned()))
        .collect()
}

/// Whether two IP conditions are the same; missing, `{}` and empty lists are all "none".
pub fn same_condition(a: Option<&Condition>, b: Option<&Condition>) -> bool {
    let sets = |c: Option<&Condition>| {
        let ip = c.and_then(|c| c.request_ip.clone()).unwrap_or_default();
        (cidr_set(&ip.allow), cidr_set(&ip.not_in))
    };
    sets(a) == sets(b)
}

/// Whether `b` grants exactly what `a` grants: same policies and same IP condition. Validity
/// times are not compared (a successor is meant to live longer).
pub fn same_grants(a: &Token, b: &Token) -> bool {
    same_policies(&a.policies, &b.policies)
        && same_condition(a.condition.as_ref(), b.condition.as_ref())
}

/// Whether the policies allow a permission group: some allow policy has it and no deny policy
/// does. Resources are not weighed against each other; this answers `verify --require`.
pub fn allows_group(policies: &[Policy], group_id: &str) -> bool {
    let has = |p: &Policy| {
        p.permission_groups
            .iter()
            .any(|g| g.id.eq_ignore_ascii_case(group_id))
    };
    policies.iter().any(|p| p.effect == Effect::Allow && has(p))
        && !policies.iter().any(|p| p.effect == Effect::Deny && has(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permissions::catalog::tests::sample_groups;
    use crate::permissions::catalog::{ScopeContext, resolve_all};
    use serde_json::json;

    fn perms(names: &[&str], ctx: ScopeContext) -> Vec<ResolvedPermission> {
        resolve_all(names, &sample_groups(), ctx).unwrap()
    }

    const ZONES: ScopeContext = ScopeContext {
        zones: true,
        accounts: false,
    };
    const BOTH: ScopeContext = ScopeContext {
        zones: true,
        accounts: true,
    };

    #[test]
    fn zone_groups_share_one_policy_over_all_zones() {
        let p = build_policies(
            &perms(&["Zone Read", "DNS Write"], ZONES),
            &["z1".into(), "z2".into()],
            &[],
            None,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!([{"effect":"allow",
                "permission_groups":[{"id":"c8fed203ed3043cba015a93ad1616f1f"},
                                     {"id":"4755a26eedb94da69e1066d98aa820be"}],
                "resources":{"com.cloudflare.api.account.zone.z1":"*",
                             "com.cloudflare.api.account.zone.z2":"*"}}])
        );
    }

    #[test]
    fn mixed_scopes_get_one_policy_each() {
        let saas = crate::permissions::presets::Preset::find("saas-platform")
            .unwrap()
            .resolve(&sample_groups())
            .unwrap();
        let p = build_policies(&saas, &["z1".into()], &["a1".into()], None).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].permission_groups.len(), 3);
        assert!(p[0].resources.contains_key("com.cloudflare.api.account.a1"));
        assert_eq!(p[1].permission_groups.len(), 3);
        assert!(
            p[1].resources
                .contains_key("com.cloudflare.api.account.zone.z1")
        );
    }

    #[test]
    fn missing_or_unused_resources_are_errors() {
        let dns = perms(&["DNS Write"], ZONES);
        assert!(matches!(
            build_policies(&dns, &[], &[], None),
            Err(PolicyError::NeedsZones { permissions }) if permissions == ["DNS Write"]
        ));
        assert_eq!(
            build_policies(&dns, &["z".into()], &["a".into()], None),
            Err(PolicyError::UnusedAccounts)
        );
        let workers = perms(&["Workers Scripts Write"], BOTH);
        assert!(matches!(
            build_policies(&workers, &[], &[], None),
            Err(PolicyError::NeedsAccounts { .. })
        ));
        assert_eq!(
            build_policies(&workers, &["z".into()], &["a".into()], None),
            Err(PolicyError::UnusedZones)
        );
        let user = perms(&["API Tokens Write"], BOTH);
        let err = build_policies(&user, &[], &[], None).unwrap_err();
        assert_eq!(err.code(), "needs_user");
        let p = build_policies(&user, &[], &[], Some("u1")).unwrap();
        assert!(p[0].resources.contains_key("com.cloudflare.api.user.u1"));
        let r2 = perms(&["Workers R2 Storage Bucket Item Write"], BOTH);
        assert!(matches!(
            build_policies(&r2, &[], &[], None),
            Err(PolicyError::UnsupportedScope { .. })
        ));
        assert_eq!(
            build_policies(&[], &[], &[], None),
            Err(PolicyError::NoPermissions)
        );
    }

    #[test]
    fn cidrs() {
        assert_eq!(normalize_cidr("192.0.2.7").unwrap(), "192.0.2.7/32");
        assert_eq!(normalize_cidr(" 192.0.2.0/24 ").unwrap(), "192.0.2.0/24");
        assert_eq!(normalize_cidr("2001:DB8::1").unwrap(), "2001:db8::1/128");
        assert_eq!(normalize_cidr("2001:db8::/32").unwrap(), "2001:db8::/32");
        assert_eq!(normalize_cidr("0.0.0.0/0").unwrap(), "0.0.0.0/0");
        let err = normalize_cidr("192.0.2.7/24").unwrap_err();
        assert!(err.to_string().contains("192.0.2.0/24"), "{err}");
        for bad in [
            "192.0.2.0/33",
            "2001:db8::/129",
            "example.com",
            "10.0.0.0/x",
            "",
        ] {
            assert_eq!(normalize_cidr(bad).unwrap_err().code(), "bad_cidr", "{bad}");
        }
    }

    #[test]
    fn conditions() {
        assert_eq!(ip_condition::<&str>(&[], &[]).unwrap(), None);
        let c = ip_condition(&["192.0.2.7", "192.0.2.7/32"], &["2001:db8::1"])
            .unwrap()
            .unwrap();
        let ip = c.request_ip.unwrap();
        assert_eq!(ip.allow, ["192.0.2.7/32"]);
        assert_eq!(ip.not_in, ["2001:db8::1/128"]);
        assert!(ip_condition(&["nope"], &[]).is_err());
    }

    fn policy(id: &str, groups: &[(&str, Option<&str>)], res: serde_json::Value) -> Policy {
        Policy {
            id: Some(id.into()),
            effect: Effect::Allow,
            permission_groups: groups
                .iter()
                .map(|(g, name)| PermissionGroupRef {
                    id: (*g).into(),
                    name: name.map(str::to_owned),
                    meta: None,
                })
                .collect(),
            resources: serde_json::from_value(res).unwrap(),
        }
    }

    #[test]
    fn policy_identity_ignores_order_ids_and_names() {
        let a = vec![
            policy(
                "p1",
                &[("g1", Some("DNS Write")), ("g2", None)],
                json!({"z.1":"*","z.2":"*"}),
            ),
            policy(
                "p2",
                &[("g3", None)],
                json!({"a.1":{"com.cloudflare.api.account.zone.*":"*"}}),
            ),
        ];
        let b = vec![
            policy(
                "q9",
                &[("g3", Some("Zone Read"))],
                json!({"a.1":{"com.cloudflare.api.account.zone.*":"*"}}),
            ),
            policy(
                "q8",
                &[("g2", Some("x")), ("g1", None)],
                json!({"z.2":"*","z.1":"*"}),
            ),
        ];
        assert!(same_policies(&a, &b));
        // A missing group, an extra resource, a different effect or a dropped policy differ.
        let mut c = b.clone();
        c[1].permission_groups.pop();
        assert!(!same_policies(&a, &c));
        let mut d = b.clone();
        d[1].resources.insert("z.3".into(), ResourceValue::all());
        assert!(!same_policies(&a, &d));
        let mut e = b.clone();
        e[0].effect = Effect::Deny;
        assert!(!same_policies(&a, &e));
        assert!(!same_policies(&a, &b[..1]));
        // The successor built from a token has the same policies.
        let old: Token = serde_json::from_value(json!({"id":"t","name":"n","status":"active",
            "policies": serde_json::to_value(&a).unwrap(),
            "condition":{"request.ip":{"in":["192.0.2.7"]}}}))
        .unwrap();
        let successor = crate::cloudflare::NewToken::successor_of(&old, "n2");
        assert!(same_policies(&old.policies, &successor.policies));
        let mut new = old.clone();
        new.policies = successor.policies.clone();
        new.condition =
            serde_json::from_value(json!({"request_ip":{"in":["192.0.2.7/32"]}})).unwrap();
        assert!(same_grants(&old, &new));
        new.condition = None;
        assert!(!same_grants(&old, &new));
    }

    #[test]
    fn conditions_compare_as_sets() {
        let c = |v: serde_json::Value| -> Condition { serde_json::from_value(v).unwrap() };
        assert!(same_condition(None, Some(&c(json!({})))));
        assert!(same_condition(
            None,
            Some(&c(json!({"request_ip":{"in":[]}})))
        ));
        assert!(same_condition(
            Some(&c(json!({"request_ip":{"in":["10.0.0.0/8","192.0.2.1"]}}))),
            Some(&c(
                json!({"request.ip":{"in":["192.0.2.1/32","10.0.0.0/8"]}})
            ))
        ));
    }

    #[test]
    fn allows_group_respects_deny() {
        let allow = policy("p", &[("g1", None), ("g2", None)], json!({"x":"*"}));
        let mut deny = policy("d", &[("g2", None)], json!({"x":"*"}));
        deny.effect = Effect::Deny;
        let ps = vec![allow, deny];
        assert!(allows_group(&ps, "g1"));
        assert!(allows_group(&ps, "G1"));
        assert!(!allows_group(&ps, "g2"));
        assert!(!allows_group(&ps, "g3"));
    }
}
