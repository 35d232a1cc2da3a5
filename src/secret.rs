//! Helpers for handling secrets without leaving copies behind.
//!
//! `SecretString::from(String)` boxes the string, and boxing a `String` whose capacity exceeds its
//! length reallocates — freeing the old buffer without zeroizing it. These helpers build the
//! secret from an exact-capacity copy instead, and compare secrets in constant time.

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroize;

/// A `SecretString` holding a copy of `s`, with no stray copies.
pub(crate) fn from_str(s: &str) -> SecretString {
    let mut exact = String::with_capacity(s.len());
    exact.push_str(s);
    SecretString::from(exact)
}

/// A `SecretString` from UTF-8 bytes, or `None` when they are not UTF-8.
pub(crate) fn from_bytes(b: &[u8]) -> Option<SecretString> {
    std::str::from_utf8(b).ok().map(from_str)
}

/// Takes ownership of a `String`, zeroizing it after copying.
pub(crate) fn from_string(mut s: String) -> SecretString {
    let secret = from_str(&s);
    s.zeroize();
    secret
}

/// Constant-time equality of two secrets (the lengths may leak, the contents do not).
pub(crate) fn eq(a: &SecretString, b: &SecretString) -> bool {
    let (a, b) = (a.expose_secret().as_bytes(), b.expose_secret().as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_and_debug() {
        let a = from_str("canary-abc");
        assert!(eq(&a, &from_str("canary-abc")));
        assert!(!eq(&a, &from_str("canary-abd")));
        assert!(!eq(&a, &from_str("canary-ab")));
        assert!(!format!("{a:?}").contains("canary"));
    }
}
