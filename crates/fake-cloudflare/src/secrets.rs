//! Token secrets in the 2026 scannable format, their hashes, and the token68
//! shape check the gateway applies to `Authorization: Bearer`.

use rand::Rng;
use rand::distributions::Alphanumeric;
use sha2::{Digest, Sha256};

pub(crate) const USER_PREFIX: &str = "cfut_";
pub(crate) const ACCOUNT_PREFIX: &str = "cfat_";

/// What the token store keeps instead of the secret.
pub(crate) type SecretHash = [u8; 32];

/// `prefix` + 40 `[A-Za-z0-9]` + 8 lowercase hex of the CRC32 of everything
/// before it. The real CRC input is undocumented [?]; prefix+body is the
/// plausible choice and makes the checksum verifiable by the fake's tests.
pub(crate) fn generate(prefix: &str) -> String {
    let body: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(40)
        .map(char::from)
        .collect();
    let head = format!("{prefix}{body}");
    let crc = crc32fast::hash(head.as_bytes());
    format!("{head}{crc:08x}")
}

/// The pre-2026 shape: 40 × `[A-Za-z0-9_-]`, no prefix, no checksum (see `is_well_formed`).
pub(crate) fn generate_legacy() -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = rand::thread_rng();
    (0..40)
        .map(|_| char::from(CHARS[rng.gen_range(0..CHARS.len())]))
        .collect()
}

pub(crate) fn hash(secret: &str) -> SecretHash {
    Sha256::digest(secret.as_bytes()).into()
}

/// Whether the gateway accepts `s` as a Bearer credential at all; anything
/// else is 400/6003/6111 before any lookup. RFC 7235 token68 is necessary but
/// not sufficient: the live API rejected `abc-def` and a Global API Key sent
/// as Bearer as malformed [FAV], so only the two real token shapes pass: the
/// pre-2026 40 × `[A-Za-z0-9_-]` and the scannable `cfut_`/`cfat_` + 48
/// alphanumerics. The checksum itself is not checked (its input is unknown).
pub(crate) fn is_well_formed(s: &str) -> bool {
    if !is_token68(s) {
        return false;
    }
    let legacy = s.len() == 40
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let scannable = [USER_PREFIX, ACCOUNT_PREFIX].iter().any(|p| {
        s.strip_prefix(p)
            .is_some_and(|rest| rest.len() == 48 && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
    });
    legacy || scannable
}

/// RFC 7235 token68: `^[A-Za-z0-9._~+/-]+=*$`.
fn is_token68(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// 32 lowercase hex characters, the shape of every Cloudflare object id.
pub(crate) fn random_id() -> String {
    let bytes: [u8; 16] = rand::thread_rng().r#gen();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
pub(crate) fn is_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_shape_and_checksum() {
        for prefix in [USER_PREFIX, ACCOUNT_PREFIX] {
            let s = generate(prefix);
            assert_eq!(s.len(), 53);
            assert!(s.starts_with(prefix));
            assert!(s[5..45].bytes().all(|b| b.is_ascii_alphanumeric()));
            let crc = u32::from_str_radix(&s[45..], 16).unwrap();
            assert_eq!(&s[45..], format!("{crc:08x}"));
            assert_eq!(crc, crc32fast::hash(&s.as_bytes()[..45]));
            assert!(is_well_formed(&s));
        }
        assert_ne!(generate(USER_PREFIX), generate(USER_PREFIX));
    }

    #[test]
    fn well_formed_shapes() {
        assert!(is_well_formed("8M7wS6hCpXVc-DoRnPPY_UCWPgy8aea4Wy6kCe5T"));
        assert!(is_well_formed(&format!(
            "cfut_{}0123abcd",
            "a1B2c3D4e5".repeat(4)
        )));
        for bad in [
            "abc-def",
            "3d2a1c4b5e6f708192a3b4c5d6e7f8091a2b3",
            "cfk_a1B2c3D4e5a1B2c3D4e5a1B2c3D4e5a1B2c3D4e50123abcd",
            "8M7wS6hCpXVc-DoRnPPY_UCWPgy8aea4Wy6kCe5T\n",
        ] {
            assert!(!is_well_formed(bad), "{bad:?}");
        }
    }

    #[test]
    fn token68() {
        assert!(is_token68("8M7wS6hCpXVc-DoRnPPY_UCWPgy8aea4Wy6kCe5T"));
        assert!(is_token68("abc=="));
        for bad in ["", "abc def", "abc\n", "a=b", "==", "tök"] {
            assert!(!is_token68(bad), "{bad:?}");
        }
    }

    #[test]
    fn ids() {
        let id = random_id();
        assert!(is_id(&id), "{id}");
        assert!(!is_id("ABCDEF0123456789abcdef0123456789"));
    }
}
