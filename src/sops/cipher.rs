//! The `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]` values: AES-256-GCM under the file's data key.
//!
//! sops uses a 32-byte IV (Go's `NewGCMWithNonceSize(aes, 32)`, i.e. standard GCM with J0 =
//! GHASH(IV)), the key path as additional data, and standard padded base64. Decryption accepts
//! the IV lengths Go accepts in practice (12, 16 and 32 bytes).

use std::sync::LazyLock;

use aes_gcm::aead::generic_array::typenum::{U12, U16, U32};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::aes::Aes256;
use aes_gcm::{AesGcm, Nonce};
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use rand::RngCore;
use zeroize::Zeroizing;

use super::value::{TypeError, Value};

/// The 32-byte data key of a sops file. Zeroized on drop; `Debug` is redacted.
#[derive(Clone)]
pub(crate) struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    /// A fresh random data key, for a new file.
    pub(crate) fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(key.as_mut());
        Self(key)
    }

    /// Takes a decrypted data key; anything but 32 bytes is refused.
    pub(crate) fn from_slice(bytes: &[u8]) -> Option<Self> {
        let arr: [u8; 32] = bytes.try_into().ok()?;
        Some(Self(Zeroizing::new(arr)))
    }

    /// The raw key, for wrapping it to recipients.
    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

/// Why an `ENC[...]` value could not be decrypted. Never carries plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CipherError {
    /// The text is not in sops's `ENC[AES256_GCM,...]` format.
    NotEncrypted,
    /// A base64 field is malformed.
    BadBase64(&'static str),
    /// The IV has a length this implementation cannot use.
    BadIvLength(usize),
    /// Authentication failed: wrong key, tampered data, or the value was moved to another key.
    Authentication,
    /// The plaintext does not match its declared type.
    Type(TypeError),
}

impl std::fmt::Display for CipherError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CipherError::NotEncrypted => {
                f.write_str("the value is not in sops's ENC[AES256_GCM,...] format")
            }
            CipherError::BadBase64(field) => write!(f, "the `{field}` field is not valid base64"),
            CipherError::BadIvLength(n) => {
                write!(f, "the IV has an unsupported length of {n} bytes")
            }
            CipherError::Authentication => f.write_str("AES-GCM authentication failed"),
            CipherError::Type(e) => e.fmt(f),
        }
    }
}

/// The fields of an `ENC[...]` value: data, iv, tag and type, as sops's expression
/// `^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]` captures them.
///
/// The expression is greedy and not anchored at the end, so trailing text after `]` is ignored
/// exactly as sops ignores it. It is matched by hand: a regex capture per value was most of the
/// time it took to open a large file. The equivalence, for leftmost-first greedy matching (Go's
/// regexp and the regex crate alike):
/// - `.` never matches a newline and no literal contains one, so the match lies in the first line;
/// - the greedy groups are filled in order, each as long as it can be while a match remains
///   possible: the type runs to the line's last `]`, and each earlier field ends at the last
///   separator that leaves every later field at least one character.
///
/// A test checks this against the expression itself.
fn enc_fields(text: &str) -> Option<[&str; 4]> {
    /// The largest `k` with `needle` at `k` and `k + needle.len() < limit` (so that the field
    /// after it is not empty).
    fn last_before(hay: &[u8], needle: &[u8], limit: usize) -> Option<usize> {
        let end = limit.checked_sub(1)?;
        hay[..end].windows(needle.len()).rposition(|w| w == needle)
    }
    let rest = text.strip_prefix("ENC[AES256_GCM,data:")?;
    let line = &rest[..rest.find('\n').unwrap_or(rest.len())];
    let b = line.as_bytes();
    let close = b.iter().rposition(|&c| c == b']')?;
    let ty = last_before(b, b",type:", close)?;
    let tag = last_before(b, b",tag:", ty)?;
    let iv = last_before(b, b",iv:", tag)?;
    if iv == 0 {
        return None;
    }
    // Every index is at an ASCII byte, so every slice is at a character boundary.
    Some([
        &line[..iv],
        &line[iv + 4..tag],
        &line[tag + 5..ty],
        &line[ty + 6..close],
    ])
}

/// Go's `base64.StdEncoding`: padded, tolerant of non-zero trailing bits and of line breaks.
static GO_STD_B64: LazyLock<GeneralPurpose> = LazyLock::new(|| {
    GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
    )
});

fn b64_decode(field: &'static str, s: &str) -> Result<Vec<u8>, CipherError> {
    let cleaned: String;
    let s = if s.contains(['\r', '\n']) {
        cleaned = s.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
        &cleaned
    } else {
        s
    };
    GO_STD_B64
        .decode(s)
        .map_err(|_| CipherError::BadBase64(field))
}

fn b64_encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decrypts one value. An empty string is the empty string, as in sops.
pub(crate) fn decrypt(text: &str, key: &DataKey, aad: &str) -> Result<Value, CipherError> {
    if text.is_empty() {
        return Ok(Value::Str(String::new()));
    }
    let [data, iv, tag, type_name] = enc_fields(text).ok_or(CipherError::NotEncrypted)?;
    let mut data = b64_decode("data", data)?;
    let iv = b64_decode("iv", iv)?;
    let tag = b64_decode("tag", tag)?;
    data.extend_from_slice(&tag);
    let payload = Payload {
        msg: &data,
        aad: aad.as_bytes(),
    };
    let key_bytes = key.as_bytes().into();
    let plain = Zeroizing::new(
        match iv.len() {
            32 => AesGcm::<Aes256, U32>::new(key_bytes)
                .decrypt(Nonce::<U32>::from_slice(&iv), payload),
            16 => AesGcm::<Aes256, U16>::new(key_bytes)
                .decrypt(Nonce::<U16>::from_slice(&iv), payload),
            12 => AesGcm::<Aes256, U12>::new(key_bytes)
                .decrypt(Nonce::<U12>::from_slice(&iv), payload),
            n => return Err(CipherError::BadIvLength(n)),
        }
        .map_err(|_| CipherError::Authentication)?,
    );
    Value::from_typed_bytes(type_name, &plain).map_err(CipherError::Type)
}

/// Encrypts one value with a fresh random 32-byte IV. An empty string (or comment) stays empty,
/// as sops leaves it.
pub(crate) fn encrypt(value: &Value, key: &DataKey, aad: &str) -> String {
    let plain = value.to_bytes();
    if plain.is_empty() && matches!(value, Value::Str(_) | Value::Comment(_)) {
        return String::new();
    }
    let mut iv = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut iv);
    let sealed = AesGcm::<Aes256, U32>::new(key.as_bytes().into())
        .encrypt(
            Nonce::<U32>::from_slice(&iv),
            Payload {
                msg: &plain,
                aad: aad.as_bytes(),
            },
        )
        .expect("AES-GCM encryption of an in-memory buffer cannot fail");
    let (data, tag) = sealed.split_at(sealed.len() - 16);
    format!(
        "ENC[AES256_GCM,data:{},iv:{},tag:{},type:{}]",
        b64_encode(data),
        b64_encode(&iv),
        b64_encode(tag),
        value.type_name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> DataKey {
        DataKey::from_slice(&[7u8; 32]).unwrap()
    }

    #[test]
    fn round_trip_keeps_type_and_binds_the_path() {
        let enc = encrypt(&Value::Int(42), &key(), "a:b:");
        assert!(enc.starts_with("ENC[AES256_GCM,data:"));
        assert!(enc.ends_with(",type:int]"));
        let iv = enc.split(",iv:").nth(1).unwrap().split(',').next().unwrap();
        assert_eq!(iv.len(), 44, "a 32-byte IV is 44 base64 characters");
        assert!(decrypt(&enc, &key(), "a:b:").unwrap() == Value::Int(42));
        assert_eq!(
            decrypt(&enc, &key(), "a:c:"),
            Err(CipherError::Authentication)
        );
        let other = DataKey::from_slice(&[8u8; 32]).unwrap();
        assert_eq!(
            decrypt(&enc, &other, "a:b:"),
            Err(CipherError::Authentication)
        );
    }

    #[test]
    fn empty_strings_stay_empty() {
        assert_eq!(encrypt(&Value::Str(String::new()), &key(), "x:"), "");
        assert!(decrypt("", &key(), "x:").unwrap() == Value::Str(String::new()));
    }

    #[test]
    fn trailing_garbage_is_ignored_like_sops() {
        let enc = encrypt(&Value::Str("v".into()), &key(), "k:");
        let with_garbage = format!("{enc}trailing-garbage");
        assert!(decrypt(&with_garbage, &key(), "k:").unwrap() == Value::Str("v".into()));
    }

    /// The hand-written split agrees with sops's expression, captures included, on texts built
    /// from the pieces that matter (separators in every order, repeated, empty fields, a newline,
    /// multi-byte characters next to the separators).
    #[test]
    fn fields_split_exactly_like_sops_expression() {
        let re =
            regex::Regex::new(r"^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]").unwrap();
        let oracle = |s: &str| {
            re.captures(s)
                .map(|c| [1, 2, 3, 4].map(|i| c.get(i).unwrap().as_str().to_owned()))
        };
        let pieces = [
            ",iv:", ",tag:", ",type:", "]", "]]", "a", "é", "\n", ",", ":", "[", "", "x]y",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut checked = 0;
        for round in 0..200_000 {
            let mut s = String::from(if round % 10 == 0 {
                "ENC[AES256_GCM,data"
            } else {
                "ENC[AES256_GCM,data:"
            });
            if round % 2 == 0 {
                // Near a real value: each separator in turn (now and then left out), with
                // random pieces around them.
                for sep in [",iv:", ",tag:", ",type:", "]"] {
                    for _ in 0..next(3) {
                        s.push_str(pieces[next(pieces.len())]);
                    }
                    if next(8) != 0 {
                        s.push_str(sep);
                    }
                }
                for _ in 0..next(3) {
                    s.push_str(pieces[next(pieces.len())]);
                }
            } else {
                for _ in 0..next(12) {
                    s.push_str(pieces[next(pieces.len())]);
                }
            }
            let got = enc_fields(&s).map(|f| f.map(str::to_owned));
            assert_eq!(got, oracle(&s), "{s:?}");
            checked += usize::from(got.is_some());
        }
        assert!(
            checked > 5_000,
            "the generator builds matching texts too ({checked})"
        );
        for s in [
            "",
            "ENC[AES256_GCM,data:a,iv:b,tag:c,type:str]",
            "ENC[AES256_GCM,data:,iv:b,tag:c,type:str]",
            "ENC[AES256_GCM,data:a,iv:,tag:c,type:str]",
            "ENC[AES256_GCM,data:a,iv:b,tag:c,type:]",
            "ENC[AES256_GCM,data:a,iv:b,tag:c,type:str]\n]",
            "ENC[AES256_GCM,data:a,iv:b,tag:c,type:é]",
            "ENC[AES256_GCM,data:a,iv:b,tag:c,type:é]é",
            " ENC[AES256_GCM,data:a,iv:b,tag:c,type:str]",
        ] {
            assert_eq!(
                enc_fields(s).map(|f| f.map(str::to_owned)),
                oracle(s),
                "{s:?}"
            );
        }
    }

    #[test]
    fn malformed_values_are_reported() {
        assert_eq!(
            decrypt("plain", &key(), "k:"),
            Err(CipherError::NotEncrypted)
        );
        assert_eq!(
            decrypt(
                "ENC[AES256_GCM,data:!!,iv:AA==,tag:AA==,type:str]",
                &key(),
                "k:"
            ),
            Err(CipherError::BadBase64("data"))
        );
        assert_eq!(
            decrypt(
                "ENC[AES256_GCM,data:AA==,iv:AAAA,tag:AA==,type:str]",
                &key(),
                "k:"
            ),
            Err(CipherError::BadIvLength(3))
        );
    }
}
