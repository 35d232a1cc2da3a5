//! Kubernetes Secret manifests as SOPS files: which document and key hold the secret, and how
//! it is encoded there.
//!
//! Kubernetes requires the values under `data:` of a `kind: Secret` to be base64 (the API server
//! decodes them with Go's strict `base64.StdEncoding`); `stringData:` holds plain text. So a
//! token written under `data:` is base64-encoded, and one read from there is decoded, unless
//! `--encoding` says otherwise. A value that is not valid base64 where base64 is expected is
//! refused: Kubernetes would refuse the manifest too.

use std::fmt;
use std::path::PathBuf;

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};

use crate::error::{Diagnose, UsageError};
use crate::sops::keypath::Step;
use crate::sops::{KeyPath, SopsFile};

/// How the secret is written at its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// As is.
    Raw,
    /// Standard base64 with padding (Kubernetes `data:`).
    Base64,
}

/// Which document of a multi-document YAML file the key is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DocSelector {
    /// The document at this position, 0-based (`--document 1`).
    Index(usize),
    /// The document with this `kind` and `metadata.name` (`--document Secret/cloudflare`).
    Named {
        /// `kind`
        kind: String,
        /// `metadata.name`
        name: String,
    },
}

impl DocSelector {
    /// Parses `--document N` or `--document KIND/NAME`.
    pub(crate) fn parse(s: &str) -> Result<Self, UsageError> {
        if let Ok(n) = s.parse::<usize>() {
            return Ok(Self::Index(n));
        }
        match s.split_once('/') {
            Some((kind, name)) if !kind.is_empty() && !name.is_empty() && !name.contains('/') => {
                Ok(Self::Named {
                    kind: kind.to_owned(),
                    name: name.to_owned(),
                })
            }
            _ => Err(UsageError::new(format!(
                "--document {}: expected a position (0 is the first document) or KIND/NAME",
                crate::terminal::sanitize(s)
            ))
            .with_hint("e.g. --document 1, or --document Secret/cloudflare-api-token")),
        }
    }
}

impl fmt::Display for DocSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Index(n) => write!(f, "document {n}"),
            Self::Named { kind, name } => write!(f, "the {kind} named {name}"),
        }
    }
}

/// `--k8s-secret NAMESPACE/NAME`: the Secret a new file is created as, and the document an
/// existing file's key is looked up in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SecretRef {
    /// `metadata.namespace`
    pub namespace: String,
    /// `metadata.name`
    pub name: String,
}

/// A Kubernetes object name: a DNS-1123 subdomain (names) or label (namespaces).
fn dns_name(s: &str, max: usize, dots: bool) -> bool {
    let ok =
        |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || (dots && c == '.');
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    !s.is_empty()
        && s.len() <= max
        && s.chars().all(ok)
        && edge(s.chars().next())
        && edge(s.chars().last())
}

impl SecretRef {
    /// Parses `NAMESPACE/NAME`, each as Kubernetes names them.
    pub(crate) fn parse(s: &str) -> Result<Self, UsageError> {
        let bad = || {
            UsageError::new(format!(
                "--k8s-secret {}: expected NAMESPACE/NAME with Kubernetes names \
                 (lower-case letters, digits and '-'; names may also have '.')",
                crate::terminal::sanitize(s)
            ))
            .with_hint("e.g. --k8s-secret cert-manager/cloudflare-api-token")
        };
        let (ns, name) = s.split_once('/').ok_or_else(bad)?;
        if !dns_name(ns, 63, false) || !dns_name(name, 253, true) {
            return Err(bad());
        }
        Ok(Self {
            namespace: ns.to_owned(),
            name: name.to_owned(),
        })
    }
}

/// The Kubernetes options of a SOPS store.
#[derive(Debug, Clone, Default)]
pub(crate) struct Shape {
    /// `--k8s-secret`
    pub secret: Option<SecretRef>,
    /// `--encoding` (`None`: automatic).
    pub encoding: Option<Encoding>,
    /// `--document`
    pub document: Option<DocSelector>,
}

/// Where the secret is in an opened file, and how it is encoded.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The document (0-based).
    pub doc: usize,
    /// The key path in that document.
    pub key: KeyPath,
    /// The encoding at that key.
    pub encoding: Encoding,
}

/// A Kubernetes-shape problem with a file's content.
#[derive(Debug)]
pub(crate) enum K8sError {
    /// The stored value is not valid base64 where base64 is expected.
    NotBase64 {
        /// The file.
        path: PathBuf,
        /// The key.
        key: String,
        /// Why (decoding, or not UTF-8 once decoded).
        why: &'static str,
    },
    /// No document matches the selector.
    NoDocument {
        /// The file.
        path: PathBuf,
        /// What was looked for.
        wanted: String,
        /// How many documents the file holds.
        count: usize,
    },
}

impl fmt::Display for K8sError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotBase64 { path, key, why } => write!(
                f,
                "{key} in {} is expected to be base64 (Kubernetes decodes values under `data:`), \
                 but it {why}",
                path.display()
            ),
            Self::NoDocument {
                path,
                wanted,
                count,
            } => write!(
                f,
                "{} has no {wanted} (it holds {count} document{})",
                path.display(),
                if *count == 1 { "" } else { "s" }
            ),
        }
    }
}

impl std::error::Error for K8sError {}

impl Diagnose for K8sError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotBase64 { .. } => "not_base64",
            Self::NoDocument { .. } => "document_not_found",
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            Self::NotBase64 { .. } => "store it again with `cfsecret set` (which encodes it), or \
                 pass --encoding raw if this key really holds plain text"
                .into(),
            Self::NoDocument { .. } => "check --document / --k8s-secret (--document N counts \
                 from 0; --document KIND/NAME matches `kind` and `metadata.name`); a write with \
                 --k8s-secret NAMESPACE/NAME and no --document adds a missing Secret"
                .into(),
        })
    }
}

/// A document's plain-text field (`kind`, `metadata.name`), decrypted if needed.
fn field(file: &mut SopsFile, doc: usize, keys: &[&str]) -> Option<String> {
    file.select_document(doc);
    let got = file.get(&KeyPath::from_keys(keys.iter().copied())).ok()?;
    Some(got.expose_secret().to_owned())
}

impl Shape {
    /// The key path a `--key` names: with `--k8s-secret`, a single data key (`api-token`) is
    /// placed under `data` or `stringData`; `in_data` says which the file already uses.
    pub(crate) fn key_for(&self, key: &KeyPath, in_data: Option<bool>) -> KeyPath {
        let single = match key.steps() {
            [Step::Key(k)] if k != "data" && k != "stringData" => k.clone(),
            _ => return key.clone(),
        };
        if self.secret.is_none() {
            return key.clone();
        }
        let data = match (in_data, self.encoding) {
            (Some(d), _) => d,
            (None, Some(Encoding::Base64)) => true,
            (None, _) => false,
        };
        KeyPath::from_keys([if data { "data" } else { "stringData" }, single.as_str()])
    }

    /// Finds the document and key in an opened file, and selects the document.
    pub(crate) fn target(
        &self,
        file: &mut SopsFile,
        path: &std::path::Path,
        key: &KeyPath,
    ) -> Result<Target, crate::error::Error> {
        let count = file.documents();
        let no_doc = |wanted: String| K8sError::NoDocument {
            path: path.to_owned(),
            wanted,
            count,
        };
        let named = |file: &mut SopsFile, kind: &str, name: &str, ns: Option<&str>| {
            (0..count).find(|&i| {
                field(file, i, &["kind"]).as_deref() == Some(kind)
                    && field(file, i, &["metadata", "name"]).as_deref() == Some(name)
                    && ns.is_none_or(|ns| {
                        field(file, i, &["metadata", "namespace"]).is_none_or(|have| have == ns)
                    })
            })
        };
        let doc = match (&self.document, &self.secret) {
            (Some(DocSelector::Index(n)), _) if *n < count => *n,
            (Some(sel @ DocSelector::Index(_)), _) => return Err(no_doc(sel.to_string()).into()),
            (Some(sel @ DocSelector::Named { kind, name }), _) => {
                named(file, kind, name, None).ok_or_else(|| no_doc(sel.to_string()))?
            }
            (None, Some(s)) => {
                named(file, "Secret", &s.name, Some(&s.namespace)).ok_or_else(|| {
                    no_doc(format!(
                        "Secret named {} in namespace {}",
                        s.name, s.namespace
                    ))
                })?
            }
            (None, None) => 0,
        };
        let is_secret = field(file, doc, &["kind"]).as_deref() == Some("Secret");
        file.select_document(doc);
        let in_data = match key.steps() {
            [Step::Key(k)] if self.secret.is_some() => {
                let has = |m: &str| file.get(&KeyPath::from_keys([m, k.as_str()])).is_ok();
                if has("data") {
                    Some(true)
                } else if has("stringData") {
                    Some(false)
                } else {
                    None
                }
            }
            _ => None,
        };
        let key = self.key_for(key, in_data);
        let under_data = matches!(key.steps().first(), Some(Step::Key(k)) if k == "data");
        let encoding = self.encoding.unwrap_or(if is_secret && under_data {
            Encoding::Base64
        } else {
            Encoding::Raw
        });
        Ok(Target { doc, key, encoding })
    }
}

impl Encoding {
    /// The text stored for `secret`.
    pub(crate) fn encode(self, secret: &SecretString) -> SecretString {
        match self {
            Self::Raw => secret.clone(),
            Self::Base64 => crate::secret::from_string(
                base64::engine::general_purpose::STANDARD.encode(secret.expose_secret()),
            ),
        }
    }

    /// The secret a stored text holds. Strict, as the Kubernetes API server decodes.
    pub(crate) fn decode(
        self,
        stored: SecretString,
        path: &std::path::Path,
        key: &KeyPath,
    ) -> Result<SecretString, K8sError> {
        let err = |why| K8sError::NotBase64 {
            path: path.to_owned(),
            key: key.to_string(),
            why,
        };
        match self {
            Self::Raw => Ok(stored),
            Self::Base64 => {
                let bytes = zeroize::Zeroizing::new(
                    base64::engine::general_purpose::STANDARD
                        .decode(stored.expose_secret().as_bytes())
                        .map_err(|_| err("does not decode as padded standard base64"))?,
                );
                crate::secret::from_bytes(&bytes).ok_or_else(|| err("decodes to binary data"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip_is_strict() {
        let s = crate::secret::from_str("cfut_abc123");
        let enc = Encoding::Base64.encode(&s);
        assert_eq!(enc.expose_secret(), "Y2Z1dF9hYmMxMjM=");
        let p = std::path::Path::new("s.yaml");
        let k = KeyPath::parse("x").unwrap();
        let back = Encoding::Base64.decode(enc, p, &k).unwrap();
        assert!(crate::secret::eq(&back, &s));
        let e = Encoding::Base64
            .decode(crate::secret::from_str("cfut_abc123"), p, &k)
            .unwrap_err();
        assert!(!e.to_string().contains("cfut_abc123"));
        assert!(
            Encoding::Base64
                .decode(crate::secret::from_str("Y2Z1dF9hYmMxMjM"), p, &k)
                .is_err(),
            "unpadded is refused, as Go's StdEncoding refuses it"
        );
    }

    #[test]
    fn selectors_parse() {
        assert_eq!(DocSelector::parse("2").unwrap(), DocSelector::Index(2));
        assert!(matches!(
            DocSelector::parse("Secret/cf").unwrap(),
            DocSelector::Named { .. }
        ));
        assert!(DocSelector::parse("x").is_err());
        assert!(SecretRef::parse("cert-manager/cloudflare-api-token").is_ok());
        assert!(SecretRef::parse("Cert/x").is_err());
        assert!(SecretRef::parse("a/b/c").is_err());
    }
}
