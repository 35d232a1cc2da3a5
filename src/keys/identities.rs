//! Finding the user's age identities exactly where sops looks for them.
//!
//! All sources are combined, as in sops: `SOPS_AGE_SSH_PRIVATE_KEY_FILE`,
//! `SOPS_AGE_SSH_PRIVATE_KEY_CMD`, `~/.ssh/id_ed25519`, `~/.ssh/id_rsa`, `SOPS_AGE_KEY` (several
//! keys per line allowed, sops ≥ 3.13), `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`, then
//! `<config dir>/sops/age/keys.txt`. A broken source is reported but does not stop the others.
//! Key material is read into zeroizing buffers and never appears in a message.

use std::collections::BTreeMap;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

mod ssh_cmd;

/// An identity that can unwrap a data key, boxed for dynamic use.
pub(crate) type BoxedIdentity = Box<dyn age::Identity + Send + Sync>;

/// The identities found, plus what was looked at, for error messages.
#[derive(Default)]
pub(crate) struct Identities {
    identities: Vec<BoxedIdentity>,
    /// Where identities were looked for but none were found.
    pub(crate) looked_in: Vec<String>,
    /// Sources that exist but could not be used, with the reason.
    pub(crate) problems: Vec<String>,
    /// `SOPS_AGE_KEY_CMD`, run only if the other identities do not decrypt a key.
    key_cmd: Option<String>,
    /// `SOPS_AGE_SSH_PRIVATE_KEY_CMD`, likewise run only when needed (see `ssh_cmd`).
    ssh_key_cmd: Option<String>,
}

impl std::fmt::Debug for Identities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identities")
            .field("count", &self.identities.len())
            .field("looked_in", &self.looked_in)
            .field("problems", &self.problems)
            .finish()
    }
}

/// The sops user config directory (`$XDG_CONFIG_HOME`, `~/.config`; on macOS
/// `~/Library/Application Support` when `XDG_CONFIG_HOME` is unset; `%AppData%` on Windows).
pub(crate) fn user_config_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
        return Some(PathBuf::from(x));
    }
    if cfg!(windows) {
        return std::env::var_os("APPDATA").map(PathBuf::from);
    }
    let home = home_dir()?;
    Some(if cfg!(target_os = "macos") {
        home.join("Library/Application Support")
    } else {
        home.join(".config")
    })
}

/// The user's home directory.
pub(crate) fn home_dir() -> Option<PathBuf> {
    std::env::var_os(if cfg!(windows) { "USERPROFILE" } else { "HOME" })
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

impl Identities {
    /// Loads every source sops would load.
    pub(crate) fn discover() -> Self {
        let mut ids = Self::default();
        ids.load_ssh_sources();
        match std::env::var("SOPS_AGE_KEY") {
            Ok(text) => ids.load_text("SOPS_AGE_KEY", one_key_per_line(&Zeroizing::new(text))),
            Err(_) => ids.looked_in.push("SOPS_AGE_KEY".into()),
        }
        match std::env::var_os("SOPS_AGE_KEY_FILE") {
            Some(path) => ids.load_file("SOPS_AGE_KEY_FILE", Path::new(&path), true),
            None => ids.looked_in.push("SOPS_AGE_KEY_FILE".into()),
        }
        match std::env::var("SOPS_AGE_KEY_CMD") {
            Ok(cmd) if !cmd.trim().is_empty() => ids.key_cmd = Some(cmd),
            _ => ids.looked_in.push("SOPS_AGE_KEY_CMD".into()),
        }
        match user_config_dir() {
            Some(dir) => {
                let path = dir.join("sops").join("age").join("keys.txt");
                ids.load_file(&path.display().to_string(), &path, false);
            }
            None => ids
                .problems
                .push("the user config directory could not be determined".into()),
        }
        ids
    }

    /// Identities from explicit text (tests).
    #[cfg(test)]
    pub(crate) fn from_text(label: &str, text: &str) -> Self {
        let mut ids = Self::default();
        ids.load_text(label, Zeroizing::new(text.to_owned()));
        ids
    }

    /// Whether nothing was found and there is no command to run.
    pub(crate) fn is_empty(&self) -> bool {
        self.identities.is_empty() && self.key_cmd.is_none() && self.ssh_key_cmd.is_none()
    }

    /// The loaded identities.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &dyn age::Identity> {
        self.identities
            .iter()
            .map(|i| i.as_ref() as &dyn age::Identity)
    }

    /// Runs `SOPS_AGE_KEY_CMD` (once per recipient, with `SOPS_AGE_RECIPIENT` set as sops 3.12
    /// does) and returns the identities it prints.
    pub(crate) fn key_cmd_identities(&mut self, recipient: &str) -> Vec<BoxedIdentity> {
        let Some(cmd) = self.key_cmd.clone() else {
            return Vec::new();
        };
        let Some(args) = shlex::split(&cmd).filter(|a| !a.is_empty()) else {
            self.problems
                .push("SOPS_AGE_KEY_CMD could not be split into a command line".into());
            self.key_cmd = None;
            return Vec::new();
        };
        match super::key_cmd::run(&args, recipient) {
            Ok(stdout) => {
                let text = Zeroizing::new(String::from_utf8_lossy(&stdout).into_owned());
                let mut found = Self::default();
                found.load_text("SOPS_AGE_KEY_CMD", text);
                self.problems.append(&mut found.problems);
                found.identities
            }
            Err(e) => {
                self.problems
                    .push(format!("SOPS_AGE_KEY_CMD `{}` {e}", args[0]));
                // A command that cannot start, floods or hangs is not run again for the next
                // recipient; one that merely failed might succeed for another.
                if !matches!(e, super::key_cmd::KeyCmdError::Failed(_)) {
                    self.key_cmd = None;
                }
                Vec::new()
            }
        }
    }

    fn load_ssh_sources(&mut self) {
        match std::env::var_os("SOPS_AGE_SSH_PRIVATE_KEY_FILE") {
            Some(path) => self.load_ssh(Path::new(&path), "SOPS_AGE_SSH_PRIVATE_KEY_FILE"),
            None => self.looked_in.push("SOPS_AGE_SSH_PRIVATE_KEY_FILE".into()),
        }
        match std::env::var("SOPS_AGE_SSH_PRIVATE_KEY_CMD") {
            Ok(cmd) if !cmd.trim().is_empty() => self.ssh_key_cmd = Some(cmd),
            _ => self.looked_in.push("SOPS_AGE_SSH_PRIVATE_KEY_CMD".into()),
        }
        if let Some(home) = home_dir() {
            for name in ["id_ed25519", "id_rsa"] {
                let path = home.join(".ssh").join(name);
                if path.exists() {
                    self.load_ssh(&path, &path.display().to_string());
                } else {
                    self.looked_in.push(path.display().to_string());
                }
            }
        }
    }

    fn load_ssh(&mut self, path: &Path, label: &str) {
        let bytes = match crate::bounded::read(path, crate::bounded::SMALL_LIMIT) {
            Ok(b) => b,
            Err(e) => {
                self.problems
                    .push(format!("{label} ({}): {e}", path.display()));
                return;
            }
        };
        self.add_ssh(&bytes, label, &path.display().to_string());
    }

    /// Adds an SSH private key read from `what` (a path, or a command's output).
    fn add_ssh(&mut self, bytes: &[u8], label: &str, what: &str) {
        let parsed = age::ssh::Identity::from_buffer(BufReader::new(bytes), Some(what.to_owned()));
        match parsed {
            Ok(age::ssh::Identity::Unencrypted(key)) => {
                self.identities
                    .push(Box::new(age::ssh::Identity::Unencrypted(key)));
            }
            Ok(age::ssh::Identity::Encrypted(_)) => self.problems.push(format!(
                "{label} ({}) is protected by a passphrase, and cfsecret runs unattended",
                what
            )),
            Ok(age::ssh::Identity::Unsupported(_)) => self.problems.push(format!(
                "{label} ({}) is not an ssh-ed25519 or ssh-rsa key",
                what
            )),
            Err(e) => self.problems.push(format!("{label} ({}): {e}", what)),
        }
    }

    fn load_file(&mut self, label: &str, path: &Path, must_exist: bool) {
        match crate::bounded::read_text(path, crate::bounded::SMALL_LIMIT) {
            Ok(Some(text)) => self.load_text(label, text),
            Ok(None) => self
                .problems
                .push(format!("{label} ({}) is not UTF-8 text", path.display())),
            Err(e) if e.is_not_found() && !must_exist => {
                self.looked_in.push(label.to_owned());
            }
            Err(e) => self
                .problems
                .push(format!("{label} ({}): {e}", path.display())),
        }
    }

    fn load_text(&mut self, label: &str, text: Zeroizing<String>) {
        // Only `SOPS_AGE_KEY` takes several keys per line (`one_key_per_line`); sops reads a
        // file's or command's line whole, so a line with a space is not an identity there.
        let head = text.trim_start();
        if head.starts_with("age-encryption.org") || head.starts_with("-----BEGIN AGE") {
            self.problems.push(format!(
                "{label} holds a passphrase-encrypted identity file, and cfsecret runs unattended"
            ));
            return;
        }
        let mut plugins: BTreeMap<String, Vec<age::plugin::Identity>> = BTreeMap::new();
        let mut count = 0;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.starts_with("AGE-SECRET-KEY-PQ-") {
                match line.parse::<crate::keys::pq::Identity>() {
                    Ok(id) => {
                        self.identities.push(Box::new(id));
                        count += 1;
                    }
                    Err(why) => self.problems.push(format!(
                        "{label} line {}: not a valid post-quantum age identity ({why})",
                        n + 1
                    )),
                }
            } else if line.starts_with("AGE-SECRET-KEY-1") {
                match line.parse::<age::x25519::Identity>() {
                    Ok(id) => {
                        self.identities.push(Box::new(id));
                        count += 1;
                    }
                    Err(_) => self
                        .problems
                        .push(format!("{label} line {}: not a valid age identity", n + 1)),
                }
            } else if line.starts_with("AGE-PLUGIN-") {
                match line.parse::<age::plugin::Identity>() {
                    Ok(id) => {
                        plugins.entry(id.plugin().to_owned()).or_default().push(id);
                        count += 1;
                    }
                    Err(_) => self.problems.push(format!(
                        "{label} line {}: not a valid plugin identity",
                        n + 1
                    )),
                }
            } else {
                self.problems
                    .push(format!("{label} line {}: not an age identity", n + 1));
            }
        }
        for (name, ids) in plugins {
            match age::plugin::IdentityPluginV1::new(&name, &ids, age::NoCallbacks) {
                Ok(plugin) => self.identities.push(Box::new(plugin)),
                Err(_) => self.problems.push(format!(
                    "{label} has identities for the age plugin `{name}`, but `age-plugin-{name}` is not on PATH"
                )),
            }
        }
        if count == 0 {
            self.looked_in.push(label.to_owned());
        }
    }
}

/// `SOPS_AGE_KEY` as sops ≥ 3.13.0 reads it (getsops/sops#2086): every line that is not empty
/// or a `#` comment is split into whitespace-separated words, each an identity. The result has
/// one identity per line, the form the other sources use.
fn one_key_per_line(text: &str) -> Zeroizing<String> {
    // A passphrase-encrypted identity file stays whole, for `load_text` to recognise.
    let head = text.trim_start();
    if head.starts_with("age-encryption.org") || head.starts_with("-----BEGIN AGE") {
        return Zeroizing::new(text.to_owned());
    }
    // Never longer than the input plus a final newline, so the buffer never reallocates and
    // leaves an unzeroized copy of a key behind.
    let mut out = Zeroizing::new(String::with_capacity(text.len() + 1));
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        for word in line.split_whitespace() {
            out.push_str(word);
            out.push('\n');
        }
    }
    out
}
