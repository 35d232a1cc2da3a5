//! `cfsecret exec`: run a command with the secret in its environment, and nowhere else.
//!
//! On Unix cfsecret replaces itself with the command (execve): the secret then lives only in the
//! command's environment, and signals and the exit status are the command's own.

use std::process::Command;

use secrecy::ExposeSecret;

use crate::cli::args::{ExecArgs, GlobalArgs};
use crate::error::{Diagnose, Error, Exit, UsageError};
use crate::output::Report;
use crate::store::Store;

/// The command could not be started.
#[derive(Debug)]
pub struct SpawnError {
    program: String,
    error: std::io::Error,
}

impl std::fmt::Display for SpawnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot run `{}`: {}", self.program, self.error)
    }
}

impl std::error::Error for SpawnError {}

impl Diagnose for SpawnError {
    fn code(&self) -> &'static str {
        "exec_failed"
    }

    fn hint(&self) -> Option<String> {
        Some("check the command name and PATH".into())
    }
}

/// Runs `exec`. Returns only on failure (or in check mode, or off Unix).
pub fn run(args: &ExecArgs, global: &GlobalArgs) -> Result<(Report, Exit), Error> {
    if args.env.is_empty() || args.env.contains(['=', '\0']) {
        return Err(UsageError::new(format!(
            "`{}` is not a valid environment variable name",
            args.env
        ))
        .into());
    }
    let store = Store::from_args(&args.store)?;
    let secret = store.read_required()?;
    let program = args.command[0].to_string_lossy().into_owned();
    if global.check {
        let msg = format!(
            "would run `{program}` with {} from {}",
            args.env,
            store.label()
        );
        return Ok((
            Report::new(false, "unchanged", msg).field("store", store.describe()),
            Exit::Success,
        ));
    }
    let mut cmd = Command::new(&args.command[0]);
    cmd.args(&args.command[1..])
        .env(&args.env, secret.expose_secret());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let error = cmd.exec();
        Err(SpawnError { program, error }.into())
    }
    #[cfg(not(unix))]
    {
        let status = cmd
            .status()
            .map_err(|error| SpawnError { program, error })?;
        drop(cmd);
        let code = status.code().unwrap_or(1);
        std::process::exit(code);
    }
}
