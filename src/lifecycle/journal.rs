//! The journal: what an irreversible step in progress was about, so the next run can finish it
//! or clean it up.
//!
//! A step is recorded *before* it is sent (a create, a roll) and advanced as it completes; the
//! journal lives next to the store's lock (`.NAME.cfsecret.state`), is only touched while the
//! lock is held, and is replaced atomically. It holds token ids, names and times — never a
//! secret. If it is lost, minted successors can still be recognised by their pending name.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::store::{StoreError, atomic};

/// The step in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Pending {
    /// A create was (or is about to be) sent for a token named `pending_name`; its response,
    /// with the secret, may be lost.
    Minting {
        /// The temporary, recognisable name of the new token.
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
}

/// The journal file of one store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// Format version.
    pub version: u32,
    /// The step in progress, if any.
    pub pending: Option<Pending>,
    /// When it started (Unix seconds).
    pub started: Option<i64>,
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
    /// Reads the journal; a missing file is an empty journal, an unreadable one is reported and
    /// treated as empty (a pending successor is still recognisable by its name).
    pub fn load(path: &Path) -> Self {
        // Bounded and non-blocking: a FIFO or device here must not hang a run holding the lock.
        match crate::bounded::read(path, crate::bounded::SMALL_LIMIT) {
            Ok(bytes) if bytes.is_empty() => Self::default(),
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                log::warn!("ignoring the unreadable journal {}: {e}", path.display());
                Self::default()
            }),
            Err(e) if e.is_not_found() => Self::default(),
            Err(e) => {
                log::warn!("ignoring the journal {}: {e}", path.display());
                Self::default()
            }
        }
    }

    /// Records `pending` (keeping the start time of a step already under way).
    pub fn record(&mut self, path: &Path, pending: Pending) -> Result<(), Error> {
        if self.pending.is_none() || self.started.is_none() {
            self.started = Some(now());
        }
        self.version = 1;
        self.pending = Some(pending);
        self.save(path)
    }

    /// Clears the journal: nothing is in progress.
    pub fn clear(&mut self, path: &Path) -> Result<(), Error> {
        self.pending = None;
        self.started = None;
        if path.exists() {
            std::fs::remove_file(path)
                .map_err(|e| StoreError::io("remove the journal", path, e))?;
            atomic::sync_dir(path);
        }
        Ok(())
    }

    fn save(&self, path: &Path) -> Result<(), Error> {
        let bytes = serde_json::to_vec_pretty(self).expect("journal serialises");
        atomic::replace(path, &bytes)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_survive_a_reload_and_clear() {
        let dir = tempfile::tempdir().unwrap();
        let p = path_for(&dir.path().join(".s.yaml.cfsecret.lock"));
        assert!(p.ends_with(".s.yaml.cfsecret.state"));
        let mut j = Journal::load(&p);
        assert_eq!(j.pending, None);
        let step = Pending::Rolling {
            token_id: "abc".into(),
        };
        j.record(&p, step.clone()).unwrap();
        let reloaded = Journal::load(&p);
        assert_eq!(reloaded.pending, Some(step));
        assert!(reloaded.started.is_some());
        j.clear(&p).unwrap();
        assert!(!p.exists());
        std::fs::write(&p, "{not json").unwrap();
        assert_eq!(Journal::load(&p), Journal::default());
    }
}
