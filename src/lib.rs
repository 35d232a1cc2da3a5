//! cfsecret: mint, roll and rotate Cloudflare API tokens straight into SOPS/age-encrypted files or
//! the OS keyring, without the plaintext ever touching a terminal, a log or an unencrypted file.
//!
//! Layout: [`sops`] is the SOPS format, [`keys`] the age key discovery, [`cloudflare`] the API
//! client, [`permissions`] permission names, presets and policies, [`store`] the stores,
//! [`lifecycle`] minting and replacing tokens, [`commands`] the commands, [`cli`] the command
//! line; the binary is a thin wrapper around [`cli::run`].
#![forbid(unsafe_code)]

pub mod args;
pub mod bounded;
pub mod cli;
pub mod cloudflare;
pub mod commands;
pub mod duration;
pub mod error;
pub mod faults;
pub mod harden;
pub mod keys;
pub mod lifecycle;
pub mod logging;
pub mod output;
pub mod permissions;
pub mod secret;
pub mod sops;
pub mod store;
pub mod terminal;
