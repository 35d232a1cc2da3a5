//! Parsing the command line, dispatching, and turning the result into output and an exit code.

pub mod args;
mod runlog;

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
        Command::Completions { shell } => {
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "cfsecret",
                &mut std::io::stdout(),
            );
            return 0;
        }
        Command::Man => {
            let mut out = Vec::new();
            if clap_mangen::Man::new(Cli::command())
                .render(&mut out)
                .is_ok()
            {
                let _ = std::io::stdout().write_all(&out);
                return 0;
            }
            return 1;
        }
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
    if std::env::args().any(|a| a == "--json") {
        // clap's message up to the usage block, on one line: the error and what it concerns.
        let rendered = e.render().to_string();
        let msg = rendered
            .lines()
            .take_while(|l| !l.starts_with("Usage:"))
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let msg = msg.trim_start_matches("error: ");
        let obj =
            serde_json::json!({"failed": true, "changed": false, "error": "usage", "msg": msg});
        println!("{obj}");
    } else {
        let _ = e.print();
    }
    Exit::Usage.code()
}
