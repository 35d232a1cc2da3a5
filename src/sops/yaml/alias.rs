//! Expanding YAML aliases, as sops (yaml.v3) expands them: a copy of the anchored node that
//! stands where the alias stands, cannot be edited in place, and whose cost counts against the
//! parser's alias budget (a few hundred bytes of aliases must not exhaust memory).

use crate::sops::tree::{Entry, Map, MapItem, Node, Scalar, Seq, SeqItem, Span};
use crate::sops::value::Value;

/// The cost of copying `node`: one per node, plus string bytes / 64.
pub(super) fn weight(node: &Node) -> usize {
    match node {
        Node::Scalar(s) => match &s.value {
            Value::Str(v) => 1 + v.len() / 64,
            _ => 1,
        },
        Node::Map(m) => m.entries().fold(1, |acc, e| {
            acc.saturating_add(1 + e.key.len() / 64)
                .saturating_add(weight(&e.value))
        }),
        Node::Seq(s) => s.items.iter().fold(1, |acc, i| match i {
            SeqItem::Node(n) => acc.saturating_add(weight(n)),
            SeqItem::Comment(_) => acc.saturating_add(1),
        }),
    }
}

pub(super) fn clone_node(node: &Node) -> Node {
    match node {
        Node::Scalar(s) => Node::Scalar(Scalar {
            value: s.value.clone(),
            span: s.span,
            from_alias: s.from_alias,
            mac_bytes: None,
        }),
        Node::Map(m) => Node::Map(Map {
            items: m
                .items
                .iter()
                .map(|i| match i {
                    MapItem::Comment(c) => MapItem::Comment(c.clone()),
                    MapItem::Entry(e) => MapItem::Entry(Entry {
                        key: e.key.clone(),
                        key_span: e.key_span,
                        value: clone_node(&e.value),
                    }),
                })
                .collect(),
            ..*m
        }),
        Node::Seq(s) => Node::Seq(Seq {
            items: s
                .items
                .iter()
                .map(|i| match i {
                    SeqItem::Comment(c) => SeqItem::Comment(c.clone()),
                    SeqItem::Node(n) => SeqItem::Node(clone_node(n)),
                })
                .collect(),
            ..*s
        }),
    }
}

/// An expanded alias is a copy: it stands where the alias stands and cannot be edited in place.
pub(super) fn mark_alias(node: &mut Node, span: Span) {
    match node {
        Node::Scalar(s) => {
            s.from_alias = true;
            s.span = span;
        }
        Node::Map(m) => {
            m.span = span;
            for item in &mut m.items {
                if let MapItem::Entry(e) = item {
                    mark_alias(&mut e.value, span);
                }
            }
        }
        Node::Seq(s) => {
            s.span = span;
            for item in &mut s.items {
                if let SeqItem::Node(n) = item {
                    mark_alias(n, span);
                }
            }
        }
    }
}
