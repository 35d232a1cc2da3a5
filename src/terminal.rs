//! Text for a terminal that may carry strings cfsecret did not write: token names and statuses
//! from the API, key names and paths from files, error messages from servers.
//!
//! A raw escape sequence in such a string could retitle the window, clear the screen, rewrite
//! the line above or hide text; bidirectional overrides can reorder what is shown. Human output
//! therefore shows every control character (C0 but newline and tab, DEL, C1) and every bidi
//! control as a visible escape (`\u{1b}`). JSON output stays exact JSON: the same characters are
//! written as `\u` escapes, which decode to the same string.

use std::borrow::Cow;
use std::io;

/// Whether `c` must not reach a terminal raw.
fn is_unsafe(c: char, keep_newlines: bool) -> bool {
    match c {
        '\n' | '\t' => !keep_newlines,
        // C0, DEL, C1 (U+0080..U+009F: CSI is U+009B)
        c if c.is_control() => true,
        // Bidi embeddings, overrides and isolates; the line and paragraph separators.
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' => true,
        '\u{061c}' | '\u{2028}' | '\u{2029}' => true,
        _ => false,
    }
}

/// Whether `c` is escaped in a one-line value (every control and bidi character).
pub(crate) fn needs_escape(c: char) -> bool {
    is_unsafe(c, false)
}

/// `s` with unsafe characters escaped; newlines and tabs (cfsecret's own layout) kept.
pub(crate) fn sanitize(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

/// `s` with every control character escaped, newlines too: for one-line values.
pub(crate) fn sanitize_line(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

fn escape(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_unsafe(c, keep_newlines)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\n' if !keep_newlines => out.push_str("\\n"),
            '\t' if !keep_newlines => out.push_str("\\t"),
            c if is_unsafe(c, keep_newlines) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A compact serde_json formatter that also writes C1 controls and bidi controls as `\uXXXX`
/// (serde_json escapes only C0): the JSON is unchanged in meaning, the bytes are terminal-safe.
pub(crate) struct SafeJson;

impl serde_json::ser::Formatter for SafeJson {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if is_unsafe(c, true) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                write!(writer, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// `v` as one line of terminal-safe JSON.
pub(crate) fn json_line(v: &serde_json::Value) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, SafeJson);
    serde::Serialize::serialize(v, &mut ser).expect("a JSON value serialises");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_only_what_is_unsafe() {
        assert_eq!(
            sanitize("plain text\nline two\tx"),
            "plain text\nline two\tx"
        );
        assert_eq!(sanitize("a\u{1b}]0;pwned\u{7}b"), "a\\u{1b}]0;pwned\\u{7}b");
        assert_eq!(sanitize("x\r\u{9b}2J\u{202e}"), "x\\r\\u{9b}2J\\u{202e}");
        assert_eq!(sanitize_line("a\nb"), "a\\nb");
        assert_eq!(sanitize("é ✓"), "é ✓");
    }

    #[test]
    fn json_stays_exact() {
        let v = serde_json::json!({"msg": "a\u{1b}[2J\u{9b}\u{202e}b\n", "n": 1});
        let line = json_line(&v);
        assert!(!line.contains('\u{1b}') && !line.contains('\u{9b}') && !line.contains('\u{202e}'));
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back, v);
    }
}
