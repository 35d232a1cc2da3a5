//! Issue 9, the file-system side: a nearly full disk, symlinked stores, metadata cfsecret must
//! write back as it found it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{Cf, KEY, NAME, STORE, StoreArgs, fixtures, require};
use crate::token_loss::{create_at, stored_at};

/// A small tmpfs mounted for one test, unmounted on drop.
struct Tmpfs(PathBuf);

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Mounts a tmpfs of `kib` KiB at `dir`: root only (CI runs as root). Elsewhere the test is
/// skipped with a reason, and under CI=true that is a failure.
fn tmpfs(dir: &Path, kib: u32) -> Option<Tmpfs> {
    let ci = std::env::var("CI").as_deref() == Ok("true");
    if !is_root() {
        assert!(
            !ci,
            "CI=true but not root: the disk-full tests need to mount a tmpfs"
        );
        eprintln!("skipped: mounting a small tmpfs needs root");
        return None;
    }
    std::fs::create_dir_all(dir).unwrap();
    let ok = Command::new("mount")
        .args([
            "-t",
            "tmpfs",
            "-o",
            &format!("size={kib}k,mode=0700"),
            "tmpfs",
        ])
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(!ci, "CI=true but `mount -t tmpfs` failed");
        eprintln!("skipped: `mount -t tmpfs` failed here");
        return None;
    }
    Some(Tmpfs(dir.to_owned()))
}

/// Fills the file system of `dir` with 4 KiB files, then frees `pages` of them.
fn fill_leaving(dir: &Path, pages: usize) -> Vec<PathBuf> {
    let fill = dir.join("fill");
    std::fs::create_dir_all(&fill).unwrap();
    let mut files = Vec::new();
    for i in 0.. {
        let p = fill.join(format!("{i}"));
        if std::fs::write(&p, vec![0u8; 4096]).is_err() {
            let _ = std::fs::remove_file(&p);
            break;
        }
        files.push(p);
    }
    for p in files.drain(files.len().saturating_sub(pages)..) {
        std::fs::remove_file(p).unwrap();
    }
    files
}

fn age_decrypt(cf: &Cf, file: &str) -> String {
    let key = fixtures().join("keys/age-a.txt");
    cf.t.command("age", ["-d", "-i", key.to_str().unwrap(), file])
        .run()
        .success()
        .stdout
}

/// Item 1: a roll on a disk with one page free. The space the write needs is proven before the
/// roll; the store keeps a live token (or, exit 5, the rescue file has it), and once there is
/// room the next run finishes the job. It used to roll, fail every write, exit 1 `secret_lost`
/// and clear the journal.
#[test]
fn a_roll_on_a_nearly_full_disk_never_loses_the_token() {
    if !require("sops") || !require("age") {
        return;
    }
    let mut cf = Cf::new();
    let disk = cf.t.path("disk");
    let Some(_mount) = tmpfs(&disk, 256) else {
        return;
    };
    for d in ["state", "tmp"] {
        std::fs::create_dir_all(disk.join(d)).unwrap();
    }
    cf.t.env("XDG_STATE_HOME", disk.join("state"));
    cf.t.env("TMPDIR", disk.join("tmp"));
    let store = "disk/s.yml";
    create_at(&cf, store, KEY, NAME);
    let filler = fill_leaving(&disk, 1);
    let out = cf.run(["roll", "--json", "--file", store, "--key", KEY]);
    eprintln!("roll on a full disk: exit {}: {}", out.code, out.stdout);
    if out.code == 5 {
        let file = out.json()["rescue_file"].as_str().unwrap().to_owned();
        assert!(cf.fake.is_active_secret(&age_decrypt(&cf, &file)));
    } else {
        assert!(
            cf.fake.is_active_secret(&stored_at(&cf, store, KEY)),
            "exit {}: the store lost its token: {}",
            out.code,
            out.stdout
        );
    }
    for f in filler {
        std::fs::remove_file(f).unwrap();
    }
    if out.code != 5 {
        cf.run(["roll", "--json", "--file", store, "--key", KEY])
            .success();
        assert!(cf.fake.is_active_secret(&stored_at(&cf, store, KEY)));
    }
    assert_eq!(cf.fake.active_tokens_named(NAME).len(), 1);
}

/// Item 5: a symlinked store is written through the link: the link stays, its target gets the
/// new secret (it used to be replaced by a regular file while the target kept the revoked one),
/// and the lock and journal live next to the target.
#[cfg(unix)]
#[test]
fn a_symlinked_store_is_replaced_at_its_target() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    std::fs::create_dir_all(cf.t.path("real")).unwrap();
    create_at(&cf, "real/s.yml", KEY, NAME);
    std::os::unix::fs::symlink("../real/s.yml", cf.t.path("secrets/link.yml")).unwrap();
    let old = stored_at(&cf, "real/s.yml", KEY);
    cf.run([
        "rotate",
        "--json",
        "--file",
        "secrets/link.yml",
        "--key",
        KEY,
    ])
    .success();
    let link = cf.t.path("secrets/link.yml");
    assert!(
        std::fs::symlink_metadata(&link).unwrap().is_symlink(),
        "the link was replaced by a regular file"
    );
    let new = stored_at(&cf, "real/s.yml", KEY);
    assert_ne!(new, old);
    assert!(
        cf.fake.is_active_secret(&new),
        "the target holds the live token"
    );
    assert!(cf.t.path("real/.s.yml.cfsecret.lock").exists());
    assert!(!cf.t.path("secrets/.link.yml.cfsecret.lock").exists());
}

/// Item 6: `unencrypted_suffix: ""` (or null, ~) is read by sops; cfsecret's write keeps the file
/// readable by both (it used to add a second `unencrypted_suffix` line).
#[test]
fn an_empty_unencrypted_suffix_round_trips() {
    if !require("sops") {
        return;
    }
    for spelling in ["\"\"", "null", "~"] {
        let cf = Cf::new();
        cf.create();
        let text = cf.t.read(STORE);
        assert!(text.contains("unencrypted_suffix: _unencrypted"), "{text}");
        cf.t.write(
            STORE,
            text.replace(
                "unencrypted_suffix: _unencrypted",
                &format!("unencrypted_suffix: {spelling}"),
            ),
        );
        let before = cf.stored();
        cf.cmd(["rotate", "--json"]).store().run().success();
        let after = cf.stored();
        assert_ne!(before, after, "{spelling}");
        assert!(cf.fake.is_active_secret(&after), "{spelling}");
        assert_eq!(
            cf.t.read(STORE).matches("unencrypted_suffix").count(),
            1,
            "{spelling}: {}",
            cf.t.read(STORE)
        );
    }
}

/// Item 6, the general guard: a new version of the file that does not read back is refused
/// before anything irreversible (here the render is corrupted by a debug-build fault point).
#[test]
fn a_file_that_would_not_read_back_is_refused_before_the_roll() {
    if !require("sops") {
        return;
    }
    let cf = Cf::new();
    cf.create();
    let before = cf.t.read(STORE);
    let secret = cf.stored();
    let out =
        cf.t.cfsecret(["roll", "--json"])
            .store()
            .env("CFSECRET_FAULTS", "store.render=corrupt@1")
            .run();
    cf.no_leaks(&out);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stdout.contains("read back"), "{}", out.stdout);
    assert_eq!(cf.t.read(STORE), before, "the file is untouched");
    assert!(cf.fake.is_active_secret(&secret), "no roll was sent");
}

/// Issue 9 polish: the rescue file's disk space is taken before the roll, like the store
/// write's. A roll whose store write fails on a disk where no new file can be made any more
/// (`rescue.create` fails everywhere) still rescues the secret into the room taken before
/// (exit 5, next to the store); without that room it was `secret_lost`. And a disk that cannot
/// give the room stops the run before the roll.
#[test]
fn the_rescue_file_has_its_room_before_the_roll() {
    if !require("sops") || !require("age") {
        return;
    }
    let cf = Cf::new();
    cf.create();
    let out = cf
        .t
        .cfsecret(["roll", "--json", "--file", STORE, "--key", KEY])
        .env(
            "CFSECRET_FAULTS",
            "store.rename=enospc@2,rescue.create=enospc@1,rescue.create=enospc@2,rescue.create=enospc@3",
        )
        .run();
    cf.no_leaks(&out);
    assert_eq!(out.code, 5, "{} {}", out.stdout, out.stderr);
    let file = out.json()["rescue_file"].as_str().unwrap().to_owned();
    assert!(file.starts_with("secrets/"), "next to the store: {file}");
    assert!(cf.fake.is_active_secret(&age_decrypt(&cf, &file)));
    let rooms = |cf: &Cf| -> Vec<String> {
        std::fs::read_dir(cf.t.path("secrets"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("cfsecret-rescue-room"))
            .collect()
    };
    assert!(rooms(&cf).is_empty(), "the room is gone: {:?}", rooms(&cf));

    // No room: nothing is rolled.
    let cf = Cf::new();
    cf.create();
    let before = cf.stored();
    let out =
        cf.t.cfsecret(["roll", "--json", "--file", STORE, "--key", KEY])
            .env("CFSECRET_FAULTS", "rescue.reserve=enospc")
            .run();
    assert_eq!(out.code, 1, "{} {}", out.stdout, out.stderr);
    assert!(out.stdout.contains("rescue file"), "{}", out.stdout);
    assert_eq!(cf.stored(), before, "not rolled: the store is unchanged");
    assert!(cf.fake.is_active_secret(before.trim()), "not rolled");
    assert!(rooms(&cf).is_empty());
}
