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
use regex::Regex;
use zeroize::Zeroizing;

use super::value::{TypeError, Value};

/// The 32-byte data key of a sops file. Zeroized on drop; `Debug` is redacted.
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    /// A fresh random data key, for a new file.
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(key.as_mut());
        Self(key)
    }

    /// Takes a decrypted data key; anything but 32 bytes is refused.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        let arr: [u8; 32] = bytes.try_into().ok()?;
        Some(Self(Zeroizing::new(arr)))
    }

    /// The raw key, for wrapping it to recipients.
    pub fn as_bytes(&self) -> &[u8; 32] {
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
pub enum CipherError {
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

static ENC_RE: LazyLock<Regex> = LazyLock::new(|| {
    // sops's own expression: greedy and not anchored at the end, so trailing text after `]` is
    // ignored exactly as sops ignores it.
    Regex::new(r"^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]").expect("valid regex")
});

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

/// Whether a string looks like an sops-encrypted value (used to refuse plaintext where
/// ciphertext is expected, and to recognise sops files).
pub fn is_encrypted_value(s: &str) -> bool {
    ENC_RE.is_match(s)
}

/// The `type:` of an `ENC[...]` value without decrypting it.
pub fn encrypted_type(s: &str) -> Option<&str> {
    ENC_RE
        .captures(s)
        .and_then(|c| c.get(4))
        .map(|m| m.as_str())
}

/// Decrypts one value. An empty string is the empty string, as in sops.
pub fn decrypt(text: &str, key: &DataKey, aad: &str) -> Result<Value, CipherError> {
    if text.is_empty() {
        return Ok(Value::Str(String::new()));
    }
    let caps = ENC_RE.captures(text).ok_or(CipherError::NotEncrypted)?;
    let mut data = b64_decode("data", &caps[1])?;
    let iv = b64_decode("iv", &caps[2])?;
    let tag = b64_decode("tag", &caps[3])?;
    let type_name = &caps[4];
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
pub fn encrypt(value: &Value, key: &DataKey, aad: &str) -> String {
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
