//! Hostile input and output: every case is one run of the binary, under a memory limit and a
//! deadline, and every case asserts the same things — no panic, no hang, bounded memory, the
//! contract's exit code, an error that names the problem and says what to do, the target file
//! byte-for-byte unchanged, no secret or canary in any output, and no raw control character on
//! the terminal.
//!
//! `regressions.rs` holds the defects issue 11 (and issue 10's "bounded" section) named, one
//! test each; `corpus_*.rs` the table-driven corpus.

mod api;
mod corpus_args;
mod corpus_env;
mod corpus_files;
mod mutations;
mod regressions;

use std::ffi::OsString;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Test, digest, require};

/// The address-space limit each run gets. cfsecret's own baseline is far below it; an alias
/// bomb, `/dev/zero` read to the end or a flood from a key command goes far above it.
pub const MEMORY_LIMIT: u64 = 1024 * 1024 * 1024;
/// A run that takes longer is a hang (the slowest case waits for a 1s key-command timeout).
pub const DEADLINE: Duration = Duration::from_secs(30);

/// What a bounded run did.
#[derive(Debug)]
pub struct Out {
    /// Exit code; `None` when killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// One case: how to run it, and what must be true afterwards.
pub struct Case {
    /// Shown on failure.
    pub name: String,
    /// The arguments.
    pub args: Vec<String>,
    /// Standard input.
    pub stdin: Option<Vec<u8>>,
    /// Extra environment for this run.
    pub env: Vec<(String, OsString)>,
    /// The exit code the contract requires.
    pub code: i32,
    /// Words the human error must contain (lower-cased match), naming the problem.
    pub mentions: Vec<String>,
    /// Whether a `hint:` line (what to do) is required.
    pub hint: bool,
    /// Files that must be byte-for-byte unchanged (or still absent).
    pub unchanged: Vec<PathBuf>,
    /// Texts that must appear in no output (secrets, canaries).
    pub secrets: Vec<String>,
}

impl Case {
    pub fn new(name: impl Into<String>, args: &[&str]) -> Self {
        Self {
            name: name.into(),
            args: args.iter().map(|s| (*s).to_owned()).collect(),
            stdin: None,
            env: Vec::new(),
            code: 1,
            mentions: Vec::new(),
            hint: true,
            unchanged: Vec::new(),
            secrets: Vec::new(),
        }
    }

    pub fn code(mut self, code: i32) -> Self {
        self.code = code;
        self
    }

    pub fn mentions(mut self, words: &[&str]) -> Self {
        self.mentions.extend(words.iter().map(|w| w.to_lowercase()));
        self
    }

    pub fn no_hint(mut self) -> Self {
        self.hint = false;
        self
    }

    pub fn stdin(mut self, s: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(s.into());
        self
    }

    pub fn env(mut self, k: &str, v: impl Into<OsString>) -> Self {
        self.env.push((k.to_owned(), v.into()));
        self
    }

    pub fn unchanged(mut self, p: PathBuf) -> Self {
        self.unchanged.push(p);
        self
    }

    pub fn secret(mut self, s: impl Into<String>) -> Self {
        self.secrets.push(s.into());
        self
    }
}

/// Runs cfsecret under `prlimit --as` with a deadline.
pub fn bounded(t: &Test, case: &Case) -> Out {
    let mut run = t.cfsecret(&case.args);
    for (k, v) in &case.env {
        run = run.env(k, v.clone());
    }
    let c = &run.cmd;
    let mut cmd = Command::new("prlimit");
    cmd.arg(format!("--as={MEMORY_LIMIT}"))
        .arg("--")
        .arg(c.get_program())
        .args(c.get_args())
        .env_clear();
    for (k, v) in c.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    if let Some(d) = c.get_current_dir() {
        cmd.current_dir(d);
    }
    cmd.stdin(if case.stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn prlimit");
    if let Some(input) = case.stdin.clone() {
        let mut pipe = child.stdin.take().unwrap();
        std::thread::spawn(move || {
            let _ = std::io::Write::write_all(&mut pipe, &input);
        });
    }
    let reader = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let out = reader(Box::new(child.stdout.take().unwrap()));
    let err = reader(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{}: cfsecret hung (killed after {DEADLINE:?})", case.name);
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Out {
        code: status.code(),
        stdout: String::from_utf8_lossy(&out.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
    }
}

/// A character that must never reach the terminal raw.
fn raw_control(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Runs the case and checks everything a hostile-input case must satisfy.
#[track_caller]
pub fn check(t: &Test, case: &Case) -> Out {
    let before: Vec<Option<Vec<u8>>> = case
        .unchanged
        .iter()
        .map(|p| p.is_file().then(|| digest(p)))
        .collect();
    let out = bounded(t, case);
    let name = &case.name;
    let all = format!("{}\n{}", out.stdout, out.stderr);
    assert_ne!(out.code, Some(101), "{name}: panicked\n{all}");
    assert!(!all.contains("panicked at"), "{name}: panicked\n{all}");
    assert!(
        out.code.is_some(),
        "{name}: killed by a signal (memory limit or crash)\n{all}"
    );
    assert_eq!(
        out.code,
        Some(case.code),
        "{name}: exit code\nstdout: {}\nstderr: {}",
        out.stdout,
        out.stderr
    );
    for s in &case.secrets {
        assert!(!all.contains(s.as_str()), "{name}: {s} leaked\n{all}");
    }
    if let Some(c) = all.chars().find(|c| raw_control(*c)) {
        panic!("{name}: raw control character {c:?} on the terminal\n{all:?}");
    }
    if case.code != 0 {
        // With --json the error is the one object on stdout; otherwise it is on stderr.
        let json = case.args.iter().any(|a| a == "--json");
        let text = if json { &out.stdout } else { &out.stderr };
        if json {
            let v: serde_json::Value = serde_json::from_str(text.trim())
                .unwrap_or_else(|e| panic!("{name}: stdout is not one JSON object ({e}): {text}"));
            assert_eq!(v["failed"], true, "{name}: {v}");
        }
        let lower = text.to_lowercase();
        assert!(lower.contains("error"), "{name}: no error message\n{text}");
        for m in &case.mentions {
            assert!(
                lower.contains(m.as_str()),
                "{name}: the error does not mention {m:?}\n{text}"
            );
        }
        if case.hint {
            assert!(
                text.contains("hint") || text.contains("note: "),
                "{name}: no hint says what to do\n{text}"
            );
        }
        for (p, d) in case.unchanged.iter().zip(&before) {
            match d {
                Some(d) => assert_eq!(&digest(p), d, "{name}: {} was changed", p.display()),
                None => assert!(
                    !p.exists() || !p.is_file(),
                    "{name}: {} was created",
                    p.display()
                ),
            }
        }
    }
    out
}

/// Runs every case in `t` (cases use their own file names, and their own environment).
pub fn check_all(t: &Test, cases: &[Case]) {
    if !require("prlimit") {
        return;
    }
    for case in cases {
        check(t, case);
    }
    eprintln!("{} hostile cases passed", cases.len());
}

/// A world with fixture key A and its recipient for new files.
pub fn world() -> Test {
    let mut t = Test::new();
    t.age_keys(&["keys/age-a.txt"]);
    t.env("SOPS_AGE_RECIPIENTS", Test::recipient("keys/age-a.txt"));
    t.env("XDG_STATE_HOME", t.path("state"));
    t
}
