//! Permissions are not HTTP: what "Zone:DNS:Edit on example.com" means and how two tokens'
//! policies compare, against a permission-group list the client fetched.
//!
//! - [`catalog`] resolves the names people type (API, dashboard or id spelling) to groups;
//!   `spelling` holds the spelling rules and suggestions.
//! - [`presets`] are named permission sets, each defined once here.
//! - [`policy`] builds the `policies` a token is created with and compares two tokens' grants.

pub mod catalog;
pub mod policy;
pub mod presets;
mod spelling;

pub use catalog::{PermissionError, ResolvedPermission, ScopeContext, resolve_all, resolve_exact};
