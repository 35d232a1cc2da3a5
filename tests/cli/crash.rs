//! `kill -9` at any moment of a `set` leaves the old file or the new one, and sops decrypts it.

use std::time::{Duration, Instant};

use crate::support::{StoreArgs, Test, require};

/// A small xorshift generator, seeded from the clock; the seed is printed so a failure can be
/// replayed with CFSECRET_CRASH_SEED.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn kill_9_during_set_never_corrupts_the_file() {
    if !require("sops") {
        return;
    }
    let mut t = Test::new();
    t.age_keys(&["keys/age-a.txt"]);
    // A few thousand keys, so a set takes long enough to be interrupted in every phase.
    let mut plain = String::new();
    for i in 0..3000 {
        plain.push_str(&format!(
            "key_{i:04}: value number {i} with some padding text\n"
        ));
    }
    t.write("plain.yaml", plain);
    let enc = t
        .sops([
            "encrypt",
            "--age",
            &Test::recipient("keys/age-a.txt"),
            "plain.yaml",
        ])
        .run()
        .success()
        .stdout;
    t.write("store.yaml", enc);
    std::fs::remove_file(t.path("plain.yaml")).unwrap();

    // How long a set takes, to spread the kills over it.
    let start = Instant::now();
    t.cfsecret(["set"])
        .file("store.yaml")
        .key("key_0001")
        .stdin("v0")
        .run()
        .success();
    let span = start.elapsed().as_micros().max(1000) as u64 * 12 / 10;

    let seed = std::env::var("CFSECRET_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("crash test seed: {seed} (span {span} µs)");
    let mut rng = Rng(seed);
    let mut current = "v0".to_owned();
    let (mut killed, mut finished) = (0, 0);
    for i in 1..=30 {
        let value = format!("v{i}");
        let mut run = t
            .cfsecret(["set"])
            .file("store.yaml")
            .key("key_0001")
            .stdin(value.clone());
        let mut child = run.cmd.stdin(std::process::Stdio::piped()).spawn().unwrap();
        {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(value.as_bytes())
                .unwrap();
        }
        std::thread::sleep(Duration::from_micros(rng.next() % span));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.success() {
            finished += 1;
        } else {
            killed += 1;
        }
        let got = t
            .sops(["decrypt", "--extract", "[\"key_0001\"]", "store.yaml"])
            .run();
        assert_eq!(
            got.code, 0,
            "seed {seed}, round {i}: sops cannot decrypt the file: {}",
            got.stderr
        );
        assert!(
            got.stdout == current || got.stdout == value,
            "seed {seed}, round {i}: unexpected value {:?}",
            got.stdout
        );
        current = got.stdout;
        // The other values are intact.
        let other = t
            .sops(["decrypt", "--extract", "[\"key_2999\"]", "store.yaml"])
            .run()
            .success();
        assert_eq!(other.stdout, "value number 2999 with some padding text");
    }
    eprintln!("killed {killed} runs mid-way, {finished} finished first");
    assert!(
        killed > 0,
        "no run was interrupted: the test did not test anything"
    );
    // The next run cleans up any temp file a killed run left.
    t.cfsecret(["set"])
        .file("store.yaml")
        .key("key_0001")
        .stdin("final")
        .run()
        .success();
    let leftovers: Vec<_> = std::fs::read_dir(t.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
