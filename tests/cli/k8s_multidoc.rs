//! Multi-document manifests (issue 17, item 3), against the real sops 3.11: sops puts the same
//! `sops:` block in every document and one MAC covers all of them (stores/yaml/store.go,
//! `EmitEncryptedFile`); its `set`/`--extract` reach only `Branches[0]` (cmd/sops/set.go,
//! decrypt.go). cfsecret selects a document and keeps every block in step.

use crate::support::{Test, canary, line_changes, require};

const PLAIN: &str = "\
apiVersion: v1
kind: Secret
metadata:
  name: first
  namespace: cert-manager
stringData:
  api-token: first-value
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  x: \"1\"
---
apiVersion: v1
kind: Secret
metadata:
  name: second
  namespace: cert-manager
type: Opaque
data:
  api-token: c2Vjb25k
";

/// A three-document file encrypted by sops itself.
fn sops_file(t: &Test) {
    t.write("plain.yaml", PLAIN);
    let a = Test::recipient("keys/age-a.txt");
    let enc = t
        .sops([
            "encrypt",
            "--age",
            &a,
            "--encrypted-regex",
            "^(data|stringData)$",
            "plain.yaml",
        ])
        .run()
        .success()
        .stdout;
    t.write("m.yaml", enc);
    std::fs::remove_file(t.path("plain.yaml")).unwrap();
}

#[track_caller]
fn reads(t: &Test, args: &[&str], want: &str) {
    let mut a = vec!["exec", "--file", "m.yaml"];
    a.extend_from_slice(args);
    a.extend([
        "--",
        "sh",
        "-c",
        "[ \"$CLOUDFLARE_API_TOKEN\" = \"$WANT\" ]",
    ]);
    t.cfsecret(a).env("WANT", want).run().success();
}

#[test]
fn a_document_is_chosen_by_position_kind_name_or_k8s_secret() {
    // Reproduces item 3: only the first document was reachable.
    if !require("sops") {
        return;
    }
    let mut t = Test::new();
    t.age_keys(&["keys/age-a.txt"]);
    sops_file(&t);
    // sops's file, read by cfsecret in every document (data: decoded in a Secret only).
    reads(
        &t,
        &["--key", r#"["stringData"]["api-token"]"#],
        "first-value",
    );
    reads(&t, &["--key", r#"["data"]["x"]"#, "--document", "1"], "1");
    reads(
        &t,
        &[
            "--key",
            r#"["data"]["api-token"]"#,
            "--document",
            "Secret/second",
        ],
        "second",
    );
    reads(
        &t,
        &["--key", "api-token", "--k8s-secret", "cert-manager/second"],
        "second",
    );
    // A write into the third document: its value, and lastmodified + mac in all three blocks.
    let before = t.read("m.yaml");
    let token = canary("multidoc");
    t.cfsecret([
        "set",
        "--file",
        "m.yaml",
        "--key",
        "api-token",
        "--k8s-secret",
        "cert-manager/second",
    ])
    .stdin(token.clone())
    .run()
    .success()
    .hides(&token);
    let (removed, added) = line_changes(&before, &t.read("m.yaml"));
    assert_eq!(removed.len(), added.len());
    assert!(
        added.len() == 7 || added.len() == 4,
        "the value plus lastmodified and mac per document: {added:?}"
    );
    // sops verifies the MAC over every document and sees the base64 value in the third.
    let plain = t.sops(["decrypt", "m.yaml"]).run().success().stdout;
    let docs: Vec<&str> = plain.split("---\n").collect();
    assert_eq!(docs.len(), 3, "{plain}");
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &token);
    assert!(docs[2].contains(&format!("api-token: {b64}")), "{plain}");
    assert!(docs[0].contains("api-token: first-value"), "{plain}");
    reads(
        &t,
        &["--key", "api-token", "--k8s-secret", "cert-manager/second"],
        &token,
    );
    // ...and sops's own set on the first document keeps the file readable by cfsecret.
    t.sops([
        "set",
        "m.yaml",
        r#"["stringData"]["api-token"]"#,
        "\"by-sops\"",
    ])
    .run()
    .success();
    reads(
        &t,
        &[
            "--key",
            "api-token",
            "--document",
            "Secret/second",
            "--k8s-secret",
            "cert-manager/second",
        ],
        &token,
    );
    reads(
        &t,
        &["--key", r#"["stringData"]["api-token"]"#, "--document", "0"],
        "by-sops",
    );
    assert_eq!(t.files_containing(&token), Vec::<std::path::PathBuf>::new());
}

#[test]
fn a_missing_document_is_a_clear_error() {
    if !require("sops") {
        return;
    }
    let mut t = Test::new();
    t.age_keys(&["keys/age-a.txt"]);
    sops_file(&t);
    let before = t.read("m.yaml");
    for args in [
        &["--document", "3"][..],
        &["--document", "Secret/nope"],
        &["--document", "Secret/nope", "--k8s-secret", "other/second"],
    ] {
        let mut a = vec!["set", "--json", "--file", "m.yaml", "--key", "api-token"];
        a.extend_from_slice(args);
        let out = t.cfsecret(a).stdin("x").run().code(1);
        assert_eq!(out.json()["error"], "document_not_found", "{}", out.stdout);
    }
    let out = t
        .cfsecret([
            "set",
            "--file",
            "m.yaml",
            "--key",
            "k",
            "--document",
            "a/b/c",
        ])
        .stdin("x")
        .run()
        .code(2);
    assert!(out.stderr.contains("KIND/NAME"), "{}", out.stderr);
    assert_eq!(t.read("m.yaml"), before, "never rewritten");
}

#[test]
fn a_missing_secret_is_added_as_a_new_document() {
    if !require("sops") {
        return;
    }
    let mut t = Test::new();
    t.age_keys(&["keys/age-a.txt"]);
    sops_file(&t);
    let token = canary("appended");
    let store = [
        "--file",
        "m.yaml",
        "--key",
        "api-token",
        "--k8s-secret",
        "dns/third",
        "--encoding",
        "base64",
    ];
    let mut args = vec!["set"];
    args.extend(store);
    t.cfsecret(args)
        .stdin(token.clone())
        .run()
        .success()
        .hides(&token);
    // sops verifies the MAC over all four documents; the new one is a Secret with the value
    // base64 under data, its identity in clear text.
    let plain = t.sops(["decrypt", "m.yaml"]).run().success().stdout;
    let docs: Vec<&str> = plain.split("---\n").collect();
    assert_eq!(docs.len(), 4, "{plain}");
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &token);
    assert!(docs[3].contains("name: third") && docs[3].contains(&format!("api-token: {b64}")));
    assert!(
        t.read("m.yaml")
            .contains("    name: third\n    namespace: dns\n")
    );
    if let Some(site) = crate::k8s::require_k8s_client() {
        crate::k8s::validate_secret(&t, &site, "m.yaml");
    }
    reads(
        &t,
        &["--key", "api-token", "--k8s-secret", "dns/third"],
        &token,
    );
    assert_eq!(t.files_containing(&token), Vec::<std::path::PathBuf>::new());
}
