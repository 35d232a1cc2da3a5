//! Serving the API over TLS, so the client's trust store is exercised (cfsecret issue 12,
//! item 10): a test makes a throwaway CA and a certificate for 127.0.0.1 and passes them here.

use std::fmt;
use std::io;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate chain (leaf first, DER) and its PKCS#8 private key (DER).
#[derive(Clone)]
pub struct TlsIdentity {
    pub cert_chain_der: Vec<Vec<u8>>,
    pub key_pkcs8_der: Vec<u8>,
}

impl fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("certs", &self.cert_chain_der.len())
            .finish_non_exhaustive()
    }
}

pub(crate) fn acceptor(id: &TlsIdentity) -> io::Result<tokio_rustls::TlsAcceptor> {
    let certs: Vec<CertificateDer<'static>> = id
        .cert_chain_der
        .iter()
        .map(|c| CertificateDer::from(c.clone()))
        .collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key_pkcs8_der.clone()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}
