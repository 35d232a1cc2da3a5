//! Typed leaf values and their canonical bytes, as sops's `ToBytes` produces them.
//!
//! The MAC hashes the *re-serialised* typed value, not the decrypted bytes: a `type:int`
//! ciphertext of `+42` hashes as `42`, a YAML `1.50` as `1.5`, a bool as `True`/`False`. So every
//! leaf, encrypted or not, is turned into a [`Value`] first and hashed through [`Value::to_bytes`].

use zeroize::Zeroizing;

use super::gotime::GoTime;

/// A leaf value of the sops tree.
///
/// Deliberately no `Debug` derive: values are decrypted plaintext. The manual impl prints the
/// type only.
#[derive(Clone, PartialEq)]
pub(crate) enum Value {
    /// YAML null, `~` or an empty value: never encrypted, never hashed.
    Null,
    /// A string (`type:str`).
    Str(String),
    /// A 64-bit integer (`type:int`).
    Int(i64),
    /// A float (`type:float`).
    Float(f64),
    /// A bool (`type:bool`).
    Bool(bool),
    /// A timestamp (`type:time`).
    Time(GoTime),
    /// Raw bytes (`type:bytes`, decrypt only).
    Bytes(Vec<u8>),
    /// A comment (`type:comment`): the text after `#`, leading space included.
    Comment(String),
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Value::{}(<redacted>)", self.type_name())
    }
}

impl Drop for Value {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        match self {
            Value::Str(s) | Value::Comment(s) => s.zeroize(),
            Value::Bytes(b) => b.zeroize(),
            _ => {}
        }
    }
}

impl Value {
    /// The `type:` tag sops writes for this value.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Str(_) => "str",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Bool(_) => "bool",
            Value::Time(_) => "time",
            Value::Bytes(_) => "bytes",
            Value::Comment(_) => "comment",
        }
    }

    /// The canonical bytes: what gets encrypted, and what the MAC hashes.
    pub(crate) fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(match self {
            Value::Null => Vec::new(),
            Value::Str(s) | Value::Comment(s) => s.as_bytes().to_vec(),
            Value::Int(i) => i.to_string().into_bytes(),
            Value::Float(f) => format_go_float(*f).into_bytes(),
            Value::Bool(true) => b"True".to_vec(),
            Value::Bool(false) => b"False".to_vec(),
            Value::Time(t) => t.format_rfc3339_nano().into_bytes(),
            Value::Bytes(b) => b.clone(),
        })
    }

    /// Parses decrypted bytes by their `type:` tag, as sops's cipher does (`strconv.Atoi`,
    /// `ParseFloat`, `ParseBool`, `time.UnmarshalText`).
    pub(crate) fn from_typed_bytes(type_name: &str, bytes: &[u8]) -> Result<Self, TypeError> {
        let text = || std::str::from_utf8(bytes).map_err(|_| TypeError::NotUtf8);
        Ok(match type_name {
            "str" => Value::Str(text()?.to_owned()),
            "comment" => Value::Comment(text()?.to_owned()),
            "bytes" => Value::Bytes(bytes.to_vec()),
            "int" => Value::Int(parse_go_atoi(text()?).ok_or(TypeError::Invalid("int"))?),
            "float" => Value::Float(parse_go_float(text()?).ok_or(TypeError::Invalid("float"))?),
            "bool" => Value::Bool(parse_go_bool(text()?).ok_or(TypeError::Invalid("bool"))?),
            "time" => {
                Value::Time(GoTime::parse_rfc3339(text()?).ok_or(TypeError::Invalid("time"))?)
            }
            other => return Err(TypeError::Unknown(other.to_owned())),
        })
    }
}

/// Why decrypted bytes could not be read as their declared type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TypeError {
    /// The `type:` tag is not one sops knows.
    Unknown(String),
    /// The plaintext does not parse as the declared type.
    Invalid(&'static str),
    /// The plaintext of a text type is not UTF-8.
    NotUtf8,
}

impl std::fmt::Display for TypeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TypeError::Unknown(t) => write!(f, "unknown datatype `{t}`"),
            TypeError::Invalid(t) => write!(f, "the decrypted value is not a valid {t}"),
            TypeError::NotUtf8 => f.write_str("the decrypted value is not UTF-8 text"),
        }
    }
}

/// Go's `strconv.FormatFloat(f, 'f', -1, 64)`: shortest round-trip digits, never an exponent.
/// Rust's `Display` for `f64` is the same except for the infinities.
pub(crate) fn format_go_float(f: f64) -> String {
    if f == f64::INFINITY {
        "+Inf".to_owned()
    } else if f == f64::NEG_INFINITY {
        "-Inf".to_owned()
    } else if f.is_nan() {
        "NaN".to_owned()
    } else {
        f.to_string()
    }
}

/// How `sops decrypt --extract` prints a non-string value of a YAML file (yaml.v3's encoder,
/// without the document's final newline): `true`, `5`, `1.5`, `1e+10`, `.nan`, `-.inf`, times in
/// RFC 3339. Strings are printed as they are by the caller.
pub(crate) fn yaml_text(v: &Value) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(match v {
        Value::Bool(b) => b.to_string().into_bytes(),
        Value::Float(f) if f.is_nan() => b".nan".to_vec(),
        Value::Float(f) if f.is_infinite() => {
            if *f > 0.0 {
                b".inf".to_vec()
            } else {
                b"-.inf".to_vec()
            }
        }
        // yaml.v3: strconv.FormatFloat(f, 'g', -1, 64), which switches to an exponent below
        // 1e-4 and from 1e+06 on ("shortest" uses precision 6 for that choice).
        Value::Float(f) => go_float_exp_outside(*f, -4, 6).into_bytes(),
        other => other.to_bytes().to_vec(),
    })
}

/// How `sops decrypt --extract` prints a non-string value of a JSON file (Go's encoding/json):
/// `true`, `5`, `10000000000`, `1e+21`, `1e-7`.
pub(crate) fn json_text(v: &Value) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(match v {
        Value::Bool(b) => b.to_string().into_bytes(),
        Value::Float(f) if f.is_finite() && *f != 0.0 && (f.abs() < 1e-6 || f.abs() >= 1e21) => {
            // encoding/json: 'e' format, then `e-07` shortened to `e-7`.
            let s = go_float_exp_outside(*f, i32::MAX, i32::MIN);
            match s.find("e-0") {
                Some(i) if s.len() == i + 4 => format!("{}e-{}", &s[..i], &s[i + 3..]),
                _ => s,
            }
            .into_bytes()
        }
        other => other.to_bytes().to_vec(),
    })
}

/// A finite float in Go's shortest form: exponent form (`1.5e+10`, `1e-05`: two exponent digits
/// at least) when the decimal exponent is below `lo` or at least `hi`, else plain decimals.
fn go_float_exp_outside(f: f64, lo: i32, hi: i32) -> String {
    // Rust's `{:e}` is the shortest round-trip mantissa with its exponent: `1.23456789e8`.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if f != 0.0 && (exp < lo || exp >= hi) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
    } else {
        f.to_string()
    }
}

/// Go's `strconv.Atoi`: optional sign, decimal digits, 64-bit range.
pub(crate) fn parse_go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Go's `strconv.ParseFloat(s, 64)` for the inputs sops can meet: decimal and exponent forms,
/// `Inf`/`Infinity`/`NaN` in any case with an optional sign. Out-of-range values are errors in
/// Go (`ErrRange`), so an overflow to infinity is rejected here too.
pub(crate) fn parse_go_float(s: &str) -> Option<f64> {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s).to_ascii_lowercase();
    if matches!(unsigned.as_str(), "inf" | "infinity" | "nan") {
        return s.parse().ok();
    }
    if unsigned.is_empty()
        || !unsigned
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-'))
    {
        return None;
    }
    let f: f64 = s.parse().ok()?;
    f.is_finite().then_some(f)
}

/// Go's `strconv.ParseBool`.
pub(crate) fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(v: Value) -> String {
        String::from_utf8(v.to_bytes().to_vec()).unwrap()
    }

    #[test]
    fn canonical_bytes_match_sops() {
        assert_eq!(bytes(Value::Int(-7)), "-7");
        assert_eq!(bytes(Value::Float(3.25)), "3.25");
        assert_eq!(bytes(Value::Float(1.0)), "1");
        assert_eq!(bytes(Value::Float(1e10)), "10000000000");
        assert_eq!(bytes(Value::Float(1e21)), "1000000000000000000000");
        assert_eq!(bytes(Value::Float(1e-7)), "0.0000001");
        assert_eq!(bytes(Value::Float(-0.0)), "-0");
        assert_eq!(bytes(Value::Float(f64::INFINITY)), "+Inf");
        assert_eq!(bytes(Value::Float(f64::NAN)), "NaN");
        assert_eq!(bytes(Value::Bool(true)), "True");
        assert_eq!(bytes(Value::Bool(false)), "False");
        assert_eq!(bytes(Value::Comment(" top".into())), " top");
    }

    #[test]
    fn typed_parsing_is_canonicalised() {
        assert_eq!(bytes(Value::from_typed_bytes("int", b"+42").unwrap()), "42");
        assert_eq!(
            bytes(Value::from_typed_bytes("bool", b"1").unwrap()),
            "True"
        );
        assert_eq!(
            bytes(Value::from_typed_bytes("float", b"1.50").unwrap()),
            "1.5"
        );
        assert_eq!(
            bytes(Value::from_typed_bytes("time", b"2024-01-02T00:00:00Z").unwrap()),
            "2024-01-02T00:00:00Z"
        );
        assert_eq!(
            Value::from_typed_bytes("integer", b"1"),
            Err(TypeError::Unknown("integer".into()))
        );
        assert!(Value::from_typed_bytes("int", b"4_2").is_err());
        assert!(Value::from_typed_bytes("float", b"1e400").is_err());
        assert!(Value::from_typed_bytes("bool", b"yes").is_err());
    }

    #[test]
    fn printed_forms_match_sops_extract() {
        // Observed with `sops decrypt --extract` (3.11) on YAML and JSON files.
        let y = |v: Value| String::from_utf8(yaml_text(&v).to_vec()).unwrap();
        assert_eq!(y(Value::Bool(true)), "true");
        assert_eq!(y(Value::Float(f64::NAN)), ".nan");
        assert_eq!(y(Value::Float(f64::INFINITY)), ".inf");
        assert_eq!(y(Value::Float(f64::NEG_INFINITY)), "-.inf");
        assert_eq!(y(Value::Float(1e10)), "1e+10");
        assert_eq!(y(Value::Float(1e21)), "1e+21");
        assert_eq!(y(Value::Float(1e-7)), "1e-07");
        assert_eq!(y(Value::Float(1e-5)), "1e-05");
        assert_eq!(y(Value::Float(1e-4)), "0.0001");
        assert_eq!(y(Value::Float(123456789.0)), "1.23456789e+08");
        assert_eq!(y(Value::Float(100000.0)), "100000");
        assert_eq!(y(Value::Float(1e6)), "1e+06");
        assert_eq!(y(Value::Float(1.0)), "1");
        assert_eq!(y(Value::Float(-0.0)), "-0");
        assert_eq!(y(Value::Float(1.5)), "1.5");
        assert_eq!(y(Value::Int(5)), "5");
        let j = |v: Value| String::from_utf8(json_text(&v).to_vec()).unwrap();
        assert_eq!(j(Value::Bool(false)), "false");
        assert_eq!(j(Value::Float(1e10)), "10000000000");
        assert_eq!(j(Value::Float(123456789.0)), "123456789");
        assert_eq!(j(Value::Float(1e21)), "1e+21");
        assert_eq!(j(Value::Float(1e-7)), "1e-7");
        assert_eq!(j(Value::Float(-0.0)), "-0");
        assert_eq!(j(Value::Float(1.0)), "1");
    }

    #[test]
    fn debug_never_shows_the_value() {
        let v = Value::Str("canary-secret".into());
        assert_eq!(format!("{v:?}"), "Value::str(<redacted>)");
    }
}
