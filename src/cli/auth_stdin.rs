//! `--auth-stdin`: the management token read from standard input, so that a wrapper (an Ansible
//! module, a CI step) never has to put it in an environment variable or a file.
//!
//! It is read once, before the command runs, and ranks first among the management credentials
//! (it is as explicit as `--auth-file`). Commands that read standard input themselves (`set`)
//! or hand it to a child (`exec`) refuse it, as do `--auth-file`/`--auth-keyring` next to it.

use secrecy::SecretString;

use crate::args::{Cli, Command};
use crate::cloudflare::ManagementCredential;
use crate::error::{Error, UsageError};
use crate::lifecycle::stdin_credential::{provide, source};

const HINT: &str = "pipe the management token in on one line, e.g. \
    `pass show cloudflare/mgmt | cfsecret --auth-stdin create ...`";

/// Checks where `--auth-stdin` may go and reads the token (a no-op without the flag).
pub(crate) fn load(cli: &Cli) -> Result<(), Error> {
    if !cli.global.auth_stdin {
        return Ok(());
    }
    let (file, keyring) = match &cli.command {
        Command::Set(_) => {
            return Err(UsageError::new(
                "--auth-stdin cannot be used with `set`, which reads the secret to store from standard input",
            )
            .with_hint("store the management token first with `cfsecret set`, then use --auth-file")
            .into());
        }
        Command::Exec(_) => {
            return Err(UsageError::new(
                "--auth-stdin cannot be used with `exec`: it does not talk to Cloudflare, and its command gets standard input",
            )
            .into());
        }
        Command::Create(a) => (a.auth.auth_file.is_some(), a.auth.auth_keyring.is_some()),
        Command::Roll(a) => (a.auth.auth_file.is_some(), a.auth.auth_keyring.is_some()),
        Command::Rotate(a) => (a.auth.auth_file.is_some(), a.auth.auth_keyring.is_some()),
        Command::Permissions(a) => (a.auth.auth_file.is_some(), a.auth.auth_keyring.is_some()),
        Command::List(a) => (a.auth.auth_file.is_some(), a.auth.auth_keyring.is_some()),
        Command::Revoke(a) => (a.auth.auth_file.is_some(), a.auth.auth_keyring.is_some()),
        Command::Verify(a) => (a.auth.auth_file.is_some(), a.auth.auth_keyring.is_some()),
        Command::Completions { .. } | Command::Man { .. } => {
            return Err(
                UsageError::new("--auth-stdin is for commands that talk to Cloudflare").into(),
            );
        }
    };
    if file || keyring {
        return Err(UsageError::new(
            "--auth-stdin and --auth-file/--auth-keyring both name the management credential",
        )
        .with_hint("give only one of them")
        .into());
    }
    let token = read()?;
    // Checked now, so a malformed token is a usage error before anything runs.
    ManagementCredential::bearer(&token, source())?;
    provide(token);
    Ok(())
}

/// One line from standard input (a terminal gets a prompt that does not echo).
fn read() -> Result<SecretString, Error> {
    let raw =
        crate::commands::stdin::read_raw("management token (input hidden): ", "a management token")
            .map_err(|e| e.with_hint(HINT))?;
    let (line, rest) = match raw.iter().position(|&b| b == b'\n') {
        Some(i) => (&raw[..i], &raw[i + 1..]),
        None => (&raw[..], &raw[raw.len()..]),
    };
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if !rest.iter().all(u8::is_ascii_whitespace) {
        return Err(UsageError::new(
            "standard input holds more than one line; --auth-stdin reads one token on one line",
        )
        .with_hint(HINT)
        .into());
    }
    if line.iter().all(u8::is_ascii_whitespace) {
        return Err(UsageError::new("--auth-stdin: standard input is empty")
            .with_hint(HINT)
            .into());
    }
    crate::secret::from_bytes(line).ok_or_else(|| {
        UsageError::new("--auth-stdin: standard input is not UTF-8 text")
            .with_hint(HINT)
            .into()
    })
}
