//! The corpus, part 2: a hostile environment — key files, key commands, `.sops.yaml` and the API
//! base URL.

use super::regressions::{BASIC_SECRET, alias_bomb, mkfifo};
use super::{Case, check_all, world};
use crate::support::{KEY, Test, canary, require};

/// `exec` on the fixture store with key-A's file unset and `env` set instead.
fn exec_case(name: &str, env: &[(&str, String)]) -> Case {
    let mut c = Case::new(
        name,
        &["exec", "--file", "s.yaml", "--key", KEY, "--", "true"],
    )
    .secret(BASIC_SECRET)
    .mentions(&["s.yaml"]);
    for (k, v) in env {
        c = c.env(k, v.clone());
    }
    c
}

#[test]
fn hostile_key_sources() {
    let mut t = world();
    t.unset("SOPS_AGE_KEY_FILE");
    t.fixture("sops/basic.yaml", "s.yaml");
    let p = |rel: &str| t.path(rel).display().to_string();
    let fifo = require("mkfifo");
    if fifo {
        mkfifo(&t.path("keys.fifo"));
        mkfifo(&t.path("ssh.fifo"));
    }
    std::fs::create_dir_all(t.path("keysdir")).unwrap();
    let big = std::fs::File::create(t.path("big-keys.txt")).unwrap();
    big.set_len(3 * 1024 * 1024).unwrap();
    t.write("bad-utf8.txt", b"AGE-SECRET-KEY-1\xff\xfe\n");
    t.write(
        "escape-keys.txt",
        "\u{1b}]0;pwned\u{7}\nAGE-SECRET-KEY-1\u{1b}[2J\n",
    );
    t.write("pq-keys.txt", "AGE-SECRET-KEY-PQ-1XYZ\n");
    t.write(
        "armored-keys.txt",
        "-----BEGIN AGE ENCRYPTED FILE-----\nxx\n",
    );
    t.write(
        "ssh-garbage",
        "-----BEGIN OPENSSH PRIVATE KEY-----\n\u{1b}[2J\n",
    );
    let mut cases = vec![
        exec_case(
            "key-file-dev-zero",
            &[("SOPS_AGE_KEY_FILE", "/dev/zero".into())],
        )
        .mentions(&["character device"]),
        exec_case(
            "key-file-dev-urandom",
            &[("SOPS_AGE_KEY_FILE", "/dev/urandom".into())],
        )
        .mentions(&["character device"]),
        exec_case("key-file-dir", &[("SOPS_AGE_KEY_FILE", p("keysdir"))]).mentions(&["directory"]),
        exec_case(
            "key-file-sparse",
            &[("SOPS_AGE_KEY_FILE", p("big-keys.txt"))],
        )
        .mentions(&["1 MiB"]),
        exec_case("key-file-missing", &[("SOPS_AGE_KEY_FILE", p("none.txt"))]),
        exec_case(
            "key-file-bad-utf8",
            &[("SOPS_AGE_KEY_FILE", p("bad-utf8.txt"))],
        )
        .mentions(&["utf-8"]),
        exec_case(
            "key-file-escapes",
            &[("SOPS_AGE_KEY_FILE", p("escape-keys.txt"))],
        ),
        exec_case("key-file-pq", &[("SOPS_AGE_KEY_FILE", p("pq-keys.txt"))]),
        exec_case(
            "key-file-armored",
            &[("SOPS_AGE_KEY_FILE", p("armored-keys.txt"))],
        ),
        exec_case(
            "key-env-garbage",
            &[("SOPS_AGE_KEY", "\u{1b}]0;pwned\u{7}garbage".into())],
        ),
        exec_case(
            "key-env-bad-key",
            &[("SOPS_AGE_KEY", "AGE-SECRET-KEY-1QQQQ\u{1b}[2J".into())],
        ),
        exec_case("key-env-huge", &[("SOPS_AGE_KEY", "x".repeat(100_000))]),
        exec_case(
            "ssh-dev-zero",
            &[("SOPS_AGE_SSH_PRIVATE_KEY_FILE", "/dev/zero".into())],
        )
        .mentions(&["character device"]),
        exec_case(
            "ssh-garbage",
            &[("SOPS_AGE_SSH_PRIVATE_KEY_FILE", p("ssh-garbage"))],
        ),
        exec_case(
            "ssh-dir",
            &[("SOPS_AGE_SSH_PRIVATE_KEY_FILE", p("keysdir"))],
        )
        .mentions(&["directory"]),
        exec_case("key-cmd-flood", &[("SOPS_AGE_KEY_CMD", "yes".into())]).mentions(&["1 MiB"]),
        exec_case(
            "key-cmd-flood-lines",
            &[("SOPS_AGE_KEY_CMD", "yes AGE-SECRET-KEY-1".into())],
        )
        .mentions(&["1 MiB"]),
        exec_case(
            "key-cmd-hang",
            &[
                ("SOPS_AGE_KEY_CMD", "sleep 600".into()),
                ("CFSECRET_KEY_CMD_TIMEOUT", "1s".into()),
            ],
        )
        .mentions(&["within 1s"]),
        exec_case(
            "key-cmd-hang-after-output",
            &[
                (
                    "SOPS_AGE_KEY_CMD",
                    "sh -c 'echo AGE-SECRET-KEY-1; exec sleep 600'".into(),
                ),
                ("CFSECRET_KEY_CMD_TIMEOUT", "1s".into()),
            ],
        )
        .mentions(&["within 1s"]),
        exec_case("key-cmd-fails", &[("SOPS_AGE_KEY_CMD", "false".into())]).mentions(&["exited"]),
        exec_case(
            "key-cmd-missing",
            &[("SOPS_AGE_KEY_CMD", "/nonexistent/cmd".into())],
        ),
        exec_case(
            "key-cmd-unbalanced",
            &[("SOPS_AGE_KEY_CMD", "sh -c 'oops".into())],
        ),
        exec_case(
            "key-cmd-escapes",
            &[(
                "SOPS_AGE_KEY_CMD",
                "printf '\\033]0;pwned\\007\\nAGE-SECRET-KEY-1\\033[2J\\n'".into(),
            )],
        ),
        exec_case(
            "key-cmd-binary",
            &[("SOPS_AGE_KEY_CMD", "head -c 4096 /dev/urandom".into())],
        ),
        exec_case("xdg-keys-dev-zero", &[("XDG_CONFIG_HOME", p("xdg"))]),
    ];
    std::fs::create_dir_all(t.path("xdg/sops/age")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", t.path("xdg/sops/age/keys.txt")).unwrap();
    cases
        .last_mut()
        .unwrap()
        .mentions
        .push("character device".into());
    if fifo {
        cases.push(
            exec_case("key-file-fifo", &[("SOPS_AGE_KEY_FILE", p("keys.fifo"))])
                .mentions(&["fifo"]),
        );
        cases.push(
            exec_case(
                "ssh-fifo",
                &[("SOPS_AGE_SSH_PRIVATE_KEY_FILE", p("ssh.fifo"))],
            )
            .mentions(&["fifo"]),
        );
    }
    check_all(&t, &cases);
}

#[test]
fn hostile_sops_yaml() {
    let mut t = world();
    t.unset("SOPS_AGE_RECIPIENTS");
    let r = Test::recipient("keys/age-a.txt");
    let fifo = require("mkfifo");
    if fifo {
        mkfifo(&t.path("cfg.fifo"));
    }
    let mut groups = String::from("creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n");
    for _ in 0..300 {
        groups.push_str(&format!("      - age: [{r}]\n"));
    }
    let configs: Vec<(&str, Vec<u8>, &[&str])> = vec![
        ("cfg-alias-bomb", alias_bomb(&format!("creation_rules:\n  - age: {r}\n")).into_bytes(), &["alias"]),
        ("cfg-300-groups", groups.into_bytes(), &["300 key groups"]),
        ("cfg-bad-regex", "creation_rules:\n  - path_regex: '(['\n    age: x\n".into(), &["path_regex"]),
        ("cfg-not-utf8", b"creation_rules:\n  - age: \xff\n".to_vec(), &["utf-8"]),
        ("cfg-scalar-rules", b"creation_rules: 5\n".to_vec(), &[]),
        ("cfg-top-list", b"- a\n".to_vec(), &[]),
        (
            "cfg-escape-regex",
            format!("creation_rules:\n  - path_regex: \"\\e]0;pwned\\a\"\n    age: {r}\n").into_bytes(),
            &["no creation rule"],
        ),
        ("cfg-bad-recipient", "creation_rules:\n  - age: \"age1\\e[2J\"\n".into(), &[]),
        ("cfg-threshold-huge", format!("creation_rules:\n  - shamir_threshold: 99999999999999999999999\n    key_groups:\n      - age: [{r}]\n      - age: [{r}]\n").into_bytes(), &["shamir_threshold"]),
        ("cfg-threshold-zero", format!("creation_rules:\n  - shamir_threshold: 0\n    key_groups:\n      - age: [{r}]\n      - age: [{r}]\n").into_bytes(), &["shamir_threshold"]),
        ("cfg-no-keys", b"creation_rules:\n  - path_regex: .*\n".to_vec(), &["no keys"]),
        ("cfg-pgp-only", b"creation_rules:\n  - pgp: ABCDEF\n".to_vec(), &["pgp"]),
        ("cfg-deep", format!("x: {}\n", "[".repeat(50_000)).into_bytes(), &["recursion limit"]),
        ("cfg-dup-key", b"creation_rules: []\ncreation_rules: []\n".to_vec(), &["twice"]),
    ];
    let mut cases = Vec::new();
    for (name, text, mentions) in configs {
        let cfg = format!("{name}.sops.yaml");
        t.write(&cfg, text);
        let file = format!("{name}.yaml");
        let secret = canary(name);
        cases.push(
            Case::new(name, &["set", "--file", &file, "--key", KEY])
                .env("SOPS_CONFIG", t.path(&cfg))
                .stdin(secret.clone())
                .secret(secret)
                .mentions(mentions)
                .unchanged(t.path(&file)),
        );
    }
    for (name, target) in [
        ("cfg-dev-zero", "/dev/zero".to_owned()),
        ("cfg-dir", t.path("").display().to_string()),
    ] {
        let file = format!("{name}.yaml");
        cases.push(
            Case::new(name, &["set", "--file", &file, "--key", KEY])
                .env("SOPS_CONFIG", target)
                .stdin(canary(name))
                .secret(canary(name))
                .mentions(&["regular file"])
                .unchanged(t.path(&file)),
        );
    }
    if fifo {
        cases.push(
            Case::new(
                "cfg-fifo",
                &["set", "--file", "fifo-cfg.yaml", "--key", KEY],
            )
            .env("SOPS_CONFIG", t.path("cfg.fifo"))
            .stdin(canary("cfg-fifo"))
            .secret(canary("cfg-fifo"))
            .mentions(&["fifo"])
            .unchanged(t.path("fifo-cfg.yaml")),
        );
    }
    check_all(&t, &cases);
}

#[test]
fn hostile_base_urls() {
    let t = world();
    let pw = canary("url");
    let token = canary("mgmt-token");
    let urls = [
        format!("https:user:{pw}@api.example.test/client/v4"),
        format!("https:\\\\user:{pw}@api.example.test"),
        format!("https:\\user:{pw}@api.example.test"),
        format!("https:/user:{pw}@api.example.test"),
        format!("HTTPS:user:{pw}@api.example.test"),
        format!("https://user:{pw}@api.example.test"),
        format!("https://{pw}@api.example.test"),
        format!("https://user:{pw}@@api.example.test"),
        format!("http:user:{pw}@127.0.0.1:9"),
        format!("user:{pw}@api.example.test"),
        format!("{pw}:x@api.example.test"),
        "ftp://api.example.test".to_owned(),
        "http://api.example.test/client/v4".to_owned(),
        "https://api.example.test/?a=b".to_owned(),
        "https://\u{1b}]0;pwned\u{7}.test".to_owned(),
        "\u{1b}[2J".to_owned(),
        "https://[::1".to_owned(),
    ];
    let cases: Vec<Case> = urls
        .into_iter()
        .enumerate()
        .map(|(i, url)| {
            Case::new(format!("base-url-{i}"), &["permissions"])
                .env("CLOUDFLARE_API_TOKEN", token.clone())
                .env("CLOUDFLARE_API_BASE_URL", url)
                .code(2)
                .mentions(&["base URL"])
                .secret(pw.clone())
                .secret(token.clone())
        })
        .collect();
    check_all(&t, &cases);
}
