//! Where a new last entry of each map, or a new last item of each block list, would go: after
//! everything that belongs to it, trailing comments of nested collections included, so a set
//! that grows a collection writes where sops would and never inside a neighbour's comments.

use super::owner::seq_indent;
use crate::sops::tree::{Map, MapItem, Node, SeqItem};

/// The end of everything that belongs to a node, trailing comments of nested collections
/// included.
fn full_end(node: &Node) -> usize {
    match node {
        Node::Scalar(s) => s.span.end,
        Node::Map(m) => match m.items.last() {
            _ if m.flow => m.span.end,
            Some(MapItem::Comment(c)) => c.span.end,
            Some(MapItem::Entry(e)) => full_end(&e.value).max(e.key_span.end),
            None => m.span.end,
        },
        Node::Seq(s) => match s.items.last() {
            _ if s.flow => s.span.end,
            Some(SeqItem::Comment(c)) => c.span.end,
            Some(SeqItem::Node(n)) => full_end(n),
            None => s.span.end,
        },
    }
}

/// The start of the line after `pos` (or the end of the text).
pub(super) fn next_line(src: &str, pos: usize) -> usize {
    src[pos..].find('\n').map_or(src.len(), |i| pos + i + 1)
}

pub(super) fn set_append_positions(src: &str, map: &mut Map) {
    for item in &mut map.items {
        if let MapItem::Entry(e) = item {
            set_in_node(src, &mut e.value);
        }
    }
    map.append_at = if map.flow {
        // before the closing brace
        map.span.end.saturating_sub(1)
    } else {
        let end = match map.items.last() {
            Some(MapItem::Comment(c)) => c.span.end,
            Some(MapItem::Entry(e)) => full_end(&e.value).max(e.key_span.end),
            None => map.span.end,
        };
        next_line(src, end)
    };
}

fn set_in_node(src: &str, node: &mut Node) {
    match node {
        Node::Map(m) => set_append_positions(src, m),
        Node::Seq(s) => {
            for item in &mut s.items {
                if let SeqItem::Node(n) = item {
                    set_in_node(src, n);
                }
            }
            if !s.flow && s.items.iter().any(|i| matches!(i, SeqItem::Node(_))) {
                s.dash = Some(seq_indent(src, s));
                let end = full_end(node);
                if let Node::Seq(s) = node {
                    s.append_at = next_line(src, end);
                }
            }
        }
        Node::Scalar(_) => {}
    }
}
