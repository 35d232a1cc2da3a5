//! Issue 14, item 4: `cfsecret list` — the owner's tokens, which stores hold them, pending
//! orphans, stale tokens and the quota.

use fake_cloudflare::{Resource, TokenSpec};

use crate::support::{Cf, KEY, STORE, require};

#[test]
fn list_shows_stores_orphans_staleness_and_quota() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let id = cf.create()["token_id"].as_str().unwrap().to_owned();
    let orphan = cf.fake.mint(
        TokenSpec::user("cell-v0-dns [cfsecret:pending:0a1b2c3d.deadbeef]")
            .permission("Zone Read", Resource::AllZones),
    );
    cf.fake.backdate(&orphan.id, 40 * 86_400);
    let r = cf
        .run([
            "list", "--json", "--file", STORE, "--key", KEY, "--stale", "30d",
        ])
        .success()
        .json();
    assert_eq!(
        (r["changed"].as_bool(), r["action"].as_str()),
        (Some(false), Some("listed"))
    );
    assert_eq!(r["quota"], 50);
    let tokens = r["tokens"].as_array().unwrap();
    assert_eq!(r["count"].as_u64(), Some(tokens.len() as u64));
    let find = |id: &str| tokens.iter().find(|t| t["id"] == id).unwrap().clone();
    let ours = find(&id);
    assert_eq!(ours["stores"][0]["file"], STORE, "{ours}");
    assert_eq!(ours["stores"][0]["key"], KEY);
    assert_eq!(
        (ours["pending_orphan"].as_bool(), ours["stale"].as_bool()),
        (Some(false), Some(false))
    );
    for field in [
        "name",
        "status",
        "issued_on",
        "modified_on",
        "last_used_on",
        "expires_on",
    ] {
        assert!(ours.get(field).is_some(), "{field}: {ours}");
    }
    let o = find(&orphan.id);
    assert_eq!(
        (o["pending_orphan"].as_bool(), o["stale"].as_bool()),
        (Some(true), Some(true)),
        "{o}"
    );
    assert_eq!(o["stores"], serde_json::json!([]));
    // The human table.
    let human = cf.run(["list", "--file", STORE, "--key", KEY]).success();
    assert!(human.stdout.contains("PENDING-ORPHAN"), "{}", human.stdout);
    assert!(
        human.stdout.contains(&format!("{STORE}#{KEY}")),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("of 50 tokens"), "{}", human.stdout);
}

#[test]
fn list_failures() {
    let cf = Cf::new();
    // No management credential.
    let out =
        cf.t.cfsecret(["list", "--json"])
            .env("CLOUDFLARE_API_TOKEN", "")
            .run();
    assert_eq!(out.code(1).json()["error"], "no_credential");
    // A credential that may not list tokens.
    let reader = cf
        .fake
        .mint(TokenSpec::user("reader").permission("Zone Read", Resource::AllZones));
    let out =
        cf.t.cfsecret(["list", "--json"])
            .env("CLOUDFLARE_API_TOKEN", &reader.secret)
            .run();
    cf.no_leaks(&out);
    assert_eq!(out.code(1).json()["failed"], true);
    // --file and --key must pair up.
    cf.run(["list", "--json", "--file", STORE]).code(2);
}
