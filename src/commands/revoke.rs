//! `cfsecret revoke` (being written).

use crate::cli::args::GlobalArgs;
use crate::error::{Error, UsageError};
use crate::output::Report;

/// Runs `revoke`.
pub(crate) fn run(
    _args: &crate::cli::manage_args::RevokeArgs,
    _global: &GlobalArgs,
) -> Result<Report, Error> {
    Err(UsageError::new("not implemented yet").into())
}
