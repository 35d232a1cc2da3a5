//! The management token `--auth-stdin` read (see `cli::auth_stdin`), kept for the run: the
//! boundary reads it once before the command runs, the session ranks it first.

use std::sync::OnceLock;

use secrecy::SecretString;

use crate::cloudflare::{CredentialSource, ManagementCredential};
use crate::error::Error;

static TOKEN: OnceLock<SecretString> = OnceLock::new();

/// Keeps the token for the rest of the run (a second call is ignored: stdin is read once).
pub(crate) fn provide(token: SecretString) {
    let _ = TOKEN.set(token);
}

/// Where the credential says it came from, in messages.
pub(crate) fn source() -> CredentialSource {
    CredentialSource::Other("the token read from standard input (--auth-stdin)".into())
}

/// The token read by [`load`], if `--auth-stdin` was given.
pub(crate) fn credential() -> Result<Option<ManagementCredential>, Error> {
    match TOKEN.get() {
        Some(t) => Ok(Some(ManagementCredential::bearer(t, source())?)),
        None => Ok(None),
    }
}
