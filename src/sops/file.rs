//! An encrypted SOPS file in memory: verified when opened, changed by splicing.
//!
//! [`SopsFile::open`] parses the text, recovers the data key, decrypts and authenticates every
//! value and checks the MAC; anything wrong is an error and the file is never rewritten.
//! [`SopsFile::set`] changes one value: the new ciphertext replaces the old value's bytes (or a
//! new entry is inserted where sops would put it), the MAC is recomputed from the cached
//! contributions, and `lastmodified` and `mac` are replaced — every other byte stays as it was.

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};

use super::cipher::{self, DataKey};
use super::datakey;
use super::error::{SopsError, SopsErrorKind as K};
use super::format::Format;
use super::gotime::GoTime;
use super::keypath::{KeyPath, Step};
use super::metadata::{Metadata, MetadataError};
use super::route::{
    self, COMMENT_ELEMENT, Hop, Located, NodeMut, NodeRef, is_comment_leaf, locate, node_at,
    node_at_mut,
};
use super::splice;
use super::tree::{Document, MapItem, Node, Scalar, SeqItem, Span};
use super::value::Value;

#[path = "unset.rs"]
mod unset;
use super::walk;
use crate::keys::identities::Identities;
use crate::secret;

/// A verified, decryptable SOPS file.
pub(crate) struct SopsFile {
    path: PathBuf,
    format: Format,
    src: String,
    docs: Vec<Document>,
    metadata: Metadata,
    key: DataKey,
    /// The document [`get`](Self::get) and [`set`](Self::set) act on (sops: always the first).
    doc: usize,
}

impl std::fmt::Debug for SopsFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SopsFile")
            .field("path", &self.path)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

/// The outcome of a [`SopsFile::set`].
#[derive(Debug)]
pub(crate) struct SetResult {
    /// The new file text (`None` when the value was already there).
    pub(crate) text: Option<String>,
    /// Whether the key was added rather than replaced.
    pub(crate) added: bool,
    /// Where the value now is: the key path asked for, with a position at or past a list's end
    /// (where sops appends) or in a new list replaced by the position it took.
    pub(crate) at: KeyPath,
}

impl SopsFile {
    /// Opens and verifies a file's text. `path` decides the format and names the file in errors.
    pub(crate) fn open(path: &Path, src: String, ids: &mut Identities) -> Result<Self, SopsError> {
        Self::open_with(path, src, |metadata| {
            datakey::recover(&metadata.groups, metadata.threshold, ids).map_err(K::DataKey)
        })
    }

    /// Opens and verifies text this process has just rendered, with the data key it rendered it
    /// with: the guard before a rename. The user's identities are not needed (a new file may be
    /// encrypted only to others' recipients) and a key command is not run again.
    pub(crate) fn open_with_key(
        path: &Path,
        src: String,
        key: &DataKey,
    ) -> Result<Self, SopsError> {
        Self::open_with(path, src, |_| Ok(key.clone()))
    }

    /// The data key (for [`open_with_key`](Self::open_with_key) on this file's next version).
    pub(crate) fn data_key(&self) -> &DataKey {
        &self.key
    }

    fn open_with(
        path: &Path,
        src: String,
        recover: impl FnOnce(&Metadata) -> Result<DataKey, K>,
    ) -> Result<Self, SopsError> {
        let err = |kind| SopsError::new(path, kind);
        let format = Format::from_path(path).ok_or_else(|| err(K::UnknownFormat))?;
        if src.trim().is_empty() {
            return Err(err(K::Empty));
        }
        let mut docs = format
            .parse(&src)
            .map_err(|(line, col, message)| err(K::Syntax { line, col, message }))?;
        if docs.is_empty() {
            return Err(err(K::Empty));
        }
        let metadata = read_metadata(format, &docs[0]).map_err(|e| err(K::Metadata(e)))?;
        let key = recover(&metadata).map_err(err)?;
        let mac = |docs: &mut [Document]| {
            walk::decrypt_and_mac(docs, &key, &metadata.selection, format.metadata_test())
        };
        let computed = mac(&mut docs).map_err(|e| err(K::Value(e)))?;
        if metadata.mac.is_empty() {
            return Err(err(K::NoMac));
        }
        let stored = cipher::decrypt(&metadata.mac, &key, &metadata.lastmodified.format_rfc3339())
            .map_err(|_| err(K::MacUndecryptable))?;
        let verifies = |c: &str| matches!(&stored, Value::Str(s) if s == c);
        if !verifies(&computed) {
            // sops 3.13.2 hashes JSON integers that fit int64 as ints, earlier sops as floats
            // (#2222); they differ only past 2^53 and for -0. The MAC says which wrote the file,
            // and a later `set` re-hashes every value the same way.
            let ints = (format == Format::Json)
                .then(|| super::json::parse_ints(&src).ok())
                .flatten()
                .map(|d| vec![d]);
            let mut ints = ints.ok_or_else(|| err(K::MacMismatch))?;
            if !mac(&mut ints).is_ok_and(|c| verifies(&c)) {
                return Err(err(K::MacMismatch));
            }
            docs = ints;
        }
        Ok(Self {
            path: path.to_owned(),
            format,
            src,
            docs,
            metadata,
            key,
            doc: 0,
        })
    }

    /// How many documents the file holds (YAML may hold several; sops puts the same metadata
    /// in each and one MAC covers them all).
    pub(crate) fn documents(&self) -> usize {
        self.docs.len()
    }

    /// The file's text as it was read.
    pub(crate) fn source(&self) -> &str {
        &self.src
    }

    /// Where the first document's `sops:` block starts (YAML), for copying it into a new
    /// document: sops writes the same block, last, in every document.
    pub(crate) fn metadata_start(&self) -> Option<usize> {
        self.docs[0].root.get("sops").map(|e| e.key_span.start)
    }

    /// Makes [`get`](Self::get) and [`set`](Self::set) act on document `n` (0-based). sops's
    /// own `set` and `--extract` only reach the first; the MAC and metadata edits still cover
    /// every document, so sops reads the result.
    pub(crate) fn select_document(&mut self, n: usize) -> bool {
        if n < self.docs.len() {
            self.doc = n;
            true
        } else {
            false
        }
    }

    /// The parsed metadata.
    pub(crate) fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// Every age recipient the file is encrypted to (for rescue files).
    pub(crate) fn age_recipients(&self) -> Vec<String> {
        self.metadata
            .groups
            .iter()
            .flat_map(|g| g.age.iter().map(|a| a.recipient.clone()))
            .collect()
    }

    fn err(&self, kind: K) -> SopsError {
        SopsError::new(&self.path, kind)
    }

    fn blocked(&self, kp: &KeyPath, (steps, found): (usize, &'static str)) -> SopsError {
        let at = KeyPath::from_steps(kp.steps()[..steps].to_vec()).to_string();
        self.err(K::PathBlocked {
            path: kp.clone(),
            at,
            found,
        })
    }

    fn check_path(&self, kp: &KeyPath) -> Result<(), SopsError> {
        let Step::Key(first) = &kp.steps()[0] else {
            return Err(self.err(K::NotAValue {
                path: kp.clone(),
                found: "a list position at the top level",
            }));
        };
        if (self.format.metadata_test())(first) {
            return Err(self.err(K::CannotEdit {
                path: kp.clone(),
                why: "that key holds sops's own metadata",
            }));
        }
        if self.format == Format::Dotenv
            && (kp.steps().len() != 1
                || first.contains(['=', '\n'])
                || first.starts_with('#')
                || first.is_empty())
        {
            return Err(self.err(K::CannotEdit {
                path: kp.clone(),
                why: "a dotenv file holds single KEY=VALUE lines (no nesting, no `=` or newline in keys)",
            }));
        }
        Ok(())
    }

    /// Reads one value (decrypted). Non-string values come back as their canonical text.
    pub(crate) fn get(&self, kp: &KeyPath) -> Result<SecretString, SopsError> {
        let value = self.get_value(kp)?;
        let text = match &value {
            Value::Str(s) => return Ok(secret::from_str(s)),
            // As `sops decrypt --extract` prints it: through the file's output store.
            other if self.format == Format::Json => super::value::json_text(other),
            other => super::value::yaml_text(other),
        };
        secret::from_bytes(&text).ok_or_else(|| {
            self.err(K::NotAValue {
                path: kp.clone(),
                found: "binary data",
            })
        })
    }

    /// The typed value at `kp`, decrypted.
    fn get_value(&self, kp: &KeyPath) -> Result<Value, SopsError> {
        self.check_path(kp)?;
        let route = match locate(&self.docs[self.doc].root, kp, self.format) {
            Ok(Located::Found(route)) => route,
            Ok(Located::Missing { .. }) => return Err(self.err(K::KeyNotFound(kp.clone()))),
            Err(blocked) => return Err(self.blocked(kp, blocked)),
        };
        let scalar = match node_at(&self.docs[self.doc].root, &route) {
            NodeRef::Node(Node::Scalar(s)) => s,
            NodeRef::Node(n) => {
                return Err(self.err(K::NotAValue {
                    path: kp.clone(),
                    found: n.kind(),
                }));
            }
            NodeRef::Map(_) => {
                return Err(self.err(K::NotAValue {
                    path: kp.clone(),
                    found: "a map",
                }));
            }
        };
        if scalar.value == Value::Null {
            return Err(self.err(K::NotAValue {
                path: kp.clone(),
                found: "empty (null)",
            }));
        }
        if is_comment_leaf(scalar) {
            return Err(self.err(K::NotAValue {
                path: kp.clone(),
                found: COMMENT_ELEMENT,
            }));
        }
        let keys = kp.keys();
        let stack = self.comment_stack(&route, None);
        let value = if self.metadata.selection.should_encrypt(&keys, &stack, false) {
            let Value::Str(text) = &scalar.value else {
                return Err(self.err(K::NotAValue {
                    path: kp.clone(),
                    found: "not encrypted",
                }));
            };
            cipher::decrypt(text, &self.key, &walk::aad(&keys)).map_err(|e| {
                self.err(K::Value(walk::WalkError {
                    path: kp.to_string(),
                    kind: walk::WalkErrorKind::Cipher(e),
                }))
            })?
        } else {
            scalar.value.clone()
        };
        match value {
            Value::Comment(_) => Err(self.err(K::NotAValue {
                path: kp.clone(),
                found: "a comment",
            })),
            value => Ok(value),
        }
    }

    /// Stores `secret` (a string) at `kp`, returning the new file text. Nothing is written here.
    pub(crate) fn set(
        mut self,
        kp: &KeyPath,
        secret: &SecretString,
        now: GoTime,
    ) -> Result<SetResult, SopsError> {
        self.check_path(kp)?;
        // Only an equal *string* makes the set a no-op: sops stores `5` over `port: 5` as the
        // string "5" (`type:str`), so the file does change.
        if let Ok(current) = self.get_value(kp)
            && let Value::Str(current) = &current
            && secret::eq(&secret::from_str(current), secret)
        {
            return Ok(SetResult {
                text: None,
                added: false,
                at: kp.clone(),
            });
        }
        let located =
            locate(&self.docs[self.doc].root, kp, self.format).map_err(|b| self.blocked(kp, b))?;
        let keys = kp.keys();
        let (route, remaining) = match located {
            Located::Found(route) => {
                match node_at(&self.docs[self.doc].root, &route) {
                    NodeRef::Node(n @ (Node::Map(_) | Node::Seq(_))) => {
                        return Err(self.err(K::NotAValue {
                            path: kp.clone(),
                            found: n.kind(),
                        }));
                    }
                    NodeRef::Node(Node::Scalar(s)) if is_comment_leaf(s) => {
                        return Err(self.err(K::NotAValue {
                            path: kp.clone(),
                            found: COMMENT_ELEMENT,
                        }));
                    }
                    _ => {}
                }
                (route, Vec::new())
            }
            Located::Missing { route, remaining } => (route, remaining),
        };
        let added = !remaining.is_empty();
        let at = super::route::landed(&self.docs[self.doc].root, kp, &route, &remaining);
        let stack = self.comment_stack(&route, added.then_some(remaining.len()));
        if !self.metadata.selection.should_encrypt(&keys, &stack, false) {
            let (field, value) = self.metadata.selection.rule.field();
            return Err(self.err(K::WouldBePlaintext {
                path: kp.clone(),
                rule: format!("{field}: {value}"),
            }));
        }
        let plain = Value::Str(secret.expose_secret().to_owned());
        let enc = cipher::encrypt(&plain, &self.key, &walk::aad(&keys));
        let mac_bytes = plain.to_bytes();
        let mut edits = Vec::new();
        if added {
            edits.push(
                splice::insertion(
                    self.format,
                    &self.src,
                    &self.docs[self.doc].root,
                    &route,
                    &remaining,
                    &enc,
                )
                .map_err(|why| {
                    self.err(K::CannotEdit {
                        path: kp.clone(),
                        why,
                    })
                })?,
            );
            let mut leaf = Scalar::new(Value::Str(enc.clone()), Span::default());
            leaf.mac_bytes = Some(mac_bytes);
            route::graft(
                &mut self.docs[self.doc].root,
                &route,
                &remaining,
                Node::Scalar(leaf),
                self.format,
            );
        } else {
            edits.push(
                splice::replacement(
                    self.format,
                    &self.src,
                    &self.docs[self.doc].root,
                    &route,
                    &enc,
                )
                .map_err(|why| {
                    self.err(K::CannotEdit {
                        path: kp.clone(),
                        why,
                    })
                })?,
            );
            if let NodeMut::Node(Node::Scalar(s)) =
                node_at_mut(&mut self.docs[self.doc].root, &route)
            {
                s.value = Value::Str(enc);
                s.mac_bytes = Some(mac_bytes);
            } else {
                return Err(self.err(K::NotAValue {
                    path: kp.clone(),
                    found: "a map or a list",
                }));
            }
        }
        let text = self.with_new_mac(edits, now).map_err(|why| {
            self.err(K::CannotEdit {
                path: kp.clone(),
                why,
            })
        })?;
        Ok(SetResult {
            text: Some(text),
            added,
            at,
        })
    }

    /// The comment stack sops's walk would hold at the end of `route` (and, for an insertion of
    /// `new_levels` keys, inside the new maps).
    fn comment_stack(&self, route: &[Hop], new_levels: Option<usize>) -> Vec<Vec<String>> {
        if !self.metadata.selection.uses_comments() {
            return Vec::new();
        }
        let is_meta = self.format.metadata_test();
        let mut stack = Vec::new();
        let mut cur = NodeRef::Map(&self.docs[self.doc].root);
        for hop in route {
            let texts =
                |before: Vec<&str>| before.into_iter().map(str::to_owned).collect::<Vec<_>>();
            match cur {
                NodeRef::Map(m) | NodeRef::Node(Node::Map(m)) => {
                    stack.push(texts(comments_before_map(&m.items[..hop.0])));
                    let MapItem::Entry(e) = &m.items[hop.0] else {
                        break;
                    };
                    cur = NodeRef::Node(&e.value);
                }
                NodeRef::Node(Node::Seq(s)) => {
                    stack.push(texts(comments_before_seq(&s.items[..hop.0])));
                    let SeqItem::Node(n) = &s.items[hop.0] else {
                        break;
                    };
                    cur = NodeRef::Node(n);
                }
                NodeRef::Node(Node::Scalar(_)) => break,
            }
        }
        if let Some(levels) = new_levels {
            // The level that grows sees the comments after its last element (sops appends
            // after them); a null that becomes a map or a list starts an empty level.
            let own = match cur {
                NodeRef::Map(m) | NodeRef::Node(Node::Map(m)) => {
                    let end = m
                        .items
                        .iter()
                        .position(
                            |i| matches!(i, MapItem::Entry(e) if route.is_empty() && is_meta(&e.key)),
                        )
                        .unwrap_or(m.items.len());
                    comments_before_map(&m.items[..end])
                }
                NodeRef::Node(Node::Seq(s)) => comments_before_seq(&s.items),
                NodeRef::Node(Node::Scalar(_)) => Vec::new(),
            };
            stack.push(own.into_iter().map(str::to_owned).collect());
            stack.extend(std::iter::repeat_n(Vec::new(), levels.saturating_sub(1)));
        }
        stack
    }
}

fn comments_before_map(items: &[MapItem]) -> Vec<&str> {
    let start = items
        .iter()
        .rposition(|i| matches!(i, MapItem::Entry(_)))
        .map_or(0, |p| p + 1);
    items[start..]
        .iter()
        .filter_map(|i| match i {
            MapItem::Comment(c) => Some(c.text.as_str()),
            MapItem::Entry(_) => None,
        })
        .collect()
}

fn comments_before_seq(items: &[SeqItem]) -> Vec<&str> {
    let start = items
        .iter()
        .rposition(|i| matches!(i, SeqItem::Node(_)))
        .map_or(0, |p| p + 1);
    items[start..]
        .iter()
        .filter_map(|i| match i {
            SeqItem::Comment(c) => Some(c.text.as_str()),
            SeqItem::Node(_) => None,
        })
        .collect()
}

fn read_metadata(format: Format, doc: &Document) -> Result<Metadata, MetadataError> {
    match format {
        Format::Dotenv => {
            let meta = super::dotenv::unflatten_metadata(&doc.root);
            if meta.items.is_empty() {
                return Err(MetadataError::Missing);
            }
            Metadata::from_map(&meta)
        }
        Format::Yaml | Format::Json => match doc.root.get("sops").map(|e| &e.value) {
            Some(Node::Map(m)) => Metadata::from_map(m),
            Some(_) => Err(MetadataError::Malformed("sops")),
            None => Err(MetadataError::Missing),
        },
    }
}

impl SopsFile {
    /// The file's text after `edits` (to the already-changed tree), with a new `lastmodified`
    /// and the MAC of every document: the last step of each change (`set`, `unset`).
    pub(super) fn with_new_mac(
        &self,
        mut edits: Vec<splice::Edit>,
        now: GoTime,
    ) -> Result<String, &'static str> {
        let mac = walk::remac(
            &self.docs,
            &self.metadata.selection,
            self.format.metadata_test(),
        );
        let lastmodified = now.format_rfc3339();
        let mac_enc = cipher::encrypt(&Value::Str(mac.to_string()), &self.key, &lastmodified);
        edits.extend(splice::metadata_edits(
            self.format,
            &self.src,
            &self.docs,
            &lastmodified,
            &mac_enc,
            !self.metadata.rule_written,
        ));
        splice::apply(&self.src, edits)
    }
}
