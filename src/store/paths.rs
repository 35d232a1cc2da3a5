//! Where a store's sidecar files live, in one place: the lock next to the store, the journal
//! next to the lock, and what journal entries are bound to.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The sidecar lock path of a store file: `dir/.NAME.cfsecret.lock`.
pub(crate) fn lock_path_for(store: &Path) -> PathBuf {
    let name = store
        .file_name()
        .map_or_else(|| "store".into(), |n| n.to_string_lossy().into_owned());
    store.with_file_name(format!(".{name}.cfsecret.lock"))
}

/// Where the journal of a store lives: next to its lock, `.NAME.cfsecret.state`.
pub(crate) fn journal_path_for(lock_path: &Path) -> PathBuf {
    let name = lock_path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    lock_path.with_file_name(name.replace(".cfsecret.lock", ".cfsecret.state"))
}

/// Which store and key an entry belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Binding {
    /// The store's resolved path (symlinks followed), or `keyring:BACKEND/SERVICE/USER`.
    pub(crate) store: String,
    /// The key path (empty for a keyring entry).
    pub(crate) key: String,
}

impl Binding {
    /// A short tag of this (store, key) for pending token names: 8 hex digits of a hash.
    pub(crate) fn tag(&self) -> String {
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
