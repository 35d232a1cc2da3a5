//! Issue 14, item 1: `create` converges an existing active token in place (same id, same
//! secret), reports a diff of the non-secret fields, and `--check` sends nothing.

use crate::support::{Cf, KEY, NAME, STORE, digest, require};

fn create(cf: &Cf, more: &[&str]) -> crate::support::Outcome {
    let name = more
        .iter()
        .position(|a| *a == "--name")
        .map_or(NAME, |i| more[i + 1]);
    let more: Vec<&str> = match more.iter().position(|a| *a == "--name") {
        Some(i) => [&more[..i], &more[i + 2..]].concat(),
        None => more.to_vec(),
    };
    let mut args = vec![
        "create",
        "--json",
        "--name",
        name,
        "--preset",
        "cert-manager-dns01",
        "--zone",
        "example.com",
        "--expires-in",
        "90d",
        "--file",
        STORE,
        "--key",
        KEY,
    ];
    args.extend_from_slice(&more);
    cf.run(args)
}

#[test]
fn create_updates_in_place_and_check_mode_sends_nothing() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let first = cf.create();
    let id = first["token_id"].as_str().unwrap().to_owned();
    let secret = cf.stored();
    let file = digest(&cf.t.path(STORE));
    // Same request: unchanged, with the token's facts.
    let r = create(&cf, &[]).success().json();
    assert_eq!(
        (r["changed"].as_bool(), r["action"].as_str()),
        (Some(false), Some("unchanged")),
        "{r}"
    );
    assert_eq!(r["name"], NAME);
    assert!(
        r["issued_on"].is_string() && r["modified_on"].is_string(),
        "{r}"
    );
    // --check: the diff, nothing sent.
    cf.fake.clear_requests();
    let r = create(&cf, &["--allow-ip", "127.0.0.0/8", "--check"])
        .success()
        .json();
    assert_eq!(
        (r["changed"].as_bool(), r["action"].as_str()),
        (Some(true), Some("updated")),
        "{r}"
    );
    assert!(r["diff"]["before"]["condition"].is_null(), "{r}");
    assert_eq!(
        r["diff"]["after"]["condition"]["request_ip"]["in"][0],
        "127.0.0.0/8"
    );
    assert!(
        r["diff"]["before"].get("policies").is_none(),
        "only differing fields: {r}"
    );
    assert!(cf.fake.requests().iter().all(|q| q.method == "GET"));
    assert!(cf.fake.token(&id).unwrap().condition.is_none());
    // The real run: same id, same secret, the store untouched.
    let r = create(&cf, &["--allow-ip", "127.0.0.0/8", "--name", "renamed"]);
    let r = r.success().json();
    assert_eq!(
        (r["action"].as_str(), r["token_id"].as_str()),
        (Some("updated"), Some(id.as_str())),
        "{r}"
    );
    assert_eq!(r["diff"]["before"]["name"], NAME);
    assert_eq!(r["diff"]["after"]["name"], "renamed");
    assert_eq!(r["old"]["name"], NAME);
    assert_eq!(r["name"], "renamed");
    let info = cf.fake.token(&id).unwrap();
    assert_eq!(info.name, "renamed");
    assert!(info.condition.is_some());
    assert_eq!(info.policies, cf.fake.token(&id).unwrap().policies);
    assert_eq!(cf.stored(), secret, "same secret");
    assert_eq!(digest(&cf.t.path(STORE)), file, "nothing to redeploy");
    // A policy change: the diff carries the policies as the API shapes them, with names.
    let r = create(
        &cf,
        &[
            "--allow-ip",
            "127.0.0.0/8",
            "--name",
            "renamed",
            "--zone",
            "example.org",
        ],
    );
    let r = r.success().json();
    assert_eq!(r["action"], "updated", "{r}");
    let after = r["diff"]["after"]["policies"].to_string();
    assert!(
        after.contains("DNS Write") && after.contains("Zone Read"),
        "{r}"
    );
    // Converged: the next run changes nothing.
    let r = create(
        &cf,
        &[
            "--allow-ip",
            "127.0.0.0/8",
            "--name",
            "renamed",
            "--zone",
            "example.org",
        ],
    );
    assert_eq!(r.success().json()["changed"], false);
    // --force still mints a new token.
    let r = create(&cf, &["--force"]).success().json();
    assert_eq!(r["action"], "created", "{r}");
    assert_ne!(r["token_id"], id.as_str());
    assert!(cf.secrets_on_disk().is_empty());
}

/// A management credential that may not read tokens: the converge fails, nothing changes.
#[test]
fn converge_without_permission_fails_and_changes_nothing() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let first = cf.create();
    let id = first["token_id"].as_str().unwrap().to_owned();
    let reader = cf.fake.mint(
        fake_cloudflare::TokenSpec::user("reader")
            .permission("Zone Read", fake_cloudflare::Resource::AllZones),
    );
    let mut args = vec![
        "create",
        "--json",
        "--name",
        "other",
        "--preset",
        "cert-manager-dns01",
        "--zone",
        "example.com",
        "--file",
        STORE,
        "--key",
        KEY,
    ];
    args.push("--check");
    let out =
        cf.t.cfsecret(&args)
            .env("CLOUDFLARE_API_TOKEN", &reader.secret)
            .run();
    cf.no_leaks(&out);
    let e = out.code(1).json();
    assert_eq!(e["failed"], true, "{e}");
    assert_eq!(cf.fake.token(&id).unwrap().name, NAME);
}

/// Item 7: results carry the new token's name and times, the old token's under `old`, and in
/// --check the predicted expiry.
#[test]
fn results_carry_old_and_new_token_facts() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let id = cf.create()["token_id"].as_str().unwrap().to_owned();
    let store = ["--file", STORE, "--key", KEY];
    let mut check = vec!["rotate", "--json", "--check"];
    check.extend(store);
    let r = cf.run(check).success().json();
    assert!(r["expires_on"].is_string(), "predicted expiry: {r}");
    assert_eq!(r["old"]["token_id"], id.as_str(), "{r}");
    let mut rotate = vec!["rotate", "--json"];
    rotate.extend(store);
    let r = cf.run(rotate).success().json();
    assert_eq!(r["name"], NAME, "{r}");
    for f in ["issued_on", "modified_on", "expires_on"] {
        assert!(r[f].is_string(), "{f}: {r}");
        assert!(r["old"][f].is_string(), "old {f}: {r}");
    }
    assert_eq!(r["old"]["token_id"], id.as_str());
    assert_eq!(r["old"]["name"], NAME);
    // roll: the same token, its name and times after the roll.
    let mut roll = vec!["roll", "--json"];
    roll.extend(store);
    let rolled = cf.run(roll).success().json();
    assert_eq!(rolled["name"], NAME, "{rolled}");
    assert!(rolled["modified_on"].is_string(), "{rolled}");
    // create --force replaces a token: `old` names it.
    let new_id = r["token_id"].as_str().unwrap().to_owned();
    let r = create(&cf, &["--force"]).success().json();
    assert_eq!(r["old"]["token_id"], new_id.as_str(), "{r}");
    assert!(r["issued_on"].is_string(), "{r}");
    // create --check on a new key predicts the expiry.
    let r = cf
        .run([
            "create",
            "--json",
            "--check",
            "--name",
            "n2",
            "--preset",
            "cert-manager-dns01",
            "--zone",
            "example.com",
            "--expires-in",
            "30d",
            "--file",
            STORE,
            "--key",
            "second",
        ])
        .success()
        .json();
    assert!(r["expires_on"].is_string(), "{r}");
}
