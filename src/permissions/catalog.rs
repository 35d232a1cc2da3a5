//! Turning the permission names people type into permission groups.
//!
//! People write permissions three ways: the API name ("DNS Write", "Zone Read"), the dashboard
//! and guide spelling ("Zone:DNS:Edit", "Account:Cloudflare Workers:Edit", also with `|`), and
//! occasionally an id. The dashboard says "Edit" where the API says "Write", and some groups are
//! named differently in the two ("Cloudflare R2" is "Workers R2 Storage"). Names are not unique:
//! the same name can exist at several scopes with different ids, so a name is resolved together
//! with a scope, taken from the spelling ("Zone:…") or from the resources the user gave (zones
//! imply zone scope, accounts account scope). Matching is case-insensitive and always against
//! the live list from the API; nothing here hard-codes an id. Spellings are parsed in
//! `spelling.rs`.

use std::fmt;

use super::spelling::{candidates, filter_word, is_group_id, normalize, suggest};
use crate::cloudflare::{PermissionGroup, Scope};
use crate::error::{Diagnose, Exit};

/// A requested permission, resolved to exactly one group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedPermission {
    /// What the user wrote.
    pub requested: String,
    /// The group it names.
    pub group: PermissionGroup,
    /// The scope the group is used at (its own).
    pub scope: Option<Scope>,
}

/// Which scopes the resources given by the user imply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScopeContext {
    /// `--zone` was given.
    pub zones: bool,
    /// `--account` was given.
    pub accounts: bool,
}

impl ScopeContext {
    fn implies(self, scope: Option<Scope>) -> bool {
        match scope {
            Some(Scope::Zone) => self.zones,
            Some(Scope::Account) => self.accounts,
            _ => false,
        }
    }
}

/// One group offered in an error message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub name: String,
    pub scope: String,
    pub id: String,
}

impl Candidate {
    fn of(g: &PermissionGroup) -> Self {
        Self {
            name: g.name.clone(),
            scope: g.scope().map_or_else(
                || {
                    g.scopes
                        .first()
                        .cloned()
                        .unwrap_or_else(|| "no scope".into())
                },
                |s| s.as_word().to_owned(),
            ),
            id: g.id.clone(),
        }
    }
}

impl fmt::Display for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\" ({}, id {})", self.name, self.scope, self.id)
    }
}

/// A permission name that does not resolve to exactly one group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PermissionError {
    /// No group has this name.
    Unknown {
        requested: String,
        /// Close names, best first, with their scope: `"DNS Write" (zone)`.
        suggestions: Vec<String>,
        /// A word for `cfsecret permissions --filter`.
        filter: String,
    },
    /// Several groups have this name and the resources do not say which is meant.
    Ambiguous {
        requested: String,
        candidates: Vec<Candidate>,
    },
    /// The spelling names a scope ("Zone:…") at which no group of that name exists.
    WrongScope {
        requested: String,
        wanted: Scope,
        found: Vec<Candidate>,
    },
}

impl fmt::Display for PermissionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown { requested, .. } => write!(f, "unknown permission {requested:?}"),
            Self::Ambiguous {
                requested,
                candidates,
            } => {
                write!(f, "permission {requested:?} matches several groups: ")?;
                let list: Vec<String> = candidates.iter().map(ToString::to_string).collect();
                f.write_str(&list.join(", "))
            }
            Self::WrongScope {
                requested,
                wanted,
                found,
            } => {
                write!(
                    f,
                    "there is no {wanted}-scoped permission {requested:?}; found "
                )?;
                let list: Vec<String> = found.iter().map(ToString::to_string).collect();
                f.write_str(&list.join(", "))
            }
        }
    }
}

impl std::error::Error for PermissionError {}

impl Diagnose for PermissionError {
    fn code(&self) -> &'static str {
        match self {
            Self::Unknown { .. } => "unknown_permission",
            Self::Ambiguous { .. } => "ambiguous_permission",
            Self::WrongScope { .. } => "permission_scope",
        }
    }

    fn exit(&self) -> Exit {
        Exit::Usage
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            Self::Unknown {
                suggestions,
                filter,
                ..
            } => {
                let list = format!("list them with `cfsecret permissions --filter {filter}`");
                if suggestions.is_empty() {
                    format!(
                        "use a permission group name such as \"DNS Write\" or \"Zone:DNS:Edit\"; {list}"
                    )
                } else {
                    format!("did you mean {}? Or {list}", suggestions.join(", "))
                }
            }
            Self::Ambiguous { .. } => "say which with the dashboard spelling (\"Zone:…:Edit\" \
                or \"Account:…:Edit\"), or give --zone or --account so the scope follows from \
                the resources, or name the group by its id"
                .to_owned(),
            Self::WrongScope { .. } => {
                "use the scope the group exists at, or `cfsecret permissions --filter …` to see \
                 where it lives"
                    .to_owned()
            }
        })
    }
}

/// Resolves one user-given permission against the groups the API listed.
pub fn resolve(
    requested: &str,
    groups: &[PermissionGroup],
    ctx: ScopeContext,
) -> Result<ResolvedPermission, PermissionError> {
    let trimmed = requested.trim();
    let found = |g: &PermissionGroup| ResolvedPermission {
        requested: trimmed.to_owned(),
        group: g.clone(),
        scope: g.scope(),
    };
    if is_group_id(trimmed)
        && let Some(g) = groups.iter().find(|g| g.id.eq_ignore_ascii_case(trimmed))
    {
        return Ok(found(g));
    }
    let cands = candidates(trimmed);
    let mut scope_miss: Option<(Scope, Vec<Candidate>)> = None;
    for (name, scope) in &cands {
        let by_name: Vec<&PermissionGroup> = groups
            .iter()
            .filter(|g| normalize(&g.name) == *name)
            .collect();
        if by_name.is_empty() {
            continue;
        }
        let matches: Vec<&PermissionGroup> = match scope {
            Some(s) => by_name
                .iter()
                .copied()
                .filter(|g| g.has_scope(*s))
                .collect(),
            None => by_name.clone(),
        };
        if matches.is_empty() {
            if let Some(s) = scope {
                scope_miss.get_or_insert((*s, by_name.iter().map(|g| Candidate::of(g)).collect()));
            }
            continue;
        }
        if let [only] = matches.as_slice() {
            return Ok(found(only));
        }
        let narrowed: Vec<&PermissionGroup> = matches
            .iter()
            .copied()
            .filter(|g| ctx.implies(g.scope()))
            .collect();
        if let [only] = narrowed.as_slice() {
            return Ok(found(only));
        }
        let shown = if narrowed.is_empty() {
            matches
        } else {
            narrowed
        };
        return Err(PermissionError::Ambiguous {
            requested: trimmed.to_owned(),
            candidates: shown.into_iter().map(Candidate::of).collect(),
        });
    }
    if let Some((wanted, found)) = scope_miss {
        return Err(PermissionError::WrongScope {
            requested: trimmed.to_owned(),
            wanted,
            found,
        });
    }
    Err(PermissionError::Unknown {
        requested: trimmed.to_owned(),
        suggestions: suggest(&cands, groups),
        filter: filter_word(&cands, groups),
    })
}

/// Resolves several permissions; a group named twice (in two spellings) is kept once.
pub fn resolve_all<S: AsRef<str>>(
    requested: &[S],
    groups: &[PermissionGroup],
    ctx: ScopeContext,
) -> Result<Vec<ResolvedPermission>, PermissionError> {
    let mut out: Vec<ResolvedPermission> = Vec::new();
    for r in requested {
        let p = resolve(r.as_ref(), groups, ctx)?;
        if !out.iter().any(|q| q.group.id == p.group.id) {
            out.push(p);
        }
    }
    Ok(out)
}

/// Resolves an exact API name at an exact scope, as presets name their permissions.
pub fn resolve_exact(
    name: &str,
    scope: Scope,
    groups: &[PermissionGroup],
) -> Result<ResolvedPermission, PermissionError> {
    let wanted = normalize(name);
    let matches: Vec<&PermissionGroup> = groups
        .iter()
        .filter(|g| normalize(&g.name) == wanted && g.has_scope(scope))
        .collect();
    match matches.as_slice() {
        [only] => Ok(ResolvedPermission {
            requested: name.to_owned(),
            group: (*only).clone(),
            scope: Some(scope),
        }),
        [] => Err(PermissionError::Unknown {
            requested: format!("{name} ({scope})"),
            suggestions: suggest(&[(wanted.clone(), Some(scope))], groups),
            filter: filter_word(&[(wanted, Some(scope))], groups),
        }),
        several => Err(PermissionError::Ambiguous {
            requested: name.to_owned(),
            candidates: several.iter().map(|g| Candidate::of(g)).collect(),
        }),
    }
}

/// The groups `cfsecret permissions` shows: optionally one scope, optionally those whose name
/// contains `text` (case-insensitive); sorted by name, then scope.
pub fn filter<'a>(
    groups: &'a [PermissionGroup],
    scope: Option<Scope>,
    text: Option<&str>,
) -> Vec<&'a PermissionGroup> {
    let text = text.map(normalize);
    let mut out: Vec<&PermissionGroup> = groups
        .iter()
        .filter(|g| scope.is_none_or(|s| g.has_scope(s)))
        .filter(|g| {
            text.as_deref()
                .is_none_or(|t| normalize(&g.name).contains(t))
        })
        .collect();
    out.sort_by(|a, b| (&a.name, a.scope()).cmp(&(&b.name, b.scope())));
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn group(id: &str, name: &str, scope: Scope) -> PermissionGroup {
        PermissionGroup {
            id: id.into(),
            name: name.into(),
            scopes: vec![scope.as_api().into()],
            category: None,
        }
    }

    /// A slice of the real list, with the real ids, including duplicate names.
    pub(crate) fn sample_groups() -> Vec<PermissionGroup> {
        use Scope::*;
        vec![
            group("c8fed203ed3043cba015a93ad1616f1f", "Zone Read", Zone),
            group("e6d2666161e84845a636613608cee8d5", "Zone Write", Zone),
            group("82e64a83756745bbbb1c9c2701bf816b", "DNS Read", Zone),
            group("4755a26eedb94da69e1066d98aa820be", "DNS Write", Zone),
            group(
                "28f4b596e7d643029c524985477ae49a",
                "Workers Routes Write",
                Zone,
            ),
            group(
                "c03055bc037c4ea9afb9a9f104b7b721",
                "SSL and Certificates Write",
                Zone,
            ),
            group("e17beae8b8cb423a99b1730f21238bed", "Cache Purge", Zone),
            group("c4a30cd58c5d42619c86a3c36c441e2d", "Logs Read", Zone),
            group(
                "959972745952452f8be2452be8cbb9f2",
                "Access: Apps and Policies Write",
                Zone,
            ),
            group(
                "1e13c5124ca64b72b1969a67e8829049",
                "Access: Apps and Policies Write",
                Account,
            ),
            group("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1", "Logs Read", Account),
            group(
                "e086da7e2179491d91ee5f35b3ca210a",
                "Workers Scripts Write",
                Account,
            ),
            group(
                "bf7481a1826f439697cb59a20b22293e",
                "Workers R2 Storage Write",
                Account,
            ),
            group(
                "c1fde68c7bcc44588cbb6ddbc16d6480",
                "Account Settings Read",
                Account,
            ),
            group(
                "5bc3f8b21c554832afc660159ab75fa4",
                "Account API Tokens Write",
                Account,
            ),
            group("686d18d5ac6c441c867cbf6771e58a0a", "API Tokens Write", User),
            group("0cc3a61731504c89b99ec1be78b77aa0", "API Tokens Read", User),
            group(
                "2efd5506f9c8494dacb1fa10a3e7d5b6",
                "Workers R2 Storage Bucket Item Write",
                R2Bucket,
            ),
        ]
    }

    fn id_of(input: &str, ctx: ScopeContext) -> String {
        resolve(input, &sample_groups(), ctx)
            .unwrap_or_else(|e| panic!("{input}: {e}"))
            .group
            .id
    }

    const NONE: ScopeContext = ScopeContext {
        zones: false,
        accounts: false,
    };

    #[test]
    fn api_names_case_insensitive() {
        assert_eq!(id_of("DNS Write", NONE), "4755a26eedb94da69e1066d98aa820be");
        assert_eq!(
            id_of("  dns   write ", NONE),
            "4755a26eedb94da69e1066d98aa820be"
        );
        assert_eq!(id_of("zone read", NONE), "c8fed203ed3043cba015a93ad1616f1f");
        assert_eq!(
            id_of("Workers R2 Storage Write", NONE),
            "bf7481a1826f439697cb59a20b22293e"
        );
        assert_eq!(
            id_of("Cache Purge", NONE),
            "e17beae8b8cb423a99b1730f21238bed"
        );
    }

    #[test]
    fn dashboard_spellings() {
        for (input, id) in [
            ("Zone:DNS:Edit", "4755a26eedb94da69e1066d98aa820be"),
            ("zone:dns:read", "82e64a83756745bbbb1c9c2701bf816b"),
            ("Zone:Zone:Read", "c8fed203ed3043cba015a93ad1616f1f"),
            ("Zone | DNS | Edit", "4755a26eedb94da69e1066d98aa820be"),
            (
                "Account:Cloudflare Workers:Edit",
                "e086da7e2179491d91ee5f35b3ca210a",
            ),
            (
                "Account:Cloudflare R2:Edit",
                "bf7481a1826f439697cb59a20b22293e",
            ),
            (
                "Zone:Cloudflare Workers Routes:Edit",
                "28f4b596e7d643029c524985477ae49a",
            ),
            ("User:API Tokens:Edit", "686d18d5ac6c441c867cbf6771e58a0a"),
            (
                "Account:API Tokens:Edit",
                "5bc3f8b21c554832afc660159ab75fa4",
            ),
            (
                "Account:Account Settings:Read",
                "c1fde68c7bcc44588cbb6ddbc16d6480",
            ),
            (
                "Zone:Custom Hostnames:Edit",
                "c03055bc037c4ea9afb9a9f104b7b721",
            ),
            ("Zone:Cache Purge:Purge", "e17beae8b8cb423a99b1730f21238bed"),
            (
                "Account:Access: Apps and Policies:Edit",
                "1e13c5124ca64b72b1969a67e8829049",
            ),
            ("DNS Edit", "4755a26eedb94da69e1066d98aa820be"),
            ("Cloudflare R2 Edit", "bf7481a1826f439697cb59a20b22293e"),
            ("Zone DNS Edit", "4755a26eedb94da69e1066d98aa820be"),
            ("Zone Zone Edit", "e6d2666161e84845a636613608cee8d5"),
            (
                "4755A26EEDB94DA69E1066D98AA820BE",
                "4755a26eedb94da69e1066d98aa820be",
            ),
        ] {
            assert_eq!(id_of(input, NONE), id, "{input}");
        }
    }

    #[test]
    fn duplicate_names_resolve_by_implied_scope() {
        let zones = ScopeContext {
            zones: true,
            accounts: false,
        };
        let accounts = ScopeContext {
            zones: false,
            accounts: true,
        };
        assert_eq!(
            id_of("Logs Read", zones),
            "c4a30cd58c5d42619c86a3c36c441e2d"
        );
        assert_eq!(
            id_of("Logs Read", accounts),
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1"
        );
        assert_eq!(
            id_of("Access: Apps and Policies Write", zones),
            "959972745952452f8be2452be8cbb9f2"
        );
        // The spelling's scope beats the context.
        assert_eq!(
            id_of("Account:Logs:Read", zones),
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1"
        );
        for ctx in [
            NONE,
            ScopeContext {
                zones: true,
                accounts: true,
            },
        ] {
            let err = resolve("Logs Read", &sample_groups(), ctx).unwrap_err();
            let PermissionError::Ambiguous { candidates, .. } = &err else {
                panic!("{err:?}")
            };
            assert_eq!(candidates.len(), 2);
            let text = err.to_string();
            assert!(text.contains("zone") && text.contains("account"), "{text}");
            assert_eq!(err.code(), "ambiguous_permission");
            assert_eq!(err.exit(), Exit::Usage);
        }
    }

    #[test]
    fn wrong_scope_in_spelling() {
        let err = resolve("Account:DNS:Edit", &sample_groups(), NONE).unwrap_err();
        assert!(
            matches!(&err, PermissionError::WrongScope { wanted: Scope::Account, found, .. } if found.len() == 1),
            "{err:?}"
        );
    }

    #[test]
    fn unknown_names_get_suggestions() {
        let err = resolve("DNS Wrte", &sample_groups(), NONE).unwrap_err();
        let PermissionError::Unknown {
            suggestions,
            filter,
            ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(
            suggestions.first().map(String::as_str),
            Some("\"DNS Write\" (zone)")
        );
        assert_eq!(filter, "dns");
        let hint = err.hint().unwrap();
        assert!(hint.contains("did you mean \"DNS Write\" (zone)"), "{hint}");
        assert!(hint.contains("cfsecret permissions --filter dns"), "{hint}");

        let err = resolve("Zone:Workers Rotes:Edit", &sample_groups(), NONE).unwrap_err();
        let PermissionError::Unknown { suggestions, .. } = &err else {
            panic!("{err:?}")
        };
        assert!(
            suggestions
                .iter()
                .any(|s| s.contains("Workers Routes Write")),
            "{suggestions:?}"
        );

        let err = resolve("Quantum Teleport Write", &sample_groups(), NONE).unwrap_err();
        assert!(
            matches!(&err, PermissionError::Unknown { suggestions, .. } if suggestions.is_empty())
        );
        assert!(err.hint().unwrap().contains("--filter quantum"));
        assert_eq!(err.code(), "unknown_permission");
    }

    #[test]
    fn resolve_all_dedupes_spellings() {
        let ctx = ScopeContext {
            zones: true,
            accounts: false,
        };
        let all = resolve_all(
            &["DNS Write", "Zone:DNS:Edit", "Zone Read"],
            &sample_groups(),
            ctx,
        )
        .unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].requested, "DNS Write");
        assert_eq!(all[0].scope, Some(Scope::Zone));
    }

    #[test]
    fn exact_resolution_for_presets() {
        let g = sample_groups();
        assert_eq!(
            resolve_exact("Logs Read", Scope::Account, &g)
                .unwrap()
                .group
                .id,
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1"
        );
        assert!(resolve_exact("DNS Write", Scope::Account, &g).is_err());
    }

    #[test]
    fn filtering_for_the_permissions_command() {
        let g = sample_groups();
        let dns: Vec<&str> = filter(&g, None, Some("dns"))
            .iter()
            .map(|g| g.name.as_str())
            .collect();
        assert_eq!(dns, ["DNS Read", "DNS Write"]);
        assert_eq!(filter(&g, Some(Scope::User), None).len(), 2);
        assert_eq!(filter(&g, None, None).len(), g.len());
    }
}
