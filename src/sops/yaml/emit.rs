//! Writing YAML the way go-yaml v3 writes it, for the parts cfsecret writes itself: new keys
//! spliced into a file, and whole new files (data plus the `sops` block).
//!
//! Two rules of yaml.v3 matter for a byte-identical layout. Scalar style: plain when the text
//! reads back as the same string, else single-quoted when allowed, else double-quoted. Indentation:
//! a nested node sits at the next multiple of the indent above its parent's, except directly in a
//! sequence item, where it sits two columns past the dash.

use super::resolve::resolve_plain;
use crate::sops::value::Value;

/// The next indentation level, as yaml.v3's `increase_indent` computes it outside sequence items.
pub(crate) fn next_indent(indent: usize, unit: usize) -> usize {
    unit * ((indent + unit) / unit)
}

/// A tree to emit.
#[derive(Debug, Clone)]
pub(crate) enum YNode {
    /// A block mapping (an empty one is written `{}`).
    Map(Vec<(String, YNode)>),
    /// A block sequence (an empty one is written `[]`).
    Seq(Vec<YNode>),
    /// A string, styled as yaml.v3 styles it.
    Str(String),
    /// An integer.
    Int(i64),
    /// A bool.
    Bool(bool),
}

/// Emits a document whose top level is a mapping, with indentation `unit`.
pub(crate) fn document(entries: &[(String, YNode)], unit: usize) -> String {
    let mut out = String::new();
    map_body(&mut out, entries, 0, unit, false);
    out
}

/// Emits `entries` as the lines of a block mapping at column `indent` (each line ends with a
/// newline), for splicing into an existing file.
pub(crate) fn map_lines(entries: &[(String, YNode)], indent: usize, unit: usize) -> String {
    let mut out = String::new();
    map_body(&mut out, entries, indent, unit, false);
    out
}

/// [`map_lines`] whose first key follows text already on its line (a `- `).
pub(crate) fn map_lines_inline(entries: &[(String, YNode)], indent: usize, unit: usize) -> String {
    let mut out = String::new();
    map_body(&mut out, entries, indent, unit, true);
    out
}

/// The lines of block-list elements whose dashes stand at column `dash`.
pub(crate) fn seq_lines(items: &[YNode], dash: usize, unit: usize) -> String {
    let mut out = String::new();
    seq_body(&mut out, items, dash, unit);
    out
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// `inline_first`: the first key follows a `- ` already written.
fn map_body(
    out: &mut String,
    entries: &[(String, YNode)],
    indent: usize,
    unit: usize,
    inline_first: bool,
) {
    for (i, (key, value)) in entries.iter().enumerate() {
        if i > 0 || !inline_first {
            pad(out, indent);
        }
        out.push_str(&scalar(key, true));
        out.push(':');
        value_after_key(out, value, indent, unit);
    }
}

fn value_after_key(out: &mut String, value: &YNode, indent: usize, unit: usize) {
    match value {
        YNode::Map(m) if m.is_empty() => out.push_str(" {}\n"),
        YNode::Seq(s) if s.is_empty() => out.push_str(" []\n"),
        YNode::Map(m) => {
            out.push('\n');
            map_body(out, m, next_indent(indent, unit), unit, false);
        }
        YNode::Seq(s) => {
            out.push('\n');
            seq_body(out, s, next_indent(indent, unit), unit);
        }
        YNode::Str(s) if s.contains('\n') => literal(out, s, next_indent(indent, unit), unit),
        leaf => {
            out.push(' ');
            out.push_str(&leaf_text(leaf));
            out.push('\n');
        }
    }
}

fn seq_body(out: &mut String, items: &[YNode], dash: usize, unit: usize) {
    for item in items {
        pad(out, dash);
        out.push_str("- ");
        match item {
            YNode::Map(m) if !m.is_empty() => map_body(out, m, dash + 2, unit, true),
            YNode::Seq(s) if !s.is_empty() => {
                out.push('\n');
                seq_body(out, s, dash + 2, unit);
            }
            YNode::Str(s) if s.contains('\n') => {
                out.pop();
                literal(out, s, dash + 2, unit);
            }
            leaf => {
                out.push_str(&leaf_text(leaf));
                out.push('\n');
            }
        }
    }
}

fn leaf_text(node: &YNode) -> String {
    match node {
        YNode::Str(s) => scalar(s, false),
        YNode::Int(i) => i.to_string(),
        YNode::Bool(b) => b.to_string(),
        YNode::Map(_) => "{}".into(),
        YNode::Seq(_) => "[]".into(),
    }
}

/// A `|` literal block whose content lines start at `content_indent`.
fn literal(out: &mut String, s: &str, content_indent: usize, unit: usize) {
    out.push_str(" |");
    if s.starts_with([' ', '\n']) {
        // yaml.v3 writes its indent unit as the indentation indicator.
        out.push_str(&unit.min(9).to_string());
    }
    let trailing = s.len() - s.trim_end_matches('\n').len();
    match trailing {
        0 => out.push('-'),
        1 if s.len() > 1 => {}
        _ => out.push('+'),
    }
    out.push('\n');
    for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
        if !line.is_empty() {
            pad(out, content_indent);
            out.push_str(line);
        }
        out.push('\n');
    }
}

/// Old YAML 1.1 booleans, which yaml.v3 quotes although it reads them as strings.
fn is_old_bool(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "off"
            | "Off"
            | "OFF"
    )
}

fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || !(b[0] == b'+' || b[0] == b'-' || b[0].is_ascii_digit()) || !s.contains(':')
    {
        return false;
    }
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
            .expect("valid regex")
    });
    RE.is_match(s)
}

/// yaml.v3's `is_printable` (note: characters outside the BMP count as not printable).
fn is_printable(c: char) -> bool {
    let c = c as u32;
    c == 0x0A
        || (0x20..=0x7E).contains(&c)
        || (0xA0..=0xD7FF).contains(&c)
        || ((0xE000..=0xFFFD).contains(&c) && c != 0xFEFF)
}

struct Analysis {
    multiline: bool,
    block_plain: bool,
    single_quoted: bool,
}

/// yaml.v3's `yaml_emitter_analyze_scalar`, for block context.
fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            multiline: false,
            block_plain: true,
            single_quoted: true,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let (mut line_breaks, mut special, mut tabs) = (false, false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    let mut preceded_by_ws = true;
    let blank = |c: char| {
        c == ' '
            || c == '\t'
            || c == '\n'
            || c == '\r'
            || c == '\u{85}'
            || c == '\u{2028}'
            || c == '\u{2029}'
    };
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_ws = i + 1 >= chars.len() || blank(chars[i + 1]);
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' if followed_by_ws => block_indicators = true,
                '-' if followed_by_ws => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_ws => block_indicators = true,
                '#' if preceded_by_ws => block_indicators = true,
                _ => {}
            }
        }
        let is_break =
            c == '\n' || c == '\r' || c == '\u{85}' || c == '\u{2028}' || c == '\u{2029}';
        if c == '\t' {
            tabs = true;
        } else if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= i + 1 == chars.len();
            break_space |= prev_break;
            prev_space = true;
            prev_break = false;
        } else if is_break {
            line_breaks = true;
            leading_break |= i == 0;
            trailing_break |= i + 1 == chars.len();
            space_break |= prev_space;
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = blank(c);
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain: true,
        single_quoted: true,
    };
    if leading_space
        || leading_break
        || trailing_space
        || trailing_break
        || line_breaks
        || block_indicators
    {
        a.block_plain = false;
    }
    if break_space || space_break || tabs || special {
        a.block_plain = false;
        a.single_quoted = false;
    }
    a
}

/// A single-line string as yaml.v3 writes it, as a mapping key (`is_key`) or a value.
pub(crate) fn scalar(s: &str, is_key: bool) -> String {
    let resolves_to_other = !matches!(resolve_plain(s, None), Ok(Value::Str(_)));
    let can_use_plain = !resolves_to_other && !is_base60_float(s) && !is_old_bool(s);
    let a = analyze(s);
    let double = |s: &str| double_quoted(s);
    if is_key && a.multiline {
        return double(s);
    }
    if can_use_plain && a.block_plain && !(s.is_empty() && is_key) {
        return s.to_owned();
    }
    if can_use_plain && a.single_quoted {
        return format!("'{}'", s.replace('\'', "''"));
    }
    double(s)
}

/// yaml.v3's double-quoted style (unicode printable characters kept as they are).
pub(crate) fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '\u{85}' => out.push_str("\\N"),
            '\u{a0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            '\u{feff}' => out.push_str("\\uFEFF"),
            c if !is_printable(c) => {
                let v = c as u32;
                if v <= 0xFF {
                    out.push_str(&format!("\\x{v:02X}"));
                } else if v <= 0xFFFF {
                    out.push_str(&format!("\\u{v:04X}"));
                } else {
                    out.push_str(&format!("\\U{v:08X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_styles_match_yaml_v3() {
        for (input, want) in [
            ("plain", "plain"),
            ("cloudflare_api_token", "cloudflare_api_token"),
            ("yes", "\"yes\""),
            ("n", "\"n\""),
            ("null", "\"null\""),
            ("true", "\"true\""),
            ("1.5", "\"1.5\""),
            ("0755", "\"0755\""),
            ("2024-01-01", "\"2024-01-01\""),
            ("~", "\"~\""),
            ("", "\"\""),
            ("a\tb", "\"a\\tb\""),
            ("a: b", "'a: b'"),
            ("a #b", "'a #b'"),
            (" lead", "' lead'"),
            ("*x", "'*x'"),
            ("- x", "'- x'"),
            ("é", "é"),
            ("日本", "日本"),
            ("1:20", "\"1:20\""),
            ("^(data|stringData)$", "^(data|stringData)$"),
            (
                "ssh-ed25519 AAAAC3Nza user@host",
                "ssh-ed25519 AAAAC3Nza user@host",
            ),
            (
                "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]",
                "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]",
            ),
        ] {
            assert_eq!(scalar(input, false), want, "{input:?}");
        }
        assert_eq!(scalar("123", true), "\"123\"");
        assert_eq!(scalar("key with: colon", true), "'key with: colon'");
        assert_eq!(scalar("😀", false), "\"\\U0001F600\"");
    }

    #[test]
    fn layout_matches_sops_at_indent_4_and_2() {
        let enc = "-----BEGIN AGE ENCRYPTED FILE-----\nAAAA\n-----END AGE ENCRYPTED FILE-----\n";
        let doc = vec![
            (
                "a".to_owned(),
                YNode::Map(vec![("b".into(), YNode::Str("x".into()))]),
            ),
            (
                "sops".to_owned(),
                YNode::Map(vec![
                    (
                        "age".into(),
                        YNode::Seq(vec![YNode::Map(vec![
                            ("recipient".into(), YNode::Str("age1x".into())),
                            ("enc".into(), YNode::Str(enc.into())),
                        ])]),
                    ),
                    (
                        "lastmodified".into(),
                        YNode::Str("2026-11-22T04:48:54Z".into()),
                    ),
                ]),
            ),
        ];
        assert_eq!(
            document(&doc, 4),
            "a:\n    b: x\nsops:\n    age:\n        - recipient: age1x\n          enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n            AAAA\n            -----END AGE ENCRYPTED FILE-----\n    lastmodified: \"2026-11-22T04:48:54Z\"\n"
        );
        assert_eq!(
            document(&doc, 2),
            "a:\n  b: x\nsops:\n  age:\n    - recipient: age1x\n      enc: |\n        -----BEGIN AGE ENCRYPTED FILE-----\n        AAAA\n        -----END AGE ENCRYPTED FILE-----\n  lastmodified: \"2026-11-22T04:48:54Z\"\n"
        );
        let groups = vec![(
            "key_groups".to_owned(),
            YNode::Seq(vec![YNode::Map(vec![
                ("hc_vault".into(), YNode::Seq(vec![])),
                (
                    "age".into(),
                    YNode::Seq(vec![YNode::Map(vec![(
                        "enc".into(),
                        YNode::Str(enc.into()),
                    )])]),
                ),
            ])]),
        )];
        assert_eq!(
            map_lines(&groups, 4, 4),
            "    key_groups:\n        - hc_vault: []\n          age:\n            - enc: |\n                -----BEGIN AGE ENCRYPTED FILE-----\n                AAAA\n                -----END AGE ENCRYPTED FILE-----\n"
        );
    }
}
