//! The crontab line of examples/cron, its command run exactly as cron runs it: `/bin/sh -c`,
//! with only the crontab's variables, HOME and LOGNAME in the environment.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use super::{FILE, KEY, World, assert_no_secret, repo, run_log_lines};
use crate::support::require;

struct Crontab {
    vars: Vec<(String, String)>,
    command: String,
}

/// The variables and the one job line of the example crontab.
fn crontab() -> Crontab {
    let text = std::fs::read_to_string(repo().join("examples/cron/cfsecret.crontab")).unwrap();
    let mut vars = Vec::new();
    let mut jobs = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let is_var = line.split_once('=').is_some_and(|(k, _)| {
            !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        if is_var {
            let (k, v) = line.split_once('=').unwrap();
            vars.push((k.to_owned(), v.to_owned()));
        } else {
            // Five time fields, then the command (the rest of the line, as cron takes it).
            let mut rest = line;
            for _ in 0..5 {
                rest = rest.trim_start().split_once(char::is_whitespace).unwrap().1;
            }
            jobs.push(rest.trim().to_owned());
        }
    }
    assert_eq!(jobs.len(), 1, "one job line: {jobs:?}");
    Crontab {
        vars,
        command: jobs.remove(0),
    }
}

#[test]
fn the_crontab_line_rotates_with_wait_quiet_and_max_age() {
    let cron = crontab();
    for flag in ["rotate", "--max-age 30d", "--wait", "--quiet"] {
        assert!(cron.command.contains(flag), "{flag} in {}", cron.command);
    }
    assert!(
        !cron.command.contains("flock"),
        "cfsecret locks the file itself"
    );
    let names: Vec<&str> = cron.vars.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["SHELL", "PATH", "SOPS_AGE_KEY_FILE", "CFSECRET_DIR"]
    );
}

/// A stand-in for systemd-cat (there is no journald in the test sandbox): it takes the same
/// options, runs the command with stdout and stderr appended to `journal`, and exits with the
/// command's status.
fn fake_systemd_cat(dir: &Path, journal: &Path) {
    let script = format!(
        "#!/bin/sh\n\
         while [ $# -gt 0 ]; do\n\
         \x20 case \"$1\" in\n\
         \x20   -t|-p|--identifier|--priority) shift 2 ;;\n\
         \x20   -*) shift ;;\n\
         \x20   *) break ;;\n\
         \x20 esac\n\
         done\n\
         exec \"$@\" >>'{}' 2>&1\n",
        journal.display()
    );
    let p = dir.join("systemd-cat");
    std::fs::write(&p, script).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn the_crontab_command_runs_as_cron_runs_it() {
    if !require("sops") {
        return;
    }
    let w = World::new();
    w.create(&[]).success();
    let old = w.active_id();
    // The host's installation: cfsecret and systemd-cat on the crontab's PATH.
    let bin = w.t.path("host/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_cfsecret"), bin.join("cfsecret")).unwrap();
    let journal = w.t.path("host/journal.log");
    fake_systemd_cat(&bin, &journal);

    let cron = crontab();
    let run = || {
        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c").arg(&cron.command).env_clear();
        cmd.env("HOME", w.t.path("home")).env("LOGNAME", "cfsecret");
        // The crontab's variables, with this host's values.
        for (k, v) in &cron.vars {
            let v = match k.as_str() {
                "PATH" => format!("{}:{v}", bin.display()),
                "SOPS_AGE_KEY_FILE" => w.t.path("keys.txt").display().to_string(),
                "CFSECRET_DIR" => w.t.path("secrets").display().to_string(),
                _ => v.clone(),
            };
            cmd.env(k, v);
        }
        // The commented-out API base of the crontab, pointed at the fake.
        cmd.env("CLOUDFLARE_API_BASE_URL", w.fake.base_url());
        cmd.current_dir(w.t.path("home"));
        let out = cmd.output().unwrap();
        // cron mails whatever the command prints: nothing, when all goes to the journal.
        assert_eq!(
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).as_ref(),
                String::from_utf8_lossy(&out.stderr).as_ref()
            ),
            (Some(0), "", ""),
            "journal so far: {}",
            std::fs::read_to_string(&journal).unwrap_or_default()
        );
        std::fs::read_to_string(&journal).unwrap()
    };

    // Young token: nothing to do, one line in the journal.
    let log = run();
    let lines = run_log_lines(&log);
    assert_eq!(lines.len(), 1, "{log}");
    assert_eq!(lines[0]["action"], "unchanged");
    assert_eq!(lines[0]["store"], "cell-v0.yml#cloudflare_api_token");
    assert_eq!(lines[0]["token_id"], old);
    assert_eq!(log.lines().count(), 1, "--quiet: only the log line: {log}");

    // 31 days later the same line rotates.
    w.age_token(31);
    let log = run();
    let lines = run_log_lines(&log);
    assert_eq!(lines.len(), 2, "{log}");
    let new = w.active_id();
    assert_ne!(new, old);
    assert_eq!(lines[1]["action"], "rotated");
    assert_eq!(lines[1]["token_id"], new);
    assert_eq!(lines[1]["old_token_id"], old);
    assert_eq!(lines[1]["result"], "ok");
    assert_eq!(log.lines().count(), 2, "--quiet: only the log lines: {log}");
    assert_no_secret(&log, &w.secrets(), "the journal");
    let stored = w.sops_extract(FILE, KEY);
    assert_eq!(w.fake.token_for_secret(&stored).map(|t| t.id), Some(new));
}
