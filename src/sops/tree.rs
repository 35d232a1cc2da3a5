//! The format-neutral tree every store parses into, with byte positions.
//!
//! It mirrors sops's own model (ordered maps whose items may be comments, lists, typed leaves) so
//! the MAC walk, the selection rules and the additional data come out exactly as in sops. Unlike
//! sops, every node remembers where it came from in the source text: a `set` replaces one value's
//! bytes and leaves every other byte of the file alone.

use zeroize::Zeroizing;

use super::value::Value;

/// A byte range of the source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span {
    /// First byte.
    pub(crate) start: usize,
    /// One past the last byte.
    pub(crate) end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub(crate) fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }
}

/// One document of a file (YAML files may hold several; the other formats hold one).
#[derive(Debug)]
pub(crate) struct Document {
    /// The top-level mapping, `sops` metadata entry included.
    pub(crate) root: Map,
}

/// A mapping. Items are in file order; comments are items, as in sops.
#[derive(Debug, Default)]
pub(crate) struct Map {
    /// Entries and comments in file order.
    pub(crate) items: Vec<MapItem>,
    /// Where the mapping stands in the source (for a block mapping, from its first key).
    pub(crate) span: Span,
    /// Written in flow style (`{a: 1}`), or a JSON object.
    pub(crate) flow: bool,
    /// The column of the keys (block YAML) or the indentation of the members (JSON), used to
    /// place a new entry. `None` when the map is empty or the format has no indentation.
    pub(crate) indent: Option<usize>,
    /// Where a new last entry goes: just after the last entry and the comments that belong to
    /// the end of this map.
    pub(crate) append_at: usize,
}

/// An item of a mapping.
#[derive(Debug)]
pub(crate) enum MapItem {
    /// A comment line between entries.
    Comment(Comment),
    /// A key and its value.
    Entry(Entry),
}

/// A key with its value.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The key as a string (sops only allows string keys).
    pub(crate) key: String,
    /// Where the key stands.
    pub(crate) key_span: Span,
    /// The value.
    pub(crate) value: Node,
}

/// A comment: the text after `#`, leading space included, as sops keeps it.
#[derive(Debug, Clone)]
pub(crate) struct Comment {
    /// The text after `#`.
    pub(crate) text: String,
    /// Where the comment stands (from `#` to the end of the line).
    pub(crate) span: Span,
}

/// A sequence.
#[derive(Debug, Default)]
pub(crate) struct Seq {
    /// Elements and comments in file order.
    pub(crate) items: Vec<SeqItem>,
    /// Where the sequence stands.
    pub(crate) span: Span,
    /// Written in flow style, or a JSON array.
    pub(crate) flow: bool,
    /// The column of the dashes of a block sequence with elements (to line up a new one).
    pub(crate) dash: Option<usize>,
    /// Where a new last element of a block sequence goes: after the last element and the
    /// comments that end the sequence.
    pub(crate) append_at: usize,
}

/// An element of a sequence.
#[derive(Debug)]
pub(crate) enum SeqItem {
    /// A comment line between elements.
    Comment(Comment),
    /// A value.
    Node(Node),
}

/// Any value.
#[derive(Debug)]
pub(crate) enum Node {
    /// A mapping.
    Map(Map),
    /// A sequence.
    Seq(Seq),
    /// A leaf.
    Scalar(Scalar),
}

/// A leaf as it stands in the file: for an encrypted value, the `ENC[...]` string.
#[derive(Debug)]
pub(crate) struct Scalar {
    /// The typed value as written (ciphertext strings for encrypted leaves).
    pub(crate) value: Value,
    /// Where the value's text stands; empty for an implicit null (`key:` with nothing after).
    pub(crate) span: Span,
    /// Whether this node is a copy made by expanding a YAML alias: it cannot be edited in place.
    pub(crate) from_alias: bool,
    /// Filled by the decrypting walk: the bytes this leaf contributes to the MAC (its canonical
    /// plaintext), or `None` for nulls and comments. Cached so a `set` can recompute the MAC
    /// without decrypting the file twice; zeroized on drop.
    pub(crate) mac_bytes: Option<Zeroizing<Vec<u8>>>,
}

impl Scalar {
    /// A leaf read from the source.
    pub(crate) fn new(value: Value, span: Span) -> Self {
        Self {
            value,
            span,
            from_alias: false,
            mac_bytes: None,
        }
    }
}

impl Map {
    /// The entry with this key, if any.
    pub(crate) fn get(&self, key: &str) -> Option<&Entry> {
        self.entries().find(|e| e.key == key)
    }

    /// The entry with this key, mutably.
    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut Entry> {
        self.items.iter_mut().find_map(|item| match item {
            MapItem::Entry(e) if e.key == key => Some(e),
            _ => None,
        })
    }

    /// A value under `key` as text (what metadata and `.sops.yaml` fields hold): strings as they
    /// are, numbers and bools in their canonical form; `None` for null, a map or a list.
    pub(crate) fn text(&self, key: &str) -> Option<String> {
        match &self.get(key)?.value {
            Node::Scalar(s) => match &s.value {
                Value::Null => None,
                Value::Str(v) => Some(v.clone()),
                other => Some(String::from_utf8_lossy(&other.to_bytes()).into_owned()),
            },
            _ => None,
        }
    }

    /// The maps in the list under `key` (key entries, creation rules); empty when there is none.
    pub(crate) fn maps_in(&self, key: &str) -> Vec<&Map> {
        match self.get(key).map(|e| &e.value) {
            Some(Node::Seq(s)) => s
                .items
                .iter()
                .filter_map(|i| match i {
                    SeqItem::Node(Node::Map(m)) => Some(m),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The entries, comments skipped.
    pub(crate) fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.items.iter().filter_map(|item| match item {
            MapItem::Entry(e) => Some(e),
            MapItem::Comment(_) => None,
        })
    }
}

impl Node {
    /// A short name of the node's kind, for messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Node::Map(_) => "a map",
            Node::Seq(_) => "a list",
            Node::Scalar(_) => "a value",
        }
    }
}
