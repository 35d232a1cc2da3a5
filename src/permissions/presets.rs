//! Named permission sets for `cfsecret create --preset`.
//!
//! Presets name permissions by API name *and* scope, because names alone are not unique. They are
//! resolved against the live permission-group list like anything the user types, so no id is
//! hard-coded here.
//!
//! `edit-zone-dns` follows Cloudflare's dashboard template "Edit zone DNS", which grants DNS Write
//! on the chosen zones and nothing else (Cloudflare's "API token templates" reference lists it as
//! "Edit Zone DNS | DNS Write | Zone"). Many ACME clients also need Zone Read to find the zone
//! id from the name; that is what `cert-manager-dns01` adds.

use std::fmt;

use super::catalog::{PermissionError, ResolvedPermission, resolve_exact};
use crate::cloudflare::{PermissionGroup, Scope};
use crate::error::{Diagnose, Exit};

/// A named set of permissions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preset {
    /// What `--preset` takes.
    pub name: &'static str,
    /// One line for help texts.
    pub summary: &'static str,
    /// What `cfsecret create --help` says of it.
    pub flag_help: &'static str,
    /// API group names with the scope each is used at.
    pub permissions: &'static [(&'static str, Scope)],
}

/// Every preset.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "manager",
        summary: "a management credential for cfsecret: API Tokens Write on your user, plus \
                  Zone Read on all zones and Account Settings Read on all accounts so zone and \
                  account names resolve (with --account-id: Account API Tokens Write instead)",
        flag_help: "A management token for cfsecret: API Tokens Write, Zone Read, Account \
                    Settings Read",
        permissions: &[
            ("API Tokens Write", Scope::User),
            ("Zone Read", Scope::Zone),
            ("Account Settings Read", Scope::Account),
        ],
    },
    Preset {
        name: "cert-manager-dns01",
        summary: "Zone Read + DNS Write on the given zones, for ACME DNS-01 challenges \
                  (cert-manager, certbot, lego, Traefik, Caddy)",
        flag_help: "Zone Read + DNS Write on the given zones (cert-manager's DNS-01 solver)",
        permissions: &[("Zone Read", Scope::Zone), ("DNS Write", Scope::Zone)],
    },
    Preset {
        name: "edit-zone-dns",
        summary: "the dashboard template \"Edit zone DNS\": DNS Write on the given zones",
        flag_help: "The dashboard's \"Edit zone DNS\" template",
        permissions: &[("DNS Write", Scope::Zone)],
    },
    Preset {
        name: "saas-platform",
        summary: "account: Account Settings Read, Workers R2 Storage Write, Workers Scripts \
                  Write; zone: Zone Read, Workers Routes Write, SSL and Certificates Write",
        flag_help: "Account Settings Read, Workers R2 Storage Write, Workers Scripts Write; Zone \
                    Read, Workers Routes Write, SSL and Certificates Write",
        permissions: &[
            ("Account Settings Read", Scope::Account),
            ("Workers R2 Storage Write", Scope::Account),
            ("Workers Scripts Write", Scope::Account),
            ("Zone Read", Scope::Zone),
            ("Workers Routes Write", Scope::Zone),
            ("SSL and Certificates Write", Scope::Zone),
        ],
    },
];

/// The `manager` preset for account-owned tokens (`--account-id`): they cannot hold user
/// permissions, and manage their account's tokens with Account API Tokens Write.
pub const ACCOUNT_MANAGER: Preset = Preset {
    name: "manager",
    summary: "Account API Tokens Write, Zone Read and Account Settings Read on the account",
    flag_help: "A management token for an account: Account API Tokens Write, Zone Read, Account \
                Settings Read",
    permissions: &[
        ("Account API Tokens Write", Scope::Account),
        ("Zone Read", Scope::Zone),
        ("Account Settings Read", Scope::Account),
    ],
};

impl Preset {
    /// Finds a preset by name (case-insensitive).
    pub fn find(name: &str) -> Result<&'static Preset, PresetError> {
        let wanted = name.trim();
        PRESETS
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(wanted))
            .ok_or_else(|| PresetError {
                name: wanted.to_owned(),
            })
    }

    /// Whether the preset needs `--zone`.
    pub fn needs_zones(&self) -> bool {
        self.permissions.iter().any(|(_, s)| *s == Scope::Zone)
    }

    /// Whether the preset needs `--account`.
    pub fn needs_accounts(&self) -> bool {
        self.permissions.iter().any(|(_, s)| *s == Scope::Account)
    }

    /// The preset's groups, looked up by (name, scope) in the API's list.
    pub fn resolve(
        &self,
        groups: &[PermissionGroup],
    ) -> Result<Vec<ResolvedPermission>, PermissionError> {
        self.permissions
            .iter()
            .map(|(name, scope)| resolve_exact(name, *scope, groups))
            .collect()
    }
}

/// `--preset` names no preset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresetError {
    pub name: String,
}

impl fmt::Display for PresetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown preset {:?}", self.name)
    }
}

impl std::error::Error for PresetError {}

impl Diagnose for PresetError {
    fn code(&self) -> &'static str {
        "unknown_preset"
    }

    fn exit(&self) -> Exit {
        Exit::Usage
    }

    fn hint(&self) -> Option<String> {
        let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
        Some(format!(
            "presets are {}; or give permissions with --permission",
            names.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permissions::catalog::tests::sample_groups;

    fn ids(preset: &str) -> Vec<(String, Option<Scope>)> {
        Preset::find(preset)
            .unwrap()
            .resolve(&sample_groups())
            .unwrap()
            .into_iter()
            .map(|r| (r.group.name, r.scope))
            .collect()
    }

    #[test]
    fn presets_resolve_by_name_and_scope() {
        assert_eq!(
            ids("cert-manager-dns01"),
            [
                ("Zone Read".to_owned(), Some(Scope::Zone)),
                ("DNS Write".to_owned(), Some(Scope::Zone))
            ]
        );
        assert_eq!(
            ids("EDIT-ZONE-DNS"),
            [("DNS Write".to_owned(), Some(Scope::Zone))]
        );
        let saas = ids("saas-platform");
        assert_eq!(saas.len(), 6);
        assert_eq!(
            saas.iter()
                .filter(|(_, s)| *s == Some(Scope::Account))
                .count(),
            3
        );
        let p = Preset::find("saas-platform").unwrap();
        assert!(p.needs_zones() && p.needs_accounts());
        let p = Preset::find("edit-zone-dns").unwrap();
        assert!(p.needs_zones() && !p.needs_accounts());
    }

    #[test]
    fn unknown_preset_lists_the_known_ones() {
        let err = Preset::find("cert-manager").unwrap_err();
        assert_eq!(err.code(), "unknown_preset");
        assert!(err.hint().unwrap().contains("cert-manager-dns01"));
        assert_eq!(err.exit(), Exit::Usage);
    }

    #[test]
    fn a_missing_group_is_reported() {
        let groups: Vec<PermissionGroup> = sample_groups()
            .into_iter()
            .filter(|g| g.name != "Workers Routes Write")
            .collect();
        let err = Preset::find("saas-platform")
            .unwrap()
            .resolve(&groups)
            .unwrap_err();
        assert!(err.to_string().contains("Workers Routes Write"), "{err}");
    }
}
