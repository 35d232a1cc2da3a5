//! Attaching YAML comments to the tree, where go-yaml v3 (and so sops) would put them.
//!
//! A comment between two entries goes before the next entry. A comment after the last entry of
//! a nested block collection belongs to that collection if it is indented at least as deep as the
//! collection's items (yaml.v3's foot comments), otherwise to the enclosing level. A comment on
//! the same line as a scalar value is that value's line comment, which sops places before the
//! entry. After placing comments, every map learns where a new last entry would go.

use std::collections::BTreeMap;

use super::append::set_append_positions;
use super::owner::{after_dash, belongs_inside, same_line};
use super::positions::{column, find_comments, node_start};
use crate::sops::tree::{Comment, Document, Map, MapItem, Node, Seq, SeqItem, Span};

/// Finds the comments of `src` outside the `covered` token ranges and attaches them.
pub(super) fn attach(src: &str, docs: &mut [Document], covered: &[Span], doc_starts: &[usize]) {
    // Documents are independent: each one's comments (in text order) are placed in one pass.
    let mut per_doc: Vec<Vec<Comment>> = docs.iter().map(|_| Vec::new()).collect();
    for comment in find_comments(src, covered) {
        let doc = doc_starts
            .iter()
            .rposition(|&s| s <= comment.span.start)
            .unwrap_or(0);
        if let Some(list) = per_doc.get_mut(doc) {
            list.push(comment);
        }
    }
    for (doc, comments) in docs.iter_mut().zip(per_doc) {
        if !comments.is_empty() {
            place_in_map(src, &mut doc.root, comments);
        }
    }
    for doc in docs.iter_mut() {
        set_append_positions(src, &mut doc.root);
    }
}

/// Where one comment goes in a collection.
enum Spot {
    /// Into the value of item `i` (a nested map or list that it belongs to).
    Inside(usize),
    /// Just before item `i` (`i` = the number of items: at the end).
    Before(usize),
}

/// The positions of a collection's entries (or list elements), for finding where a comment falls
/// among them.
struct Keys {
    /// (item index, start) of each entry, in item order.
    starts: Vec<(usize, usize)>,
    /// Whether the starts ascend, as they do in a parsed collection (if not, each search is a
    /// scan, which finds the same entries).
    sorted: bool,
    len: usize,
}

impl Keys {
    fn new(len: usize, starts: Vec<(usize, usize)>) -> Self {
        let sorted = starts.windows(2).all(|w| w[0].1 <= w[1].1);
        Self {
            starts,
            sorted,
            len,
        }
    }

    /// The first entry that starts after `pos` (`next`, the number of items if none) and the
    /// last entry before that one (`prev`), as item indices.
    fn around(&self, pos: usize) -> (usize, Option<usize>) {
        let k = if self.sorted {
            self.starts.partition_point(|&(_, s)| s <= pos)
        } else {
            self.starts
                .iter()
                .position(|&(_, s)| s > pos)
                .unwrap_or(self.starts.len())
        };
        let next = self.starts.get(k).map_or(self.len, |&(i, _)| i);
        let prev = k.checked_sub(1).map(|k| self.starts[k].0);
        (next, prev)
    }
}

/// The spot of a comment at `pos`, given the item index of the next entry and the index and
/// value of the previous one.
fn spot(src: &str, pos: usize, next: usize, prev: Option<(usize, &Node)>) -> Spot {
    if let Some((p, value)) = prev {
        if matches!(value, Node::Map(_) | Node::Seq(_))
            && belongs_inside(src, value, pos, column(src, pos))
        {
            return Spot::Inside(p);
        }
        if let Node::Scalar(s) = value
            && same_line(src, s.span.end, pos)
        {
            return Spot::Before(p);
        }
    }
    Spot::Before(next)
}

/// Places `comments` (in text order) in a collection's `items` and, through `descend`, in the
/// nested collections they belong to.
///
/// A comment's spot depends only on the entries and on their values' extents, never on the
/// comments placed before it, so every spot is found against the collection as parsed (a binary
/// search) and the items are rebuilt once; comments before the same item keep their text order.
/// (Placing them one at a time, each with a scan and a `Vec::insert`, was quadratic: a
/// 10,000-key file with a comment per key spent most of its opening time here.)
fn place<T>(
    items: &mut Vec<T>,
    comments: Vec<Comment>,
    spots: impl Fn(&[T], &Comment) -> Spot,
    wrap: fn(Comment) -> T,
    mut descend: impl FnMut(&mut T, Vec<Comment>),
) {
    let mut before: Vec<(usize, Comment)> = Vec::new();
    let mut inside: BTreeMap<usize, Vec<Comment>> = BTreeMap::new();
    for comment in comments {
        match spots(items, &comment) {
            Spot::Inside(i) => inside.entry(i).or_default().push(comment),
            Spot::Before(i) => before.push((i, comment)),
        }
    }
    // Stable: comments for the same spot stay in text order.
    before.sort_by_key(|&(i, _)| i);
    let mut before = before.into_iter().peekable();
    let old = std::mem::take(items);
    items.reserve(old.len() + before.len());
    for (i, mut item) in old.into_iter().enumerate() {
        while let Some((_, c)) = before.next_if(|&(at, _)| at == i) {
            items.push(wrap(c));
        }
        if let Some(nested) = inside.remove(&i) {
            descend(&mut item, nested);
        }
        items.push(item);
    }
    items.extend(before.map(|(_, c)| wrap(c)));
}

fn place_in_map(src: &str, map: &mut Map, comments: Vec<Comment>) {
    let keys = Keys::new(
        map.items.len(),
        map.items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| match item {
                MapItem::Entry(e) => Some((i, e.key_span.start)),
                MapItem::Comment(_) => None,
            })
            .collect(),
    );
    place(
        &mut map.items,
        comments,
        |items, comment| {
            let pos = comment.span.start;
            let (next, prev) = keys.around(pos);
            let prev = prev.and_then(|p| match &items[p] {
                MapItem::Entry(e) => Some((p, &e.value)),
                MapItem::Comment(_) => None,
            });
            spot(src, pos, next, prev)
        },
        MapItem::Comment,
        |item, nested| {
            if let MapItem::Entry(e) = item {
                place_in_node(src, &mut e.value, nested);
            }
        },
    );
}

fn place_in_seq(src: &str, seq: &mut Seq, comments: Vec<Comment>) {
    let dash_heads: Vec<usize> = comments
        .iter()
        .map(|c| c.span.start)
        .filter(|&pos| after_dash(src, pos, seq))
        .collect();
    let keys = Keys::new(
        seq.items.len(),
        seq.items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| match item {
                SeqItem::Node(n) => Some((i, node_start(n))),
                SeqItem::Comment(_) => None,
            })
            .collect(),
    );
    place(
        &mut seq.items,
        comments,
        |items, comment| {
            let pos = comment.span.start;
            let (next, prev) = keys.around(pos);
            if dash_heads.contains(&pos)
                && let Some(SeqItem::Node(Node::Map(_) | Node::Seq(_))) = items.get(next)
            {
                return Spot::Inside(next);
            }
            let prev = prev.and_then(|p| match &items[p] {
                SeqItem::Node(n) => Some((p, n)),
                SeqItem::Comment(_) => None,
            });
            spot(src, pos, next, prev)
        },
        SeqItem::Comment,
        |item, nested| {
            if let SeqItem::Node(n) = item {
                place_in_node(src, n, nested);
            }
        },
    );
}

fn place_in_node(src: &str, node: &mut Node, comments: Vec<Comment>) {
    match node {
        Node::Map(m) => place_in_map(src, m, comments),
        Node::Seq(s) => place_in_seq(src, s, comments),
        Node::Scalar(_) => unreachable!("comments go inside maps and lists only"),
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

    /// The comment pass before it placed comments in one pass per collection: the reference the
    /// current one must agree with.
    mod reference {
        use crate::sops::tree::{Comment, Document, Map, MapItem, Node, Seq, SeqItem, Span};
        use crate::sops::yaml::append::set_append_positions;
        use crate::sops::yaml::owner::{after_dash, belongs_inside, same_line};
        use crate::sops::yaml::positions::{column, find_comments, node_start};

        /// The comment pass as it was: one comment at a time, each with a scan and an insertion.
        pub(super) fn attach(
            src: &str,
            docs: &mut [Document],
            covered: &[Span],
            doc_starts: &[usize],
        ) {
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
            if after_dash(src, pos, seq) {
                match seq.items.get_mut(next) {
                    Some(SeqItem::Node(Node::Map(inner))) => {
                        return place_in_map(src, inner, comment);
                    }
                    Some(SeqItem::Node(Node::Seq(inner))) => {
                        return place_in_seq(src, inner, comment);
                    }
                    _ => {}
                }
            }
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
    }

    /// Every YAML fixture, and generated texts (nested maps and lists, flow collections, line
    /// comments, comments at every indentation, between list items, after nested blocks, in
    /// several documents), get exactly the same tree from both passes.
    #[test]
    fn one_pass_placement_matches_the_reference() {
        use crate::sops::yaml::parse::parse_with;

        let mut texts = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures"
        ))];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    texts.push(std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        assert!(texts.len() > 20, "fixtures found: {}", texts.len());

        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..3000 {
            let mut out = String::new();
            for doc in 0..1 + next(2) {
                if doc > 0 {
                    out.push_str("---\n");
                }
                generate_map(&mut out, 0, 3, &mut next);
                comments(&mut out, 0, &mut next);
            }
            texts.push(out);
        }

        let mut parsed = 0;
        for text in &texts {
            let new = parse_with(text, super::attach);
            let old = parse_with(text, reference::attach);
            assert_eq!(format!("{new:?}"), format!("{old:?}"), "{text}");
            parsed += usize::from(new.is_ok());
        }
        assert!(
            parsed > 2500,
            "most texts parse ({parsed} of {})",
            texts.len()
        );
    }

    fn comments(out: &mut String, indent: usize, next: &mut impl FnMut(usize) -> usize) {
        for _ in 0..next(3) {
            let at = (indent + 6).saturating_sub(next(indent + 8));
            out.push_str(&" ".repeat(at));
            out.push_str("# c\n");
        }
    }

    fn scalar(out: &mut String, next: &mut impl FnMut(usize) -> usize) {
        out.push_str(["v", "'q'", "\"d\"", "1", "{a: 1}", "[1, 2]", ""][next(7)]);
        if next(3) == 0 {
            out.push_str(" # line");
        }
        out.push('\n');
    }

    fn generate_map(
        out: &mut String,
        indent: usize,
        depth: usize,
        next: &mut impl FnMut(usize) -> usize,
    ) {
        for k in 0..1 + next(4) {
            comments(out, indent, next);
            out.push_str(&" ".repeat(indent));
            out.push_str(&format!("k{k}:"));
            match if depth == 0 { 0 } else { next(4) } {
                1 => {
                    out.push('\n');
                    generate_map(out, indent + 2 + 2 * next(2), depth - 1, next);
                }
                2 => {
                    out.push('\n');
                    let dash = indent + 2 * next(2);
                    for _ in 0..1 + next(3) {
                        comments(out, dash, next);
                        out.push_str(&" ".repeat(dash));
                        out.push_str("- ");
                        if next(3) == 0 {
                            out.push_str("x: 1\n");
                            out.push_str(&" ".repeat(dash + 2));
                            out.push_str("y: 2\n");
                        } else {
                            scalar(out, next);
                        }
                    }
                }
                _ => {
                    out.push(' ');
                    scalar(out, next);
                }
            }
        }
    }
}
