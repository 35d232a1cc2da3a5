//! The one layout sops writes that the YAML parser refuses: an empty flow map holding comments.
//!
//! yaml.v3 writes `empty: {} # c` (the comment encrypted) as
//!
//! ```text
//! empty: {
//!     #ENC[…,type:comment]
//! }
//! ```
//!
//! with the `}` at column 0 even when the map is nested, which go-yaml reads back but a strict
//! parser rejects ("invalid indentation"). The parser is then given a view of the text where the
//! comment lines between such a `{` and its `}` are blanked out, newlines included, so the map
//! stands on one line: every byte keeps its offset, so every position still points into the
//! real text, where the comment pass finds the comments.

/// The parser's view of `src` with every such flow map on one line, or `None` when there is
/// none.
pub(super) fn flatten_commented_flow_maps(src: &str) -> Option<String> {
    let mut out: Option<Vec<u8>> = None;
    let lines: Vec<(usize, &str)> = line_starts(src);
    let mut i = 0;
    while i < lines.len() {
        let (start, line) = lines[i];
        let open = line.trim_end();
        if !(open.ends_with(": {") || open.ends_with("- {") || open == "{") {
            i += 1;
            continue;
        }
        // Comment (or blank) lines, then a line that is only `}`.
        let mut j = i + 1;
        while j < lines.len() && is_comment_or_blank(lines[j].1) {
            j += 1;
        }
        let closes = j < lines.len() && lines[j].1.trim() == "}";
        if !closes {
            i += 1;
            continue;
        }
        let from = start + open.len();
        let to = lines[j].0 + lines[j].1.find('}').unwrap_or(0);
        let bytes = out.get_or_insert_with(|| src.as_bytes().to_vec());
        for b in &mut bytes[from..to] {
            *b = b' ';
        }
        i = j + 1;
    }
    // Only ASCII bytes were replaced by ASCII spaces, and only whole lines of them, so the
    // result is still UTF-8 (comment text may be any UTF-8; it is replaced whole).
    out.and_then(|b| String::from_utf8(b).ok())
}

fn is_comment_or_blank(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// Each line (without its `\n`) with the offset it starts at.
fn line_starts(src: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut pos = 0;
    for line in src.split('\n') {
        out.push((pos, line.strip_suffix('\r').unwrap_or(line)));
        pos += line.len() + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_the_comment_lines_keeping_offsets() {
        let src = "a: {\n    #ENC[x]\n}\nb:\n    c: {\n        # d\n}\n    e: 1\n";
        let view = flatten_commented_flow_maps(src).unwrap();
        assert_eq!(view.len(), src.len());
        assert!(view.starts_with("a: {"));
        assert!(!view[..view.find('}').unwrap()].contains('\n'));
        assert_eq!(view.lines().filter(|l| l.trim() == "}").count(), 0);
        assert_eq!(flatten_commented_flow_maps("a: {}\nb: {x: 1}\n"), None);
    }
}
