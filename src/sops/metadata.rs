//! The `sops` metadata block: what cfsecret needs from it, read from the parsed tree.
//!
//! Only what is needed is interpreted (age key entries, the threshold, `lastmodified`, `mac`, the
//! selection rule, `version`). Everything else — pgp, kms, vault entries, fields from newer sops
//! versions — stays untouched in the file, because edits splice values and never re-serialise
//! the block.

use super::gotime::GoTime;
use super::selection::{Rule, RuleError, Selection, rule_from_fields};
use super::tree::Map;

/// One age key entry: the recipient and the data key (or Shamir share) encrypted to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AgeEntry {
    /// The recipient string as stored (`age1…`, `ssh-ed25519 AAAA… comment`, …).
    pub(crate) recipient: String,
    /// The ASCII-armored age file holding the data key.
    pub(crate) enc: String,
}

/// A key group: every master key in it encrypts the same data key (or the same share).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct KeyGroup {
    /// The age entries.
    pub(crate) age: Vec<AgeEntry>,
    /// Master keys cfsecret cannot use (pgp, kms, gcp_kms, azure_kv, hc_vault, hckms), described
    /// for error messages, e.g. `pgp FBC7B9E2…`.
    pub(crate) others: Vec<String>,
}

/// The interpreted metadata.
#[derive(Debug)]
pub(crate) struct Metadata {
    /// Key groups (one unless the file uses `key_groups`).
    pub(crate) groups: Vec<KeyGroup>,
    /// `shamir_threshold`, when more than one group.
    pub(crate) threshold: usize,
    /// `lastmodified`, parsed.
    pub(crate) lastmodified: GoTime,
    /// The encrypted MAC (`ENC[...]`), possibly empty.
    pub(crate) mac: String,
    /// Which values are encrypted, and whether the MAC covers only those.
    pub(crate) selection: Selection,
    /// Whether the file states a selection rule; sops writes `unencrypted_suffix: _unencrypted`
    /// back on the next write when it does not.
    pub(crate) rule_written: bool,
}

/// Why the metadata block cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MetadataError {
    /// There is no `sops` metadata: not an encrypted sops file.
    Missing,
    /// `lastmodified` is missing or not RFC 3339.
    BadLastModified,
    /// No master key entries at all.
    NoKeys,
    /// `version` is missing.
    NoVersion,
    /// A selection rule problem (several rules, a bad regex).
    Rule(RuleError),
    /// A field has the wrong shape.
    Malformed(&'static str),
}

impl std::fmt::Display for MetadataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing => {
                f.write_str("it has no `sops` metadata, so it is not a SOPS-encrypted file")
            }
            Self::BadLastModified => {
                f.write_str("its `sops.lastmodified` is missing or not an RFC 3339 time")
            }
            Self::NoKeys => f.write_str("its metadata lists no keys"),
            Self::NoVersion => f.write_str("its `sops.version` is empty"),
            Self::Rule(e) => e.fmt(f),
            Self::Malformed(field) => write!(f, "its `sops.{field}` field is malformed"),
        }
    }
}

const RULE_FIELDS: [&str; 6] = [
    "unencrypted_suffix",
    "encrypted_suffix",
    "unencrypted_regex",
    "encrypted_regex",
    "unencrypted_comment_regex",
    "encrypted_comment_regex",
];

const KEY_TYPES: [&str; 7] = [
    "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "hckms", "age",
];

fn group_from(map: &Map) -> Result<KeyGroup, MetadataError> {
    let mut group = KeyGroup::default();
    for entry in map.maps_in("age") {
        let recipient = entry
            .text("recipient")
            .ok_or(MetadataError::Malformed("age.recipient"))?;
        let enc = entry
            .text("enc")
            .ok_or(MetadataError::Malformed("age.enc"))?;
        group.age.push(AgeEntry {
            recipient: recipient.trim().to_owned(),
            enc,
        });
    }
    for kind in KEY_TYPES.iter().filter(|k| **k != "age") {
        for entry in map.maps_in(kind) {
            let id = [
                "fp",
                "arn",
                "resource_id",
                "vault_url",
                "vault_address",
                "key_id",
            ]
            .iter()
            .find_map(|f| entry.text(f))
            .unwrap_or_default();
            group
                .others
                .push(format!("{kind} {id}").trim_end().to_owned());
        }
    }
    Ok(group)
}

fn has_keys(map: &Map) -> bool {
    KEY_TYPES.iter().any(|k| !map.maps_in(k).is_empty())
}

impl Metadata {
    /// Interprets a `sops` block (already located by the store).
    pub(crate) fn from_map(sops: &Map) -> Result<Self, MetadataError> {
        let lastmodified = sops
            .text("lastmodified")
            .and_then(|t| GoTime::parse_rfc3339(&t))
            .ok_or(MetadataError::BadLastModified)?;
        // As in sops: top-level key entries win over `key_groups`.
        let groups = if has_keys(sops) {
            vec![group_from(sops)?]
        } else {
            sops.maps_in("key_groups")
                .into_iter()
                .map(group_from)
                .collect::<Result<Vec<_>, _>>()?
        };
        if groups
            .iter()
            .all(|g| g.age.is_empty() && g.others.is_empty())
        {
            return Err(MetadataError::NoKeys);
        }
        let threshold = match sops.text("shamir_threshold") {
            None => 0,
            Some(t) => {
                t.parse::<f64>()
                    .ok()
                    .filter(|v| v.fract() == 0.0 && *v >= 0.0)
                    .ok_or(MetadataError::Malformed("shamir_threshold"))? as usize
            }
        };
        let threshold = if threshold == 0 {
            groups.len()
        } else {
            threshold
        };
        let mac_only_encrypted = matches!(
            sops.text("mac_only_encrypted").as_deref(),
            Some("true" | "True")
        );
        let stated = rule_from_fields(|f| sops.text(f)).map_err(MetadataError::Rule)?;
        // A rule field that is present but empty (`""`, `null`, `~`) states no rule, and sops
        // reads the file with the default; it still counts as written, so a write does not add
        // a second `unencrypted_suffix` line that neither tool could read.
        let rule_written = stated.is_some() || RULE_FIELDS.iter().any(|f| sops.get(f).is_some());
        let rule = stated.unwrap_or_else(Rule::default_suffix);
        let version = sops.text("version").unwrap_or_default();
        if version.is_empty() {
            return Err(MetadataError::NoVersion);
        }
        Ok(Self {
            groups,
            threshold,
            lastmodified,
            mac: sops.text("mac").unwrap_or_default(),
            selection: Selection {
                rule,
                mac_only_encrypted,
            },
            rule_written,
        })
    }
}
