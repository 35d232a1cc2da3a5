//! The mutations the file corpus applies to sops-written fixtures, and the JSON and dotenv
//! tables (the YAML table is in `corpus_files.rs`).

pub(super) type Mutation = Box<dyn Fn(&str) -> Vec<u8>>;

pub(super) fn m(f: impl Fn(&str) -> String + 'static) -> Mutation {
    Box::new(move |s| f(s).into_bytes())
}

pub(super) fn bytes(f: impl Fn(&str) -> Vec<u8> + 'static) -> Mutation {
    Box::new(f)
}

/// The text with the first line starting with `prefix` (after indentation) replaced by `line`.
pub(super) fn replace_line(text: &str, prefix: &str, line: &str) -> String {
    let mut done = false;
    text.lines()
        .map(|l| {
            if !done && l.trim_start().starts_with(prefix) {
                done = true;
                format!("{line}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

pub(super) fn drop_line(text: &str, prefix: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with(prefix))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Flips the character right after the first `marker` that follows `anchor`.
pub(super) fn flip_after(text: &str, anchor: &str, marker: &str) -> String {
    let a = text.find(anchor).expect("anchor");
    let i = a + text[a..].find(marker).expect("marker") + marker.len();
    let c = text.as_bytes()[i];
    let flipped = if c == b'A' { 'B' } else { 'A' };
    format!("{}{flipped}{}", &text[..i], &text[i + 1..])
}

pub(super) fn truncate(text: &str, percent: usize) -> String {
    let mut at = text.len() * percent / 100;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    text[..at].to_owned()
}

pub(super) fn json_mutations() -> Vec<(&'static str, Mutation, &'static [&'static str])> {
    vec![
        (
            "json-bom",
            bytes(|s| [b"\xEF\xBB\xBF", s.as_bytes()].concat()),
            &["byte order mark"],
        ),
        (
            "json-two-sops",
            m(|s| {
                let i = s.find("\t\"sops\"").unwrap();
                let block = s[i..]
                    .trim_end()
                    .trim_end_matches('}')
                    .trim_end()
                    .to_owned();
                format!(
                    "{},\n{block}\n}}\n",
                    s.trim_end().trim_end_matches('}').trim_end()
                )
            }),
            &["second `sops`"],
        ),
        ("json-truncated-30", m(|s| truncate(s, 30)), &[]),
        ("json-truncated-60", m(|s| truncate(s, 60)), &[]),
        ("json-truncated-95", m(|s| truncate(s, 95)), &[]),
        ("json-trailing", m(|s| format!("{s} x")), &["after"]),
        ("json-array", m(|_| "[1, 2]".into()), &["not a json object"]),
        ("json-empty", m(|_| String::new()), &["empty"]),
        ("json-empty-object", m(|_| "{}".into()), &[]),
        (
            "json-deep",
            m(|s| s.replacen('{', &format!("{{\"deep\": {},", "[".repeat(100_000)), 1)),
            &["deep"],
        ),
        (
            "json-huge-number",
            m(|s| s.replacen('{', "{\"n\": 1e999,", 1)),
            &["range"],
        ),
        (
            "json-raw-control",
            m(|s| s.replacen('{', "{\"a\": \"x\u{1b}]0;pwned\u{7}\",", 1)),
            &["control character"],
        ),
        (
            "json-bad-escape",
            m(|s| s.replacen('{', "{\"a\": \"\\x\",", 1)),
            &["escape"],
        ),
        (
            "json-lone-surrogate",
            m(|s| s.replacen('{', "{\"\\ud800\": 1,", 1)),
            &[],
        ),
        (
            "json-escape-key",
            m(|s| s.replacen('{', "{\"\\u001b]0;pwned\\u0007\": 1,", 1)),
            &[],
        ),
        ("json-no-mac", m(|s| drop_line(s, "\"mac\":")), &[]),
        (
            "json-mac-flipped",
            m(|s| flip_after(s, "\"mac\":", "data:")),
            &["mac"],
        ),
        (
            "json-sops-array",
            m(|s| format!("{}\"sops\": []\n}}\n", &s[..s.find("\"sops\"").unwrap()])),
            &[],
        ),
        (
            "json-sops-string",
            m(|s| {
                format!(
                    "{}\"sops\": \"\\u001b[2J\"\n}}\n",
                    &s[..s.find("\"sops\"").unwrap()]
                )
            }),
            &[],
        ),
        ("json-nul", m(|s| s.replacen('{', "{\0", 1)), &[]),
        (
            "json-value-flipped",
            m(|s| flip_after(s, "\"cloudflare_api_token\":", "data:")),
            &[],
        ),
    ]
}

pub(super) fn dotenv_mutations() -> Vec<(&'static str, Mutation, &'static [&'static str])> {
    vec![
        ("env-crlf", m(|s| s.replace('\n', "\r\n")), &["CR LF"]),
        (
            "env-crlf-last-line",
            m(|s| format!("{s}X=1\r\n")),
            &["CR LF"],
        ),
        (
            "env-no-equals",
            m(|s| format!("NOEQUALS\n{s}")),
            &["KEY=VALUE"],
        ),
        ("env-no-mac", m(|s| drop_line(s, "sops_mac=")), &[]),
        (
            "env-huge-index",
            m(|s| format!("{s}sops_age__list_4000000000__map_enc=x\n")),
            &["list index"],
        ),
        (
            "env-overflow-index",
            m(|s| format!("{s}sops_age__list_99999999999999999999999__map_enc=x\n")),
            &["list index"],
        ),
        (
            "env-nul",
            m(|s| {
                s.replacen(
                    "CLOUDFLARE_ACCOUNT_ID=ENC[",
                    "CLOUDFLARE_ACCOUNT_ID=ENC[\0",
                    1,
                )
            }),
            &[],
        ),
        (
            "env-invalid-utf8",
            bytes(|s| [s.as_bytes(), b"X=\xff\n"].concat()),
            &["utf-8"],
        ),
        ("env-empty", m(|_| String::new()), &["empty"]),
        ("env-comments-only", m(|_| "# a\n# b\n".into()), &[]),
        (
            "env-escape-lastmodified",
            m(|s| {
                replace_line(
                    s,
                    "sops_lastmodified=",
                    "sops_lastmodified=\u{1b}]0;pwned\u{7}",
                )
            }),
            &[],
        ),
        (
            "env-escape-key",
            m(|s| format!("\u{1b}]0;pwned\u{7}=1\n{s}")),
            &[],
        ),
        ("env-truncated", m(|s| truncate(s, 50)), &[]),
        (
            "env-value-flipped",
            m(|s| flip_after(s, "CLOUDFLARE_API_TOKEN=", "data:")),
            &[],
        ),
    ]
}
