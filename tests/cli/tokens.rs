//! The token lifecycle against the fake Cloudflare: create → verify → rotate → verify → roll →
//! verify on a YAML file, each step checked through sops and the fake.

use std::collections::BTreeSet;

use crate::support::{Cf, KEY, NAME, STORE, StoreArgs, digest, line_changes, require};

/// Waits until the wall clock enters a new second, so that a write changes `lastmodified` (which
/// has one-second resolution) and the diff of a step is exactly three lines.
fn next_second() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    std::thread::sleep(std::time::Duration::from_nanos(
        1_000_000_000 - u64::from(now.subsec_nanos()) + 5_000_000,
    ));
}

/// After a step: sops decrypts the file, the stored token is active and is `expect_id`, the
/// previous secret (if any) is rejected, and the file changed in exactly three lines.
#[track_caller]
fn check_step(cf: &Cf, before: &str, previous: Option<&str>, expect_id: &str) -> String {
    let secret = cf.stored();
    let info = cf
        .fake
        .token_for_secret(&secret)
        .expect("the stored secret authenticates at the fake");
    assert_eq!(info.id, expect_id);
    assert_eq!(info.status, "active");
    assert!(cf.fake.is_active_secret(&secret));
    if let Some(prev) = previous {
        assert!(
            !cf.fake.is_active_secret(prev),
            "the previous secret must be rejected"
        );
    }
    let (removed, added) = line_changes(before, &cf.t.read(STORE));
    let lines = |v: &Vec<(usize, String)>| v.iter().map(|(n, _)| *n).collect::<BTreeSet<_>>();
    assert_eq!(removed.len(), 3, "value, lastmodified and mac: {removed:?}");
    assert_eq!(lines(&removed), lines(&added));
    assert_eq!(
        cf.secrets_on_disk(),
        Vec::<std::path::PathBuf>::new(),
        "plaintext secret on disk"
    );
    secret
}

#[test]
fn create_verify_rotate_verify_roll_verify() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let created = cf.create();
    assert_eq!(created["changed"], true);
    assert_eq!(created["action"], "created");
    let id1 = created["token_id"].as_str().unwrap().to_owned();
    assert_eq!(
        cf.fake.active_tokens_named(NAME).len(),
        1,
        "the token carries its final name"
    );
    let s1 = cf.stored();
    assert!(cf.fake.is_active_secret(&s1));
    let info = cf.fake.token(&id1).unwrap();
    assert!(info.expires_on.is_some());

    let v = cf.cmd(["verify", "--json"]).store().run().success().json();
    assert_eq!(
        (
            v["action"].as_str(),
            v["token_id"].as_str(),
            v["status"].as_str()
        ),
        (Some("verified"), Some(id1.as_str()), Some("active"))
    );
    assert_eq!(v["changed"], false);

    let before = cf.t.read(STORE);
    next_second();
    let r = cf.cmd(["rotate", "--json"]).store().run().success().json();
    assert_eq!(r["action"], "rotated");
    assert_eq!(r["old_token_id"], id1.as_str());
    let id2 = r["token_id"].as_str().unwrap().to_owned();
    assert_ne!(id1, id2);
    let s2 = check_step(&cf, &before, Some(&s1), &id2);
    assert!(cf.fake.token(&id1).is_none(), "the old token is revoked");
    assert_eq!(cf.fake.active_tokens_named(NAME).len(), 1);
    // The successor has the same grants and a fresh expiry of the same lifetime.
    let new = cf.fake.token(&id2).unwrap();
    let groups = |p: &serde_json::Value| {
        let mut g: Vec<String> = p
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|pol| {
                pol["permission_groups"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|g| g["id"].as_str().unwrap().to_owned())
            })
            .collect();
        g.sort();
        g
    };
    assert_eq!(groups(&new.policies), groups(&info.policies));
    assert!(new.expires_on.is_some());
    cf.cmd(["verify"]).store().run().success();

    let before = cf.t.read(STORE);
    next_second();
    let r = cf.cmd(["roll", "--json"]).store().run().success().json();
    assert_eq!(
        (r["action"].as_str(), r["token_id"].as_str()),
        (Some("rolled"), Some(id2.as_str()))
    );
    check_step(&cf, &before, Some(&s2), &id2);
    cf.cmd(["verify"]).store().run().success();
    assert_eq!(cf.fake.active_tokens_named(NAME).len(), 1);
}

#[test]
fn create_is_idempotent_and_force_replaces_and_revokes() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let first = cf.create();
    let digest_before = digest(&cf.t.path(STORE));
    let again = cf.create();
    assert_eq!(again["changed"], false);
    assert_eq!(again["token_id"], first["token_id"]);
    assert_eq!(digest(&cf.t.path(STORE)), digest_before, "nothing written");
    let mut args = vec![
        "create",
        "--json",
        "--force",
        "--name",
        NAME,
        "--permission",
        "Zone:DNS:Edit",
        "--zone",
        "example.com",
    ];
    args.extend(cf.store_args(&[]));
    let forced = cf.run(args).success().json();
    assert_eq!(forced["changed"], true);
    assert_eq!(forced["old_token_id"], first["token_id"]);
    assert!(
        cf.fake.token(first["token_id"].as_str().unwrap()).is_none(),
        "the replaced token is revoked"
    );
    assert_eq!(cf.fake.active_tokens_named(NAME).len(), 1);
}

#[test]
fn rotate_with_max_age_is_a_no_op_while_young() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let id = cf.create()["token_id"].as_str().unwrap().to_owned();
    let digest_young = digest(&cf.t.path(STORE));
    let r = cf
        .cmd(["rotate", "--json", "--max-age", "30d"])
        .store()
        .run()
        .success()
        .json();
    assert_eq!(
        (r["changed"].as_bool(), r["action"].as_str()),
        (Some(false), Some("unchanged"))
    );
    assert_eq!(digest(&cf.t.path(STORE)), digest_young);
    // 40 days later it is due; the run after that has nothing to do and writes nothing.
    cf.fake.backdate(&id, 40 * 86_400);
    let r = cf
        .cmd(["rotate", "--json", "--max-age", "30d"])
        .store()
        .run()
        .success()
        .json();
    assert_eq!(r["action"], "rotated");
    let rotated = digest(&cf.t.path(STORE));
    let r = cf
        .cmd(["rotate", "--json", "--max-age", "30d"])
        .store()
        .run()
        .success()
        .json();
    assert_eq!(
        (r["changed"].as_bool(), r["action"].as_str()),
        (Some(false), Some("unchanged"))
    );
    assert_eq!(
        digest(&cf.t.path(STORE)),
        rotated,
        "the second run writes nothing"
    );
    // --min-remaining: a token close to expiry is due even when young. (The successor kept the
    // backdated token's lifetime, expiry minus issue: 130 days.)
    let r = cf
        .cmd([
            "rotate",
            "--json",
            "--max-age",
            "30d",
            "--min-remaining",
            "200d",
        ])
        .store()
        .run()
        .success()
        .json();
    assert_eq!(r["action"], "rotated");
}

#[test]
fn keep_old_lets_the_old_token_live_then_expire() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let id1 = cf.create()["token_id"].as_str().unwrap().to_owned();
    let r = cf
        .cmd(["rotate", "--json", "--keep-old", "2s"])
        .store()
        .run()
        .success()
        .json();
    let id2 = r["token_id"].as_str().unwrap().to_owned();
    let old = cf
        .fake
        .token(&id1)
        .expect("the old token survives the grace period");
    assert_eq!(old.status, "active");
    assert!(old.expires_on.is_some(), "Cloudflare itself will expire it");
    // Within the grace period a rotate does not start another rotation.
    let r = cf.cmd(["rotate", "--json"]).store().run().success().json();
    assert_eq!(r["changed"], false);
    std::thread::sleep(std::time::Duration::from_millis(2500));
    cf.cmd(["rotate", "--json", "--max-age", "30d"])
        .store()
        .run()
        .success();
    assert!(
        cf.fake.token(&id1).is_none(),
        "revoked after the grace period"
    );
    assert!(cf.fake.token(&id2).is_some());
}

#[test]
fn check_mode_mutates_nothing() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    // create --check on an empty store: nothing minted, no file.
    let mut args = vec![
        "create",
        "--check",
        "--json",
        "--name",
        NAME,
        "--preset",
        "cert-manager-dns01",
        "--zone",
        "example.com",
    ];
    args.extend(cf.store_args(&[]));
    let out = cf.run(args).success().json();
    assert_eq!(out["changed"], true);
    assert!(!cf.t.path(STORE).exists());
    assert_eq!(cf.fake.tokens().len(), 1, "only the bootstrap token");
    cf.create();
    let d = digest(&cf.t.path(STORE));
    // Read-only calls update last_used_on; everything else must stay as it is.
    let snapshot = || {
        cf.fake
            .tokens()
            .into_iter()
            .map(|mut t| {
                t.last_used_on = None;
                t
            })
            .collect::<Vec<_>>()
    };
    let tokens_before = snapshot();
    cf.fake.clear_requests();
    for cmd in ["rotate", "roll"] {
        let out = cf
            .cmd([cmd, "--check", "--json"])
            .store()
            .run()
            .success()
            .json();
        assert_eq!(out["changed"], true, "{cmd} reports what it would do");
    }
    assert_eq!(digest(&cf.t.path(STORE)), d);
    assert_eq!(snapshot(), tokens_before);
    let mutations: Vec<_> = cf
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect();
    assert!(mutations.is_empty(), "check mode sent {mutations:?}");
}

#[test]
fn permissions_lists_groups() {
    let cf = Cf::new();
    let out = cf
        .run(["permissions", "--scope", "zone", "--filter", "dns"])
        .success();
    assert!(out.stdout.contains("DNS Write"), "{}", out.stdout);
    assert!(!out.stdout.contains("Workers Scripts Write"));
    let json = cf.run(["permissions", "--json"]).success().json();
    assert!(json["permission_groups"].as_array().unwrap().len() > 50);
}

#[test]
fn verbose_runs_never_show_a_secret() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let mut args = vec![
        "create",
        "-vvv",
        "--name",
        NAME,
        "--preset",
        "cert-manager-dns01",
        "--zone",
        "example.com",
    ];
    args.extend(cf.store_args(&[]));
    let out = cf.run(args).success();
    assert!(
        out.stderr.contains("debug: cloudflare: POST"),
        "the API calls are logged: {}",
        out.stderr
    );
    for cmd in ["verify", "rotate", "roll", "verify"] {
        cf.cmd([cmd, "-vvv"]).store().run().success();
    }
    cf.cmd(["rotate", "-vvv", "--json"]).store().run().success();
    assert_eq!(cf.secrets_on_disk(), Vec::<std::path::PathBuf>::new());
}

#[test]
fn account_owned_tokens() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let account = cf.fake.account_id();
    let mut args = vec![
        "create",
        "--json",
        "--account-id",
        &account,
        "--name",
        NAME,
        "--permission",
        "Workers Scripts Write",
        "--account",
        &account,
    ];
    args.extend(cf.store_args(&[]));
    let id = cf.run(args).success().json()["token_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = cf.stored();
    assert!(secret.starts_with("cfat_"), "an account-owned token");
    assert!(matches!(
        cf.fake.token(&id).unwrap().owner,
        fake_cloudflare::Owner::Account(_)
    ));
    cf.cmd(["verify", "--account-id", &account])
        .store()
        .run()
        .success();
    let r = cf
        .cmd(["rotate", "--json", "--account-id", &account])
        .store()
        .run()
        .success()
        .json();
    assert_ne!(r["token_id"].as_str(), Some(id.as_str()));
    assert!(cf.fake.token(&id).is_none());
    assert!(cf.fake.is_active_secret(&cf.stored()));
}

#[test]
fn the_global_api_key_can_manage_tokens() {
    if !require("sops") {
        return;
    }
    let mut cf = Cf::new();
    let (email, key) = cf.fake.global_api_key();
    cf.t.unset("CLOUDFLARE_API_TOKEN");
    cf.t.env("CLOUDFLARE_EMAIL", email);
    cf.t.env("CLOUDFLARE_API_KEY", key.clone());
    cf.create();
    let out = cf.cmd(["rotate", "--json"]).store().run().success();
    assert!(!out.stdout.contains(&key) && !out.stderr.contains(&key));
}

#[test]
fn ip_conditions_and_validity_windows() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    // Usable from here (loopback), except from one address.
    let mut args = vec![
        "create",
        "--json",
        "--name",
        NAME,
        "--preset",
        "edit-zone-dns",
        "--zone",
        "example.com",
        "--allow-ip",
        "127.0.0.0/8",
        "--deny-ip",
        "127.0.0.99",
        "--expires-on",
        "2099-01-01T00:00:00Z",
    ];
    args.extend(cf.store_args(&[]));
    let id = cf.run(args).success().json()["token_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let t = cf.fake.token(&id).unwrap();
    let cond = t.condition.expect("an IP condition");
    assert_eq!(cond["request_ip"]["in"], serde_json::json!(["127.0.0.0/8"]));
    assert_eq!(
        cond["request_ip"]["not_in"],
        serde_json::json!(["127.0.0.99/32"])
    );
    assert_eq!(t.expires_on.as_deref(), Some("2099-01-01T00:00:00Z"));
    cf.cmd(["verify"]).store().run().success();
    // The successor keeps the condition.
    let r = cf.cmd(["rotate", "--json"]).store().run().success().json();
    let next = cf.fake.token(r["token_id"].as_str().unwrap()).unwrap();
    assert_eq!(
        next.condition.unwrap()["request_ip"]["in"],
        serde_json::json!(["127.0.0.0/8"])
    );

    // A token for another network can be minted from here (checked with the management
    // credential), but cannot be verified from here — and verify says why.
    let other = "secrets/prod.yml";
    let out = cf
        .run([
            "create",
            "--json",
            "--name",
            "prod-dns",
            "--preset",
            "edit-zone-dns",
            "--zone",
            "example.com",
            "--allow-ip",
            "10.0.0.0/8",
            "--file",
            other,
            "--key",
            KEY,
        ])
        .success()
        .json();
    assert_eq!(out["action"], "created");
    let out = cf.run(["verify", "--json", "--file", other, "--key", KEY]);
    assert_ne!(out.code, 0);
    let msg = out.json()["msg"].as_str().unwrap().to_owned();
    assert!(msg.contains("location") || msg.contains("IP"), "{msg}");
    // Not valid yet: minted and stored, verify says when it becomes valid (exit 3).
    let later = "secrets/later.yml";
    cf.run([
        "create",
        "--json",
        "--name",
        "later",
        "--preset",
        "edit-zone-dns",
        "--zone",
        "example.com",
        "--not-before",
        "2099-01-01T00:00:00Z",
        "--file",
        later,
        "--key",
        KEY,
    ])
    .success();
    let out = cf.run(["verify", "--json", "--file", later, "--key", KEY]);
    assert_eq!(out.code, 3, "{}", out.stdout);
    // A window that cannot work is refused before anything is sent.
    let out = cf.run([
        "create",
        "--json",
        "--name",
        "x",
        "--preset",
        "edit-zone-dns",
        "--zone",
        "example.com",
        "--expires-on",
        "2001-01-01T00:00:00Z",
        "--file",
        "secrets/x.yml",
        "--key",
        KEY,
    ]);
    assert_eq!(out.code, 2, "{}", out.stdout);
}

#[test]
fn check_mode_predicts_a_due_revocation() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let id1 = cf.create()["token_id"].as_str().unwrap().to_owned();
    cf.cmd(["rotate", "--json", "--keep-old", "1s"])
        .store()
        .run()
        .success();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let check = cf
        .cmd(["rotate", "--check", "--json", "--max-age", "30d"])
        .store()
        .run()
        .success()
        .json();
    assert!(cf.fake.token(&id1).is_some(), "check mode revoked nothing");
    let real = cf
        .cmd(["rotate", "--json", "--max-age", "30d"])
        .store()
        .run()
        .success()
        .json();
    assert!(cf.fake.token(&id1).is_none());
    assert_eq!(
        check["changed"], real["changed"],
        "check: {check}\nreal: {real}"
    );
    assert_eq!(real["changed"], true);
}
