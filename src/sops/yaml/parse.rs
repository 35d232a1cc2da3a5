//! YAML text to [`Document`]s, with exact byte positions.
//!
//! saphyr-parser gives the event stream with positions; this module turns it into sops's tree:
//! plain scalars typed as yaml.v3 types them, aliases expanded (sops expands them too), string
//! keys only, duplicates refused. The parser does not report comments, so they are recovered
//! from the gaps between tokens and attached where yaml.v3 would attach them (by position and
//! indentation), which is what sops's comment-based selection rules and new-key placement need.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Tag};

use super::alias::{clone_node, mark_alias, weight};
use super::positions::{column, flow_close, line_col, node_end, node_start, scalar_extent};
use super::resolve::{CoreTag, ResolveError, resolve_plain};
use crate::sops::tree::{Document, Entry, Map, MapItem, Node, Scalar, Seq, SeqItem, Span};
use crate::sops::value::Value;

/// What is wrong with a YAML text, and where (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YamlError {
    /// 1-based line.
    pub(crate) line: usize,
    /// 1-based column.
    pub(crate) col: usize,
    /// What is wrong.
    pub(crate) kind: YamlErrorKind,
}

/// The kinds of YAML problems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum YamlErrorKind {
    /// Not YAML at all.
    Syntax(String),
    /// A document whose top level is not a mapping.
    TopLevelNotMap(&'static str),
    /// A key that appears twice in one mapping.
    DuplicateKey { key: String, first_line: usize },
    /// A key that is not a string (`1:`, `true:`, `null:`).
    NonStringKey(&'static str),
    /// A key that is a list or a map.
    ComplexKey,
    /// An integer sops cannot hold.
    IntegerTooLarge,
    /// A core tag whose value does not fit it.
    BadTag(String),
    /// An alias to an anchor that was never defined.
    UnknownAlias,
    /// Aliases expand to more than [`ALIAS_BUDGET`] (a "billion laughs" bomb).
    AliasBomb,
    /// Collections nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// How much alias expansion one text may cause, in nodes plus string bytes / 64. Expanding
/// aliases is what sops does too, but a few hundred bytes of nested aliases would otherwise
/// expand to billions of nodes; no secrets file comes near this bound.
pub(crate) const ALIAS_BUDGET: usize = 200_000;
/// The deepest nesting of maps and lists (the readers and writers recurse).
pub(crate) const MAX_DEPTH: usize = 512;

impl std::fmt::Display for YamlErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Syntax(msg) => write!(f, "invalid YAML: {msg}"),
            Self::TopLevelNotMap(what) => write!(f, "the top level is {what}, not a mapping"),
            Self::DuplicateKey { key, first_line } => {
                write!(f, "key `{key}` appears twice (first on line {first_line})")
            }
            Self::NonStringKey(ty) => write!(f, "a key is {ty}; sops only allows string keys"),
            Self::ComplexKey => {
                f.write_str("a key is a list or a map; sops only allows string keys")
            }
            Self::IntegerTooLarge => f.write_str("an integer does not fit in 64 bits"),
            Self::BadTag(tag) => write!(f, "a value does not match its `!!{tag}` tag"),
            Self::UnknownAlias => f.write_str("an alias refers to an unknown anchor"),
            Self::AliasBomb => write!(
                f,
                "aliases expand to more than {ALIAS_BUDGET} nodes (cfsecret's limit, against alias bombs); write the values out or use fewer nested aliases"
            ),
            Self::TooDeep => write!(
                f,
                "maps and lists are nested more than {MAX_DEPTH} levels deep (cfsecret's limit)"
            ),
        }
    }
}

/// Parses a YAML text into its documents.
pub(crate) fn parse(src: &str) -> Result<Vec<Document>, YamlError> {
    parse_with(src, super::comments::attach)
}

/// The comment pass: the text, the documents, the ranges comments cannot be in, and where each
/// document starts.
pub(super) type AttachComments = fn(&str, &mut [Document], &[Span], &[usize]);

/// [`parse`] with a given comment pass (tests compare comment passes).
pub(super) fn parse_with(src: &str, attach: AttachComments) -> Result<Vec<Document>, YamlError> {
    match parse_view(src, src, attach) {
        Err(e) => match super::mask::flatten_commented_flow_maps(src) {
            // sops's multi-line `{ #comment }` layout: parse it with the map on one line.
            Some(view) => parse_view(&view, src, attach).map_err(|_| e),
            None => Err(e),
        },
        ok => ok,
    }
}

/// Parses `view` (the text itself, or the text with bytes blanked in place) and takes the
/// comments from `src`.
fn parse_view(view: &str, src: &str, attach: AttachComments) -> Result<Vec<Document>, YamlError> {
    let mut b = Builder::new(view);
    let parser = Parser::new_from_str(view);
    for next in parser {
        let (event, span) = next.map_err(|e| YamlError {
            line: e.marker().line(),
            col: e.marker().col() + 1,
            kind: YamlErrorKind::Syntax(e.info().to_owned()),
        })?;
        let start = b.byte(span.start.index());
        let end = b.byte(span.end.index());
        b.event(event, start, end, span.start.line())?;
    }
    let mut docs = b.docs;
    attach(src, &mut docs, &b.covered, &b.doc_starts);
    Ok(docs)
}

/// Maps saphyr's character indices to byte offsets.
struct CharIndex {
    /// `None` for ASCII text, where both are the same.
    offsets: Option<Vec<usize>>,
}

impl CharIndex {
    fn new(src: &str) -> Self {
        let offsets = (!src.is_ascii()).then(|| {
            let mut v: Vec<usize> = src.char_indices().map(|(i, _)| i).collect();
            v.push(src.len());
            v
        });
        Self { offsets }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.offsets {
            None => char_index,
            Some(v) => v
                .get(char_index)
                .copied()
                .unwrap_or_else(|| *v.last().unwrap_or(&0)),
        }
    }
}

enum Frame {
    Map {
        map: Map,
        anchor: usize,
        pending: Option<(String, Span)>,
        seen: HashMap<String, usize>,
    },
    Seq {
        seq: Seq,
        anchor: usize,
    },
}

struct Builder<'s> {
    src: &'s str,
    index: CharIndex,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    /// What alias expansion has cost so far (see [`ALIAS_BUDGET`]).
    expanded: usize,
    docs: Vec<Document>,
    /// Byte ranges taken by scalars and aliases: comments can only be outside them.
    covered: Vec<Span>,
    /// Where each document starts, to assign comments to documents.
    doc_starts: Vec<usize>,
}

impl<'s> Builder<'s> {
    fn new(src: &'s str) -> Self {
        Self {
            src,
            index: CharIndex::new(src),
            stack: Vec::new(),
            anchors: HashMap::new(),
            expanded: 0,
            docs: Vec::new(),
            covered: Vec::new(),
            doc_starts: Vec::new(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        self.index.byte(char_index)
    }

    fn err(&self, pos: usize, kind: YamlErrorKind) -> YamlError {
        let (line, col) = line_col(self.src, pos);
        YamlError { line, col, kind }
    }

    fn event(
        &mut self,
        event: Event<'_>,
        start: usize,
        end: usize,
        line: usize,
    ) -> Result<(), YamlError> {
        match event {
            Event::DocumentStart(_) => self.doc_starts.push(start),
            Event::MappingStart(..) | Event::SequenceStart(..) if self.stack.len() >= MAX_DEPTH => {
                return Err(self.err(start, YamlErrorKind::TooDeep));
            }
            Event::MappingStart(anchor, _) => {
                let flow = self.src[start..end].trim_end().ends_with('{');
                // A block map's indent is its first key's column, set when that key arrives
                // (the event itself may start at an anchor such as `&m`).
                let map = Map {
                    span: Span::new(start, end),
                    flow,
                    ..Map::default()
                };
                self.stack.push(Frame::Map {
                    map,
                    anchor,
                    pending: None,
                    seen: HashMap::new(),
                });
            }
            Event::SequenceStart(anchor, _) => {
                let flow = self.src[start..end].trim_end().ends_with('[');
                let seq = Seq {
                    span: Span::new(start, end),
                    flow,
                    ..Seq::default()
                };
                self.stack.push(Frame::Seq { seq, anchor });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let frame = self.stack.pop().expect("balanced events");
                let (node, anchor) = match frame {
                    Frame::Map {
                        mut map, anchor, ..
                    } => {
                        if map.flow {
                            map.span.end = flow_close(self.src, end, b'}');
                        } else if let Some(last) = map.entries().last() {
                            map.span.end = node_end(&last.value);
                        }
                        (Node::Map(map), anchor)
                    }
                    Frame::Seq { mut seq, anchor } => {
                        if seq.flow {
                            seq.span.end = flow_close(self.src, end, b']');
                        } else if let Some(SeqItem::Node(last)) = seq.items.last() {
                            seq.span.end = node_end(last);
                        }
                        (Node::Seq(seq), anchor)
                    }
                };
                self.register(anchor, &node);
                self.deliver(node, line)?;
            }
            Event::Scalar(text, style, anchor, tag) => {
                let span = scalar_extent(self.src, start, end, style);
                self.covered.push(span);
                let value = self.scalar_value(&text, style, tag.as_deref(), span.start)?;
                let node = Node::Scalar(Scalar::new(value, span));
                self.register(anchor, &node);
                self.deliver(node, line)?;
            }
            Event::Alias(id) => {
                self.covered.push(Span::new(start, end));
                let anchored = self
                    .anchors
                    .get(&id)
                    .ok_or_else(|| self.err(start, YamlErrorKind::UnknownAlias))?;
                // Counted before copying, so a bomb stops before it takes the memory.
                self.expanded = self.expanded.saturating_add(weight(anchored));
                if self.expanded > ALIAS_BUDGET {
                    return Err(self.err(start, YamlErrorKind::AliasBomb));
                }
                let mut node = clone_node(anchored);
                mark_alias(&mut node, Span::new(start, end));
                self.deliver(node, line)?;
            }
            Event::DocumentEnd | Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        Ok(())
    }

    fn register(&mut self, anchor: usize, node: &Node) {
        if anchor != 0 {
            self.anchors.insert(anchor, clone_node(node));
        }
    }

    fn scalar_value(
        &self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        pos: usize,
    ) -> Result<Value, YamlError> {
        let core = tag.and_then(|t| {
            (t.handle == "tag:yaml.org,2002:" || t.handle == "!!")
                .then(|| CoreTag::from_suffix(&t.suffix))
                .flatten()
        });
        // A non-core tag (`!custom foo`) is dropped by yaml.v3: the value is the text.
        if tag.is_some() && core.is_none() {
            return Ok(Value::Str(text.to_owned()));
        }
        if style != ScalarStyle::Plain && core.is_none() {
            return Ok(Value::Str(text.to_owned()));
        }
        resolve_plain(text, core).map_err(|e| match e {
            ResolveError::TooLarge => self.err(pos, YamlErrorKind::IntegerTooLarge),
            ResolveError::BadTag(t) => self.err(pos, YamlErrorKind::BadTag(t)),
        })
    }

    fn deliver(&mut self, node: Node, line: usize) -> Result<(), YamlError> {
        let Some(top) = self.stack.last_mut() else {
            return self.finish_document(node);
        };
        match top {
            Frame::Seq { seq, .. } => {
                seq.items.push(SeqItem::Node(node));
                Ok(())
            }
            Frame::Map {
                map, pending, seen, ..
            } => match pending.take() {
                Some((key, key_span)) => {
                    map.items.push(MapItem::Entry(Entry {
                        key,
                        key_span,
                        value: node,
                    }));
                    Ok(())
                }
                None => {
                    let Node::Scalar(scalar) = node else {
                        let pos = node_start(&node);
                        return Err(self.err(pos, YamlErrorKind::ComplexKey));
                    };
                    let key = match &scalar.value {
                        Value::Str(s) => s.clone(),
                        other => {
                            let ty = match other {
                                Value::Null => "null",
                                Value::Int(_) => "an integer",
                                Value::Float(_) => "a float",
                                Value::Bool(_) => "a bool",
                                Value::Time(_) => "a timestamp",
                                _ => "not text",
                            };
                            return Err(
                                self.err(scalar.span.start, YamlErrorKind::NonStringKey(ty))
                            );
                        }
                    };
                    if let Some(first_line) = seen.get(&key) {
                        let first_line = *first_line;
                        return Err(self.err(
                            scalar.span.start,
                            YamlErrorKind::DuplicateKey { key, first_line },
                        ));
                    }
                    seen.insert(key.clone(), line);
                    if !map.flow && map.indent.is_none() {
                        map.indent = Some(column(self.src, scalar.span.start));
                    }
                    *pending = Some((key, scalar.span));
                    Ok(())
                }
            },
        }
    }

    fn finish_document(&mut self, node: Node) -> Result<(), YamlError> {
        let root = match node {
            Node::Map(map) => map,
            // An empty document (`---` alone) is an empty mapping for sops.
            Node::Scalar(s) if s.value == Value::Null => Map {
                span: s.span,
                ..Map::default()
            },
            Node::Scalar(s) => {
                return Err(self.err(
                    s.span.start,
                    YamlErrorKind::TopLevelNotMap("a single value"),
                ));
            }
            Node::Seq(s) => {
                return Err(self.err(s.span.start, YamlErrorKind::TopLevelNotMap("a list")));
            }
        };
        self.docs.push(Document { root });
        Ok(())
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    fn parse_one(src: &str) -> Map {
        parse(src).unwrap().into_iter().next().unwrap().root
    }

    #[test]
    fn spans_cover_exactly_the_value_text() {
        let src = "a: plain value\nb: \"quoted\" # note\nc: 'it''s'\nd: |\n  line1\n  line2\n# after\ne: 1\n";
        let m = parse_one(src);
        let text = |k: &str| match &m.get(k).unwrap().value {
            Node::Scalar(s) => &src[s.span.start..s.span.end],
            _ => panic!(),
        };
        assert_eq!(text("a"), "plain value");
        assert_eq!(text("b"), "\"quoted\"");
        assert_eq!(text("c"), "'it''s'");
        assert_eq!(text("d"), "line1\n  line2");
        assert_eq!(text("e"), "1");
    }

    #[test]
    fn non_ascii_positions_are_bytes() {
        let src = "é: ü\nkey: vä\n";
        let m = parse_one(src);
        let e = m.get("key").unwrap();
        assert_eq!(&src[e.key_span.start..e.key_span.end], "key");
        let Node::Scalar(s) = &e.value else { panic!() };
        assert_eq!(&src[s.span.start..s.span.end], "vä");
    }

    #[test]
    fn refuses_what_sops_refuses() {
        let kind = |src: &str| parse(src).unwrap_err().kind;
        assert!(matches!(
            kind("a: 1\na: 2\n"),
            YamlErrorKind::DuplicateKey { .. }
        ));
        assert!(matches!(
            kind("- a\n- b\n"),
            YamlErrorKind::TopLevelNotMap("a list")
        ));
        assert!(matches!(
            kind("just text\n"),
            YamlErrorKind::TopLevelNotMap(_)
        ));
        assert!(matches!(
            kind("1: x\n"),
            YamlErrorKind::NonStringKey("an integer")
        ));
        assert!(matches!(kind("? [a]\n: x\n"), YamlErrorKind::ComplexKey));
        assert!(matches!(kind("a: [1\n"), YamlErrorKind::Syntax(_)));
        assert!(matches!(
            kind("a: 18446744073709551615\n"),
            YamlErrorKind::IntegerTooLarge
        ));
        let e = parse("x: 1\ny: 2\ny: 3\n").unwrap_err();
        assert_eq!((e.line, e.col), (3, 1));
    }

    #[test]
    fn aliases_expand_and_documents_split() {
        let docs = parse("a: &x {k: v}\nb: *x\n---\nc: 1\n---\n").unwrap();
        assert_eq!(docs.len(), 3);
        let Node::Map(b) = &docs[0].root.get("b").unwrap().value else {
            panic!()
        };
        assert!(b.get("k").is_some());
        assert_eq!(docs[2].root.items.len(), 0);
    }
}
