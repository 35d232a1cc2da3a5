//! The dotenv store, line by line as sops 3.11 reads it.
//!
//! Lines split on `\n`; empty lines are skipped; a line starting with `#` is a comment; anything
//! else splits at the first `=`, key and value verbatim (no trimming, no quotes, no `export`
//! handling), with a literal `\n` in the value meaning a newline. Metadata is flattened into
//! `sops_*` lines (`sops_age__list_0__map_enc=…`), which [`unflatten_metadata`] turns back into
//! the same tree shape the YAML and JSON stores have.

use crate::sops::tree::{Comment, Document, Entry, Map, MapItem, Node, Scalar, Seq, SeqItem, Span};
use crate::sops::value::Value;

/// The prefix of metadata lines.
pub(crate) const SOPS_PREFIX: &str = "sops_";

/// A line that cannot be read: neither empty, a comment, nor `KEY=VALUE`, or CRLF-terminated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DotenvError {
    /// 1-based line number.
    pub(crate) line: usize,
    /// What is wrong with it.
    pub(crate) message: &'static str,
}

const NOT_KEY_VALUE: &str = "a line is neither a comment nor KEY=VALUE";
/// sops 3.11 keeps the `\r` in the value, so its own metadata no longer parses ("parsing time
/// ...: extra text"); saying why is better than a missing-field error.
const CRLF: &str = "the line ends with CR LF (Windows line endings), which sops cannot read either; convert the file to LF line endings (e.g. `dos2unix FILE`)";

const BAD_INDEX: &str = "a sops metadata line has a list index that is not a small number (sops writes one element per recipient or key group)";

/// Whether a `__list_N` in a metadata key is not a number up to [`MAX_LIST_INDEX`].
fn index_out_of_range(path: &str) -> bool {
    path.split("__list_").skip(1).any(|rest| {
        let digits = rest.split("__map_").next().unwrap_or(rest);
        !matches!(digits.parse::<usize>(), Ok(i) if i <= MAX_LIST_INDEX)
    })
}

/// The most elements a `__list_N` metadata index may address: sops writes one per recipient or
/// key group, and a huge index must not make the reader build a huge list.
const MAX_LIST_INDEX: usize = 4096;

/// Parses a dotenv text. Metadata lines stay in the root as ordinary entries.
pub(crate) fn parse(src: &str) -> Result<Document, DotenvError> {
    let mut root = Map::default();
    let mut pos = 0;
    let mut last_end = 0;
    for (n, line) in src.split('\n').enumerate() {
        let start = pos;
        pos += line.len() + 1;
        if line.is_empty() {
            continue;
        }
        let end = start + line.len();
        last_end = end;
        if let Some(text) = line.strip_prefix('#') {
            root.items.push(MapItem::Comment(Comment {
                text: text.to_owned(),
                span: Span::new(start, end),
            }));
            continue;
        }
        if line.ends_with('\r') {
            return Err(DotenvError {
                line: n + 1,
                message: CRLF,
            });
        }
        let eq = line.find('=').ok_or(DotenvError {
            line: n + 1,
            message: NOT_KEY_VALUE,
        })?;
        if line[..eq]
            .strip_prefix(SOPS_PREFIX)
            .is_some_and(index_out_of_range)
        {
            return Err(DotenvError {
                line: n + 1,
                message: BAD_INDEX,
            });
        }
        let value = line[eq + 1..].replace("\\n", "\n");
        root.items.push(MapItem::Entry(Entry {
            key: line[..eq].to_owned(),
            key_span: Span::new(start, start + eq),
            value: Node::Scalar(Scalar::new(
                Value::Str(value),
                Span::new(start + eq + 1, end),
            )),
        }));
    }
    root.span = Span::new(0, src.len());
    root.indent = Some(0);
    // New keys go after the last data line, before the sorted metadata lines.
    let last_data = root.items.iter().rev().find_map(|i| match i {
        MapItem::Entry(e) if !e.key.starts_with(SOPS_PREFIX) => Some(node_end_line(src, &e.value)),
        MapItem::Comment(c) => Some(c.span.end),
        MapItem::Entry(_) => None,
    });
    root.append_at = match last_data {
        Some(end) => (end + 1).min(src.len()),
        None => root.entries().next().map_or(last_end, |e| e.key_span.start),
    };
    Ok(Document { root })
}

fn node_end_line(src: &str, node: &Node) -> usize {
    match node {
        Node::Scalar(s) => s.span.end.min(src.len()),
        _ => 0,
    }
}

/// Writes a value the way sops's dotenv store does: newlines as a literal `\n`.
pub(crate) fn encode_value(value: &str) -> String {
    value.replace('\n', "\\n")
}

/// Rebuilds the metadata tree from the `sops_*` entries (`age__list_0__map_enc` →
/// `age[0].enc`), so the metadata reader sees the same shape as for YAML and JSON.
pub(crate) fn unflatten_metadata(root: &Map) -> Map {
    let mut meta = Map::default();
    for e in root.entries() {
        let Some(path) = e.key.strip_prefix(SOPS_PREFIX) else {
            continue;
        };
        let Node::Scalar(s) = &e.value else { continue };
        let tokens = tokenize(path);
        insert(&mut meta, &tokens, Scalar::new(s.value.clone(), s.span));
    }
    meta
}

#[derive(Debug, PartialEq)]
enum Token {
    Key(String),
    Index(usize),
}

fn tokenize(path: &str) -> Vec<Token> {
    const MAP: &str = "__map_";
    const LIST: &str = "__list_";
    let mut out = Vec::new();
    let first_sep = [path.find(MAP), path.find(LIST)]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(path.len());
    out.push(Token::Key(path[..first_sep].to_owned()));
    let mut rest = &path[first_sep..];
    while !rest.is_empty() {
        let (is_map, body) = if let Some(b) = rest.strip_prefix(MAP) {
            (true, b)
        } else if let Some(b) = rest.strip_prefix(LIST) {
            (false, b)
        } else {
            break;
        };
        let next = [body.find(MAP), body.find(LIST)]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(body.len());
        let part = &body[..next];
        out.push(if is_map {
            Token::Key(part.to_owned())
        } else {
            Token::Index(part.parse().unwrap_or(0))
        });
        rest = &body[next..];
    }
    out
}

fn insert(map: &mut Map, tokens: &[Token], leaf: Scalar) {
    let Some((Token::Key(k), rest)) = tokens.split_first() else {
        return;
    };
    if rest.is_empty() {
        map.items.push(MapItem::Entry(Entry {
            key: k.clone(),
            key_span: Span::default(),
            value: Node::Scalar(leaf),
        }));
        return;
    }
    if map.get(k).is_none() {
        let child = match rest[0] {
            Token::Key(_) => Node::Map(Map::default()),
            Token::Index(_) => Node::Seq(Seq::default()),
        };
        map.items.push(MapItem::Entry(Entry {
            key: k.clone(),
            key_span: Span::default(),
            value: child,
        }));
    }
    let child = &mut map.get_mut(k).expect("just inserted").value;
    insert_node(child, rest, leaf);
}

fn insert_node(node: &mut Node, tokens: &[Token], leaf: Scalar) {
    match (node, tokens.first()) {
        (Node::Map(m), Some(Token::Key(_))) => insert(m, tokens, leaf),
        (Node::Seq(s), Some(Token::Index(i))) if *i <= MAX_LIST_INDEX => {
            while s.items.len() <= *i {
                let filler = match tokens.get(1) {
                    Some(Token::Index(_)) => Node::Seq(Seq::default()),
                    _ => Node::Map(Map::default()),
                };
                s.items.push(SeqItem::Node(filler));
            }
            let SeqItem::Node(slot) = &mut s.items[*i] else {
                return;
            };
            if tokens.len() == 1 {
                *slot = Node::Scalar(leaf);
            } else {
                insert_node(slot, &tokens[1..], leaf);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_read_verbatim() {
        let src = "# note\nSPACED = x y \nML=a\\nb\nEMPTY=\nexport EXP=1\n\nsops_version=3.11.0\n";
        let doc = parse(src).unwrap();
        let keys: Vec<_> = doc.root.entries().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            ["SPACED ", "ML", "EMPTY", "export EXP", "sops_version"]
        );
        let Node::Scalar(ml) = &doc.root.get("ML").unwrap().value else {
            panic!()
        };
        assert!(ml.value == Value::Str("a\nb".into()));
        assert_eq!(&src[ml.span.start..ml.span.end], "a\\nb");
        assert_eq!(&src[doc.root.append_at..], "\nsops_version=3.11.0\n");
        assert_eq!(parse("NOEQUALS\n").unwrap_err().line, 1);
        assert_eq!(parse("A=1\r\n").unwrap_err().message, CRLF);
    }

    #[test]
    fn metadata_unflattens() {
        let src = "A=1\nsops_age__list_0__map_enc=E\\nF\nsops_age__list_0__map_recipient=age1x\nsops_key_groups__list_1__map_age__list_0__map_recipient=age1y\nsops_mac=M\n";
        let doc = parse(src).unwrap();
        let meta = unflatten_metadata(&doc.root);
        let Node::Seq(age) = &meta.get("age").unwrap().value else {
            panic!()
        };
        let SeqItem::Node(Node::Map(first)) = &age.items[0] else {
            panic!()
        };
        let Node::Scalar(enc) = &first.get("enc").unwrap().value else {
            panic!()
        };
        assert!(enc.value == Value::Str("E\nF".into()));
        let Node::Seq(groups) = &meta.get("key_groups").unwrap().value else {
            panic!()
        };
        assert_eq!(groups.items.len(), 2);
        assert!(meta.get("mac").is_some());
    }
}
