//! The binary against the strict fake (`fake_cloudflare::Strict`, cfsecret issue 12): the
//! README's management credential, `--preset manager` minted with the Global API Key, the
//! commonest misconfiguration, propagation delay, `--max-age`, and calls per command.

use fake_cloudflare::{Config, Resource, TokenSpec};

use crate::support::{Cf, KEY, NAME, STORE, StoreArgs, require};

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
    json
}

fn create_dns(zone: &str) -> Vec<&str> {
    vec![
        "create",
        "--json",
        "--name",
        NAME,
        "--preset",
        "cert-manager-dns01",
        "--zone",
        zone,
        "--file",
        STORE,
        "--key",
        KEY,
    ]
}

/// Item 1: the credential the README once asked for (API Tokens Write only) cannot resolve
/// `--zone example.com`: the error says which permission to add or to pass the id, and the id
/// works without any lookup.
#[test]
fn minimal_manager_needs_zone_ids_or_zone_read() {
    if !require("sops") {
        return;
    }
    let mut cf = Cf::new();
    cf.t.env("CLOUDFLARE_API_TOKEN", cf.fake.minimal_manager_token());
    let out = cf.run(create_dns("example.com"));
    let json = failed(&out, 1, "unknown_zone");
    let hint = json["hint"].as_str().unwrap();
    assert!(
        hint.contains("\"Zone Read\"") && hint.contains("zone id"),
        "{hint}"
    );
    assert!(hint.contains("--preset manager"), "{hint}");
    let zone = cf.fake.zone_id("example.com").unwrap();
    cf.fake.clear_requests();
    let out = cf.run(create_dns(&zone)).success().json();
    assert_eq!(out["changed"], true, "{out}");
    let lookups: Vec<_> = cf
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/zones") || r.path.ends_with("/accounts"))
        .collect();
    assert!(lookups.is_empty(), "a zone id needs no lookup: {lookups:?}");
}

/// Item 1: `create --preset manager` minted with the Global API Key (both spellings of the key
/// variable) into a SOPS file; that token then resolves names and mints.
#[test]
fn preset_manager_minted_with_the_global_key() {
    if !require("sops") {
        return;
    }
    let mut cf = Cf::new();
    let (email, key) = cf.fake.global_api_key();
    cf.t.unset("CLOUDFLARE_API_TOKEN");
    cf.t.env("CLOUDFLARE_EMAIL", &email);
    cf.t.env("CLOUDFLARE_GLOBAL_KEY", &key);
    let out = cf
        .run([
            "create",
            "--json",
            "--name",
            "cfsecret-manager",
            "--preset",
            "manager",
            "--file",
            "secrets/manager.yml",
            "--key",
            "token",
        ])
        .success()
        .hides(&key)
        .json();
    let id = out["token_id"].as_str().unwrap().to_owned();
    let info = cf.fake.token(&id).unwrap();
    let groups = serde_json::to_string(&info.policies).unwrap();
    for g in ["API Tokens Write", "Zone Read", "Account Settings Read"] {
        assert!(groups.contains(g), "{g} in {groups}");
    }
    assert!(
        cf.t.files_containing(&key).is_empty(),
        "the key is on no disk"
    );
    // The new manager, from the SOPS file, resolves --zone example.com.
    cf.t.unset("CLOUDFLARE_EMAIL");
    cf.t.unset("CLOUDFLARE_GLOBAL_KEY");
    let mut args = create_dns("example.com");
    args.extend(["--auth-file", "secrets/manager.yml", "--auth-key", "token"]);
    cf.run(args).success();
}

/// Item 3: rotate with only the stored DNS token (no management credential) says
/// missing_permission and names the management credential flags; nothing changes.
#[test]
fn rotate_with_only_the_dns_token_names_the_management_flags() {
    if !require("sops") {
        return;
    }
    let mut cf = Cf::new();
    let created = cf.create();
    cf.t.unset("CLOUDFLARE_API_TOKEN");
    let out = cf.cmd(["rotate", "--json"]).store().run();
    let json = failed(&out, 1, "missing_permission");
    let hint = json["hint"].as_str().unwrap();
    assert!(hint.contains("--auth-file"), "{hint}");
    assert!(hint.contains("CLOUDFLARE_API_TOKEN"), "{hint}");
    assert!(
        cf.fake
            .token(created["token_id"].as_str().unwrap())
            .is_some()
    );
    assert_eq!(cf.fake.active_tokens_named(NAME).len(), 1);
}

/// Item 6: a freshly minted token used as its own manager may be refused until its permissions
/// propagate: nothing is lost, and the next run finishes.
#[test]
fn propagation_delay_loses_nothing() {
    if !require("sops") {
        return;
    }
    let mut cf = Cf::with(Config {
        strict: fake_cloudflare::Strict {
            propagation_secs: 60,
            ..Default::default()
        },
        ..Config::default()
    });
    // A token that may manage itself (API Tokens Write) and edit DNS, minted through the API.
    let user = cf.fake.user_id();
    let seed = cf.fake.mint(
        TokenSpec::user("seed")
            .permission("API Tokens Write", Resource::User(user))
            .permission("DNS Write", Resource::AllZones),
    );
    cf.t.cfsecret(["set"])
        .store()
        .stdin(seed.secret.clone())
        .run()
        .success();
    cf.t.unset("CLOUDFLARE_API_TOKEN");
    let rotate = ["rotate", "--json", "--file", STORE, "--key", KEY];
    // The seed was set up directly (no delay): it mints its successor, which is stored,
    // verified and replaces it.
    let first = cf.run(rotate).success().json();
    assert_eq!(first["changed"], true, "{first}");
    let successor = first["token_id"].as_str().unwrap().to_owned();
    assert!(
        cf.fake.token(&seed.id).is_none(),
        "the old token is revoked"
    );
    // The successor's permissions have not arrived: refused, nothing changes.
    let out = cf.run(rotate);
    assert_eq!(out.code, 1, "{} {}", out.stdout, out.stderr);
    assert_eq!(out.json()["error"], "missing_permission");
    assert!(cf.fake.is_active_secret(cf.stored().trim()));
    assert_eq!(
        cf.fake.token_for_secret(cf.stored().trim()).unwrap().id,
        successor
    );
    // A minute later the next run finishes the job.
    cf.fake.advance_clock(61);
    let again = cf.run(rotate).success().json();
    assert_eq!(again["changed"], true, "{again}");
    assert!(cf.fake.is_active_secret(cf.stored().trim()));
    assert_eq!(
        cf.fake.tokens().len(),
        2,
        "the bootstrap token and the current one"
    );
}

/// Item 8: --max-age measures the secret's age (issued_on), not modified_on, which any edit
/// moves.
#[test]
fn max_age_measures_the_secret_not_the_last_edit() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let created = cf.create();
    let id = created["token_id"].as_str().unwrap();
    cf.fake.backdate(id, 10 * 86400);
    cf.fake.touch(id); // e.g. renamed in the dashboard today
    let out = cf
        .cmd(["rotate", "--json", "--max-age", "7d"])
        .store()
        .run()
        .success()
        .json();
    assert_eq!(out["changed"], true, "a 10-day-old secret is due: {out}");
    assert_ne!(out["token_id"], created["token_id"]);
}

/// Item 5: an account-owned secret, pre-2026 (40 characters, 401 on `/user/tokens/verify`) or
/// `cfat_` (403 there), verified without `--account-id` and without a management credential.
/// cfsecret asks `GET /accounts` with the token itself: where that lists the token's own
/// account (2026 reports: cloudflare/mcp PR #133, SamNet-dev/dnstm-setup PR #29) it verifies
/// there; where it is refused (400/1001, edgefirst-dev/starter #3; the fake's default) it asks
/// for the id (exit 2, `account_id_needed`) rather than call the token dead.
#[test]
fn account_secrets_without_account_id_find_their_account_or_ask_for_it() {
    if !require("sops") {
        return;
    }
    for (legacy, refused) in [(true, true), (false, true), (true, false), (false, false)] {
        let what = format!("legacy={legacy} /accounts refused={refused}");
        let mut cf = Cf::with(Config {
            strict: fake_cloudflare::Strict {
                legacy_account_secrets: legacy,
                account_token_on_user_verify_403: !legacy,
                accounts_refuse_account_tokens: refused,
                ..Default::default()
            },
            ..Config::default()
        });
        let account = cf.fake.account_id();
        let token = cf.fake.mint(
            TokenSpec::account("acct", &account)
                .permission("Account Settings Read", Resource::Account(account.clone())),
        );
        assert_eq!(
            token.secret.len() == 40,
            legacy,
            "the secret shape under test"
        );
        cf.t.cfsecret(["set", "--file", STORE, "--key", KEY])
            .stdin(token.secret.clone())
            .run()
            .success();
        cf.t.unset("CLOUDFLARE_API_TOKEN");
        let out = cf.run(["verify", "--json", "--file", STORE, "--key", KEY]);
        if refused {
            let json = failed(&out, 2, "account_id_needed");
            assert!(
                json["hint"].as_str().unwrap().contains("--account-id"),
                "{what}: {json}"
            );
        } else {
            let json = out.success().json();
            assert_eq!(json["token_id"], token.id.as_str(), "{what}: {json}");
        }
        let out = cf
            .run([
                "verify",
                "--json",
                "--account-id",
                &account,
                "--file",
                STORE,
                "--key",
                KEY,
            ])
            .success()
            .json();
        assert_eq!(out["token_id"], token.id.as_str(), "{what}: {out}");
    }
}

/// Item 8: a roll keeps the token's id and `issued_on` (the fake models the API: see its
/// `State::roll`), so a secret rolled today looks as old as the token; cfsecret's own record
/// of the roll makes `rotate --max-age` leave it alone, while the same old token without the
/// roll is rotated.
#[test]
fn max_age_counts_from_the_last_roll() {
    if !require("sops") {
        return;
    }
    for rolled in [true, false] {
        let cf = Cf::new();
        let created = cf.create();
        let id = created["token_id"].as_str().unwrap();
        cf.fake.backdate(id, 10 * 86400);
        if rolled {
            let out = cf
                .run(["roll", "--json", "--file", STORE, "--key", KEY])
                .success()
                .json();
            assert_eq!(out["token_id"], id, "a roll keeps the id: {out}");
            // The record next to the journal: private, token ids and times only (the world's
            // leak check covers every file).
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let record = cf.t.path("secrets/.cell-v0.yml.cfsecret.written");
                let mode = std::fs::metadata(&record).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600);
                assert!(std::fs::read_to_string(&record).unwrap().contains(id));
            }
        }
        let out = cf
            .run([
                "rotate",
                "--json",
                "--max-age",
                "7d",
                "--file",
                STORE,
                "--key",
                KEY,
            ])
            .success()
            .json();
        assert_eq!(
            out["changed"], !rolled,
            "rolled={rolled}: a secret rolled today is not due, a 10-day-old one is: {out}"
        );
        assert_eq!(out["token_id"] == id, rolled, "{out}");
    }
}

/// Item 9: API calls and TCP connections per command, against the fake. The numbers are the
/// ones in the README ("Calls per command"); `CFSECRET_PRINT_COUNTS=1` prints them.
#[test]
fn calls_and_connections_per_command() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let mut counts = Vec::new();
    let mut measure = |what: &str, args: &[&str]| {
        cf.fake.clear_requests();
        let before = cf.fake.connections();
        cf.run(args.iter().copied()).success();
        let calls = cf.fake.requests().len();
        let conns = cf.fake.connections() - before;
        counts.push(format!("{what}: {calls} calls, {conns} connection(s)"));
        (calls, conns)
    };
    let zone = cf.fake.zone_id("example.com").unwrap();
    let store = ["--file", STORE, "--key", KEY];
    let mut create = vec!["create", "--name", NAME, "--preset", "cert-manager-dns01"];
    create.extend(["--zone", &zone]);
    create.extend(store);
    let (_, c) = measure("create (zone id)", &create);
    assert_eq!(c, 1);
    let mut verify = vec!["verify"];
    verify.extend(store);
    let (calls, c) = measure("verify", &verify);
    assert_eq!((calls, c), (1, 1));
    let mut rotate = vec!["rotate"];
    rotate.extend(store);
    let (calls, c) = measure("rotate", &rotate);
    assert!(calls <= 7, "a rotate needs about 5-7 calls, made {calls}");
    assert_eq!(c, 1);
    let mut roll = vec!["roll"];
    roll.extend(store);
    let (calls, c) = measure("roll", &roll);
    assert!(calls <= 5, "roll made {calls}");
    assert_eq!(c, 1);
    if std::env::var_os("CFSECRET_PRINT_COUNTS").is_some() {
        eprintln!("{}", counts.join("\n"));
    }
}

/// A throwaway CA, and a certificate it signed for 127.0.0.1: the identity for the fake and
/// the CA's PEM for SSL_CERT_FILE.
fn throwaway_ca() -> (fake_cloudflare::TlsIdentity, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "cfsecret throwaway test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    leaf.subject_alt_names
        .push(SanType::IpAddress(std::net::IpAddr::V4(
            std::net::Ipv4Addr::LOCALHOST,
        )));
    let leaf_cert = leaf.signed_by(&leaf_key, &ca_cert, &ca_key).unwrap();
    let identity = fake_cloudflare::TlsIdentity {
        cert_chain_der: vec![leaf_cert.der().to_vec()],
        key_pkcs8_der: leaf_key.serialize_der(),
    };
    (identity, ca_cert.pem())
}

/// Item 10: the API over TLS. An untrusted certificate is refused with a hint naming
/// SSL_CERT_FILE; with SSL_CERT_FILE naming the CA, the same command works.
#[test]
fn tls_trusts_ssl_cert_file_and_explains_an_untrusted_certificate() {
    let (identity, ca_pem) = throwaway_ca();
    let mut cf = Cf::with(Config {
        tls: Some(identity),
        ..Config::default()
    });
    assert!(cf.fake.base_url().starts_with("https://127.0.0.1:"));
    cf.t.unset("SSL_CERT_FILE");
    cf.t.unset("SSL_CERT_DIR");
    let out = cf.run(["permissions", "--json", "--filter", "dns"]);
    let json = failed(&out, 1, "network");
    assert!(
        json["msg"].as_str().unwrap().contains("certificate"),
        "{json}"
    );
    assert!(
        json["hint"].as_str().unwrap().contains("SSL_CERT_FILE"),
        "{json}"
    );
    let ca = cf.t.write("ca.pem", ca_pem);
    cf.t.env("SSL_CERT_FILE", ca);
    let out = cf
        .run(["permissions", "--json", "--filter", "dns"])
        .success();
    assert!(out.stdout.contains("DNS Write"), "{}", out.stdout);
}
