//! The Cloudflare client against the local fake (`crates/fake-cloudflare`): round trips, retry
//! rules under injected faults, error codes and hints, and that no secret the fake issued ever
//! shows up in an error or a log line.
//!
//! Waits between attempts go through a recording sleeper, so a 429 with `Retry-After: 7` is
//! checked to wait 7 s without the test sleeping. Timeouts are real (1 s) where a stall is the
//! point of the test.

// A test crate has no outside: `pub` in its modules only shares helpers between them.
#![allow(unreachable_pub)]

mod credentials;
mod harness;
mod real_api;
mod retries;
mod round_trips;
