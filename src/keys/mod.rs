//! age keys: where the user's identities are found, and the recipients files are encrypted to.

pub(crate) mod identities;
pub(crate) mod key_cmd;
pub(crate) mod pq;
pub(crate) mod recipients;
