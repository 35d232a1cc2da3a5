//! Following a key path through the tree, as sops's `Truncate` and `Set` follow it.
//!
//! List positions count every element of sops's list, the comments yaml.v3 attaches to the
//! items included, so `["list"][2]` names the same element for cfsecret and for sops. A path
//! that goes on past what exists ends at the node sops would grow: a map that lacks the key, a
//! list the position is at or past the end of (sops appends), or a null (sops puts a map or a
//! list there).

use super::format::Format;
use super::keypath::{KeyPath, Step};
use super::tree::{Entry, Map, MapItem, Node, Scalar, Seq, SeqItem, Span};
use super::value::Value;

/// One hop of a route through the tree: an index into a map's or a list's items.
#[derive(Clone, Copy, Debug)]
pub(super) struct Hop(pub usize);

/// Where a key path leads.
pub(super) enum Located {
    /// To an existing node.
    Found(Vec<Hop>),
    /// To the node that must grow: a map (the next step is a key it lacks), a list (a position
    /// at or past its end) or a null (any step).
    Missing {
        route: Vec<Hop>,
        remaining: Vec<Step>,
    },
}

/// What a list position holding a comment is, for messages.
pub(super) const COMMENT_ELEMENT: &str =
    "a comment (sops counts the comments in a list as its elements)";

/// Whether a leaf is an encrypted comment (`- ENC[…,type:comment]`, how sops writes a comment
/// inside a list): it is not a value, and cannot be overwritten with one.
pub(super) fn is_comment_leaf(s: &Scalar) -> bool {
    matches!(&s.value, Value::Str(t) if t.starts_with("ENC[") && t.ends_with(",type:comment]"))
}

/// A borrowed node, or the root map (which is not a `Node`).
pub(super) enum NodeRef<'a> {
    Map(&'a Map),
    Node(&'a Node),
}

pub(super) enum NodeMut<'a> {
    Map(&'a mut Map),
    Node(&'a mut Node),
}

/// Follows a key path. `Err` says how many steps were followed and what stood in the way (a
/// value or list where a map was needed, a comment, or the other way round).
pub(super) fn locate(
    root: &Map,
    kp: &KeyPath,
    format: Format,
) -> Result<Located, (usize, &'static str)> {
    let is_meta = format.metadata_test();
    let mut route = Vec::new();
    let mut cur = NodeRef::Map(root);
    let missing = |route: Vec<Hop>, i: usize| {
        Ok(Located::Missing {
            route,
            remaining: kp.steps()[i..].to_vec(),
        })
    };
    for (i, step) in kp.steps().iter().enumerate() {
        match (cur, step) {
            (NodeRef::Map(m) | NodeRef::Node(Node::Map(m)), Step::Key(k)) => {
                let found = m.items.iter().position(|item| {
                    matches!(item, MapItem::Entry(e) if e.key == *k && !(route.is_empty() && is_meta(&e.key)))
                });
                let Some(idx) = found else {
                    return missing(route, i);
                };
                route.push(Hop(idx));
                let MapItem::Entry(e) = &m.items[idx] else {
                    unreachable!()
                };
                cur = NodeRef::Node(&e.value);
            }
            (NodeRef::Node(Node::Seq(s)), Step::Index(n)) => {
                // sops counts the comments yaml.v3 attaches to a list's items (head, line and
                // foot comments) as elements of the list, and so does its index syntax.
                match s.items.get(*n) {
                    None => return missing(route, i),
                    Some(SeqItem::Comment(_)) => return Err((i + 1, COMMENT_ELEMENT)),
                    Some(SeqItem::Node(node)) => {
                        route.push(Hop(*n));
                        cur = NodeRef::Node(node);
                    }
                }
            }
            (NodeRef::Node(Node::Scalar(s)), _) if s.value == Value::Null && !s.from_alias => {
                return missing(route, i);
            }
            (NodeRef::Map(_) | NodeRef::Node(Node::Map(_)), Step::Index(_)) => {
                return Err((i, "a map, not a list"));
            }
            (NodeRef::Node(Node::Seq(_)), Step::Key(_)) => return Err((i, "a list, not a map")),
            (NodeRef::Node(Node::Scalar(_)), _) => {
                return Err((i, "a single value, with no keys below it"));
            }
        }
    }
    Ok(Located::Found(route))
}

pub(super) fn node_at<'a>(root: &'a Map, route: &[Hop]) -> NodeRef<'a> {
    let mut cur = NodeRef::Map(root);
    for hop in route {
        cur = match cur {
            NodeRef::Map(m) | NodeRef::Node(Node::Map(m)) => match &m.items[hop.0] {
                MapItem::Entry(e) => NodeRef::Node(&e.value),
                MapItem::Comment(_) => unreachable!("routes point at entries"),
            },
            NodeRef::Node(Node::Seq(s)) => match &s.items[hop.0] {
                SeqItem::Node(n) => NodeRef::Node(n),
                SeqItem::Comment(_) => unreachable!("routes point at nodes"),
            },
            NodeRef::Node(Node::Scalar(_)) => unreachable!("routes end at scalars"),
        };
    }
    cur
}

pub(super) fn node_at_mut<'a>(root: &'a mut Map, route: &[Hop]) -> NodeMut<'a> {
    let mut cur = NodeMut::Map(root);
    for hop in route {
        cur = match cur {
            NodeMut::Map(m) | NodeMut::Node(Node::Map(m)) => match &mut m.items[hop.0] {
                MapItem::Entry(e) => NodeMut::Node(&mut e.value),
                MapItem::Comment(_) => unreachable!("routes point at entries"),
            },
            NodeMut::Node(Node::Seq(s)) => match &mut s.items[hop.0] {
                SeqItem::Node(n) => NodeMut::Node(n),
                SeqItem::Comment(_) => unreachable!("routes point at nodes"),
            },
            NodeMut::Node(Node::Scalar(_)) => unreachable!("routes end at scalars"),
        };
    }
    cur
}

/// Where a set along `kp` puts its value, given what [`locate`] found (`route` followed,
/// `remaining` to grow): positions past a list's end become its length (sops appends), and
/// positions in lists that are made new become 0.
pub(super) fn landed(root: &Map, kp: &KeyPath, route: &[Hop], remaining: &[Step]) -> KeyPath {
    let followed = kp.steps().len() - remaining.len();
    let mut steps = kp.steps()[..followed].to_vec();
    for (i, step) in remaining.iter().enumerate() {
        steps.push(match step {
            Step::Key(k) => Step::Key(k.clone()),
            Step::Index(_) if i == 0 => match node_at(root, route) {
                NodeRef::Node(Node::Seq(s)) => Step::Index(s.items.len()),
                _ => Step::Index(0),
            },
            Step::Index(_) => Step::Index(0),
        });
    }
    KeyPath::from_steps(steps)
}

/// The tree node the remaining steps make around `leaf`: a map per key, a one-element list per
/// position (sops appends whatever the position).
pub(super) fn grown(steps: &[Step], leaf: Node) -> Node {
    steps.iter().rev().fold(leaf, |node, step| match step {
        Step::Key(k) => Node::Map(Map {
            items: vec![MapItem::Entry(Entry {
                key: k.clone(),
                key_span: Span::default(),
                value: node,
            })],
            ..Map::default()
        }),
        Step::Index(_) => Node::Seq(Seq {
            items: vec![SeqItem::Node(node)],
            ..Seq::default()
        }),
    })
}

/// Adds the new node (made of `remaining` around `leaf`) to the tree where the splice puts it
/// in the text, so the MAC, which walks the file as written, sees it in the same place.
pub(super) fn graft(root: &mut Map, route: &[Hop], remaining: &[Step], leaf: Node, format: Format) {
    let at_root = route.is_empty();
    match node_at_mut(root, route) {
        NodeMut::Map(m) | NodeMut::Node(Node::Map(m)) => {
            let Some(Step::Key(key)) = remaining.first() else {
                unreachable!("locate grows a map by a key")
            };
            let entry = MapItem::Entry(Entry {
                key: key.clone(),
                key_span: Span::default(),
                value: grown(&remaining[1..], leaf),
            });
            // A new top-level key goes just before the `sops` entry, which need not be last.
            let at = (at_root && format != Format::Dotenv)
                .then(|| {
                    m.items
                        .iter()
                        .position(|i| matches!(i, MapItem::Entry(e) if e.key == "sops"))
                })
                .flatten();
            match at {
                Some(at) => m.items.insert(at, entry),
                None => m.items.push(entry),
            }
        }
        NodeMut::Node(Node::Seq(s)) => {
            s.items.push(SeqItem::Node(grown(&remaining[1..], leaf)));
        }
        NodeMut::Node(node) => *node = grown(remaining, leaf),
    }
}
