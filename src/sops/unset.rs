//! `SopsFile::unset`: remove one key, as `sops unset FILE KEY` does (sops 3.9+): the entry's
//! line(s) go, `lastmodified` and `mac` are replaced, every other byte stays. After a `set`
//! that added a key, an `unset` of it is the same diff the other way.
//!
//! Only what can be removed exactly is: a key of a block map whose value is a single value
//! (the token) on lines of its own. A key in a flow map, a list element, or a map's only key
//! (sops would leave `{}` behind) is refused with a hint to use `sops unset`.

use super::SopsFile;
use crate::sops::error::{SopsError, SopsErrorKind as K};
use crate::sops::format::Format;
use crate::sops::gotime::GoTime;
use crate::sops::keypath::KeyPath;
use crate::sops::route::{Located, NodeMut, NodeRef, locate, node_at, node_at_mut};
use crate::sops::splice::Edit;
use crate::sops::tree::{Entry, Map, MapItem, Node, Span};

fn line_start(src: &str, pos: usize) -> usize {
    src[..pos].rfind('\n').map_or(0, |i| i + 1)
}

/// The position after the newline that ends the line holding `pos`.
fn after_line(src: &str, pos: usize) -> usize {
    src[pos..].find('\n').map_or(src.len(), |i| pos + i + 1)
}

fn entry(item: &MapItem) -> Option<&Entry> {
    match item {
        MapItem::Entry(e) => Some(e),
        MapItem::Comment(_) => None,
    }
}

fn node_end(n: &Node) -> usize {
    match n {
        Node::Scalar(s) => s.span.end,
        Node::Map(m) => m.span.end,
        Node::Seq(s) => s.span.end,
    }
}

/// Whether only blanks stand between the start of the line and `pos`.
fn starts_line(src: &str, pos: usize) -> bool {
    src[line_start(src, pos)..pos]
        .chars()
        .all(|c| c == ' ' || c == '\t')
}

/// The bytes that go with entry `idx` of `parent` (its value ends at `value_end`).
fn removal(
    format: Format,
    src: &str,
    parent: &Map,
    idx: usize,
    value_end: usize,
) -> Result<Span, &'static str> {
    let e = entry(&parent.items[idx]).ok_or("not a key")?;
    if !starts_line(src, e.key_span.start) {
        return Err("the key does not start its own line (e.g. the first key of a list item)");
    }
    let ls = line_start(src, e.key_span.start);
    match format {
        Format::Yaml | Format::Dotenv => Ok(Span::new(ls, after_line(src, value_end))),
        Format::Json => {
            // A member with one after it goes with its line up to the next member; the last
            // member takes the comma before it instead.
            if let Some(next) = parent.items[idx + 1..].iter().find_map(entry) {
                if !starts_line(src, next.key_span.start) {
                    return Err("the next key is not on a line of its own");
                }
                Ok(Span::new(ls, line_start(src, next.key_span.start)))
            } else {
                let prev = parent.items[..idx]
                    .iter()
                    .rev()
                    .find_map(entry)
                    .ok_or("it is the map's only key")?;
                Ok(Span::new(node_end(&prev.value), value_end))
            }
        }
    }
}

impl SopsFile {
    /// Removes the value at `kp`, returning the new file text; `None` when there is no such
    /// key. Nothing is written here.
    pub(crate) fn unset(mut self, kp: &KeyPath, now: GoTime) -> Result<Option<String>, SopsError> {
        self.check_path(kp)?;
        let route = match locate(&self.docs[self.doc].root, kp, self.format) {
            Ok(Located::Found(route)) => route,
            Ok(Located::Missing { .. }) => return Ok(None),
            Err(blocked) => return Err(self.blocked(kp, blocked)),
        };
        let cannot = |why: &'static str| K::CannotEdit {
            path: kp.clone(),
            why,
        };
        let Some((last, parent_route)) = route.split_last() else {
            return Err(self.err(cannot("the key names the whole file")));
        };
        let idx = last.0;
        let nested = !parent_route.is_empty();
        let span = {
            let parent = match node_at(&self.docs[self.doc].root, parent_route) {
                NodeRef::Map(m) | NodeRef::Node(Node::Map(m)) => m,
                NodeRef::Node(_) => {
                    return Err(self.err(cannot(
                        "only a key of a map can be removed, not a list element (use `sops unset`)",
                    )));
                }
            };
            if parent.flow && self.format == Format::Yaml {
                return Err(self.err(cannot(
                    "the key is in a flow map `{...}` (use `sops unset`)",
                )));
            }
            if nested && parent.entries().count() < 2 {
                return Err(self.err(cannot(
                    "it is its map's only key, and sops would leave an empty map (use `sops unset`)",
                )));
            }
            let Some(MapItem::Entry(e)) = parent.items.get(idx) else {
                return Err(self.err(cannot("not a key")));
            };
            let Node::Scalar(value) = &e.value else {
                return Err(self.err(cannot("it holds a map or a list, not a value")));
            };
            removal(self.format, &self.src, parent, idx, value.span.end)
                .map_err(|why| self.err(cannot(why)))?
        };
        if let NodeMut::Map(m) | NodeMut::Node(Node::Map(m)) =
            node_at_mut(&mut self.docs[self.doc].root, parent_route)
        {
            m.items.remove(idx);
        }
        let edits = vec![Edit {
            span,
            text: String::new(),
        }];
        self.with_new_mac(edits, now)
            .map(Some)
            .map_err(|why| self.err(cannot(why)))
    }
}
