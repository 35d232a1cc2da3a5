//! The command line, as CONTRACT.md fixes it. Man pages and completions are generated from
//! these definitions, so the help texts are the documentation.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

/// Mint, roll and rotate Cloudflare API tokens straight into SOPS/age files or the OS keyring.
///
/// The plaintext of a token never reaches the terminal, a log, a process argument or an
/// unencrypted file. Built to run unattended, from Ansible and from cron.
#[derive(Debug, Parser)]
#[command(
    name = "cfsecret",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(after_help = EXIT_CODES)]
pub(crate) struct Cli {
    /// Global options.
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    /// The command.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The exit-code table shown under `--help`.
pub(crate) const EXIT_CODES: &str = "\
Exit codes:
  0  success, or nothing to do
  1  error (nothing changed, or the change was rolled back)
  2  usage error
  3  verify: the token is not active or lacks a required permission
  4  rotate: the new token is stored and verified, but the old one could not be revoked
  5  the new secret could not be written to the store; it was saved, encrypted, to a rescue file
  6  another cfsecret holds the lock on this store (use --wait to wait)
  7  the store changed and verified, but a --then command failed (the new token stays)";

/// Options every command takes.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Global options")]
pub(crate) struct GlobalArgs {
    /// Print exactly one JSON object on stdout (Ansible-style: changed, action, msg, ...).
    #[arg(long, global = true)]
    pub(crate) json: bool,

    /// Dry run: no API mutation and no write; report what would change, still verify what can be.
    #[arg(long, global = true)]
    pub(crate) check: bool,

    /// Print nothing but errors (and the run's one log line on stderr).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,

    /// Explain more on stderr (-vv for API calls). Secrets are never printed.
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub(crate) verbose: u8,

    /// When another cfsecret holds the store's lock, wait for it instead of exiting 6.
    #[arg(long, global = true)]
    pub(crate) wait: bool,

    /// The longest --wait waits (e.g. 90s, 10m).
    #[arg(long, global = true, value_name = "DUR", default_value = "10m", value_parser = crate::duration::parse_duration)]
    pub(crate) wait_timeout: std::time::Duration,

    /// Timeout of each Cloudflare API call (e.g. 30s).
    #[arg(long, global = true, value_name = "DUR", default_value = "30s", value_parser = crate::duration::parse_duration)]
    pub(crate) timeout: std::time::Duration,

    /// Read the management token from standard input (one line): ranks first among the
    /// management credentials. Not with `set`/`exec` (they use stdin) or --auth-file/--auth-keyring.
    #[arg(long, global = true)]
    pub(crate) auth_stdin: bool,
}

/// Commands run after the store changed (`create`, `roll`, `rotate`, `set`).
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "After the store changed")]
pub(crate) struct ThenArgs {
    /// After the new secret is stored and verified, run CMD with `sh -c` (repeatable; in order,
    /// stopping at the first failure). No secret in its argv or environment: it gets
    /// CFSECRET_STORE, CFSECRET_KEY, CFSECRET_ACTION, CFSECRET_TOKEN_ID, CFSECRET_OLD_TOKEN_ID.
    /// Not run with --check or when nothing changed; a failure exits 7 and keeps the token.
    #[arg(long = "then", value_name = "CMD")]
    pub(crate) then: Vec<String>,

    /// The longest each --then command may run before it (and its process group) is stopped.
    #[arg(long, value_name = "DUR", default_value = "5m", env = "CFSECRET_THEN_TIMEOUT",
          value_parser = crate::duration::parse_duration)]
    pub(crate) then_timeout: std::time::Duration,
}

/// Where a secret is kept: a key of a SOPS file, or an OS keyring entry.
#[derive(Debug, Args, Clone)]
#[group(skip)]
#[command(next_help_heading = "Store")]
pub(crate) struct StoreArgs {
    /// SOPS file holding the secret (.yaml/.yml, .json or .env); created if missing.
    #[arg(
        long,
        value_name = "PATH",
        requires = "key",
        conflicts_with = "keyring"
    )]
    pub(crate) file: Option<PathBuf>,

    /// Key in the file: a top-level key, or sops's index syntax '["cloudflare"]["api_token"]'.
    #[arg(long, value_name = "KEYPATH", requires = "file")]
    pub(crate) key: Option<String>,

    /// OS keyring entry holding the secret.
    #[arg(long, value_name = "SERVICE/USER")]
    pub(crate) keyring: Option<String>,

    /// Keyring backend (default: keychain on macOS, credential-manager on Windows,
    /// secret-service on Linux).
    #[arg(
        long,
        value_enum,
        value_name = "BACKEND",
        env = "CFSECRET_KEYRING_BACKEND"
    )]
    pub(crate) keyring_backend: Option<KeyringBackend>,

    /// Recipients for a new SOPS file (age1…, ssh-ed25519 …; comma-separated). Without it,
    /// .sops.yaml creation rules decide.
    #[arg(long, value_name = "RECIPIENT", env = "SOPS_AGE_RECIPIENTS")]
    pub(crate) age: Option<String>,

    /// A Kubernetes Secret manifest: create a missing --file as this Secret (apiVersion v1,
    /// type Opaque, --key as its data key), and find the key in this Secret's document.
    #[arg(long, value_name = "NAMESPACE/NAME", requires = "file")]
    pub(crate) k8s_secret: Option<String>,

    /// How the value is written at the key (default: base64 under `data:` of a kind: Secret,
    /// raw elsewhere).
    #[arg(long, value_enum, value_name = "ENCODING", requires = "file")]
    pub(crate) encoding: Option<ValueEncoding>,

    /// The document of a multi-document YAML file: a position (0 is the first) or KIND/NAME
    /// (matching `kind` and `metadata.name`). Default: the first, as sops.
    #[arg(long, value_name = "N|KIND/NAME", requires = "file")]
    pub(crate) document: Option<String>,
}

/// `--encoding`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ValueEncoding {
    /// Standard base64 with padding, as Kubernetes `data:` requires.
    Base64,
    /// The value as is.
    Raw,
}

// The keyring backends: the store's own type; its `ValueEnum` is in `cli::boundary`.
pub(crate) use crate::store::KeyringBackend;

/// How cfsecret authenticates to Cloudflare to create, roll and delete tokens.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Management credential")]
pub(crate) struct AuthArgs {
    /// SOPS file holding the management token (needs "API Tokens Write").
    #[arg(
        long,
        value_name = "PATH",
        requires = "auth_key",
        conflicts_with = "auth_keyring"
    )]
    pub(crate) auth_file: Option<PathBuf>,

    /// Key of the management token in --auth-file.
    #[arg(long, value_name = "KEYPATH", requires = "auth_file")]
    pub(crate) auth_key: Option<String>,

    /// OS keyring entry holding the management token.
    #[arg(long, value_name = "SERVICE/USER")]
    pub(crate) auth_keyring: Option<String>,

    /// Work with account-owned tokens of this account (/accounts/ID/tokens).
    #[arg(long, value_name = "ID")]
    pub(crate) account_id: Option<String>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Mint a token and store it (no change if the key already holds an active token).
    Create(CreateArgs),
    /// Roll the stored token's secret in place and store the new one.
    Roll(RollArgs),
    /// Replace the stored token with a successor: mint, store, verify, then revoke the old one.
    Rotate(RotateArgs),
    /// Check the stored token with Cloudflare.
    Verify(VerifyArgs),
    /// Store a secret read from standard input (e.g. the management token).
    Set(SetArgs),
    /// Run a command with the stored secret in its environment.
    Exec(ExecArgs),
    /// List Cloudflare permission groups (name, id, scopes).
    Permissions(PermissionsArgs),
    /// List the owner's tokens, which of the given stores hold them, orphans and the quota.
    List(crate::manage_args::ListArgs),
    /// Delete a token at Cloudflare and remove it from its store.
    Revoke(crate::manage_args::RevokeArgs),
    /// Print shell completions.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command into a directory.
    Man {
        /// Write cfsecret.1 and a page per command (cfsecret-rotate.1, ...) into DIR instead of
        /// printing cfsecret.1.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// `create`
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// Token name, as shown in the Cloudflare dashboard (1 to 120 characters).
    #[arg(long, value_parser = token_name)]
    pub(crate) name: String,
    /// A permission preset.
    #[arg(
        long,
        value_enum,
        required_unless_present = "permission",
        conflicts_with = "permission"
    )]
    pub(crate) preset: Option<Preset>,
    /// A permission by Cloudflare name ("DNS Write") or dashboard spelling ("Zone:DNS:Edit").
    #[arg(long = "permission", value_name = "PERM")]
    pub(crate) permission: Vec<String>,
    /// A zone (name or id) the zone permissions apply to.
    #[arg(long = "zone", value_name = "ZONE")]
    pub(crate) zone: Vec<String>,
    /// An account (name or id) the account permissions apply to.
    #[arg(long = "account", value_name = "ACCOUNT")]
    pub(crate) account: Vec<String>,
    /// Lifetime of the token (e.g. 90d).
    #[arg(long, value_name = "DUR", conflicts_with = "expires_on")]
    pub(crate) expires_in: Option<String>,
    /// Expiry time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub(crate) expires_on: Option<String>,
    /// Time before which the token is not valid (RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub(crate) not_before: Option<String>,
    /// Only allow requests from this network (CIDR; repeatable).
    #[arg(long = "allow-ip", value_name = "CIDR")]
    pub(crate) allow_ip: Vec<String>,
    /// Deny requests from this network (CIDR; repeatable).
    #[arg(long = "deny-ip", value_name = "CIDR")]
    pub(crate) deny_ip: Vec<String>,
    /// Mint a new token even if the key already holds an active one.
    #[arg(long)]
    pub(crate) force: bool,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    #[command(flatten)]
    pub(crate) then: ThenArgs,
    #[command(flatten)]
    pub(crate) auth: AuthArgs,
}

// Permission presets, each defined once in `permissions::presets`.
pub(crate) use crate::permissions::presets::Preset;

/// `roll`
#[derive(Debug, Args)]
pub(crate) struct RollArgs {
    /// Who can decrypt a rescue file if the write fails (default: the store's own recipients,
    /// or SOPS_AGE_RECIPIENTS).
    #[arg(long, value_name = "RECIPIENT")]
    pub(crate) rescue_age: Option<String>,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    #[command(flatten)]
    pub(crate) then: ThenArgs,
    #[command(flatten)]
    pub(crate) auth: AuthArgs,
}

/// `rotate`
#[derive(Debug, Args)]
pub(crate) struct RotateArgs {
    /// Do nothing while the stored token is younger than this (e.g. 30d).
    #[arg(long, value_name = "DUR")]
    pub(crate) max_age: Option<String>,
    /// ...and has at least this long before it expires (e.g. 7d).
    #[arg(long, value_name = "DUR")]
    pub(crate) min_remaining: Option<String>,
    /// Keep the old token valid this long before revoking it (consumers reload).
    #[arg(long, value_name = "DUR")]
    pub(crate) keep_old: Option<String>,
    /// Who can decrypt a rescue file if the write fails.
    #[arg(long, value_name = "RECIPIENT")]
    pub(crate) rescue_age: Option<String>,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    #[command(flatten)]
    pub(crate) then: ThenArgs,
    #[command(flatten)]
    pub(crate) auth: AuthArgs,
}

/// `verify`
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// Account of an account-owned token.
    #[arg(long, value_name = "ID")]
    pub(crate) account_id: Option<String>,
    /// Also require that the token's policies grant this permission (repeatable).
    #[arg(long = "require", value_name = "PERM")]
    pub(crate) require: Vec<String>,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    #[command(flatten)]
    pub(crate) auth: VerifyAuthArgs,
    #[command(flatten)]
    pub(crate) manage: crate::manage_args::VerifyManageArgs,
}

/// Optional management credential for `verify --require` (reading policies needs it).
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Management credential")]
pub(crate) struct VerifyAuthArgs {
    /// SOPS file holding a management token (to read policies for --require).
    #[arg(long, value_name = "PATH", requires = "auth_key")]
    pub(crate) auth_file: Option<PathBuf>,
    /// Key of the management token in --auth-file.
    #[arg(long, value_name = "KEYPATH", requires = "auth_file")]
    pub(crate) auth_key: Option<String>,
    /// OS keyring entry holding a management token.
    #[arg(long, value_name = "SERVICE/USER")]
    pub(crate) auth_keyring: Option<String>,
}

/// `set`
#[derive(Debug, Args)]
pub(crate) struct SetArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    #[command(flatten)]
    pub(crate) then: ThenArgs,
}

/// `exec`
#[derive(Debug, Args)]
pub(crate) struct ExecArgs {
    /// The environment variable the secret is put in.
    #[arg(long, value_name = "NAME", default_value = "CLOUDFLARE_API_TOKEN")]
    pub(crate) env: String,
    /// The command and its arguments.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub(crate) command: Vec<std::ffi::OsString>,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

/// `permissions`
#[derive(Debug, Args)]
pub(crate) struct PermissionsArgs {
    /// Only groups of this scope.
    #[arg(long, value_enum)]
    pub(crate) scope: Option<Scope>,
    /// Only groups whose name contains this text (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub(crate) filter: Option<String>,
    #[command(flatten)]
    pub(crate) auth: AuthArgs,
}

/// Permission-group scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Scope {
    /// Zone-level groups.
    Zone,
    /// Account-level groups.
    Account,
    /// User-level groups.
    User,
}

/// The longest token name Cloudflare accepts (its dashboard and API refuse longer ones).
pub(crate) const MAX_TOKEN_NAME: usize = 120;

/// `--name`: checked before any API call, so a name Cloudflare would refuse cannot leave a
/// minted token behind under its temporary name.
fn token_name(s: &str) -> Result<String, String> {
    let len = s.chars().count();
    if s.trim().is_empty() {
        return Err("the token name is empty; give the name the dashboard should show".into());
    }
    if len > MAX_TOKEN_NAME {
        return Err(format!(
            "the token name is {len} characters long; Cloudflare allows at most {MAX_TOKEN_NAME}"
        ));
    }
    if s.chars().any(crate::terminal::needs_escape) {
        return Err("the token name contains a control character; use printable text".into());
    }
    Ok(s.to_owned())
}
