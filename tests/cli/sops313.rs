//! What sops 3.12 and 3.13 changed, read from getsops/sops at v3.13.2. Only sops 3.11 can be
//! installed here, so each behaviour is tested with vectors built from that source's own test
//! data (named at each test) and, where it can, checked by the installed sops.

use crate::support::{StoreArgs, Test, fixtures, require};

const A: &str = "keys/age-a.txt";
const B: &str = "keys/age-b.txt";

fn key_line(file: &str) -> String {
    std::fs::read_to_string(fixtures().join(file))
        .unwrap()
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .unwrap()
        .to_owned()
}

fn read(t: &Test, file: &str) -> crate::support::Outcome {
    t.cfsecret([
        "exec",
        "--file",
        file,
        "--key",
        "cloudflare_api_token",
        "--",
        "sh",
        "-c",
        "printf %s \"$CLOUDFLARE_API_TOKEN\"",
    ])
    .run()
}

/// sops 3.13.0 (#2086, age/keysource.go `parseIdentities(…, allowMultipleKeysPerLine)`):
/// `SOPS_AGE_KEY` lines are split into whitespace-separated keys; `#` lines stay comments. The
/// files and commands keep one key per line.
#[test]
fn sops_age_key_takes_several_keys_on_one_line() {
    let mut t = Test::new();
    t.fixture("sops/shamir-2of2.yaml", "s.yaml");
    t.env(
        "SOPS_AGE_KEY",
        format!("# both keys\n{}  \t{}\n", key_line(B), key_line(A)),
    );
    read(&t, "s.yaml").success();
    t.fixture("sops/basic.yaml", "b.yaml");
    let out = read(&t, "b.yaml").success();
    assert!(
        out.stdout.starts_with("test-token-basic-"),
        "{}",
        out.stdout
    );
}

/// sops 3.12.0: `SOPS_AGE_SSH_PRIVATE_KEY_CMD` prints an SSH private key, and is told the
/// recipient in `SOPS_AGE_RECIPIENT` (age/keysource.go `loadAgeSSHIdentities`).
#[test]
fn sops_age_ssh_private_key_cmd() {
    let mut t = Test::new();
    t.fixture("sops/ssh-ed25519.yaml", "s.yaml");
    let script = t.write(
        "ssh-cmd.sh",
        format!(
            "#!/bin/sh\nprintf %s \"$SOPS_AGE_RECIPIENT\" > \"$(dirname \"$0\")/asked\"\ncat {}\n",
            fixtures().join("keys/id_ed25519").display()
        ),
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    t.env("SOPS_AGE_SSH_PRIVATE_KEY_CMD", script.display().to_string());
    let out = read(&t, "s.yaml").success();
    assert!(out.stdout.starts_with("test-token-ssh-ed25519-"));
    assert!(t.read("asked").starts_with("ssh-ed25519 AAAA"));
    // A failing command is a note, not a crash, and its output never appears.
    let mut t = Test::new();
    t.fixture("sops/ssh-ed25519.yaml", "s.yaml");
    t.env(
        "SOPS_AGE_SSH_PRIVATE_KEY_CMD",
        "sh -c 'echo not-a-key; exit 3'",
    );
    let out = read(&t, "s.yaml");
    assert_ne!(out.code, 0);
    assert!(
        out.stderr
            .contains("SOPS_AGE_SSH_PRIVATE_KEY_CMD `sh` exited with"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("not-a-key"));
}

/// sops 3.13.2 (#2222, stores/json/store.go `normalizeJSONNumber`): JSON integers that fit int64
/// are ints, hashed as written; earlier sops hashed every number as a float64. fixtures/pq/
/// ints-3.13.2.json holds the literals of v3.13.2's stores/json/store_test.go, written the 3.13.2
/// way (see fixtures/pq/generate.sh); ints-3.11.json the same values written by sops 3.11.
#[test]
fn json_integers_either_way_sops_wrote_them() {
    if !require("sops") {
        return;
    }
    for (file, sops_reads_as) in [("ints-3.13.2.json", "yaml"), ("ints-3.11.json", "json")] {
        let mut t = Test::new();
        t.env("SOPS_AGE_KEY_FILE", fixtures().join(A));
        t.fixture(&format!("pq/{file}"), "i.json");
        let before = t.read("i.json");
        assert_eq!(
            read(&t, "i.json").success().stdout,
            "token-before",
            "{file}"
        );
        t.cfsecret(["set"])
            .file("i.json")
            .key("cloudflare_api_token")
            .stdin("token-after")
            .run()
            .success();
        let after = t.read("i.json");
        // The numbers keep every byte.
        for line in before.lines().filter(|l| l.contains("_unencrypted")) {
            assert!(after.contains(line), "{file}: {line}");
        }
        // The MAC is still the one its writer's sops computes. For the 3.13.2 file sops 3.11
        // reads the JSON as YAML, whose ints are what 3.13.2 makes of JSON integers.
        let got = t
            .sops([
                "decrypt",
                "--input-type",
                sops_reads_as,
                "--extract",
                "[\"cloudflare_api_token\"]",
                "i.json",
            ])
            .run();
        assert_eq!(got.success().stdout, "token-after", "{file}");
        let id = t
            .sops([
                "decrypt",
                "--input-type",
                sops_reads_as,
                "--extract",
                "[\"id\"]",
                "i.json",
            ])
            .run()
            .success()
            .stdout;
        let want = if file == "ints-3.11.json" {
            "1234567890123456800"
        } else {
            "1234567890123456789"
        };
        assert_eq!(id, want, "{file}");
    }
    // A tampered integer still fails the MAC both ways, and the file is left as it was.
    let mut t = Test::new();
    t.env("SOPS_AGE_KEY_FILE", fixtures().join(A));
    let text = std::fs::read_to_string(fixtures().join("pq/ints-3.13.2.json")).unwrap();
    let tampered = text.replace("1234567890123456789,", "1234567890123456788,");
    assert_ne!(tampered, text);
    t.write("i.json", &tampered);
    let out = t
        .cfsecret(["set"])
        .file("i.json")
        .key("cloudflare_api_token")
        .stdin("x")
        .run();
    assert_ne!(out.code, 0);
    assert!(out.stderr.to_lowercase().contains("mac"), "{}", out.stderr);
    assert_eq!(t.read("i.json"), tampered);
}

/// HuaweiCloud KMS (sops 3.12.0): `hckms` entries (key_id, created_at, enc; stores/stores.go)
/// are kept byte for byte; values from hckms/keysource_test.go.
#[test]
fn hckms_metadata_is_kept() {
    let entry_yaml = "    hckms:\n        - key_id: tr-west-1:12345678-1234-1234-1234-123456789abc\n          created_at: \"2026-06-01T00:00:00Z\"\n          enc: test-encrypted-key\n";
    let entry_json = "\t\t\"hckms\": [\n\t\t\t{\n\t\t\t\t\"key_id\": \"tr-west-1:12345678-1234-1234-1234-123456789abc\",\n\t\t\t\t\"created_at\": \"2026-06-01T00:00:00Z\",\n\t\t\t\t\"enc\": \"test-encrypted-key\"\n\t\t\t}\n\t\t],\n";
    for (file, at, entry) in [
        ("basic.yaml", "    age:\n", entry_yaml),
        ("basic.json", "\t\t\"age\": [\n", entry_json),
    ] {
        let mut t = Test::new();
        t.env("SOPS_AGE_KEY_FILE", fixtures().join(A));
        let text = std::fs::read_to_string(fixtures().join("sops").join(file)).unwrap();
        assert!(text.contains(at), "{file}");
        t.write(file, text.replacen(at, &format!("{entry}{at}"), 1));
        t.cfsecret(["set"])
            .file(file)
            .key("cloudflare_api_token")
            .stdin("kept")
            .run()
            .success();
        assert!(t.read(file).contains(entry), "{file}: hckms entry kept");
        if require("sops") {
            // sops tries age before other keys (SOPS_DECRYPTION_ORDER), so no KMS is contacted.
            let got = t.sops(["decrypt", "--extract", "[\"cloudflare_api_token\"]", file]);
            assert_eq!(got.run().success().stdout, "kept", "{file}");
        }
    }
}

/// A creation rule naming hckms (the forms of config/config_test.go at v3.13.2) is refused like
/// any KMS cfsecret cannot encrypt to, also next to age keys: the file would lack a key the
/// rule asks for. Nothing is written.
#[test]
fn creation_rules_naming_hckms_are_refused() {
    let a = Test::recipient(A);
    for rule in [
        "  - hckms:\n      - \"tr-west-1:test-key-1\"\n".to_owned(),
        format!("  - age: {a}\n    hckms:\n      - \"tr-west-1:test-key-1\"\n"),
        format!(
            "  - key_groups:\n      - age: [{a}]\n        hckms:\n          - key_id: tr-west-1:test-key-1\n"
        ),
        format!("  - age: {a}\n    kms: arn:aws:kms:us-east-1:111122223333:key/test\n"),
    ] {
        let t = Test::new();
        t.write(".sops.yaml", format!("creation_rules:\n{rule}"));
        let out = t.cfsecret(["set"]).file("n.yaml").key("k").stdin("v").run();
        assert_ne!(out.code, 0, "{rule}");
        let kind = if rule.contains("hckms") {
            "hckms"
        } else {
            "kms"
        };
        assert!(out.stderr.contains(kind), "{rule}: {}", out.stderr);
        assert!(!t.path("n.yaml").exists(), "{rule}");
    }
}
