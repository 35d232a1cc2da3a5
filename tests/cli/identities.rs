//! age identities are found exactly where sops finds them, and metadata cfsecret does not use is
//! kept byte for byte.

use crate::support::{StoreArgs, Test, fixtures, require};

const KEY: &str = "keys/age-a.txt";

/// Reads `cloudflare_api_token` of the basic fixture with the world as prepared.
fn reads(t: &Test) -> crate::support::Outcome {
    t.cfsecret([
        "exec",
        "--file",
        "s.yaml",
        "--key",
        "cloudflare_api_token",
        "--",
        "sh",
        "-c",
        "test -n \"$CLOUDFLARE_API_TOKEN\"",
    ])
    .run()
}

fn world() -> Test {
    let t = Test::new();
    t.fixture("sops/basic.yaml", "s.yaml");
    t
}

#[test]
fn every_identity_source_sops_uses() {
    let key_text = std::fs::read_to_string(fixtures().join(KEY)).unwrap();
    // SOPS_AGE_KEY: the identities themselves.
    let mut t = world();
    t.env("SOPS_AGE_KEY", key_text.clone());
    reads(&t).success();
    // SOPS_AGE_KEY_FILE.
    let mut t = world();
    t.env("SOPS_AGE_KEY_FILE", fixtures().join(KEY));
    reads(&t).success();
    // SOPS_AGE_KEY_CMD, which is told which recipient is wanted.
    let mut t = world();
    let script = t.write(
        "key-cmd.sh",
        format!(
            "#!/bin/sh\necho \"$SOPS_AGE_RECIPIENT\" > \"$(dirname \"$0\")/asked\"\ncat {}\n",
            fixtures().join(KEY).display()
        ),
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    t.env("SOPS_AGE_KEY_CMD", script.display().to_string());
    reads(&t).success();
    assert_eq!(t.read("asked").trim(), Test::recipient(KEY));
    // $XDG_CONFIG_HOME/sops/age/keys.txt, then ~/.config/sops/age/keys.txt.
    let mut t = world();
    t.write("xdg/sops/age/keys.txt", key_text.clone());
    t.env("XDG_CONFIG_HOME", t.path("xdg"));
    reads(&t).success();
    let t = world();
    t.write("home/.config/sops/age/keys.txt", key_text.clone());
    reads(&t).success();
    // SOPS_AGE_SSH_PRIVATE_KEY_FILE and ~/.ssh/id_ed25519 for an ssh-ed25519 recipient.
    let mut t = Test::new();
    t.fixture("sops/ssh-ed25519.yaml", "s.yaml");
    t.env(
        "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
        fixtures().join("keys/id_ed25519"),
    );
    reads(&t).success();
    let t2 = Test::new();
    t2.fixture("sops/ssh-ed25519.yaml", "s.yaml");
    t2.fixture("keys/id_ed25519", "home/.ssh/id_ed25519");
    reads(&t2).success();
    // A broken source does not stop a working one.
    let mut t = world();
    t.env("SOPS_AGE_KEY", "AGE-SECRET-KEY-1NOTAKEY");
    t.env("SOPS_AGE_KEY_FILE", fixtures().join(KEY));
    reads(&t).success();
    // Nothing anywhere: the error lists where it looked.
    let t = world();
    let out = reads(&t).code(1);
    for place in ["SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY_CMD", "keys.txt"] {
        assert!(out.stderr.contains(place), "{place} in {}", out.stderr);
    }
}

#[test]
fn identities_that_cannot_be_used_unattended_say_so() {
    if !require("age") {
        return;
    }
    // A passphrase-protected identity file.
    let mut t = world();
    let out = t
        .command(
            "age",
            [
                "--encrypt",
                "--armor",
                "-r",
                &Test::recipient(KEY),
                fixtures().join(KEY).to_str().unwrap(),
            ],
        )
        .run()
        .success();
    t.env("SOPS_AGE_KEY", out.stdout);
    let out = reads(&t).code(1);
    assert!(out.stderr.contains("passphrase"), "{}", out.stderr);
}

#[test]
fn plugin_recipients_need_their_plugin() {
    let t = Test::new();
    let out = t
        .cfsecret([
            "set",
            "--json",
            "--file",
            "p.yaml",
            "--key",
            "k",
            "--age",
            "age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t",
        ])
        .stdin("v")
        .run()
        .code(1);
    let msg = out.json()["msg"].as_str().unwrap().to_owned();
    assert!(msg.contains("age-plugin-yubikey"), "{msg}");
    assert!(!t.path("p.yaml").exists());
}

#[test]
fn metadata_cfsecret_does_not_use_is_kept() {
    if !require("sops") {
        return;
    }
    let mut t = Test::new();
    t.env("SOPS_AGE_KEY_FILE", fixtures().join(KEY));
    let text = std::fs::read_to_string(fixtures().join("sops/basic.yaml")).unwrap();
    // A pgp entry (never tried: age comes first), a field from a newer sops, a future key type.
    let extra = "    pgp:\n        - created_at: \"2026-01-01T00:00:00Z\"\n          enc: |-\n            -----BEGIN PGP MESSAGE-----\n            not a real message\n            -----END PGP MESSAGE-----\n          fp: FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4\n    hckms: []\n    some_future_field: keep me\n";
    let text = text.replacen("    lastmodified:", &format!("{extra}    lastmodified:"), 1);
    t.write("s.yaml", &text);
    t.cfsecret(["set"])
        .file("s.yaml")
        .key("cloudflare_api_token")
        .stdin("new-value")
        .run()
        .success();
    let after = t.read("s.yaml");
    assert!(
        after.contains(extra),
        "the unknown metadata is byte for byte the same"
    );
    let out = t
        .sops([
            "decrypt",
            "--extract",
            "[\"cloudflare_api_token\"]",
            "s.yaml",
        ])
        .run()
        .success();
    assert_eq!(out.stdout, "new-value");
}
