//! What a command prints: one JSON object with `--json` (Ansible's `command` module reads it as
//! is), a short human line otherwise. Errors say what went wrong and, on the next line, what to
//! do. Nothing printed here ever contains a secret: reports are built from ids, names and paths.

use std::io::Write;

use serde_json::{Map, Value};

use crate::error::Error;
use crate::terminal::sanitize;

/// The result of a successful (or nothing-to-do) run.
#[derive(Debug, Clone, Default)]
pub(crate) struct Report {
    /// Whether anything changed (Ansible's `changed`).
    pub(crate) changed: bool,
    /// `created`, `rolled`, `rotated`, `verified`, `stored`, `unchanged`, …
    pub(crate) action: &'static str,
    /// One human sentence.
    pub(crate) msg: String,
    /// Further fields (`token_id`, `status`, `expires_on`, `store`, …).
    pub(crate) fields: Map<String, Value>,
}

impl Report {
    /// A report with an action and a message.
    pub(crate) fn new(changed: bool, action: &'static str, msg: impl Into<String>) -> Self {
        Self {
            changed,
            action,
            msg: msg.into(),
            fields: Map::new(),
        }
    }

    /// Adds a field (skipped when `Null`).
    pub(crate) fn field(mut self, key: &str, value: impl Into<Value>) -> Self {
        let value = value.into();
        if !value.is_null() {
            self.fields.insert(key.to_owned(), value);
        }
        self
    }
}

/// Prints reports and errors in the chosen style.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reporter {
    /// `--json`
    pub(crate) json: bool,
    /// `--quiet`
    pub(crate) quiet: bool,
}

impl Reporter {
    /// Prints a successful result.
    pub(crate) fn success(&self, report: &Report) {
        if self.json {
            let mut obj = Map::new();
            obj.insert("changed".into(), report.changed.into());
            obj.insert("action".into(), report.action.into());
            for (k, v) in &report.fields {
                obj.insert(k.clone(), v.clone());
            }
            obj.insert("msg".into(), report.msg.clone().into());
            print_json(&Value::Object(obj));
        } else if !self.quiet {
            let _ = writeln!(std::io::stdout(), "{}", sanitize(&report.msg));
        }
    }

    /// Prints a failure. `changed` says whether something was changed before the failure
    /// (a rotate that stored the new token but could not revoke the old one).
    pub(crate) fn failure(&self, err: &Error, changed: bool) {
        if self.json {
            let mut obj = Map::new();
            obj.insert("failed".into(), true.into());
            obj.insert("changed".into(), changed.into());
            for (k, v) in err.fields() {
                obj.insert(k, v);
            }
            obj.insert("error".into(), err.code().into());
            let mut msg = err.to_string();
            if let Some(hint) = err.hint() {
                obj.insert("hint".into(), hint.clone().into());
                msg = format!("{msg}. {hint}");
            }
            obj.insert("msg".into(), msg.into());
            print_json(&Value::Object(obj));
        } else {
            let mut stderr = std::io::stderr().lock();
            // Messages may quote the API or a file: no raw control character reaches the terminal.
            let _ = writeln!(stderr, "error: {}", sanitize(&err.to_string()));
            if let Some(hint) = err.hint() {
                let _ = writeln!(stderr, "hint: {}", sanitize(&hint));
            }
        }
    }
}

fn print_json(v: &Value) {
    let _ = writeln!(
        std::io::stdout().lock(),
        "{}",
        crate::terminal::json_line(v)
    );
}
