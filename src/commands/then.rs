//! `--then CMD`: commands run after the store changed (written and verified) — commit and push
//! a manifest, `kubectl rollout restart`, `systemctl reload`.
//!
//! Each runs as `sh -c CMD`, in order, stopping at the first failure (a push after a failed
//! commit has nothing to push). It never sees a secret: not in its argv (CMD is the user's own
//! text), not in its environment (the credential variables cfsecret read are removed, standard
//! input is empty), only where the store is, the key, the action and the token ids. It is
//! bounded by `--then-timeout` (its process group is killed then), and its output is shown on
//! stderr with control characters escaped. A failure is reported (`"then"`, `"then_failed"`,
//! exit 7) but never undoes the stored token: the store is right, what follows it is not.
//!
//! Not run in check mode, nor when the store did not change (nothing for a consumer to pick
//! up: a rotate that only finished a previous run's revocation, a `create` that found the token
//! already there or updated its policies in place).

use std::io::{Read, Write};
#[cfg(unix)]
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::args::{Command as Cli, GlobalArgs};
use crate::error::{Diagnose, Error, Exit};
use crate::output::Report;

/// Variables holding a credential cfsecret may have read (a value that *is* a secret; paths to
/// key files and key commands stay, so a hook can run sops): removed from the child.
pub(crate) const SCRUBBED: [&str; 5] = [
    "CLOUDFLARE_API_TOKEN",
    "CLOUDFLARE_API_KEY",
    "CLOUDFLARE_GLOBAL_KEY",
    "CLOUDFLARE_EMAIL",
    "SOPS_AGE_KEY",
];

/// The most output of one command that is kept per stream (the rest is read and dropped).
const OUTPUT_LIMIT: u64 = 64 * 1024;

/// The actions after which the store holds a new secret.
const STORE_CHANGED: [&str; 4] = ["created", "rolled", "rotated", "stored"];

/// Whether `--then` commands run after this report.
pub(crate) fn due(report: &Report, check: bool) -> bool {
    !check && report.changed && STORE_CHANGED.contains(&report.action)
}

/// Runs the `--then` commands of `command` after its result, when they are due: after a
/// successful write, and after a rotation whose new token is stored and verified but whose old
/// one could not be revoked (exit 4: consumers still need the new token).
pub(crate) fn after(
    command: &Cli,
    global: &GlobalArgs,
    result: Result<(Report, Exit), Error>,
) -> Result<(Report, Exit), Error> {
    let (then, store) = match command {
        Cli::Create(a) => (&a.then, &a.store),
        Cli::Roll(a) => (&a.then, &a.store),
        Cli::Rotate(a) => (&a.then, &a.store),
        Cli::Set(a) => (&a.then, &a.store),
        _ => return result,
    };
    if then.then.is_empty() || global.check {
        return result;
    }
    let timeout = then.then_timeout;
    match result {
        Ok((report, exit)) if due(&report, global.check) => {
            let outcome = run_all(&then.then, &report, timeout, global.quiet);
            let exit = match exit {
                Exit::Success if outcome.failed() => Exit::ThenFailed,
                other => other,
            };
            Ok((outcome.add_to(report), exit))
        }
        Ok(ok) => {
            log::info!("--then not run: the store did not change");
            Ok(ok)
        }
        Err(e) if e.exit() == Exit::RevokeFailed => {
            let fields = e.fields();
            let action = match fields.get("action").and_then(Value::as_str) {
                Some("rolled") => "rolled",
                _ => "rotated",
            };
            let mut report = Report::new(true, action, String::new());
            report.fields = fields;
            if let Ok(s) = crate::store::Store::from_args(store) {
                report.fields.insert("store".into(), s.describe());
            }
            let outcome = run_all(&then.then, &report, timeout, global.quiet);
            Err(Error::new(WithThen { inner: e, outcome }))
        }
        Err(e) => Err(e),
    }
}

/// An error after which the `--then` commands ran (exit 4): the error, plus their outcome.
#[derive(Debug)]
struct WithThen {
    inner: Error,
    outcome: Outcome,
}

impl std::fmt::Display for WithThen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}; {}", self.inner, self.outcome.sentence())
    }
}

impl std::error::Error for WithThen {}

impl Diagnose for WithThen {
    fn code(&self) -> &'static str {
        self.inner.code()
    }
    fn exit(&self) -> Exit {
        self.inner.exit()
    }
    fn hint(&self) -> Option<String> {
        self.inner.hint()
    }
    fn fields(&self) -> serde_json::Map<String, Value> {
        let mut m = self.inner.fields();
        m.insert("then".into(), self.outcome.json());
        if self.outcome.failed() {
            m.insert("then_failed".into(), true.into());
        }
        m
    }
    fn changed(&self) -> bool {
        self.inner.changed()
    }
}

/// What one command did.
#[derive(Debug)]
struct Ran {
    cmd: String,
    status: Option<i32>,
    timed_out: bool,
    error: Option<String>,
}

impl Ran {
    fn ok(&self) -> bool {
        self.status == Some(0)
    }

    fn json(&self) -> Value {
        let mut v = json!({"cmd": self.cmd, "status": self.status, "ok": self.ok()});
        if self.timed_out {
            v["timed_out"] = true.into();
        }
        if let Some(e) = &self.error {
            v["error"] = e.clone().into();
        }
        v
    }

    fn describe(&self) -> String {
        match (&self.error, self.timed_out, self.status) {
            (Some(e), _, _) => format!("could not be started ({e})"),
            (None, true, _) => "timed out and was stopped".into(),
            (None, false, Some(c)) => format!("exited with status {c}"),
            (None, false, None) => "was killed by a signal".into(),
        }
    }
}

/// The results of the `--then` commands, for the report.
#[derive(Debug)]
pub(crate) struct Outcome {
    ran: Vec<Ran>,
    skipped: Vec<String>,
}

impl Outcome {
    /// Whether a command failed.
    pub(crate) fn failed(&self) -> bool {
        self.ran.iter().any(|r| !r.ok())
    }

    /// The `"then"` array.
    pub(crate) fn json(&self) -> Value {
        let mut all: Vec<Value> = self.ran.iter().map(Ran::json).collect();
        all.extend(
            self.skipped
                .iter()
                .map(|c| json!({"cmd": c, "status": null, "ok": false, "skipped": true})),
        );
        Value::Array(all)
    }

    /// One sentence for the human message.
    pub(crate) fn sentence(&self) -> String {
        match self.ran.iter().find(|r| !r.ok()) {
            None => format!("then: {} command(s) succeeded", self.ran.len()),
            Some(r) => format!(
                "then: `{}` {}{}; the stored token stays",
                r.cmd,
                r.describe(),
                if self.skipped.is_empty() {
                    String::new()
                } else {
                    format!(", {} later command(s) not run", self.skipped.len())
                }
            ),
        }
    }

    /// Adds the outcome to a report.
    pub(crate) fn add_to(&self, report: Report) -> Report {
        let mut report = report.field("then", self.json());
        if self.failed() {
            report = report.field("then_failed", true);
        }
        report.msg = format!("{}; {}", report.msg, self.sentence());
        report
    }
}

/// The variables a command gets, from the report's fields.
fn vars(report: &Report) -> Vec<(&'static str, String)> {
    let f = |k: &str| {
        report
            .fields
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let store = report.fields.get("store");
    let s = |k: &str| {
        store
            .and_then(|v| v.get(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let (place, key) = match s("type").as_str() {
        "keyring" => (
            format!("keyring:{}/{}", s("service"), s("user")),
            String::new(),
        ),
        _ => (s("file"), s("key")),
    };
    vec![
        ("CFSECRET_STORE", place),
        ("CFSECRET_KEY", key),
        ("CFSECRET_ACTION", report.action.to_owned()),
        ("CFSECRET_TOKEN_ID", f("token_id")),
        ("CFSECRET_OLD_TOKEN_ID", f("old_token_id")),
    ]
}

/// Runs the commands in order, stopping at the first failure; prints their output on stderr
/// (escaped; with `quiet`, only a failed command's).
pub(crate) fn run_all(cmds: &[String], report: &Report, timeout: Duration, quiet: bool) -> Outcome {
    let vars = vars(report);
    let mut ran = Vec::new();
    let mut skipped = Vec::new();
    for cmd in cmds {
        if ran.iter().any(|r: &Ran| !r.ok()) {
            skipped.push(cmd.clone());
            continue;
        }
        let (r, out, err) = run_one(cmd, &vars, timeout);
        if !quiet || !r.ok() {
            let mut stderr = std::io::stderr().lock();
            for text in [out, err] {
                let text = String::from_utf8_lossy(&text);
                if !text.is_empty() {
                    let _ = write!(stderr, "{}", crate::terminal::sanitize(&text));
                    if !text.ends_with('\n') {
                        let _ = writeln!(stderr);
                    }
                }
            }
        }
        log::info!("--then `{cmd}` {}", r.describe());
        ran.push(r);
    }
    Outcome { ran, skipped }
}

fn drain(mut pipe: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut pipe).take(OUTPUT_LIMIT).read_to_end(&mut buf);
        // Keep reading past the limit, so the command is never blocked on a full pipe.
        let _ = std::io::copy(&mut pipe, &mut std::io::sink());
        let _ = tx.send(buf);
    });
    rx
}

fn run_one(cmd: &str, vars: &[(&str, String)], timeout: Duration) -> (Ran, Vec<u8>, Vec<u8>) {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own process group: a timeout stops what it started too.
    #[cfg(unix)]
    c.process_group(0);
    for v in SCRUBBED {
        c.env_remove(v);
    }
    for (k, v) in vars {
        c.env(k, v);
    }
    let mut ran = Ran {
        cmd: cmd.to_owned(),
        status: None,
        timed_out: false,
        error: None,
    };
    let mut child = match c.spawn() {
        Ok(child) => child,
        Err(e) => {
            ran.error = Some(e.to_string());
            return (ran, Vec::new(), Vec::new());
        }
    };
    let out = drain(child.stdout.take().expect("piped"));
    let err = drain(child.stderr.take().expect("piped"));
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                ran.status = status.code();
                break;
            }
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                ran.timed_out = true;
                #[cfg(unix)]
                {
                    let pid = rustix::process::Pid::from_child(&child);
                    let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
                }
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            Err(e) => {
                ran.error = Some(e.to_string());
                break;
            }
        }
    }
    // A grandchild that left the group may hold a pipe open: wait for the output only briefly.
    let grace = Duration::from_secs(2);
    let out = out.recv_timeout(grace).unwrap_or_default();
    let err = err.recv_timeout(grace).unwrap_or_default();
    (ran, out, err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_stop_the_chain_and_timeouts_kill_the_group() {
        let report = Report::new(true, "stored", "x");
        let o = run_all(
            &["exit 3".into(), "true".into()],
            &report,
            Duration::from_secs(10),
            true,
        );
        assert!(o.failed());
        assert_eq!(o.json()[0]["status"], 3);
        assert_eq!(o.json()[1]["skipped"], true);
        let o = run_all(
            &["sleep 30 & wait".into()],
            &report,
            Duration::from_millis(200),
            true,
        );
        assert_eq!(o.json()[0]["timed_out"], true);
    }
}
