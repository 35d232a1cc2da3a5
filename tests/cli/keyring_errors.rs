//! The OS keyring store when it cannot be used: no session bus, a locked collection, no default
//! collection (each on a private session bus of its own, so the shared keyring of the other
//! tests is never locked), the keyring system calls blocked by a real seccomp filter, and bad
//! names. Each is a clear error with a hint, no panic, no secret in any output, nothing minted.

use std::ffi::OsString;

use fake_cloudflare::{Op, Resource, TokenSpec};

use crate::keyring::{Kr, NAME};
use crate::support::{StoreArgs, Test, canary, require};

/// What a private session bus test needs.
fn private_session_tools() -> bool {
    [
        "dbus-run-session",
        "dbus-send",
        "gnome-keyring-daemon",
        "secret-tool",
    ]
    .iter()
    .all(|t| require(t))
}

/// Whether Debian's python3 can install a seccomp filter (python3-seccomp).
fn seccomp_ready() -> bool {
    let ok = std::process::Command::new("/usr/bin/python3")
        .args(["-c", "import seccomp"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "python3-seccomp is not installed, and CI=true: the test command must install it"
            );
        }
        eprintln!(
            "skipped: /usr/bin/python3 cannot import seccomp (apt-get install python3-seccomp)"
        );
    }
    ok
}

#[test]
fn keyutils_refuses_an_at_sign_in_the_service() {
    let t = Test::new();
    let out = t
        .cfsecret([
            "set",
            "--json",
            "--keyring",
            "a@b/user",
            "--keyring-backend",
            "keyutils",
        ])
        .stdin("x")
        .run()
        .code(2);
    assert_eq!(out.json()["error"], "usage");
}

#[test]
fn bad_entries_and_foreign_backends_are_usage_errors() {
    let t = Test::new();
    for spec in ["noslash", "/user", "service/"] {
        let out = t
            .cfsecret(["set", "--json"])
            .keyring(spec)
            .stdin("x")
            .run()
            .code(2);
        assert_eq!(out.json()["error"], "usage", "{spec}");
    }
    let foreign = if cfg!(target_os = "macos") {
        "credential-manager"
    } else {
        "keychain"
    };
    let out = t
        .cfsecret([
            "set",
            "--json",
            "--keyring",
            "s/u",
            "--keyring-backend",
            foreign,
        ])
        .stdin("x")
        .run()
        .code(2);
    let j = out.json();
    assert_eq!(j["error"], "keyring_backend_unavailable");
    assert!(j["hint"].as_str().unwrap().contains("SOPS"), "{j}");
    let out = t
        .cfsecret(["exec", "--keyring", "s/u", "--", "true"])
        .env("CFSECRET_KEYRING_BACKEND", "nonsense")
        .run()
        .code(2);
    assert!(out.stderr.contains("nonsense"), "{}", out.stderr);
}

/// No session bus at all: every command that needs the keyring says so and what to do; nothing
/// is minted.
#[test]
fn no_session_bus_is_a_clear_error() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let mut kr = Kr::new("secret-service", "nobus").isolated();
    // No address, and no runtime directory to guess one from: no bus can be found.
    kr.t.unset("DBUS_SESSION_BUS_ADDRESS");
    kr.t.unset("XDG_RUNTIME_DIR");
    let secret = canary("nobus");
    let out = kr.check(
        kr.t.cfsecret(
            ["set", "-vvv", "--json"]
                .into_iter()
                .map(String::from)
                .chain(kr.store()),
        )
        .stdin(secret.clone())
        .run(),
    );
    let out = out.code(1).hides(&secret);
    let j = out.json();
    assert_eq!(j["error"], "keyring_unreachable");
    let hint = j["hint"].as_str().unwrap();
    for what in [
        "dbus-run-session",
        "--keyring-backend keyutils",
        "SOPS file",
    ] {
        assert!(hint.contains(what), "the hint names {what}: {hint}");
    }
    let before = kr.fake.tokens().len();
    for (cmd, args) in [
        ("verify", vec!["--json"]),
        ("rotate", vec!["--json"]),
        ("exec", vec!["--json"]),
    ] {
        let mut all: Vec<String> = vec![cmd.into(), "-vvv".into()];
        all.extend(args.into_iter().map(String::from));
        all.extend(kr.store());
        if cmd == "exec" {
            all.extend(["--".into(), "true".into()]);
        }
        let out = kr.check(kr.t.cfsecret(all).run()).code(1);
        assert_eq!(out.json()["error"], "keyring_unreachable", "{cmd}");
    }
    let out = kr.create(&[]).code(1);
    assert_eq!(out.json()["error"], "keyring_unreachable");
    // The management token in a keyring nobody can reach: same error, for --auth-keyring.
    kr.t.unset("CLOUDFLARE_API_TOKEN");
    let mut args: Vec<String> = [
        "create",
        "--json",
        "--name",
        NAME,
        "--preset",
        "cert-manager-dns01",
        "--zone",
        "example.com",
        "--file",
        "s.yaml",
        "--key",
        "k",
        "--auth-keyring",
        "cf/admin",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    args.push("-vvv".into());
    let out = kr.check(kr.t.cfsecret(args).run()).code(1);
    assert_eq!(out.json()["error"], "keyring_unreachable");
    assert_eq!(kr.fake.tokens().len(), before, "nothing was minted");
    assert_eq!(kr.count(Op::CreateToken), 0);
}

/// A private session bus for one command, with a GNOME Keyring of its own whose files live in
/// the test directory (so a later session finds the same collection). `setup` is `start`
/// (start the daemon unlocked), `lock` (start it, then lock the login collection), or `none`
/// (start nothing: the bus activates a daemon with no collection at all). `store` is first put
/// at the entry with secret-tool.
fn private_session(
    kr: &Kr,
    setup: &str,
    store: Option<&str>,
    args: &[String],
) -> crate::support::Run {
    const SCRIPT: &str = r#"
set -e
mkdir -p "$XDG_DATA_HOME"; mkdir -p -m 700 "$XDG_RUNTIME_DIR"
if [ "$KR_SETUP" != none ]; then
    # In the foreground (daemonized, GNOME Keyring 42 now and then aborts under load); it ends
    # with the bus.
    printf %s cfsecret-private-test |
        gnome-keyring-daemon --unlock --components=secrets --foreground >/dev/null 2>&1 &
    # Wait for the name without calling it (a call would make the bus start another daemon).
    i=0
    until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; do
        i=$((i + 1)); [ "$i" -lt 100 ] || { echo "the private GNOME Keyring did not start" >&2; exit 99; }
        sleep 0.1
    done
    dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
        org.freedesktop.Secret.Service.ReadAlias string:default | grep -q collection/login ||
        { echo "the private GNOME Keyring has no login collection" >&2; exit 97; }
fi
if [ -n "${KR_STORE:-}" ]; then
    printf %s "$KR_STORE" | secret-tool store --label=test service "$KR_SERVICE" username "$KR_USER"
fi
unset KR_STORE
if [ "$KR_SETUP" = lock ]; then
    dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
        org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login >/dev/null
    dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets/collection/login \
        org.freedesktop.DBus.Properties.Get string:org.freedesktop.Secret.Collection string:Locked |
        grep -q 'boolean true' || { echo "could not lock the collection" >&2; exit 98; }
fi
exec "$@"
"#;
    let mut all: Vec<OsString> = vec![
        "--".into(),
        "sh".into(),
        "-c".into(),
        SCRIPT.into(),
        "sh".into(),
        env!("CARGO_BIN_EXE_cfsecret").into(),
    ];
    all.extend(args.iter().map(OsString::from));
    let mut run =
        kr.t.command("dbus-run-session", all)
            .env("XDG_DATA_HOME", kr.t.path("private-keyring/data"))
            .env("XDG_RUNTIME_DIR", kr.t.path("private-keyring/run"))
            .env("KR_SETUP", setup)
            .env("KR_SERVICE", &kr.service)
            .env("KR_USER", &kr.user);
    run.cmd.env_remove("DBUS_SESSION_BUS_ADDRESS");
    if let Some(v) = store {
        run = run.env("KR_STORE", v);
    }
    run
}

/// A locked collection: reads, writes, create and rotate fail clearly before anything is
/// minted; the stored token is intact and works once the collection is unlocked again.
#[test]
fn locked_collection_is_a_clear_error_and_nothing_is_lost() {
    if !private_session_tools() {
        return;
    }
    let kr = Kr::new("secret-service", "locked").isolated();
    let old = kr.fake.mint(
        TokenSpec::user(NAME)
            .permission(
                "DNS Write",
                Resource::Zone(kr.fake.zone_id("example.com").unwrap()),
            )
            .expires_on(&kr.fake.timestamp(86_400)),
    );
    let with_store = |cmd: &str, more: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = vec![cmd.into(), "-vvv".into(), "--json".into()];
        v.extend(more.iter().map(|s| s.to_string()));
        v.extend(kr.store());
        v
    };
    let tokens_before = kr.fake.tokens().len();

    // rotate: the stored token cannot even be read; nothing is minted or revoked.
    let out =
        kr.check(private_session(&kr, "lock", Some(&old.secret), &with_store("rotate", &[])).run());
    let out = out.code(1);
    let j = out.json();
    assert_eq!(j["error"], "keyring_locked", "{j}");
    assert!(j["hint"].as_str().unwrap().contains("unlock"), "{j}");
    assert_eq!(kr.fake.tokens().len(), tokens_before);
    assert_eq!(kr.count(Op::CreateToken), 0);
    assert!(
        kr.fake.is_active_secret(&old.secret),
        "the stored token still works"
    );

    // set and exec: the same error.
    let secret = canary("locked");
    let out = kr.check(
        private_session(&kr, "lock", None, &with_store("set", &[]))
            .stdin(secret.clone())
            .run(),
    );
    assert_eq!(out.code(1).hides(&secret).json()["error"], "keyring_locked");
    let mut exec = with_store("exec", &[]);
    exec.extend(["--".into(), "true".into()]);
    let out = kr.check(private_session(&kr, "lock", None, &exec).run());
    assert_eq!(out.code(1).json()["error"], "keyring_locked");

    // create into a new entry: the preflight's probe write finds the lock before the mint.
    let mut other = with_store(
        "create",
        &[
            "--name",
            "other",
            "--preset",
            "cert-manager-dns01",
            "--zone",
            "example.com",
        ],
    );
    let pos = other.iter().position(|a| *a == kr.entry()).unwrap();
    other[pos] = format!("{}/someone-else", kr.service);
    let out = kr.check(private_session(&kr, "lock", None, &other).run());
    assert_eq!(out.code(1).json()["error"], "keyring_locked");
    assert_eq!(kr.count(Op::CreateToken), 0, "nothing was minted");

    // Unlocked again (a new daemon over the same files): the token is there, and works.
    let out = kr.check(private_session(&kr, "start", None, &with_store("verify", &[])).run());
    let j = out.success().json();
    assert_eq!(j["token_id"], old.id.as_str());
}

/// A Secret Service with no default collection (a fresh daemon the bus started on demand):
/// a clear error, not a silent fallback.
#[test]
fn no_default_collection_is_a_clear_error() {
    if !private_session_tools() {
        return;
    }
    let kr = Kr::new("secret-service", "nocoll").isolated();
    let secret = canary("nocoll");
    let mut args: Vec<String> = vec!["set".into(), "-vvv".into(), "--json".into()];
    args.extend(kr.store());
    let out = kr.check(
        private_session(&kr, "none", None, &args)
            .stdin(secret.clone())
            .run(),
    );
    let j = out.code(1).hides(&secret).json();
    assert_eq!(j["error"], "keyring_no_collection", "{j}");
    assert!(j["hint"].as_str().unwrap().contains("--unlock"), "{j}");
}

/// The keyring system calls blocked as Docker's default seccomp profile blocks them (EPERM),
/// by a real seccomp filter installed before cfsecret starts.
#[test]
fn denied_keyctl_is_a_clear_error() {
    if !cfg!(target_os = "linux") || !seccomp_ready() {
        return;
    }
    let kr = Kr::new("keyutils", "denied").isolated();
    let blocked = |args: Vec<String>| {
        const FILTER: &str = "import errno, os, sys, seccomp\n\
            f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)\n\
            for call in ('keyctl', 'add_key', 'request_key'):\n    f.add_rule(seccomp.ERRNO(errno.EPERM), call)\n\
            f.load()\n\
            os.execv(sys.argv[1], sys.argv[1:])\n";
        let mut all: Vec<OsString> = vec![
            "-c".into(),
            FILTER.into(),
            env!("CARGO_BIN_EXE_cfsecret").into(),
        ];
        all.extend(args.into_iter().map(OsString::from));
        kr.t.command("/usr/bin/python3", all)
    };
    let with_store = |cmd: &str| -> Vec<String> {
        let mut v: Vec<String> = vec![cmd.into(), "-vvv".into(), "--json".into()];
        v.extend(kr.store());
        v
    };
    let secret = canary("denied");
    let out = kr.check(blocked(with_store("set")).stdin(secret.clone()).run());
    let j = out.code(1).hides(&secret).json();
    assert_eq!(j["error"], "keyctl_denied", "{j}");
    assert!(j["msg"].as_str().unwrap().contains("EPERM"), "{j}");
    assert!(j["hint"].as_str().unwrap().contains("SOPS file"), "{j}");

    let mut create = with_store("create");
    create.extend(
        [
            "--name",
            NAME,
            "--preset",
            "cert-manager-dns01",
            "--zone",
            "example.com",
        ]
        .map(String::from),
    );
    let out = kr.check(blocked(create).run());
    assert_eq!(out.code(1).json()["error"], "keyctl_denied");
    assert_eq!(kr.count(Op::CreateToken), 0, "nothing was minted");

    let mut verify = vec![
        "permissions".to_owned(),
        "--json".into(),
        "--auth-keyring".into(),
        "cf/admin".into(),
    ];
    verify.push("-vvv".into());
    let out = kr.check(
        blocked(verify)
            .env("CFSECRET_KEYRING_BACKEND", "keyutils")
            .run(),
    );
    assert_eq!(out.code(1).json()["error"], "keyctl_denied");
}
