//! One module per command. Each returns a [`Report`](crate::output::Report) or an error; the
//! dispatcher in [`crate::cli`] prints it.

pub mod exec;
pub mod set;
pub mod stdin;
