//! `.sops.yaml`: finding it as sops does and picking the creation rule for a new file.
//!
//! The file is searched from the working directory upwards (not from the target file's
//! directory), `SOPS_CONFIG` overrides the search, the first rule whose `path_regex` matches the
//! target's path relative to the config's directory wins. Recipients given on the command line
//! or in `SOPS_AGE_RECIPIENTS` replace the rule's keys but keep its selection rules — and a config
//! with no matching rule is still an error, exactly as in sops.

use std::path::{Component, Path, PathBuf};

use regex::Regex;

use super::selection::{Rule, RuleError, Selection};
use super::tree::{Map, Node, SeqItem};
use super::value::Value;
use crate::keys::recipients::{self, Recipient, RecipientError};

/// What a new file is encrypted with and how it is laid out.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Recipients, per key group.
    pub(crate) groups: Vec<Vec<Recipient>>,
    /// Shamir threshold (used when more than one group).
    pub(crate) threshold: usize,
    /// Selection rule and `mac_only_encrypted`.
    pub(crate) selection: Selection,
    /// YAML indentation (`stores.yaml.indent`, default 4).
    pub(crate) yaml_indent: usize,
    /// JSON indentation in spaces (`stores.json.indent`), `None` for tabs.
    pub(crate) json_indent: Option<usize>,
}

/// A `.sops.yaml` problem, or no recipients at all.
#[derive(Debug)]
pub(crate) enum ConfigError {
    /// The config cannot be read.
    Read {
        path: PathBuf,
        error: crate::bounded::ReadError,
    },
    /// The config does not parse or has the wrong shape.
    Invalid { path: PathBuf, why: String },
    /// No creation rule matches the file.
    NoMatchingRule { config: PathBuf, relative: String },
    /// The matching rule only has key types cfsecret cannot use.
    NoAgeKeys { config: PathBuf, kinds: Vec<String> },
    /// The matching creation rule names age keys and also keys cfsecret cannot encrypt to: a
    /// file with the age keys alone would lack keys the rule asks for.
    AlsoOtherKeys { config: PathBuf, kinds: Vec<String> },
    /// The matching creation rule lists no keys at all.
    RuleWithoutKeys { config: PathBuf },
    /// No config and no recipients given.
    NoRecipients,
    /// A selection rule problem.
    Rule { path: PathBuf, error: RuleError },
    /// A recipient cannot be used.
    Recipient(RecipientError),
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Read { path, error } => write!(f, "cannot read {}: {error}", path.display()),
            Self::Invalid { path, why } => write!(f, "{} is invalid: {why}", path.display()),
            Self::NoMatchingRule { config, relative } => write!(
                f,
                "no creation rule in {} matches `{relative}`",
                config.display()
            ),
            Self::NoAgeKeys { config, kinds } => write!(
                f,
                "the matching creation rule in {} uses {} keys only; cfsecret encrypts to age recipients",
                config.display(),
                kinds.join(", ")
            ),
            Self::AlsoOtherKeys { config, kinds } => write!(
                f,
                "the matching creation rule in {} also names {} keys, which cfsecret cannot encrypt to; a file without them is not what the rule asks for",
                config.display(),
                kinds.join(", ")
            ),
            Self::RuleWithoutKeys { config } => {
                write!(f, "the matching creation rule in {} lists no keys", config.display())
            }
            Self::NoRecipients => f.write_str(
                "no recipients: no .sops.yaml was found from the working directory upwards, and neither --age nor SOPS_AGE_RECIPIENTS is set",
            ),
            Self::Rule { path, error } => write!(f, "{}: {error}", path.display()),
            Self::Recipient(e) => e.fmt(f),
        }
    }
}

impl ConfigError {
    /// What to do next.
    pub(crate) fn hint(&self) -> String {
        match self {
            Self::Read { path, error } => error.hint(path),
            Self::NoMatchingRule { config, .. } => format!(
                "add a creation rule for this path to {} (a rule without path_regex matches everything), or pass --age",
                config.display()
            ),
            Self::NoRecipients => {
                "pass --age age1… (or set SOPS_AGE_RECIPIENTS), or add a .sops.yaml with creation_rules".into()
            }
            Self::NoAgeKeys { .. } | Self::RuleWithoutKeys { .. } => {
                "add an `age:` recipient to the creation rule, or pass --age".into()
            }
            Self::AlsoOtherKeys { .. } => {
                "create the file with sops (cfsecret then sets values in it with your age identity), or pass --age".into()
            }
            Self::Recipient(_) => {
                "check the recipient in --age, SOPS_AGE_RECIPIENTS or .sops.yaml: age1… (X25519), age1pq1… (post-quantum), ssh-ed25519/ssh-rsa …, or an age plugin's age1<name>1…".into()
            }
            _ => "fix .sops.yaml (see https://getsops.io/docs/#using-sops-yaml-conf-to-select-kms-pgp-and-age-for-new-files)".into(),
        }
    }
}

/// Finds `.sops.yaml`: `SOPS_CONFIG`, else the working directory and its parents (100 levels).
pub(crate) fn find(cwd: &Path) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SOPS_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let mut dir = Some(cwd);
    for _ in 0..100 {
        let d = dir?;
        let candidate = d.join(".sops.yaml");
        if candidate.is_file() {
            return Some(candidate);
        }
        if d.join(".sops.yml").is_file() {
            log::warn!(
                "ignoring {} when searching for the config file; it must be called .sops.yaml",
                d.join(".sops.yml").display()
            );
        }
        dir = d.parent();
    }
    None
}

/// Lexically absolute path (no symlink resolution, like Go's `filepath.Abs`).
pub(crate) fn absolute(cwd: &Path, p: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_owned()
    } else {
        cwd.join(p)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn strings(node: Option<&Node>) -> Vec<String> {
    match node {
        Some(Node::Scalar(s)) => match &s.value {
            Value::Str(v) => v
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        },
        Some(Node::Seq(seq)) => seq
            .items
            .iter()
            .filter_map(|i| match i {
                SeqItem::Node(Node::Scalar(s)) => match &s.value {
                    Value::Str(v) => Some(v.trim().to_owned()),
                    _ => None,
                },
                _ => None,
            })
            .filter(|v| !v.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

/// The most key groups a file can have (Shamir shares are numbered by a byte).
pub(crate) const MAX_KEY_GROUPS: usize = 255;

const OTHER_KEY_KINDS: [&str; 6] = [
    "pgp",
    "kms",
    "gcp_kms",
    "azure_keyvault",
    "hc_vault_transit_uri",
    "hckms",
];

/// Decides recipients, rules and layout for a new file at `file`.
pub(crate) fn plan(
    cwd: &Path,
    file: &Path,
    cli_recipients: Option<&str>,
) -> Result<Plan, ConfigError> {
    let cli = match cli_recipients.map(str::trim).filter(|r| !r.is_empty()) {
        Some(list) => Some(recipients::parse_list(list).map_err(ConfigError::Recipient)?),
        None => None,
    };
    let Some(config) = find(cwd) else {
        let recipients = cli
            .filter(|r| !r.is_empty())
            .ok_or(ConfigError::NoRecipients)?;
        return Ok(Plan {
            groups: vec![recipients],
            threshold: 1,
            selection: Selection {
                rule: Rule::default_suffix(),
                mac_only_encrypted: false,
            },
            yaml_indent: 4,
            json_indent: None,
        });
    };
    let invalid = |why: String| ConfigError::Invalid {
        path: config.clone(),
        why,
    };
    let src = crate::bounded::read_text(&config, crate::bounded::SMALL_LIMIT)
        .map_err(|error| ConfigError::Read {
            path: config.clone(),
            error,
        })?
        .ok_or_else(|| invalid("it is not UTF-8 text".into()))?;
    let docs =
        super::yaml::parse(&src).map_err(|e| invalid(format!("line {}: {}", e.line, e.kind)))?;
    let root = docs.into_iter().next().map(|d| d.root).unwrap_or_default();
    let (yaml_indent, json_indent) = store_indents(&root).map_err(invalid)?;
    let config_dir = absolute(cwd, config.parent().unwrap_or(Path::new(".")));
    let target = absolute(cwd, file);
    let relative = target.strip_prefix(&config_dir).map_or_else(
        |_| target.display().to_string(),
        |p| p.display().to_string(),
    );
    let rules = root.maps_in("creation_rules");
    let mut chosen = None;
    for rule in rules {
        let matches = match rule.text("path_regex").filter(|r| !r.is_empty()) {
            None => true,
            Some(re) => Regex::new(&re)
                .map_err(|e| invalid(format!("path_regex `{re}`: {e}")))?
                .is_match(&relative),
        };
        if matches {
            chosen = Some(rule);
            break;
        }
    }
    let rule = chosen.ok_or_else(|| ConfigError::NoMatchingRule {
        config: config.clone(),
        relative: relative.clone(),
    })?;
    let selection = selection_of(rule).map_err(|error| ConfigError::Rule {
        path: config.clone(),
        error,
    })?;
    let (groups, threshold) = match cli {
        Some(list) if !list.is_empty() => (vec![list], 1),
        _ => groups_of(rule, &config)?,
    };
    Ok(Plan {
        groups,
        threshold,
        selection,
        yaml_indent,
        json_indent,
    })
}

fn store_indents(root: &Map) -> Result<(usize, Option<usize>), String> {
    let Some(Node::Map(stores)) = root.get("stores").map(|e| &e.value) else {
        return Ok((4, None));
    };
    let indent = |store: &str| -> Result<Option<i64>, String> {
        match stores.get(store).map(|e| &e.value) {
            Some(Node::Map(m)) => match m.get("indent").map(|e| &e.value) {
                Some(Node::Scalar(s)) => match s.value {
                    Value::Int(i) => Ok(Some(i)),
                    _ => Err(format!("stores.{store}.indent must be a number")),
                },
                _ => Ok(None),
            },
            _ => Ok(None),
        }
    };
    let yaml = match indent("yaml")? {
        Some(i) if i < 0 => return Err("stores.yaml.indent must not be negative".into()),
        Some(0) | None => 4,
        Some(i) => i as usize,
    };
    let json = match indent("json")? {
        Some(i) if i >= 0 => Some(i as usize),
        _ => None,
    };
    Ok((yaml, json))
}

fn selection_of(rule: &Map) -> Result<Selection, RuleError> {
    let stated = super::selection::rule_from_fields(|f| rule.text(f))?;
    Ok(Selection {
        rule: stated.unwrap_or_else(Rule::default_suffix),
        mac_only_encrypted: matches!(
            rule.text("mac_only_encrypted").as_deref(),
            Some("true" | "True")
        ),
    })
}

fn groups_of(rule: &Map, config: &Path) -> Result<(Vec<Vec<Recipient>>, usize), ConfigError> {
    let parse = |list: Vec<String>| -> Result<Vec<Recipient>, ConfigError> {
        list.iter()
            .map(|r| Recipient::parse(r).map_err(ConfigError::Recipient))
            .collect()
    };
    let other_kinds = |m: &Map| -> Vec<String> {
        OTHER_KEY_KINDS
            .iter()
            .filter(|k| !strings(m.get(k).map(|e| &e.value)).is_empty() || matches!(m.get(k).map(|e| &e.value), Some(Node::Seq(s)) if !s.items.is_empty()))
            .map(|k| (*k).to_owned())
            .collect()
    };
    let mut groups = Vec::new();
    let mut kinds = Vec::new();
    match rule.get("key_groups").map(|e| &e.value) {
        Some(Node::Seq(seq)) if !seq.items.is_empty() => {
            for item in &seq.items {
                if let SeqItem::Node(Node::Map(g)) = item {
                    let ages = strings(g.get("age").map(|e| &e.value));
                    kinds.extend(other_kinds(g));
                    if !ages.is_empty() {
                        groups.push(parse(ages)?);
                    }
                }
            }
        }
        _ => {
            let ages = strings(rule.get("age").map(|e| &e.value));
            kinds.extend(other_kinds(rule));
            if !ages.is_empty() {
                groups.push(parse(ages)?);
            }
        }
    }
    kinds.sort();
    kinds.dedup();
    if !kinds.is_empty() && !groups.is_empty() {
        return Err(ConfigError::AlsoOtherKeys {
            config: config.to_owned(),
            kinds,
        });
    }
    if groups.is_empty() {
        return Err(if kinds.is_empty() {
            ConfigError::RuleWithoutKeys {
                config: config.to_owned(),
            }
        } else {
            ConfigError::NoAgeKeys {
                config: config.to_owned(),
                kinds,
            }
        });
    }
    // Each group gets one Shamir share whose x coordinate is a byte (group index + 1); sops
    // refuses more than 255 parts too ("parts cannot exceed 255").
    if groups.len() > MAX_KEY_GROUPS {
        return Err(ConfigError::Invalid {
            path: config.to_owned(),
            why: format!(
                "the creation rule has {} key groups; sops and cfsecret split the data key into at most {MAX_KEY_GROUPS} shares, one per group",
                groups.len()
            ),
        });
    }
    let threshold = match rule.text("shamir_threshold") {
        None => groups.len(),
        Some(t) => t.parse::<usize>().map_err(|_| ConfigError::Invalid {
            path: config.to_owned(),
            why: format!("shamir_threshold `{t}` is not a number"),
        })?,
    };
    if groups.len() > 1 && !(2..=groups.len()).contains(&threshold) {
        return Err(ConfigError::Invalid {
            path: config.to_owned(),
            why: format!(
                "shamir_threshold {threshold} does not fit {} key groups (it must be from 2 to the number of groups)",
                groups.len()
            ),
        });
    }
    Ok((groups, threshold))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_paths_are_lexical() {
        let cwd = Path::new("/work/repo/sub");
        assert_eq!(
            absolute(cwd, Path::new("../secrets/x.yaml")),
            Path::new("/work/repo/secrets/x.yaml")
        );
        assert_eq!(
            absolute(cwd, Path::new("/abs/./y.yaml")),
            Path::new("/abs/y.yaml")
        );
    }
}
