//! End-to-end tests of the cfsecret binary, by theme.

mod support;

mod crash;
mod identities;
mod keyring;
mod keyring_errors;
mod locking;
mod secrets;
mod sops_create;
mod sops_differential;
mod sops_divergences;
mod sops_errors;
mod sops_gen;
mod sops_interop;
mod sops_later;
mod sops_pair;
mod token_errors;
mod token_faults;
mod tokens;
mod unattended;
mod walkthrough;
