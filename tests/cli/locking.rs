//! Concurrent runs on one store serialise on its lock: the loser exits 6, or waits with --wait.

use std::fs::OpenOptions;
use std::time::{Duration, Instant};

use crate::support::{StoreArgs, Test, require};

fn hold_lock(t: &Test, store: &str) -> std::fs::File {
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(t.path(&format!(".{store}.cfsecret.lock")))
        .unwrap();
    f.lock().unwrap();
    f
}

fn setup() -> Test {
    let mut t = Test::new();
    t.age_keys(&["keys/age-a.txt"]);
    t.fixture("sops/basic.yaml", "s.yaml");
    t
}

#[test]
fn a_held_lock_means_exit_6_unless_waiting() {
    if !require("sops") {
        return;
    }
    let t = setup();
    let before = t.read("s.yaml");
    let lock = hold_lock(&t, "s.yaml");
    let out = t
        .cfsecret(["set", "--json"])
        .file("s.yaml")
        .key("k")
        .stdin("v")
        .run()
        .code(6);
    assert_eq!(out.json()["error"], "locked");
    assert_eq!(t.read("s.yaml"), before);
    // A bounded wait gives up with 6 too.
    let start = Instant::now();
    let out = t
        .cfsecret(["set", "--wait", "--wait-timeout", "1s"])
        .file("s.yaml")
        .key("k")
        .stdin("v")
        .run()
        .code(6);
    assert!(start.elapsed() >= Duration::from_millis(900));
    assert!(out.stderr.contains("after 1s"), "{}", out.stderr);
    // With --wait the run lands once the lock is released.
    let mut waiting = t
        .cfsecret(["set", "--wait"])
        .file("s.yaml")
        .key("k")
        .stdin("waited")
        .cmd;
    let mut child = waiting.spawn().unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b"waited").unwrap();
    }
    std::thread::sleep(Duration::from_millis(400));
    drop(lock);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = t
        .sops(["decrypt", "--extract", "[\"k\"]", "s.yaml"])
        .run()
        .success();
    assert_eq!(got.stdout, "waited");
}

#[test]
fn concurrent_waiting_sets_all_land() {
    if !require("sops") {
        return;
    }
    let t = setup();
    let children: Vec<_> = (0..6)
        .map(|i| {
            let mut run = t
                .cfsecret([
                    "set",
                    "--wait",
                    "--file",
                    "s.yaml",
                    "--key",
                    &format!("key_{i}"),
                ])
                .stdin(format!("value-{i}"));
            let mut child = run.cmd.stdin(std::process::Stdio::piped()).spawn().unwrap();
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(format!("value-{i}").as_bytes())
                .unwrap();
            child
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for i in 0..6 {
        let got = t
            .sops(["decrypt", "--extract", &format!("[\"key_{i}\"]"), "s.yaml"])
            .run()
            .success();
        assert_eq!(got.stdout, format!("value-{i}"));
    }
}
