//! One module per command. Each returns a [`Report`](crate::output::Report) or an error; the
//! dispatcher in [`crate::cli`] prints it.

pub(crate) mod create;
pub(crate) mod create_converge;
pub(crate) mod exec;
pub(crate) mod list;
pub(crate) mod manage_error;
pub(crate) mod permissions;
pub(crate) mod probe;
pub(crate) mod revoke;
pub(crate) mod roll;
pub(crate) mod rotate;
pub(crate) mod set;
pub(crate) mod stdin;
pub(crate) mod then;
pub(crate) mod verify;
pub(crate) mod verify_more;
