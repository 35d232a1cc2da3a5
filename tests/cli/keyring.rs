//! The OS keyring as a store, through the real binary: GNOME Keyring on the private session bus
//! that scripts/with-keyring starts (./test.sh runs the tests under it) and the kernel keyring
//! (keyutils). Every value cfsecret writes is read back with the platform's own tool
//! (`secret-tool`, `keyctl`), and every token the fake ever issued is checked against every
//! output, at -vvv. What happens when a keyring cannot be used is in keyring_errors.rs.

use std::ffi::OsString;
use std::time::{SystemTime, UNIX_EPOCH};

use fake_cloudflare::{FakeCloudflare, Op};
use sha2::Digest;

use crate::support::{Outcome, Test, assert_no_issued_secret, canary, require};

pub(crate) const NAME: &str = "cell-v0-dns";

/// Whether the private GNOME Keyring of scripts/with-keyring is there. The tests never touch a
/// keyring they did not set up: outside the wrapper they are skipped (under CI=true, fail).
fn secret_service_ready() -> bool {
    if std::env::var_os("CFSECRET_TEST_KEYRING").is_none() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "CI=true, but the tests are not running under scripts/with-keyring with a GNOME Keyring (./test.sh does that)"
            );
        }
        eprintln!(
            "skipped: no private GNOME Keyring (run the tests through ./test.sh or scripts/with-keyring)"
        );
        return false;
    }
    require("secret-tool")
}

/// A name no other test (or earlier run) uses.
pub(crate) fn unique(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("cfsecret-test-{tag}-{}-{nanos:08x}", std::process::id())
}

fn sha256_hex(s: &str) -> String {
    sha2::Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[track_caller]
fn assert_no_panic(out: &Outcome) {
    assert!(
        !out.stderr.contains("panicked") && !out.stderr.contains("RUST_BACKTRACE"),
        "cfsecret panicked: {}",
        out.stderr
    );
}

/// One test's world: a fake Cloudflare, a keyring entry in one backend, and the management
/// token in CLOUDFLARE_API_TOKEN. Removes its keyring entries when dropped.
pub(crate) struct Kr {
    pub(crate) t: Test,
    pub(crate) fake: FakeCloudflare,
    pub(crate) backend: &'static str,
    pub(crate) service: String,
    pub(crate) user: String,
    /// Other entries to remove at the end (service, user).
    extra: std::cell::RefCell<Vec<(String, String)>>,
    /// Whether entries may have gone to the shared keyrings (and are removed at the end).
    shared: bool,
}

impl Kr {
    pub(crate) fn new(backend: &'static str, tag: &str) -> Self {
        let fake = FakeCloudflare::start();
        let mut t = Test::new();
        t.env("CLOUDFLARE_API_BASE_URL", fake.base_url());
        t.env("CLOUDFLARE_API_TOKEN", fake.bootstrap_token());
        let state = t.path("state");
        t.env("XDG_STATE_HOME", state);
        Self {
            t,
            fake,
            backend,
            service: unique(tag),
            // A `/` in the user part: SERVICE/USER splits at the first one.
            user: "ci/dns01".into(),
            extra: Default::default(),
            shared: true,
        }
    }

    /// A world that never writes to the shared keyrings (nothing to clean up there).
    pub(crate) fn isolated(mut self) -> Self {
        self.shared = false;
        self
    }

    pub(crate) fn entry(&self) -> String {
        format!("{}/{}", self.service, self.user)
    }

    /// `--keyring S/U --keyring-backend B`.
    pub(crate) fn store(&self) -> Vec<String> {
        vec![
            "--keyring".into(),
            self.entry(),
            "--keyring-backend".into(),
            self.backend.into(),
        ]
    }

    /// Runs `cfsecret CMD -vvv ARGS... STORE-FLAGS` and checks no issued secret leaked.
    #[track_caller]
    fn run(&self, cmd: &str, args: &[&str]) -> Outcome {
        let mut all: Vec<OsString> = vec![cmd.into(), "-vvv".into()];
        all.extend(args.iter().map(OsString::from));
        all.extend(self.store().into_iter().map(OsString::from));
        self.check(self.t.cfsecret(all).run())
    }

    /// Checks an outcome for leaked secrets and panics.
    #[track_caller]
    pub(crate) fn check(&self, out: Outcome) -> Outcome {
        assert_no_issued_secret(&self.fake, &out);
        assert_no_panic(&out);
        out
    }

    /// `create` of a DNS token for example.com.
    #[track_caller]
    pub(crate) fn create(&self, extra: &[&str]) -> Outcome {
        let mut args = vec![
            "--json",
            "--name",
            NAME,
            "--preset",
            "cert-manager-dns01",
            "--zone",
            "example.com",
            "--expires-in",
            "90d",
        ];
        args.extend_from_slice(extra);
        self.run("create", &args)
    }

    /// The value in the keyring, read with the platform's own tool.
    pub(crate) fn stored(&self) -> Option<String> {
        self.stored_at(&self.service, &self.user)
    }

    fn stored_at(&self, service: &str, user: &str) -> Option<String> {
        match self.backend {
            "secret-service" => {
                let out = self
                    .t
                    .command(
                        "secret-tool",
                        ["lookup", "service", service, "username", user],
                    )
                    .run();
                (out.code == 0 && !out.stdout.is_empty()).then_some(out.stdout)
            }
            "keyutils" => {
                let id = self.key_id(service, user)?;
                let out = self.t.command("keyctl", ["pipe", &id]).run();
                (out.code == 0).then_some(out.stdout)
            }
            other => panic!("no reader for {other}"),
        }
    }

    /// The kernel key id of an entry (`keyring:USER@SERVICE`), if it exists.
    fn key_id(&self, service: &str, user: &str) -> Option<String> {
        let desc = format!("keyring:{user}@{service}");
        let out = self
            .t
            .command("keyctl", ["search", "@s", "user", &desc])
            .run();
        (out.code == 0).then(|| out.stdout.trim().to_owned())
    }

    /// Stores a value with the platform's tool (another program's write).
    fn put_directly(&self, service: &str, user: &str, value: &str) {
        self.extra
            .borrow_mut()
            .push((service.to_owned(), user.to_owned()));
        match self.backend {
            "secret-service" => self
                .t
                .command(
                    "secret-tool",
                    [
                        "store",
                        "--label=cfsecret test",
                        "service",
                        service,
                        "username",
                        user,
                    ],
                )
                .stdin(value)
                .run()
                .success(),
            "keyutils" => self
                .t
                .command(
                    "keyctl",
                    ["padd", "user", &format!("keyring:{user}@{service}"), "@s"],
                )
                .stdin(value)
                .run()
                .success(),
            other => panic!("no writer for {other}"),
        };
    }

    fn remove(&self, service: &str, user: &str) {
        match self.backend {
            "secret-service" => {
                self.t
                    .command(
                        "secret-tool",
                        ["clear", "service", service, "username", user],
                    )
                    .run();
            }
            "keyutils" => {
                // Invalidating removes the key from the session and the persistent keyring.
                while let Some(id) = self.key_id(service, user) {
                    if self.t.command("keyctl", ["invalidate", &id]).run().code != 0 {
                        break;
                    }
                }
            }
            _ => {}
        }
    }

    /// The stored secret must be active at the fake and be token `id`; returns it.
    #[track_caller]
    fn stored_is_active(&self, id: &str) -> String {
        let secret = self.stored().expect("the keyring holds the token");
        let info = self
            .fake
            .token_for_secret(&secret)
            .expect("the stored secret authenticates at the fake");
        assert_eq!(info.id, id);
        assert!(
            self.fake.is_active_secret(&secret),
            "the stored token is active"
        );
        assert!(
            self.t.files_containing(&secret).is_empty(),
            "the plaintext is in a file: {:?}",
            self.t.files_containing(&secret)
        );
        secret
    }

    pub(crate) fn count(&self, op: Op) -> usize {
        self.fake
            .requests()
            .iter()
            .filter(|r| r.op == Some(op))
            .count()
    }
}

impl Drop for Kr {
    fn drop(&mut self) {
        if !self.shared {
            return;
        }
        self.remove(&self.service, &self.user);
        self.remove(&self.service, &format!("{}.cfsecret-probe", self.user));
        for (s, u) in self.extra.borrow().iter() {
            self.remove(s, u);
        }
    }
}

/// set, set again, check mode, exec, and a value another program stored.
fn set_and_exec(kr: &Kr) {
    let secret = canary("keyring-set");
    let out = kr
        .check(
            kr.t.cfsecret(
                ["set", "-vvv", "--json"]
                    .into_iter()
                    .map(String::from)
                    .chain(kr.store()),
            )
            .stdin(secret.clone())
            .run(),
        )
        .success()
        .hides(&secret);
    let j = out.json();
    assert_eq!(
        (j["changed"].as_bool(), j["action"].as_str()),
        (Some(true), Some("stored"))
    );
    assert_eq!(j["store"]["type"], "keyring");
    assert_eq!(j["store"]["backend"], kr.backend);
    assert_eq!(j["store"]["service"], kr.service.as_str());
    assert_eq!(j["store"]["user"], kr.user.as_str());
    assert_eq!(kr.stored().as_deref(), Some(secret.as_str()));
    assert!(
        kr.t.files_containing(&secret).is_empty(),
        "plaintext in a file"
    );

    // The same value again: nothing to do.
    let again =
        kr.t.cfsecret(
            ["set", "--json"]
                .into_iter()
                .map(String::from)
                .chain(kr.store()),
        )
        .stdin(secret.clone())
        .run()
        .success()
        .hides(&secret);
    assert_eq!(again.json()["changed"], false);

    // --check writes nothing.
    let other = canary("keyring-check");
    kr.t.cfsecret(
        ["set", "--check", "--json"]
            .into_iter()
            .map(String::from)
            .chain(kr.store()),
    )
    .stdin(other.clone())
    .run()
    .success()
    .hides(&other);
    assert_eq!(kr.stored().as_deref(), Some(secret.as_str()));

    // exec hands the value to the command (which prints only its hash).
    let hash = |env: &str| {
        let script = format!("printf %s \"${env}\" | sha256sum");
        let mut args: Vec<String> = vec!["exec".into(), "-vvv".into(), "--env".into(), env.into()];
        args.extend(kr.store());
        args.extend(["--".into(), "sh".into(), "-c".into(), script]);
        let out = kr.t.cfsecret(args).run().success().hides(&secret);
        out.stdout
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(hash("CLOUDFLARE_API_TOKEN"), sha256_hex(&secret));
    assert_eq!(hash("CF_TOKEN"), sha256_hex(&secret));

    // A value stored by another program is read as it is.
    let user = format!("{}-other", kr.user);
    let theirs = canary("keyring-theirs");
    kr.put_directly(&kr.service, &user, &theirs);
    let spec = format!("{}/{user}", kr.service);
    let out =
        kr.t.cfsecret([
            "exec",
            "--keyring",
            &spec,
            "--keyring-backend",
            kr.backend,
            "--",
            "sh",
            "-c",
            "printf %s \"$CLOUDFLARE_API_TOKEN\" | sha256sum",
        ])
        .run()
        .success();
    assert!(out.stdout.starts_with(&sha256_hex(&theirs)));

    // The lock lives in the state directory, private.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = kr.t.path("state/cfsecret");
        assert_eq!(
            std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let locks: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".cfsecret.lock"))
            .collect();
        assert_eq!(locks.len(), 1, "one lock file for one entry");
        assert_eq!(
            locks[0].metadata().unwrap().permissions().mode() & 0o777,
            0o600
        );
        let name = locks[0].file_name().to_string_lossy().into_owned();
        assert!(
            name.starts_with(&format!("keyring-{}-", kr.backend)),
            "{name}"
        );
    }
}

/// create → verify → rotate → verify: the keyring holds exactly the token the fake says is
/// active, and the previous one is revoked.
fn lifecycle(kr: &Kr) {
    let created = kr.create(&[]).success().json();
    assert_eq!(
        (created["changed"].as_bool(), created["action"].as_str()),
        (Some(true), Some("created"))
    );
    let id1 = created["token_id"].as_str().unwrap().to_owned();
    assert_eq!(created["store"]["type"], "keyring");
    let s1 = kr.stored_is_active(&id1);
    let active = kr.fake.active_tokens_named(NAME);
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].id, id1);

    let v = kr.run("verify", &["--json"]).success().json();
    assert_eq!(
        (v["action"].as_str(), v["token_id"].as_str()),
        (Some("verified"), Some(id1.as_str()))
    );

    // create again: the entry holds an active token, nothing changes.
    let again = kr.create(&[]).success().json();
    assert_eq!(again["changed"], false);
    assert_eq!(kr.stored().as_deref(), Some(s1.as_str()));

    let r = kr.run("rotate", &["--json"]).success().json();
    assert_eq!(r["action"], "rotated");
    assert_eq!(r["old_token_id"], id1.as_str());
    let id2 = r["token_id"].as_str().unwrap().to_owned();
    assert_ne!(id1, id2);
    let s2 = kr.stored_is_active(&id2);
    assert_ne!(s1, s2);
    assert!(
        !kr.fake.is_active_secret(&s1),
        "the previous secret is rejected"
    );
    assert!(kr.fake.token(&id1).is_none(), "the old token is revoked");
    let active = kr.fake.active_tokens_named(NAME);
    assert_eq!(
        active.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        [id2.as_str()]
    );

    let v = kr.run("verify", &["--json"]).success().json();
    assert_eq!(v["token_id"], id2.as_str());
    // The probe entry of the preflight is gone.
    assert_eq!(
        kr.stored_at(&kr.service, &format!("{}.cfsecret-probe", kr.user)),
        None
    );
}

/// roll refuses to start without a rescue recipient (a keyring has none of its own), and with
/// `--rescue-age` or `SOPS_AGE_RECIPIENTS` rolls the stored token in place.
fn roll(kr: &Kr) {
    let id = kr.create(&[]).success().json()["token_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let s1 = kr.stored_is_active(&id);

    let out = kr.run("roll", &["--json"]).code(2);
    let j = out.json();
    assert_eq!(j["error"], "usage");
    assert!(j["msg"].as_str().unwrap().contains("rescue"), "{j}");
    assert!(j["hint"].as_str().unwrap().contains("--rescue-age"), "{j}");
    assert_eq!(kr.count(Op::RollToken), 0, "nothing was rolled");
    assert_eq!(kr.stored().as_deref(), Some(s1.as_str()));
    assert!(kr.fake.is_active_secret(&s1));

    let recipient = Test::recipient("keys/age-a.txt");
    let r = kr
        .run("roll", &["--json", "--rescue-age", &recipient])
        .success()
        .json();
    assert_eq!(
        (r["action"].as_str(), r["token_id"].as_str()),
        (Some("rolled"), Some(id.as_str()))
    );
    let s2 = kr.stored_is_active(&id);
    assert_ne!(s1, s2);
    assert!(
        !kr.fake.is_active_secret(&s1),
        "the rolled-away secret is rejected"
    );

    // SOPS_AGE_RECIPIENTS serves as the rescue recipient too.
    let mut args: Vec<String> = vec!["roll".into(), "--json".into()];
    args.extend(kr.store());
    let out = kr.check(
        kr.t.cfsecret(args)
            .env("SOPS_AGE_RECIPIENTS", &recipient)
            .run(),
    );
    assert_eq!(out.success().json()["action"], "rolled");
    let s3 = kr.stored_is_active(&id);
    assert!(!kr.fake.is_active_secret(&s2));
    assert_ne!(s2, s3);
    kr.run("verify", &[]).success();
}

/// `--auth-keyring`: the management token itself kept in the keyring.
fn auth_keyring(kr: &mut Kr) {
    let admin_service = unique("admin");
    let admin = format!("{admin_service}/cloudflare");
    kr.extra
        .borrow_mut()
        .push((admin_service.clone(), "cloudflare".into()));
    let bootstrap = kr.fake.bootstrap_token();
    kr.check(
        kr.t.cfsecret(["set", "--keyring", &admin, "--keyring-backend", kr.backend])
            .stdin(bootstrap.clone())
            .run(),
    )
    .success();
    kr.t.unset("CLOUDFLARE_API_TOKEN");

    // Without a credential create cannot work: proof that the keyring one is what is used.
    let out = kr.create(&[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(kr.count(Op::CreateToken), 0);

    let created = kr.create(&["--auth-keyring", &admin]).success().json();
    let id1 = created["token_id"].as_str().unwrap().to_owned();
    kr.stored_is_active(&id1);
    let r = kr
        .run("rotate", &["--json", "--auth-keyring", &admin])
        .success()
        .json();
    let id2 = r["token_id"].as_str().unwrap().to_owned();
    kr.stored_is_active(&id2);
    assert!(kr.fake.token(&id1).is_none());
    // verify --require reads policies with it too.
    kr.run(
        "verify",
        &["--require", "DNS Write", "--auth-keyring", &admin],
    )
    .success();

    // permissions has no --keyring-backend: CFSECRET_KEYRING_BACKEND says where to look.
    let out = kr
        .check(
            kr.t.cfsecret(["permissions", "--json", "--auth-keyring", &admin])
                .env("CFSECRET_KEYRING_BACKEND", kr.backend)
                .run(),
        )
        .success();
    assert!(out.stdout.contains("DNS Write"), "{}", out.stdout);

    // A missing management entry: a clear error, nothing minted.
    let before = kr.fake.tokens().len();
    let missing = format!("{}/nobody", unique("absent"));
    let out = kr.create(&["--force", "--auth-keyring", &missing]).code(1);
    let j = out.json();
    assert_eq!(j["error"], "keyring_entry_missing");
    assert!(
        j["hint"]
            .as_str()
            .unwrap()
            .contains("cfsecret set --keyring"),
        "{j}"
    );
    assert_eq!(kr.fake.tokens().len(), before);
    assert!(!out.stdout.contains(&bootstrap) && !out.stderr.contains(&bootstrap));
}

#[test]
fn secret_service_set_and_exec() {
    if !secret_service_ready() {
        return;
    }
    set_and_exec(&Kr::new("secret-service", "set"));
}

#[test]
fn secret_service_create_verify_rotate_verify() {
    if !secret_service_ready() {
        return;
    }
    lifecycle(&Kr::new("secret-service", "life"));
}

#[test]
fn secret_service_roll_needs_a_rescue_recipient() {
    if !secret_service_ready() {
        return;
    }
    roll(&Kr::new("secret-service", "roll"));
}

#[test]
fn secret_service_auth_keyring() {
    if !secret_service_ready() {
        return;
    }
    auth_keyring(&mut Kr::new("secret-service", "auth"));
}

#[test]
fn secret_service_is_the_default_backend_on_linux() {
    if !cfg!(target_os = "linux") || !secret_service_ready() {
        return;
    }
    let kr = Kr::new("secret-service", "default");
    let secret = canary("keyring-default");
    let out =
        kr.t.cfsecret(["set", "--json", "--keyring", &kr.entry()])
            .stdin(secret.clone())
            .run()
            .success();
    assert_eq!(out.json()["store"]["backend"], "secret-service");
    assert_eq!(kr.stored().as_deref(), Some(secret.as_str()));
}

/// keyutils, unless the kernel refuses keyctl here; then the reason is printed.
pub(crate) fn keyutils_kr(tag: &str) -> Option<Kr> {
    if !require("keyctl") {
        return None;
    }
    let kr = Kr::new("keyutils", tag);
    let probe = canary("keyutils-probe");
    let out =
        kr.t.cfsecret(
            ["set", "--json"]
                .into_iter()
                .map(String::from)
                .chain(kr.store()),
        )
        .stdin(probe)
        .run();
    if out.code != 0 {
        let j = out.json();
        assert_eq!(
            j["error"], "keyctl_denied",
            "only a denied keyctl may skip: {j}"
        );
        eprintln!(
            "skipped: the kernel keyring cannot be used here: {}",
            j["msg"]
        );
        return None;
    }
    kr.remove(&kr.service, &kr.user);
    Some(kr)
}

#[test]
fn keyutils_set_and_exec() {
    if let Some(kr) = keyutils_kr("ku-set") {
        set_and_exec(&kr);
    }
}

#[test]
fn keyutils_create_verify_rotate_verify() {
    if let Some(kr) = keyutils_kr("ku-life") {
        lifecycle(&kr);
    }
}

#[test]
fn keyutils_roll_needs_a_rescue_recipient() {
    if let Some(kr) = keyutils_kr("ku-roll") {
        roll(&kr);
    }
}

#[test]
fn keyutils_auth_keyring() {
    if let Some(mut kr) = keyutils_kr("ku-auth") {
        auth_keyring(&mut kr);
    }
}
