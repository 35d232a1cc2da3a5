//! A hostile API server: every response is canned, and its strings (token id and status, error
//! messages, permission-group names) carry terminal escape sequences. Human output must show
//! them escaped; `--json` output must carry them exactly (as JSON escapes).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

use super::regressions::store_with;
use super::{Case, check, check_all, world};
use crate::support::{KEY, Test, canary};

/// Serves `status` and `body` to every request, forever (the thread dies with the test binary).
pub fn canned(status: u16, body: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let body = body.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream);
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut sink = vec![0u8; len];
                let _ = reader.read_exact(&mut sink);
                let mut stream = reader.into_inner();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    format!("http://{addr}/client/v4")
}

/// Escape sequences a hostile server would send: a window-title change, a screen clear, a
/// cursor move, a C1 CSI, a bidi override.
const EVIL: &[&str] = &[
    "\u{1b}]0;pwned\u{7}",
    "\u{1b}[2J\u{1b}[H",
    "\u{1b}[1A\u{1b}[2K",
    "\u{9b}31m",
    "\u{202e}evil",
    "\r\u{8}\u{7f}",
];

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn verify_world() -> (Test, String) {
    let t = world();
    let secret = canary("api");
    store_with(&t, "s.yaml", &secret);
    (t, secret)
}

#[test]
fn api_strings_are_escaped_for_humans_and_exact_in_json() {
    let (t, secret) = verify_world();
    let mut cases = Vec::new();
    for (i, evil) in EVIL.iter().enumerate() {
        let e = json_str(evil);
        let bodies = [
            // verify: an odd status (not active: exit 3) and an odd id.
            (
                200,
                format!(
                    r#"{{"success":true,"errors":[],"messages":[],"result":{{"id":{e},"status":{e}}}}}"#
                ),
                3,
            ),
            // an active token with an odd id.
            (
                200,
                format!(
                    r#"{{"success":true,"errors":[],"messages":[],"result":{{"id":"abc{}","status":"active"}}}}"#,
                    &e[1..e.len() - 1]
                ),
                0,
            ),
            // an API error whose message carries the sequence.
            (
                400,
                format!(
                    r#"{{"success":false,"errors":[{{"code":6003,"message":{e}}}],"messages":[],"result":null}}"#
                ),
                3,
            ),
            (
                409,
                format!(
                    r#"{{"success":false,"errors":[{{"code":99999,"message":{e}}}],"messages":[{{"code":1,"message":{e}}}],"result":null}}"#
                ),
                1,
            ),
        ];
        for (j, (status, body, code)) in bodies.into_iter().enumerate() {
            let base = canned(status, body);
            for json in [false, true] {
                let mut args = vec!["verify", "--file", "s.yaml", "--key", KEY];
                if json {
                    args.push("--json");
                }
                let mut case = Case::new(format!("api-{i}-{j}-json-{json}"), &args)
                    .env("CLOUDFLARE_API_BASE_URL", base.clone())
                    .env("CLOUDFLARE_API_TOKEN", canary("mgmt"))
                    .code(code)
                    .secret(secret.clone())
                    .secret(canary("mgmt"))
                    .unchanged(t.path("s.yaml"));
                // Every refusal, an unknown one (j == 3) too, must say what to do.
                if json || code == 0 {
                    case = case.no_hint();
                }
                cases.push(case);
            }
        }
    }
    for case in &cases {
        let out = if case.args.contains(&"--json".to_owned()) && case.code != 0 {
            json_failure(&t, case)
        } else {
            check(&t, case)
        };
        if case.args.contains(&"--json".to_owned()) {
            let v: serde_json::Value = serde_json::from_str(out.stdout.trim())
                .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {}", case.name, out.stdout));
            assert!(v.is_object(), "{}", case.name);
        }
    }
    eprintln!("{} hostile API cases passed", cases.len());
}

/// `--json` failures print the error on stdout, not stderr: the same checks, minus the human
/// error line.
fn json_failure(t: &Test, case: &Case) -> super::Out {
    let out = super::bounded(t, case);
    assert_eq!(out.code, Some(case.code), "{}: {out:?}", case.name);
    let all = format!("{}{}", out.stdout, out.stderr);
    for s in &case.secrets {
        assert!(!all.contains(s.as_str()), "{}: leaked", case.name);
    }
    assert!(
        !all.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "{}: raw control character: {all:?}",
        case.name
    );
    let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(v["failed"], true, "{}", case.name);
    out
}

#[test]
fn json_carries_api_strings_exactly() {
    let (t, _secret) = verify_world();
    let evil = "\u{1b}]0;pwned\u{7}\u{9b}x\u{202e}";
    let body = format!(
        r#"{{"success":true,"errors":[],"messages":[],"result":{{"id":{},"status":"active"}}}}"#,
        json_str(evil)
    );
    let base = canned(200, body);
    let case = Case::new(
        "api-json-exact",
        &["verify", "--json", "--file", "s.yaml", "--key", KEY],
    )
    .env("CLOUDFLARE_API_BASE_URL", base)
    .code(0)
    .no_hint();
    let out = check(&t, &case);
    let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(v["token_id"], evil, "the JSON value is exact");
}

#[test]
fn permission_group_names_are_escaped() {
    let t = world();
    let mut cases = Vec::new();
    for (i, evil) in EVIL.iter().enumerate() {
        let body = format!(
            r#"{{"success":true,"errors":[],"messages":[],"result":[{{"id":"abc","name":{},"scopes":["com.cloudflare.api.account.zone"]}}],"result_info":{{"page":1,"per_page":100,"count":1,"total_count":1,"total_pages":1}}}}"#,
            json_str(&format!("DNS {evil} Write"))
        );
        let base = canned(200, body);
        cases.push(
            Case::new(format!("perm-{i}"), &["permissions"])
                .env("CLOUDFLARE_API_BASE_URL", base)
                .env("CLOUDFLARE_API_TOKEN", canary("mgmt"))
                .secret(canary("mgmt"))
                .code(0)
                .no_hint(),
        );
    }
    check_all(&t, &cases);
}
