//! Recognisable names for tokens whose response may be lost.
//!
//! A new token is created as `NAME [cfsecret:pending:TAG.NONCE]` and renamed to `NAME` once it
//! is stored and verified. TAG names the (store, key) that minted it, NONCE the run. If the
//! create's response (which carries the only copy of the secret) is lost, the token is found by
//! that exact name and deleted; a sweep of abandoned successors only ever touches tokens whose
//! TAG is this store's — never a token of the same name another store may hold. (Older
//! cfsecret versions wrote `NAME [cfsecret:pending:NONCE]`: recognised, never swept.)

use rand::RngCore;

const MARK: &str = " [cfsecret:pending:";
/// Cloudflare's limit on token names.
const MAX_NAME: usize = 120;

fn hex8() -> String {
    let mut nonce = [0u8; 4];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    nonce.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh pending name for a token that will be called `final_name`, minted by the store
/// whose tag is `tag` (8 hex digits).
pub(crate) fn pending_name(final_name: &str, tag: &str) -> String {
    let suffix = format!("{MARK}{tag}.{}]", hex8());
    let room = MAX_NAME - suffix.chars().count();
    let base: String = final_name.chars().take(room).collect();
    format!("{base}{suffix}")
}

/// The name without a pending mark (a token whose rename never happened).
pub(crate) fn strip_pending(name: &str) -> &str {
    match name.rfind(MARK) {
        Some(pos) if name.ends_with(']') => &name[..pos],
        _ => name,
    }
}

fn is_hex8(s: &str) -> bool {
    s.len() == 8 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The parts of a pending name: base, store tag (none in the old format).
fn parse(name: &str) -> Option<(&str, Option<&str>)> {
    let pos = name.rfind(MARK)?;
    let (base, rest) = name.split_at(pos);
    let inner = rest[MARK.len()..].strip_suffix(']')?;
    match inner.split_once('.') {
        Some((tag, nonce)) if is_hex8(tag) && is_hex8(nonce) => Some((base, Some(tag))),
        None if is_hex8(inner) => Some((base, None)),
        _ => None,
    }
}

fn base_matches(name: &str, base: &str, final_name: &str) -> bool {
    final_name.starts_with(base)
        && (base.chars().count() == final_name.chars().count() || name.chars().count() == MAX_NAME)
}

/// Whether `name` is a pending name derived from `final_name` (any store, any run).
pub(crate) fn is_pending_for(name: &str, final_name: &str) -> bool {
    parse(name).is_some_and(|(base, _)| base_matches(name, base, final_name))
}

/// Whether `name` is a pending name for `final_name` minted by the store tagged `tag`.
pub(crate) fn is_pending_of_store(name: &str, final_name: &str, tag: &str) -> bool {
    parse(name).is_some_and(|(base, t)| t == Some(tag) && base_matches(name, base, final_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_names_are_recognised_and_fit() {
        let p = pending_name("cell-v0-dns", "0a1b2c3d");
        assert!(p.starts_with("cell-v0-dns [cfsecret:pending:0a1b2c3d.") && p.ends_with(']'));
        assert!(is_pending_for(&p, "cell-v0-dns"));
        assert!(is_pending_of_store(&p, "cell-v0-dns", "0a1b2c3d"));
        assert!(!is_pending_of_store(&p, "cell-v0-dns", "ffffffff"));
        assert!(!is_pending_for(&p, "cell-v0"));
        assert!(!is_pending_for("cell-v0-dns", "cell-v0-dns"));
        assert_eq!(strip_pending(&p), "cell-v0-dns");
        assert_eq!(strip_pending("plain name"), "plain name");
        let old = "cell-v0-dns [cfsecret:pending:1a2b3c4d]";
        assert!(is_pending_for(old, "cell-v0-dns"));
        assert!(!is_pending_of_store(old, "cell-v0-dns", "1a2b3c4d"));
        let long = "x".repeat(120);
        let p = pending_name(&long, "0a1b2c3d");
        assert_eq!(p.chars().count(), 120);
        assert!(is_pending_for(&p, &long));
        assert!(is_pending_of_store(&p, &long, "0a1b2c3d"));
    }
}
