//! The defects issue 11 and issue 10 ("Bounded and safe on any input") name, one test each.
//! Each failed on the code before the fix (noted per test).

use super::{Case, check, world};
use crate::support::{Cf, KEY, STORE, Test, canary, fixtures, require};

/// The fixture secret in `sops/basic.yaml` (a canary: it must never be printed).
pub const BASIC_SECRET: &str = "test-token-basic-0000000000000000000000";

/// `set` of a canary into `file`, which must stay as it is.
fn set_case(t: &Test, name: &str, file: &str) -> Case {
    let secret = canary(name);
    Case::new(
        name,
        &["set", "--file", file, "--key", "cloudflare_api_token"],
    )
    .stdin(secret.clone())
    .secret(secret)
    .secret(BASIC_SECRET)
    .unchanged(t.path(file))
}

/// A store holding `secret`, written by cfsecret itself.
pub fn store_with(t: &Test, file: &str, secret: &str) {
    t.cfsecret(["set", "--file", file, "--key", "cloudflare_api_token"])
        .stdin(secret)
        .run()
        .success();
}

pub fn mkfifo(path: &std::path::Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo {}", path.display());
}

/// `age -r RECIPIENT -a` of `plain`, as the lines of an armored file.
pub fn age_armor(recipient: &str, plain: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("age")
        .args(["-r", recipient, "-a"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(plain).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

/// `sops/basic.yaml` with its data key replaced by `plain`, encrypted to key A.
pub fn basic_with_data_key(plain: &[u8]) -> String {
    let text = std::fs::read_to_string(fixtures().join("sops/basic.yaml")).unwrap();
    let armor = age_armor(&Test::recipient("keys/age-a.txt"), plain);
    let begin = text.find("            -----BEGIN").unwrap();
    let end_marker = "-----END AGE ENCRYPTED FILE-----\n";
    let end = text.find(end_marker).unwrap() + end_marker.len();
    let indented: String = armor
        .lines()
        .map(|l| format!("            {l}\n"))
        .collect();
    format!("{}{indented}{}", &text[..begin], &text[end..])
}

/// A YAML alias bomb: nine levels of nine aliases each (9^9 nodes when expanded).
pub fn alias_bomb(prefix: &str) -> String {
    let mut s = format!(
        "{prefix}a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for w in names.windows(2) {
        let (prev, next) = (w[0], w[1]);
        let refs = vec![format!("*{prev}"); 9].join(",");
        s.push_str(&format!("{next}: &{next} [{refs}]\n"));
    }
    s
}

// --- Leaks -------------------------------------------------------------------------------------

/// Before: `https:user:PW@host` was echoed whole (only `https://` was redacted).
#[test]
fn a_password_in_the_base_url_is_never_echoed() {
    let t = world();
    let pw = canary("base-url-pw");
    for (i, url) in [
        format!("https:user:{pw}@api.example.test/client/v4"),
        format!("https:\\\\user:{pw}@api.example.test/client/v4"),
        format!("https:/\\user:{pw}@api.example.test"),
        format!("user:{pw}@api.example.test"),
        format!("https://user:{pw}@api.example.test"),
    ]
    .into_iter()
    .enumerate()
    {
        let case = Case::new(format!("base-url-{i}"), &["permissions"])
            .env("CLOUDFLARE_API_TOKEN", "x".repeat(40))
            .env("CLOUDFLARE_API_BASE_URL", url)
            .code(2)
            .mentions(&["CLOUDFLARE_API_BASE_URL"])
            .secret(pw.clone());
        check(&t, &case);
    }
}

/// Before: `--env LD_PRELOAD` was accepted, and ld.so printed the token on stderr.
#[test]
fn exec_refuses_variables_the_loader_reads() {
    let t = world();
    let secret = canary("exec-loader");
    store_with(&t, "s.yaml", &secret);
    for name in [
        "LD_PRELOAD",
        "LD_AUDIT",
        "DYLD_INSERT_LIBRARIES",
        "BASH_ENV",
        "NODE_OPTIONS",
    ] {
        let case = Case::new(
            format!("exec-{name}"),
            &[
                "exec", "--file", "s.yaml", "--key", KEY, "--env", name, "--", "true",
            ],
        )
        .code(2)
        .mentions(&[name, "loader"])
        .secret(secret.clone());
        check(&t, &case);
    }
}

/// Before: `unexpected argument 'cfsecret-canary-…' found`, with a tip repeating it twice.
#[test]
fn a_stray_argument_is_never_echoed() {
    let t = world();
    let secret = canary("stray-arg");
    for json in [false, true] {
        let mut args = vec!["set", "--file", "s.yaml", "--key", KEY, &secret];
        if json {
            args.push("--json");
        }
        let case = Case::new(format!("stray-arg-json-{json}"), &args)
            .code(2)
            .mentions(if json { &[] } else { &["unexpected argument"] })
            .no_hint()
            .secret(secret.clone())
            .unchanged(t.path("s.yaml"));
        let out = check(&t, &case);
        if json {
            let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
            assert_eq!(v["error"], "usage");
            assert!(v["hint"].as_str().unwrap().contains("secret"), "{v}");
        } else {
            assert!(out.stderr.contains("note: "), "{}", out.stderr);
        }
    }
}

// --- Terminal injection --------------------------------------------------------------------------

/// Before: a duplicate key named `ESC]0;pwned BEL` reached the terminal raw.
#[test]
fn strings_from_files_are_escaped_on_the_terminal() {
    let t = world();
    t.write("dup.yaml", "\"\\e]0;pwned\\a\": 1\n\"\\e]0;pwned\\a\": 2\n");
    let case = set_case(&t, "escape-in-file", "dup.yaml").mentions(&["twice", "\\u{1b}"]);
    check(&t, &case);
}

// --- Panics, hangs, exhaustion -------------------------------------------------------------------

/// Before: `assertion failed` in shamir::split (exit 101).
#[test]
fn too_many_key_groups_are_refused() {
    let t = world();
    let r = Test::recipient("keys/age-a.txt");
    let mut cfg = String::from("creation_rules:\n  - key_groups:\n");
    for _ in 0..256 {
        cfg.push_str(&format!("      - age: [{r}]\n"));
    }
    t.write(".sops.yaml", cfg);
    let case = set_case(&t, "256-groups", "new.yaml")
        .env("SOPS_AGE_RECIPIENTS", "")
        .mentions(&["256 key groups", "255"]);
    check(&t, &case);
}

/// Before: SOPS_AGE_KEY_CMD's endless output was read until memory ran out.
#[test]
fn an_endless_key_command_is_cut_off() {
    let mut t = world();
    t.unset("SOPS_AGE_KEY_FILE");
    t.fixture("sops/basic.yaml", "s.yaml");
    let case = Case::new(
        "key-cmd-flood",
        &["exec", "--file", "s.yaml", "--key", KEY, "--", "true"],
    )
    .env("SOPS_AGE_KEY_CMD", "yes AGE-SECRET-KEY-1")
    .mentions(&["SOPS_AGE_KEY_CMD", "1 MiB"])
    .secret(BASIC_SECRET);
    check(&t, &case);
}

/// Before: a SOPS_AGE_KEY_CMD that never exits hung cfsecret.
#[test]
fn a_key_command_that_never_exits_times_out() {
    let mut t = world();
    t.unset("SOPS_AGE_KEY_FILE");
    t.fixture("sops/basic.yaml", "s.yaml");
    let case = Case::new(
        "key-cmd-hang",
        &["exec", "--file", "s.yaml", "--key", KEY, "--", "true"],
    )
    .env("SOPS_AGE_KEY_CMD", "sleep 600")
    .env("CFSECRET_KEY_CMD_TIMEOUT", "1s")
    .mentions(&["SOPS_AGE_KEY_CMD", "within 1s", "CFSECRET_KEY_CMD_TIMEOUT"])
    .secret(BASIC_SECRET);
    check(&t, &case);
}

/// Before: `rotate` blocked forever opening a journal that is a FIFO, holding the lock. Now it
/// is refused at once, before any API call: a journal that cannot be read may hide a step in
/// progress, so the run says which file to move away rather than guessing.
#[test]
fn a_fifo_journal_does_not_hang_rotate() {
    if !require("mkfifo") {
        return;
    }
    let cf = Cf::new();
    cf.create();
    mkfifo(&cf.t.path("secrets/.cell-v0.yml.cfsecret.state"));
    let case = Case::new("fifo-journal", &["rotate", "--file", STORE, "--key", KEY])
        .code(1)
        .mentions(&["journal", "FIFO", "regular file"])
        .unchanged(cf.t.path(STORE));
    let out = check(&cf.t, &case);
    for secret in cf.fake.issued_secrets() {
        assert!(!out.stdout.contains(&secret) && !out.stderr.contains(&secret));
    }
    assert!(out.stderr.contains("journal"), "{}", out.stderr);
}

// --- Bounded and safe on any input (issue 10) ---------------------------------------------------

/// Before: a 478-byte alias bomb in a store exhausted memory.
#[test]
fn an_alias_bomb_in_a_store_is_refused() {
    let t = world();
    t.write("bomb.yaml", alias_bomb(""));
    check(
        &t,
        &set_case(&t, "bomb-store", "bomb.yaml").mentions(&["alias"]),
    );
}

/// Before: the same bomb in `.sops.yaml` exhausted memory when creating a file.
#[test]
fn an_alias_bomb_in_sops_yaml_is_refused() {
    let t = world();
    let r = Test::recipient("keys/age-a.txt");
    t.write(
        "bomb.sops.yaml",
        alias_bomb(&format!("creation_rules:\n  - age: {r}\n")),
    );
    let case = set_case(&t, "bomb-config", "new.yaml")
        .env("SOPS_CONFIG", t.path("bomb.sops.yaml"))
        .mentions(&["alias"]);
    check(&t, &case);
}

/// Before: a FIFO as the store blocked forever (holding the lock).
#[test]
fn a_fifo_store_is_refused_without_blocking() {
    if !require("mkfifo") {
        return;
    }
    let t = world();
    mkfifo(&t.path("fifo.yaml"));
    check(
        &t,
        &set_case(&t, "fifo-store", "fifo.yaml").mentions(&["fifo", "regular file"]),
    );
}

/// Before: `/dev/zero` as the store, or as the key file, was read until the process died.
#[test]
fn dev_zero_as_store_or_key_file_is_refused() {
    let t = world();
    std::os::unix::fs::symlink("/dev/zero", t.path("zero.yaml")).unwrap();
    check(
        &t,
        &set_case(&t, "zero-store", "zero.yaml").mentions(&["character device"]),
    );
    t.fixture("sops/basic.yaml", "s.yaml");
    let case = Case::new(
        "zero-key-file",
        &["exec", "--file", "s.yaml", "--key", KEY, "--", "true"],
    )
    .env("SOPS_AGE_KEY_FILE", "/dev/zero")
    .mentions(&["/dev/zero", "character device"])
    .secret(BASIC_SECRET);
    check(&t, &case);
}

// --- Errors that do not name the problem ---------------------------------------------------------

/// Before: "none of your age identities can decrypt its data key".
#[test]
fn a_data_key_of_the_wrong_length_is_named() {
    if !require("age") {
        return;
    }
    let t = world();
    t.write("short.yaml", basic_with_data_key(&[7u8; 16]));
    let case = set_case(&t, "short-data-key", "short.yaml").mentions(&["16 bytes", "not 32"]);
    check(&t, &case);
}

/// Before: "the top level is not a JSON object".
#[test]
fn a_json_bom_is_named() {
    let t = world();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(std::fs::read(fixtures().join("sops/basic.json")).unwrap());
    t.write("bom.json", bytes);
    check(
        &t,
        &set_case(&t, "json-bom", "bom.json").mentions(&["byte order mark"]),
    );
}

/// Before: "`sops.lastmodified` is missing"; sops 3.11 refuses CRLF files too.
#[test]
fn dotenv_crlf_is_named() {
    let t = world();
    let text = std::fs::read_to_string(fixtures().join("sops/basic.env")).unwrap();
    t.write("crlf.env", text.replace('\n', "\r\n"));
    check(
        &t,
        &set_case(&t, "dotenv-crlf", "crlf.env").mentions(&["CR LF", "crlf.env:2"]),
    );
}

/// Before: "is not a date or time".
#[test]
fn expires_on_out_of_range_says_the_range() {
    let cf = Cf::new();
    let case = Case::new(
        "expires-9999",
        &[
            "create",
            "--file",
            STORE,
            "--key",
            KEY,
            "--name",
            "n",
            "--preset",
            "cert-manager-dns01",
            "--zone",
            "example.com",
            "--expires-on",
            "9999-12-31T23:59:59Z",
        ],
    )
    .code(2)
    .mentions(&["outside", "9999-12-30"]);
    check(&cf.t, &case);
    assert_eq!(cf.fake.tokens().len(), 1, "only the bootstrap token exists");
}

// --- Wrong exit codes ----------------------------------------------------------------------------

/// Before: exit 0, and the token kept its pending name for good.
#[test]
fn create_validates_the_name_before_any_api_call() {
    let cf = Cf::new();
    let long = "n".repeat(121);
    for (i, name) in ["", "   ", long.as_str(), "a\u{1b}[2Jb"]
        .into_iter()
        .enumerate()
    {
        let case = Case::new(
            format!("create-name-{i}"),
            &[
                "create",
                "--file",
                STORE,
                "--key",
                KEY,
                "--name",
                name,
                "--preset",
                "cert-manager-dns01",
                "--zone",
                "example.com",
            ],
        )
        .code(2)
        .mentions(&["--name"])
        .no_hint()
        .unchanged(cf.t.path(STORE));
        check(&cf.t, &case);
    }
    assert!(cf.fake.requests().is_empty(), "no API call was made");
    assert_eq!(cf.fake.tokens().len(), 1, "only the bootstrap token exists");
}

/// Before: a secret of only whitespace was stored.
#[test]
fn set_refuses_a_whitespace_secret() {
    let t = world();
    t.fixture("sops/basic.yaml", "s.yaml");
    for (i, input) in [" ", " \t \n", "\n\n", "\r\n \r\n"].into_iter().enumerate() {
        let case = Case::new(
            format!("whitespace-{i}"),
            &["set", "--file", "s.yaml", "--key", KEY],
        )
        .stdin(input)
        .code(2)
        .mentions(&["whitespace"])
        .unchanged(t.path("s.yaml"));
        check(&t, &case);
    }
}

/// Before: the second `"sops"` member was silently accepted; sops 3.11 fails on such a file.
#[test]
fn json_with_two_sops_members_is_refused() {
    let t = world();
    let text = std::fs::read_to_string(fixtures().join("sops/basic.json")).unwrap();
    let i = text.find("\t\"sops\"").unwrap();
    let sops_block = text[i..].trim_end().trim_end_matches('}').trim_end();
    let doubled = format!(
        "{},\n{sops_block}\n}}\n",
        text.trim_end().trim_end_matches('}').trim_end()
    );
    t.write("dup.json", doubled);
    check(
        &t,
        &set_case(&t, "json-two-sops", "dup.json").mentions(&["second `sops`"]),
    );
}
