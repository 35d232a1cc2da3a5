//! What goes wrong at Cloudflare: each case gives a clear message, the contract's exit code,
//! and `--json` with `"failed": true` and a stable error code — never a secret.

use fake_cloudflare::{Resource, TokenSpec};

use crate::support::{Cf, KEY, NAME, STORE, StoreArgs, digest, require};

fn create_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "create", "--json", "--name", NAME, "--file", STORE, "--key", KEY,
    ];
    v.extend_from_slice(extra);
    v
}

#[track_caller]
fn failed(out: &crate::support::Outcome, code: i32, error: &str) -> serde_json::Value {
    assert_eq!(
        out.code, code,
        "stdout: {} stderr: {}",
        out.stdout, out.stderr
    );
    let json = out.json();
    assert_eq!(json["failed"], true);
    assert_eq!(json["error"], error, "{json}");
    assert!(json["msg"].as_str().is_some_and(|m| m.len() > 20), "{json}");
    json
}

#[test]
fn credential_problems() {
    if !require("sops") {
        return;
    }
    let mut cf = Cf::new();
    // A well-formed token Cloudflare does not know.
    cf.t.env(
        "CLOUDFLARE_API_TOKEN",
        format!("cfut_{}", "A1b2".repeat(12)),
    );
    let out = cf.run(create_args(&[
        "--preset",
        "cert-manager-dns01",
        "--zone",
        "example.com",
    ]));
    let json = failed(&out, 1, "not_authorized");
    assert!(
        json["msg"]
            .as_str()
            .unwrap()
            .contains("CLOUDFLARE_API_TOKEN"),
        "names the credential's source: {json}"
    );
    // A valid token without API Tokens Write.
    let weak = cf
        .fake
        .mint(TokenSpec::user("weak").permission("Zone Read", Resource::AllZones));
    cf.t.env("CLOUDFLARE_API_TOKEN", weak.secret);
    let out = cf.run(create_args(&[
        "--preset",
        "cert-manager-dns01",
        "--zone",
        "example.com",
    ]));
    let json = failed(&out, 1, "missing_permission");
    assert!(
        json["hint"].as_str().unwrap().contains("API Tokens"),
        "{json}"
    );
    // No credential at all.
    cf.t.unset("CLOUDFLARE_API_TOKEN");
    let out = cf.run(create_args(&[
        "--preset",
        "cert-manager-dns01",
        "--zone",
        "example.com",
    ]));
    failed(&out, 1, "no_credential");
    // A malformed token is refused before anything is sent.
    cf.t.env("CLOUDFLARE_API_TOKEN", "not a token\n");
    let out = cf.run(create_args(&[
        "--preset",
        "cert-manager-dns01",
        "--zone",
        "example.com",
    ]));
    assert_ne!(out.code, 0);
    assert!(!cf.t.path(STORE).exists(), "nothing created");
    // Plain http to anything but loopback is refused.
    cf.t.env("CLOUDFLARE_API_TOKEN", cf.fake.bootstrap_token());
    cf.t.env(
        "CLOUDFLARE_API_BASE_URL",
        "http://api.example.com/client/v4",
    );
    let out = cf.run(["permissions", "--json"]);
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert_eq!(out.json()["error"], "insecure_base_url");
}

#[test]
fn unknown_names_are_explained() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let out = cf.run(create_args(&[
        "--permission",
        "DNS Wrte",
        "--zone",
        "example.com",
    ]));
    let json = failed(&out, 2, "unknown_permission");
    assert!(
        json["msg"].as_str().unwrap().contains("DNS Write"),
        "suggests the closest name: {json}"
    );
    let out = cf.run(create_args(&[
        "--preset",
        "cert-manager-dns01",
        "--zone",
        "nope.example",
    ]));
    let json = failed(&out, 1, "unknown_zone");
    assert!(json["msg"].as_str().unwrap().contains("nope.example"));
    let out = cf.run(create_args(&["--permission", "DNS Write"]));
    failed(&out, 2, "needs_zone");
    assert!(
        cf.fake.tokens().len() == 1 && !cf.t.path(STORE).exists(),
        "nothing minted or written"
    );
}

#[test]
fn inactive_tokens_fail_verify_with_exit_3() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let id = cf.create()["token_id"].as_str().unwrap().to_owned();
    let verify = || cf.cmd(["verify", "--json"]).store().run();
    cf.fake.set_status(&id, "disabled");
    let json = failed(&verify(), 3, "token_not_active");
    assert_eq!(
        (json["status"].as_str(), json["token_id"].as_str()),
        (Some("disabled"), Some(id.as_str()))
    );
    cf.fake.set_status(&id, "revoked (exposed)");
    assert_eq!(
        failed(&verify(), 3, "token_not_active")["status"],
        "revoked (exposed)"
    );
    cf.fake.set_status(&id, "active");
    cf.fake.advance_clock(91 * 86_400);
    assert_eq!(
        failed(&verify(), 3, "token_not_active")["status"],
        "expired"
    );
    cf.fake.advance_clock(-91 * 86_400);
    verify().success();
    cf.fake.delete(&id);
    let json = failed(&verify(), 3, "token_not_active");
    assert_eq!(json["status"], "invalid");
    // Rotating or rolling a deleted token cannot work, and says what to do instead.
    let d = digest(&cf.t.path(STORE));
    for cmd in ["rotate", "roll"] {
        let json = failed(&cf.cmd([cmd, "--json"]).store().run(), 1, "token_invalid");
        assert!(json["hint"].as_str().unwrap().contains("create --force"));
    }
    assert_eq!(digest(&cf.t.path(STORE)), d);
    // Human form: one error line, one hint line, on stderr.
    let out = cf.cmd(["verify"]).store().run().code(3);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.starts_with("error: ") && out.stderr.contains("\nhint: "),
        "{}",
        out.stderr
    );
}

#[test]
fn nothing_stored_and_rescue_rules() {
    if !require("sops") {
        return;
    }
    let mut cf = Cf::new();
    for cmd in ["verify", "rotate", "roll"] {
        let out = cf.cmd([cmd, "--json"]).store().run();
        failed(&out, 1, "nothing_stored");
    }
    cf.create();
    // Without any recipient for a rescue file, roll refuses to start (here: a file whose only
    // recipient cannot be parsed is simulated by --rescue-age with nothing usable).
    cf.t.unset("SOPS_AGE_RECIPIENTS");
    let out = cf
        .cmd(["roll", "--json", "--rescue-age", "not-a-recipient"])
        .store()
        .run();
    assert_eq!(out.code, 2, "{}", out.stdout);
}
