//! The test harness: a fluent builder over a temp dir, running the real binary.
//!
//! Every test gets its own directory and a clean environment (its own HOME, no SOPS_* or
//! CLOUDFLARE_* from the developer's shell), so nothing depends on the machine's keys.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// The repository's fixture directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Whether an external tool is available. Missing: on a laptop the test is skipped with a
/// printed reason; under CI=true a missing tool fails the test.
pub fn require(tool: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    if !found {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("`{tool}` is not installed, and CI=true: the test command must install it");
        }
        eprintln!("skipped: `{tool}` is not installed (run ./test.sh to install the test tools)");
    }
    found
}

/// One test's world.
pub struct Test {
    pub dir: tempfile::TempDir,
    env: BTreeMap<String, OsString>,
    cwd: PathBuf,
}

impl Default for Test {
    fn default() -> Self {
        Self::new()
    }
}

impl Test {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let mut env = BTreeMap::new();
        for keep in [
            "PATH",
            "LANG",
            "TMPDIR",
            "DBUS_SESSION_BUS_ADDRESS",
            "XDG_RUNTIME_DIR",
        ] {
            if let Some(v) = std::env::var_os(keep) {
                env.insert(keep.to_owned(), v);
            }
        }
        env.insert("HOME".into(), home.into_os_string());
        let cwd = dir.path().to_owned();
        Self { dir, env, cwd }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, contents).unwrap();
        p
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// Copies a file from `fixtures/` into the test dir.
    pub fn fixture(&self, from: &str, to: &str) -> PathBuf {
        let bytes =
            std::fs::read(fixtures().join(from)).unwrap_or_else(|e| panic!("fixture {from}: {e}"));
        self.write(to, bytes)
    }

    pub fn env(&mut self, k: &str, v: impl Into<OsString>) -> &mut Self {
        self.env.insert(k.to_owned(), v.into());
        self
    }

    pub fn unset(&mut self, k: &str) -> &mut Self {
        self.env.remove(k);
        self
    }

    pub fn cwd(&mut self, rel: &str) -> &mut Self {
        self.cwd = self.path(rel);
        std::fs::create_dir_all(&self.cwd).unwrap();
        self
    }

    /// Puts the given fixture identity files into one keys file and points SOPS_AGE_KEY_FILE at it.
    pub fn age_keys(&mut self, files: &[&str]) -> &mut Self {
        let mut all = String::new();
        for f in files {
            all.push_str(&std::fs::read_to_string(fixtures().join(f)).unwrap());
            all.push('\n');
        }
        let p = self.write("keys.txt", all);
        self.env("SOPS_AGE_KEY_FILE", p)
    }

    /// The public recipient of a fixture key (`keys/age-a.txt` → `age1…`).
    pub fn recipient(key_file: &str) -> String {
        let text = std::fs::read_to_string(fixtures().join(key_file)).unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("# public key: "))
            .expect("public key comment")
            .trim()
            .to_owned()
    }

    /// cfsecret with these arguments.
    pub fn cfsecret<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.command(env!("CARGO_BIN_EXE_cfsecret"), args)
    }

    /// The real sops with these arguments, in the same environment.
    pub fn sops<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.command("sops", args)
    }

    pub fn command<I, S>(&self, program: impl Into<OsString>, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut cmd = Command::new(program.into());
        cmd.args(args.into_iter().map(Into::into))
            .env_clear()
            .envs(&self.env)
            .current_dir(&self.cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        Run { cmd, stdin: None }
    }

    /// Every file under the test dir whose bytes contain `needle`.
    pub fn files_containing(&self, needle: &str) -> Vec<PathBuf> {
        fn walk(dir: &Path, needle: &[u8], out: &mut Vec<PathBuf>) {
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, needle, out);
                } else if let Ok(b) = std::fs::read(&p)
                    && b.windows(needle.len()).any(|w| w == needle)
                {
                    out.push(p);
                }
            }
        }
        let mut out = Vec::new();
        walk(self.dir.path(), needle.as_bytes(), &mut out);
        out
    }
}

/// A command to run.
pub struct Run {
    pub cmd: Command,
    stdin: Option<Vec<u8>>,
}

impl Run {
    pub fn stdin(mut self, s: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(s.into());
        self.cmd.stdin(Stdio::piped());
        self
    }

    pub fn arg(mut self, a: impl Into<OsString>) -> Self {
        self.cmd.arg(a.into());
        self
    }

    pub fn env(mut self, k: &str, v: impl Into<OsString>) -> Self {
        self.cmd.env(k, v.into());
        self
    }

    pub fn run(mut self) -> Outcome {
        let mut child = self
            .cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {:?}: {e}", self.cmd.get_program()));
        if let Some(input) = self.stdin.take() {
            let mut pipe = child.stdin.take().unwrap();
            std::thread::spawn(move || {
                let _ = pipe.write_all(&input);
            });
        }
        let out = child.wait_with_output().unwrap();
        Outcome {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            program: format!("{:?}", self.cmd.get_program()),
        }
    }
}

/// What a command did.
#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    program: String,
}

impl Outcome {
    #[track_caller]
    pub fn success(self) -> Self {
        assert_eq!(
            self.code, 0,
            "{} failed:\nstdout: {}\nstderr: {}",
            self.program, self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn code(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "{}: unexpected exit code\nstdout: {}\nstderr: {}",
            self.program, self.stdout, self.stderr
        );
        self
    }

    /// stdout as exactly one JSON object.
    #[track_caller]
    pub fn json(&self) -> Value {
        let trimmed = self.stdout.trim();
        assert_eq!(
            trimmed.lines().count(),
            1,
            "expected one JSON line on stdout, got: {}",
            self.stdout
        );
        serde_json::from_str(trimmed)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }

    /// Asserts `needle` is in neither stdout nor stderr.
    #[track_caller]
    pub fn hides(self, needle: &str) -> Self {
        assert!(
            !self.stdout.contains(needle),
            "secret leaked on stdout: {}",
            self.stdout
        );
        assert!(
            !self.stderr.contains(needle),
            "secret leaked on stderr: {}",
            self.stderr
        );
        self
    }
}

/// Numbered lines (1-based).
pub type Lines = Vec<(usize, String)>;

/// The lines removed from `before` and added in `after`, with 1-based line numbers.
pub fn line_changes(before: &str, after: &str) -> (Lines, Lines) {
    let diff = similar::TextDiff::from_lines(before, after);
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Delete => {
                removed.push((change.old_index().unwrap() + 1, change.value().to_owned()))
            }
            similar::ChangeTag::Insert => {
                added.push((change.new_index().unwrap() + 1, change.value().to_owned()))
            }
            similar::ChangeTag::Equal => {}
        }
    }
    (removed, added)
}

/// SHA-256 of a file, to prove it was not touched.
pub fn digest(path: &Path) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}

/// A recognisable secret for leak checks.
pub fn canary(tag: &str) -> String {
    format!("cfsecret-canary-{tag}-7f3a9c2e1b")
}

/// A test world with a running fake Cloudflare: cfsecret points at it, the management token is
/// the fake's bootstrap token (in CLOUDFLARE_API_TOKEN), new files go to fixture key A.
pub struct Cf {
    pub t: Test,
    pub fake: fake_cloudflare::FakeCloudflare,
}

/// Panics if any secret `fake` ever issued (the bootstrap token included) is in `out`'s stdout
/// or stderr.
#[track_caller]
pub fn assert_no_issued_secret(fake: &fake_cloudflare::FakeCloudflare, out: &Outcome) {
    for secret in fake.issued_secrets() {
        assert!(
            !out.stdout.contains(&secret),
            "a token secret leaked on stdout: {}",
            out.stdout
        );
        assert!(
            !out.stderr.contains(&secret),
            "a token secret leaked on stderr: {}",
            out.stderr
        );
    }
}

/// The store every token test uses.
pub const STORE: &str = "secrets/cell-v0.yml";
/// Its key.
pub const KEY: &str = "cloudflare_api_token";
/// The token name the tests create.
pub const NAME: &str = "cell-v0-dns";

impl Cf {
    pub fn new() -> Self {
        Self::with(fake_cloudflare::Config::default())
    }

    pub fn with(config: fake_cloudflare::Config) -> Self {
        let fake = fake_cloudflare::FakeCloudflare::start_with(config);
        let mut t = Test::new();
        t.age_keys(&["keys/age-a.txt"]);
        t.env("CLOUDFLARE_API_BASE_URL", fake.base_url());
        t.env("CLOUDFLARE_API_TOKEN", fake.bootstrap_token());
        t.env("SOPS_AGE_RECIPIENTS", Test::recipient("keys/age-a.txt"));
        let state = t.path("state");
        t.env("XDG_STATE_HOME", state);
        std::fs::create_dir_all(t.path("secrets")).unwrap();
        Self { t, fake }
    }

    /// Runs cfsecret and checks that no secret the fake ever issued appears in its output.
    #[track_caller]
    pub fn run<I, S>(&self, args: I) -> Outcome
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let out = self.t.cfsecret(args).run();
        self.no_leaks(&out);
        out
    }

    #[track_caller]
    pub fn no_leaks(&self, out: &Outcome) {
        assert_no_issued_secret(&self.fake, out);
    }

    /// Arguments naming the standard store.
    pub fn store_args<'a>(&self, more: &[&'a str]) -> Vec<&'a str> {
        let mut v = vec!["--file", STORE, "--key", KEY];
        v.extend_from_slice(more);
        v
    }

    /// `create` of the standard token (cert-manager preset on example.com, 90 days).
    #[track_caller]
    pub fn create(&self) -> Value {
        let mut args = vec![
            "create",
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
        args.extend(self.store_args(&[]));
        self.run(args).success().json()
    }

    /// The secret in the store, as sops decrypts it.
    #[track_caller]
    pub fn stored(&self) -> String {
        self.t
            .sops(["decrypt", "--extract", &format!("[{KEY:?}]"), STORE])
            .run()
            .success()
            .stdout
    }

    /// Every plaintext file under the test dir that holds one of the fake's secrets.
    pub fn secrets_on_disk(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for s in self.fake.issued_secrets() {
            found.extend(self.t.files_containing(&s));
        }
        found
    }
}

/// The store arguments, spelled the way a user types them: `cli.file(&path).key("k")`,
/// `cli.keyring("svc/user")`, or `cli.store()` for the standard [`STORE`] and [`KEY`].
pub trait StoreArgs: Sized {
    /// Appends one argument.
    fn push(self, a: impl Into<OsString>) -> Self;

    /// `--file PATH`.
    fn file(self, path: impl Into<OsString>) -> Self {
        self.push("--file").push(path)
    }

    /// `--key KEYPATH`.
    fn key(self, key: &str) -> Self {
        self.push("--key").push(key)
    }

    /// `--keyring SERVICE/USER`.
    fn keyring(self, entry: &str) -> Self {
        self.push("--keyring").push(entry)
    }

    /// `--file STORE --key KEY`, the store every token test uses.
    fn store(self) -> Self {
        self.file(STORE).key(KEY)
    }

    /// More arguments, as typed.
    fn args(self, more: &[&str]) -> Self {
        more.iter().fold(self, |r, a| r.push(*a))
    }
}

impl StoreArgs for Run {
    fn push(self, a: impl Into<OsString>) -> Self {
        self.arg(a)
    }
}

/// A cfsecret command in a [`Cf`] world; running it checks that no issued secret leaked.
pub struct CfRun<'a> {
    cf: &'a Cf,
    run: Run,
}

impl StoreArgs for CfRun<'_> {
    fn push(mut self, a: impl Into<OsString>) -> Self {
        self.run = self.run.arg(a);
        self
    }
}

impl CfRun<'_> {
    pub fn arg(self, a: impl Into<OsString>) -> Self {
        self.push(a)
    }

    pub fn stdin(mut self, s: impl Into<Vec<u8>>) -> Self {
        self.run = self.run.stdin(s);
        self
    }

    pub fn env(mut self, k: &str, v: impl Into<OsString>) -> Self {
        self.run = self.run.env(k, v);
        self
    }

    #[track_caller]
    pub fn run(self) -> Outcome {
        let out = self.run.run();
        self.cf.no_leaks(&out);
        out
    }
}

impl Cf {
    /// `cfsecret ARGS…`, to be completed with store arguments: `cf.cmd(["verify"]).store().run()`.
    pub fn cmd<I, S>(&self, args: I) -> CfRun<'_>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        CfRun {
            cf: self,
            run: self.t.cfsecret(args),
        }
    }
}
