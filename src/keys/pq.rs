//! The hybrid post-quantum age recipient type of age ≥ 1.3 and sops ≥ 3.12: recipients
//! `age1pq1…`, identities `AGE-SECRET-KEY-PQ-1…`, stanza `mlkem768x25519`.
//!
//! As C2SP age.md specifies it: the identity is a 32-byte seed; the recipient is the
//! MLKEM768-X25519 (X-Wing, HPKE KEM 0x647a) public key derived from it; the file key is sealed
//! with HPKE SealBase (HKDF-SHA256, ChaCha20Poly1305, info `age-encryption.org/mlkem768x25519`,
//! empty aad); the stanza is `-> mlkem768x25519 <base64 enc>` with the 32-byte ciphertext as its
//! body. HPKE is the `hpke` crate age uses, over the KEM in `xwing` (RustCrypto primitives); this
//! module frames it as an age recipient and identity. Both Bech32 strings are longer than
//! BIP-173 allows, so they use age-core's length-unlimited Bech32, as age does.

use std::collections::HashSet;

use age::secrecy::ExposeSecret;
use age_core::format::{FileKey, Stanza};
use age_core::primitives::{bech32_decode, bech32_encode};
use base64::Engine;
use base64::prelude::BASE64_STANDARD_NO_PAD;
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::{Deserializable, HpkeError, OpModeR, OpModeS, Serializable};
use zeroize::Zeroizing;

mod xwing;

use xwing::XWing;

/// The stanza type (its first argument, the tag).
pub(crate) const STANZA_TAG: &str = "mlkem768x25519";
/// HPKE `info`.
const INFO: &[u8] = b"age-encryption.org/mlkem768x25519";
/// Bech32 HRP of recipients.
pub(crate) const RECIPIENT_PREFIX: &str = "age1pq";
/// Bech32 HRP of identities.
pub(crate) const IDENTITY_PREFIX: &str = "AGE-SECRET-KEY-PQ-";
/// The encapsulated key: ML-KEM-768 ciphertext (1088) plus an X25519 share (32).
const ENC_LEN: usize = 1120;
/// The sealed 16-byte file key plus the 16-byte Poly1305 tag.
const BODY_LEN: usize = 32;
/// age's file key size.
const FILE_KEY_LEN: usize = 16;

type Kem = XWing;
type PublicKey = <Kem as hpke::Kem>::PublicKey;
type PrivateKey = <Kem as hpke::Kem>::PrivateKey;
type EncappedKey = <Kem as hpke::Kem>::EncappedKey;

fn hrp(s: &str) -> bech32::Hrp {
    bech32::Hrp::parse_unchecked(s)
}

/// Decodes a Bech32 string with the given HRP (compared case-insensitively, as Bech32 is
/// single-case either way) into its bytes.
fn decode(s: &str, prefix: &str) -> Result<Zeroizing<Vec<u8>>, &'static str> {
    bech32_decode(
        s,
        |_| "invalid Bech32 encoding",
        |h| {
            h.as_str()
                .eq_ignore_ascii_case(prefix)
                .then_some(())
                .ok_or("wrong key type")
        },
        |_, bytes| Ok(Zeroizing::new(bytes.collect::<Vec<u8>>())),
    )
}

/// An `age1pq1…` recipient.
#[derive(Clone)]
pub(crate) struct Recipient(PublicKey);

impl std::str::FromStr for Recipient {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = decode(s, RECIPIENT_PREFIX)?;
        PublicKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| "not an MLKEM768-X25519 public key")
    }
}

impl std::fmt::Display for Recipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&bech32_encode(hrp(RECIPIENT_PREFIX), &self.0.to_bytes()))
    }
}

impl std::fmt::Debug for Recipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pq::Recipient({})",
            super::recipients::short(&self.to_string())
        )
    }
}

impl age::Recipient for Recipient {
    fn wrap_file_key(
        &self,
        file_key: &FileKey,
    ) -> Result<(Vec<Stanza>, HashSet<String>), age::EncryptError> {
        let (enc, body) = hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, Kem, _>(
            &OpModeS::Base,
            &self.0,
            INFO,
            file_key.expose_secret(),
            b"",
            &mut rand::rngs::OsRng,
        )
        .map_err(|e| age::EncryptError::Io(std::io::Error::other(format!("HPKE seal: {e}"))))?;
        let stanza = Stanza {
            tag: STANZA_TAG.to_owned(),
            args: vec![BASE64_STANDARD_NO_PAD.encode(enc.to_bytes())],
            body,
        };
        // The label age gives every post-quantum recipient, so that one age file is never
        // encrypted to both a PQ and a classic recipient (sops files hold one age file per
        // recipient, so this never bites there).
        Ok((vec![stanza], HashSet::from(["postquantum".to_owned()])))
    }
}

/// An `AGE-SECRET-KEY-PQ-1…` identity. Its seed lives in the KEM's zeroizing private key.
pub(crate) struct Identity(PrivateKey);

impl std::str::FromStr for Identity {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let seed = decode(s, IDENTITY_PREFIX)?;
        if seed.len() != 32 {
            return Err("a post-quantum identity holds a 32-byte seed");
        }
        PrivateKey::from_bytes(&seed)
            .map(Self)
            .map_err(|_| "not an MLKEM768-X25519 seed")
    }
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("pq::Identity(<secret>)")
    }
}

// Key generation and export serve the tests (cfsecret itself only reads identities).
#[cfg(test)]
impl Identity {
    /// A fresh identity from the OS RNG.
    pub(crate) fn generate() -> Self {
        Self(PrivateKey::generate(&mut rand::rngs::OsRng))
    }

    /// The recipient files for this identity are encrypted to.
    pub(crate) fn to_public(&self) -> Recipient {
        use hpke::Kem as _;
        Recipient(Kem::sk_to_pk(&self.0))
    }

    /// The `AGE-SECRET-KEY-PQ-1…` encoding (upper case, as age writes it).
    pub(crate) fn to_secret_string(&self) -> Zeroizing<String> {
        let seed = Zeroizing::new(self.0.to_bytes().to_vec());
        let lower = Zeroizing::new(bech32_encode(hrp(IDENTITY_PREFIX), &seed));
        Zeroizing::new(lower.to_ascii_uppercase())
    }
}

impl age::Identity for Identity {
    fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, age::DecryptError>> {
        // Other stanza types are not ours (spec: MUST ignore).
        if stanza.tag != STANZA_TAG {
            return None;
        }
        // Spec: MUST reject other argument counts, a non-canonical or wrong-length enc, and a
        // body that is not exactly 32 bytes (checked before decrypting: partitioning oracles).
        let malformed = Some(Err(age::DecryptError::InvalidHeader));
        let [arg] = stanza.args.as_slice() else {
            return malformed;
        };
        let Ok(enc) = BASE64_STANDARD_NO_PAD.decode(arg) else {
            return malformed;
        };
        if enc.len() != ENC_LEN || stanza.body.len() != BODY_LEN {
            return malformed;
        }
        let Ok(enc) = EncappedKey::from_bytes(&enc) else {
            return malformed;
        };
        let opened = hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
            &OpModeR::Base,
            &self.0,
            &enc,
            INFO,
            &stanza.body,
            b"",
        );
        // A failed AEAD open means the stanza is for another recipient, as with X25519; a share
        // the KEM refuses (a low-order X25519 point) makes the header invalid.
        let plain = match opened {
            Ok(p) => Zeroizing::new(p),
            Err(HpkeError::OpenError) => return None,
            Err(_) => return malformed,
        };
        if plain.len() != FILE_KEY_LEN {
            return malformed;
        }
        Some(Ok(FileKey::init_with_mut(|k| k.copy_from_slice(&plain))))
    }
}

#[cfg(test)]
mod tests;
