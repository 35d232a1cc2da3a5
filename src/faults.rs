//! Named fault points, so tests can interrupt or fail a run at an exact step.
//!
//! Compiled in only with `debug_assertions` (the dev-profile binary the tests run); release
//! builds — what `install.sh` installs — have no hooks, and `hit` is a no-op. Tests set
//! `CFSECRET_FAULTS` to a comma-separated list of `POINT=ACTION[@N]`: at the N-th time (default
//! 1) the run reaches POINT, ACTION happens:
//!
//! - `kill`: the process sends itself SIGKILL (nothing is flushed, no destructor runs);
//! - `enospc`, `erofs`, `eio`: the I/O step at POINT fails with that OS error.
//!
//! Points: `store.temp_write`, `store.fsync`, `store.rename`, `store.renamed` (around the
//! atomic replacement of a store), `journal.write`, `journal.written` (around each journal
//! save), `rescue.reserve` (taking a rescue file's room before a roll), `rescue.create` (each
//! new rescue file outside that room), and `api.create.sent`, `api.roll.sent`,
//! `api.rename.sent`, `api.revoke.sent`, `api.expire.sent`, `api.delete.sent` (a mutating call was sent and carried
//! out; its answer is not read yet).

/// Reaches fault point `point`: returns the injected I/O error, or kills the process.
#[cfg(debug_assertions)]
pub(crate) fn hit(point: &str) -> std::io::Result<()> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static HITS: Mutex<Option<HashMap<String, u32>>> = Mutex::new(None);
    let Ok(spec) = std::env::var("CFSECRET_FAULTS") else {
        return Ok(());
    };
    let count = {
        let mut hits = HITS.lock().unwrap_or_else(|e| e.into_inner());
        let n = hits
            .get_or_insert_with(HashMap::new)
            .entry(point.to_owned())
            .or_insert(0);
        *n += 1;
        *n
    };
    for item in spec.split(',').map(str::trim) {
        let Some((name, action)) = item.split_once('=') else {
            continue;
        };
        let (action, nth) = match action.split_once('@') {
            Some((a, n)) => (a, n.parse().unwrap_or(1)),
            None => (action, 1),
        };
        if name != point || nth != count {
            continue;
        }
        // Raw OS error numbers (Linux): ENOSPC 28, EROFS 30, EIO 5.
        let errno = match action {
            "kill" => {
                let _ = rustix::process::kill_process(
                    rustix::process::getpid(),
                    rustix::process::Signal::KILL,
                );
                std::process::abort();
            }
            "enospc" => 28,
            "erofs" => 30,
            _ => 5,
        };
        return Err(std::io::Error::from_raw_os_error(errno));
    }
    Ok(())
}

/// Release builds have no fault points.
#[cfg(not(debug_assertions))]
#[inline(always)]
pub(crate) fn hit(_point: &str) -> std::io::Result<()> {
    Ok(())
}
