//! cfsecret: mint, roll and rotate Cloudflare API tokens straight into SOPS/age-encrypted files or
//! the OS keyring, without the plaintext ever touching a terminal, a log or an unencrypted file.
//!
//! The binary (`src/main.rs`) is a thin wrapper around [`cli::run`].
#![forbid(unsafe_code)]

pub mod cloudflare;
pub mod duration;
pub mod error;
