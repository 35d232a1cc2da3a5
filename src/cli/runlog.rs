//! The run log: one line on stderr per run of `create`, `rotate`, `roll`, `verify` and `set`,
//! whatever `--json` or `--quiet` say, so that cron's mail, syslog and the systemd journal keep a
//! record of every unattended run:
//!
//! ```text
//! 2026-11-22T04:11:46Z cfsecret rotate store=secrets/cell-v0.yml#cloudflare_api_token action=rotated token_id=… old_token_id=… result=ok
//! 2026-11-22T04:11:46Z cfsecret rotate store=secrets/cell-v0.yml#cloudflare_api_token result=error error=locked exit=6
//! ```
//!
//! Fields are `key=value`; a value is quoted (`"…"`, with `\"` and `\\` escaped) when it holds a
//! space, a quote, an `=` or a control character. The line is built only from the store flags
//! (paths and key names) and from the same report and error fields the JSON output uses (action,
//! token ids, status, error code, exit code) — never from a message and never from a secret.
//!
//! Under systemd (stderr connected to the journal, as `JOURNAL_STREAM` says) the line carries a
//! syslog priority prefix, `<6>` for success and `<3>` for an error, which journald strips and
//! turns into the entry's priority: `journalctl -p err` lists the failed runs.

use std::io::Write;

use serde_json::{Map, Value};

use super::args::{Command, GlobalArgs, StoreArgs};
use crate::error::Error;
use crate::output::Report;

/// What the line says about one run, before it has an outcome.
#[derive(Debug, Clone)]
pub struct RunLog {
    command: &'static str,
    store: Option<String>,
    check: bool,
}

/// How a run ended.
pub enum Outcome<'a> {
    /// Success or nothing to do.
    Ok(&'a Report),
    /// A failure, with the exit code it leads to.
    Err(&'a Error, u8),
}

impl RunLog {
    /// The run log for a command that writes one (`create`, `rotate`, `roll`, `verify`, `set`).
    pub fn for_command(command: &Command, global: &GlobalArgs) -> Option<Self> {
        let (name, store) = match command {
            Command::Create(a) => ("create", &a.store),
            Command::Rotate(a) => ("rotate", &a.store),
            Command::Roll(a) => ("roll", &a.store),
            Command::Verify(a) => ("verify", &a.store),
            Command::Set(a) => ("set", &a.store),
            Command::Revoke(a) => ("revoke", &a.store),
            _ => return None,
        };
        Some(Self {
            command: name,
            store: store_field(store),
            check: global.check,
        })
    }

    /// The line (without a trailing newline) for a run that ended at `at`.
    pub fn line(&self, at: jiff::Timestamp, outcome: &Outcome<'_>) -> String {
        let at = jiff::Timestamp::from_second(at.as_second()).unwrap_or(at);
        let mut line = format!("{at} cfsecret {}", self.command);
        let mut push = |key: &str, value: &str| {
            line.push(' ');
            line.push_str(key);
            line.push('=');
            line.push_str(&quote(value));
        };
        if let Some(store) = &self.store {
            push("store", store);
        }
        let (action, fields) = match outcome {
            Outcome::Ok(report) => (Some(report.action), report.fields.clone()),
            // A failure's fields may still say what was done (a rotation whose old token could
            // not be revoked) and which token it concerns.
            Outcome::Err(e, _) => (None, e.fields()),
        };
        let fields = &fields;
        if let Some(action) = action.or_else(|| text(fields, "action")) {
            push("action", action);
        }
        for key in ["token_id", "old_token_id", "warning"] {
            if let Some(v) = text(fields, key) {
                push(key, v);
            }
        }
        if let Some(status) = text(fields, "status").filter(|s| *s != "active") {
            push("status", status);
        }
        if self.check {
            push("check", "true");
        }
        match outcome {
            Outcome::Ok(_) => push("result", "ok"),
            Outcome::Err(e, exit) => {
                push("result", "error");
                push("error", e.code());
                push("exit", &exit.to_string());
            }
        }
        line
    }

    /// Writes the line for this outcome to stderr, with a priority prefix under the journal.
    pub fn emit(&self, outcome: &Outcome<'_>) {
        let line = self.line(jiff::Timestamp::now(), outcome);
        let prefix = match (stderr_is_journal(), outcome) {
            (false, _) => "",
            (true, Outcome::Ok(_)) => "<6>",
            (true, Outcome::Err(..)) => "<3>",
        };
        let _ = writeln!(std::io::stderr().lock(), "{prefix}{line}");
    }
}

/// `FILE#KEY` as given on the command line, or `keyring:SERVICE/USER`.
fn store_field(store: &StoreArgs) -> Option<String> {
    match (&store.file, &store.key, &store.keyring) {
        (Some(file), Some(key), _) => Some(format!("{}#{key}", file.display())),
        (_, _, Some(entry)) => Some(format!("keyring:{entry}")),
        _ => None,
    }
}

fn text<'m>(fields: &'m Map<String, Value>, key: &str) -> Option<&'m str> {
    fields.get(key).and_then(Value::as_str)
}

/// A value as it appears in the line: bare when it is safe, else double-quoted with `"` and `\`
/// escaped and control characters spelled out.
fn quote(value: &str) -> String {
    let bare = !value.is_empty()
        && !value.chars().any(|c| {
            c.is_whitespace() || crate::terminal::needs_escape(c) || matches!(c, '"' | '=' | '\\')
        });
    if bare {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if crate::terminal::needs_escape(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether stderr is the journal stream systemd connected (`JOURNAL_STREAM=DEV:INODE`), not
/// something a child of such a service redirected it to.
fn stderr_is_journal() -> bool {
    let Some(stream) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    let Some((dev, ino)) = stream.to_str().and_then(|s| s.split_once(':')) else {
        return false;
    };
    let (Ok(dev), Ok(ino)) = (dev.parse::<u64>(), ino.parse::<u64>()) else {
        return false;
    };
    // The field types differ between platforms (u64 on Linux x86_64, narrower elsewhere).
    #[allow(clippy::unnecessary_cast)]
    match rustix::fs::fstat(std::io::stderr()) {
        Ok(st) => st.st_dev as u64 == dev && st.st_ino as u64 == ino,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::UsageError;

    fn log(store: Option<&str>, check: bool) -> RunLog {
        RunLog {
            command: "rotate",
            store: store.map(str::to_owned),
            check,
        }
    }

    fn at() -> jiff::Timestamp {
        "2026-11-22T04:11:46.123456Z".parse().unwrap()
    }

    #[test]
    fn a_success_names_the_store_action_and_token() {
        let report = Report::new(true, "rotated", "a message that is not logged")
            .field("token_id", "new123")
            .field("old_token_id", "old456")
            .field("status", "active");
        let line = log(Some("secrets/cell-v0.yml#cloudflare_api_token"), false)
            .line(at(), &Outcome::Ok(&report));
        assert_eq!(
            line,
            "2026-11-22T04:11:46Z cfsecret rotate store=secrets/cell-v0.yml#cloudflare_api_token \
             action=rotated token_id=new123 old_token_id=old456 result=ok"
        );
    }

    #[test]
    fn an_error_has_its_code_and_exit_and_check_mode_is_marked() {
        let err = Error::new(UsageError::new("bad"));
        let line = log(Some("my secrets/s.yaml#[\"a\"]"), true).line(at(), &Outcome::Err(&err, 2));
        assert_eq!(
            line,
            "2026-11-22T04:11:46Z cfsecret rotate store=\"my secrets/s.yaml#[\\\"a\\\"]\" \
             check=true result=error error=usage exit=2"
        );
    }

    #[test]
    fn odd_values_are_quoted() {
        assert_eq!(quote("abc/def.yaml#k"), "abc/def.yaml#k");
        assert_eq!(quote(""), "\"\"");
        assert_eq!(quote("revoked (exposed)"), "\"revoked (exposed)\"");
        assert_eq!(quote("a=b"), "\"a=b\"");
        assert_eq!(quote("x\ny\\"), "\"x\\ny\\\\\"");
        assert_eq!(quote("\u{1b}"), "\"\\u{1b}\"");
    }
}
