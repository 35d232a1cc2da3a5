//! cfsecret: mint, roll and rotate Cloudflare API tokens straight into SOPS/age-encrypted files or
//! the OS keyring, without the plaintext ever touching a terminal, a log or an unencrypted file.
//!
//! Layout: [`sops`] is the SOPS format, [`keys`] the age key discovery, [`cloudflare`] the API
//! client, [`permissions`] permission names, presets and policies, [`store`] the stores,
//! [`lifecycle`] minting and replacing tokens, [`commands`] the commands, [`cli`] the command
//! line; the binary is a thin wrapper around [`cli::run`].
#![forbid(unsafe_code)]

pub(crate) mod args;
pub(crate) mod bounded;
pub mod cli;
pub mod cloudflare;
pub(crate) mod commands;
pub(crate) mod duration;
pub mod error;
pub(crate) mod faults;
pub(crate) mod harden;
pub(crate) mod keys;
pub(crate) mod lifecycle;
pub(crate) mod logging;
pub(crate) mod manage_args;
pub(crate) mod output;
pub mod permissions;
pub(crate) mod secret;
pub(crate) mod sops;
pub(crate) mod store;
pub(crate) mod terminal;
