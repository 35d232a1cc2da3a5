//! The Cloudflare API client; what a permission name means and how policies compare is
//! [`crate::permissions`], which never touches the network.
//!
//! - [`Client`] talks to the token endpoints (user- and account-owned), zones and accounts;
//!   [`BaseUrl`] and [`ManagementCredential`] say where and as whom.
//! - [`retry`] decides what may be sent twice (never a create, update or roll once it left).
//! - [`ApiError`] carries Cloudflare's codes and messages, a stable code and a hint.
//!
//! No secret is ever logged, printed or put into an error: they travel as `SecretString` only.

mod base_url;
mod body;
mod client;
mod credential;
mod envelope;
mod error;
mod hints;
mod op;
mod owner;
pub mod retry;
mod serde_util;
mod token;
mod transport;
mod types;

pub use base_url::{BASE_URL_ENV, BaseUrl, DEFAULT_BASE_URL};
pub use client::{Client, Deletion};
pub use credential::{
    Credential, CredentialSource, EMAIL_ENV, KEY_ENV, ManagementCredential, ShapeProblem,
    TOKEN_ENV, TokenFormat, clean_token, is_token68,
};
pub use envelope::{ApiMessage, ResultInfo};
pub use error::{ApiError, Refusal};
pub use op::Op;
pub use owner::Owner;
pub use retry::{RetryPolicy, Sleeper, TokioSleeper};
pub use token::{
    Condition, Effect, IpCondition, NewToken, PermissionGroupRef, Policy, ResourceValue, Resources,
    Token, TokenStatus, api_time,
};
pub use transport::ClientConfig;
pub use types::{
    Account, AccountRef, PermissionGroup, PermissionGroupFilter, Scope, VerifyResult, Zone,
};
