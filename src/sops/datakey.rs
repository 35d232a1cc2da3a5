//! Recovering a file's data key from its key groups, and wrapping a new one.
//!
//! One group: any age entry the user can decrypt yields the 32-byte key. Several groups: each
//! group yields a 33-byte Shamir share, and at least `shamir_threshold` of them are combined.
//! When that fails the report says, per group and per recipient, what happened, like sops's own
//! "Group 0: FAILED" report.

use std::io::Read;

use age::armor::ArmoredReader;
use zeroize::Zeroizing;

use super::cipher::DataKey;
use super::metadata::{AgeEntry, KeyGroup};
use super::shamir;
use crate::keys::identities::{BoxedIdentity, Identities};
use crate::keys::recipients::{Recipient, short};

/// The outcome for one group, for the failure report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupReport {
    /// Whether a share (or the key) was recovered from this group.
    pub(crate) ok: bool,
    /// One line per master key tried.
    pub(crate) keys: Vec<String>,
}

/// The data key could not be recovered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DataKeyError {
    /// Per-group outcomes.
    pub(crate) groups: Vec<GroupReport>,
    /// The Shamir threshold (equals the group count for a single group).
    pub(crate) threshold: usize,
    /// Whether no identity at all was found.
    pub(crate) no_identities: bool,
    /// Where identities were looked for in vain.
    pub(crate) looked_in: Vec<String>,
    /// Identity sources that could not be used.
    pub(crate) problems: Vec<String>,
    /// The identities worked but what they decrypted is not a data key: the file is damaged,
    /// not the user's keys.
    pub(crate) damaged: Option<Damaged>,
}

/// How a recovered data key is damaged (small: this error travels in every `SopsError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Damaged {
    /// It has this many bytes, not 32.
    Length(u32),
    /// Its Shamir shares do not combine.
    Shares(shamir::ShamirError),
}

impl std::fmt::Display for Damaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Length(n) => write!(
                f,
                "it is {n} bytes long, not 32; the file was not written by sops or was changed"
            ),
            Self::Shares(e) => {
                let why = match e {
                    shamir::ShamirError::TooFew => "too few shares",
                    shamir::ShamirError::BadLength => "shares of different lengths",
                    shamir::ShamirError::Duplicate => "two shares with the same number",
                };
                write!(f, "its key shares do not combine ({why})")
            }
        }
    }
}

impl std::fmt::Display for DataKeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(why) = &self.damaged {
            write!(f, "its data key is damaged: {why}")?;
        } else if self.no_identities {
            write!(
                f,
                "no age identity was found (looked in {})",
                self.looked_in.join(", ")
            )?;
        } else {
            f.write_str("none of your age identities can decrypt its data key")?;
        }
        for (i, g) in self.groups.iter().enumerate() {
            write!(f, "\n  group {i}: {}", if g.ok { "ok" } else { "FAILED" })?;
            for k in &g.keys {
                write!(f, "\n    {k}")?;
            }
        }
        let ok = self.groups.iter().filter(|g| g.ok).count();
        if self.groups.len() > 1 && ok < self.threshold {
            write!(
                f,
                "\n  the file needs {} of {} groups (Shamir threshold), {ok} recovered",
                self.threshold,
                self.groups.len()
            )?;
        }
        for p in &self.problems {
            write!(f, "\n  note: {p}")?;
        }
        Ok(())
    }
}

fn unwrap_entry(
    entry: &AgeEntry,
    ids: &[&dyn age::Identity],
) -> Result<Zeroizing<Vec<u8>>, String> {
    if ids.is_empty() {
        return Err("no identity to try".into());
    }
    let reader = ArmoredReader::new(entry.enc.as_bytes());
    let decryptor = age::Decryptor::new(reader).map_err(|e| format!("unreadable: {e}"))?;
    let mut out = Zeroizing::new(Vec::new());
    decryptor
        .decrypt(ids.iter().copied())
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => "no identity matches this recipient".to_owned(),
            other => other.to_string(),
        })?
        .read_to_end(&mut out)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

fn try_group(group: &KeyGroup, ids: &mut Identities) -> (Option<Zeroizing<Vec<u8>>>, GroupReport) {
    let mut report = GroupReport {
        ok: false,
        keys: Vec::new(),
    };
    for entry in &group.age {
        let loaded: Vec<&dyn age::Identity> = ids.iter().collect();
        let mut result = unwrap_entry(entry, &loaded);
        if result.is_err() {
            let mut from_cmd: Vec<BoxedIdentity> = ids.key_cmd_identities(&entry.recipient);
            from_cmd.extend(ids.ssh_key_cmd_identities(&entry.recipient));
            if !from_cmd.is_empty() {
                let cmd_ids: Vec<&dyn age::Identity> = from_cmd
                    .iter()
                    .map(|i| i.as_ref() as &dyn age::Identity)
                    .collect();
                result = unwrap_entry(entry, &cmd_ids);
            }
        }
        match result {
            Ok(part) => {
                report.ok = true;
                report.keys.push(format!("{}: ok", short(&entry.recipient)));
                return (Some(part), report);
            }
            Err(why) => report
                .keys
                .push(format!("{}: {why}", short(&entry.recipient))),
        }
    }
    for other in &group.others {
        report.keys.push(format!(
            "{other}: not an age key; cfsecret only uses age keys"
        ));
    }
    (None, report)
}

/// Recovers the data key.
pub(crate) fn recover(
    groups: &[KeyGroup],
    threshold: usize,
    ids: &mut Identities,
) -> Result<DataKey, DataKeyError> {
    let mut parts = Vec::new();
    let mut reports = Vec::new();
    for group in groups {
        let (part, report) = try_group(group, ids);
        parts.extend(part);
        reports.push(report);
        if groups.len() > 1 && parts.len() >= threshold {
            break;
        }
    }
    let mut damaged = None;
    let mut check = |bytes: &[u8]| {
        let key = DataKey::from_slice(bytes);
        if key.is_none() {
            damaged = Some(Damaged::Length(
                u32::try_from(bytes.len()).unwrap_or(u32::MAX),
            ));
        }
        key
    };
    let key = if groups.len() > 1 {
        if parts.len() >= threshold.max(2) {
            let refs: Vec<&[u8]> = parts.iter().map(|p| &p[..]).collect();
            match shamir::combine(&refs) {
                Ok(k) => check(&k[..]),
                Err(e) => {
                    damaged = Some(Damaged::Shares(e));
                    None
                }
            }
        } else {
            None
        }
    } else {
        parts.first().and_then(|p| check(&p[..]))
    };
    key.ok_or_else(|| DataKeyError {
        threshold: if groups.len() > 1 { threshold } else { 1 },
        groups: reports,
        no_identities: ids.is_empty(),
        looked_in: ids.looked_in.clone(),
        problems: ids.problems.clone(),
        damaged,
    })
}

/// Encrypts a new data key for groups of recipients (Shamir-split when more than one group).
/// Returns, per group, the age entries to write.
pub(crate) fn wrap(
    key: &DataKey,
    groups: &[Vec<Recipient>],
    threshold: usize,
) -> Result<Vec<Vec<AgeEntry>>, WrapError> {
    let shares: Vec<Zeroizing<Vec<u8>>> = if groups.len() > 1 {
        shamir::split(key.as_bytes(), groups.len(), threshold)
    } else {
        vec![Zeroizing::new(key.as_bytes().to_vec())]
    };
    groups
        .iter()
        .zip(shares.iter())
        .map(|(group, share)| {
            group
                .iter()
                .map(|r| {
                    Ok(AgeEntry {
                        recipient: r.text.clone(),
                        enc: r.wrap(share).map_err(|e| WrapError::Encrypt {
                            recipient: r.text.clone(),
                            message: e,
                        })?,
                    })
                })
                .collect()
        })
        .collect()
}

/// A data key could not be wrapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WrapError {
    /// age failed to encrypt (a plugin error, typically).
    Encrypt { recipient: String, message: String },
}

impl std::fmt::Display for WrapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Encrypt { recipient, message } => {
                write!(
                    f,
                    "encrypting the data key to {} failed: {message}",
                    short(recipient)
                )
            }
        }
    }
}
