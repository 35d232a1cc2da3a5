//! Parsing the command line, dispatching, and turning the result into output and an exit code.

pub mod args;
pub mod manage_args;
mod runlog;
mod usage;

use std::io::Write;

use clap::{CommandFactory, Parser};

use crate::commands;
use crate::error::Exit;
use crate::output::{Report, Reporter};
use args::{Cli, Command};

/// Runs cfsecret with the process's arguments; returns the exit code.
pub fn run() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    crate::harden::apply();
    crate::logging::init(cli.global.quiet, cli.global.verbose);
    let reporter = Reporter {
        json: cli.global.json,
        quiet: cli.global.quiet,
    };
    if let Err(e) = commands::auth_stdin::load(&cli) {
        reporter.failure(&e, false);
        return e.exit().code();
    }
    let result: Result<(Report, Exit), crate::error::Error> = match &cli.command {
        Command::Set(a) => commands::set::run(a, &cli.global).map(|r| (r, Exit::Success)),
        Command::Exec(a) => commands::exec::run(a, &cli.global),
        Command::Create(a) => commands::create::run(a, &cli.global).map(|r| (r, Exit::Success)),
        Command::Rotate(a) => commands::rotate::run(a, &cli.global).map(|r| (r, Exit::Success)),
        Command::Roll(a) => commands::roll::run(a, &cli.global).map(|r| (r, Exit::Success)),
        Command::Verify(a) => commands::verify::run(a, &cli.global).map(|r| (r, Exit::Success)),
        Command::Permissions(a) => {
            commands::permissions::run(a, &cli.global).map(|r| (r, Exit::Success))
        }
        Command::List(a) => commands::list::run(a, &cli.global).map(|r| (r, Exit::Success)),
        Command::Revoke(a) => commands::revoke::run(a, &cli.global).map(|r| (r, Exit::Success)),
        Command::Completions { shell } => {
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "cfsecret",
                &mut std::io::stdout(),
            );
            return 0;
        }
        Command::Man { dir } => return man(dir.as_deref(), cli.global.quiet),
    };
    let runlog = runlog::RunLog::for_command(&cli.command, &cli.global);
    match result {
        Ok((report, exit)) => {
            reporter.success(&report);
            if let Some(log) = &runlog {
                log.emit(&runlog::Outcome::Ok(&report));
            }
            exit.code()
        }
        Err(e) => {
            reporter.failure(&e, e.changed());
            if let Some(log) = &runlog {
                log.emit(&runlog::Outcome::Err(&e, e.exit().code()));
            }
            e.exit().code()
        }
    }
}

/// `cfsecret man`: the main page on stdout, or every page into `dir`.
fn man(dir: Option<&std::path::Path>, quiet: bool) -> u8 {
    // No `help` subcommand page (it has none to link to); built, so that subcommand pages are
    // named and titled `cfsecret-rotate`.
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let Some(dir) = dir else {
        let mut out = Vec::new();
        return match clap_mangen::Man::new(cmd).render(&mut out) {
            Ok(()) if std::io::stdout().write_all(&out).is_ok() => 0,
            _ => Exit::Failure.code(),
        };
    };
    fn write_pages(
        cmd: clap::Command,
        dir: &std::path::Path,
        out: &mut Vec<std::path::PathBuf>,
    ) -> std::io::Result<()> {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            write_pages(sub.clone(), dir, out)?;
        }
        out.push(clap_mangen::Man::new(cmd).generate_to(dir)?);
        Ok(())
    }
    let mut pages = Vec::new();
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| write_pages(cmd, dir, &mut pages))
        .map(|()| pages.len());
    match written {
        Ok(n) => {
            if !quiet {
                println!("wrote {n} man pages to {}", dir.display());
            }
            0
        }
        Err(e) => {
            eprintln!(
                "error: cannot write the man pages to {}: {e}",
                dir.display()
            );
            Exit::Failure.code()
        }
    }
}

/// clap's own errors: help and version print normally; usage errors exit 2, as one JSON object
/// when `--json` was asked for.
fn usage_error(e: clap::Error) -> u8 {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return 0;
    }
    // Never echo what the user typed that cfsecret does not expect: it may be a pasted secret.
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let rendered = crate::terminal::sanitize(&usage::scrubbed(&e, &argv)).into_owned();
    let note = usage::is_unexpected(&e).then_some(usage::SECRET_NOTE);
    if argv.iter().any(|a| a == "--json") {
        // clap's message up to the usage block, on one line: the error and what it concerns.
        let msg = rendered
            .lines()
            .take_while(|l| !l.starts_with("Usage:"))
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let msg = msg.trim_start_matches("error: ");
        let mut obj =
            serde_json::json!({"failed": true, "changed": false, "error": "usage", "msg": msg});
        if let Some(note) = note {
            obj["hint"] = note.into();
        }
        println!("{}", crate::terminal::json_line(&obj));
    } else {
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "{rendered}");
        if let Some(note) = note {
            let _ = writeln!(stderr, "\nnote: {note}");
        }
    }
    Exit::Usage.code()
}
