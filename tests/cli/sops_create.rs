//! New files: created from `.sops.yaml` or `--age`, laid out as sops lays them out.

use crate::support::{StoreArgs, Test, canary, line_changes, require};

const A: &str = "keys/age-a.txt";
const B: &str = "keys/age-b.txt";

/// sops's own `set` on a file cfsecret created changes only the value, `lastmodified` and `mac`
/// (fewer within the same second): the layout is sops's.
fn sops_set_is_minimal(t: &Test, file: &str, key: &str) {
    let key = &index(key);
    let before = t.read(file);
    t.sops(["set", file, key, "\"from-sops\""]).run().success();
    let (removed, added) = line_changes(&before, &t.read(file));
    assert!(
        (2..=3).contains(&removed.len()) && removed.len() == added.len(),
        "sops set changed more than the value, lastmodified and mac:\n-{removed:?}\n+{added:?}"
    );
    let out = t.sops(["decrypt", "--extract", key, file]).run().success();
    assert_eq!(out.stdout, "from-sops");
}

/// sops's index syntax for a key path (sops does not take bare keys).
fn index(key: &str) -> String {
    if key.starts_with('[') {
        key.to_owned()
    } else {
        format!("[{key:?}]")
    }
}

#[test]
fn files_created_with_age_are_sops_files() {
    if !require("sops") {
        return;
    }
    for (file, key) in [
        ("new.yaml", r#"["cloudflare"]["api_token"]"#),
        ("new.json", r#"["cloudflare"]["api_token"]"#),
        ("new.env", "CLOUDFLARE_API_TOKEN"),
        ("flat.yml", "cloudflare_api_token"),
    ] {
        let mut t = Test::new();
        t.age_keys(&[A]);
        let secret = canary("create");
        let out = t
            .cfsecret([
                "set",
                "--json",
                "--file",
                file,
                "--key",
                key,
                "--age",
                &Test::recipient(A),
            ])
            .stdin(secret.clone())
            .run()
            .success()
            .hides(&secret);
        assert_eq!(out.json()["changed"], true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(t.path(file))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o600, "{file}");
        }
        let got = t
            .sops(["decrypt", "--extract", &index(key), file])
            .run()
            .success()
            .stdout;
        assert_eq!(got, secret, "{file}");
        assert_eq!(
            t.files_containing(&secret),
            Vec::<std::path::PathBuf>::new(),
            "{file}"
        );
        sops_set_is_minimal(&t, file, key);
    }
}

#[test]
fn creation_rules_are_found_from_the_working_directory_upwards() {
    if !require("sops") {
        return;
    }
    let mut t = Test::new();
    t.age_keys(&[A, B]);
    t.write(
        ".sops.yaml",
        format!(
            "stores:\n  yaml:\n    indent: 2\ncreation_rules:\n  - path_regex: ^secrets/shared\\.yaml$\n    key_groups:\n      - age: [{a}]\n      - age: [{b}]\n    shamir_threshold: 2\n  - path_regex: ^secrets/.*\\.yaml$\n    age: {a},{b}\n",
            a = Test::recipient(A),
            b = Test::recipient(B)
        ),
    );
    std::fs::create_dir_all(t.path("secrets")).unwrap();
    t.cwd("work/deeper");
    t.cfsecret(["set"])
        .file("../../secrets/cell.yaml")
        .key("token")
        .stdin("v1")
        .run()
        .success();
    let text = t.read("secrets/cell.yaml");
    assert!(text.starts_with("token: ENC["), "{text}");
    assert!(
        text.contains("\n  age:\n    - recipient: "),
        "indent 2 from stores.yaml.indent:\n{text}"
    );
    assert_eq!(text.matches("recipient:").count(), 2);
    t.sops(["decrypt", "../../secrets/cell.yaml"])
        .run()
        .success();

    t.cfsecret(["set"])
        .file("../../secrets/shared.yaml")
        .key("token")
        .stdin("v2")
        .run()
        .success();
    let text = t.read("secrets/shared.yaml");
    assert!(
        text.contains("shamir_threshold: 2\n  key_groups:\n    - hc_vault: []\n      age:"),
        "{text}"
    );
    // Each identity alone is not enough; both together are.
    let got = t
        .sops([
            "decrypt",
            "--extract",
            "[\"token\"]",
            "../../secrets/shared.yaml",
        ])
        .run()
        .success();
    assert_eq!(got.stdout, "v2");
    let only_a = t
        .sops(["decrypt", "../../secrets/shared.yaml"])
        .env("SOPS_AGE_KEY_FILE", crate::support::fixtures().join(A))
        .run();
    assert_ne!(only_a.code, 0, "one share must not decrypt a 2-of-2 file");
}

#[test]
fn recipients_from_the_environment_and_refusals() {
    if !require("sops") {
        return;
    }
    let mut t = Test::new();
    t.age_keys(&[A]);
    // No config, no recipients: refused, nothing created.
    let out = t
        .cfsecret(["set", "--json"])
        .file("s.yaml")
        .key("k")
        .stdin("v")
        .run()
        .code(1);
    assert_eq!(out.json()["error"], "no_recipients");
    assert!(out.json()["msg"].as_str().unwrap().contains("s.yaml"));
    assert!(!t.path("s.yaml").exists());
    // SOPS_AGE_RECIPIENTS works like --age.
    t.cfsecret(["set"])
        .file("s.yaml")
        .key("k")
        .env("SOPS_AGE_RECIPIENTS", Test::recipient(A))
        .stdin("v")
        .run()
        .success();
    assert_eq!(
        t.sops(["decrypt", "--extract", "[\"k\"]", "s.yaml"])
            .run()
            .success()
            .stdout,
        "v"
    );

    // A rule whose encrypted_regex does not cover the key would store it in clear: refused.
    t.write(
        ".sops.yaml",
        format!("creation_rules:\n  - path_regex: k8s\n    age: {}\n    encrypted_regex: ^(data|stringData)$\n", Test::recipient(A)),
    );
    let out = t
        .cfsecret(["set", "--json"])
        .file("k8s.yaml")
        .key("token")
        .stdin("v")
        .run()
        .code(1);
    assert_eq!(out.json()["error"], "would_store_plaintext");
    assert!(!t.path("k8s.yaml").exists());
    t.cfsecret([
        "set",
        "--file",
        "k8s.yaml",
        "--key",
        "[\"stringData\"][\"token\"]",
    ])
    .stdin("v")
    .run()
    .success();
    // No matching rule is an error even with recipients at hand, as in sops.
    let out = t
        .cfsecret(["set", "--json"])
        .file("other.yaml")
        .key("k")
        .stdin("v")
        .run()
        .code(1);
    assert_eq!(out.json()["error"], "config_error");
    // A malformed post-quantum recipient is refused, and says so.
    let out = t
        .cfsecret([
            "set",
            "--json",
            "--file",
            "pq.yaml",
            "--key",
            "k",
            "--age",
            "age1pq1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",
        ])
        .stdin("v")
        .run();
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.json()["msg"].as_str().unwrap().contains("post-quantum"),
        "{}",
        out.stdout
    );
}
