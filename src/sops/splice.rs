//! Turning a `set` into text edits: which bytes to replace, what to insert where.
//!
//! Every edit is computed from positions recorded by the parsers, so the rest of the file —
//! comments, key order, other ciphertexts, other recipients' entries, unknown metadata — keeps
//! every byte. New entries are laid out as sops would lay them out (yaml.v3 indentation and
//! quoting, Go's JSON indentation, dotenv lines), so a later `sops set` changes nothing else.

use super::format::Format;
use super::json::quote;
use super::keypath::Step;
use super::route::{Hop, NodeRef, node_at};
use super::tree::{Document, Map, MapItem, Node, Seq, SeqItem, Span};
use super::yaml::emit::{self, YNode, next_indent};
use super::yaml::positions::column;

/// Replace `span` with `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Edit {
    /// The bytes replaced (empty for an insertion).
    pub(crate) span: Span,
    /// The new text.
    pub(crate) text: String,
}

/// Applies non-overlapping edits.
pub(crate) fn apply(src: &str, mut edits: Vec<Edit>) -> Result<String, &'static str> {
    edits.sort_by_key(|e| (e.span.start, e.span.end));
    let mut out =
        String::with_capacity(src.len() + edits.iter().map(|e| e.text.len()).sum::<usize>());
    let mut pos = 0;
    for e in &edits {
        if e.span.start < pos || e.span.end > src.len() {
            return Err("two edits overlap (please report this as a bug)");
        }
        out.push_str(&src[pos..e.span.start]);
        out.push_str(&e.text);
        pos = e.span.end;
    }
    out.push_str(&src[pos..]);
    Ok(out)
}

fn line_start(src: &str, pos: usize) -> usize {
    src[..pos].rfind('\n').map_or(0, |i| i + 1)
}

/// The whitespace a line starts with.
pub(super) fn line_indent(src: &str, pos: usize) -> &str {
    let start = line_start(src, pos);
    let line = &src[start..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// The indentation unit of a YAML file: the column of the first key inside `sops:` (sops writes
/// the whole file with one unit), else 4, sops's default.
fn yaml_unit(root: &Map) -> usize {
    match root.get("sops").map(|e| &e.value) {
        Some(Node::Map(m)) => m.indent.filter(|&i| i > 0).unwrap_or(4),
        _ => 4,
    }
}

/// The edit that replaces the value at `route` with the ciphertext `enc`.
pub(crate) fn replacement(
    format: Format,
    src: &str,
    root: &Map,
    route: &[Hop],
    enc: &str,
) -> Result<Edit, &'static str> {
    let (parent, last) = route.split_at(route.len() - 1);
    let parent = node_at(root, parent);
    let NodeRef::Node(Node::Scalar(scalar)) = node_at(root, route) else {
        return Err("it is not a single value");
    };
    if scalar.from_alias {
        return Err("the value is a copy of a YAML anchor");
    }
    match format {
        Format::Json => Ok(Edit {
            span: scalar.span,
            text: quote(enc),
        }),
        Format::Dotenv => Ok(Edit {
            span: scalar.span,
            text: enc.to_owned(),
        }),
        Format::Yaml => {
            let (flow, entry) = match parent {
                NodeRef::Map(m) | NodeRef::Node(Node::Map(m)) => (m.flow, m.items.get(last[0].0)),
                NodeRef::Node(Node::Seq(s)) => (s.flow, None),
                NodeRef::Node(Node::Scalar(_)) => return Err("it is not a single value"),
            };
            let text = if flow {
                emit::double_quoted(enc)
            } else {
                emit::scalar(enc, false)
            };
            let span = match entry {
                Some(MapItem::Entry(e)) => yaml_entry_value_region(src, e.key_span, scalar.span)?,
                _ => yaml_item_region(src, scalar.span)?,
            };
            let text = if span.start == span.end && src[..span.start].ends_with(':') {
                format!(" {text}")
            } else {
                text
            };
            Ok(Edit { span, text })
        }
    }
}

/// From just after `key:` to the end of the value: covers block-scalar headers, tags and the
/// empty value of `key:`.
fn yaml_entry_value_region(src: &str, key: Span, value: Span) -> Result<Span, &'static str> {
    let b = src.as_bytes();
    let mut i = key.end;
    while i < b.len() && matches!(b[i], b' ' | b'\t') {
        i += 1;
    }
    if b.get(i) != Some(&b':') {
        return Ok(value);
    }
    let after_colon = i + 1;
    let mut j = after_colon;
    while j < b.len() && matches!(b[j], b' ' | b'\t') {
        j += 1;
    }
    if j >= b.len() || matches!(b[j], b'\n' | b'\r' | b'#') {
        // The value is on a later line, or there is none (`key:`).
        return Ok(if value.end > value.start && value.start > j {
            value
        } else {
            Span::new(after_colon, after_colon)
        });
    }
    if b[j] == b'&' {
        return Err("the value carries a YAML anchor other keys may refer to");
    }
    Ok(Span::new(j, value.end.max(j)))
}

fn yaml_item_region(src: &str, value: Span) -> Result<Span, &'static str> {
    let before = src[..value.start].trim_end();
    if before.ends_with(['-', ',', '[']) {
        Ok(value)
    } else {
        Err("a block scalar or tagged value inside a list cannot be replaced in place")
    }
}

/// The edit that grows the node at `route` by the `remaining` steps, ending in `enc`: a new
/// entry in a map, a new last element in a list, or a map or list in place of a null.
pub(crate) fn insertion(
    format: Format,
    src: &str,
    root: &Map,
    route: &[Hop],
    remaining: &[Step],
    enc: &str,
) -> Result<Edit, &'static str> {
    let at_root = route.is_empty();
    match (format, node_at(root, route)) {
        (_, NodeRef::Map(map) | NodeRef::Node(Node::Map(map))) => {
            let Some(Step::Key(key)) = remaining.first() else {
                return Err("new keys can only go into a map");
            };
            match format {
                Format::Dotenv => Ok(Edit {
                    span: Span::new(map.append_at, map.append_at),
                    text: with_leading_newline(src, map.append_at, format!("{key}={enc}\n")),
                }),
                Format::Yaml => {
                    let entry = [(key.clone(), nested(&remaining[1..], enc))];
                    yaml_insertion(src, root, map, at_root, &entry)
                }
                Format::Json => {
                    super::splice_json::into_map(src, root, map, at_root, remaining, enc)
                }
            }
        }
        (Format::Yaml, NodeRef::Node(Node::Seq(seq))) => {
            yaml_append(src, root, seq, nested(&remaining[1..], enc))
        }
        (Format::Yaml, NodeRef::Node(Node::Scalar(null))) => {
            let (parent, last) = route.split_at(route.len() - 1);
            let (NodeRef::Node(Node::Map(owner)) | NodeRef::Map(owner)) = node_at(root, parent)
            else {
                return Err("a null inside a list cannot be replaced in place");
            };
            let Some(MapItem::Entry(e)) = owner.items.get(last[0].0) else {
                return Err("a null inside a list cannot be replaced in place");
            };
            yaml_replace_null(src, root, e.key_span, null.span, nested(remaining, enc))
        }
        (Format::Json, NodeRef::Node(Node::Seq(seq))) => {
            super::splice_json::into_list(src, root, seq, remaining, enc)
        }
        (Format::Json, NodeRef::Node(Node::Scalar(null))) => {
            super::splice_json::over_null(src, root, null.span, remaining, enc)
        }
        _ => Err("cannot add to a list in this format"),
    }
}

fn with_leading_newline(src: &str, pos: usize, text: String) -> String {
    if pos > 0 && !src[..pos].ends_with('\n') {
        format!("\n{text}")
    } else {
        text
    }
}

fn nested(steps: &[Step], enc: &str) -> YNode {
    steps
        .iter()
        .rev()
        .fold(YNode::Str(enc.to_owned()), |node, step| match step {
            Step::Key(k) => YNode::Map(vec![(k.clone(), node)]),
            Step::Index(_) => YNode::Seq(vec![node]),
        })
}

/// The start of the text that replaces a value written after `key:` on the same line: just
/// after the colon, so `key: {}` becomes `key:` and the new block (no trailing space, as
/// yaml.v3 writes it).
fn after_colon(src: &str, value_start: usize) -> usize {
    let before = src[..value_start].trim_end_matches([' ', '\t']);
    if before.ends_with(':') {
        before.len()
    } else {
        value_start
    }
}

/// The block lines of `value` after `key:` (its first line included), as yaml.v3 writes them
/// for a key at column `owner`.
fn block_after_key(value: &YNode, owner: usize, unit: usize) -> String {
    let lines = match value {
        YNode::Seq(items) => emit::seq_lines(items, next_indent(owner, unit), unit),
        YNode::Map(entries) => emit::map_lines(entries, next_indent(owner, unit), unit),
        // Never: a grown value has at least one step.
        _ => String::new(),
    };
    format!("\n{}", lines.trim_end_matches('\n'))
}

fn yaml_replace_null(
    src: &str,
    root: &Map,
    key: Span,
    null: Span,
    value: YNode,
) -> Result<Edit, &'static str> {
    let region = yaml_entry_value_region(src, key, null)?;
    let start = after_colon(src, region.start);
    let owner = column(src, key.start);
    Ok(Edit {
        span: Span::new(start, region.end.max(start)),
        text: block_after_key(&value, owner, yaml_unit(root)),
    })
}

/// Appends `value` as the new last element of a list (after the comments that end it), or
/// turns an empty flow list `[]` into a block list.
fn yaml_append(src: &str, root: &Map, seq: &Seq, value: YNode) -> Result<Edit, &'static str> {
    let unit = yaml_unit(root);
    if seq.flow {
        if seq.items.iter().any(|i| matches!(i, SeqItem::Node(_))) {
            return Err("the list is written in flow style ([...])");
        }
        let start = after_colon(src, seq.span.start);
        if start == seq.span.start {
            return Err("a flow list inside a list cannot be replaced in place");
        }
        let owner = line_indent(src, seq.span.start).len();
        return Ok(Edit {
            span: Span::new(start, seq.span.end),
            text: block_after_key(&YNode::Seq(vec![value]), owner, unit),
        });
    }
    let dash = seq
        .dash
        .ok_or("the list has no elements to line a new one up with")?;
    let pos = seq.append_at;
    Ok(Edit {
        span: Span::new(pos, pos),
        text: with_leading_newline(src, pos, emit::seq_lines(&[value], dash, unit)),
    })
}

fn yaml_insertion(
    src: &str,
    root: &Map,
    map: &Map,
    at_root: bool,
    entry: &[(String, YNode)],
) -> Result<Edit, &'static str> {
    let unit = yaml_unit(root);
    if map.flow {
        if map.entries().next().is_some() {
            return Err("the map is written in flow style ({...})");
        }
        // `key: {}` becomes a block map under `key` (any comment sops wrote inside the braces
        // goes too: sops itself drops it on reading).
        let start = after_colon(src, map.span.start);
        if start == map.span.start {
            if !src[..start].trim_end_matches(' ').ends_with('-') {
                return Err("a flow map inside a flow collection cannot be replaced in place");
            }
            // `- {}` becomes `- key: value`, the keys lined up after the dash.
            let lines = emit::map_lines_inline(entry, column(src, start), unit);
            return Ok(Edit {
                span: map.span,
                text: lines.trim_end_matches('\n').to_owned(),
            });
        }
        let owner = line_indent(src, map.span.start).len();
        let lines = emit::map_lines(entry, next_indent(owner, unit), unit);
        return Ok(Edit {
            span: Span::new(start, map.span.end),
            text: format!("\n{}", lines.trim_end_matches('\n')),
        });
    }
    let indent = map.indent.unwrap_or(0);
    let pos = if at_root {
        // Before the `sops:` block, after any comments that precede it.
        root.entries()
            .find(|e| e.key == "sops")
            .map_or(map.append_at, |e| line_start(src, e.key_span.start))
    } else {
        map.append_at
    };
    Ok(Edit {
        span: Span::new(pos, pos),
        text: with_leading_newline(src, pos, emit::map_lines(entry, indent, unit)),
    })
}

/// The metadata fields that sort after `unencrypted_suffix` in sops's struct order.
const AFTER_UNENCRYPTED_SUFFIX: [&str; 7] = [
    "encrypted_suffix",
    "unencrypted_regex",
    "encrypted_regex",
    "unencrypted_comment_regex",
    "encrypted_comment_regex",
    "mac_only_encrypted",
    "version",
];

/// The edits of `lastmodified` and `mac` in every document's metadata, plus sops's implicit
/// `unencrypted_suffix: _unencrypted` when the file states no rule (sops writes it back too).
pub(crate) fn metadata_edits(
    format: Format,
    src: &str,
    docs: &[Document],
    lastmodified: &str,
    mac: &str,
    write_default_rule: bool,
) -> Vec<Edit> {
    let mut edits = Vec::new();
    let scalar_span = |m: &Map, key: &str| match m.get(key).map(|e| &e.value) {
        Some(Node::Scalar(s)) => Some(s.span),
        _ => None,
    };
    match format {
        Format::Dotenv => {
            let root = &docs[0].root;
            if let Some(span) = scalar_span(root, "sops_lastmodified") {
                edits.push(Edit {
                    span,
                    text: lastmodified.to_owned(),
                });
            }
            if let Some(span) = scalar_span(root, "sops_mac") {
                edits.push(Edit {
                    span,
                    text: mac.to_owned(),
                });
            }
            if write_default_rule {
                let before = root.entries().find(|e| {
                    e.key.starts_with("sops_") && e.key.as_str() > "sops_unencrypted_suffix"
                });
                let pos = before.map_or(src.len(), |e| e.key_span.start);
                edits.push(Edit {
                    span: Span::new(pos, pos),
                    text: with_leading_newline(
                        src,
                        pos,
                        "sops_unencrypted_suffix=_unencrypted\n".into(),
                    ),
                });
            }
        }
        Format::Yaml | Format::Json => {
            for doc in docs {
                let Some(Node::Map(sops)) = doc.root.get("sops").map(|e| &e.value) else {
                    continue;
                };
                let (lm_text, mac_text) = if format == Format::Json {
                    (quote(lastmodified), quote(mac))
                } else {
                    (emit::scalar(lastmodified, false), emit::scalar(mac, false))
                };
                if let Some(span) = scalar_span(sops, "lastmodified") {
                    edits.push(Edit {
                        span,
                        text: lm_text,
                    });
                }
                if let Some(span) = scalar_span(sops, "mac") {
                    edits.push(Edit {
                        span,
                        text: mac_text,
                    });
                }
                if write_default_rule {
                    edits.push(default_rule_edit(format, src, sops));
                }
            }
        }
    }
    edits
}

fn default_rule_edit(format: Format, src: &str, sops: &Map) -> Edit {
    let next = sops
        .entries()
        .find(|e| AFTER_UNENCRYPTED_SUFFIX.contains(&e.key.as_str()));
    let indent = sops
        .entries()
        .next()
        .map_or("", |e| line_indent(src, e.key_span.start));
    match (format, next) {
        (Format::Json, Some(e)) => Edit {
            span: Span::new(e.key_span.start, e.key_span.start),
            text: format!("\"unencrypted_suffix\": \"_unencrypted\",\n{indent}"),
        },
        (Format::Json, None) => Edit {
            span: Span::new(sops.append_at, sops.append_at),
            text: format!(",\n{indent}\"unencrypted_suffix\": \"_unencrypted\""),
        },
        (_, Some(e)) => {
            let pos = line_start(src, e.key_span.start);
            Edit {
                span: Span::new(pos, pos),
                text: format!(
                    "{}unencrypted_suffix: _unencrypted\n",
                    " ".repeat(column(src, e.key_span.start))
                ),
            }
        }
        (_, None) => Edit {
            span: Span::new(sops.append_at, sops.append_at),
            text: with_leading_newline(
                src,
                sops.append_at,
                format!("{indent}unencrypted_suffix: _unencrypted\n"),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_apply_in_order_and_refuse_overlaps() {
        let src = "abcdef";
        let edits = vec![
            Edit {
                span: Span::new(4, 5),
                text: "E".into(),
            },
            Edit {
                span: Span::new(0, 1),
                text: "A".into(),
            },
            Edit {
                span: Span::new(2, 2),
                text: "+".into(),
            },
        ];
        assert_eq!(apply(src, edits).unwrap(), "Ab+cdEf");
        let overlapping = vec![
            Edit {
                span: Span::new(0, 3),
                text: String::new(),
            },
            Edit {
                span: Span::new(2, 4),
                text: String::new(),
            },
        ];
        assert!(apply(src, overlapping).is_err());
    }
}
