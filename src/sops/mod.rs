//! A native implementation of the SOPS file format, as sops 3.11 reads and writes it.
//!
//! Reading: [`format`] picks the store, [`yaml`], [`json`] and [`dotenv`] parse into the
//! position-keeping [`tree`], [`metadata`] reads the `sops` block, [`datakey`] recovers the data
//! key with the user's age identities, [`walk`] decrypts every value and checks the [MAC]. Writing:
//! [`file`] and [`splice`] change one value in place, [`create`] writes a new file, [`config`]
//! reads `.sops.yaml`.
//!
//! [MAC]: walk::decrypt_and_mac

pub(crate) mod cipher;
pub(crate) mod config;
pub(crate) mod create;
pub(crate) mod datakey;
pub(crate) mod dotenv;
pub(crate) mod error;
pub(crate) mod file;
pub(crate) mod format;
pub(crate) mod gotime;
pub(crate) mod json;
pub(crate) mod k8s_secret;
pub(crate) mod keypath;
pub(crate) mod metadata;
#[cfg(test)]
mod props;
mod route;
pub(crate) mod selection;
pub(crate) mod shamir;
mod splice;
mod splice_json;
pub(crate) mod tree;
pub(crate) mod value;
pub(crate) mod walk;
pub(crate) mod yaml;

pub(crate) use file::SopsFile;
pub(crate) use format::Format;
pub(crate) use keypath::KeyPath;
