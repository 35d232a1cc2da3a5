//! Unattended operation, each part through the real binary and the real tool: the run log line,
//! the Ansible example (ansible-playbook with community.sops), the cron line, the systemd units
//! (systemd-analyze), concurrent rotations as overlapping cron jobs start them, and install.sh
//! with completions and man pages.

mod ansible;
mod check_mode;
mod concurrency;
mod cron;
mod install;
mod runlog;
mod systemd;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fake_cloudflare::FakeCloudflare;

use crate::support::{Outcome, StoreArgs, Test};

/// The store, name and zone every test here uses (the examples' own).
pub const FILE: &str = "secrets/cell-v0.yml";
pub const KEY: &str = "cloudflare_api_token";
pub const NAME: &str = "cell-v0-dns";
pub const MGMT: &str = "secrets/mgmt.yml";
pub const MGMT_KEY: &str = "cloudflare_mgmt_token";
pub const DAY: u64 = 86_400;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A test directory with age keys, a fake Cloudflare, and the management token (the fake's
/// bootstrap token) stored in `secrets/mgmt.yml`.
pub struct World {
    pub t: Test,
    pub fake: FakeCloudflare,
}

impl World {
    pub fn new() -> Self {
        Self::in_dir("")
    }

    /// The same, with the secrets under `dir/` (e.g. next to a copied playbook).
    pub fn in_dir(dir: &str) -> Self {
        let fake = FakeCloudflare::start();
        let mut t = Test::new();
        t.age_keys(&["keys/age-a.txt"]);
        t.env("CLOUDFLARE_API_BASE_URL", fake.base_url());
        t.env("SOPS_AGE_RECIPIENTS", Test::recipient("keys/age-a.txt"));
        let mgmt = join(dir, MGMT);
        std::fs::create_dir_all(t.path(&mgmt).parent().unwrap()).unwrap();
        t.cfsecret(["set"])
            .file(&mgmt)
            .key(MGMT_KEY)
            .stdin(fake.bootstrap_token())
            .run()
            .success();
        World { t, fake }
    }

    /// `cfsecret create` of the examples' token, with `extra` flags.
    pub fn create(&self, extra: &[&str]) -> Outcome {
        let mut args = vec![
            "create",
            "--file",
            FILE,
            "--key",
            KEY,
            "--name",
            NAME,
            "--preset",
            "cert-manager-dns01",
            "--zone",
            "example.com",
            "--expires-in",
            "90d",
            "--auth-file",
            MGMT,
            "--auth-key",
            MGMT_KEY,
        ];
        args.extend_from_slice(extra);
        self.t.cfsecret(args).run()
    }

    /// `cfsecret rotate --max-age 30d` of the examples' token, with `extra` flags.
    pub fn rotate(&self, extra: &[&str]) -> crate::support::Run {
        let mut args = vec![
            "rotate",
            "--file",
            FILE,
            "--key",
            KEY,
            "--auth-file",
            MGMT,
            "--auth-key",
            MGMT_KEY,
            "--max-age",
            "30d",
        ];
        args.extend_from_slice(extra);
        self.t.cfsecret(args)
    }

    /// The one active token named [`NAME`] at the fake (panics unless there is exactly one).
    pub fn active_id(&self) -> String {
        let active = self.fake.active_tokens_named(NAME);
        assert_eq!(
            active.len(),
            1,
            "exactly one active token named {NAME}: {active:#?}"
        );
        active[0].id.clone()
    }

    /// The secret of the token with this id, from the fake's record of what it issued.
    pub fn secret_of(&self, id: &str) -> String {
        self.fake
            .issued_secrets()
            .into_iter()
            .find(|s| self.fake.token_for_secret(s).is_some_and(|t| t.id == id))
            .unwrap_or_else(|| panic!("no live secret for token {id}"))
    }

    /// What the real sops decrypts at `key` of `file` (MAC verified).
    pub fn sops_extract(&self, file: &str, key: &str) -> String {
        self.t
            .sops(["decrypt", "--extract", &format!("[\"{key}\"]"), file])
            .run()
            .success()
            .stdout
    }

    /// Makes the active token look `days` old.
    pub fn age_token(&self, days: u64) {
        self.fake.backdate(&self.active_id(), days * DAY);
    }

    /// Every secret the fake issued (the bootstrap token included): none may leak.
    pub fn secrets(&self) -> Vec<String> {
        self.fake.issued_secrets()
    }
}

fn join(dir: &str, rel: &str) -> String {
    if dir.is_empty() {
        rel.to_owned()
    } else {
        format!("{dir}/{rel}")
    }
}

/// Asserts none of `secrets` is in `text`.
#[track_caller]
pub fn assert_no_secret(text: &str, secrets: &[String], what: &str) {
    for s in secrets {
        assert!(
            !text.contains(s.as_str()),
            "a secret leaked into {what}:\n{text}"
        );
    }
}

/// The run log lines in `stderr`, parsed: `time`, `command` and every `key=value`.
pub fn run_log_lines(stderr: &str) -> Vec<BTreeMap<String, String>> {
    stderr.lines().filter_map(parse_run_log).collect()
}

/// Parses one run log line: `TIME cfsecret COMMAND key=value ...`, values bare or quoted.
pub fn parse_run_log(line: &str) -> Option<BTreeMap<String, String>> {
    let mut words = line.splitn(3, ' ');
    let (time, prog) = (words.next()?, words.next()?);
    if prog != "cfsecret" || !is_utc_second(time) {
        return None;
    }
    let rest = words.next()?;
    let (command, mut rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let mut out = BTreeMap::new();
    out.insert("time".to_owned(), time.to_owned());
    out.insert("command".to_owned(), command.to_owned());
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let (value, after) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let end = loop {
                match chars.next()? {
                    (i, '"') => break i + 1,
                    (_, '\\') => value.push(chars.next()?.1),
                    (_, c) => value.push(c),
                }
            };
            (value, &quoted[end..])
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            (after[..end].to_owned(), &after[end..])
        };
        out.insert(key.to_owned(), value);
        rest = after.strip_prefix(' ').unwrap_or(after);
    }
    Some(out)
}

/// `2026-11-22T04:11:46Z`: UTC, whole seconds.
fn is_utc_second(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

/// Copies a directory tree.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}
