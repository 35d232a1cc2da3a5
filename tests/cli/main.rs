//! End-to-end tests of the cfsecret binary, by theme.

mod support;

mod crash;
mod keyring;
mod keyring_errors;
mod locking;
mod secrets;
mod sops_create;
mod sops_errors;
mod sops_interop;
