//! Issue 9: the ways a token could be lost, deleted from another store or left orphaned, each
//! reproduced through the binary. Interruptions are real `kill -9`s while a call is held at the
//! fake; nothing here waits on a clock.

use std::time::{Duration, Instant};

use fake_cloudflare::{Fault, FaultKind, Op};
use serde_json::Value;

use crate::support::{Cf, KEY, NAME, STORE, StoreArgs, require};

/// `create` of a token named `name` at `key` of `file`.
#[track_caller]
pub fn create_at(cf: &Cf, file: &str, key: &str, name: &str) -> Value {
    cf.run([
        "create",
        "--json",
        "--name",
        name,
        "--preset",
        "cert-manager-dns01",
        "--zone",
        "example.com",
        "--expires-in",
        "90d",
        "--file",
        file,
        "--key",
        key,
    ])
    .success()
    .json()
}

/// The secret at `key` of `file`, as the real sops decrypts it.
#[track_caller]
pub fn stored_at(cf: &Cf, file: &str, key: &str) -> String {
    cf.t.sops(["decrypt", "--extract", &format!("[{key:?}]"), file])
        .run()
        .success()
        .stdout
}

/// Runs cfsecret with `args`, waits until `ready` holds, then kills it with SIGKILL and waits
/// for the fake to finish whatever it was holding.
pub fn kill_when(cf: &Cf, args: &[&str], ready: impl Fn() -> bool) {
    let mut child = cf.t.cfsecret(args).cmd.spawn().unwrap();
    let start = Instant::now();
    while !ready() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("cfsecret {args:?} ended ({status}) before the point to kill it");
        }
        assert!(start.elapsed() < Duration::from_secs(30), "never got there");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    cf.fake.wait_idle();
}

/// The tag a store's pending token names carry: 8 hex digits of SHA-256 over the store's
/// resolved path, a NUL and the key (src/lifecycle/journal.rs, `Binding::tag`).
pub fn store_tag(file: &std::path::Path, key: &str) -> String {
    use sha2::Digest;
    let dir = std::fs::canonicalize(file.parent().unwrap()).unwrap();
    let mut h = sha2::Sha256::new();
    h.update(
        dir.join(file.file_name().unwrap())
            .to_string_lossy()
            .as_bytes(),
    );
    h.update([0]);
    h.update(key.as_bytes());
    h.finalize()[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The journal text next to `store` (empty when there is none).
pub fn journal_of(cf: &Cf, store: &str) -> String {
    let p = cf.t.path(store);
    let name = p.file_name().unwrap().to_string_lossy().into_owned();
    std::fs::read_to_string(p.with_file_name(format!(".{name}.cfsecret.state"))).unwrap_or_default()
}

/// Interrupts a rotate of `key` in `file` after the new secret is written and before it is
/// verified (the read-back verify is held at the fake, then the run is killed).
pub fn rotate_killed_after_write(cf: &Cf, file: &str, key: &str) {
    let before = stored_at(cf, file, key);
    cf.fake
        .add_fault(Fault::new(Op::VerifyToken, FaultKind::Stall { secs: 3 }).nth(2));
    let args = ["rotate", "--timeout", "20s", "--file", file, "--key", key];
    // The held verify has reached the fake: the new secret is in the store.
    kill_when(cf, &args, || cf.fake.pending_faults().is_empty());
    assert!(journal_of(cf, file).contains("minted"));
    assert_ne!(stored_at(cf, file, key), before);
    cf.fake.clear_faults();
}

fn pending_tokens(cf: &Cf) -> Vec<String> {
    cf.fake
        .tokens()
        .into_iter()
        .map(|t| t.name)
        .filter(|n| n.contains("[cfsecret:pending:"))
        .collect()
}

/// Item 3: with two tokens in one file, a run on one key never judges the other key's
/// interrupted step with its own secret (it used to delete the other key's new token).
#[test]
fn a_run_on_one_key_leaves_the_other_keys_interrupted_step_alone() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    create_at(&cf, STORE, "tok", "tok-dns");
    create_at(&cf, STORE, "tok2", "tok2-dns");
    rotate_killed_after_write(&cf, STORE, "tok");
    let tok_new = stored_at(&cf, STORE, "tok");
    assert!(cf.fake.is_active_secret(&tok_new));
    let out = cf.run([
        "rotate",
        "--json",
        "--max-age",
        "30d",
        "--file",
        STORE,
        "--key",
        "tok2",
    ]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        cf.fake.is_active_secret(&stored_at(&cf, STORE, "tok")),
        "the run on tok2 deleted tok's freshly stored token: {}",
        out.stdout
    );
    // tok's own next run finishes tok's step.
    cf.run([
        "rotate",
        "--json",
        "--max-age",
        "30d",
        "--file",
        STORE,
        "--key",
        "tok",
    ])
    .success();
    assert_eq!(cf.fake.active_tokens_named("tok-dns").len(), 1);
    assert_eq!(cf.fake.active_tokens_named("tok2-dns").len(), 1);
    assert!(pending_tokens(&cf).is_empty(), "{:?}", pending_tokens(&cf));
    assert!(cf.secrets_on_disk().is_empty());
}

/// Item 3: a roll of one key whose answer was lost is not finished by a `create` of another key
/// (it used to roll tok's token again and write that secret into tok2).
#[test]
fn a_lost_roll_of_one_key_is_not_finished_into_another_key() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    create_at(&cf, STORE, "tok", "tok-dns");
    cf.fake
        .add_fault(Fault::new(Op::RollToken, FaultKind::Stall { secs: 2 }));
    let args = ["roll", "--timeout", "20s", "--file", STORE, "--key", "tok"];
    // Killed while the roll is held at the fake, which then carries it out.
    kill_when(&cf, &args, || cf.fake.pending_faults().is_empty());
    let tok_id = cf.fake.active_tokens_named("tok-dns")[0].id.clone();
    create_at(&cf, STORE, "tok2", "tok2-dns");
    let tok2 = cf.fake.token_for_secret(&stored_at(&cf, STORE, "tok2"));
    assert_eq!(
        tok2.map(|t| t.name),
        Some("tok2-dns".to_owned()),
        "tok2 must hold its own new token, not tok's rolled secret"
    );
    // tok's own next roll finishes: the lost roll's secret is dead, it rolls again.
    cf.run(["roll", "--json", "--file", STORE, "--key", "tok"])
        .success();
    let t = cf.fake.token_for_secret(&stored_at(&cf, STORE, "tok"));
    assert_eq!(t.map(|t| t.id), Some(tok_id));
}

/// Item 7: a journal copied from another directory, whose entry names another store's new
/// token, is ignored with a warning; it used to delete that token and report `unchanged`.
#[test]
fn a_copied_journal_never_deletes_another_stores_token() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    cf.create();
    let other = "other/cell-v0.yml";
    std::fs::create_dir_all(cf.t.path("other")).unwrap();
    create_at(&cf, other, KEY, "other-dns");
    rotate_killed_after_write(&cf, STORE, KEY);
    std::fs::copy(
        cf.t.path("secrets/.cell-v0.yml.cfsecret.state"),
        cf.t.path("other/.cell-v0.yml.cfsecret.state"),
    )
    .unwrap();
    let out = cf
        .run([
            "rotate",
            "--json",
            "--max-age",
            "30d",
            "--file",
            other,
            "--key",
            KEY,
        ])
        .success();
    assert!(
        cf.fake.is_active_secret(&cf.stored()),
        "the copied journal deleted the other store's token: {}",
        out.stdout
    );
    assert!(
        out.stderr.contains("journal") && out.stderr.contains("ignor"),
        "a warning names the ignored entry: {}",
        out.stderr
    );
    // The store that owns the entry still finishes it.
    cf.cmd(["rotate", "--json", "--max-age", "30d"])
        .store()
        .run()
        .success();
    assert_eq!(cf.fake.active_tokens_named(NAME).len(), 1);
    assert!(pending_tokens(&cf).is_empty(), "{:?}", pending_tokens(&cf));
}

/// Item 2: two stores hold tokens of the same name; B's successor keeps its pending name
/// (the rename failed). An hour later A's sweep must not delete it.
#[test]
fn a_sweep_never_deletes_another_stores_pending_successor() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let (a, b) = ("secrets/a.yml", "secrets/b.yml");
    create_at(&cf, a, KEY, NAME);
    create_at(&cf, b, KEY, NAME);
    cf.fake
        .add_fault(Fault::new(Op::UpdateToken, FaultKind::server_error()).times(50));
    cf.run([
        "rotate",
        "--json",
        "--timeout",
        "1s",
        "--file",
        b,
        "--key",
        KEY,
    ]);
    cf.fake.clear_faults();
    let b_token = cf.fake.token_for_secret(&stored_at(&cf, b, KEY)).unwrap();
    assert!(
        b_token.name.contains("[cfsecret:pending:"),
        "{}",
        b_token.name
    );
    cf.fake.backdate(&b_token.id, 7200);
    let out = cf
        .run(["rotate", "--json", "--file", a, "--key", KEY])
        .success();
    assert!(
        cf.fake.is_active_secret(&stored_at(&cf, b, KEY)),
        "A's sweep deleted B's stored token: {}",
        out.stdout
    );
    // B's next run gives it its final name.
    cf.run([
        "rotate",
        "--json",
        "--max-age",
        "30d",
        "--file",
        b,
        "--key",
        KEY,
    ])
    .success();
    assert!(pending_tokens(&cf).is_empty(), "{:?}", pending_tokens(&cf));
}

/// Item 2: a store whose token vanished (deleted elsewhere) while its journal still had a step
/// for it is recovered by `create --force` (it used to fail with unknown_token forever).
#[test]
fn create_force_recovers_a_store_whose_token_vanished() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    cf.create();
    cf.fake
        .add_fault(Fault::new(Op::UpdateToken, FaultKind::server_error()).times(50));
    cf.cmd(["rotate", "--json", "--timeout", "1s"])
        .store()
        .run();
    cf.fake.clear_faults();
    let gone = cf.fake.token_for_secret(&cf.stored()).unwrap();
    cf.fake.delete(&gone.id);
    let out = cf
        .cmd([
            "create",
            "--json",
            "--force",
            "--name",
            NAME,
            "--preset",
            "cert-manager-dns01",
            "--zone",
            "example.com",
        ])
        .store()
        .run();
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(cf.fake.is_active_secret(&cf.stored()));
    cf.cmd(["rotate", "--json"]).store().run().success();
}

/// Item 9: `--keep-old`, then a roll during the grace period: the pending revocation of the
/// old token survives the roll (it used to be overwritten and the old token lived on).
#[test]
fn a_pending_revocation_survives_a_roll() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    let old = cf.create()["token_id"].as_str().unwrap().to_owned();
    cf.cmd(["rotate", "--json", "--keep-old", "1h"])
        .store()
        .run()
        .success();
    cf.cmd(["roll", "--json"]).store().run().success();
    assert!(cf.fake.token(&old).is_some(), "still in its grace period");
    let out = cf
        .cmd(["rotate", "--json", "--max-age", "30d"])
        .store()
        .run()
        .success()
        .json();
    assert!(
        out["msg"].as_str().unwrap().contains(&old),
        "the revocation of {old} was forgotten: {out}"
    );
}

/// Item 10: the journal write right after a successful create fails: the new token is deleted
/// (it used to stay, orphaned, under its pending name) and the old one stays stored.
#[test]
fn a_failed_journal_write_after_create_deletes_the_new_token() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    cf.create();
    let before = cf.stored();
    cf.fake
        .add_fault(Fault::new(Op::CreateToken, FaultKind::Stall { secs: 2 }));
    let child =
        cf.t.cfsecret(["rotate", "--json", "--timeout", "20s"])
            .store()
            .cmd
            .spawn()
            .unwrap();
    let journal = cf.t.path("secrets/.cell-v0.yml.cfsecret.state");
    let start = Instant::now();
    while !journal_of(&cf, STORE).contains("minting") {
        assert!(start.elapsed() < Duration::from_secs(30), "never minted");
        std::thread::sleep(Duration::from_millis(10));
    }
    // The journal can no longer be replaced: its path is now a directory.
    std::fs::remove_file(&journal).unwrap();
    std::fs::create_dir(&journal).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    std::fs::remove_dir(&journal).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(cf.stored(), before);
    assert!(cf.fake.is_active_secret(&before));
    assert!(
        pending_tokens(&cf).is_empty(),
        "the new token was left behind: {:?}",
        pending_tokens(&cf)
    );
}

/// Item 11: journal temp files a killed run left are removed by the next run.
#[test]
fn journal_temp_files_left_by_kill_9_are_cleaned_up() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    cf.create();
    let stale = cf.t.write(
        "secrets/..cell-v0.yml.cfsecret.state.cfsecret-99-abcdef.tmp",
        "{",
    );
    cf.cmd(["rotate", "--json", "--max-age", "30d"])
        .store()
        .run()
        .success();
    assert!(!stale.exists(), "left: {}", stale.display());
}

/// Item 12: a roll whose answer is lost lands only after cfsecret stopped waiting. A run started
/// at once rolls again and stores that secret, which the late roll then kills: the journal keeps
/// watching the lost roll, so the next run rolls again instead of finding a dead secret.
#[test]
fn a_roll_that_lands_late_is_rolled_again_by_the_next_run() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    cf.create();
    cf.fake
        .add_fault(Fault::new(Op::RollToken, FaultKind::Stall { secs: 10 }));
    let first = cf.cmd(["roll", "--json", "--timeout", "1s"]).store().run();
    assert_eq!(first.code, 1, "{}", first.stdout);
    // At once, while the first roll is still held at the fake.
    cf.cmd(["roll", "--json"]).store().run().success();
    cf.fake.wait_idle();
    let out = cf.cmd(["roll", "--json"]).store().run();
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(cf.fake.is_active_secret(&cf.stored()));
    assert_eq!(cf.fake.active_tokens_named(NAME).len(), 1);
}

/// Item 8: a mint rolled back after its write puts back the store's exact previous bytes (it
/// used to re-encrypt the old secret: new ciphertext, `lastmodified` and MAC).
#[test]
fn a_rolled_back_rotation_restores_the_exact_previous_bytes() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    cf.create();
    let before = cf.t.read(STORE);
    // The read-back verify of the new token fails for good: the rotation is rolled back.
    cf.fake.add_fault(
        Fault::new(Op::VerifyToken, FaultKind::server_error())
            .nth(2)
            .times(20),
    );
    let out = cf
        .cmd(["rotate", "--json", "--timeout", "1s"])
        .store()
        .run();
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(cf.t.read(STORE), before, "not the exact previous bytes");
    assert!(pending_tokens(&cf).is_empty(), "{:?}", pending_tokens(&cf));
}
