//! `SOPS_AGE_SSH_PRIVATE_KEY_CMD` (sops ≥ 3.12): a command that prints one SSH private key.
//!
//! As in sops, the command line is split like a shell would (no shell runs), it is told which
//! recipient is wanted in `SOPS_AGE_RECIPIENT`, and its output is one OpenSSH or PEM private key.
//! Like `SOPS_AGE_KEY_CMD`, cfsecret runs it only when the other identities fail for an entry,
//! and at most once per entry. The key is read into a zeroizing buffer, capped in size, and
//! never appears in a message (stderr is discarded for the same reason).

use zeroize::Zeroizing;

use super::{BoxedIdentity, Identities};
use crate::keys::key_cmd::{self, KeyCmdError};

const LABEL: &str = "SOPS_AGE_SSH_PRIVATE_KEY_CMD";

impl Identities {
    /// Runs `SOPS_AGE_SSH_PRIVATE_KEY_CMD` for `recipient` and returns the identity it prints.
    pub(crate) fn ssh_key_cmd_identities(&mut self, recipient: &str) -> Vec<BoxedIdentity> {
        let Some(cmd) = self.ssh_key_cmd.clone() else {
            return Vec::new();
        };
        let Some(args) = shlex::split(&cmd).filter(|a| !a.is_empty()) else {
            self.problems
                .push(format!("{LABEL} could not be split into a command line"));
            self.ssh_key_cmd = None;
            return Vec::new();
        };
        match key_cmd::run(&args, recipient) {
            Ok(out) => {
                let out: Zeroizing<Vec<u8>> = out;
                let what = format!("the output of `{}`", args[0]);
                let mut found = Identities::default();
                found.add_ssh(&out, LABEL, &what);
                self.problems.append(&mut found.problems);
                found.identities
            }
            Err(e) => {
                self.problems.push(format!("{LABEL} `{}` {e}", args[0]));
                // As for SOPS_AGE_KEY_CMD: one that cannot start, floods or hangs is not run
                // again for the next recipient.
                if !matches!(e, KeyCmdError::Failed(_)) {
                    self.ssh_key_cmd = None;
                }
                Vec::new()
            }
        }
    }
}
