//! The JSON store: a small parser that keeps byte positions, and Go-compatible string output.
//!
//! sops reads JSON with Go's `encoding/json` token stream: key order and duplicate keys are kept,
//! numbers are float64 up to sops 3.13.1 (so `42` is hashed as `42` and typed `float`) while 3.13.2
//! keeps integers that fit int64 as ints (getsops/sops#2222: `9007199254740993` is hashed as
//! written, not rounded), and the top level must be an object. [`parse`] reads numbers the first
//! way, [`parse_ints`] the second; the file's MAC tells which sops wrote it. A general JSON
//! library would lose positions or duplicates, hence this parser.

use crate::sops::tree::{Document, Entry, Map, MapItem, Node, Scalar, Seq, SeqItem, Span};
use crate::sops::value::Value;

/// What is wrong with a JSON text, and where (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JsonError {
    /// 1-based line.
    pub(crate) line: usize,
    /// 1-based column.
    pub(crate) col: usize,
    /// What is wrong.
    pub(crate) message: String,
}

/// Parses a JSON text whose top level is an object, every number a float (sops ≤ 3.13.1).
pub(crate) fn parse(src: &str) -> Result<Document, JsonError> {
    parse_with(src, false)
}

/// Parses as sops ≥ 3.13.2 does: an integer literal that fits int64 is an int, as Go's
/// `json.Number.Int64` decides (`-0` included); anything else is a float.
pub(crate) fn parse_ints(src: &str) -> Result<Document, JsonError> {
    parse_with(src, true)
}

fn parse_with(src: &str, ints: bool) -> Result<Document, JsonError> {
    let mut p = P {
        src,
        b: src.as_bytes(),
        i: 0,
        ints,
    };
    if src.starts_with('\u{feff}') {
        return Err(p.err(
            "the file starts with a UTF-8 byte order mark (BOM), which JSON does not allow and sops refuses too; remove it (e.g. `sed -i '1s/^\\xEF\\xBB\\xBF//' FILE`)",
        ));
    }
    p.ws();
    if p.peek() != Some(b'{') {
        return Err(p.err(if p.peek().is_none() {
            "the file is empty"
        } else {
            "the top level is not a JSON object"
        }));
    }
    let Node::Map(root) = p.value(0)? else {
        unreachable!("an object parses to a map")
    };
    p.ws();
    if p.i != p.b.len() {
        return Err(p.err("unexpected text after the top-level object"));
    }
    // Two metadata blocks: which one is the file's? sops refuses such a file (it fails to load
    // it); so does cfsecret, rather than pick one.
    let sops_keys: Vec<usize> = root
        .entries()
        .filter(|e| e.key == "sops")
        .map(|e| e.key_span.start)
        .collect();
    if let [first, second, ..] = sops_keys[..] {
        let (first_line, _) = crate::sops::yaml::positions::line_col(src, first);
        p.i = second;
        return Err(p.err(&format!(
            "the top-level object has a second `sops` member (the first is on line {first_line}); a file has one metadata block"
        )));
    }
    Ok(Document { root })
}

struct P<'a> {
    src: &'a str,
    b: &'a [u8],
    i: usize,
    /// Integers that fit int64 are ints (sops ≥ 3.13.2).
    ints: bool,
}

impl P<'_> {
    fn err(&self, message: &str) -> JsonError {
        let (line, col) = crate::sops::yaml::positions::line_col(self.src, self.i);
        JsonError {
            line,
            col,
            message: message.to_owned(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn expect(&mut self, c: u8, what: &str) -> Result<(), JsonError> {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected {what}")))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, JsonError> {
        if depth > 512 {
            return Err(self.err("nesting is too deep"));
        }
        self.ws();
        let start = self.i;
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => {
                let s = self.string()?;
                Ok(Node::Scalar(Scalar::new(
                    Value::Str(s),
                    Span::new(start, self.i),
                )))
            }
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("unexpected character")),
            None => Err(self.err("unexpected end of file")),
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Node, JsonError> {
        let start = self.i;
        if self.src[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(Node::Scalar(Scalar::new(value, Span::new(start, self.i))))
        } else {
            Err(self.err("unexpected word"))
        }
    }

    fn number(&mut self) -> Result<Node, JsonError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let digits = |p: &mut Self| {
            let s = p.i;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.i += 1;
            }
            p.i > s
        };
        if !digits(self) {
            return Err(self.err("invalid number"));
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !digits(self) {
                return Err(self.err("invalid number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !digits(self) {
                return Err(self.err("invalid number"));
            }
        }
        let text = &self.src[start..self.i];
        if self.ints
            && let Ok(i) = text.parse::<i64>()
        {
            return Ok(Node::Scalar(Scalar::new(
                Value::Int(i),
                Span::new(start, self.i),
            )));
        }
        let f: f64 = text.parse().map_err(|_| self.err("invalid number"))?;
        if !f.is_finite() {
            return Err(self.err("number out of range"));
        }
        Ok(Node::Scalar(Scalar::new(
            Value::Float(f),
            Span::new(start, self.i),
        )))
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.i += 1; // opening quote
        let mut out = String::new();
        loop {
            let run_start = self.i;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.i += 1;
            }
            out.push_str(&self.src[run_start..self.i]);
            match self.peek() {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = self.peek().ok_or_else(|| self.err("unterminated string"))?;
                    self.i += 1;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => return Err(self.err("invalid escape")),
                    }
                }
                Some(_) => return Err(self.err("control character in string")),
                None => return Err(self.err("unterminated string")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let h = self
            .src
            .get(self.i..self.i + 4)
            .ok_or_else(|| self.err("invalid \\u escape"))?;
        let v = u32::from_str_radix(h, 16).map_err(|_| self.err("invalid \\u escape"))?;
        self.i += 4;
        Ok(v)
    }

    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let hi = self.hex4()?;
        if (0xD800..0xDC00).contains(&hi) && self.src[self.i..].starts_with("\\u") {
            let save = self.i;
            self.i += 2;
            let lo = self.hex4()?;
            if (0xDC00..0xE000).contains(&lo) {
                let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                return Ok(char::from_u32(c).unwrap_or('\u{FFFD}'));
            }
            self.i = save;
        }
        // Go replaces an unpaired surrogate with U+FFFD.
        Ok(char::from_u32(hi).unwrap_or('\u{FFFD}'))
    }

    fn object(&mut self, depth: usize) -> Result<Node, JsonError> {
        let start = self.i;
        self.i += 1;
        let mut map = Map {
            flow: true,
            ..Map::default()
        };
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            map.span = Span::new(start, self.i);
            map.append_at = self.i - 1;
            return Ok(Node::Map(map));
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a string key"));
            }
            let key_start = self.i;
            if map.indent.is_none() {
                map.indent = Some(crate::sops::yaml::positions::column(self.src, key_start));
            }
            let key = self.string()?;
            let key_span = Span::new(key_start, self.i);
            self.expect(b':', "`:` after the key")?;
            let value = self.value(depth + 1)?;
            map.items.push(MapItem::Entry(Entry {
                key,
                key_span,
                value,
            }));
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    break;
                }
                _ => return Err(self.err("expected `,` or `}`")),
            }
        }
        map.span = Span::new(start, self.i);
        // A new member goes right after the last one's value.
        map.append_at = match map.items.last() {
            Some(MapItem::Entry(e)) => crate::sops::yaml::positions::node_end(&e.value),
            _ => self.i - 1,
        };
        Ok(Node::Map(map))
    }

    fn array(&mut self, depth: usize) -> Result<Node, JsonError> {
        let start = self.i;
        self.i += 1;
        let mut seq = Seq {
            flow: true,
            ..Seq::default()
        };
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
        } else {
            loop {
                let v = self.value(depth + 1)?;
                seq.items.push(SeqItem::Node(v));
                self.ws();
                match self.peek() {
                    Some(b',') => self.i += 1,
                    Some(b']') => {
                        self.i += 1;
                        break;
                    }
                    _ => return Err(self.err("expected `,` or `]`")),
                }
            }
        }
        seq.span = Span::new(start, self.i);
        Ok(Node::Seq(seq))
    }
}

/// A string as Go's `json.Marshal` writes it: HTML-escaped (`<`, `>`, `&`), U+2028/U+2029
/// escaped, `\n`/`\r`/`\t` short escapes, other control characters as `\u00XX`.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
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
    fn parses_with_positions_duplicates_and_floats() {
        let src = "{\n\t\"a\": 42,\n\t\"a\": \"x\\u00e9\",\n\t\"n\": {\"b\": [1, true, null]}\n}\n";
        let doc = parse(src).unwrap();
        let keys: Vec<_> = doc.root.entries().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["a", "a", "n"]);
        let first = doc.root.entries().next().unwrap();
        let Node::Scalar(s) = &first.value else {
            panic!()
        };
        assert!(s.value == Value::Float(42.0));
        assert_eq!(&src[s.span.start..s.span.end], "42");
        assert_eq!(doc.root.indent, Some(1));
        assert_eq!(&src[doc.root.append_at..], "\n}\n");
    }

    #[test]
    fn integers_that_fit_int64_are_ints_for_sops_3_13_2() {
        // The literals of sops v3.13.2's stores/json/store_test.go (TestIntegerBoundaries,
        // TestLargeIntegerRoundtrip), plus the first ones past int64 and past float precision.
        let src = "{\"a\": -9223372036854775808, \"b\": 9223372036854775807, \"c\": 1234567890123456789, \"d\": 0, \"e\": 9223372036854775808, \"f\": 1.0, \"g\": 1e3, \"h\": -0}";
        let values = |doc: Document| -> Vec<Value> {
            doc.root
                .entries()
                .map(|e| match &e.value {
                    Node::Scalar(s) => s.value.clone(),
                    _ => panic!(),
                })
                .collect()
        };
        let ints = values(parse_ints(src).unwrap());
        assert!(
            ints[..4]
                == [
                    Value::Int(i64::MIN),
                    Value::Int(i64::MAX),
                    Value::Int(1234567890123456789),
                    Value::Int(0)
                ]
        );
        assert!(
            ints[4..7]
                == [
                    Value::Float(9223372036854775808.0),
                    Value::Float(1.0),
                    Value::Float(1000.0)
                ]
        );
        assert!(ints[7] == Value::Int(0), "Go's ParseInt reads -0 as 0");
        let floats = values(parse(src).unwrap());
        assert!(floats.iter().all(|v| matches!(v, Value::Float(_))));
    }

    #[test]
    fn refuses_non_objects_and_garbage() {
        assert!(parse("[1]").is_err());
        assert!(parse("").is_err());
        assert!(parse("{\"a\": }").is_err());
        assert!(parse("{\"a\": 1} x").is_err());
        assert_eq!(parse("{\n\"a\": tru}").unwrap_err().line, 2);
    }

    #[test]
    fn quotes_like_go() {
        assert_eq!(quote("a<b>&c"), r#""a\u003cb\u003e\u0026c""#);
        assert_eq!(quote("é\n\u{1}"), r#""é\n\u0001""#);
        assert_eq!(quote("\u{2028}"), r#""\u2028""#);
    }
}
