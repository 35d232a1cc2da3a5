//! age recipients: parsing the strings sops stores and wrapping a data key to them.
//!
//! Each recipient gets its own armored age file holding the raw data key (or a Shamir share),
//! exactly one stanza per file, as sops writes them. Post-quantum `age1pq1…` recipients use
//! cfsecret's own `mlkem768x25519` recipient (`keys::pq`). Recipients cfsecret cannot encrypt to
//! are refused with a reason: plugins whose `age-plugin-…` binary is not on PATH.

use std::io::Write;

use age::armor::{ArmoredWriter, Format};

/// Why a recipient string cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RecipientError {
    /// An `age1pq1…` (ML-KEM hybrid, sops ≥ 3.12) string that is not a valid such key.
    PostQuantum(String),
    /// A plugin recipient whose binary is missing.
    PluginMissing { recipient: String, plugin: String },
    /// Not a recipient at all.
    Invalid(String),
}

impl std::fmt::Display for RecipientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::PostQuantum(r) => write!(
                f,
                "`{}` is not a valid post-quantum age recipient (age1pq1…: a Bech32 MLKEM768-X25519 public key); check it was copied whole",
                short(r)
            ),
            Self::PluginMissing { recipient, plugin } => write!(
                f,
                "the recipient {} needs the age plugin `age-plugin-{plugin}`, which is not on PATH",
                short(recipient)
            ),
            Self::Invalid(r) => write!(f, "`{}` is not an age or SSH recipient", short(r)),
        }
    }
}

/// A recipient abbreviated for messages (`age1klnw…kw75m`).
pub(crate) fn short(r: &str) -> String {
    let r = r.trim();
    if r.chars().count() <= 24 {
        return r.to_owned();
    }
    let head: String = r.chars().take(12).collect();
    let tail: String = r
        .chars()
        .rev()
        .take(6)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{head}…{tail}")
}

/// A recipient ready to encrypt to.
pub(crate) struct Recipient {
    /// The string as sops stores it (trimmed).
    pub(crate) text: String,
    inner: Box<dyn age::Recipient + Send>,
}

impl std::fmt::Debug for Recipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Recipient({})", self.text)
    }
}

impl Recipient {
    /// Parses `age1…`, `age1pq1…`, `ssh-ed25519 …`, `ssh-rsa …` or a plugin recipient
    /// `age1<name>1…`.
    pub(crate) fn parse(s: &str) -> Result<Self, RecipientError> {
        let text = s.trim().to_owned();
        let inner: Box<dyn age::Recipient + Send> = if text.starts_with("age1pq1") {
            Box::new(
                text.parse::<crate::keys::pq::Recipient>()
                    .map_err(|_| RecipientError::PostQuantum(text.clone()))?,
            )
        } else if text.starts_with("ssh-") {
            Box::new(
                text.parse::<age::ssh::Recipient>()
                    .map_err(|_| RecipientError::Invalid(text.clone()))?,
            )
        } else if let Ok(r) = text.parse::<age::x25519::Recipient>() {
            Box::new(r)
        } else if let Ok(r) = text.parse::<age::plugin::Recipient>() {
            let plugin = r.plugin().to_owned();
            let p = age::plugin::RecipientPluginV1::new(&plugin, &[r], &[], age::NoCallbacks)
                .map_err(|_| RecipientError::PluginMissing {
                    recipient: text.clone(),
                    plugin,
                })?;
            Box::new(p)
        } else {
            return Err(RecipientError::Invalid(text));
        };
        Ok(Self { text, inner })
    }

    /// The recipient as the age library takes it.
    pub(crate) fn as_age(&self) -> &dyn age::Recipient {
        self.inner.as_ref() as &dyn age::Recipient
    }

    /// Encrypts `payload` to this recipient alone, ASCII-armored as sops stores it.
    pub(crate) fn wrap(&self, payload: &[u8]) -> Result<String, String> {
        let encryptor = age::Encryptor::with_recipients(std::iter::once(
            self.inner.as_ref() as &dyn age::Recipient
        ))
        .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        let armored =
            ArmoredWriter::wrap_output(&mut out, Format::AsciiArmor).map_err(|e| e.to_string())?;
        let mut writer = encryptor.wrap_output(armored).map_err(|e| e.to_string())?;
        writer.write_all(payload).map_err(|e| e.to_string())?;
        writer
            .finish()
            .and_then(|armor| armor.finish())
            .map_err(|e| e.to_string())?;
        String::from_utf8(out).map_err(|e| e.to_string())
    }
}

/// Parses a comma-separated recipient list (`SOPS_AGE_RECIPIENTS`, `--age a,b`), trimming
/// parts and skipping empty ones as sops does.
pub(crate) fn parse_list(list: &str) -> Result<Vec<Recipient>, RecipientError> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Recipient::parse)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use age::secrecy::ExposeSecret;
    use std::io::Read;

    #[test]
    fn wraps_so_the_identity_can_unwrap() {
        let id = age::x25519::Identity::generate();
        let r = Recipient::parse(&id.to_public().to_string()).unwrap();
        let armored = r.wrap(&[9u8; 32]).unwrap();
        assert!(armored.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"));
        assert!(armored.ends_with("-----END AGE ENCRYPTED FILE-----\n"));
        let reader = age::armor::ArmoredReader::new(armored.as_bytes());
        let d = age::Decryptor::new(reader).unwrap();
        let mut out = Vec::new();
        d.decrypt(std::iter::once(&id as &dyn age::Identity))
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, [9u8; 32]);
        assert!(!id.to_string().expose_secret().is_empty());
    }

    #[test]
    fn wraps_to_post_quantum_recipients() {
        let id = crate::keys::pq::Identity::generate();
        let r = Recipient::parse(&id.to_public().to_string()).unwrap();
        let armored = r.wrap(&[7u8; 32]).unwrap();
        let reader = age::armor::ArmoredReader::new(armored.as_bytes());
        let mut out = Vec::new();
        age::Decryptor::new(reader)
            .unwrap()
            .decrypt(std::iter::once(&id as &dyn age::Identity))
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, [7u8; 32]);
    }

    #[test]
    fn refuses_what_it_cannot_use() {
        assert!(matches!(
            Recipient::parse("age1pq1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"),
            Err(RecipientError::PostQuantum(_))
        ));
        assert!(matches!(
            Recipient::parse("not-a-key"),
            Err(RecipientError::Invalid(_))
        ));
        assert_eq!(parse_list(" , ").unwrap().len(), 0);
    }
}
