//! Integration tests through the real HTTP interface. One test binary (with
//! modules) keeps link time down on small machines.

mod common;

mod auth;
mod binary;
mod conditions;
mod control;
mod faults;
mod lifecycle;
mod lists;
mod strict;
