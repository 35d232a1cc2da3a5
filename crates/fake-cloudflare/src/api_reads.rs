//! The read-only zone and account endpoints `cfsecret verify --probe` calls, one per permission
//! family, each refusing a caller that holds neither the family's Read nor its Write group on
//! the zone or account (Write groups include read access, as the dashboard's permission
//! descriptions say [?: not captured per endpoint]).
//!
//! Paths and result shapes, from cloudflare-go (v0):
//! - `GET /zones/{id}`: `zone.go` `ZoneDetails` (a zone object);
//! - `GET /zones/{id}/dns_records`: `dns.go` `ListDNSRecords` (a paginated list);
//! - `GET /zones/{id}/custom_hostnames`: `custom_hostname.go` `CustomHostnames` (a list);
//! - `GET /zones/{id}/workers/routes`: `workers_routes.go` `ListWorkerRoutes` (a list);
//! - `GET /accounts/{id}/workers/scripts`: `workers.go` `ListWorkers` (a list);
//! - `GET /accounts/{id}/r2/buckets`: `r2_bucket.go` `ListR2Buckets` (`{"buckets": [...]}`);
//! - `GET /accounts/{id}`: `accounts.go` `Account` (an account object).
//!
//! The permission each needs: the API reference's "Permission groups" line for each operation
//! (Zone Read; DNS Read; SSL and Certificates Read for custom hostnames; Workers Routes Read;
//! Workers Scripts Read; Workers R2 Storage Read; Account Settings Read), the `Write` group of
//! each family too. A refusal is 403/9109 "Unauthorized to access requested resource" like the
//! token routes (terraform-provider-cloudflare #3227), or 403/10000 with
//! `Strict::missing_permission_9109` off. An unknown zone or account id answers 404/7003 the
//! way unknown token ids do [?: the live API may answer 403 for ids the caller cannot see].
//! The fake holds no DNS records, hostnames, routes, scripts or buckets: lists are empty.

use serde_json::{Value, json};

use crate::auth::Principal;
use crate::catalog::{CATALOG, SCOPE_ACCOUNT, SCOPE_ZONE};
use crate::envelope::{ApiError, Reply};
use crate::pagination;
use crate::policy::Target;
use crate::request::ApiRequest;
use crate::state::State;

/// One read endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Read {
    Zone(String),
    DnsRecords(String),
    CustomHostnames(String),
    WorkerRoutes(String),
    Account(String),
    WorkerScripts(String),
    R2Buckets(String),
}

impl Read {
    /// The `GET` paths below `/client/v4` that are read endpoints.
    pub(crate) fn route(segs: &[&str]) -> Option<Self> {
        let id = |s: &str| s.to_string();
        Some(match segs {
            ["zones", z] => Read::Zone(id(z)),
            ["zones", z, "dns_records"] => Read::DnsRecords(id(z)),
            ["zones", z, "custom_hostnames"] => Read::CustomHostnames(id(z)),
            ["zones", z, "workers", "routes"] => Read::WorkerRoutes(id(z)),
            ["accounts", a] => Read::Account(id(a)),
            ["accounts", a, "workers", "scripts"] => Read::WorkerScripts(id(a)),
            ["accounts", a, "r2", "buckets"] => Read::R2Buckets(id(a)),
            _ => return None,
        })
    }

    /// The permission-group family (name prefix) whose Read or Write grants the call.
    fn family(&self) -> &'static str {
        match self {
            Read::Zone(_) => "Zone",
            Read::DnsRecords(_) => "DNS",
            Read::CustomHostnames(_) => "SSL and Certificates",
            Read::WorkerRoutes(_) => "Workers Routes",
            Read::Account(_) => "Account Settings",
            Read::WorkerScripts(_) => "Workers Scripts",
            Read::R2Buckets(_) => "Workers R2 Storage",
        }
    }
}

/// The ids of `family Read` and `family Write` at `scope`.
fn groups(family: &str, scope: &str) -> Vec<&'static str> {
    let (read, write) = (format!("{family} Read"), format!("{family} Write"));
    CATALOG
        .iter()
        .filter(|g| g.scope == scope && (g.name == read || g.name == write))
        .map(|g| g.id)
        .collect()
}

fn refused(state: &State) -> ApiError {
    if state.strict.missing_permission_9109 {
        ApiError::unauthorized_resource()
    } else {
        ApiError::authentication_error()
    }
}

/// Carries out one read for `who`.
pub(crate) fn handle(
    state: &State,
    req: &ApiRequest,
    who: &Principal,
    read: &Read,
) -> Result<Reply, ApiError> {
    let null = state.strict.null_results;
    match read {
        Read::Zone(z) | Read::DnsRecords(z) | Read::CustomHostnames(z) | Read::WorkerRoutes(z) => {
            let zone = state
                .dir
                .zone(z)
                .ok_or_else(|| ApiError::object_not_found(&req.api_path))?;
            let target = Target::Zone {
                id: &zone.id,
                account: &zone.account_id,
            };
            if !who.may(&state.dir, &groups(read.family(), SCOPE_ZONE), target) {
                return Err(refused(state));
            }
            Ok(match read {
                Read::Zone(_) => {
                    let account = state
                        .dir
                        .account(&zone.account_id)
                        .map_or("", |a| a.name.as_str());
                    Reply::ok(json!({"id": zone.id, "name": zone.name, "status": "active",
                        "account": {"id": zone.account_id, "name": account}}))
                }
                _ => pagination::reply(Vec::new(), pagination::parse(req)?, null),
            })
        }
        Read::Account(a) | Read::WorkerScripts(a) | Read::R2Buckets(a) => {
            let account = state
                .dir
                .account(a)
                .ok_or_else(|| ApiError::object_not_found(&req.api_path))?;
            let target = Target::Account(&account.id);
            if !who.may(&state.dir, &groups(read.family(), SCOPE_ACCOUNT), target) {
                return Err(refused(state));
            }
            Ok(match read {
                Read::Account(_) => Reply::ok(json!({"id": account.id, "name": account.name})),
                Read::R2Buckets(_) => Reply::ok(json!({"buckets": Value::Array(Vec::new())})),
                _ => pagination::reply(Vec::new(), pagination::parse(req)?, null),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_families() {
        assert_eq!(
            Read::route(&["zones", "z", "workers", "routes"]),
            Some(Read::WorkerRoutes("z".into()))
        );
        assert_eq!(
            Read::route(&["accounts", "a"]),
            Some(Read::Account("a".into()))
        );
        assert_eq!(Read::route(&["accounts", "a", "tokens"]), None);
        assert_eq!(groups("DNS", SCOPE_ZONE).len(), 2);
        assert_eq!(groups("SSL and Certificates", SCOPE_ZONE).len(), 2);
        assert_eq!(groups("Workers R2 Storage", SCOPE_ACCOUNT).len(), 2);
        assert_eq!(groups("Account Settings", SCOPE_ACCOUNT).len(), 2);
        assert_eq!(groups("Zone", SCOPE_ZONE).len(), 2);
    }
}
