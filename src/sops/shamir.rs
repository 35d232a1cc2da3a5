//! Shamir secret sharing over GF(2^8), byte-compatible with sops's fork of Vault's scheme.
//!
//! Each share is the secret's length plus one byte; the last byte is the x coordinate, which sops
//! sets to `group index + 1`. Every secret byte is the intercept of its own random polynomial of
//! degree `threshold - 1`; combining is Lagrange interpolation at zero.

use rand::RngCore;
use zeroize::Zeroizing;

/// Why shares cannot be combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ShamirError {
    /// Fewer than two shares.
    TooFew,
    /// Shares of different lengths, or too short.
    BadLength,
    /// Two shares with the same x coordinate.
    Duplicate,
}

/// Multiplication in GF(2^8) with the AES polynomial (x^8 + x^4 + x^3 + x + 1), constant time.
fn mult(a: u8, b: u8) -> u8 {
    let mut acc: u8 = 0;
    for i in (0..8).rev() {
        let bit = (b >> i) & 1;
        let a_or_zero = bit.wrapping_neg() & a;
        let reduce = (acc >> 7).wrapping_neg() & 0x1B;
        acc = a_or_zero ^ (reduce ^ acc.wrapping_add(acc));
    }
    acc
}

/// a^254 = a^-1 in GF(2^8).
fn inverse(a: u8) -> u8 {
    let mut b = mult(a, a);
    let mut c = mult(a, b);
    b = mult(c, c);
    b = mult(b, b);
    c = mult(b, c);
    b = mult(b, b);
    b = mult(b, b);
    b = mult(b, c);
    b = mult(b, b);
    b = mult(a, b);
    mult(b, b)
}

/// Splits `secret` into `parts` shares, any `threshold` of which recover it.
pub(crate) fn split(secret: &[u8], parts: usize, threshold: usize) -> Vec<Zeroizing<Vec<u8>>> {
    assert!((2..=255).contains(&threshold) && threshold <= parts && parts <= 255);
    let mut out: Vec<Zeroizing<Vec<u8>>> = (0..parts)
        .map(|i| {
            let mut share = Zeroizing::new(vec![0u8; secret.len() + 1]);
            share[secret.len()] = (i + 1) as u8;
            share
        })
        .collect();
    let mut coeffs = Zeroizing::new(vec![0u8; threshold]);
    for (idx, &byte) in secret.iter().enumerate() {
        coeffs[0] = byte;
        rand::rngs::OsRng.fill_bytes(&mut coeffs[1..]);
        for (i, share) in out.iter_mut().enumerate() {
            let x = (i + 1) as u8;
            // Horner's rule, highest degree first, as sops evaluates.
            let mut y = coeffs[threshold - 1];
            for k in (0..threshold - 1).rev() {
                y = mult(y, x) ^ coeffs[k];
            }
            share[idx] = y;
        }
    }
    out
}

/// Recovers the secret from shares.
pub(crate) fn combine(parts: &[&[u8]]) -> Result<Zeroizing<Vec<u8>>, ShamirError> {
    if parts.len() < 2 {
        return Err(ShamirError::TooFew);
    }
    let len = parts[0].len();
    if len < 2 || parts.iter().any(|p| p.len() != len) {
        return Err(ShamirError::BadLength);
    }
    let xs: Vec<u8> = parts.iter().map(|p| p[len - 1]).collect();
    for (i, x) in xs.iter().enumerate() {
        if xs[..i].contains(x) {
            return Err(ShamirError::Duplicate);
        }
    }
    let mut secret = Zeroizing::new(vec![0u8; len - 1]);
    for (idx, out) in secret.iter_mut().enumerate() {
        let mut result = 0u8;
        for (i, part) in parts.iter().enumerate() {
            let mut basis = 1u8;
            for (j, &xj) in xs.iter().enumerate() {
                if i != j {
                    // x = 0: num = xj, denom = xi + xj
                    basis = mult(basis, mult(xj, inverse(xs[i] ^ xj)));
                }
            }
            result ^= mult(part[idx], basis);
        }
        *out = result;
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_arithmetic() {
        for a in 1..=255u8 {
            assert_eq!(mult(a, inverse(a)), 1, "{a}");
        }
        assert_eq!(mult(0x57, 0x83), 0xC1, "the FIPS-197 example");
    }

    #[test]
    fn any_threshold_subset_recovers() {
        let secret = [42u8; 32];
        let shares = split(&secret, 3, 2);
        assert!(shares.iter().all(|s| s.len() == 33));
        assert_eq!(shares[2][32], 3);
        for (a, b) in [(0, 1), (0, 2), (1, 2)] {
            let got = combine(&[&shares[a], &shares[b]]).unwrap();
            assert_eq!(&got[..], &secret);
        }
        let all = combine(&[&shares[0], &shares[1], &shares[2]]).unwrap();
        assert_eq!(&all[..], &secret);
        assert_eq!(combine(&[&shares[0]]), Err(ShamirError::TooFew));
        assert_eq!(
            combine(&[&shares[0], &shares[0]]),
            Err(ShamirError::Duplicate)
        );
    }
}
