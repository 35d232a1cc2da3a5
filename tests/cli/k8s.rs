//! Kubernetes Secret manifests (issue 17): base64 under `data:`, new Secret manifests,
//! multi-document files. Checked against the real sops 3.11 and the Kubernetes Python client.

use std::path::Path;

use crate::support::{Test, canary, line_changes, require};

/// Where the Kubernetes Python client is installed (for PYTHONPATH: the tests run with their
/// own HOME, which hides a `pip install --user`), `None` when it is not; as `require`, a
/// failure under CI=true.
pub fn require_k8s_client() -> Option<String> {
    let found = std::process::Command::new("python3")
        .args([
            "-c",
            "import os, kubernetes, yaml; print(os.path.dirname(os.path.dirname(kubernetes.__file__)))",
        ])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if found.is_none() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "the Kubernetes Python client is not installed, and CI=true (pip install kubernetes)"
            );
        }
        eprintln!(
            "skipped: the Kubernetes Python client is not installed (pip install kubernetes)"
        );
    }
    found
}

/// Validates `sops decrypt FILE` against V1Secret (the client installed at `site`); returns the
/// validator's summary lines.
#[track_caller]
pub fn validate_secret(t: &Test, site: &str, file: &str) -> String {
    let plain = t.sops(["decrypt", file]).run().success().stdout;
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/kubernetes/validate-secret.py");
    t.command("python3", [script.as_os_str()])
        .stdin(plain)
        .env("PYTHONPATH", site)
        .run()
        .success()
        .stdout
}

fn world() -> Test {
    let mut t = Test::new();
    t.age_keys(&["keys/age-a.txt"]);
    t.env("SOPS_AGE_RECIPIENTS", Test::recipient("keys/age-a.txt"));
    t
}

fn extract(t: &Test, file: &str, key: &str) -> String {
    t.sops(["decrypt", "--extract", key, file])
        .run()
        .success()
        .stdout
}

/// `exec` hands the child the decoded token: compared inside the child, never printed.
#[track_caller]
fn exec_sees(t: &Test, args: &[&str], want: &str) {
    let mut a = vec!["exec"];
    a.extend_from_slice(args);
    a.extend([
        "--",
        "sh",
        "-c",
        "[ \"$CLOUDFLARE_API_TOKEN\" = \"$WANT\" ]",
    ]);
    t.cfsecret(a).env("WANT", want).run().success().hides(want);
}

#[test]
fn data_values_are_base64_encoded_and_decoded() {
    // Reproduces item 1: cfsecret wrote the raw token under `data:` (an invalid manifest).
    if !require("sops") {
        return;
    }
    let t = world();
    t.fixture("sops/k8s-secret.yaml", "s.yaml");
    // The fixture's nested map under stringData is no valid Secret (the validator says so).
    t.sops(["unset", "s.yaml", r#"["stringData"]["nested"]"#])
        .run()
        .success();
    let before = t.read("s.yaml");
    let token = canary("k8s-data");
    let key = r#"["data"]["base64-token"]"#;
    t.cfsecret(["set", "--file", "s.yaml", "--key", key])
        .stdin(token.clone())
        .run()
        .success()
        .hides(&token);
    let stored = extract(&t, "s.yaml", key);
    assert_eq!(
        stored,
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &token),
        "Kubernetes requires base64 under data:"
    );
    let (removed, added) = line_changes(&before, &t.read("s.yaml"));
    // The value, `mac`, and `lastmodified` unless sops's unset just wrote the same second.
    assert_eq!(removed.len(), added.len());
    assert!((2..=3).contains(&added.len()), "{added:?}");
    assert!(added[0].1.contains("base64-token: ENC["), "{added:?}");
    exec_sees(&t, &["--file", "s.yaml", "--key", key], &token);
    if let Some(site) = require_k8s_client() {
        validate_secret(&t, &site, "s.yaml");
    }
    // stringData stays plain text.
    let sd = r#"["stringData"]["api-token"]"#;
    t.cfsecret(["set", "--file", "s.yaml", "--key", sd])
        .stdin(token.clone())
        .run()
        .success();
    assert_eq!(extract(&t, "s.yaml", sd), token);
    assert_eq!(t.files_containing(&token), Vec::<std::path::PathBuf>::new());
}

#[test]
fn a_value_that_is_not_base64_is_refused_without_showing_it() {
    if !require("sops") {
        return;
    }
    let t = world();
    t.fixture("sops/k8s-secret.yaml", "s.yaml");
    let bad = "not-base64-cfsecret-canary!";
    t.sops(["set", "s.yaml", r#"["data"]["bad"]"#, &format!("{bad:?}")])
        .run()
        .success();
    let key = r#"["data"]["bad"]"#;
    let out = t
        .cfsecret([
            "exec", "--json", "--file", "s.yaml", "--key", key, "--", "true",
        ])
        .run()
        .code(1)
        .hides(bad);
    let j = out.json();
    assert_eq!(j["error"], "not_base64", "{j}");
    assert!(j["msg"].as_str().unwrap().contains("base64"), "{j}");
    // --encoding raw reads it as it is.
    exec_sees(
        &t,
        &["--file", "s.yaml", "--key", key, "--encoding", "raw"],
        bad,
    );
    // ...and writes raw, where a user wants that.
    t.cfsecret(["set", "--file", "s.yaml", "--key", key, "--encoding", "raw"])
        .stdin("plain")
        .run()
        .success();
    assert_eq!(extract(&t, "s.yaml", key), "plain");
}

#[test]
fn encoding_base64_applies_to_any_file() {
    if !require("sops") {
        return;
    }
    let t = world();
    t.cfsecret([
        "set",
        "--file",
        "x.yaml",
        "--key",
        "tok",
        "--encoding",
        "base64",
    ])
    .stdin("abc")
    .run()
    .success();
    assert_eq!(extract(&t, "x.yaml", r#"["tok"]"#), "YWJj");
    exec_sees(
        &t,
        &["--file", "x.yaml", "--key", "tok", "--encoding", "base64"],
        "abc",
    );
}

#[test]
fn a_new_secret_manifest_is_valid_and_keeps_its_identity_clear() {
    // Reproduces item 2: there was no way to create a Secret manifest.
    if !require("sops") {
        return;
    }
    let t = world();
    std::fs::create_dir_all(t.path("k8s")).unwrap();
    let token = canary("k8s-new");
    for (file, enc, field) in [
        ("k8s/string.yaml", "raw", "stringData"),
        ("k8s/data.yaml", "base64", "data"),
    ] {
        t.cfsecret([
            "set",
            "--file",
            file,
            "--key",
            "api-token",
            "--k8s-secret",
            "cert-manager/cloudflare-api-token",
            "--encoding",
            enc,
        ])
        .stdin(token.clone())
        .run()
        .success()
        .hides(&token);
        let text = t.read(file);
        for clear in [
            "apiVersion: v1\n",
            "kind: Secret\n",
            "    name: cloudflare-api-token\n",
            "    namespace: cert-manager\n",
            "type: Opaque\n",
            "    encrypted_regex: ^(data|stringData)$\n",
        ] {
            assert!(text.contains(clear), "{clear:?} not in clear text:\n{text}");
        }
        assert!(
            text.contains(&format!("{field}:\n    api-token: ENC[")),
            "{text}"
        );
        if let Some(site) = require_k8s_client() {
            let summary = validate_secret(&t, &site, file);
            assert!(
                summary.contains("valid Secret cert-manager/cloudflare-api-token type=Opaque"),
                "{summary}"
            );
        }
        // The same flags read it back (finding the key under data or stringData).
        exec_sees(
            &t,
            &[
                "--file",
                file,
                "--key",
                "api-token",
                "--k8s-secret",
                "cert-manager/cloudflare-api-token",
            ],
            &token,
        );
        // A later set is sops's 3-line diff.
        let before = t.read(file);
        t.cfsecret([
            "set",
            "--file",
            file,
            "--key",
            "api-token",
            "--k8s-secret",
            "cert-manager/cloudflare-api-token",
        ])
        .stdin("second")
        .run()
        .success();
        let (removed, added) = line_changes(&before, &t.read(file));
        assert_eq!((removed.len(), added.len()), (3, 3));
    }
    assert_eq!(t.files_containing(&token), Vec::<std::path::PathBuf>::new());
}

#[test]
fn a_new_secret_takes_the_sops_yaml_rule_or_refuses_one_that_hides_metadata() {
    if !require("sops") {
        return;
    }
    let mut t = world();
    t.unset("SOPS_AGE_RECIPIENTS");
    let a = Test::recipient("keys/age-a.txt");
    // A rule with no selection: the Flux rule is added.
    t.write(".sops.yaml", format!("creation_rules:\n  - age: {a}\n"));
    let args = |f: &'static str| {
        vec![
            "set",
            "--file",
            f,
            "--key",
            "api-token",
            "--k8s-secret",
            "default/cf",
        ]
    };
    t.cfsecret(args("one.yaml")).stdin("v").run().success();
    assert!(
        t.read("one.yaml")
            .contains("encrypted_regex: ^(data|stringData)$")
    );
    // A rule that keeps metadata clear its own way is kept.
    t.write(
        ".sops.yaml",
        format!("creation_rules:\n  - age: {a}\n    encrypted_suffix: Data\n"),
    );
    t.cfsecret(args("two.yaml")).stdin("v").run().success();
    assert!(t.read("two.yaml").contains("encrypted_suffix: Data"));
    assert_eq!(
        extract(&t, "two.yaml", r#"["stringData"]["api-token"]"#),
        "v"
    );
    // mac_only_encrypted and two key groups: the MAC and the metadata as sops computes them.
    let b = Test::recipient("keys/age-b.txt");
    t.age_keys(&["keys/age-a.txt", "keys/age-b.txt"]);
    t.write(
        ".sops.yaml",
        format!(
            "creation_rules:\n  - encrypted_regex: ^(data|stringData)$\n    mac_only_encrypted: true\n    \
             shamir_threshold: 2\n    key_groups:\n      - age: [{a}]\n      - age: [{b}]\n"
        ),
    );
    t.cfsecret(args("four.yaml")).stdin("v4").run().success();
    assert!(t.read("four.yaml").contains("mac_only_encrypted: true"));
    assert_eq!(
        extract(&t, "four.yaml", r#"["stringData"]["api-token"]"#),
        "v4"
    );
    // A rule that would encrypt apiVersion/kind/metadata is refused: Flux could not read it.
    t.write(
        ".sops.yaml",
        format!("creation_rules:\n  - age: {a}\n    unencrypted_regex: ^none$\n"),
    );
    let out = t.cfsecret(args("three.yaml")).stdin("v").run().code(1);
    assert!(
        out.stderr.contains("encrypted_regex: ^(data|stringData)$"),
        "{}",
        out.stderr
    );
    assert!(!t.path("three.yaml").exists());
}
