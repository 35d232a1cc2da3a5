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
pub struct Cli {
    /// Global options.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The exit-code table shown under `--help`.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success, or nothing to do
  1  error (nothing changed, or the change was rolled back)
  2  usage error
  3  verify: the token is not active or lacks a required permission
  4  rotate: the new token is stored and verified, but the old one could not be revoked
  5  the new secret could not be written to the store; it was saved, encrypted, to a rescue file
  6  another cfsecret holds the lock on this store (use --wait to wait)";

/// Options every command takes.
#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Print exactly one JSON object on stdout (Ansible-style: changed, action, msg, ...).
    #[arg(long, global = true)]
    pub json: bool,

    /// Dry run: no API mutation and no write; report what would change, still verify what can be.
    #[arg(long, global = true)]
    pub check: bool,

    /// Print nothing but errors (and the run's one log line on stderr).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Explain more on stderr (-vv for API calls). Secrets are never printed.
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,

    /// When another cfsecret holds the store's lock, wait for it instead of exiting 6.
    #[arg(long, global = true)]
    pub wait: bool,

    /// The longest --wait waits (e.g. 90s, 10m).
    #[arg(long, global = true, value_name = "DUR", default_value = "10m", value_parser = crate::duration::parse_duration)]
    pub wait_timeout: std::time::Duration,

    /// Timeout of each Cloudflare API call (e.g. 30s).
    #[arg(long, global = true, value_name = "DUR", default_value = "30s", value_parser = crate::duration::parse_duration)]
    pub timeout: std::time::Duration,

    /// Read the management token from standard input (one line): ranks first among the
    /// management credentials. Not with `set`/`exec` (they use stdin) or --auth-file/--auth-keyring.
    #[arg(long, global = true)]
    pub auth_stdin: bool,
}

/// Where a secret is kept: a key of a SOPS file, or an OS keyring entry.
#[derive(Debug, Args, Clone)]
#[group(skip)]
pub struct StoreArgs {
    /// SOPS file holding the secret (.yaml/.yml, .json or .env); created if missing.
    #[arg(
        long,
        value_name = "PATH",
        requires = "key",
        conflicts_with = "keyring"
    )]
    pub file: Option<PathBuf>,

    /// Key in the file: a top-level key, or sops's index syntax '["cloudflare"]["api_token"]'.
    #[arg(long, value_name = "KEYPATH", requires = "file")]
    pub key: Option<String>,

    /// OS keyring entry holding the secret.
    #[arg(long, value_name = "SERVICE/USER")]
    pub keyring: Option<String>,

    /// Keyring backend (default: keychain on macOS, credential-manager on Windows,
    /// secret-service on Linux).
    #[arg(
        long,
        value_enum,
        value_name = "BACKEND",
        env = "CFSECRET_KEYRING_BACKEND"
    )]
    pub keyring_backend: Option<KeyringBackend>,

    /// Recipients for a new SOPS file (age1…, ssh-ed25519 …; comma-separated). Without it,
    /// .sops.yaml creation rules decide.
    #[arg(long, value_name = "RECIPIENT", env = "SOPS_AGE_RECIPIENTS")]
    pub age: Option<String>,
}

/// The keyring backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyringBackend {
    /// Linux: the Secret Service (GNOME Keyring, KWallet) over D-Bus.
    SecretService,
    /// Linux: the kernel keyring (keyutils); lost at reboot.
    Keyutils,
    /// macOS Keychain.
    Keychain,
    /// Windows Credential Manager.
    CredentialManager,
}

/// How cfsecret authenticates to Cloudflare to create, roll and delete tokens.
#[derive(Debug, Args, Clone, Default)]
pub struct AuthArgs {
    /// SOPS file holding the management token (needs "API Tokens Write").
    #[arg(
        long,
        value_name = "PATH",
        requires = "auth_key",
        conflicts_with = "auth_keyring"
    )]
    pub auth_file: Option<PathBuf>,

    /// Key of the management token in --auth-file.
    #[arg(long, value_name = "KEYPATH", requires = "auth_file")]
    pub auth_key: Option<String>,

    /// OS keyring entry holding the management token.
    #[arg(long, value_name = "SERVICE/USER")]
    pub auth_keyring: Option<String>,

    /// Work with account-owned tokens of this account (/accounts/ID/tokens).
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
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
    List(super::manage_args::ListArgs),
    /// Delete a token at Cloudflare and remove it from its store.
    Revoke(super::manage_args::RevokeArgs),
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
pub struct CreateArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub auth: AuthArgs,
    /// Token name, as shown in the Cloudflare dashboard (1 to 120 characters).
    #[arg(long, value_parser = token_name)]
    pub name: String,
    /// A permission preset.
    #[arg(
        long,
        value_enum,
        required_unless_present = "permission",
        conflicts_with = "permission"
    )]
    pub preset: Option<Preset>,
    /// A permission by Cloudflare name ("DNS Write") or dashboard spelling ("Zone:DNS:Edit").
    #[arg(long = "permission", value_name = "PERM")]
    pub permission: Vec<String>,
    /// A zone (name or id) the zone permissions apply to.
    #[arg(long = "zone", value_name = "ZONE")]
    pub zone: Vec<String>,
    /// An account (name or id) the account permissions apply to.
    #[arg(long = "account", value_name = "ACCOUNT")]
    pub account: Vec<String>,
    /// Lifetime of the token (e.g. 90d).
    #[arg(long, value_name = "DUR", conflicts_with = "expires_on")]
    pub expires_in: Option<String>,
    /// Expiry time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub expires_on: Option<String>,
    /// Time before which the token is not valid (RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub not_before: Option<String>,
    /// Only allow requests from this network (CIDR; repeatable).
    #[arg(long = "allow-ip", value_name = "CIDR")]
    pub allow_ip: Vec<String>,
    /// Deny requests from this network (CIDR; repeatable).
    #[arg(long = "deny-ip", value_name = "CIDR")]
    pub deny_ip: Vec<String>,
    /// Mint a new token even if the key already holds an active one.
    #[arg(long)]
    pub force: bool,
}

/// Permission presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Preset {
    /// A management token for cfsecret: API Tokens Write, Zone Read, Account Settings Read.
    Manager,
    /// Zone Read + DNS Write on the given zones (cert-manager's DNS-01 solver).
    CertManagerDns01,
    /// The dashboard's "Edit zone DNS" template.
    EditZoneDns,
    /// Account Settings Read, Workers R2 Storage Write, Workers Scripts Write; Zone Read,
    /// Workers Routes Write, SSL and Certificates Write.
    SaasPlatform,
}

/// `roll`
#[derive(Debug, Args)]
pub struct RollArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub auth: AuthArgs,
    /// Who can decrypt a rescue file if the write fails (default: the store's own recipients,
    /// or SOPS_AGE_RECIPIENTS).
    #[arg(long, value_name = "RECIPIENT")]
    pub rescue_age: Option<String>,
}

/// `rotate`
#[derive(Debug, Args)]
pub struct RotateArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub auth: AuthArgs,
    /// Do nothing while the stored token is younger than this (e.g. 30d).
    #[arg(long, value_name = "DUR")]
    pub max_age: Option<String>,
    /// ...and has at least this long before it expires (e.g. 7d).
    #[arg(long, value_name = "DUR")]
    pub min_remaining: Option<String>,
    /// Keep the old token valid this long before revoking it (consumers reload).
    #[arg(long, value_name = "DUR")]
    pub keep_old: Option<String>,
    /// Who can decrypt a rescue file if the write fails.
    #[arg(long, value_name = "RECIPIENT")]
    pub rescue_age: Option<String>,
}

/// `verify`
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Account of an account-owned token.
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,
    /// Also require that the token's policies grant this permission (repeatable).
    #[arg(long = "require", value_name = "PERM")]
    pub require: Vec<String>,
    #[command(flatten)]
    pub auth: VerifyAuthArgs,
    #[command(flatten)]
    pub manage: super::manage_args::VerifyManageArgs,
}

/// Optional management credential for `verify --require` (reading policies needs it).
#[derive(Debug, Args, Clone, Default)]
pub struct VerifyAuthArgs {
    /// SOPS file holding a management token (to read policies for --require).
    #[arg(long, value_name = "PATH", requires = "auth_key")]
    pub auth_file: Option<PathBuf>,
    /// Key of the management token in --auth-file.
    #[arg(long, value_name = "KEYPATH", requires = "auth_file")]
    pub auth_key: Option<String>,
    /// OS keyring entry holding a management token.
    #[arg(long, value_name = "SERVICE/USER")]
    pub auth_keyring: Option<String>,
}

/// `set`
#[derive(Debug, Args)]
pub struct SetArgs {
    #[command(flatten)]
    pub store: StoreArgs,
}

/// `exec`
#[derive(Debug, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The environment variable the secret is put in.
    #[arg(long, value_name = "NAME", default_value = "CLOUDFLARE_API_TOKEN")]
    pub env: String,
    /// The command and its arguments.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

/// `permissions`
#[derive(Debug, Args)]
pub struct PermissionsArgs {
    #[command(flatten)]
    pub auth: AuthArgs,
    /// Only groups of this scope.
    #[arg(long, value_enum)]
    pub scope: Option<Scope>,
    /// Only groups whose name contains this text (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
}

/// Permission-group scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scope {
    /// Zone-level groups.
    Zone,
    /// Account-level groups.
    Account,
    /// User-level groups.
    User,
}

/// The longest token name Cloudflare accepts (its dashboard and API refuse longer ones).
pub const MAX_TOKEN_NAME: usize = 120;

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
