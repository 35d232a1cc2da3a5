//! How people spell permission names, and how close two spellings are.
//!
//! The API calls a group "DNS Write"; the dashboard and most guides say "Zone:DNS:Edit" (or
//! "Zone | DNS | Edit"), Terraform's docs say "Zone DNS Edit", and some groups are named
//! differently in the dashboard altogether ("Cloudflare R2" is "Workers R2 Storage"). This module
//! turns one spelling into the API names it may stand for, each with the scope the spelling
//! itself demands; `permissions` matches those against the live list.

use crate::cloudflare::{PermissionGroup, Scope};

/// Dashboard group names that differ from the API's, by scope. From Cloudflare's permission
/// reference (dashboard vs API names) and the guide spellings in common use.
const RENAMES: &[(Scope, &str, &str)] = &[
    (Scope::Account, "cloudflare workers", "workers scripts"),
    (Scope::Account, "workers", "workers scripts"),
    (Scope::Account, "cloudflare r2", "workers r2 storage"),
    (Scope::Account, "r2", "workers r2 storage"),
    (Scope::Account, "cloudflare pages", "pages"),
    (Scope::Account, "cloudflare images", "images"),
    (Scope::Account, "bulk url redirects", "mass url redirects"),
    (Scope::Account, "account filter lists", "account rule lists"),
    (Scope::Account, "api gateway", "account api gateway"),
    (Scope::Account, "turnstile", "turnstile sites"),
    (
        Scope::Account,
        "l3/4 ddos managed ruleset",
        "l4 ddos managed ruleset",
    ),
    (Scope::Account, "api tokens", "account api tokens"),
    (Scope::Account, "workers builds", "workers ci"),
    (
        Scope::Account,
        "ssl and certificates",
        "account: ssl and certificates",
    ),
    (Scope::Zone, "cloudflare workers routes", "workers routes"),
    (Scope::Zone, "api gateway", "domain api gateway"),
    (Scope::Zone, "cache rules", "cache settings"),
    (Scope::Zone, "config rules", "config settings"),
    (Scope::Zone, "origin rules", "origin"),
    (Scope::Zone, "single redirect", "dynamic url redirects"),
    (Scope::Zone, "transform rules", "zone transform rules"),
    (Scope::Zone, "waiting room", "waiting rooms"),
    // There is no "Custom Hostnames" group; the custom-hostname endpoints accept SSL and
    // Certificates (Cloudflare's API reference, "Accepted Permissions").
    (Scope::Zone, "custom hostnames", "ssl and certificates"),
];

const SCOPE_WORDS: &[(&str, Scope)] = &[
    ("zone", Scope::Zone),
    ("account", Scope::Account),
    ("user", Scope::User),
];

/// Lower case, single spaces, no padding.
pub(super) fn normalize(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// "Edit" is the dashboard's word for the API's "Write"; other levels ("Purge", "Report") are
/// part of the name or absent.
fn api_levels(level: &str) -> Vec<String> {
    match level {
        "edit" | "write" => vec!["write".into()],
        "read" => vec!["read".into()],
        "" => vec![String::new()],
        other => vec![other.into(), String::new()],
    }
}

fn renamed(group: &str, scope: Option<Scope>) -> Vec<String> {
    let mut out: Vec<String> = RENAMES
        .iter()
        .filter(|(s, from, _)| *from == group && scope.is_none_or(|sc| sc == *s))
        .map(|(_, _, to)| (*to).to_owned())
        .collect();
    out.push(group.to_owned());
    out
}

fn join(group: &str, level: &str) -> String {
    if level.is_empty() {
        group.to_owned()
    } else {
        format!("{group} {level}")
    }
}

/// The names (normalized) a spelling may stand for, best first, each with the scope the spelling
/// itself demands, if any.
pub(super) fn candidates(input: &str) -> Vec<(String, Option<Scope>)> {
    let norm = normalize(input);
    let mut out: Vec<(String, Option<Scope>)> = vec![(norm.clone(), None)];
    let mut push = |name: String, scope: Option<Scope>| {
        if !name.is_empty() && !out.contains(&(name.clone(), scope)) {
            out.push((name, scope));
        }
    };
    // Dashboard spelling: "Zone:DNS:Edit", "Zone | DNS | Edit", "Account:Access: Apps and
    // Policies:Edit" (the group itself may contain ':').
    for sep in [':', '|'] {
        let (Some((first, rest)), Some((middle, last))) =
            (norm.split_once(sep), norm.rsplit_once(sep))
        else {
            continue;
        };
        let Some(scope) = SCOPE_WORDS
            .iter()
            .find(|(w, _)| *w == first.trim())
            .map(|(_, s)| *s)
        else {
            continue;
        };
        let group_part = rest
            .get(..rest.len().saturating_sub(last.len() + 1))
            .unwrap_or(middle);
        let group = normalize(group_part);
        let level = normalize(last);
        if group.is_empty() {
            continue;
        }
        for g in renamed(&group, Some(scope)) {
            for l in api_levels(&level) {
                push(join(&g, &l), Some(scope));
            }
        }
    }
    // Plain spelling with a level word: "DNS Edit", "Cloudflare R2 Edit", and with a leading
    // scope word as Terraform docs write it: "Zone DNS Edit".
    let words: Vec<&str> = norm.split(' ').collect();
    if let Some((last, head)) = words.split_last()
        && matches!(*last, "edit" | "write" | "read")
        && !head.is_empty()
    {
        let group = head.join(" ");
        for g in renamed(&group, None) {
            for l in api_levels(last) {
                push(join(&g, &l), None);
            }
        }
        if let Some((first, tail)) = head.split_first()
            && let Some((_, scope)) = SCOPE_WORDS.iter().find(|(w, _)| w == first)
            && !tail.is_empty()
        {
            let group = tail.join(" ");
            for g in renamed(&group, Some(*scope)) {
                for l in api_levels(last) {
                    push(join(&g, &l), Some(*scope));
                }
            }
        }
    }
    out
}

pub(super) fn is_group_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Up to five close names, with their scope, best first.
pub(super) fn suggest(
    cands: &[(String, Option<Scope>)],
    groups: &[PermissionGroup],
) -> Vec<String> {
    let mut scored: Vec<(usize, String)> = Vec::new();
    for g in groups {
        let name = normalize(&g.name);
        let best = cands
            .iter()
            .map(|(c, _)| strsim::levenshtein(c, &name))
            .min()
            .unwrap_or(usize::MAX);
        let longest = cands
            .iter()
            .map(|(c, _)| c.chars().count())
            .max()
            .unwrap_or(0);
        if best <= (longest / 3).max(2) {
            let label = format!(
                "\"{}\" ({})",
                g.name,
                g.scope().map_or("other", Scope::as_word)
            );
            if !scored.iter().any(|(_, l)| *l == label) {
                scored.push((best, label));
            }
        }
    }
    scored.sort();
    scored.into_iter().take(5).map(|(_, l)| l).collect()
}

/// A word to pass to `cfsecret permissions --filter`: the first word of the request that occurs
/// in some group name, skipping scope and level words.
pub(super) fn filter_word(cands: &[(String, Option<Scope>)], groups: &[PermissionGroup]) -> String {
    const SKIP: &[&str] = &["zone", "account", "user", "read", "write", "edit", "and"];
    let first = cands.first().map(|(c, _)| c.as_str()).unwrap_or_default();
    let words: Vec<&str> = first
        .split(|c: char| c == ':' || c == '|' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    words
        .iter()
        .filter(|w| !SKIP.contains(w))
        .find(|w| groups.iter().any(|g| normalize(&g.name).contains(**w)))
        .or_else(|| words.iter().find(|w| !SKIP.contains(w)))
        .or_else(|| words.first())
        .map_or_else(String::new, |w| (*w).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashboard_spelling_candidates() {
        let c = candidates("Zone | DNS | Edit");
        assert!(
            c.contains(&("dns write".to_owned(), Some(Scope::Zone))),
            "{c:?}"
        );
        let c = candidates("Account:Access: Apps and Policies:Edit");
        assert!(
            c.contains(&(
                "access: apps and policies write".to_owned(),
                Some(Scope::Account)
            )),
            "{c:?}"
        );
        let c = candidates("Account:Cloudflare Workers:Edit");
        assert_eq!(
            c[1],
            ("workers scripts write".to_owned(), Some(Scope::Account))
        );
        // Renames are scope-specific in the dashboard form, any scope in the plain form.
        let c = candidates("Zone:API Gateway:Read");
        assert!(c.contains(&("domain api gateway read".to_owned(), Some(Scope::Zone))));
        assert!(!c.iter().any(|(n, _)| n == "account api gateway read"));
        let c = candidates("API Gateway Read");
        assert!(c.iter().any(|(n, _)| n == "account api gateway read"));
        assert!(c.iter().any(|(n, _)| n == "domain api gateway read"));
        // A lone separator or an unknown scope word is not a dashboard spelling.
        assert_eq!(candidates("Zone:DNS"), [("zone:dns".to_owned(), None)]);
        assert_eq!(candidates("Foo:DNS:Edit").len(), 1);
        assert!(is_group_id("4755a26eedb94da69e1066d98aa820be"));
        assert!(!is_group_id("DNS Write"));
    }

    #[test]
    fn edit_distance() {
        // By characters, as the suggestions need (strsim's `levenshtein` counts chars).
        assert_eq!(strsim::levenshtein("kitten", "sitting"), 3);
        assert_eq!(strsim::levenshtein("", "abc"), 3);
        assert_eq!(strsim::levenshtein("dns write", "dns write"), 0);
    }
}
