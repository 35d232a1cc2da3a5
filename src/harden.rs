//! Process hardening before any secret is handled: no core dumps (a crash must not write
//! secrets to disk), and on Linux not dumpable, which also stops same-user ptrace and reads of
//! /proc/PID/mem.

/// Applies what the platform supports; failures are logged and ignored (a container may forbid
/// them, and cfsecret still works).
pub(crate) fn apply() {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let current = getrlimit(Resource::Core);
        let limit = Rlimit {
            current: Some(0),
            maximum: current.maximum,
        };
        if let Err(e) = setrlimit(Resource::Core, limit) {
            log::debug!("could not disable core dumps: {e}");
        }
    }
    #[cfg(target_os = "linux")]
    if let Err(e) =
        rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
    {
        log::debug!("could not mark the process non-dumpable: {e}");
    }
}
