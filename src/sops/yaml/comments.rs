//! Attaching YAML comments to the tree, where go-yaml v3 (and so sops) would put them.
//!
//! A comment between two entries goes before the next entry. A comment after the last entry of
//! a nested block collection belongs to that collection if it is indented at least as deep as the
//! collection's items (yaml.v3's foot comments), otherwise to the enclosing level. A comment on
//! the same line as a scalar value is that value's line comment, which sops places before the
//! entry. After placing comments, every map learns where a new last entry would go.

use super::parse::{column, find_comments, node_end, node_start};
use crate::sops::tree::{Comment, Document, Map, MapItem, Node, Seq, SeqItem, Span};

/// Finds the comments of `src` outside the `covered` token ranges and attaches them.
pub(super) fn attach(src: &str, docs: &mut [Document], covered: &[Span], doc_starts: &[usize]) {
    for comment in find_comments(src, covered) {
        let doc = doc_starts
            .iter()
            .rposition(|&s| s <= comment.span.start)
            .unwrap_or(0);
        if let Some(doc) = docs.get_mut(doc) {
            place_in_map(src, &mut doc.root, comment);
        }
    }
    for doc in docs {
        set_append_positions(src, &mut doc.root);
    }
}

fn same_line(src: &str, a: usize, b: usize) -> bool {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    !src[lo..hi].contains('\n')
}

/// The column of a block sequence's dash.
fn seq_indent(src: &str, seq: &Seq) -> usize {
    let first = seq.items.iter().find_map(|i| match i {
        SeqItem::Node(n) => Some(node_start(n)),
        SeqItem::Comment(_) => None,
    });
    let Some(first) = first else {
        return column(src, seq.span.start);
    };
    let bytes = src.as_bytes();
    let mut i = first;
    while i > 0 && bytes[i - 1] == b' ' {
        i -= 1;
    }
    if i > 0 && bytes[i - 1] == b'-' {
        column(src, i - 1)
    } else {
        column(src, seq.span.start)
    }
}

/// Whether a comment at `pos`/`col` belongs inside `node`, the value just before it.
fn belongs_inside(src: &str, node: &Node, pos: usize, col: usize) -> bool {
    let inside = pos < node_end(node);
    match node {
        Node::Map(m) => inside || (!m.flow && m.indent.is_some_and(|ind| col >= ind)),
        Node::Seq(s) => {
            inside
                || (!s.flow
                    && s.items.iter().any(|i| matches!(i, SeqItem::Node(_)))
                    && col >= seq_indent(src, s))
        }
        Node::Scalar(_) => false,
    }
}

fn place_in_map(src: &str, map: &mut Map, comment: Comment) {
    let pos = comment.span.start;
    let col = column(src, pos);
    let next = map
        .items
        .iter()
        .position(|i| matches!(i, MapItem::Entry(e) if e.key_span.start > pos))
        .unwrap_or(map.items.len());
    let prev = map.items[..next]
        .iter()
        .rposition(|i| matches!(i, MapItem::Entry(_)));
    if let Some(p) = prev
        && let MapItem::Entry(entry) = &mut map.items[p]
    {
        if belongs_inside(src, &entry.value, pos, col) {
            match &mut entry.value {
                Node::Map(inner) => return place_in_map(src, inner, comment),
                Node::Seq(inner) => return place_in_seq(src, inner, comment),
                Node::Scalar(_) => {}
            }
        }
        if let Node::Scalar(s) = &entry.value
            && same_line(src, s.span.end, pos)
        {
            map.items.insert(p, MapItem::Comment(comment));
            return;
        }
    }
    map.items.insert(next, MapItem::Comment(comment));
}

fn place_in_seq(src: &str, seq: &mut Seq, comment: Comment) {
    let pos = comment.span.start;
    let col = column(src, pos);
    let next = seq
        .items
        .iter()
        .position(|i| matches!(i, SeqItem::Node(n) if node_start(n) > pos))
        .unwrap_or(seq.items.len());
    let prev = seq.items[..next]
        .iter()
        .rposition(|i| matches!(i, SeqItem::Node(_)));
    if let Some(p) = prev
        && let SeqItem::Node(node) = &mut seq.items[p]
    {
        if belongs_inside(src, node, pos, col) {
            match node {
                Node::Map(inner) => return place_in_map(src, inner, comment),
                Node::Seq(inner) => return place_in_seq(src, inner, comment),
                Node::Scalar(_) => {}
            }
        }
        if let Node::Scalar(s) = node
            && same_line(src, s.span.end, pos)
        {
            seq.items.insert(p, SeqItem::Comment(comment));
            return;
        }
    }
    seq.items.insert(next, SeqItem::Comment(comment));
}

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
fn next_line(src: &str, pos: usize) -> usize {
    src[pos..].find('\n').map_or(src.len(), |i| pos + i + 1)
}

fn set_append_positions(src: &str, map: &mut Map) {
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
        }
        Node::Scalar(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use crate::sops::tree::{MapItem, Node, SeqItem};
    use crate::sops::yaml::parse::parse;

    fn items(m: &crate::sops::tree::Map) -> Vec<String> {
        m.items
            .iter()
            .map(|i| match i {
                MapItem::Comment(c) => format!("#{}", c.text),
                MapItem::Entry(e) => e.key.clone(),
            })
            .collect()
    }

    #[test]
    fn comments_land_where_yaml_v3_puts_them() {
        let src = "# head\na: 1 # line\nb:\n    # inner head\n    c: 2\n    # inner foot\n# before d\nd:\n    - x\n    # in list\n    - y\ne: |\n  # not a comment\n  text\n# end\n";
        let docs = parse(src).unwrap();
        let root = &docs[0].root;
        assert_eq!(
            items(root),
            [
                "# head",
                "# line",
                "a",
                "b",
                "# before d",
                "d",
                "e",
                "# end"
            ]
        );
        let Node::Map(b) = &root.get("b").unwrap().value else {
            panic!()
        };
        assert_eq!(items(b), ["# inner head", "c", "# inner foot"]);
        let Node::Seq(d) = &root.get("d").unwrap().value else {
            panic!()
        };
        assert!(matches!(&d.items[1], SeqItem::Comment(c) if c.text == " in list"));
    }

    #[test]
    fn append_positions_follow_trailing_comments() {
        let src = "a:\n    x: 1\n    # foot of a\nb: 2\n";
        let docs = parse(src).unwrap();
        let Node::Map(a) = &docs[0].root.get("a").unwrap().value else {
            panic!()
        };
        assert_eq!(&src[a.append_at..], "b: 2\n");
        assert_eq!(docs[0].root.append_at, src.len());
    }
}
