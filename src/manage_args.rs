//! The flags of the token-management commands (issue 14): `list`, `revoke`, and what `verify`
//! gained (`--probe`, `--expect`, `--warn-remaining`, `--min-remaining`). Kept apart from
//! `args.rs` so that the definitions of the older commands stay as they were.

use std::path::PathBuf;

use clap::Args;

use super::args::{AuthArgs, KeyringBackend, Preset, StoreArgs};

/// `verify --probe`, `--expect`, `--preset`, `--warn-remaining`, `--min-remaining`.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Checks")]
pub(crate) struct VerifyManageArgs {
    /// Call one read-only endpoint per permission family with the stored token, and report
    /// `N/M checks passed` (exit 3 if an expected check fails). Never changes anything.
    #[arg(long)]
    pub probe: bool,
    /// A permission the token should have (repeatable): probed even when the token cannot
    /// read its own policies, and its check is expected to pass.
    #[arg(long = "expect", value_name = "PERM", requires = "probe")]
    pub expect: Vec<String>,
    /// Expect the permissions of a preset (as `create --preset`).
    #[arg(long, value_enum, value_name = "PRESET", requires = "probe")]
    pub preset: Option<Preset>,
    /// Report (exit 0, `warning` in JSON) a token that expires within DUR (e.g. 14d).
    #[arg(long, value_name = "DUR", value_parser = crate::duration::parse_duration)]
    pub warn_remaining: Option<std::time::Duration>,
    /// Fail (exit 3, error `expires_soon`) when the token expires within DUR.
    #[arg(long, value_name = "DUR", value_parser = crate::duration::parse_duration)]
    pub min_remaining: Option<std::time::Duration>,
}

/// `list`
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// A SOPS file to look in (repeatable; pairs with the --key at the same position).
    #[arg(long = "file", value_name = "PATH")]
    pub file: Vec<PathBuf>,
    /// The key in the --file at the same position.
    #[arg(long = "key", value_name = "KEYPATH")]
    pub key: Vec<String>,
    /// A keyring entry to look in (repeatable).
    #[arg(long = "keyring", value_name = "SERVICE/USER")]
    pub keyring: Vec<String>,
    /// Keyring backend for --keyring.
    #[arg(
        long,
        value_enum,
        value_name = "BACKEND",
        env = "CFSECRET_KEYRING_BACKEND"
    )]
    pub keyring_backend: Option<KeyringBackend>,
    /// Flag tokens not used for this long (never used: since they were issued), e.g. 90d.
    #[arg(long, value_name = "DUR", value_parser = crate::duration::parse_duration)]
    pub stale: Option<std::time::Duration>,
    #[command(flatten)]
    pub auth: AuthArgs,
}

/// `revoke`
#[derive(Debug, Args)]
pub(crate) struct RevokeArgs {
    /// Revoke this token id instead of a stored one (incidents): needs the management
    /// credential and touches no store.
    #[arg(long, value_name = "ID", conflicts_with_all = ["file", "keyring"])]
    pub token_id: Option<String>,
    /// Leave the key in the store (only delete the token at Cloudflare).
    #[arg(long, conflicts_with = "token_id")]
    pub keep_key: bool,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub auth: AuthArgs,
}
