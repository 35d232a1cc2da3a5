//! The `fake-cloudflare` binary: first stdout line, token file, request log,
//! clean exit on SIGTERM, loopback only.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::*;

const BIN: &str = env!("CARGO_BIN_EXE_fake-cloudflare");

/// Reads stdout on a thread so a silent binary fails the test instead of
/// hanging it.
fn first_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("fake-cloudflare did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(unix)]
#[tokio::test]
async fn binary_prints_base_url_first_and_stops_on_sigterm() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("bootstrap.token");
    let mut child = Command::new(BIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--zone",
            "walkthrough.test",
            "--token-file",
        ])
        .arg(&token_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = first_lines(&mut child);
    let first = lines
        .recv_timeout(Duration::from_secs(20))
        .expect("a first line");
    let port = first
        .strip_prefix("http://127.0.0.1:")
        .and_then(|rest| rest.strip_suffix("/client/v4"))
        .unwrap_or_else(|| panic!("first line is not the base URL: {first:?}"));
    assert!(port.parse::<u16>().unwrap() > 0);
    let rest: Vec<String> = std::iter::from_fn(|| lines.recv_timeout(Duration::from_secs(5)).ok())
        .take_while(|l| !l.contains("control plane"))
        .collect();
    assert!(
        rest.iter()
            .any(|l| l == &format!("export CLOUDFLARE_API_BASE_URL={first}")),
        "{rest:?}"
    );
    assert!(
        rest.iter().any(|l| l.contains("walkthrough.test")),
        "{rest:?}"
    );

    let secret = std::fs::read_to_string(&token_file).unwrap();
    let mode = std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(
        secret.starts_with("cfut_") && secret.len() == 53,
        "{secret:?}"
    );
    assert!(
        rest.iter().all(|l| !l.contains(&secret)),
        "the token is only in the file"
    );

    let http = crate::common::http_client();
    let verify = http
        .get(format!("{first}/user/tokens/verify"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(verify.status().as_u16(), 200);
    let zones: serde_json::Value = http
        .get(format!("{first}/zones"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(zones["result"][0]["name"], "walkthrough.test");

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = wait_exit(&mut child, Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(
        stderr.contains("GET /client/v4/user/tokens/verify 200"),
        "{stderr}"
    );
    assert!(stderr.contains("GET /client/v4/zones 200"), "{stderr}");
    assert!(!stderr.contains(&secret), "{stderr}");
    assert!(!stderr.to_ascii_lowercase().contains("bearer"), "{stderr}");
}

#[test]
fn binary_refuses_non_loopback_addresses() {
    for addr in ["0.0.0.0:0", "[::]:0"] {
        let out = Command::new(BIN).args(["--listen", addr]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{addr}");
        assert!(out.stdout.is_empty(), "{addr}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("loopback"),
            "{addr}"
        );
    }
}

#[test]
fn library_refuses_non_loopback_addresses() {
    let config = fake_cloudflare::Config {
        listen: "0.0.0.0:0".parse().unwrap(),
        ..Default::default()
    };
    assert!(fake_cloudflare::FakeCloudflare::try_start_with(config).is_err());
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let fake = fake_cloudflare::FakeCloudflare::start();
    let api = Api::new(&fake);
    let base = api.base.clone();
    assert_eq!(
        api.get("/user/tokens/verify", Auth::Bearer(&fake.bootstrap_token()))
            .await
            .status,
        200
    );
    drop(fake);
    let fresh = crate::common::http_client();
    assert!(
        fresh
            .get(format!("{base}/user/tokens/verify"))
            .send()
            .await
            .is_err()
    );
}
