//! Recognisable names for tokens whose response may be lost.
//!
//! A new token is created as `NAME [cfsecret:pending:NONCE]` and renamed to `NAME` once it is
//! stored and verified. If the create's response (which carries the only copy of the secret) is
//! lost, the token can be found by that exact name and deleted — no guessing by time or by a
//! name another store might share.

use rand::RngCore;

const MARK: &str = " [cfsecret:pending:";
/// Cloudflare's limit on token names.
const MAX_NAME: usize = 120;

/// A fresh pending name for a token that will be called `final_name`.
pub fn pending_name(final_name: &str) -> String {
    let mut nonce = [0u8; 4];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    let suffix = format!("{MARK}{nonce}]");
    let room = MAX_NAME - suffix.chars().count();
    let base: String = final_name.chars().take(room).collect();
    format!("{base}{suffix}")
}

/// The name without a pending mark (a token whose rename never happened).
pub fn strip_pending(name: &str) -> &str {
    match name.rfind(MARK) {
        Some(pos) if name.ends_with(']') => &name[..pos],
        _ => name,
    }
}

/// Whether `name` is a pending name derived from `final_name` (any nonce).
pub fn is_pending_for(name: &str, final_name: &str) -> bool {
    let Some(pos) = name.rfind(MARK) else {
        return false;
    };
    let (base, rest) = name.split_at(pos);
    let nonce = &rest[MARK.len()..];
    nonce.len() == 9
        && nonce.ends_with(']')
        && nonce[..8].bytes().all(|b| b.is_ascii_hexdigit())
        && final_name.starts_with(base)
        && (base.chars().count() == final_name.chars().count()
            || base.chars().count() + MARK.len() + nonce.len() == MAX_NAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_names_are_recognised_and_fit() {
        let p = pending_name("cell-v0-dns");
        assert!(p.starts_with("cell-v0-dns [cfsecret:pending:") && p.ends_with(']'));
        assert!(is_pending_for(&p, "cell-v0-dns"));
        assert!(!is_pending_for(&p, "cell-v0"));
        assert!(!is_pending_for("cell-v0-dns", "cell-v0-dns"));
        assert_eq!(strip_pending(&pending_name("cell-v0-dns")), "cell-v0-dns");
        assert_eq!(strip_pending("plain name"), "plain name");
        let long = "x".repeat(120);
        let p = pending_name(&long);
        assert_eq!(p.chars().count(), 120);
        assert!(is_pending_for(&p, &long));
    }
}
