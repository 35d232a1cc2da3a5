//! `verify --probe`: one read-only call per permission family, made with the stored token
//! itself, so that "can this token do its job" is answered by Cloudflare, not by reading
//! policies. Nothing here creates, changes or deletes anything: every call is a `GET`.

use secrecy::SecretString;
use serde_json::{Value, json};

use crate::cli::args::Preset as PresetArg;
use crate::cloudflare::{ApiError, Client, CredentialSource, Effect, Op, Policy, ResourceValue};
use crate::error::Error;
use crate::lifecycle::Session;

use super::manage_error::ManageError;

/// Where a family's endpoint lives.
#[derive(Clone, Copy, PartialEq, Eq)]
enum On {
    Zone,
    Account,
}

/// One permission family and the read-only endpoint that proves it works.
struct Family {
    /// The stable name in JSON.
    slug: &'static str,
    /// The permission-group name without ` Read`/` Write`.
    group: &'static str,
    on: On,
    /// The path after `/zones/{id}` or `/accounts/{id}`.
    tail: &'static [&'static str],
    query: &'static str,
}

/// The families, in the order they are probed (the endpoints issue 14 names).
const FAMILIES: &[Family] = &[
    Family {
        slug: "zone",
        group: "Zone",
        on: On::Zone,
        tail: &[],
        query: "",
    },
    Family {
        slug: "dns",
        group: "DNS",
        on: On::Zone,
        tail: &["dns_records"],
        query: "per_page=5",
    },
    Family {
        slug: "ssl_and_certificates",
        group: "SSL and Certificates",
        on: On::Zone,
        tail: &["custom_hostnames"],
        query: "",
    },
    Family {
        slug: "workers_routes",
        group: "Workers Routes",
        on: On::Zone,
        tail: &["workers", "routes"],
        query: "",
    },
    Family {
        slug: "workers_scripts",
        group: "Workers Scripts",
        on: On::Account,
        tail: &["workers", "scripts"],
        query: "",
    },
    Family {
        slug: "workers_r2",
        group: "Workers R2 Storage",
        on: On::Account,
        tail: &["r2", "buckets"],
        query: "",
    },
    Family {
        slug: "account_settings",
        group: "Account Settings",
        on: On::Account,
        tail: &[],
        query: "",
    },
];

/// The family a permission name belongs to: the API name ("DNS Write"), the dashboard spelling
/// ("Zone:DNS:Edit") or Terraform's ("Zone DNS Edit"). `None`: no probe for it.
fn family_of(name: &str) -> Option<usize> {
    let lower = name
        .to_ascii_lowercase()
        .replace([':', '|', '_', '-', '/'], " ");
    let words: Vec<&str> = lower
        .split_whitespace()
        .filter(|w| !matches!(*w, "read" | "write" | "edit"))
        .collect();
    let has = |w: &str| words.contains(&w);
    let slug = if has("dns") && !has("firewall") {
        "dns"
    } else if has("ssl") || has("certificates") || has("hostnames") {
        "ssl_and_certificates"
    } else if has("workers") && has("routes") {
        "workers_routes"
    } else if has("workers") && has("scripts") {
        "workers_scripts"
    } else if has("r2") && !has("bucket") && !has("item") {
        "workers_r2"
    } else if has("account") && has("settings") {
        "account_settings"
    } else if !words.is_empty() && words.iter().all(|w| *w == "zone") {
        "zone"
    } else {
        return None;
    };
    FAMILIES.iter().position(|f| f.slug == slug)
}

/// One check's outcome.
struct Check {
    family: &'static str,
    endpoint: String,
    ok: bool,
    status: Option<u16>,
    expected: bool,
    error: Option<String>,
}

/// What the probe found: `N/M checks passed`, the JSON, the failed expected checks.
pub(crate) struct Probe {
    pub(crate) passed: usize,
    pub(crate) total: usize,
    pub(crate) json: Value,
    pub(crate) lines: Vec<String>,
    pub(crate) failed_expected: Vec<String>,
}

/// The families `--expect` and `--preset` name.
fn expected_families(expect: &[String], preset: Option<PresetArg>) -> Result<Vec<usize>, Error> {
    let mut names: Vec<String> = expect.to_vec();
    if let Some(p) = preset {
        let name = match p {
            PresetArg::Manager => "manager",
            PresetArg::CertManagerDns01 => "cert-manager-dns01",
            PresetArg::EditZoneDns => "edit-zone-dns",
            PresetArg::SaasPlatform => "saas-platform",
        };
        let preset = crate::cloudflare::presets::Preset::find(name)?;
        // Permissions no probe covers (API Tokens Write) are simply not probed.
        names.extend(
            preset
                .permissions
                .iter()
                .filter(|(n, _)| family_of(n).is_some())
                .map(|(n, _)| (*n).to_owned()),
        );
    }
    let mut out = Vec::new();
    for n in &names {
        let f = family_of(n).ok_or_else(|| ManageError::UnknownProbePermission {
            name: n.clone(),
            known: "Zone Read, DNS Read/Write, SSL and Certificates Read/Write, Workers Routes \
                Read/Write, Workers Scripts Read/Write, Workers R2 Storage Read/Write, Account \
                Settings Read/Write"
                .into(),
        })?;
        if !out.contains(&f) {
            out.push(f);
        }
    }
    Ok(out)
}

/// The families the policies allow (by group name, as the API returns policies).
fn held_families(policies: &[Policy]) -> Vec<usize> {
    let mut out = Vec::new();
    for p in policies.iter().filter(|p| p.effect == Effect::Allow) {
        for g in &p.permission_groups {
            if let Some(f) = g.name.as_deref().and_then(family_of)
                && !out.contains(&f)
            {
                out.push(f);
            }
        }
    }
    out
}

/// A zone id and an account id named in the policies (`*` names none).
fn ids_in(policies: &[Policy]) -> (Option<String>, Option<String>) {
    const ZONE: &str = "com.cloudflare.api.account.zone.";
    const ACCOUNT: &str = "com.cloudflare.api.account.";
    let (mut zone, mut account) = (None, None);
    for p in policies.iter().filter(|p| p.effect == Effect::Allow) {
        for (k, v) in &p.resources {
            if let Some(z) = k.strip_prefix(ZONE) {
                if z != "*" {
                    zone.get_or_insert_with(|| z.to_owned());
                }
            } else if let Some(a) = k.strip_prefix(ACCOUNT) {
                if a != "*" {
                    account.get_or_insert_with(|| a.to_owned());
                }
                if let ResourceValue::Nested(inner) = v {
                    for ik in inner.keys() {
                        if let Some(z) = ik.strip_prefix(ZONE).filter(|z| *z != "*") {
                            zone.get_or_insert_with(|| z.to_owned());
                        }
                    }
                }
            }
        }
    }
    (zone, account)
}

fn status_of(e: &ApiError) -> Option<u16> {
    match e {
        ApiError::Refused { status, .. } => Some(*status),
        ApiError::ServerError { status, .. } => Some(*status),
        _ => None,
    }
}

fn code_of(e: &ApiError) -> String {
    match e.refusal() {
        Some(r) => r.code().to_owned(),
        None => crate::error::Diagnose::code(e).to_owned(),
    }
}

/// Finds a zone (and its account) and an account the token can see, when its policies did
/// not name them: `GET /zones`, then `GET /accounts`, with the token itself.
fn discover(
    session: &Session,
    client: &Client,
    zone: &mut Option<String>,
    account: &mut Option<String>,
) {
    let first = |v: Option<Value>| -> Option<Value> {
        v.and_then(|v| v.as_array().and_then(|a| a.first().cloned()))
    };
    if zone.is_none() {
        let q = [("per_page", "5".to_owned())];
        if let Ok(v) = session.block_on(client.read_only_get(Op::Zones, &["zones".into()], &q)) {
            let z = first(v);
            *zone = z.as_ref().and_then(|z| z["id"].as_str()).map(str::to_owned);
            if account.is_none() {
                *account = z
                    .as_ref()
                    .and_then(|z| z["account"]["id"].as_str())
                    .map(str::to_owned);
            }
        }
    }
    if account.is_none() {
        *account = session.account_id.clone();
    }
    if account.is_none()
        && let Ok(v) =
            session.block_on(client.read_only_get(Op::Accounts, &["accounts".into()], &[]))
    {
        *account = first(v).and_then(|a| a["id"].as_str().map(str::to_owned));
    }
}

/// Runs the probe. `policies`: the token's own, when they could be read.
pub(crate) fn run(
    session: &Session,
    secret: &SecretString,
    token_id: &str,
    policies: Option<&[Policy]>,
    expect: &[String],
    preset: Option<PresetArg>,
) -> Result<Probe, Error> {
    let expected = expected_families(expect, preset)?;
    let held = policies.map(held_families).unwrap_or_default();
    if policies.is_none() && expected.is_empty() {
        return Err(ManageError::ProbeNeedsExpect {
            token_id: token_id.to_owned(),
        }
        .into());
    }
    let mut families: Vec<usize> = (0..FAMILIES.len())
        .filter(|i| held.contains(i) || expected.contains(i))
        .collect();
    families.sort_unstable();
    let client = session.client_as(secret, CredentialSource::VerifiedToken)?;
    let (mut zone, mut account) = policies.map(ids_in).unwrap_or_default();
    if families.iter().any(|&i| FAMILIES[i].on == On::Zone) && zone.is_none()
        || families.iter().any(|&i| FAMILIES[i].on == On::Account) && account.is_none()
    {
        discover(session, &client, &mut zone, &mut account);
    }
    let mut checks = Vec::new();
    for &i in &families {
        let f = &FAMILIES[i];
        let (base, id, missing) = match f.on {
            On::Zone => ("zones", zone.as_deref(), "no_zone"),
            On::Account => ("accounts", account.as_deref(), "no_account"),
        };
        let is_expected = expected.is_empty() || expected.contains(&i);
        let shown_id = id.unwrap_or(if f.on == On::Zone {
            "{zone_id}"
        } else {
            "{account_id}"
        });
        let mut endpoint = format!("GET /{base}/{shown_id}");
        for t in f.tail {
            endpoint.push('/');
            endpoint.push_str(t);
        }
        if !f.query.is_empty() {
            endpoint.push('?');
            endpoint.push_str(f.query);
        }
        let Some(id) = id else {
            checks.push(Check {
                family: f.slug,
                endpoint,
                ok: false,
                status: None,
                expected: is_expected,
                error: Some(missing.into()),
            });
            continue;
        };
        let mut segments = vec![base.to_owned(), id.to_owned()];
        segments.extend(f.tail.iter().map(|t| (*t).to_owned()));
        let query: Vec<(&str, String)> = f
            .query
            .split_once('=')
            .map(|(k, v)| vec![(k, v.to_owned())])
            .unwrap_or_default();
        let op = match f.on {
            On::Zone => Op::Zones,
            On::Account => Op::Accounts,
        };
        let result = session.block_on(client.read_only_get(op, &segments, &query));
        checks.push(match result {
            Ok(_) => Check {
                family: f.slug,
                endpoint,
                ok: true,
                status: Some(200),
                expected: is_expected,
                error: None,
            },
            Err(e) => {
                log::info!("probe {}: {e}", f.slug);
                Check {
                    family: f.slug,
                    endpoint,
                    ok: false,
                    status: status_of(&e),
                    expected: is_expected,
                    error: Some(code_of(&e)),
                }
            }
        });
    }
    let passed = checks.iter().filter(|c| c.ok).count();
    let total = checks.len();
    let lines = checks
        .iter()
        .map(|c| {
            let label = FAMILIES
                .iter()
                .find(|f| f.slug == c.family)
                .map_or(c.family, |f| f.group);
            let outcome = match (&c.ok, &c.status, &c.error) {
                (true, _, _) => "ok".to_owned(),
                (false, Some(s), Some(e)) => format!("FAILED ({s} {e})"),
                (false, _, Some(e)) => format!("FAILED ({e})"),
                (false, _, None) => "FAILED".to_owned(),
            };
            let note = if c.expected { "" } else { " (not expected)" };
            format!("  {label:<22} {:<60} {outcome}{note}", c.endpoint)
        })
        .collect();
    let failed_expected = checks
        .iter()
        .filter(|c| c.expected && !c.ok)
        .map(|c| c.family.to_owned())
        .collect();
    let json = json!({
        "passed": passed,
        "total": total,
        "checks": checks.iter().map(|c| json!({
            "family": c.family,
            "endpoint": c.endpoint,
            "ok": c.ok,
            "status": c.status,
            "expected": c.expected,
            "error": c.error,
        })).collect::<Vec<_>>(),
    });
    Ok(Probe {
        passed,
        total,
        json,
        lines,
        failed_expected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_map_to_families() {
        let slug = |n: &str| family_of(n).map(|i| FAMILIES[i].slug);
        assert_eq!(slug("DNS Write"), Some("dns"));
        assert_eq!(slug("Zone:DNS:Edit"), Some("dns"));
        assert_eq!(slug("Zone Read"), Some("zone"));
        assert_eq!(slug("Zone:Zone:Read"), Some("zone"));
        assert_eq!(
            slug("SSL and Certificates Write"),
            Some("ssl_and_certificates")
        );
        assert_eq!(slug("Workers Routes Write"), Some("workers_routes"));
        assert_eq!(slug("Workers Scripts Write"), Some("workers_scripts"));
        assert_eq!(slug("Workers R2 Storage Write"), Some("workers_r2"));
        assert_eq!(slug("Account Settings Read"), Some("account_settings"));
        assert_eq!(slug("API Tokens Write"), None);
        assert_eq!(slug("DNS Firewall Read"), None);
        assert_eq!(slug("Zone Settings Write"), None);
    }
}
