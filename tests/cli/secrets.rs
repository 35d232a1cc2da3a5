//! The canary: a secret stored with `set` never appears in output at any verbosity, nor in any
//! file but the encrypted store; `exec` gives it to the child's environment only.

use crate::support::{Test, canary, require};

fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn a_stored_secret_never_leaks() {
    if !require("sops") {
        return;
    }
    let mut t = Test::new();
    t.age_keys(&["keys/age-a.txt"]);
    t.fixture("sops/secrets/cell-v0.yml", "secrets/cell-v0.yml");
    let secret = canary("set");
    for flags in [
        vec![],
        vec!["-v"],
        vec!["-vv"],
        vec!["-vvv"],
        vec!["--json", "-vvv"],
        vec!["--check", "-vvv"],
    ] {
        let mut args = vec![
            "set",
            "--file",
            "secrets/cell-v0.yml",
            "--key",
            "cloudflare_api_token",
        ];
        args.extend(flags.iter().copied());
        let out = t
            .cfsecret(args)
            .stdin(format!("{secret}\n"))
            .run()
            .success()
            .hides(&secret);
        if flags.contains(&"-vvv") {
            assert!(
                out.stderr.contains("debug:"),
                "verbose runs do log (so this check means something): {}",
                out.stderr
            );
        }
    }
    assert_eq!(
        t.files_containing(&secret),
        Vec::<std::path::PathBuf>::new(),
        "plaintext on disk"
    );
    let out = t
        .sops([
            "decrypt",
            "--extract",
            "[\"cloudflare_api_token\"]",
            "secrets/cell-v0.yml",
        ])
        .run()
        .success();
    assert_eq!(out.stdout, secret, "the store holds it, encrypted");
    // A failing run does not leak it either.
    let out = t
        .cfsecret([
            "set",
            "-vvv",
            "--file",
            "secrets/cell-v0.yml",
            "--key",
            "[\"cloudflare_api_token\"][\"x\"]",
        ])
        .stdin(secret.clone())
        .run()
        .code(1);
    out.hides(&secret);
}

#[test]
fn exec_hands_the_secret_to_the_child_environment_only() {
    if !require("sops") {
        return;
    }
    let mut t = Test::new();
    t.age_keys(&["keys/age-a.txt"]);
    let secret = canary("exec");
    t.cfsecret([
        "set",
        "--file",
        "s.yaml",
        "--key",
        "token",
        "--age",
        &Test::recipient("keys/age-a.txt"),
    ])
    .stdin(secret.clone())
    .run()
    .success();
    // The child sees it under the requested name, in exactly one variable, and can use it;
    // cfsecret itself prints nothing of it.
    let script =
        r#"printf %s "$MY_TOKEN" | sha256sum | cut -d' ' -f1; env | grep -c cfsecret-canary"#;
    let out = t
        .cfsecret([
            "exec", "-vvv", "--file", "s.yaml", "--key", "token", "--env", "MY_TOKEN", "--", "sh",
            "-c", script,
        ])
        .run()
        .success()
        .hides(&secret);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines, [sha256_hex(&secret).as_str(), "1"]);
    // The default name, and the child's exit code passed through.
    let out = t
        .cfsecret([
            "exec",
            "--file",
            "s.yaml",
            "--key",
            "token",
            "--",
            "sh",
            "-c",
            "test -n \"$CLOUDFLARE_API_TOKEN\" && exit 7",
        ])
        .run();
    assert_eq!(out.code, 7);
    // A missing command is a clear error.
    let out = t
        .cfsecret([
            "exec",
            "--json",
            "--file",
            "s.yaml",
            "--key",
            "token",
            "--",
            "no-such-command-x",
        ])
        .run()
        .code(1);
    assert_eq!(out.json()["error"], "exec_failed");
    // --check runs nothing.
    let out = t
        .cfsecret([
            "exec", "--check", "--file", "s.yaml", "--key", "token", "--", "sh", "-c", "exit 9",
        ])
        .run();
    assert_eq!(out.code, 0);
}
