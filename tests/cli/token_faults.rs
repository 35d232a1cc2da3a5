//! The fault matrix: a 500, a timeout and a dropped response at every API call rotate and roll
//! make. Afterwards the store holds a working token (old or new) — or the new one is in the
//! rescue file with exit 5 — and after one more plain run exactly one token of that name is
//! active and no half-finished successor is left.

use fake_cloudflare::{Fault, FaultKind, Op};

use crate::support::{Cf, NAME, StoreArgs, require};

fn kinds() -> Vec<(&'static str, FaultKind)> {
    vec![
        ("500", FaultKind::server_error()),
        ("timeout", FaultKind::Stall { secs: 2 }),
        ("dropped response", FaultKind::DropResponse),
    ]
}

/// The calls `rotate` makes, with the occurrence that matters (verify twice: the old token,
/// then the new one read back from the store; the one list finds the old token and any
/// abandoned successor; the one get reads the new token back before its rename).
const ROTATE_CALLS: [(Op, u32); 7] = [
    (Op::VerifyToken, 1),
    (Op::ListTokens, 1),
    (Op::CreateToken, 1),
    (Op::VerifyToken, 2),
    (Op::GetToken, 1),
    (Op::UpdateToken, 1),
    (Op::DeleteToken, 1),
];

const ROLL_CALLS: [(Op, u32); 3] = [
    (Op::VerifyToken, 1),
    (Op::RollToken, 1),
    (Op::VerifyToken, 2),
];

/// Runs `cmd` with one fault, then checks the invariants; returns a failure description.
fn case(cmd: &str, op: Op, nth: u32, kind_name: &str, kind: FaultKind) -> Result<(), String> {
    let cf = Cf::new();
    cf.create();
    let before = cf.stored();
    cf.fake.add_fault(Fault::new(op, kind).nth(nth));
    let out = cf.cmd([cmd, "--json", "--timeout", "1s"]).store().run();
    cf.fake.wait_idle();
    let what = format!("{cmd} with a {kind_name} at {op:?} #{nth}");
    if !cf.fake.pending_faults().is_empty() {
        return Err(format!(
            "{what}: the fault never fired (the call was not made)"
        ));
    }
    eprintln!(
        "{what}: exit {} ({})",
        out.code,
        out.json()["error"].as_str().unwrap_or("ok")
    );
    // Invariant: a working token is stored, or the new one is in a rescue file (exit 5).
    let stored = cf.stored();
    if out.code == 5 {
        let json = out.json();
        let file = json["rescue_file"]
            .as_str()
            .ok_or(format!("{what}: exit 5 without a rescue file"))?;
        let rescued =
            cf.t.command(
                "age",
                [
                    "-d",
                    "-i",
                    crate::support::fixtures()
                        .join("keys/age-a.txt")
                        .to_str()
                        .unwrap(),
                    file,
                ],
            )
            .run();
        if !cf.fake.is_active_secret(&rescued.stdout) {
            return Err(format!("{what}: the rescued secret is not active"));
        }
    } else if !cf.fake.is_active_secret(&stored) {
        return Err(format!(
            "{what}: exit {}, and the stored token does not work: {}",
            out.code, out.stdout
        ));
    }
    if out.code == 0 && stored == before && cmd == "roll" {
        return Err(format!(
            "{what}: reported success but the secret did not change"
        ));
    }
    if ![0, 1, 4, 5].contains(&out.code) {
        return Err(format!(
            "{what}: unexpected exit {}: {}",
            out.code, out.stdout
        ));
    }
    // One more plain run finishes or cleans up whatever was left.
    let again = cf.cmd([cmd, "--json"]).store().run();
    if again.code != 0 {
        return Err(format!(
            "{what}: the next plain run failed with {}: {}",
            again.code, again.stdout
        ));
    }
    let active = cf.fake.active_tokens_named(NAME);
    if active.len() != 1 {
        return Err(format!(
            "{what}: {} active tokens named {NAME} after the next run",
            active.len()
        ));
    }
    let stored = cf.stored();
    match cf.fake.token_for_secret(&stored) {
        Some(t) if t.id == active[0].id => {}
        _ => {
            return Err(format!(
                "{what}: the stored token is not the one active token"
            ));
        }
    }
    let leftovers: Vec<String> = cf
        .fake
        .tokens()
        .into_iter()
        .map(|t| t.name)
        .filter(|n| n.contains("[cfsecret:pending:"))
        .collect();
    if !leftovers.is_empty() {
        return Err(format!(
            "{what}: half-finished successors left: {leftovers:?}"
        ));
    }
    Ok(())
}

fn matrix(cmd: &str, calls: &[(Op, u32)]) {
    if !require("sops") || !require("age") {
        return;
    }
    let mut failures = Vec::new();
    for &(op, nth) in calls {
        for (name, kind) in kinds() {
            if let Err(e) = case(cmd, op, nth, name, kind) {
                failures.push(e);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn rotate_survives_a_fault_at_every_call() {
    matrix("rotate", &ROTATE_CALLS);
}

#[test]
fn roll_survives_a_fault_at_every_call() {
    matrix("roll", &ROLL_CALLS);
}

#[test]
fn a_lost_roll_without_another_credential_is_reported_not_hidden() {
    if !require("sops") {
        return;
    }
    let mut cf = Cf::new();
    cf.create();
    // The stored token is the only credential: it may roll itself (it has API Tokens Write).
    let own = cf
        .fake
        .mint(fake_cloudflare::TokenSpec::user("self-rolling").permission(
            "API Tokens Write",
            fake_cloudflare::Resource::User(cf.fake.user_id()),
        ));
    cf.t.unset("CLOUDFLARE_API_TOKEN");
    cf.t.cfsecret(["set"])
        .store()
        .stdin(own.secret.clone())
        .run()
        .success();
    cf.fake
        .add_fault(Fault::new(Op::RollToken, FaultKind::DropResponse));
    let out = cf.cmd(["roll", "--json"]).store().run().code(1);
    assert_eq!(out.json()["error"], "locked_out", "{}", out.stdout);
    assert!(out.json()["hint"].as_str().unwrap().contains("dashboard"));
}

#[test]
fn a_roll_whose_write_fails_goes_to_a_rescue_file_and_exits_5() {
    if !require("sops") || !require("age") {
        return;
    }
    let cf = Cf::new();
    cf.create();
    let old = cf.stored();
    // The roll is held 2 s at the fake; while it is on the wire the store's directory goes away
    // (replaced by a file), so the write after the roll fails for real.
    cf.fake
        .add_fault(Fault::new(Op::RollToken, FaultKind::Stall { secs: 2 }));
    let mut run =
        cf.t.cfsecret(["roll", "--json", "--timeout", "10s"])
            .store();
    let child = run.cmd.spawn().unwrap();
    let journal = cf.t.path("secrets/.cell-v0.yml.cfsecret.state");
    let start = std::time::Instant::now();
    while !std::fs::read_to_string(&journal).is_ok_and(|j| j.contains("rolling")) {
        assert!(start.elapsed().as_secs() < 20, "the roll never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::fs::rename(cf.t.path("secrets"), cf.t.path("secrets.moved")).unwrap();
    std::fs::write(cf.t.path("secrets"), "not a directory").unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(5),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for s in cf.fake.issued_secrets() {
        assert!(!stdout.contains(&s) && !String::from_utf8_lossy(&out.stderr).contains(&s));
    }
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(json["error"], "rescued");
    assert_eq!(json["changed"], true);
    let file = json["rescue_file"].as_str().unwrap();
    assert!(
        file.starts_with(cf.t.path("state").to_str().unwrap()),
        "{file}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(
        std::fs::read_to_string(file)
            .unwrap()
            .starts_with("-----BEGIN AGE ENCRYPTED FILE-----")
    );
    let key = crate::support::fixtures().join("keys/age-a.txt");
    let rescued =
        cf.t.command("age", ["-d", "-i", key.to_str().unwrap(), file])
            .run()
            .success()
            .stdout;
    assert!(
        cf.fake.is_active_secret(&rescued),
        "the rescued secret is the live one"
    );
    assert!(
        !cf.fake.is_active_secret(&old),
        "the old secret died with the roll"
    );
    // Put the directory back and restore the secret the way the message says.
    std::fs::remove_file(cf.t.path("secrets")).unwrap();
    std::fs::rename(cf.t.path("secrets.moved"), cf.t.path("secrets")).unwrap();
    assert!(
        json["hint"].as_str().unwrap().contains("cfsecret set"),
        "{json}"
    );
    cf.t.cfsecret(["set"])
        .store()
        .stdin(rescued)
        .run()
        .success();
    cf.cmd(["verify"]).store().run().success();
}

#[test]
fn a_revocation_that_keeps_failing_is_exit_4_and_finished_by_the_next_run() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let old = cf.create()["token_id"].as_str().unwrap().to_owned();
    cf.fake
        .add_fault(Fault::new(Op::DeleteToken, FaultKind::server_error()).times(20));
    let out = cf
        .cmd(["rotate", "--json", "--timeout", "1s"])
        .store()
        .run()
        .code(4);
    let json = out.json();
    assert_eq!(
        (json["failed"].as_bool(), json["changed"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(
        (json["error"].as_str(), json["old_token_id"].as_str()),
        (Some("revoke_failed"), Some(old.as_str()))
    );
    let new = json["token_id"].as_str().unwrap().to_owned();
    // The new token is stored and works; the old one still exists.
    assert_eq!(cf.fake.token_for_secret(&cf.stored()).unwrap().id, new);
    assert!(cf.fake.token(&old).is_some());
    cf.fake.clear_faults();
    // The next run (nothing due) finishes the revocation — a change — and nothing else.
    let out = cf
        .cmd(["rotate", "--json", "--max-age", "30d"])
        .store()
        .run()
        .success()
        .json();
    assert_eq!(
        (out["changed"].as_bool(), out["action"].as_str()),
        (Some(true), Some("unchanged"))
    );
    assert!(
        out["msg"]
            .as_str()
            .unwrap()
            .contains("revoked the old token"),
        "{out}"
    );
    assert!(cf.fake.token(&old).is_none(), "revoked by the next run");
    assert_eq!(cf.fake.active_tokens_named(NAME).len(), 1);
}
