//! Plain-scalar typing exactly as go-yaml v3's `resolve` does it, since sops decodes YAML with
//! that library and hashes unencrypted values by their type (`0x1F` is the int 31, `1.50` the
//! float 1.5, `yes` a string, `0755` the int 493, `09` the float 9).

use base64::Engine as _;

use crate::sops::gotime::GoTime;
use crate::sops::value::Value;

/// A scalar that cannot be typed the way sops would type it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ResolveError {
    /// An integer beyond the signed 64-bit range (sops: "unknown type: uint64").
    TooLarge,
    /// An explicit tag the text does not satisfy (`!!int abc`).
    BadTag(String),
}

/// yaml.v3's float syntax, `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`, matched by
/// hand: every sops file has a `version: 3.x.y` that gets here, and compiling the expression
/// cost each run more than typing every other scalar of a small file (the regex crate also reads
/// the cgroup files to size its cache pool). A test checks it against the expression.
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// The YAML core-schema tags sops may meet, short form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CoreTag {
    /// `!!str`
    Str,
    /// `!!int`
    Int,
    /// `!!float`
    Float,
    /// `!!bool`
    Bool,
    /// `!!null`
    Null,
    /// `!!timestamp`
    Timestamp,
    /// `!!binary`
    Binary,
}

impl CoreTag {
    /// The core tag for a full tag (`tag:yaml.org,2002:int`), if it is one.
    pub(crate) fn from_suffix(suffix: &str) -> Option<Self> {
        Some(match suffix {
            "str" => Self::Str,
            "int" => Self::Int,
            "float" => Self::Float,
            "bool" => Self::Bool,
            "null" => Self::Null,
            "timestamp" => Self::Timestamp,
            "binary" => Self::Binary,
            _ => return None,
        })
    }
}

/// Types a plain (unquoted) scalar with no tag, or with a core tag.
pub(crate) fn resolve_plain(text: &str, tag: Option<CoreTag>) -> Result<Value, ResolveError> {
    match tag {
        Some(CoreTag::Str) => return Ok(Value::Str(text.to_owned())),
        Some(CoreTag::Binary) => return Ok(decode_binary(text)),
        _ => {}
    }
    let resolved = resolve_untagged(text, tag)?;
    match (tag, &resolved) {
        (None, _)
        | (Some(CoreTag::Int), Value::Int(_))
        | (Some(CoreTag::Float), Value::Float(_))
        | (Some(CoreTag::Bool), Value::Bool(_))
        | (Some(CoreTag::Null), Value::Null)
        | (Some(CoreTag::Timestamp), Value::Time(_)) => Ok(resolved),
        // yaml.v3 turns an int into a float when the tag asks for one.
        (Some(CoreTag::Float), Value::Int(i)) => Ok(Value::Float(*i as f64)),
        (Some(t), _) => Err(ResolveError::BadTag(format!("{t:?}").to_lowercase())),
    }
}

/// `!!binary`: base64 (line breaks allowed) decoded to a string, as yaml.v3 does.
fn decode_binary(text: &str) -> Value {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    match base64::engine::general_purpose::STANDARD.decode(compact) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(s) => Value::Str(s),
            Err(e) => Value::Bytes(e.into_bytes()),
        },
        Err(_) => Value::Str(text.to_owned()),
    }
}

fn resolve_untagged(text: &str, tag: Option<CoreTag>) -> Result<Value, ResolveError> {
    match text {
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        ".nan" | ".NaN" | ".NAN" => return Ok(Value::Float(f64::NAN)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Ok(Value::Float(f64::INFINITY));
        }
        "-.inf" | "-.Inf" | "-.INF" => return Ok(Value::Float(f64::NEG_INFINITY)),
        _ => {}
    }
    let first = text.as_bytes()[0];
    match first {
        b'.' => Ok(text
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map_or_else(|| Value::Str(text.to_owned()), Value::Float)),
        b'0'..=b'9' | b'+' | b'-' => resolve_number(text, tag),
        _ => Ok(Value::Str(text.to_owned())),
    }
}

fn resolve_number(text: &str, tag: Option<CoreTag>) -> Result<Value, ResolveError> {
    if matches!(tag, None | Some(CoreTag::Timestamp))
        && let Some(t) = GoTime::parse_yaml_timestamp(text)
    {
        return Ok(Value::Time(t));
    }
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    match go_parse_int_base0(&plain) {
        IntParse::Ok(i) => return Ok(Value::Int(i)),
        IntParse::TooLarge => return Err(ResolveError::TooLarge),
        IntParse::Invalid => {}
    }
    if is_yaml_style_float(&plain)
        && let Ok(f) = plain.parse::<f64>()
        && f.is_finite()
    {
        return Ok(Value::Float(f));
    }
    // yaml.v3 also tries `0b`/`0o` forms explicitly, signed ones included; Go's base-0
    // ParseInt above already accepts all of them.
    Ok(Value::Str(text.to_owned()))
}

enum IntParse {
    Ok(i64),
    TooLarge,
    Invalid,
}

/// Go's `strconv.ParseInt(s, 0, 64)` followed by `ParseUint(s, 0, 64)`: optional sign, then
/// `0x`/`0o`/`0b` prefixes or a leading `0` for octal. A value that only fits in a `u64` is
/// "too large" for sops.
fn go_parse_int_base0(s: &str) -> IntParse {
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(d) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        (16, d)
    } else if let Some(d) = body.strip_prefix("0o").or(body.strip_prefix("0O")) {
        (8, d)
    } else if let Some(d) = body.strip_prefix("0b").or(body.strip_prefix("0B")) {
        (2, d)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return IntParse::Invalid;
    }
    match u64::from_str_radix(digits, radix) {
        Ok(mag) if negative => {
            if mag <= i64::MAX as u64 + 1 {
                IntParse::Ok((mag as i64).wrapping_neg())
            } else {
                IntParse::Invalid
            }
        }
        Ok(mag) => i64::try_from(mag).map_or(IntParse::TooLarge, IntParse::Ok),
        Err(_) => IntParse::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> String {
        let v = resolve_plain(s, None).unwrap();
        format!(
            "{}:{}",
            v.type_name(),
            String::from_utf8_lossy(&v.to_bytes())
        )
    }

    #[test]
    fn resolves_like_yaml_v3() {
        assert_eq!(r("hello"), "str:hello");
        assert_eq!(r("yes"), "str:yes");
        assert_eq!(r("true"), "bool:True");
        assert_eq!(r("FALSE"), "bool:False");
        assert_eq!(r("~"), "null:");
        assert_eq!(r("42"), "int:42");
        assert_eq!(r("-7"), "int:-7");
        assert_eq!(r("+42"), "int:42");
        assert_eq!(r("0x1F"), "int:31");
        assert_eq!(r("0o17"), "int:15");
        assert_eq!(r("0b101"), "int:5");
        assert_eq!(r("-0b101"), "int:-5");
        assert_eq!(r("0755"), "int:493");
        assert_eq!(r("09"), "float:9");
        assert_eq!(r("1_000"), "int:1000");
        assert_eq!(r("1.50"), "float:1.5");
        assert_eq!(r("1.0"), "float:1");
        assert_eq!(r("1e10"), "float:10000000000");
        assert_eq!(r(".5"), "float:0.5");
        assert_eq!(r(".inf"), "float:+Inf");
        assert_eq!(r("-.inf"), "float:-Inf");
        assert_eq!(r("2024-01-02"), "time:2024-01-02T00:00:00Z");
        assert_eq!(r("1.2.3"), "str:1.2.3");
        assert_eq!(r("-"), "str:-");
        assert_eq!(r("ENC[AES256_GCM,data:x]"), "str:ENC[AES256_GCM,data:x]");
    }

    #[test]
    fn integers_beyond_i64_are_refused_like_sops() {
        assert_eq!(
            resolve_plain("18446744073709551615", None),
            Err(ResolveError::TooLarge)
        );
        assert_eq!(r("-9223372036854775808"), "int:-9223372036854775808");
    }

    #[test]
    fn tags_decide_or_fail() {
        let v = resolve_plain("123", Some(CoreTag::Str)).unwrap();
        assert_eq!(v.type_name(), "str");
        let v = resolve_plain("2", Some(CoreTag::Float)).unwrap();
        assert_eq!(v.type_name(), "float");
        let v = resolve_plain("aGVsbG8=", Some(CoreTag::Binary)).unwrap();
        assert!(v == Value::Str("hello".into()));
        assert!(resolve_plain("abc", Some(CoreTag::Int)).is_err());
    }

    /// The hand-written float syntax accepts exactly what yaml.v3's expression accepts: every
    /// text of up to six characters over the characters that matter, and a few longer ones.
    #[test]
    fn float_syntax_matches_the_expression() {
        let re =
            regex::Regex::new(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$").unwrap();
        let alphabet = ['+', '-', '.', 'e', 'E', '0', '7', '_', 'é'];
        let mut texts = vec![String::new()];
        let mut matched = 0;
        for _ in 0..6 {
            texts = texts
                .iter()
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            for t in &texts {
                assert_eq!(is_yaml_style_float(t), re.is_match(t), "{t:?}");
                matched += usize::from(re.is_match(t));
            }
        }
        assert!(matched > 1000, "{matched}");
        for t in [
            "3.11.0",
            "1.5e+10",
            "-.5E-3",
            "0755.",
            "12345678901234567890.5",
            "1e5\n",
            " 1",
        ] {
            assert_eq!(is_yaml_style_float(t), re.is_match(t), "{t:?}");
        }
    }
}
