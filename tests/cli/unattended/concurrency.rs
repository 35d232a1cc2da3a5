//! Ten rotations of one file at once, as overlapping cron jobs start them. With --wait one
//! rotates and the others, let in one by one, find nothing to do; without it the others exit 6.
//! Either way the file stays valid and exactly one token of the name is active.

use std::process::{Child, Stdio};
use std::sync::{Arc, Barrier};

use fake_cloudflare::{Fault, FaultKind, Op};
use serde_json::Value;

use super::{FILE, KEY, NAME, World, assert_no_secret, run_log_lines};
use crate::support::require;

const RUNS: usize = 10;

struct Finished {
    code: i32,
    json: Value,
    stderr: String,
}

/// Starts `RUNS` rotations as close together as threads allow, and collects them.
fn rotate_all(w: &World, extra: &[&str]) -> Vec<Finished> {
    let barrier = Arc::new(Barrier::new(RUNS));
    let children: Vec<Child> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..RUNS)
            .map(|_| {
                let mut cmd = w.rotate(extra).cmd;
                cmd.stdin(Stdio::null());
                let barrier = Arc::clone(&barrier);
                s.spawn(move || {
                    barrier.wait();
                    cmd.spawn().expect("spawn cfsecret")
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            Finished {
                code: out.status.code().unwrap_or(-1),
                json: serde_json::from_str(stdout.trim())
                    .unwrap_or_else(|e| panic!("not one JSON object ({e}): {stdout}\n{stderr}")),
                stderr,
            }
        })
        .collect()
}

/// A token that is due, its id, and the file as sops reads it.
fn due_token(w: &World) -> String {
    w.create(&[]).success();
    w.age_token(31);
    w.active_id()
}

#[track_caller]
fn file_is_valid_and_holds(w: &World, id: &str) {
    let stored = w.sops_extract(FILE, KEY);
    assert_eq!(
        w.fake.token_for_secret(&stored).map(|t| t.id),
        Some(id.to_owned()),
        "the file holds the active token"
    );
    assert!(w.fake.is_active_secret(&stored));
}

#[test]
fn ten_waiting_rotations_rotate_once() {
    if !require("sops") {
        return;
    }
    let w = World::new();
    let old = due_token(&w);
    w.fake.clear_requests();
    let runs = rotate_all(&w, &["--wait", "--json"]);
    let secrets = w.secrets();
    for r in &runs {
        assert_eq!(r.code, 0, "{} {}", r.json, r.stderr);
        assert_no_secret(&r.stderr, &secrets, "stderr");
        assert_no_secret(&r.json.to_string(), &secrets, "stdout");
        // Each run's log line says what its JSON says.
        let lines = run_log_lines(&r.stderr);
        assert_eq!(lines.len(), 1, "{}", r.stderr);
        assert_eq!(lines[0]["action"], r.json["action"].as_str().unwrap());
    }
    let rotated: Vec<_> = runs.iter().filter(|r| r.json["changed"] == true).collect();
    assert_eq!(
        rotated.len(),
        1,
        "exactly one run rotates: {:#?}",
        runs.iter().map(|r| &r.json).collect::<Vec<_>>()
    );
    assert_eq!(rotated[0].json["action"], "rotated");
    assert_eq!(rotated[0].json["old_token_id"], old.as_str());
    let new = w.active_id();
    assert_ne!(new, old);
    assert_eq!(rotated[0].json["token_id"], new.as_str());
    for r in runs.iter().filter(|r| r.json["changed"] == false) {
        assert_eq!(r.json["action"], "unchanged", "{}", r.json);
        assert_eq!(r.json["token_id"], new.as_str(), "{}", r.json);
    }
    file_is_valid_and_holds(&w, &new);
    assert!(w.fake.token(&old).is_none(), "the old token was revoked");
    w.fake.wait_idle();
    let creates = w
        .fake
        .requests()
        .iter()
        .filter(|r| r.op == Some(Op::CreateToken))
        .count();
    assert_eq!(creates, 1, "one token minted");
    assert_eq!(w.fake.active_tokens_named(NAME).len(), 1);
}

#[test]
fn ten_rotations_without_wait_leave_one_winner_and_nine_exit_6() {
    if !require("sops") {
        return;
    }
    let w = World::new();
    let old = due_token(&w);
    let before = std::fs::read(w.t.path(FILE)).unwrap();
    // The winner holds the lock for at least two seconds (its create stalls), so every other
    // run starts while it is held, as an overlapping cron job would.
    w.fake
        .add_fault(Fault::new(Op::CreateToken, FaultKind::Stall { secs: 2 }));
    let runs = rotate_all(&w, &["--json"]);
    let winners: Vec<_> = runs.iter().filter(|r| r.code == 0).collect();
    let losers: Vec<_> = runs.iter().filter(|r| r.code != 0).collect();
    assert_eq!(
        winners.len(),
        1,
        "one run gets the lock: {:#?}",
        runs.iter().map(|r| (&r.code, &r.json)).collect::<Vec<_>>()
    );
    assert_eq!(winners[0].json["action"], "rotated");
    for r in &losers {
        assert_eq!(r.code, 6, "{} {}", r.json, r.stderr);
        assert_eq!(r.json["failed"], true);
        assert_eq!(r.json["changed"], false);
        assert_eq!(r.json["error"], "locked");
        let lines = run_log_lines(&r.stderr);
        assert_eq!(
            (lines[0]["error"].as_str(), lines[0]["exit"].as_str()),
            ("locked", "6")
        );
    }
    let new = w.active_id();
    assert_ne!(new, old);
    assert_ne!(std::fs::read(w.t.path(FILE)).unwrap(), before);
    file_is_valid_and_holds(&w, &new);
    assert_no_secret(
        &runs
            .iter()
            .map(|r| format!("{}{}", r.json, r.stderr))
            .collect::<String>(),
        &w.secrets(),
        "output",
    );
}
