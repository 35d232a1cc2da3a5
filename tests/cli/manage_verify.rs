//! Issue 14: `verify --probe`, `--warn-remaining`/`--min-remaining`, and `--auth-stdin`,
//! through the binary against the fake Cloudflare.

use crate::support::{Cf, KEY, STORE, require};

fn verify(cf: &Cf, more: &[&str]) -> crate::support::Outcome {
    let mut args = vec!["verify", "--json", "--file", STORE, "--key", KEY];
    args.extend_from_slice(more);
    cf.run(args)
}

/// Item 2: every family the token holds is probed with one GET, with the token itself; the
/// probe never mutates anything.
#[test]
fn probe_checks_each_family_the_token_holds_and_only_reads() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    cf.create();
    cf.fake.clear_requests();
    let v = verify(&cf, &["--probe"]).success().json();
    let probe = &v["probe"];
    assert_eq!(
        (probe["passed"].as_u64(), probe["total"].as_u64()),
        (Some(2), Some(2)),
        "{v}"
    );
    let families: Vec<&str> = probe["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["family"].as_str().unwrap())
        .collect();
    assert_eq!(families, ["zone", "dns"]);
    let zone = cf.fake.zone_id("example.com").unwrap();
    assert_eq!(
        probe["checks"][1]["endpoint"],
        format!("GET /zones/{zone}/dns_records?per_page=5")
    );
    assert_eq!(probe["checks"][1]["status"], 200);
    assert_eq!(probe["checks"][1]["expected"], true);
    assert!(probe["checks"][1]["error"].is_null());
    assert!(
        cf.fake.requests().iter().all(|r| r.method == "GET"),
        "the probe only reads: {:?}",
        cf.fake.requests()
    );
    // The human form: one line per check and the count.
    let human = cf
        .run(["verify", "--probe", "--file", STORE, "--key", KEY])
        .success();
    assert!(
        human.stdout.contains("2/2 checks passed"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("dns_records"), "{}", human.stdout);
}

/// Item 2, failures: without a credential that can read its policies the probe needs
/// --expect; an expected family the token lacks is a refused endpoint and exit 3.
#[test]
fn probe_with_expect_fails_on_a_refusing_endpoint() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    cf.create();
    let bare = |more: &[&str]| {
        let mut args = vec!["verify", "--json", "--probe", "--file", STORE, "--key", KEY];
        args.extend_from_slice(more);
        let out = cf.t.cfsecret(args).env("CLOUDFLARE_API_TOKEN", "").run();
        cf.no_leaks(&out);
        out
    };
    let e = bare(&[]).code(2).json();
    assert_eq!(e["error"], "probe_needs_expect", "{e}");
    let e = bare(&[
        "--expect",
        "Zone:DNS:Edit",
        "--expect",
        "Workers Scripts Write",
    ])
    .code(3)
    .json();
    assert_eq!(e["error"], "probe_failed", "{e}");
    let checks = e["probe"]["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 2, "{e}");
    assert_eq!(
        (checks[0]["family"].as_str(), checks[0]["ok"].as_bool()),
        (Some("dns"), Some(true))
    );
    assert_eq!(checks[1]["family"], "workers_scripts");
    assert_eq!(checks[1]["ok"], false);
    assert_eq!(checks[1]["status"], 403);
    // 403/9109 "Unauthorized to access requested resource".
    assert_eq!(checks[1]["error"], "not_authorized", "{e}");
    assert_eq!(e["probe"]["passed"], 1);
    // A preset names the families too; an unknown permission is a usage error.
    let e = bare(&["--preset", "cert-manager-dns01"]).success().json();
    assert_eq!(e["probe"]["passed"], 2, "{e}");
    let e = bare(&["--expect", "Billing Read"]).code(2).json();
    assert_eq!(e["error"], "unknown_permission", "{e}");
}

/// Item 3: `expires_in` always; a warning within --warn-remaining (exit 0); exit 3 within
/// --min-remaining.
#[test]
fn remaining_lifetime_warns_and_fails() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    cf.create(); // 90 days
    let v = verify(&cf, &["--warn-remaining", "30d"]).success().json();
    let left = v["expires_in"].as_i64().unwrap();
    assert!((89 * 86_400..=90 * 86_400).contains(&left), "{v}");
    assert!(v.get("warning").is_none(), "{v}");
    let v = verify(&cf, &["--warn-remaining", "100d"]).success().json();
    assert!(v["warning"].as_str().unwrap().contains("expires"), "{v}");
    let e = verify(&cf, &["--min-remaining", "100d"]).code(3).json();
    assert_eq!(e["error"], "expires_soon", "{e}");
    assert!(e["expires_in"].as_i64().is_some(), "{e}");
    verify(&cf, &["--min-remaining", "30d"]).success();
    // A token without an expiry: `expires_in` is null, and never "within" anything.
    let keyless = cf
        .run([
            "create",
            "--json",
            "--name",
            "forever",
            "--preset",
            "cert-manager-dns01",
            "--zone",
            "example.com",
            "--file",
            STORE,
            "--key",
            "forever",
        ])
        .success();
    drop(keyless);
    let v = cf
        .run([
            "verify",
            "--json",
            "--min-remaining",
            "100d",
            "--file",
            STORE,
            "--key",
            "forever",
        ])
        .success()
        .json();
    assert!(
        v.get("expires_in").is_some_and(serde_json::Value::is_null),
        "{v}"
    );
    // The run log line on stderr carries the warning.
    let out = cf
        .run([
            "verify",
            "--warn-remaining",
            "100d",
            "--file",
            STORE,
            "--key",
            KEY,
        ])
        .success();
    assert!(out.stderr.contains("warning="), "{}", out.stderr);
}

/// Item 6: --auth-stdin is the management credential (first), read from one line of stdin.
#[test]
fn auth_stdin_reads_the_management_token_from_standard_input() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let create = [
        "--auth-stdin",
        "create",
        "--json",
        "--name",
        "via-stdin",
        "--preset",
        "cert-manager-dns01",
        "--zone",
        "example.com",
        "--file",
        STORE,
        "--key",
        KEY,
    ];
    let run = |args: &[&str], input: &str| {
        let out =
            cf.t.cfsecret(args)
                .env("CLOUDFLARE_API_TOKEN", "")
                .stdin(input.to_owned())
                .run();
        cf.no_leaks(&out);
        out
    };
    let e = run(&create, "\n").code(2).json();
    assert_eq!(e["error"], "usage", "{e}");
    assert!(e["hint"].as_str().unwrap().contains("--auth-stdin"), "{e}");
    let e = run(
        &[
            "--auth-stdin",
            "set",
            "--json",
            "--file",
            STORE,
            "--key",
            "x",
        ],
        "abc\n",
    )
    .code(2)
    .json();
    assert!(e["msg"].as_str().unwrap().contains("set"), "{e}");
    let mut with_file = create.to_vec();
    with_file.extend(["--auth-file", STORE, "--auth-key", KEY]);
    run(&with_file, &format!("{}\n", cf.fake.bootstrap_token())).code(2);
    // It ranks first: a wrong CLOUDFLARE_API_TOKEN does not matter.
    let out =
        cf.t.cfsecret(create)
            .env("CLOUDFLARE_API_TOKEN", "not-the-token")
            .stdin(format!("{}\n", cf.fake.bootstrap_token()))
            .run();
    cf.no_leaks(&out);
    let r = out.success().json();
    assert_eq!(r["action"], "created", "{r}");
    assert!(cf.secrets_on_disk().is_empty());
}
