//! clap's usage errors, rendered without echoing what the user typed.
//!
//! A secret pasted where an argument goes (`cfsecret set --file f --key k cfut_…`) is refused,
//! but clap's message repeats it (`unexpected argument 'cfut_…' found`, plus a tip that repeats
//! it twice more), and that message lands in terminals, CI logs and cron mail. So every argument
//! the user typed that is not one of cfsecret's own command or flag names is blanked out of the
//! message, wherever clap quotes it; the rest of clap's text (what was expected, the usage line,
//! suggestions drawn from cfsecret's own names) stays.

use std::collections::BTreeSet;
use std::ffi::OsString;

use clap::CommandFactory;

use crate::args::Cli;

/// What stands where a user's argument was.
pub(crate) const HIDDEN: &str = "<not shown>";

/// Every subcommand and flag name cfsecret has (`create`, `--file`, `-v`, ...).
fn known_names() -> BTreeSet<String> {
    fn walk(cmd: &clap::Command, out: &mut BTreeSet<String>) {
        out.insert(cmd.get_name().to_owned());
        out.extend(cmd.get_all_aliases().map(str::to_owned));
        for arg in cmd.get_arguments() {
            if let Some(l) = arg.get_long() {
                out.insert(format!("--{l}"));
            }
            if let Some(s) = arg.get_short() {
                out.insert(format!("-{s}"));
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, out);
        }
    }
    let mut out = BTreeSet::new();
    let mut cmd = Cli::command();
    cmd.build();
    walk(&cmd, &mut out);
    out.insert("help".into());
    out
}

/// The texts to blank out: each argument (and each `--flag=VALUE` value) the user typed, except
/// cfsecret's own names. Longest first, so a value is not half-replaced by a shorter one.
fn user_texts(argv: &[OsString]) -> Vec<String> {
    let known = known_names();
    let mut texts: Vec<String> = Vec::new();
    for arg in argv.iter().skip(1) {
        let arg = arg.to_string_lossy().into_owned();
        if known.contains(&arg) {
            continue;
        }
        if let Some((flag, value)) = arg.split_once('=')
            && flag.starts_with('-')
        {
            if !value.is_empty() {
                texts.push(value.to_owned());
            }
            if !known.contains(flag) {
                texts.push(arg.clone());
            }
            continue;
        }
        if !arg.is_empty() {
            texts.push(arg);
        }
    }
    texts.sort_by_key(|t| std::cmp::Reverse(t.len()));
    texts.dedup();
    texts
}

/// clap's message for `e` with the user's arguments blanked out.
pub(crate) fn scrubbed(e: &clap::Error, argv: &[OsString]) -> String {
    let known = known_names();
    let typed = user_texts(argv);
    // clap strips escape sequences from what it renders, so a typed argument may appear only
    // in pieces: every quoted text that is part of one goes (values from the environment, such
    // as CFSECRET_KEYRING_BACKEND, are not arguments and stay).
    let mut text = blank_quoted(&e.render().to_string(), &known, &typed);
    for t in typed {
        for piece in t.split(|c: char| c.is_control()) {
            // Long texts (a token is 40+ characters) are blanked anywhere.
            if piece.chars().count() >= 8 {
                text = text.replace(piece, HIDDEN);
            }
        }
    }
    text
}

/// Replaces each `'…'` on a line whose content was typed by the user (all of it, or what is left
/// of it once clap dropped escape sequences) and is not a cfsecret name (`'--file <PATH>'`,
/// `'create'`) with `'<not shown>'`.
fn blank_quoted(text: &str, known: &BTreeSet<String>, typed: &[String]) -> String {
    let ours = |q: &str| {
        let q = q.strip_prefix("-- ").unwrap_or(q);
        let head = q.split([' ', '=']).next().unwrap_or(q);
        let from_user = !q.is_empty() && typed.iter().any(|t| t.contains(q));
        q == HIDDEN
            || known.contains(q)
            || (head.starts_with('-') && known.contains(head))
            || !from_user
    };
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let parts: Vec<&str> = line.split('\'').collect();
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                out.push('\'');
            }
            // Odd parts are inside quotes (when the quote is closed on this line).
            let quoted = i % 2 == 1 && i + 1 < parts.len();
            if quoted && !ours(part) {
                out.push_str(if part.starts_with("-- ") {
                    "-- <not shown>"
                } else {
                    HIDDEN
                });
            } else {
                out.push_str(part);
            }
        }
    }
    out
}

/// Whether this kind of error is about something the user typed that cfsecret does not know.
pub(crate) fn is_unexpected(e: &clap::Error) -> bool {
    use clap::error::ErrorKind;
    matches!(
        e.kind(),
        ErrorKind::UnknownArgument | ErrorKind::InvalidSubcommand
    )
}

/// The note after an unexpected argument: why it is not shown, and where secrets go.
pub(crate) const SECRET_NOTE: &str = "cfsecret does not repeat arguments it does not expect, in case one is a secret; it never takes a secret as an argument: pipe it to `cfsecret set`, or use CLOUDFLARE_API_TOKEN";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_texts_skip_our_names() {
        let argv: Vec<OsString> = [
            "cfsecret",
            "set",
            "--file",
            "s.yaml",
            "--key=k",
            "cfut_secret",
            "--x=val",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        let texts = user_texts(&argv);
        assert!(texts.contains(&"cfut_secret".to_owned()));
        assert!(texts.contains(&"val".to_owned()));
        assert!(texts.contains(&"--x=val".to_owned()));
        assert!(!texts.contains(&"set".to_owned()));
        assert!(!texts.contains(&"--file".to_owned()));
        let known = known_names();
        let typed = ["x y".to_owned(), "x".to_owned()];
        assert_eq!(
            blank_quoted(
                "unexpected 'x y' for '--name <NAME>', try '-- x' or 'create', not 'env'\n",
                &known,
                &typed
            ),
            "unexpected '<not shown>' for '--name <NAME>', try '-- <not shown>' or 'create', not 'env'\n"
        );
    }
}
