//! Bad input: each case gives one clear error that names the file and says what to do, the
//! contract's exit code, no panic — and the file is left exactly as it was.

use crate::support::{StoreArgs, Test, canary, digest, require};

const BASIC: &str = "sops/basic.yaml";

/// Runs `set` on `file` (as prepared) and checks the refusal, in JSON and in human form.
fn refused(t: &Test, file: &str, code: &str) {
    let path = t.path(file);
    let existed = path.exists();
    let before = existed.then(|| digest(&path));
    let secret = canary("bad-input");
    let out = t
        .cfsecret(["set", "--json"])
        .file(file)
        .key("cloudflare_api_token")
        .stdin(secret.clone())
        .run()
        .code(1)
        .hides(&secret);
    let json = out.json();
    assert_eq!(json["failed"], true);
    assert_eq!(json["changed"], false);
    assert_eq!(json["error"], code, "{file}: {json}");
    let msg = json["msg"].as_str().unwrap();
    assert!(msg.contains(file), "the message names the file: {msg}");
    assert!(
        json["hint"].as_str().is_some_and(|h| !h.is_empty()),
        "a hint says what to do: {json}"
    );
    let human = t
        .cfsecret(["set"])
        .file(file)
        .key("cloudflare_api_token")
        .stdin(secret)
        .run()
        .code(1);
    assert!(
        human.stdout.is_empty(),
        "errors go to stderr: {}",
        human.stdout
    );
    let lines: Vec<&str> = human.stderr.lines().collect();
    assert!(
        lines[0].starts_with("error: ")
            && lines.iter().filter(|l| l.starts_with("error: ")).count() == 1,
        "one error: {}",
        human.stderr
    );
    assert!(human.stderr.contains("\nhint: "), "{}", human.stderr);
    assert!(!human.stderr.contains("panicked"), "{}", human.stderr);
    match before {
        Some(d) => assert_eq!(digest(&path), d, "{file} was changed"),
        None => assert!(!path.exists(), "{file} was created"),
    }
}

fn with_basic(edit: impl FnOnce(String) -> String) -> Test {
    let mut t = Test::new();
    t.age_keys(&["keys/age-a.txt"]);
    let text = std::fs::read_to_string(crate::support::fixtures().join(BASIC)).unwrap();
    t.write("s.yaml", edit(text));
    t
}

#[test]
fn tampering_is_detected_and_nothing_is_written() {
    if !require("sops") {
        return;
    }
    // A flipped character in a ciphertext.
    let t = with_basic(|s| s.replacen("data:35aY", "data:35aZ", 1));
    refused(&t, "s.yaml", "value_tampered");
    // A value moved to another key (its additional data no longer matches).
    let t = with_basic(|s| s.replacen("cloudflare_api_token: ENC", "cloudflare_api_tokem: ENC", 1));
    refused(&t, "s.yaml", "value_tampered");
    // A changed lastmodified: the MAC no longer decrypts.
    let t = with_basic(|s| {
        s.replacen(
            "lastmodified: \"2026-11-22T04:39:25Z\"",
            "lastmodified: \"2026-11-22T04:39:26Z\"",
            1,
        )
    });
    refused(&t, "s.yaml", "mac_mismatch");
    // No MAC at all.
    let t = with_basic(|s| {
        s.lines()
            .filter(|l| !l.trim_start().starts_with("mac:"))
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    });
    refused(&t, "s.yaml", "mac_mismatch");
    // A changed unencrypted value: the MAC covers it.
    let mut t = Test::new();
    t.age_keys(&["keys/age-a.txt"]);
    t.fixture("sops/unencrypted-suffix.yaml", "u.yaml");
    let text = t
        .read("u.yaml")
        .replacen("port_unencrypted: 8443", "port_unencrypted: 8444", 1);
    t.write("u.yaml", text);
    refused(&t, "u.yaml", "mac_mismatch");
    // And sops agrees the tampered files are bad.
    let out = t.sops(["decrypt", "u.yaml"]).run();
    assert_ne!(out.code, 0);
}

#[test]
fn missing_and_wrong_keys() {
    let mut t = Test::new();
    t.fixture(BASIC, "s.yaml");
    refused(&t, "s.yaml", "no_identity");
    t.age_keys(&["keys/age-b.txt"]);
    refused(&t, "s.yaml", "wrong_identity");
    let out = t
        .cfsecret(["set"])
        .file("s.yaml")
        .key("k")
        .stdin("v")
        .run()
        .code(1);
    assert!(
        out.stderr.contains("age1ru25t"),
        "names the file's recipient: {}",
        out.stderr
    );
    // Shamir 2-of-2 with only one share.
    let mut t = Test::new();
    t.age_keys(&["keys/age-a.txt"]);
    t.fixture("sops/shamir-2of2.yaml", "g.yaml");
    refused(&t, "g.yaml", "wrong_identity");
    let out = t
        .cfsecret(["set"])
        .file("g.yaml")
        .key("k")
        .stdin("v")
        .run()
        .code(1);
    assert!(out.stderr.contains("needs 2 of 2 groups"), "{}", out.stderr);
}

#[test]
fn files_that_are_not_sops_files() {
    let mut t = Test::new();
    t.age_keys(&["keys/age-a.txt"]);
    t.write("plain.yaml", "cloudflare_api_token: not-encrypted\n");
    refused(&t, "plain.yaml", "not_sops");
    t.write("empty.yaml", "");
    refused(&t, "empty.yaml", "empty_file");
    t.write("list.yaml", "- a\n- b\n");
    refused(&t, "list.yaml", "parse_error");
    t.write("dup.yaml", "a: 1\na: 2\nsops: {}\n");
    refused(&t, "dup.yaml", "parse_error");
    t.write("garbage.yaml", [0xffu8, 0xfe, 0x00, 0x12, 0x9c, 0x80, 0x0a]);
    refused(&t, "garbage.yaml", "parse_error");
    t.write("bad.json", "{\"a\": [1, 2}");
    refused(&t, "bad.json", "parse_error");
    t.write("bad.env", "NOT A DOTENV LINE\n");
    refused(&t, "bad.env", "parse_error");
    // A missing file and no recipients anywhere.
    refused(&t, "missing.yaml", "no_recipients");
    // The duplicate is reported with its line.
    let out = t
        .cfsecret(["set"])
        .file("dup.yaml")
        .key("k")
        .stdin("v")
        .run()
        .code(1);
    assert!(out.stderr.contains("dup.yaml:2:1"), "{}", out.stderr);
}

#[test]
fn bad_key_paths_are_usage_errors() {
    let mut t = Test::new();
    t.age_keys(&["keys/age-a.txt"]);
    t.fixture(BASIC, "s.yaml");
    let out = t
        .cfsecret(["set", "--json", "--file", "s.yaml", "--key", "[\"unclosed"])
        .stdin("v")
        .run()
        .code(2);
    assert_eq!(out.json()["error"], "usage");
    // A key path through a value, and one at a map.
    let out = t
        .cfsecret([
            "set",
            "--json",
            "--file",
            "s.yaml",
            "--key",
            "[\"cloudflare_api_token\"][\"x\"]",
        ])
        .stdin("v")
        .run()
        .code(1);
    assert_eq!(out.json()["error"], "not_a_value");
    let out = t
        .cfsecret(["set", "--json"])
        .file("s.yaml")
        .key("cloudflare")
        .stdin("v")
        .run()
        .code(1);
    assert_eq!(out.json()["error"], "not_a_value");
    let out = t
        .cfsecret(["set", "--json"])
        .file("s.yaml")
        .key("sops")
        .stdin("v")
        .run()
        .code(1);
    assert_eq!(out.json()["error"], "cannot_edit");
}
