//! The corpus, part 3: argument abuse — stray secrets, bad names and times, loader variables,
//! odd key paths, odd standard input.

use super::regressions::store_with;
use super::{Case, check_all, world};
use crate::support::{Cf, KEY, STORE, canary};

#[test]
fn stray_arguments_are_refused_unechoed() {
    let t = world();
    let secret = canary("stray");
    let flag_value = format!("--tokne={secret}");
    let store = ["--file", "s.yaml", "--key", KEY];
    let mut commands: Vec<Vec<&str>> = vec![
        [&["set"][..], &store, &[&secret]].concat(),
        [&["exec"][..], &store, &[&secret, "--", "true"]].concat(),
        [&["verify"][..], &store, &[&secret]].concat(),
        [&["roll"][..], &store, &[&secret]].concat(),
        [&["rotate"][..], &store, &[&secret]].concat(),
        [
            &["create", "--name", "n", "--preset", "edit-zone-dns"][..],
            &store,
            &[&secret],
        ]
        .concat(),
        vec!["permissions", &secret],
        vec![&secret],
        vec!["--json", &secret],
        vec!["set", &flag_value],
        vec!["set", "--file", "s.yaml", "--key", KEY, &flag_value],
        vec!["set", "--file", "s.yaml", "--key", KEY, "--json", &secret],
        vec!["set", "--file", "s.yaml", "--key", KEY, "-v", &secret],
        vec!["set", "--file", "s.yaml", "--key", KEY, "--", &secret],
        vec!["completions", &secret],
        vec!["permissions", "--scope", &secret],
        vec!["set", "--keyring-backend", &secret, "--keyring", "a/b"],
        vec![
            "set",
            "--file",
            "s.yaml",
            "--key",
            KEY,
            "--timeout",
            &secret,
        ],
    ];
    let with_escape = format!("{secret}\u{1b}]0;pwned\u{7}");
    commands.push(vec!["set", "--file", "s.yaml", "--key", KEY, &with_escape]);
    let cases: Vec<Case> = commands
        .iter()
        .enumerate()
        .map(|(i, args)| {
            Case::new(format!("stray-{i}: {args:?}"), args)
                .code(2)
                .no_hint()
                .secret(secret.clone())
                .unchanged(t.path("s.yaml"))
        })
        .collect();
    check_all(&t, &cases);
}

#[test]
fn bad_create_arguments_fail_before_any_api_call() {
    let cf = Cf::new();
    let long = "n".repeat(121);
    let base = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "create",
            "--file",
            STORE,
            "--key",
            KEY,
            "--preset",
            "cert-manager-dns01",
            "--zone",
            "example.com",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        v.extend(extra.iter().map(|s| (*s).to_owned()));
        v
    };
    let table: Vec<(Vec<String>, &[&str])> = vec![
        (base(&["--name", ""]), &["--name", "empty"]),
        (base(&["--name", " \t "]), &["--name", "empty"]),
        (base(&["--name", &long]), &["--name", "120"]),
        (
            base(&["--name", "a\u{1b}]0;pwned\u{7}"]),
            &["--name", "control"],
        ),
        (base(&["--name", "a\nb"]), &["--name", "control"]),
        (
            base(&["--name", "n", "--expires-on", "9999-12-31T23:59:59Z"]),
            &["outside"],
        ),
        (
            base(&["--name", "n", "--expires-on", "9999-12-31"]),
            &["outside"],
        ),
        (
            base(&["--name", "n", "--expires-on", "+10000-01-01T00:00:00Z"]),
            &[],
        ),
        (
            base(&["--name", "n", "--expires-on", "2026-02-30T00:00:00Z"]),
            &["not a date"],
        ),
        (
            base(&["--name", "n", "--expires-on", "\u{1b}[2J"]),
            &["not a date"],
        ),
        (
            base(&["--name", "n", "--expires-on", "2000-01-01T00:00:00Z"]),
            &["expire"],
        ),
        (
            base(&["--name", "n", "--expires-in", "99999999999999999999d"]),
            &[],
        ),
        (base(&["--name", "n", "--expires-in", "3M"]), &["months"]),
        (base(&["--name", "n", "--expires-in", "0s"]), &[]),
        (
            base(&["--name", "n", "--not-before", "9999-12-31T23:59:59Z"]),
            &["outside"],
        ),
        (base(&["--name", "n", "--allow-ip", "300.1.1.1/8"]), &[]),
        (base(&["--name", "n", "--deny-ip", "\u{1b}[2J"]), &[]),
    ];
    let cases: Vec<Case> = table
        .into_iter()
        .enumerate()
        .map(|(i, (args, mentions))| {
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            Case::new(format!("create-args-{i}"), &refs)
                .code(2)
                .mentions(mentions)
                .no_hint()
                .unchanged(cf.t.path(STORE))
        })
        .collect();
    check_all(&cf.t, &cases);
    assert!(
        cf.fake.requests().is_empty(),
        "no API call: {:?}",
        cf.fake.requests()
    );
}

#[test]
fn exec_and_set_arguments() {
    let t = world();
    let secret = canary("exec-args");
    store_with(&t, "s.yaml", &secret);
    let mut cases = Vec::new();
    for name in [
        "LD_PRELOAD",
        "LD_LIBRARY_PATH",
        "LD_AUDIT",
        "LD_DEBUG",
        "ld_preload",
        "DYLD_INSERT_LIBRARIES",
        "DYLD_LIBRARY_PATH",
        "GCONV_PATH",
        "GLIBC_TUNABLES",
        "BASH_ENV",
        "ENV",
        "PATH",
        "IFS",
        "PERL5OPT",
        "PYTHONSTARTUP",
        "NODE_OPTIONS",
        "RUBYOPT",
        "JAVA_TOOL_OPTIONS",
        "_JAVA_OPTIONS",
        "",
        "1ABC",
        "A=B",
        "A B",
        "A\u{1b}]0;pwned\u{7}",
        "ÄÖ",
    ] {
        cases.push(
            Case::new(
                format!("exec-env-{name:?}"),
                &[
                    "exec", "--file", "s.yaml", "--key", KEY, "--env", name, "--", "true",
                ],
            )
            .code(2)
            .mentions(&["--env"])
            .secret(secret.clone())
            .unchanged(t.path("s.yaml")),
        );
    }
    for (key, code) in [
        ("[\"a\"", 2),
        ("[\u{1b}]0;pwned\u{7}]", 2),
        ("[\"cloudflare_api_token\"][99999999999999999999999]", 2),
        ("[]", 2),
        ("[\"\"]", 1),
        ("\u{1b}]0;pwned\u{7}", 1),
        ("[\"\u{1b}[2J\u{202e}\"]", 1),
    ] {
        cases.push(
            Case::new(
                format!("exec-key-{key:?}"),
                &["exec", "--file", "s.yaml", "--key", key, "--", "true"],
            )
            .code(code)
            .secret(secret.clone())
            .unchanged(t.path("s.yaml")),
        );
    }
    for (i, (input, mention)) in [
        (&b""[..], "empty"),
        (b"\n", "empty"),
        (b"   ", "whitespace"),
        (b"\t\r\n", "whitespace"),
        (b"a\0b", "NUL"),
        (b"\xff\xfe", "UTF-8"),
    ]
    .into_iter()
    .enumerate()
    {
        cases.push(
            Case::new(
                format!("set-stdin-{i}"),
                &["set", "--file", "s.yaml", "--key", KEY],
            )
            .stdin(input.to_vec())
            .code(2)
            .mentions(&[mention])
            .no_hint()
            .secret(secret.clone())
            .unchanged(t.path("s.yaml")),
        );
    }
    cases.push(
        Case::new("set-stdin-huge", &["set", "--file", "s.yaml", "--key", KEY])
            .stdin(vec![b'x'; 200_000])
            .code(2)
            .mentions(&["64 KiB"])
            .no_hint()
            .secret(secret.clone())
            .unchanged(t.path("s.yaml")),
    );
    check_all(&t, &cases);
}
