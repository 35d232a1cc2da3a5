//! Reading a secret from standard input (never from argv).

use std::io::{IsTerminal, Read};

use secrecy::SecretString;
use zeroize::Zeroizing;

use crate::error::{Error, UsageError};
use crate::secret;

/// The most a secret read from stdin may be; a token is under 100 bytes.
const MAX_LEN: u64 = 64 * 1024;

/// All of standard input, bounded: piped input as is, or, on a terminal, what is typed at
/// `prompt` without echo. `kind` names what was expected, for the too-large error.
pub(crate) fn read_raw(prompt: &str, kind: &str) -> Result<Zeroizing<Vec<u8>>, UsageError> {
    if std::io::stdin().is_terminal() {
        let typed = rpassword::prompt_password(prompt)
            .map_err(|e| UsageError::new(format!("cannot read from the terminal: {e}")))?;
        return Ok(Zeroizing::new(typed.into_bytes()));
    }
    let mut buf = Zeroizing::new(Vec::new());
    std::io::stdin()
        .take(MAX_LEN + 1)
        .read_to_end(&mut buf)
        .map_err(|e| UsageError::new(format!("cannot read standard input: {e}")))?;
    if buf.len() as u64 > MAX_LEN {
        return Err(UsageError::new(format!(
            "standard input is larger than 64 KiB; that is not {kind}"
        )));
    }
    Ok(buf)
}

/// Reads the secret for `what` from stdin: piped input as is (one trailing newline dropped),
/// or, on a terminal, a prompt that does not echo.
pub(crate) fn read_secret(what: &str) -> Result<SecretString, Error> {
    let raw = read_raw(&format!("secret for {what} (input hidden): "), "a secret")?;
    let mut end = raw.len();
    if raw[..end].ends_with(b"\n") {
        end -= 1;
        if raw[..end].ends_with(b"\r") {
            end -= 1;
        }
    }
    let value = &raw[..end];
    if value.is_empty() {
        return Err(UsageError::new("the secret on standard input is empty")
            .with_hint("pipe the secret in, e.g. `pass show cloudflare/mgmt | cfsecret set --file F --key K`")
            .into());
    }
    if value.iter().all(u8::is_ascii_whitespace) {
        return Err(UsageError::new("the secret on standard input is only whitespace")
            .with_hint("pipe the secret itself in, e.g. `pass show cloudflare/mgmt | cfsecret set --file F --key K`")
            .into());
    }
    if value.contains(&0) {
        return Err(UsageError::new("the secret on standard input contains a NUL byte").into());
    }
    secret::from_bytes(value)
        .ok_or_else(|| UsageError::new("the secret on standard input is not UTF-8 text").into())
}
