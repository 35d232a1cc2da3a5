//! Issue 14, item 5: `cfsecret revoke` — delete at Cloudflare (404 = done), remove the key as
//! `sops unset` does, journaled; `--check`, `--keep-key`, `--token-id`.

use fake_cloudflare::{Resource, TokenSpec};

use crate::support::{Cf, KEY, STORE, digest, line_changes, require};

fn create_at(cf: &Cf, file: &str) -> String {
    let r = cf
        .run([
            "create",
            "--json",
            "--name",
            "rv",
            "--preset",
            "cert-manager-dns01",
            "--zone",
            "example.com",
            "--file",
            file,
            "--key",
            KEY,
        ])
        .success()
        .json();
    r["token_id"].as_str().unwrap().to_owned()
}

/// The lines that are neither `lastmodified` nor `mac` (sops metadata that changes on every
/// write), to compare cfsecret's file with sops's.
fn stable(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.contains("lastmodified") && !l.contains("mac"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn revoke_deletes_the_token_and_removes_the_key_as_sops_unset_does() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    for file in ["secrets/r.yaml", "secrets/r.json", "secrets/r.env"] {
        let id = create_at(&cf, file);
        cf.t.cfsecret(["set", "--file", file, "--key", "other"])
            .stdin("keep-me\n")
            .run()
            .success();
        let before = cf.t.read(file);
        let theirs = format!("{file}.sops-copy{}", &file[file.rfind('.').unwrap()..]);
        cf.t.write(&theirs, &before);
        cf.t.sops(["unset", theirs.as_str(), &format!("[{KEY:?}]")])
            .run()
            .success();
        let r = cf
            .run(["revoke", "--json", "--file", file, "--key", KEY])
            .success()
            .json();
        assert_eq!(
            (
                r["changed"].as_bool(),
                r["action"].as_str(),
                r["token_id"].as_str()
            ),
            (Some(true), Some("revoked"), Some(id.as_str())),
            "{r}"
        );
        assert_eq!(
            (r["already_gone"].as_bool(), r["key_removed"].as_bool()),
            (Some(false), Some(true))
        );
        assert_eq!(r["old"]["name"], "rv");
        assert!(cf.fake.token(&id).is_none(), "deleted at Cloudflare");
        let after = cf.t.read(file);
        assert_eq!(
            stable(&after),
            stable(&cf.t.read(&theirs)),
            "{file}: as sops unset"
        );
        let (removed, added) = line_changes(&before, &after);
        // The key's line goes; mac (and lastmodified, unless in the same second) change.
        assert!(
            removed.len() == added.len() + 1 && removed.len() <= 3,
            "{file}: {removed:?} {added:?}"
        );
        // sops still reads the file, the other key kept.
        let other =
            cf.t.sops(["decrypt", "--extract", "[\"other\"]", file])
                .run()
                .success();
        assert_eq!(other.stdout, "keep-me");
        cf.t.sops(["decrypt", "--extract", &format!("[{KEY:?}]"), file])
            .run()
            .code(1);
    }
    assert!(cf.secrets_on_disk().is_empty());
}

#[test]
fn revoke_check_keep_key_and_already_gone() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let id = cf.create()["token_id"].as_str().unwrap().to_owned();
    let store = cf.t.path(STORE);
    let file = digest(&store);
    // --check: says what it would do, changes nothing.
    let r = cf
        .run(["revoke", "--json", "--check", "--file", STORE, "--key", KEY])
        .success()
        .json();
    assert_eq!(
        (r["changed"].as_bool(), r["key_removed"].as_bool()),
        (Some(true), Some(true)),
        "{r}"
    );
    assert!(
        r["msg"].as_str().unwrap().starts_with("would delete"),
        "{r}"
    );
    assert!(cf.fake.token(&id).is_some());
    assert_eq!(digest(&store), file);
    // --keep-key: the token goes, the store stays.
    let r = cf
        .run([
            "revoke",
            "--json",
            "--keep-key",
            "--file",
            STORE,
            "--key",
            KEY,
        ])
        .success()
        .json();
    assert_eq!(
        (r["key_removed"].as_bool(), r["already_gone"].as_bool()),
        (Some(false), Some(false)),
        "{r}"
    );
    assert!(cf.fake.token(&id).is_none());
    assert_eq!(digest(&store), file);
    // Already gone: the dead key is removed, nothing else to do.
    let r = cf
        .run(["revoke", "--json", "--file", STORE, "--key", KEY])
        .success()
        .json();
    assert_eq!(
        (
            r["already_gone"].as_bool(),
            r["key_removed"].as_bool(),
            r["changed"].as_bool()
        ),
        (Some(true), Some(true), Some(true)),
        "{r}"
    );
    assert!(r["token_id"].is_null(), "{r}");
    // Nothing stored any more: an error.
    let e = cf
        .run(["revoke", "--json", "--file", STORE, "--key", KEY])
        .code(1)
        .json();
    assert_eq!(e["failed"], true);
}

#[test]
fn revoke_by_token_id_needs_the_management_credential() {
    let cf = Cf::new();
    let victim = cf
        .fake
        .mint(TokenSpec::user("leaked").permission("Zone Read", Resource::AllZones));
    let r = cf
        .run(["revoke", "--json", "--check", "--token-id", &victim.id])
        .success()
        .json();
    assert_eq!(
        (r["changed"].as_bool(), r["name"].as_str()),
        (Some(true), Some("leaked")),
        "{r}"
    );
    assert!(cf.fake.token(&victim.id).is_some());
    // A credential without API Tokens Write is refused; nothing changes.
    let out =
        cf.t.cfsecret(["revoke", "--json", "--token-id", &victim.id])
            .env("CLOUDFLARE_API_TOKEN", &victim.secret)
            .run();
    cf.no_leaks(&out);
    assert_eq!(out.code(1).json()["failed"], true);
    assert!(cf.fake.token(&victim.id).is_some());
    let out =
        cf.t.cfsecret(["revoke", "--json", "--token-id", &victim.id])
            .env("CLOUDFLARE_API_TOKEN", "")
            .run();
    assert_eq!(out.code(1).json()["error"], "no_credential");
    // The management token from standard input (--auth-stdin), no environment variable.
    let out =
        cf.t.cfsecret(["--auth-stdin", "revoke", "--json", "--token-id", &victim.id])
            .env("CLOUDFLARE_API_TOKEN", "")
            .stdin(format!("{}\n", cf.fake.bootstrap_token()))
            .run();
    cf.no_leaks(&out);
    let r = out.success().json();
    assert_eq!(
        (r["changed"].as_bool(), r["already_gone"].as_bool()),
        (Some(true), Some(false)),
        "{r}"
    );
    assert!(r["store"].is_null());
    assert!(cf.fake.token(&victim.id).is_none());
    // Gone (or never known): a 404 counts as done.
    let unknown = "0123456789abcdef0123456789abcdef";
    let r = cf
        .run(["revoke", "--json", "--token-id", unknown])
        .success()
        .json();
    assert_eq!(r["already_gone"], true, "{r}");
    let r = cf
        .run(["revoke", "--json", "--token-id", &victim.id])
        .success()
        .json();
    assert_eq!(
        (r["changed"].as_bool(), r["already_gone"].as_bool()),
        (Some(false), Some(true)),
        "{r}"
    );
}

/// A run killed between the delete and the store write is finished by the next run.
#[test]
fn an_interrupted_revoke_is_finished_by_the_next_run() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let id = cf.create()["token_id"].as_str().unwrap().to_owned();
    let out =
        cf.t.cfsecret(["revoke", "--json", "--file", STORE, "--key", KEY])
            .env("CFSECRET_FAULTS", "api.delete.sent=kill")
            .run();
    cf.no_leaks(&out);
    assert_ne!(out.code, 0);
    assert!(cf.fake.token(&id).is_none(), "the delete went through");
    cf.stored(); // still in the store
    // The next run on this store (here: revoke again, with only the dead stored token to
    // authenticate) finishes the step.
    let out =
        cf.t.cfsecret(["revoke", "--json", "--file", STORE, "--key", KEY])
            .env("CLOUDFLARE_API_TOKEN", "")
            .run();
    cf.no_leaks(&out);
    let r = out.success().json();
    assert_eq!(
        (r["changed"].as_bool(), r["action"].as_str()),
        (Some(true), Some("revoked")),
        "{r}"
    );
    cf.t.sops(["decrypt", "--extract", &format!("[{KEY:?}]"), STORE])
        .run()
        .code(1);
}

/// `list --keyring` sees which token a keyring entry holds; `revoke --keyring` deletes it and
/// removes the entry (keyutils: no desktop session needed).
#[test]
fn list_and_revoke_a_keyring_entry() {
    let Some(kr) = crate::keyring::keyutils_kr("revoke") else {
        return;
    };
    let id = kr.create(&[]).success().json()["token_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut list = vec!["list".to_owned(), "--json".to_owned()];
    list.extend(kr.store());
    let r = kr.check(kr.t.cfsecret(&list).run()).success().json();
    let ours = r["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(ours["stores"][0]["type"], "keyring", "{r}");
    let mut revoke = vec!["revoke".to_owned(), "--json".to_owned()];
    revoke.extend(kr.store());
    let r = kr.check(kr.t.cfsecret(&revoke).run()).success().json();
    assert_eq!(
        (r["key_removed"].as_bool(), r["already_gone"].as_bool()),
        (Some(true), Some(false)),
        "{r}"
    );
    assert!(kr.fake.token(&id).is_none());
    assert_eq!(kr.stored(), None);
}

/// Without a management credential the stored token must delete itself; one without API
/// Tokens Write is refused, and nothing changes (no journal step left behind either).
#[test]
fn revoke_without_permission_changes_nothing() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let id = cf.create()["token_id"].as_str().unwrap().to_owned();
    let file = digest(&cf.t.path(STORE));
    let out =
        cf.t.cfsecret(["revoke", "--json", "--file", STORE, "--key", KEY])
            .env("CLOUDFLARE_API_TOKEN", "")
            .run();
    cf.no_leaks(&out);
    let e = out.code(1).json();
    assert_eq!(e["failed"], true, "{e}");
    assert!(cf.fake.token(&id).is_some());
    assert_eq!(digest(&cf.t.path(STORE)), file);
    // The next run (with the credential) starts from scratch and succeeds.
    let r = cf
        .run(["revoke", "--json", "--file", STORE, "--key", KEY])
        .success()
        .json();
    assert_eq!(r["token_id"], id.as_str(), "{r}");
    assert!(cf.fake.token(&id).is_none());
}

/// A nested key that is its map's last member (JSON: the comma before it goes), for a secret
/// Cloudflare no longer knows: only the key is removed, as `sops unset` removes it.
#[test]
fn revoke_removes_a_nested_last_key_like_sops_unset() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let gone = cf
        .fake
        .mint(TokenSpec::user("gone").permission("Zone Read", Resource::AllZones));
    cf.fake.delete(&gone.id);
    let dead = gone.secret.as_str();
    for file in ["secrets/n.yaml", "secrets/n.json"] {
        for (key, value) in [(r#"["cf"]["a"]"#, "keep-me"), (r#"["cf"]["tok"]"#, dead)] {
            cf.t.cfsecret(["set", "--file", file, "--key", key])
                .stdin(format!("{value}\n"))
                .run()
                .success();
        }
        let before = cf.t.read(file);
        let theirs = format!("{file}.copy{}", &file[file.rfind('.').unwrap()..]);
        cf.t.write(&theirs, &before);
        cf.t.sops(["unset", theirs.as_str(), r#"["cf"]["tok"]"#])
            .run()
            .success();
        let r = cf
            .run([
                "revoke",
                "--json",
                "--file",
                file,
                "--key",
                r#"["cf"]["tok"]"#,
            ])
            .success()
            .json();
        assert_eq!(
            (r["already_gone"].as_bool(), r["key_removed"].as_bool()),
            (Some(true), Some(true)),
            "{r}"
        );
        let after = cf.t.read(file);
        assert_eq!(
            stable(&after),
            stable(&cf.t.read(&theirs)),
            "{file}:\n{after}"
        );
        let a =
            cf.t.sops(["decrypt", "--extract", r#"["cf"]["a"]"#, file])
                .run();
        assert_eq!(a.success().stdout, "keep-me");
    }
}

/// Found when merging issues 14 and 17: `revoke` removed the key from the first document and
/// ignored `--k8s-secret`/`--document`, so the token was deleted at Cloudflare while its Secret
/// kept the dead value.
#[test]
fn revoke_removes_the_key_from_the_selected_secret_document() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let file = "secrets/k8s.yaml";
    let store = |ns_name: &'static str, key: &'static str| {
        ["--file", file, "--k8s-secret", ns_name, "--key", key]
    };
    let set = |ns_name: &'static str, key: &'static str, value: &str| {
        cf.t.cfsecret(["set"].into_iter().chain(store(ns_name, key)))
            .stdin(format!("{value}\n"))
            .run()
            .success();
    };
    set("cert-manager/first", "api-token", "first-doc-value");
    set("cert-manager/first", "other", "first-other");
    let mut args = vec![
        "create",
        "--json",
        "--name",
        "rv-k8s",
        "--preset",
        "cert-manager-dns01",
        "--zone",
        "example.com",
    ];
    args.extend(store("cert-manager/second", "api-token"));
    let id = cf.run(args).success().json()["token_id"]
        .as_str()
        .unwrap()
        .to_owned();
    set("cert-manager/second", "other", "second-other");
    let mut args = vec!["revoke", "--json"];
    args.extend(store("cert-manager/second", "api-token"));
    let r = cf.run(args).success().json();
    assert_eq!(
        (r["token_id"].as_str(), r["key_removed"].as_bool()),
        (Some(id.as_str()), Some(true)),
        "{r}"
    );
    assert!(cf.fake.token(&id).is_none(), "deleted at Cloudflare");
    let plain = cf.t.sops(["decrypt", file]).run().success().stdout;
    let docs: Vec<&str> = plain.split("---\n").collect();
    assert_eq!(docs.len(), 2, "{plain}");
    assert!(docs[0].contains("api-token: first-doc-value"), "{plain}");
    assert!(docs[0].contains("other: first-other"), "{plain}");
    assert!(!docs[1].contains("api-token"), "{plain}");
    assert!(docs[1].contains("other: second-other"), "{plain}");
}
