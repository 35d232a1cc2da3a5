//! Integration tests through the real HTTP interface. One test binary (with
//! modules) keeps link time down on small machines.

// A test crate has no outside: `pub` in its modules only shares helpers between them.
#![allow(unreachable_pub)]

mod common;

mod auth;
mod binary;
mod conditions;
mod control;
mod faults;
mod lifecycle;
mod lists;
mod strict;
