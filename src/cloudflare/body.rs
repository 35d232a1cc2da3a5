//! Response bodies, held so that a token secret in them is wiped after use.
//!
//! Create and roll answers contain a fresh secret. The body is collected into a buffer that is
//! zeroized on drop and grown by hand (a `Vec` that reallocates frees its old buffer without
//! wiping it), and chunks handed over by reqwest are wiped too when nobody else holds them. What
//! hyper keeps in its own read buffers is beyond reach; this keeps cfsecret's own copies clean.

use zeroize::{Zeroize, Zeroizing};

/// A response body that is wiped when dropped.
pub(crate) struct SecretBytes {
    buf: Zeroizing<Vec<u8>>,
}

/// The body was larger than cfsecret will ever need to read.
#[derive(Debug)]
pub(crate) struct TooLarge;

impl SecretBytes {
    /// An empty buffer with room for `hint` bytes.
    pub(crate) fn with_capacity(hint: usize) -> Self {
        Self {
            buf: Zeroizing::new(Vec::with_capacity(hint)),
        }
    }

    /// Appends `chunk`, growing by copying into a fresh buffer (the old one is wiped on drop).
    pub(crate) fn extend(&mut self, chunk: &[u8], limit: usize) -> Result<(), TooLarge> {
        let needed = self.buf.len() + chunk.len();
        if needed > limit {
            return Err(TooLarge);
        }
        if needed > self.buf.capacity() {
            let mut bigger =
                Zeroizing::new(Vec::with_capacity(needed.max(self.buf.capacity() * 2)));
            bigger.extend_from_slice(&self.buf);
            self.buf = bigger;
        }
        self.buf.extend_from_slice(chunk);
        Ok(())
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.buf
    }
}

/// Reads the whole body of `resp`, wiping each chunk after copying it when the chunk's memory is
/// not shared with hyper.
pub(crate) async fn read(
    mut resp: reqwest::Response,
    limit: usize,
) -> Result<Result<SecretBytes, TooLarge>, reqwest::Error> {
    let hint = resp
        .content_length()
        .map_or(4096, |n| usize::try_from(n).unwrap_or(limit).min(limit));
    let mut body = SecretBytes::with_capacity(hint);
    while let Some(chunk) = resp.chunk().await? {
        let pushed = body.extend(&chunk, limit);
        if let Ok(mut owned) = chunk.try_into_mut() {
            owned.zeroize();
        }
        if let Err(e) = pushed {
            return Ok(Err(e));
        }
    }
    Ok(Ok(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_limits() {
        let mut b = SecretBytes::with_capacity(2);
        b.extend(b"abc", 10).unwrap();
        b.extend(b"defg", 10).unwrap();
        assert_eq!(b.as_slice(), b"abcdefg");
        assert!(b.extend(b"hijk", 10).is_err());
        assert_eq!(b.as_slice(), b"abcdefg");
    }
}
