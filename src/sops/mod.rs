//! A native implementation of the SOPS file format, as sops 3.11 reads and writes it.
//!
//! Reading: [`format`] picks the store, [`yaml`], [`json`] and [`dotenv`] parse into the
//! position-keeping [`tree`], [`metadata`] reads the `sops` block, [`datakey`] recovers the data
//! key with the user's age identities, [`walk`] decrypts every value and checks the [MAC]. Writing:
//! [`file`] and [`splice`] change one value in place, [`create`] writes a new file, [`config`]
//! reads `.sops.yaml`.
//!
//! [MAC]: walk::decrypt_and_mac

pub mod cipher;
pub mod config;
pub mod create;
pub mod datakey;
pub mod dotenv;
pub mod error;
pub mod file;
pub mod format;
pub mod gotime;
pub mod json;
pub mod keypath;
pub mod metadata;
#[cfg(test)]
mod props;
mod route;
pub mod selection;
pub mod shamir;
mod splice;
mod splice_json;
pub mod tree;
pub mod value;
pub mod walk;
pub mod yaml;

pub use error::{SopsError, SopsErrorKind};
pub use file::{SetResult, SopsFile};
pub use format::Format;
pub use keypath::KeyPath;
