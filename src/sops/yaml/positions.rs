//! Byte positions in YAML text: line and column, where a node's text starts and ends, a
//! scalar's exact extent, and the comments between tokens. saphyr's spans are close but not
//! exact and it reports no comments, so the parser, the comment pass and the splicer all
//! measure the text here.

use saphyr_parser::ScalarStyle;

use crate::sops::tree::{Comment, Node, Span};

/// 1-based line and column of a byte offset.
pub(crate) fn line_col(src: &str, pos: usize) -> (usize, usize) {
    let before = &src[..pos.min(src.len())];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |nl| before.len() - nl - 1)
        + 1;
    (line, col)
}

/// The byte column of a position (indentation is ASCII spaces, so bytes and characters agree
/// wherever it matters).
pub(crate) fn column(src: &str, pos: usize) -> usize {
    pos - src[..pos].rfind('\n').map_or(0, |i| i + 1)
}

/// Where a node's own text starts.
pub(crate) fn node_start(node: &Node) -> usize {
    match node {
        Node::Map(m) => m.span.start,
        Node::Seq(s) => s.span.start,
        Node::Scalar(s) => s.span.start,
    }
}

/// Where a node's own text ends (trailing comments not included).
pub(crate) fn node_end(node: &Node) -> usize {
    match node {
        Node::Map(m) => m.span.end,
        Node::Seq(s) => s.span.end,
        Node::Scalar(s) => s.span.end,
    }
}

pub(super) fn flow_close(src: &str, end: usize, close: u8) -> usize {
    // saphyr's end event span covers the closing bracket; keep exactly up to it.
    let bytes = src.as_bytes();
    let mut i = end.min(bytes.len());
    while i > 0 && bytes[i - 1] != close {
        i -= 1;
    }
    if i == 0 { end } else { i }
}

/// The exact byte range of a scalar's text. saphyr's spans are close but not exact: a quoted
/// scalar's span runs over a following comment, a block scalar's starts at its content.
pub(crate) fn scalar_extent(src: &str, start: usize, end: usize, style: ScalarStyle) -> Span {
    let bytes = src.as_bytes();
    match style {
        ScalarStyle::Plain => {
            let mut e = end.min(bytes.len());
            while e > start && bytes[e - 1].is_ascii_whitespace() {
                e -= 1;
            }
            Span::new(start, e)
        }
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
            let quote = if style == ScalarStyle::SingleQuoted {
                b'\''
            } else {
                b'"'
            };
            let open = (start..bytes.len())
                .find(|&i| bytes[i] == quote)
                .unwrap_or(start);
            let mut i = open + 1;
            while i < bytes.len() {
                match bytes[i] {
                    b'\\' if quote == b'"' => i += 2,
                    b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
                    c if c == quote => return Span::new(start, i + 1),
                    _ => i += 1,
                }
            }
            Span::new(start, end)
        }
        ScalarStyle::Literal | ScalarStyle::Folded => {
            Span::new(start, block_scalar_end(src, start))
        }
    }
}

/// The end of a block scalar's content: the last non-blank line indented at least as deep as
/// its first content line.
fn block_scalar_end(src: &str, content_start: usize) -> usize {
    let line_start = src[..content_start].rfind('\n').map_or(0, |i| i + 1);
    let indent = content_start - line_start;
    if indent == 0 {
        return content_start;
    }
    let mut end = content_start;
    let mut pos = line_start;
    while pos < src.len() {
        let line_end = src[pos..].find('\n').map_or(src.len(), |i| pos + i);
        let line = &src[pos..line_end];
        let lead = line.len() - line.trim_start_matches(' ').len();
        if line.trim().is_empty() {
            // blank lines belong to the block only if more content follows
        } else if lead >= indent {
            end = line_end;
        } else {
            break;
        }
        pos = line_end + 1;
    }
    end
}

/// Used by the comment pass: the comments of the source outside `covered` ranges.
pub(super) fn find_comments(src: &str, covered: &[Span]) -> Vec<Comment> {
    let mut covered: Vec<Span> = covered.to_vec();
    covered.sort_by_key(|s| s.start);
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut next_cover = 0;
    while i < bytes.len() {
        while next_cover < covered.len() && covered[next_cover].end <= i {
            next_cover += 1;
        }
        if next_cover < covered.len() && covered[next_cover].start <= i {
            i = covered[next_cover].end.max(i + 1);
            continue;
        }
        if bytes[i] == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            let end = src[i..].find('\n').map_or(src.len(), |n| i + n);
            let text = src[i + 1..end].trim_end_matches('\r').to_owned();
            out.push(Comment {
                text,
                span: Span::new(i, end),
            });
            i = end;
            continue;
        }
        i += 1;
    }
    out
}
