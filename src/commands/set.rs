//! `cfsecret set`: store a secret read from standard input.

use crate::args::{GlobalArgs, SetArgs};
use crate::error::Error;
use crate::output::Report;
use crate::store::Store;

/// Runs `set`.
pub(crate) fn run(args: &SetArgs, global: &GlobalArgs) -> Result<Report, Error> {
    let store = Store::from_args(&args.store)?;
    let secret = super::stdin::read_secret(&store.label())?;
    let locked = store.lock(global.wait, global.wait_timeout)?;
    let outcome = if global.check {
        locked.dry_run(&secret)?
    } else {
        locked.write(&secret)?
    };
    let label = store.label();
    let (action, msg) = match (outcome.changed, global.check) {
        (false, _) => ("unchanged", format!("{label} already holds this value")),
        (true, true) => (
            "stored",
            format!("would store {label} (check mode: nothing written)"),
        ),
        (true, false) if outcome.created_file => ("stored", format!("stored {label} (new file)")),
        (true, false) => ("stored", format!("stored {label}")),
    };
    Ok(Report::new(outcome.changed, action, msg).field("store", store.describe()))
}
