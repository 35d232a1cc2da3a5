//! `SOPS_AGE_SSH_PRIVATE_KEY_CMD` (sops ≥ 3.12): a command that prints one SSH private key.
//!
//! As in sops, the command line is split like a shell would (no shell runs), it is told which
//! recipient is wanted in `SOPS_AGE_RECIPIENT`, and its output is one OpenSSH or PEM private key.
//! Like `SOPS_AGE_KEY_CMD`, cfsecret runs it only when the other identities fail for an entry,
//! and at most once per entry. The key is read into a zeroizing buffer, capped in size, and
//! never appears in a message (stderr is discarded for the same reason).

use std::io::Read;
use std::process::{Command, Stdio};

use zeroize::Zeroizing;

use super::{BoxedIdentity, Identities};

const LABEL: &str = "SOPS_AGE_SSH_PRIVATE_KEY_CMD";
/// Far above any SSH private key (a 16384-bit RSA key is ~13 KiB of PEM).
const MAX_OUTPUT: u64 = 1 << 20;

impl Identities {
    /// Runs `SOPS_AGE_SSH_PRIVATE_KEY_CMD` for `recipient` and returns the identity it prints.
    pub fn from_ssh_key_cmd(&mut self, recipient: &str) -> Vec<BoxedIdentity> {
        let Some(cmd) = self.ssh_key_cmd.clone() else {
            return Vec::new();
        };
        let Some(args) = shlex::split(&cmd).filter(|a| !a.is_empty()) else {
            self.problems
                .push(format!("{LABEL} could not be split into a command line"));
            self.ssh_key_cmd = None;
            return Vec::new();
        };
        let child = Command::new(&args[0])
            .args(&args[1..])
            .env("SOPS_AGE_RECIPIENT", recipient)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                self.problems
                    .push(format!("{LABEL} `{}` could not be run: {e}", args[0]));
                self.ssh_key_cmd = None;
                return Vec::new();
            }
        };
        let mut out = Zeroizing::new(Vec::new());
        let read = child
            .stdout
            .take()
            .map(|s| s.take(MAX_OUTPUT + 1).read_to_end(&mut out));
        let too_long = out.len() as u64 > MAX_OUTPUT;
        if too_long {
            // Stop a command that keeps printing rather than wait for it.
            let _ = child.kill();
        }
        let status = child.wait();
        let what = format!("the output of `{}`", args[0]);
        match (read, status) {
            _ if too_long => self.problems.push(format!(
                "{LABEL} `{}` printed more than {MAX_OUTPUT} bytes, which is not an SSH key",
                args[0]
            )),
            (Some(Ok(_)), Ok(st)) if st.success() => {
                let mut found = Identities::default();
                found.add_ssh(&out, LABEL, &what);
                self.problems.append(&mut found.problems);
                return found.identities;
            }
            (_, Ok(st)) => self
                .problems
                .push(format!("{LABEL} `{}` exited with {st}", args[0])),
            (_, Err(e)) => self.problems.push(format!(
                "{LABEL} `{}` could not be waited for: {e}",
                args[0]
            )),
        }
        Vec::new()
    }
}
