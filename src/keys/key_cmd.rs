//! Running a key command (`SOPS_AGE_KEY_CMD`, `SOPS_AGE_SSH_PRIVATE_KEY_CMD`) with a bound on
//! what it may cost: its output is capped and it has a deadline. A command that prints forever
//! would otherwise exhaust memory, and one that never exits would hang an unattended run (sops
//! itself sets neither bound).

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

/// The most output a key command may print (an identity is 74 bytes, a 16384-bit RSA key about
/// 13 KiB of PEM).
pub(crate) const OUTPUT_LIMIT: u64 = 1024 * 1024;
/// How long a key command may run (long enough to touch a hardware key or type a PIN).
pub(crate) const TIMEOUT: Duration = Duration::from_secs(60);

/// Why the command gave no identities.
#[derive(Debug)]
pub(crate) enum KeyCmdError {
    /// It could not be started.
    Spawn(std::io::Error),
    /// It exited unsuccessfully.
    Failed(std::process::ExitStatus),
    /// It printed more than [`OUTPUT_LIMIT`]; it was killed.
    TooMuchOutput,
    /// It ran longer than [`TIMEOUT`]; it was killed.
    TimedOut,
}

impl std::fmt::Display for KeyCmdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Spawn(e) => write!(f, "could not be run: {e}"),
            Self::Failed(status) => write!(f, "exited with {status}"),
            Self::TooMuchOutput => write!(
                f,
                "printed more than {} and was stopped (cfsecret's limit for a key command's output)",
                crate::bounded::human(OUTPUT_LIMIT)
            ),
            Self::TimedOut => write!(
                f,
                "did not finish within {}s and was stopped (cfsecret's limit for a key command, set by {TIMEOUT_ENV}); make it print the key and exit",
                timeout().as_secs()
            ),
        }
    }
}

/// The environment variable that changes [`TIMEOUT`] (a duration: `10s`, `5m`).
pub(crate) const TIMEOUT_ENV: &str = "CFSECRET_KEY_CMD_TIMEOUT";

/// The deadline in force: `CFSECRET_KEY_CMD_TIMEOUT` when it is a valid duration, else 60s.
pub(crate) fn timeout() -> Duration {
    std::env::var(TIMEOUT_ENV)
        .ok()
        .and_then(|v| crate::duration::parse_duration(&v).ok())
        .filter(|d| !d.is_zero())
        .unwrap_or(TIMEOUT)
}

/// Runs `args` with `SOPS_AGE_RECIPIENT` set and returns its standard output.
pub(crate) fn run(args: &[String], recipient: &str) -> Result<Zeroizing<Vec<u8>>, KeyCmdError> {
    run_with(args, recipient, OUTPUT_LIMIT, timeout())
}

fn run_with(
    args: &[String],
    recipient: &str,
    limit: u64,
    timeout: Duration,
) -> Result<Zeroizing<Vec<u8>>, KeyCmdError> {
    let mut child = Command::new(&args[0])
        .args(&args[1..])
        .env("SOPS_AGE_RECIPIENT", recipient)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(KeyCmdError::Spawn)?;
    let deadline = Instant::now() + timeout;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    // The reader runs on its own thread so the deadline holds even while the pipe is quiet; a
    // grandchild that keeps the pipe open after the kill only leaks this thread until exit.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Zeroizing::new(Vec::new());
        let result = (&mut stdout).take(limit + 1).read_to_end(&mut buf);
        let _ = tx.send(result.map(|_| buf));
    });
    let remaining = deadline.saturating_duration_since(Instant::now());
    let output = match rx.recv_timeout(remaining) {
        Ok(Ok(buf)) if buf.len() as u64 > limit => {
            stop(&mut child);
            return Err(KeyCmdError::TooMuchOutput);
        }
        Ok(Ok(buf)) => buf,
        Ok(Err(e)) => {
            stop(&mut child);
            return Err(KeyCmdError::Spawn(e));
        }
        Err(_) => {
            stop(&mut child);
            return Err(KeyCmdError::TimedOut);
        }
    };
    // Output is complete (the pipe closed); the command still has to exit in time.
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(output),
            Ok(Some(status)) => return Err(KeyCmdError::Failed(status)),
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Ok(None) => {
                stop(&mut child);
                return Err(KeyCmdError::TimedOut);
            }
            Err(e) => return Err(KeyCmdError::Spawn(e)),
        }
    }
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["sh".into(), "-c".into(), script.into()]
    }

    #[test]
    fn output_is_returned_and_bounds_hold() {
        let out = run_with(&sh("echo hi"), "age1x", 100, TIMEOUT).unwrap();
        assert_eq!(&out[..], b"hi\n");
        assert!(matches!(
            run_with(&sh("yes"), "age1x", 100, TIMEOUT),
            Err(KeyCmdError::TooMuchOutput)
        ));
        assert!(matches!(
            run_with(
                &sh("exec sleep 30"),
                "age1x",
                100,
                Duration::from_millis(200)
            ),
            Err(KeyCmdError::TimedOut)
        ));
        assert!(matches!(
            run_with(&sh("exit 3"), "age1x", 100, TIMEOUT),
            Err(KeyCmdError::Failed(_))
        ));
    }
}
