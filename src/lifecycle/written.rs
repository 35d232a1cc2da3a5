//! When cfsecret last put a new secret into a store, per (store, key, token id): the age of the
//! secret for `rotate --max-age` (issue 12, item 8).
//!
//! Cloudflare reports no "secret created" time. `issued_on` is the token's creation, which a
//! roll keeps (the roll keeps the id and returns only the new secret: cloudflare-docs'
//! `api-roll-token` partial, cloudflare-go `RollAPIToken`), and `modified_on` moves on every
//! edit (a rename, an expiry update), on a roll too (mondoohq/cnspec PR #2467). So cfsecret
//! records the time itself, next to the journal (`.NAME.cfsecret.written`, 0600, replaced
//! atomically), after each successful store write: a rolled secret's time is recorded; a
//! created or rotated token's entry is dropped, its `issued_on` (Cloudflare's own clock) being
//! the truth already. A secret's age is measured from the later of `issued_on` and this record,
//! and only when the record names the very token the store holds: a missing, unreadable or
//! mismatched record falls back to `issued_on`, which is never younger than the truth. It holds
//! token ids and times, never a secret; failing to write it only makes a rotation come early.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::journal::Binding;
use crate::store::atomic;

/// One (store, key)'s last written secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    #[serde(flatten)]
    binding: Binding,
    /// The token whose secret was written.
    token_id: String,
    /// When (Unix seconds).
    written: i64,
}

/// The record file of one store file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Record {
    version: u32,
    #[serde(default)]
    entries: Vec<Entry>,
}

/// Where the record of a store lives, next to its journal.
pub(crate) fn path_for(journal_path: &Path) -> PathBuf {
    let name = journal_path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    journal_path.with_file_name(name.replace(".cfsecret.state", ".cfsecret.written"))
}

fn load(path: &Path) -> Record {
    // Bounded and non-blocking, like the journal; anything wrong reads as "no record".
    match crate::bounded::read(path, crate::bounded::SMALL_LIMIT) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            log::warn!(
                "ignoring the unreadable record {} (secret ages fall back to issued_on): {e}",
                path.display()
            );
            Record::default()
        }),
        Err(e) if e.is_not_found() => Record::default(),
        Err(e) => {
            log::warn!("ignoring the record {}: {e}", path.display());
            Record::default()
        }
    }
}

/// When cfsecret last wrote a secret of `token_id` to this (store, key), if it did and that is
/// still the token recorded.
pub(crate) fn written_at(path: &Path, binding: &Binding, token_id: &str) -> Option<i64> {
    load(path)
        .entries
        .into_iter()
        .find(|e| e.binding == *binding && e.token_id == token_id)
        .map(|e| e.written)
}

/// Records that a rolled secret of `token_id` was just written to this (store, key). Call only
/// with the store's lock held. A failure is a warning: the record only ever makes a secret
/// younger, so without it a rotation comes early, never late.
pub(crate) fn note_roll(path: &Path, binding: &Binding, token_id: &str) {
    let mut record = load(path);
    record.entries.retain(|e| e.binding != *binding);
    record.entries.push(Entry {
        binding: binding.clone(),
        token_id: token_id.to_owned(),
        written: jiff::Timestamp::now().as_second(),
    });
    save(path, &mut record, token_id);
}

/// A new token's secret was just written to this (store, key): its `issued_on` tells its age,
/// so whatever was recorded for this key goes (the file is touched only if it had an entry).
pub(crate) fn forget(path: &Path, binding: &Binding, token_id: &str) {
    let mut record = load(path);
    let before = record.entries.len();
    record.entries.retain(|e| e.binding != *binding);
    if record.entries.len() != before {
        save(path, &mut record, token_id);
    }
}

fn save(path: &Path, record: &mut Record, token_id: &str) {
    let saved = if record.entries.is_empty() {
        std::fs::remove_file(path)
            .or_else(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Ok(()),
                _ => Err(e),
            })
            .map_err(|e| e.to_string())
    } else {
        record.version = 1;
        let bytes = serde_json::to_vec_pretty(record).expect("the record serialises");
        atomic::replace(path, &bytes).map_err(|e| e.to_string())
    };
    if let Err(e) = saved {
        log::warn!(
            "could not update {} for token {token_id} ({e}); `rotate --max-age` measures a \
             secret it cannot find there from its issued_on",
            path.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_entry_per_key_only_for_the_token_recorded_and_no_empty_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = path_for(&dir.path().join(".s.yaml.cfsecret.state"));
        assert!(p.ends_with(".s.yaml.cfsecret.written"));
        let b = |key: &str| Binding {
            store: "/s/s.yaml".into(),
            key: key.into(),
        };
        forget(&p, &b("a"), "t0");
        assert!(!p.exists(), "nothing to forget: no file");
        assert_eq!(written_at(&p, &b("a"), "t1"), None);
        note_roll(&p, &b("a"), "t1");
        note_roll(&p, &b("b"), "t9");
        assert!(written_at(&p, &b("a"), "t1").is_some());
        assert_eq!(written_at(&p, &b("a"), "t2"), None, "another token");
        note_roll(&p, &b("a"), "t2");
        assert_eq!(written_at(&p, &b("a"), "t1"), None, "replaced");
        assert!(written_at(&p, &b("b"), "t9").is_some(), "another key kept");
        forget(&p, &b("a"), "t3");
        assert_eq!(written_at(&p, &b("a"), "t2"), None, "forgotten");
        forget(&p, &b("b"), "t4");
        assert!(!p.exists(), "the last entry gone: no file");
        note_roll(&p, &b("b"), "t9");
        std::fs::write(&p, "{not json").unwrap();
        assert_eq!(written_at(&p, &b("b"), "t9"), None);
    }
}
