//! End-to-end tests of the cfsecret binary, by theme.

// A test crate has no outside: `pub` in its modules only shares helpers between them.
#![allow(unreachable_pub)]

mod support;

mod crash;
mod hostile;
mod identities;
mod k8s;
mod k8s_example;
mod k8s_multidoc;
mod k8s_then;
mod keyring;
mod keyring_errors;
mod locking;
mod manage_converge;
mod manage_list;
mod manage_revoke;
mod manage_verify;
mod pq;
mod real_api;
mod secrets;
mod snapshots;
mod sops313;
mod sops_create;
mod sops_differential;
mod sops_divergences;
mod sops_errors;
mod sops_gen;
mod sops_grow;
mod sops_interop;
mod sops_later;
mod sops_pair;
mod token_errors;
mod token_faults;
mod token_loss;
mod token_loss_disk;
mod token_schedules;
mod tokens;
mod unattended;
mod walkthrough;
