//! One module per command. Each returns a [`Report`](crate::output::Report) or an error; the
//! dispatcher in [`crate::cli`] prints it.

pub mod create;
pub mod exec;
pub mod permissions;
pub mod roll;
pub mod rotate;
pub mod set;
pub mod stdin;
pub mod then;
pub mod verify;
