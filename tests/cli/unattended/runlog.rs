//! One log line per run of create, rotate, roll, verify and set, on stderr, whatever --json and
//! --quiet say: time, store, action, token id, result — never the secret.

use std::collections::BTreeMap;

use super::{FILE, KEY, World, assert_no_secret, parse_run_log, run_log_lines};
use crate::support::{Outcome, StoreArgs, Test, canary, require};

const STORE: &str = "secrets/cell-v0.yml#cloudflare_api_token";

/// The run's one log line, checked for the command and that nothing secret is in it.
#[track_caller]
fn one_line(out: &Outcome, command: &str, secrets: &[String]) -> BTreeMap<String, String> {
    assert_no_secret(&out.stderr, secrets, "stderr");
    assert_no_secret(&out.stdout, secrets, "stdout");
    let lines = run_log_lines(&out.stderr);
    assert_eq!(lines.len(), 1, "one run log line: {}", out.stderr);
    let line = lines.into_iter().next().unwrap();
    assert_eq!(line["command"], command, "{line:?}");
    // It is the last line, after whatever the run printed before.
    let last = out.stderr.lines().last().unwrap();
    assert_eq!(parse_run_log(last).as_ref(), Some(&line));
    line
}

#[track_caller]
fn fields(line: &BTreeMap<String, String>) -> Vec<&str> {
    line.keys()
        .map(String::as_str)
        .filter(|k| *k != "time" && *k != "command")
        .collect()
}

#[test]
fn every_lifecycle_run_logs_one_line_with_json_quiet_or_neither() {
    if !require("sops") {
        return;
    }
    let w = World::new();
    let out = w.create(&["--json"]).success();
    let secrets = w.secrets();
    let json = out.json();
    let id = json["token_id"].as_str().unwrap().to_owned();
    let line = one_line(&out, "create", &secrets);
    assert_eq!(line["store"], STORE);
    assert_eq!(line["action"], "created");
    assert_eq!(line["token_id"], id);
    assert_eq!(line["result"], "ok");
    assert_eq!(fields(&line), ["action", "result", "store", "token_id"]);
    // The exact text, time aside.
    let text = out.stderr.lines().last().unwrap();
    assert_eq!(
        &text[20..],
        format!(" cfsecret create store={STORE} action=created token_id={id} result=ok")
    );

    // --quiet: nothing on stdout, still the line.
    let out = w.rotate(&["--quiet"]).run().success();
    assert_eq!(out.stdout, "");
    let line = one_line(&out, "rotate", &secrets);
    assert_eq!(
        (line["action"].as_str(), line["token_id"].as_str()),
        ("unchanged", id.as_str())
    );

    // A rotation names the new token and the old one.
    w.age_token(31);
    let out = w.rotate(&[]).run().success();
    let secrets = w.secrets();
    let new_id = w.active_id();
    let line = one_line(&out, "rotate", &secrets);
    assert_eq!(line["action"], "rotated");
    assert_eq!(line["token_id"], new_id);
    assert_eq!(line["old_token_id"], id);
    assert_eq!(line["result"], "ok");

    let out =
        w.t.cfsecret(["verify", "--quiet"])
            .file(FILE)
            .key(KEY)
            .run()
            .success();
    let line = one_line(&out, "verify", &secrets);
    assert_eq!(line["action"], "verified");
    assert_eq!(line["token_id"], new_id);

    let out =
        w.t.cfsecret([
            "roll",
            "--json",
            "--file",
            FILE,
            "--key",
            KEY,
            "--auth-file",
            super::MGMT,
            "--auth-key",
            super::MGMT_KEY,
        ])
        .run()
        .success();
    let secrets = w.secrets();
    let line = one_line(&out, "roll", &secrets);
    assert_eq!(line["action"], "rolled");
    assert_eq!(line["token_id"], new_id);

    // Check mode says so: a log reader must not take a dry run for a rotation.
    w.age_token(31);
    // The roll made the secret new (`--max-age` counts from cfsecret's record of the roll, as
    // a roll keeps `issued_on`): move that record back too, as if the roll were 31 days ago.
    let record = w.t.path("secrets/.cell-v0.yml.cfsecret.written");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap();
    for e in json["entries"].as_array_mut().unwrap() {
        e["written"] = (e["written"].as_i64().unwrap() - 31 * super::DAY as i64).into();
    }
    std::fs::write(&record, json.to_string()).unwrap();
    let out = w.rotate(&["--check", "--json"]).run().success();
    let line = one_line(&out, "rotate", &secrets);
    assert_eq!(
        (line["action"].as_str(), line["check"].as_str()),
        ("rotated", "true")
    );
}

#[test]
fn set_logs_the_store_and_never_the_value() {
    if !require("sops") {
        return;
    }
    let mut t = Test::new();
    t.age_keys(&["keys/age-a.txt"]);
    std::fs::create_dir_all(t.path("my secrets")).unwrap();
    let value = canary("runlog");
    let out = t
        .cfsecret(["set", "--age", &Test::recipient("keys/age-a.txt")])
        .file("my secrets/s.yaml")
        .key("token")
        .stdin(value.clone())
        .run()
        .success()
        .hides(&value);
    let line = one_line(&out, "set", std::slice::from_ref(&value));
    assert_eq!(line["store"], "my secrets/s.yaml#token");
    assert_eq!(line["action"], "stored");
    assert_eq!(line["result"], "ok");
    // A value with a space is quoted.
    assert!(
        out.stderr.contains(" store=\"my secrets/s.yaml#token\" "),
        "{}",
        out.stderr
    );
    // Index-syntax keys hold quotes, which are escaped.
    let out = t
        .cfsecret([
            "set",
            "--quiet",
            "--json",
            "--file",
            "my secrets/s.yaml",
            "--key",
            "[\"nested\"][\"token\"]",
        ])
        .stdin(value.clone())
        .run()
        .success()
        .hides(&value);
    let line = one_line(&out, "set", &[value]);
    assert_eq!(line["store"], "my secrets/s.yaml#[\"nested\"][\"token\"]");
}

#[test]
fn failures_log_the_error_code_and_exit_status() {
    if !require("sops") {
        return;
    }
    let w = World::new();
    // Nothing stored yet.
    let out = w.rotate(&["--json"]).run().code(1);
    let line = one_line(&out, "rotate", &w.secrets());
    assert_eq!(line["store"], STORE);
    assert_eq!(line["result"], "error");
    assert_eq!(line["error"], out.json()["error"].as_str().unwrap());
    assert_eq!(line["error"], "nothing_stored");
    assert_eq!(line["exit"], "1");

    // The lock is held: exit 6.
    w.create(&[]).success();
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(w.t.path("secrets/.cell-v0.yml.cfsecret.lock"))
        .unwrap();
    lock.lock().unwrap();
    let out = w.rotate(&["--quiet"]).run().code(6);
    let line = one_line(&out, "rotate", &w.secrets());
    assert_eq!(
        (line["error"].as_str(), line["exit"].as_str()),
        ("locked", "6")
    );
    drop(lock);

    // A revoked token: verify exits 3, and the status (with a space) is quoted.
    let id = w.active_id();
    w.fake.set_status(&id, "revoked (exposed)");
    let out = w.t.cfsecret(["verify"]).file(FILE).key(KEY).run().code(3);
    let line = one_line(&out, "verify", &w.secrets());
    assert_eq!(line["token_id"], id);
    assert_eq!(line["status"], "revoked (exposed)");
    assert_eq!(line["error"], "token_not_active");
    assert_eq!(line["exit"], "3");
    assert!(
        out.stderr.contains(" status=\"revoked (exposed)\" "),
        "{}",
        out.stderr
    );
}

#[test]
fn commands_that_are_not_runs_of_the_lifecycle_do_not_log() {
    let t = Test::new();
    for args in [vec!["completions", "bash"], vec!["man"], vec!["--version"]] {
        let out = t.cfsecret(args.clone()).run().success();
        assert!(
            run_log_lines(&out.stderr).is_empty(),
            "{args:?}: {}",
            out.stderr
        );
    }
}

/// Under systemd, stderr is the journal stream named by `JOURNAL_STREAM=DEV:INODE`; the line then
/// starts with its syslog priority, which journald strips and records (`journalctl -p err`).
#[test]
fn under_the_journal_the_line_carries_its_priority() {
    use std::os::unix::fs::MetadataExt;
    let mut t = Test::new();
    t.age_keys(&["keys/age-a.txt"]);
    let run = |args: &[&str], stream: Option<&str>| {
        let log = std::fs::File::create(t.path("journal")).unwrap();
        let meta = log.metadata().unwrap();
        let own = format!("{}:{}", meta.dev(), meta.ino());
        let mut run = t.cfsecret(args.iter().copied()).stdin("v");
        run.cmd
            .stderr(log)
            .env("JOURNAL_STREAM", stream.unwrap_or(&own));
        let code = run.run().code;
        (code, t.read("journal"))
    };
    let set = [
        "set",
        "--age",
        &Test::recipient("keys/age-a.txt"),
        "--file",
        "s.yaml",
        "--key",
        "k",
    ];
    let (code, log) = run(&set, None);
    assert_eq!(code, 0, "{log}");
    let last = log.lines().last().unwrap();
    let line = last
        .strip_prefix("<6>")
        .unwrap_or_else(|| panic!("info: {log}"));
    assert_eq!(parse_run_log(line).unwrap()["result"], "ok");

    let (code, log) = run(&["verify", "--file", "missing.yaml", "--key", "k"], None);
    assert_eq!(code, 1, "{log}");
    let last = log.lines().last().unwrap();
    let line = last
        .strip_prefix("<3>")
        .unwrap_or_else(|| panic!("err: {log}"));
    assert_eq!(parse_run_log(line).unwrap()["result"], "error");

    // A JOURNAL_STREAM inherited by a process whose stderr went elsewhere: no prefix.
    let (code, log) = run(&set, Some("1:2"));
    assert_eq!(code, 0, "{log}");
    assert!(
        parse_run_log(log.lines().last().unwrap()).is_some(),
        "{log}"
    );
}
