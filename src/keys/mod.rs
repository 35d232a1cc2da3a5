//! age keys: where the user's identities are found, and the recipients files are encrypted to.

pub mod identities;
pub mod key_cmd;
pub mod pq;
pub mod recipients;

pub use identities::Identities;
pub use recipients::Recipient;
