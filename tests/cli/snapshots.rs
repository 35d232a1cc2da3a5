//! Pinned output: every command's `--help`, the main error messages with their hints as
//! printed, and the `--json` success and failure shapes, byte for byte, so wording and the
//! no-secret property change only on purpose. Ids, timestamps and temp paths are redacted.
//!
//! After an intended change, regenerate and review the diff:
//!
//! ```text
//! SNAPSHOTS=overwrite cargo test --test cli snapshots
//! ```

use std::path::{Path, PathBuf};

use regex::Regex;

use crate::support::{Cf, NAME, Outcome, StoreArgs, Test};

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/snapshots")
}

/// Compares `actual` with `snapshots/NAME` (snapbox; `SNAPSHOTS=overwrite` rewrites it).
#[track_caller]
fn check(name: &str, actual: String) {
    let path = snapshot_dir().join(name);
    snapbox::Assert::new()
        .action_env(snapbox::assert::DEFAULT_ACTION_ENV)
        // Output holds JSON escapes and no Windows paths: backslashes stay as printed.
        .normalize_paths(false)
        .eq(actual, snapbox::Data::read_from(&path, None));
}

/// What a run printed, with what changes from run to run replaced by placeholders.
fn shown(out: &Outcome, root: &Path) -> String {
    let text = format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.code, out.stdout, out.stderr
    );
    redact(&text, root)
}

fn redact(text: &str, root: &Path) -> String {
    let mut s = text.replace(&root.display().to_string(), "[ROOT]");
    for (pattern, with) in [
        // RFC 3339 timestamps, with or without a fraction.
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
            "[TIME]",
        ),
        // Cloudflare ids (32 hex digits) and the fake's ids.
        (r"\b[0-9a-f]{32}\b", "[ID]"),
        // The fake's address.
        (r"127\.0\.0\.1:\d+", "[FAKE]"),
        // Durations the run measured ("in 12 ms", "1.2s").
        (r"\b\d+(\.\d+)? ?ms\b", "[MS]"),
        // Seconds left until a token expires: a second may pass between mint and verify.
        (r#""expires_in":\d+"#, r#""expires_in":[SECONDS]"#),
    ] {
        s = Regex::new(pattern)
            .unwrap()
            .replace_all(&s, with)
            .into_owned();
    }
    s
}

/// The subcommands the top-level help lists, so a new command gets a snapshot too.
fn subcommands(top_help: &str) -> Vec<String> {
    top_help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        // A command starts its line; a wrapped description is indented further.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn snapshots_help() {
    let t = Test::new();
    let top = t.cfsecret(["--help"]).run().success();
    check("help/cfsecret.txt", top.stdout.clone());
    let commands = subcommands(&top.stdout);
    assert!(commands.len() >= 9, "{commands:?}");
    for c in commands {
        let out = t.cfsecret([c.as_str(), "--help"]).run().success();
        check(&format!("help/{c}.txt"), out.stdout);
    }
}

/// Usage and input errors that need no Cloudflare: human and `--json`.
#[test]
fn snapshots_usage_errors() {
    let t = Test::new();
    let root = t.dir.path().to_owned();
    let cases: &[(&str, &[&str])] = &[
        ("no-store", &["verify"]),
        ("key-without-file", &["set", "--key", "k"]),
        (
            "unknown-preset",
            &["create", "--name", "n", "--preset", "nope"],
        ),
        (
            "unknown-backend",
            &["set", "--keyring", "s/u", "--keyring-backend", "nope"],
        ),
        (
            "bad-key-path",
            &["set", "--file", "s.yaml", "--key", "[\"a\""],
        ),
        (
            "missing-file",
            &["verify", "--file", "missing.yaml", "--key", "k"],
        ),
    ];
    for (name, args) in cases {
        let out = t.cfsecret(args.iter().copied()).run();
        check(&format!("errors/{name}.txt"), shown(&out, &root));
        let out = t.cfsecret(args.iter().copied()).arg("--json").run();
        check(&format!("errors/{name}.json.txt"), shown(&out, &root));
    }
}

/// Errors `create` finds before minting (durations, CIDRs, permission names, no credential).
#[test]
fn snapshots_create_errors() {
    let cf = Cf::new();
    let root = cf.t.dir.path().to_owned();
    let create = |more: &[&str]| {
        cf.cmd(["create", "--name", NAME, "--zone", "example.com"])
            .store()
            .arg("--json")
            .args(more)
    };
    let cases: &[(&str, &[&str])] = &[
        (
            "months",
            &["--preset", "edit-zone-dns", "--expires-in", "3M"],
        ),
        (
            "bad-time",
            &["--preset", "edit-zone-dns", "--expires-on", "soon"],
        ),
        (
            "host-bits",
            &["--preset", "edit-zone-dns", "--allow-ip", "192.0.2.7/24"],
        ),
        ("unknown-permission", &["--permission", "DNS Wirte"]),
        (
            "unknown-zone",
            &["--preset", "edit-zone-dns", "--zone", "nowhere.test"],
        ),
    ];
    for (name, more) in cases {
        let out = create(more).run();
        check(
            &format!("errors/create-{name}.json.txt"),
            shown(&out, &root),
        );
    }
    let out = cf
        .cmd([
            "create",
            "--name",
            NAME,
            "--preset",
            "edit-zone-dns",
            "--zone",
            "example.com",
        ])
        .store()
        .env("CLOUDFLARE_API_TOKEN", "")
        .run();
    check("errors/create-no-credential.txt", shown(&out, &root));
}

/// The `--json` success shapes of the token lifecycle, and a failure after a token is stored.
#[test]
fn snapshots_json_lifecycle() {
    let cf = Cf::new();
    let root = cf.t.dir.path().to_owned();
    let create = cf
        .cmd([
            "create",
            "--json",
            "--name",
            NAME,
            "--preset",
            "cert-manager-dns01",
            "--zone",
            "example.com",
            "--expires-in",
            "90d",
        ])
        .store()
        .run()
        .success();
    check("json/create.txt", shown(&create, &root));
    for (name, args) in [
        ("verify", &["verify", "--json"][..]),
        (
            "verify-require",
            &["verify", "--json", "--require", "DNS Write"],
        ),
        ("roll", &["roll", "--json"]),
        ("rotate", &["rotate", "--json"]),
        ("rotate-check", &["rotate", "--json", "--check"]),
        (
            "verify-require-missing",
            &["verify", "--json", "--require", "Zone Settings Write"],
        ),
    ] {
        let out = cf.cmd(args.iter().copied()).store().run();
        check(&format!("json/{name}.txt"), shown(&out, &root));
    }
    // Token management: converge, probe, list, revoke.
    let create_as = |preset: &'static str| {
        [
            "create",
            "--json",
            "--name",
            NAME,
            "--preset",
            preset,
            "--zone",
            "example.com",
            "--expires-in",
            "90d",
        ]
    };
    for (name, args) in [
        ("create-unchanged", create_as("cert-manager-dns01")),
        ("create-updated-check", {
            let mut a = create_as("edit-zone-dns");
            a[1] = "--check";
            a
        }),
        ("create-updated", create_as("edit-zone-dns")),
    ] {
        let mut args = args.to_vec();
        if name == "create-updated-check" {
            args.insert(1, "--json");
        }
        let out = cf.cmd(args).store().run();
        check(&format!("json/{name}.txt"), shown(&out, &root));
    }
    for (name, args) in [
        ("verify-probe", &["verify", "--json", "--probe"][..]),
        ("list", &["list", "--json"]),
        ("revoke-check", &["revoke", "--json", "--check"]),
        ("revoke", &["revoke", "--json"]),
    ] {
        let out = cf.cmd(args.iter().copied()).store().run();
        check(&format!("json/{name}.txt"), shown(&out, &root));
    }
    let out = cf.cmd(["permissions", "--json", "--filter", "dns"]).run();
    check("json/permissions.txt", shown(&out, &root));
    let secret = crate::support::canary("snapshot");
    let out = cf
        .cmd(["set", "--json"])
        .file("secrets/other.yml")
        .key("api_token")
        .stdin(secret.clone())
        .run()
        .success()
        .hides(&secret);
    check("json/set.txt", shown(&out, &root));
    assert!(cf.secrets_on_disk().is_empty());
}
