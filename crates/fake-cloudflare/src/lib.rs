//! A stateful local fake of the Cloudflare API-token API (`/client/v4`),
//! for cfsecret's tests and README walk-through. See the crate README for
//! the behaviour it models, the choices made where the live API is unknown,
//! and the `/__fake/` control plane.
//!
//! ```no_run
//! use fake_cloudflare::{FakeCloudflare, Fault, FaultKind, Op, Resource, TokenSpec};
//!
//! let fake = FakeCloudflare::start();
//! let zone = fake.zone_id("example.com").unwrap();
//! let dns = fake.mint(TokenSpec::user("dns").permission("DNS Write", Resource::Zone(zone)));
//! fake.add_fault(Fault::new(Op::RollToken, FaultKind::DropResponse));
//! // ... run the client against fake.base_url() ...
//! assert!(fake.is_active_secret(&dns.secret));
//! ```

#![forbid(unsafe_code)]

mod api;
mod api_directory;
mod api_reads;
mod api_tokens;
mod app;
mod auth;
pub mod catalog;
mod cidr;
mod clock;
mod config;
mod control;
mod directory;
mod envelope;
mod faults;
mod handle;
mod journal;
mod pagination;
mod policy;
mod request;
mod router;
mod secrets;
mod server;
mod spec;
mod state;
mod strict;
mod tls;
mod token;
mod token_input;

pub use config::{
    Config, DEFAULT_ACCOUNT_ID, DEFAULT_ACCOUNT_NAME, DEFAULT_USER_ID, derived_zone_id,
};
pub use faults::{Fault, FaultKind, Op, ServerErrorBody};
pub use handle::FakeCloudflare;
pub use journal::RequestRecord;
pub use spec::{Minted, Resource, TokenInfo, TokenSpec};
pub use strict::Strict;
pub use tls::TlsIdentity;
pub use token::Owner;
