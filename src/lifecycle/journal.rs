//! The journal: what irreversible steps in progress were about, so the next run can finish them
//! or clean them up.
//!
//! One journal file per store file (next to its lock, `.NAME.cfsecret.state`), touched only
//! while the lock is held and replaced atomically. It holds entries, each bound to one store and
//! one key: the store's resolved path (or keyring entry), the key, and the token the step started
//! from. A run acts only on its own (store, key) entries; entries for another key of the same
//! file are kept untouched, and entries naming another store (a journal copied with a directory
//! or from another checkout) are ignored with a warning. It holds token ids, names and times —
//! never a secret.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::store::{StoreError, atomic};

/// A step in progress for one key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Pending {
    /// A create was (or is about to be) sent for a token named `pending_name`; its response,
    /// with the secret, may be lost.
    Minting {
        /// The temporary name of the new token: it carries this store's tag and this run's
        /// nonce, so it is this run's token and nobody else's.
        pending_name: String,
        /// The name it gets once stored.
        final_name: String,
        /// The token it replaces, if any (rotate, create --force).
        old_id: Option<String>,
    },
    /// The new token exists; it may or may not have reached the store.
    Minted {
        /// The new token.
        new_id: String,
        /// The name it was created under (proof that this run minted it).
        #[serde(default)]
        pending_name: String,
        /// The name it gets once stored.
        final_name: String,
        /// The token it replaces, if any.
        old_id: Option<String>,
    },
    /// The new token is stored and verified; the old one still has to go (and the new one may
    /// still carry its pending name).
    Stored {
        /// The new token.
        new_id: String,
        /// The name it must carry.
        final_name: String,
        /// The token to revoke, if any.
        old_id: Option<String>,
        /// Not before this Unix time (`--keep-old`).
        revoke_after: Option<i64>,
    },
    /// A roll of `token_id` was (or is about to be) sent; the new secret may be lost.
    Rolling {
        /// The token being rolled.
        token_id: String,
    },
    /// `--keep-old`: the old token `old_id` is revoked once `after` has passed. Kept beside
    /// whatever later commands (a roll, a rotate) journal, so it survives them.
    Revoke {
        /// The token to revoke.
        old_id: String,
        /// Not before this Unix time.
        after: i64,
        /// The token that replaced it (held by the store).
        new_id: String,
    },
    /// `revoke`: token `token_id` is (about to be) deleted; then, unless `--keep-key`, the key
    /// leaves the store. A run interrupted in between is finished by the next one.
    Revoking {
        /// The token being revoked.
        token_id: String,
        /// Whether the key is removed from the store afterwards.
        remove_key: bool,
    },
}

impl Pending {
    fn is_revoke(&self) -> bool {
        matches!(self, Self::Revoke { .. })
    }
}

/// Which store and key an entry belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    /// The store's resolved path (symlinks followed), or `keyring:BACKEND/SERVICE/USER`.
    pub store: String,
    /// The key path (empty for a keyring entry).
    pub key: String,
}

impl Binding {
    /// A short tag of this (store, key) for pending token names: 8 hex digits of a hash.
    pub fn tag(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(self.store.as_bytes());
        h.update([0]);
        h.update(self.key.as_bytes());
        h.finalize()[..4]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// One step of one (store, key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The store and key.
    #[serde(flatten)]
    pub binding: Binding,
    /// The token the store held when the step started, if any.
    pub from_id: Option<String>,
    /// When it started (Unix seconds).
    pub started: i64,
    /// The step.
    pub step: Pending,
}

/// The journal file of one store file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// Format version (2: entries bound to a store and key).
    pub version: u32,
    /// The steps in progress.
    #[serde(default)]
    pub entries: Vec<Entry>,
    /// A version-1 journal's single unbound step: never acted on (it names no store).
    #[serde(default, skip_serializing)]
    pending: Option<serde_json::Value>,
}

/// Where the journal of a store lives.
pub fn path_for(lock_path: &Path) -> PathBuf {
    let name = lock_path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    lock_path.with_file_name(name.replace(".cfsecret.lock", ".cfsecret.state"))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Journal {
    /// Reads the journal. A missing file is an empty journal; an unparsable one is reported and
    /// treated as empty (a pending successor is still recognisable by its name). Something that
    /// is not a regular file (a FIFO, a directory) is refused: reading it could hang, and it may
    /// hide a step in progress.
    pub fn load(path: &Path, binding: &Binding) -> Result<Self, Error> {
        // Bounded and non-blocking: a FIFO or device here must not hang a run holding the lock.
        let bytes = match crate::bounded::read(path, crate::bounded::SMALL_LIMIT) {
            Ok(bytes) => bytes,
            Err(e) if e.is_not_found() => return Ok(Self::default()),
            Err(error) => {
                return Err(StoreError::Read {
                    what: "the journal",
                    path: path.to_owned(),
                    error,
                }
                .into());
            }
        };
        if bytes.is_empty() {
            return Ok(Self::default());
        }
        let journal: Self = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            log::warn!("ignoring the unreadable journal {}: {e}", path.display());
            Self::default()
        });
        if journal.pending.is_some() {
            log::warn!(
                "ignoring the entry of {}: it was written by an older cfsecret and names no store",
                path.display()
            );
        }
        for e in journal
            .entries
            .iter()
            .filter(|e| e.binding.store != binding.store)
        {
            log::warn!(
                "ignoring an entry of the journal {} for another store ({}): copied from elsewhere? \
                 Nothing is done with it; remove it once that store is settled",
                path.display(),
                e.binding.store
            );
        }
        Ok(journal)
    }

    /// This key's step in progress (not a pending revocation), if any.
    pub fn step(&self, b: &Binding) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.binding == *b && !e.step.is_revoke())
    }

    /// This key's pending revocations.
    pub fn revocations(&self, b: &Binding) -> Vec<Entry> {
        self.entries
            .iter()
            .filter(|e| e.binding == *b && e.step.is_revoke())
            .cloned()
            .collect()
    }

    /// Whether this key has anything in progress.
    pub fn has_any(&self, b: &Binding) -> bool {
        self.entries.iter().any(|e| e.binding == *b)
    }

    /// Records `step` as this key's step in progress (keeping its start time and origin when a
    /// step is already under way, and every other entry).
    pub fn record(
        &mut self,
        path: &Path,
        b: &Binding,
        from_id: Option<String>,
        step: Pending,
    ) -> Result<(), Error> {
        let previous = self.step(b).map(|e| (e.started, e.from_id.clone()));
        self.entries
            .retain(|e| e.binding != *b || e.step.is_revoke());
        let (started, from_id) = previous.unwrap_or((now(), from_id));
        self.entries.push(Entry {
            binding: b.clone(),
            from_id,
            started,
            step,
        });
        self.save(path)
    }

    /// Adds a pending revocation for this key (once per old token).
    pub fn add_revoke(
        &mut self,
        path: &Path,
        b: &Binding,
        old_id: &str,
        after: i64,
        new_id: &str,
    ) -> Result<(), Error> {
        self.entries.retain(|e| {
            !(e.binding == *b
                && matches!(&e.step, Pending::Revoke { old_id: o, .. } if o == old_id))
        });
        self.entries.push(Entry {
            binding: b.clone(),
            from_id: Some(old_id.to_owned()),
            started: now(),
            step: Pending::Revoke {
                old_id: old_id.to_owned(),
                after,
                new_id: new_id.to_owned(),
            },
        });
        self.save(path)
    }

    /// Removes this key's pending revocation of `old_id`.
    pub fn remove_revoke(&mut self, path: &Path, b: &Binding, old_id: &str) -> Result<(), Error> {
        self.entries.retain(|e| {
            !(e.binding == *b
                && matches!(&e.step, Pending::Revoke { old_id: o, .. } if o == old_id))
        });
        self.save(path)
    }

    /// This key's step is done (its pending revocations and other keys' entries stay).
    pub fn clear(&mut self, path: &Path, b: &Binding) -> Result<(), Error> {
        let before = self.entries.len();
        self.entries
            .retain(|e| e.binding != *b || e.step.is_revoke());
        if before == self.entries.len() && self.pending.is_none() {
            return Ok(());
        }
        self.save(path)
    }

    fn save(&mut self, path: &Path) -> Result<(), Error> {
        crate::faults::hit("journal.write")
            .map_err(|e| StoreError::io("write the journal", path, e))?;
        self.pending = None;
        if self.entries.is_empty() {
            if path.exists() {
                std::fs::remove_file(path)
                    .map_err(|e| StoreError::io("remove the journal", path, e))?;
                atomic::sync_dir(path);
            }
        } else {
            self.version = 2;
            let bytes = serde_json::to_vec_pretty(self).expect("journal serialises");
            atomic::replace(path, &bytes)?;
        }
        let _ = crate::faults::hit("journal.written");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(key: &str) -> Binding {
        Binding {
            store: "/s/s.yaml".into(),
            key: key.into(),
        }
    }

    #[test]
    fn entries_are_per_key_and_survive_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let p = path_for(&dir.path().join(".s.yaml.cfsecret.lock"));
        assert!(p.ends_with(".s.yaml.cfsecret.state"));
        let (a, b) = (binding("a"), binding("b"));
        let mut j = Journal::load(&p, &a).unwrap();
        let step = Pending::Rolling {
            token_id: "abc".into(),
        };
        j.record(&p, &a, Some("abc".into()), step.clone()).unwrap();
        j.add_revoke(&p, &a, "old", 5, "abc").unwrap();
        j.record(
            &p,
            &b,
            None,
            Pending::Rolling {
                token_id: "x".into(),
            },
        )
        .unwrap();
        let mut reloaded = Journal::load(&p, &a).unwrap();
        assert_eq!(reloaded.step(&a).unwrap().step, step);
        assert_eq!(reloaded.revocations(&a).len(), 1);
        reloaded.clear(&p, &a).unwrap();
        assert!(reloaded.step(&a).is_none());
        assert_eq!(reloaded.revocations(&a).len(), 1, "a revocation survives");
        assert!(reloaded.step(&b).is_some(), "another key's step survives");
        reloaded.remove_revoke(&p, &a, "old").unwrap();
        reloaded.clear(&p, &b).unwrap();
        assert!(!p.exists());
        std::fs::write(&p, "{not json").unwrap();
        assert_eq!(Journal::load(&p, &a).unwrap(), Journal::default());
        assert_ne!(binding("a").tag(), binding("b").tag());
    }
}
