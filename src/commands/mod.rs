//! One module per command. Each returns a [`Report`](crate::output::Report) or an error; the
//! dispatcher in [`crate::cli`] prints it.

pub(crate) mod auth_stdin;
pub mod create;
pub(crate) mod create_converge;
pub mod exec;
pub(crate) mod list;
pub(crate) mod manage_error;
pub mod permissions;
pub(crate) mod probe;
pub(crate) mod revoke;
pub mod roll;
pub mod rotate;
pub mod set;
pub mod stdin;
pub mod verify;
pub(crate) mod verify_more;
