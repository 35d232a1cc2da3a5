//! `cfsecret exec`: run a command with the secret in its environment, and nowhere else.
//!
//! On Unix cfsecret replaces itself with the command (execve): the secret then lives only in the
//! command's environment, and signals and the exit status are the command's own.

use std::process::Command;

use secrecy::ExposeSecret;

use crate::args::{ExecArgs, GlobalArgs};
use crate::error::{Diagnose, Error, Exit, UsageError};
use crate::output::Report;
use crate::store::Store;

/// The command could not be started.
#[derive(Debug)]
pub(crate) struct SpawnError {
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

/// Variables the dynamic loader, a shell or a language runtime reads before the program runs:
/// a secret there is parsed as a path or option, and echoed in the error about it
/// (`ld.so: object 'cfut_…' from LD_PRELOAD cannot be preloaded`, `Picked up JAVA_TOOL_OPTIONS:
/// …`), or even run. Prefixes first, then whole names.
const LOADER_PREFIXES: &[&str] = &["LD_", "DYLD_", "GCONV_", "MALLOC_"];
const HOOK_NAMES: &[&str] = &[
    "GLIBC_TUNABLES",
    "LOCPATH",
    "NLSPATH",
    "HOSTALIASES",
    "RESOLV_HOST_CONF",
    "BASH_ENV",
    "ENV",
    "PS4",
    "PROMPT_COMMAND",
    "SHELLOPTS",
    "BASHOPTS",
    "IFS",
    "PATH",
    "PERL5OPT",
    "PERL5LIB",
    "PERLLIB",
    "PYTHONSTARTUP",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONWARNINGS",
    "NODE_OPTIONS",
    "NODE_PATH",
    "RUBYOPT",
    "RUBYLIB",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "JDK_JAVA_OPTIONS",
];

/// `--env NAME` must be a plain variable name that no loader or interpreter acts on.
fn check_env_name(name: &str) -> Result<(), UsageError> {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !plain {
        return Err(UsageError::new(format!(
            "`{}` is not a valid environment variable name",
            crate::terminal::sanitize_line(name)
        ))
        .with_hint("use letters, digits and `_`, not starting with a digit, e.g. --env CLOUDFLARE_API_TOKEN"));
    }
    let upper = name.to_ascii_uppercase();
    if LOADER_PREFIXES.iter().any(|p| upper.starts_with(p)) || HOOK_NAMES.contains(&upper.as_str())
    {
        return Err(UsageError::new(format!(
            "refusing --env {name}: the dynamic loader, the shell or a language runtime reads that variable before the program runs, and may print or run the secret"
        ))
        .with_hint("choose a name the program itself reads, e.g. --env CLOUDFLARE_API_TOKEN"));
    }
    Ok(())
}

/// Runs `exec`. Returns only on failure (or in check mode, or off Unix).
pub(crate) fn run(args: &ExecArgs, global: &GlobalArgs) -> Result<(Report, Exit), Error> {
    check_env_name(&args.env)?;
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
