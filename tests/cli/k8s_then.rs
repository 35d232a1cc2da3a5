//! `--then CMD` (issue 17, item 4): commands after the store changed, with no secret in their
//! argv or environment; their failure is reported (exit 7) and never undoes the stored token.

use fake_cloudflare::{Fault, FaultKind, Op};

use crate::support::{Cf, STORE, Test, require};

#[test]
fn then_runs_after_a_rotation_without_any_secret_in_its_environment() {
    // Reproduces item 4: there was no --then.
    if !require("sops") {
        return;
    }
    let mut cf = Cf::new();
    cf.t.env(
        "SOPS_AGE_KEY",
        "AGE-SECRET-KEY-NOT-A-REAL-ONE-cfsecret-canary",
    );
    // A key file is still needed to decrypt; SOPS_AGE_KEY above only shows it is scrubbed.
    let created = cf.create();
    let old = created["token_id"].as_str().unwrap().to_owned();
    let mut args = vec!["rotate", "--json"];
    args.extend(cf.store_args(&[
        "--then",
        "env > then-env.txt",
        "--then",
        "echo from-hook; ls /proc/$$/fd >/dev/null",
    ]));
    let out = cf.run(args).success();
    let j = out.json();
    assert_eq!(j["then"][0]["ok"], true, "{j}");
    assert_eq!(j["then"][1]["status"], 0, "{j}");
    assert!(j.get("then_failed").is_none());
    assert!(
        out.stderr.contains("from-hook"),
        "output passed through: {}",
        out.stderr
    );
    let env = cf.t.read("then-env.txt");
    let new = j["token_id"].as_str().unwrap();
    for want in [
        format!("CFSECRET_STORE={STORE}"),
        "CFSECRET_KEY=cloudflare_api_token".into(),
        "CFSECRET_ACTION=rotated".into(),
        format!("CFSECRET_TOKEN_ID={new}"),
        format!("CFSECRET_OLD_TOKEN_ID={old}"),
    ] {
        assert!(
            env.contains(&want),
            "{want} not in the hook's environment:\n{env}"
        );
    }
    for secret in cf.fake.issued_secrets() {
        assert!(
            !env.contains(&secret),
            "a token secret in the hook's environment"
        );
    }
    assert!(!env.contains("CLOUDFLARE_API_TOKEN="));
    assert!(!env.contains("SOPS_AGE_KEY="));
    assert!(!env.contains("canary"));
    std::fs::remove_file(cf.t.path("then-env.txt")).unwrap();
    // Nothing to do: not run.
    let mut args = vec!["rotate", "--json", "--max-age", "30d"];
    args.extend(cf.store_args(&["--then", "touch ran"]));
    let j = cf.run(args).success().json();
    assert_eq!(j["action"], "unchanged");
    assert!(j.get("then").is_none() && !cf.t.path("ran").exists());
    // Check mode: not run either.
    let mut args = vec!["rotate", "--check"];
    args.extend(cf.store_args(&["--then", "touch ran"]));
    cf.run(args).success();
    assert!(!cf.t.path("ran").exists());
}

#[test]
fn a_failing_then_exits_7_and_keeps_the_stored_secret() {
    if !require("sops") {
        return;
    }
    let mut t = Test::new();
    t.age_keys(&["keys/age-a.txt"]);
    t.env("SOPS_AGE_RECIPIENTS", Test::recipient("keys/age-a.txt"));
    let out = t
        .cfsecret([
            "set",
            "--json",
            "--file",
            "s.yaml",
            "--key",
            "k",
            "--then",
            "printf 'bad \\033]0;title\\007 out'; exit 3",
            "--then",
            "touch never",
        ])
        .stdin("the-value")
        .run()
        .code(7);
    let j = out.json();
    assert_eq!(j["changed"], true);
    assert_eq!(j["then_failed"], true, "{j}");
    assert_eq!(j["then"][0]["status"], 3);
    assert_eq!(j["then"][1]["skipped"], true);
    assert!(!t.path("never").exists(), "the chain stops at a failure");
    assert!(
        out.stderr.contains(" then=failed "),
        "the run log line says so: {}",
        out.stderr
    );
    assert!(!out.stderr.contains('\u{1b}'), "raw escape on the terminal");
    assert!(out.stderr.contains("\\u{1b}]0;title"), "{}", out.stderr);
    let stored = t
        .sops(["decrypt", "--extract", "[\"k\"]", "s.yaml"])
        .run()
        .success()
        .stdout;
    assert_eq!(stored, "the-value", "the store keeps the new value");
    // The same value again: unchanged, so nothing runs.
    t.cfsecret([
        "set",
        "--file",
        "s.yaml",
        "--key",
        "k",
        "--then",
        "touch ran",
    ])
    .stdin("the-value")
    .run()
    .success();
    assert!(!t.path("ran").exists());
}

#[test]
fn then_still_runs_when_only_the_old_tokens_revocation_failed() {
    // Exit 4: the new token is stored and verified, so consumers need it; the hook runs and
    // the exit stays 4 (the more urgent news).
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    cf.create();
    cf.fake
        .add_fault(Fault::new(Op::DeleteToken, FaultKind::server_error()).times(20));
    let mut args = vec!["rotate", "--json", "--timeout", "1s"];
    args.extend(cf.store_args(&["--then", "printf %s \"$CFSECRET_TOKEN_ID\" > hook-id"]));
    let j = cf.run(args).code(4).json();
    assert_eq!(j["error"], "revoke_failed", "{j}");
    assert_eq!(j["then"][0]["ok"], true, "{j}");
    assert_eq!(cf.t.read("hook-id"), j["token_id"].as_str().unwrap());
}
