//! The tree walk: decrypt every encrypted leaf, and compute the MAC as sops does.
//!
//! The walk visits documents in order and each map or list in file order, exactly like sops's
//! `walkBranch`/`walkSlice`: the path holds map keys only, comments build the per-level comment
//! stack, nulls are skipped, comments never enter the MAC, and with `mac_only_encrypted` only
//! encrypted values count (after a fixed seed). Each leaf's MAC bytes are cached on the node so
//! a `set` can recompute the MAC without decrypting the file a second time.

use sha2::{Digest, Sha256, Sha512};
use zeroize::Zeroizing;

use super::cipher::{self, CipherError, DataKey};
use super::selection::Selection;
use super::tree::{Document, Map, MapItem, Node, Scalar, Seq, SeqItem};
use super::value::Value;

/// A leaf that could not be decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WalkError {
    /// Where, in sops's index syntax (`["a"]["b"][0]`).
    pub(crate) path: String,
    /// What went wrong.
    pub(crate) kind: WalkErrorKind,
}

/// The kinds of leaf failures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WalkErrorKind {
    /// The ciphertext does not decrypt (tampered, moved to another key, wrong data key).
    Cipher(CipherError),
    /// A value the rules say is encrypted is a plain number or bool.
    NotEncrypted(&'static str),
}

/// The additional data sops binds a value to: the map keys of its path, each followed by `:`.
pub(crate) fn aad<S: AsRef<str>>(path: &[S]) -> String {
    let mut out = String::new();
    for k in path {
        out.push_str(k.as_ref());
        out.push(':');
    }
    if path.is_empty() {
        out.push(':');
    }
    out
}

/// Which top-level entries are metadata rather than data.
pub(crate) type IsMetadata = fn(&str) -> bool;

struct Walker<'a> {
    key: &'a DataKey,
    selection: &'a Selection,
    is_metadata: IsMetadata,
    hash: Sha512,
    path: Vec<String>,
    /// Index path for error messages (keys and list positions).
    display: Vec<String>,
    comments: Vec<Vec<String>>,
}

impl Walker<'_> {
    fn map(&mut self, map: &mut Map, top: bool) -> Result<(), WalkError> {
        self.comments.push(Vec::new());
        for item in &mut map.items {
            match item {
                MapItem::Comment(c) => {
                    if self.selection.uses_comments() {
                        self.comments
                            .last_mut()
                            .expect("level")
                            .push(c.text.clone());
                    }
                }
                MapItem::Entry(e) => {
                    if top && (self.is_metadata)(&e.key) {
                        continue;
                    }
                    self.path.push(e.key.clone());
                    self.display.push(format!("[{:?}]", e.key));
                    let r = self.node(&mut e.value);
                    self.path.pop();
                    self.display.pop();
                    r?;
                    self.comments.last_mut().expect("level").clear();
                }
            }
        }
        self.comments.pop();
        Ok(())
    }

    fn seq(&mut self, seq: &mut Seq) -> Result<(), WalkError> {
        self.comments.push(Vec::new());
        for (i, item) in seq.items.iter_mut().enumerate() {
            match item {
                SeqItem::Comment(c) => {
                    if self.selection.uses_comments() {
                        self.comments
                            .last_mut()
                            .expect("level")
                            .push(c.text.clone());
                    }
                }
                SeqItem::Node(n) => {
                    self.display.push(format!("[{i}]"));
                    let r = self.node(n);
                    self.display.pop();
                    r?;
                    self.comments.last_mut().expect("level").clear();
                }
            }
        }
        self.comments.pop();
        Ok(())
    }

    fn node(&mut self, node: &mut Node) -> Result<(), WalkError> {
        match node {
            Node::Map(m) => self.map(m, false),
            Node::Seq(s) => self.seq(s),
            Node::Scalar(s) => self.leaf(s),
        }
    }

    fn leaf(&mut self, scalar: &mut Scalar) -> Result<(), WalkError> {
        scalar.mac_bytes = None;
        if scalar.value == Value::Null {
            return Ok(());
        }
        let encrypted = self
            .selection
            .should_encrypt(&self.path, &self.comments, false);
        let plain = if encrypted {
            match &scalar.value {
                Value::Str(text) => cipher::decrypt(text, self.key, &aad(&self.path))
                    .map_err(|e| self.error(WalkErrorKind::Cipher(e)))?,
                other => return Err(self.error(WalkErrorKind::NotEncrypted(other.type_name()))),
            }
        } else {
            scalar.value.clone()
        };
        if matches!(plain, Value::Comment(_)) {
            return Ok(());
        }
        if !self.selection.mac_only_encrypted || encrypted {
            let bytes = plain.to_bytes();
            self.hash.update(&bytes);
            scalar.mac_bytes = Some(bytes);
        }
        Ok(())
    }

    fn error(&self, kind: WalkErrorKind) -> WalkError {
        WalkError {
            path: self.display.concat(),
            kind,
        }
    }
}

fn new_hash(selection: &Selection) -> Sha512 {
    let mut hash = Sha512::new();
    if selection.mac_only_encrypted {
        // A fixed seed, so a MAC over encrypted values only never equals a full one.
        hash.update(Sha256::digest(b"sops"));
    }
    hash
}

fn hex_upper(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
    out
}

/// Decrypts every encrypted leaf of the data (each authenticated against its path), caches the
/// MAC contributions on the leaves, and returns the MAC as sops prints it (uppercase hex).
pub(crate) fn decrypt_and_mac(
    docs: &mut [Document],
    key: &DataKey,
    selection: &Selection,
    is_metadata: IsMetadata,
) -> Result<String, WalkError> {
    let mut w = Walker {
        key,
        selection,
        is_metadata,
        hash: new_hash(selection),
        path: Vec::new(),
        display: Vec::new(),
        comments: Vec::new(),
    };
    for doc in docs.iter_mut() {
        w.map(&mut doc.root, true)?;
    }
    Ok(hex_upper(&w.hash.finalize()))
}

/// Recomputes the MAC from the cached contributions (after an edit), in walk order.
pub(crate) fn remac(
    docs: &[Document],
    selection: &Selection,
    is_metadata: IsMetadata,
) -> Zeroizing<String> {
    fn node(n: &Node, h: &mut Sha512) {
        match n {
            Node::Map(m) => map(m, h, None),
            Node::Seq(s) => {
                for item in &s.items {
                    if let SeqItem::Node(n) = item {
                        node(n, h);
                    }
                }
            }
            Node::Scalar(s) => {
                if let Some(b) = &s.mac_bytes {
                    h.update(b);
                }
            }
        }
    }
    fn map(m: &Map, h: &mut Sha512, is_metadata: Option<IsMetadata>) {
        for e in m.entries() {
            if is_metadata.is_some_and(|f| f(&e.key)) {
                continue;
            }
            node(&e.value, h);
        }
    }
    let mut h = new_hash(selection);
    for doc in docs {
        map(&doc.root, &mut h, Some(is_metadata));
    }
    Zeroizing::new(hex_upper(&h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aad_joins_map_keys() {
        assert_eq!(aad(&["nested", "deeper", "leaf"]), "nested:deeper:leaf:");
        assert_eq!(aad::<&str>(&[]), ":");
    }

    #[test]
    fn the_empty_tree_hashes_like_sops() {
        let sel = Selection {
            rule: super::super::selection::Rule::default_suffix(),
            mac_only_encrypted: false,
        };
        let mac = remac(&[], &sel, |_| false);
        assert!(mac.starts_with("CF83E1357EEF"), "SHA-512 of nothing");
        assert!(mac.ends_with("927DA3E"));
    }
}
