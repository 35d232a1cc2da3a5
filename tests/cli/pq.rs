//! Post-quantum age (`age1pq1…`, `AGE-SECRET-KEY-PQ-1…`, stanza `mlkem768x25519`), proven
//! against two independent implementations: the real sops 3.11 (Go age 1.3.1 inside) and typage
//! (npm `age-encryption`, driven by tests/node/age.mjs). Fixtures: fixtures/pq (written by sops,
//! see its generate.sh) and fixtures/keys/age-pq.txt (made by typage).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::{StoreArgs, Test, canary, fixtures, require};

const PQ: &str = "keys/age-pq.txt";
const CLASSIC: &str = "keys/age-a.txt";

/// The files sops wrote, with the key each holds.
const FILES: [(&str, &str); 3] = [
    ("pq.yaml", "cloudflare_api_token"),
    ("pq.json", "cloudflare_api_token"),
    ("pq.env", "CLOUDFLARE_API_TOKEN"),
];

/// `tests/node/age.mjs`, if node and the typage package are installed (see require()).
fn typage() -> Option<PathBuf> {
    if !require("node") {
        return None;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node");
    if dir
        .join("node_modules/age-encryption/package.json")
        .is_file()
    {
        return Some(dir.join("age.mjs"));
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("typage (npm age-encryption) is not installed in tests/node, and CI=true");
    }
    eprintln!("skipped: typage is not installed (run scripts/install-test-tools.sh)");
    None
}

/// What `exec` sees for `key` (the secret, printed by the child: test data only).
fn read(t: &Test, file: &str, key: &str) -> crate::support::Outcome {
    t.cfsecret([
        "exec",
        "--file",
        file,
        "--key",
        key,
        "--",
        "sh",
        "-c",
        "printf %s \"$CLOUDFLARE_API_TOKEN\"",
    ])
    .run()
}

fn index(key: &str) -> String {
    format!("[{key:?}]")
}

fn key_text(file: &str) -> String {
    std::fs::read_to_string(fixtures().join(file)).unwrap()
}

#[test]
fn sops_pq_files_are_read_and_set_by_cfsecret() {
    if !require("sops") {
        return;
    }
    for (file, key) in FILES {
        let mut t = Test::new();
        t.age_keys(&[PQ]);
        t.fixture(&format!("pq/{file}"), file);
        let before = t.sops(["decrypt", "--extract", &index(key), file]).run();
        let got = read(&t, file, key).success();
        assert_eq!(got.stdout, before.success().stdout, "{file}");
        let secret = canary("pq-set");
        t.cfsecret(["set"])
            .file(file)
            .key(key)
            .stdin(secret.clone())
            .run()
            .success()
            .hides(&secret);
        let after = t.sops(["decrypt", "--extract", &index(key), file]).run();
        assert_eq!(after.success().stdout, secret, "{file}");
        assert!(t.files_containing(&secret).is_empty(), "{file}");
        // Only the PQ identity was available, and the file still names only the PQ recipient.
        assert_eq!(t.read(file).matches("age1pq1").count(), 1, "{file}");
    }
}

#[test]
fn cfsecret_creates_pq_files_that_sops_decrypts() {
    if !require("sops") {
        return;
    }
    let pq = Test::recipient(PQ);
    for (file, key) in FILES {
        let file = file.replace("pq.", "new.");
        // --age …
        let mut t = Test::new();
        t.age_keys(&[PQ]);
        let secret = canary("pq-new");
        t.cfsecret(["set", "--file", &file, "--key", key, "--age", &pq])
            .stdin(secret.clone())
            .run()
            .success()
            .hides(&secret);
        let got = t.sops(["decrypt", "--extract", &index(key), &file]).run();
        assert_eq!(got.success().stdout, secret, "{file}");
        assert!(t.files_containing(&secret).is_empty(), "{file}");
        // … and a .sops.yaml creation rule.
        let mut t = Test::new();
        t.age_keys(&[PQ]);
        t.write(".sops.yaml", format!("creation_rules:\n  - age: {pq}\n"));
        t.cfsecret(["set"])
            .file(&file)
            .key(key)
            .stdin(secret.clone())
            .run()
            .success();
        let got = t.sops(["decrypt", "--extract", &index(key), &file]).run();
        assert_eq!(got.success().stdout, secret, "{file} from .sops.yaml");
    }
}

#[test]
fn one_pq_and_one_classic_recipient_work_with_either_identity() {
    if !require("sops") {
        return;
    }
    // Written by sops (fixtures/pq/mixed.yaml), set by cfsecret with the classic identity alone,
    // then read by cfsecret and sops with the PQ identity alone, and the other way round.
    let key = "cloudflare_api_token";
    for (writer, reader) in [(CLASSIC, PQ), (PQ, CLASSIC)] {
        let mut t = Test::new();
        t.fixture("pq/mixed.yaml", "m.yaml");
        t.age_keys(&[writer]);
        let secret = canary("pq-mixed");
        t.cfsecret(["set"])
            .file("m.yaml")
            .key(key)
            .stdin(secret.clone())
            .run()
            .success();
        t.age_keys(&[reader]);
        assert_eq!(read(&t, "m.yaml", key).success().stdout, secret);
        let got = t
            .sops(["decrypt", "--extract", &index(key), "m.yaml"])
            .run();
        assert_eq!(got.success().stdout, secret);
    }
    // A new file to both, made by cfsecret: each identity alone opens it, in sops too.
    let mut t = Test::new();
    let both = format!("{},{}", Test::recipient(PQ), Test::recipient(CLASSIC));
    t.cfsecret(["set", "--file", "n.json", "--key", key, "--age", &both])
        .stdin("two-kinds")
        .run()
        .success();
    for id in [PQ, CLASSIC] {
        t.age_keys(&[id]);
        assert_eq!(read(&t, "n.json", key).success().stdout, "two-kinds");
        let got = t
            .sops(["decrypt", "--extract", &index(key), "n.json"])
            .run();
        assert_eq!(got.success().stdout, "two-kinds", "{id}");
    }
}

#[test]
fn pq_identities_from_every_source_sops_reads() {
    let pq = key_text(PQ);
    let world = || {
        let t = Test::new();
        t.fixture("pq/pq.yaml", "s.yaml");
        t
    };
    let reads = |t: &Test| read(t, "s.yaml", "cloudflare_api_token").success();
    let mut t = world();
    t.env("SOPS_AGE_KEY", pq.clone());
    reads(&t);
    let mut t = world();
    t.env("SOPS_AGE_KEY_FILE", fixtures().join(PQ));
    reads(&t);
    let mut t = world();
    let script = t.write(
        "key-cmd.sh",
        format!("#!/bin/sh\ncat {}\n", fixtures().join(PQ).display()),
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    t.env("SOPS_AGE_KEY_CMD", script.display().to_string());
    reads(&t);
    let mut t = world();
    t.write("xdg/sops/age/keys.txt", pq.clone());
    t.env("XDG_CONFIG_HOME", t.path("xdg"));
    reads(&t);
    let t = world();
    t.write("home/.config/sops/age/keys.txt", pq);
    reads(&t);
    // The wrong PQ identity is "no identity matches", not a crash or a malformed-key message.
    let mut t = world();
    t.env(
        "SOPS_AGE_KEY",
        "AGE-SECRET-KEY-PQ-1XX76JRALNLXDMEW0CRK45QMCCH4X06SE84UN3VPM33W6HWDX0H3SK3ZQFR",
    );
    let out = read(&t, "s.yaml", "cloudflare_api_token");
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("no identity matches"), "{}", out.stderr);
}

#[test]
fn a_broken_pq_key_is_named_and_nothing_is_written() {
    let mut t = Test::new();
    let pq = Test::recipient(PQ);
    let broken = &pq[..pq.len() - 1];
    t.age_keys(&[PQ]);
    let out = t
        .cfsecret(["set", "--file", "x.yaml", "--key", "k", "--age", broken])
        .stdin("v")
        .run();
    assert_ne!(out.code, 0);
    assert!(
        out.stderr
            .contains("not a valid post-quantum age recipient"),
        "{}",
        out.stderr
    );
    assert!(!t.path("x.yaml").exists());
    // A mangled PQ identity is reported by line, and its text never echoed.
    t.fixture("pq/pq.yaml", "s.yaml");
    let mut bad = key_text(PQ).trim_end().to_owned();
    bad.pop();
    t.env("SOPS_AGE_KEY", bad.clone());
    t.unset("SOPS_AGE_KEY_FILE");
    let out = read(&t, "s.yaml", "cloudflare_api_token");
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("not a valid post-quantum age identity"),
        "{}",
        out.stderr
    );
    let secret_line = bad.lines().last().unwrap();
    assert!(!out.stderr.contains(secret_line), "{}", out.stderr);
}

/// The data key of a sops JSON file, decrypted from its classic entry by the Go age CLI.
fn data_key_via_age_cli(doc: &Value, key_file: &Path) -> Vec<u8> {
    let classic = Test::recipient(CLASSIC);
    let enc = doc["sops"]["age"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["recipient"] == classic.as_str())
        .unwrap()["enc"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut child = Command::new("age")
        .args(["-d", "-i"])
        .arg(key_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), enc.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    out.stdout
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn typage_and_cfsecret_open_each_others_stanzas() {
    let Some(script) = typage() else { return };
    if !require("age") {
        return;
    }
    let mut t = Test::new();
    let node = |t: &Test, args: &[&str]| {
        let mut all = vec![script.display().to_string()];
        all.extend(args.iter().map(|a| (*a).to_owned()));
        t.command("node", all)
    };
    let keys: Value = serde_json::from_str(&node(&t, &["keygen"]).run().success().stdout).unwrap();
    let (ty_id, ty_r) = (
        keys["identity"].as_str().unwrap().to_owned(),
        keys["recipient"].as_str().unwrap().to_owned(),
    );
    // cfsecret wraps the data key to typage's recipient (and a classic one, to learn the key).
    let key = "cloudflare_api_token";
    let both = format!("{ty_r},{}", Test::recipient(CLASSIC));
    t.cfsecret(["set", "--file", "f.json", "--key", key, "--age", &both])
        .stdin("from-cfsecret")
        .run()
        .success();
    let text = t.read("f.json");
    let doc: Value = serde_json::from_str(&text).unwrap();
    let data_key = data_key_via_age_cli(&doc, &fixtures().join(CLASSIC));
    assert_eq!(data_key.len(), 32);
    let ours = doc["sops"]["age"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["recipient"] == ty_r.as_str())
        .unwrap()["enc"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        ours.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"),
        "{ours}"
    );
    let opened = node(&t, &["unwrap"])
        .env("AGE_IDENTITY", &ty_id)
        .stdin(ours.clone())
        .run()
        .success();
    assert_eq!(
        opened.stdout.trim(),
        hex(&data_key),
        "typage opens cfsecret's stanza"
    );

    // typage wraps the same data key; its stanza replaces cfsecret's, and cfsecret (holding
    // typage's identity alone) reads the file, verifies its MAC and sets a value.
    let theirs = node(&t, &["wrap", &ty_r])
        .stdin(hex(&data_key))
        .run()
        .success()
        .stdout;
    let swapped = text.replace(
        &serde_json::to_string(&ours).unwrap(),
        &serde_json::to_string(&theirs).unwrap(),
    );
    assert_ne!(swapped, text);
    t.write("f.json", swapped);
    t.env("SOPS_AGE_KEY", ty_id.clone());
    assert_eq!(read(&t, "f.json", key).success().stdout, "from-cfsecret");
    t.cfsecret(["set"])
        .file("f.json")
        .key(key)
        .stdin("after-typage")
        .run()
        .success();
    assert!(
        t.read("f.json")
            .contains(&serde_json::to_string(&theirs).unwrap())
    );
    if require("sops") {
        let got = t
            .sops(["decrypt", "--extract", &index(key), "f.json"])
            .run();
        assert_eq!(got.success().stdout, "after-typage", "sops agrees");
    }
}
