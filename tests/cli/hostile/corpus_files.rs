//! The corpus, part 1: malformed, tampered and hostile store files, and odd things at the store's
//! path. Every case runs `set` (the write path, which must leave the file byte-for-byte as it
//! was); some run `exec` too.

use super::mutations::{
    Mutation, bytes, dotenv_mutations, drop_line, flip_after, json_mutations, m, replace_line,
    truncate,
};
use super::regressions::{BASIC_SECRET, age_armor, alias_bomb, basic_with_data_key, mkfifo};
use super::{Case, check_all, world};
use crate::support::{Test, canary, fixtures, require};

fn yaml_mutations() -> Vec<(&'static str, Mutation, &'static [&'static str])> {
    let r = Test::recipient("keys/age-a.txt");
    vec![
        ("empty", m(|_| String::new()), &["empty"]),
        ("blank", m(|_| "   \n\n\t\n".into()), &[]),
        ("comment-only", m(|_| "# nothing here\n".into()), &[]),
        ("doc-marker-only", m(|_| "---\n".into()), &[]),
        (
            "nul-byte",
            m(|s| s.replacen("cloudflare:", "cloud\0flare:", 1)),
            &[],
        ),
        (
            "invalid-utf8",
            bytes(|s| [s.as_bytes(), b"\xff\xfe\n"].concat()),
            &["utf-8"],
        ),
        ("truncated-10", m(|s| truncate(s, 10)), &[]),
        ("truncated-25", m(|s| truncate(s, 25)), &[]),
        ("truncated-50", m(|s| truncate(s, 50)), &[]),
        ("truncated-75", m(|s| truncate(s, 75)), &[]),
        ("truncated-90", m(|s| truncate(s, 90)), &[]),
        ("truncated-97", m(|s| truncate(s, 97)), &[]),
        ("no-mac", m(|s| drop_line(s, "mac:")), &["mac"]),
        (
            "mac-flipped",
            m(|s| flip_after(s, "    mac:", "data:")),
            &["mac"],
        ),
        (
            "mac-iv-flipped",
            m(|s| flip_after(s, "    mac:", "iv:")),
            &["mac"],
        ),
        (
            "lastmodified-changed",
            m(|s| {
                replace_line(
                    s,
                    "lastmodified:",
                    "    lastmodified: \"2020-01-01T00:00:00Z\"",
                )
            }),
            &["mac"],
        ),
        (
            "lastmodified-missing",
            m(|s| drop_line(s, "lastmodified:")),
            &["lastmodified"],
        ),
        (
            "lastmodified-escape",
            m(|s| replace_line(s, "lastmodified:", "    lastmodified: \"\\e]0;pwned\\a\"")),
            &[],
        ),
        (
            "mac-escape",
            m(|s| replace_line(s, "mac:", "    mac: \"\\e[2J\\e]0;x\\a\"")),
            &["mac"],
        ),
        (
            "mac-not-string",
            m(|s| replace_line(s, "mac:", "    mac: [1, 2]")),
            &[],
        ),
        (
            "no-age-entries",
            m(|s| {
                let a = s.find("    age:").unwrap();
                let b = s.find("    lastmodified:").unwrap();
                format!("{}{}", &s[..a], &s[b..])
            }),
            &[],
        ),
        (
            "armor-garbage",
            m(|s| flip_after(s, "-----BEGIN AGE ENCRYPTED FILE-----", "\n            ")),
            &[],
        ),
        (
            "armor-escape",
            m(|s| {
                s.replacen(
                    "-----BEGIN AGE ENCRYPTED FILE-----",
                    "\u{1b}]0;pwned\u{7}",
                    1,
                )
            }),
            &[],
        ),
        (
            "value-flipped",
            m(|s| flip_after(s, "cloudflare_api_token:", "data:")),
            &[],
        ),
        (
            "value-iv-flipped",
            m(|s| flip_after(s, "cloudflare_api_token:", "iv:")),
            &[],
        ),
        (
            "value-tag-flipped",
            m(|s| flip_after(s, "cloudflare_api_token:", "tag:")),
            &[],
        ),
        (
            "value-retyped",
            m(|s| {
                let a = s.find("cloudflare_api_token:").unwrap();
                let b = a + s[a..].find("type:str").unwrap();
                format!("{}type:int{}", &s[..b], &s[b + 8..])
            }),
            &[],
        ),
        (
            "value-in-plaintext",
            m(|s| {
                replace_line(
                    s,
                    "cloudflare_api_token:",
                    "cloudflare_api_token: plain-text-value",
                )
            }),
            &[],
        ),
        (
            "value-garbage-enc",
            m(|s| {
                replace_line(
                    s,
                    "cloudflare_api_token:",
                    "cloudflare_api_token: ENC[AES256_GCM,data:!!,iv:??,tag:,type:str]",
                )
            }),
            &[],
        ),
        (
            "value-escape-enc",
            m(|s| {
                replace_line(
                    s,
                    "cloudflare_api_token:",
                    "cloudflare_api_token: \"ENC[\\e]0;pwned\\a]\"",
                )
            }),
            &[],
        ),
        (
            "alias-bomb",
            m(|s| format!("{}{s}", alias_bomb(""))),
            &["alias"],
        ),
        (
            "alias-bomb-in-value",
            m(|s| format!("{s}{}", alias_bomb("z_"))),
            &["alias"],
        ),
        (
            "flow-nesting",
            m(|s| format!("deep: {}\n{s}", "[".repeat(100_000))),
            &["recursion limit"],
        ),
        (
            "block-nesting",
            m(|s| {
                let mut d = String::new();
                for i in 0..600 {
                    d.push_str(&" ".repeat(i));
                    d.push_str("k:\n");
                }
                format!("{d}{s}")
            }),
            &["nested"],
        ),
        ("top-level-list", m(|_| "- a\n- b\n".into()), &["list"]),
        (
            "top-level-scalar",
            m(|_| "hello\n".into()),
            &["single value"],
        ),
        (
            "duplicate-escape-key",
            m(|s| format!("\"\\e]0;pwned\\a\": 1\n\"\\e]0;pwned\\a\": 2\n{s}")),
            &["twice"],
        ),
        (
            "duplicate-bidi-key",
            m(|s| format!("\"\\u202Eevil\": 1\n\"\\u202Eevil\": 2\n{s}")),
            &["twice"],
        ),
        (
            "duplicate-sops",
            m(|s| format!("{s}sops:\n    version: 3.11.0\n")),
            &["twice"],
        ),
        (
            "tab-indent",
            m(|s| s.replacen("    account_id", "\taccount_id", 1)),
            &[],
        ),
        (
            "unknown-alias",
            m(|s| format!("x: *nope\n{s}")),
            &["unknown anchor"],
        ),
        ("bad-tag", m(|s| format!("x: !!int abc\n{s}")), &["tag"]),
        (
            "huge-int",
            m(|s| format!("x: 99999999999999999999999\n{s}")),
            &["plain float"],
        ),
        (
            "huge-int-tagged",
            m(|s| format!("x: !!int 99999999999999999999999\n{s}")),
            &["tag"],
        ),
        (
            "non-string-key",
            m(|s| format!("1: one\n{s}")),
            &["string keys"],
        ),
        (
            "complex-key",
            m(|s| format!("? [a]\n: b\n{s}")),
            &["string keys"],
        ),
        (
            "sops-is-list",
            m(|s| format!("{}sops:\n    - 1\n", &s[..s.find("sops:").unwrap()])),
            &[],
        ),
        (
            "sops-is-scalar",
            m(|s| format!("{}sops: yes\n", &s[..s.find("sops:").unwrap()])),
            &[],
        ),
        (
            "sops-is-empty",
            m(|s| format!("{}sops: {{}}\n", &s[..s.find("sops:").unwrap()])),
            &[],
        ),
        (
            "threshold-garbage",
            m(|s| {
                s.replacen(
                    "    lastmodified:",
                    "    shamir_threshold: \"\\e]0;x\\a\"\n    lastmodified:",
                    1,
                )
            }),
            &[],
        ),
        (
            "key-groups-300",
            m(move |s| {
                let a = s.find("    age:").unwrap();
                let b = s.find("    lastmodified:").unwrap();
                let entry = s[a..b]
                    .replace("    age:", "          age:")
                    .replace("\n        ", "\n              ");
                let mut groups = String::from("    shamir_threshold: 2\n    key_groups:\n");
                for _ in 0..300 {
                    groups.push_str("        - ");
                    groups.push_str(entry.trim_start());
                }
                format!("{}{groups}{}", &s[..a], &s[b..])
            }),
            &[],
        ),
        (
            "other-recipient-only",
            m(move |s| {
                let a = s.find("    age:").unwrap();
                let b = s.find("    lastmodified:").unwrap();
                let armor = age_armor(&Test::recipient("keys/age-b.txt"), &[1u8; 32]);
                let indented: String = armor
                    .lines()
                    .map(|l| format!("            {l}\n"))
                    .collect();
                format!(
                    "{}    age:\n        - recipient: {r}\n          enc: |\n{indented}{}",
                    &s[..a],
                    &s[b..]
                )
            }),
            &["identit"],
        ),
        (
            "long-line",
            m(|s| format!("junk: {}\n{s}", "x".repeat(2 * 1024 * 1024))),
            &[],
        ),
        (
            "many-plain-keys",
            m(|s| {
                let mut p = String::new();
                for i in 0..20_000 {
                    p.push_str(&format!("k{i}: v\n"));
                }
                format!("{p}{s}")
            }),
            &[],
        ),
        (
            "escape-comment",
            m(|s| {
                format!(
                    "# \u{1b}]0;pwned\u{7}\n{}",
                    s.replacen("cloudflare:", "cloudflare: \u{1b}[2J", 1)
                )
            }),
            &[],
        ),
    ]
}

fn data_key_cases() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("data-key-0", vec![]),
        ("data-key-1", vec![1]),
        ("data-key-31", vec![2; 31]),
        ("data-key-33", vec![3; 33]),
        ("data-key-64", vec![4; 64]),
        ("data-key-100k", vec![5; 100_000]),
    ]
}

fn set_case(t: &Test, name: &str, file: &str, mentions: &[&str]) -> Case {
    let secret = canary(name);
    Case::new(
        name,
        &["set", "--file", file, "--key", "cloudflare_api_token"],
    )
    .stdin(secret.clone())
    .secret(secret)
    .secret(BASIC_SECRET)
    .secret("test-token-json-xxxxxxxxxxxxxxxxxxxxxx")
    .secret("test-token-dotenv-ssssssssssssssssssss")
    .mentions(mentions)
    .mentions(&[file])
    .unchanged(t.path(file))
}

#[test]
fn malformed_and_tampered_stores() {
    let t = world();
    let mut cases = Vec::new();
    for (base, ext, list) in [
        ("sops/basic.yaml", "yaml", yaml_mutations()),
        ("sops/basic.json", "json", json_mutations()),
        ("sops/basic.env", "env", dotenv_mutations()),
    ] {
        let text = std::fs::read_to_string(fixtures().join(base)).unwrap();
        for (name, mutate, mentions) in list {
            if name.starts_with("other-recipient") && !require("age") {
                continue;
            }
            let file = format!("{name}.{ext}");
            t.write(&file, mutate(&text));
            cases.push(set_case(&t, name, &file, mentions));
        }
    }
    if require("age") {
        for (name, key) in data_key_cases() {
            let file = format!("{name}.yaml");
            t.write(&file, basic_with_data_key(&key));
            let len = format!("{} bytes", key.len());
            cases.push(set_case(&t, name, &file, &["damaged", &len]));
        }
    }
    // The read path too, for a sample.
    for name in [
        "alias-bomb",
        "mac-flipped",
        "duplicate-escape-key",
        "truncated-50",
    ] {
        let file = format!("{name}.yaml");
        cases.push(
            Case::new(
                format!("exec-{name}"),
                &[
                    "exec",
                    "--file",
                    &file,
                    "--key",
                    "cloudflare_api_token",
                    "--",
                    "true",
                ],
            )
            .secret(BASIC_SECRET)
            .mentions(&[&file])
            .unchanged(t.path(&file)),
        );
    }
    assert!(cases.len() >= 90, "{}", cases.len());
    check_all(&t, &cases);
}

#[test]
fn odd_things_at_the_store_path() {
    let t = world();
    let mut cases = Vec::new();
    let fifo = require("mkfifo");
    for ext in ["yaml", "json", "env"] {
        if fifo {
            let file = format!("fifo.{ext}");
            mkfifo(&t.path(&file));
            cases.push(set_case(
                &t,
                &format!("fifo-{ext}"),
                &file,
                &["fifo", "regular file"],
            ));
        }
    }
    if fifo {
        cases.push(
            Case::new(
                "exec-fifo",
                &["exec", "--file", "fifo.yaml", "--key", "k", "--", "true"],
            )
            .mentions(&["fifo"]),
        );
        cases.push(
            Case::new(
                "verify-fifo",
                &["verify", "--file", "fifo.yaml", "--key", "k"],
            )
            .mentions(&["fifo"]),
        );
    }
    for (dev, ext) in [
        ("/dev/zero", "yaml"),
        ("/dev/null", "json"),
        ("/dev/urandom", "env"),
    ] {
        let file = format!("dev.{ext}");
        std::os::unix::fs::symlink(dev, t.path(&file)).unwrap();
        cases.push(set_case(
            &t,
            &format!("device-{ext}"),
            &file,
            &["character device"],
        ));
    }
    std::fs::create_dir(t.path("dir.yaml")).unwrap();
    cases.push(set_case(&t, "directory", "dir.yaml", &["directory"]));
    let big = std::fs::File::create(t.path("big.yaml")).unwrap();
    big.set_len(17 * 1024 * 1024).unwrap();
    cases.push(set_case(&t, "sparse-17-mib", "big.yaml", &["16 MiB"]));
    let _socket = std::os::unix::net::UnixListener::bind(t.path("sock.yaml")).unwrap();
    cases.push(set_case(&t, "socket", "sock.yaml", &["socket"]));
    cases.push(set_case(
        &t,
        "missing-dir",
        "nope/s.yaml",
        &["does not exist"],
    ));
    cases.push(
        Case::new(
            "escape-in-path",
            &[
                "exec",
                "--file",
                "x\u{1b}]0;pwned\u{7}.yaml",
                "--key",
                "k",
                "--",
                "true",
            ],
        )
        .mentions(&["does not exist"]),
    );
    t.write("s.txt", "a: b\n");
    cases.push(set_case(
        &t,
        "unknown-extension",
        "s.txt",
        &["unknown format"],
    ));
    std::os::unix::fs::symlink(t.path("loop-b.yaml"), t.path("loop-a.yaml")).unwrap();
    std::os::unix::fs::symlink(t.path("loop-a.yaml"), t.path("loop-b.yaml")).unwrap();
    cases.push(set_case(&t, "symlink-loop", "loop-a.yaml", &[]));
    check_all(&t, &cases);
}
