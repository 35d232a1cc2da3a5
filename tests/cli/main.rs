//! End-to-end tests of the cfsecret binary, by theme.

mod support;

mod crash;
mod identities;
mod keyring;
mod keyring_errors;
mod locking;
mod real_api;
mod secrets;
mod sops_create;
mod sops_errors;
mod sops_interop;
mod token_errors;
mod token_faults;
mod tokens;
mod unattended;
mod walkthrough;
