//! Which collection a YAML comment belongs to, by the rules go-yaml v3 (and so sops) follows:
//! a comment after the last item of a nested block collection is that collection's foot comment
//! when it is indented at least as deep as the items (or trails the block directly), a comment
//! right after a bare list dash belongs to the item, and a comment on a value's line is that
//! value's. The comment pass asks these questions; it places comments, these rules decide.

use super::append::next_line;
use super::positions::{column, node_end, node_start};
use crate::sops::tree::{Node, Seq, SeqItem};

pub(super) fn same_line(src: &str, a: usize, b: usize) -> bool {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    !src[lo..hi].contains('\n')
}

/// The column of a block sequence's dash.
pub(super) fn seq_indent(src: &str, seq: &Seq) -> usize {
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

/// Whether the comment at `pos` follows a list's bare dash: on the dash's line (`- # c`, or
/// `- #ENC[…]` as sops writes the head comment of a nested list), or on comment lines between a
/// `-` alone on its line and the item's content. yaml.v3 gives it to the item's own collection,
/// which starts after it.
pub(super) fn after_dash(src: &str, pos: usize, seq: &Seq) -> bool {
    let dash = seq_indent(src, seq);
    let is_dash = |line: &str| line.trim() == "-" && line.find('-') == Some(dash);
    let start = src[..pos].rfind('\n').map_or(0, |i| i + 1);
    let prefix = &src[start..pos];
    if !prefix.trim().is_empty() {
        // The dash must be this list's: a nested list's first item is not the one it heads.
        return is_dash(prefix);
    }
    for line in src[..start].lines().rev() {
        // The line without its comment (`- # c` is a dash line too).
        let code = line
            .char_indices()
            .find(|&(i, c)| c == '#' && (i == 0 || line[..i].ends_with([' ', '\t'])))
            .map_or(line, |(i, _)| &line[..i]);
        if code.trim().is_empty() {
            continue;
        }
        return is_dash(code);
    }
    false
}

/// Whether the comment at `pos` (column `col`) is in the first block of comments right after a
/// nested block ending at `end`, and no key or item at its own column follows that block:
/// yaml.v3 then makes it the foot comment of the innermost collection ending there, whatever
/// its indentation (sops writes such files: observed in the differential test, seed 113; see
/// fixtures/SET-BEHAVIOUR.md §3.2). Column 0 is always the top level.
pub(super) fn trails_nested_block(src: &str, end: usize, pos: usize, col: usize) -> bool {
    if col == 0 {
        return false;
    }
    let from = next_line(src, end);
    let line_start = src[..pos].rfind('\n').map_or(0, |i| i + 1);
    if from > line_start {
        return false;
    }
    let same_block = |l: &str| {
        let t = l.trim_start();
        t.starts_with('#') && l.len() - t.len() == col
    };
    if !src[from..line_start].lines().all(same_block) {
        return false;
    }
    for line in src[pos..].lines().skip(1) {
        let t = line.trim_start();
        if t.is_empty() || same_block(line) {
            continue;
        }
        return line.len() - t.len() != col;
    }
    true
}

/// Whether a comment at `pos`/`col` belongs inside `node`, the value just before it.
pub(super) fn belongs_inside(src: &str, node: &Node, pos: usize, col: usize) -> bool {
    let inside = pos < node_end(node);
    // Only a block collection with content has a last item a foot comment can follow.
    let trails = || trails_nested_block(src, node_end(node), pos, col);
    match node {
        Node::Map(m) => inside || (!m.flow && m.indent.is_some_and(|ind| col >= ind || trails())),
        Node::Seq(s) => {
            inside
                || (!s.flow
                    && s.items.iter().any(|i| matches!(i, SeqItem::Node(_)))
                    && (col >= seq_indent(src, s) || trails()))
        }
        Node::Scalar(_) => false,
    }
}
