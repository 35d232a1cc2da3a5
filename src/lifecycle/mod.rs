//! The token lifecycle shared by create, rotate and roll: a locked store, its journal, a
//! Cloudflare session, and the careful steps around every irreversible call.
//!
//! The rule (CONTRACT invariant 4): an irreversible step starts only after everything after it
//! has been checked; its intent is journaled before it is sent; its result is stored, read back
//! from the store and verified with Cloudflare before anything old is revoked.

pub(crate) mod converge;
pub(crate) mod error;
pub(crate) mod journal;
pub(crate) mod mint;
pub(crate) mod naming;
pub(crate) mod reconcile;
pub(crate) mod rescue;
pub(crate) mod session;
pub(crate) mod spec;
pub(crate) mod stdin_credential;
pub(crate) mod written;

use std::path::PathBuf;

use secrecy::SecretString;

use crate::cloudflare::{ApiError, Client, CredentialSource, ManagementCredential, VerifyResult};
use crate::error::Error;
use crate::keys::recipients::{self, Recipient};
use crate::store::{Locked, Store, WriteOutcome};
pub(crate) use error::LifecycleError;
use journal::{Binding, Journal, Pending};
pub(crate) use session::{AuthSource, Session};

/// The global options a lifecycle run obeys, as plain values (the command line builds them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RunOptions {
    /// `--check`: say what would change, change nothing.
    pub(crate) check: bool,
    /// `--wait`: wait for another run's lock instead of failing.
    pub(crate) wait: bool,
    /// `--wait-timeout`: how long `--wait` waits.
    pub(crate) wait_timeout: std::time::Duration,
    /// `--timeout`: one API request's limit.
    pub(crate) timeout: std::time::Duration,
}

/// What a run did (or, in check mode, would do) besides its main step: lines for the report,
/// and whether any of them changed something (Ansible's `changed` must say so, in check mode as
/// in the real run).
#[derive(Debug, Default)]
pub(crate) struct Notes {
    lines: Vec<String>,
    changed: bool,
}

impl Notes {
    /// Something changed (or would change).
    pub(crate) fn change(&mut self, line: String) {
        self.lines.push(line);
        self.changed = true;
    }

    /// Something changed that is not worth a line.
    pub(crate) fn mark_changed(&mut self) {
        self.changed = true;
    }

    /// Something worth saying that changed nothing.
    pub(crate) fn info(&mut self, line: String) {
        self.lines.push(line);
    }

    /// Whether anything changed.
    pub(crate) fn changed(&self) -> bool {
        self.changed
    }

    /// Whether there is nothing to say.
    pub(crate) fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Adds another run's notes.
    pub(crate) fn extend(&mut self, other: Notes) {
        self.lines.extend(other.lines);
        self.changed |= other.changed;
    }

    /// The lines, `; `-separated.
    pub(crate) fn join(&self) -> String {
        self.lines.join("; ")
    }
}

/// A store, locked, with its journal and a Cloudflare session.
pub(crate) struct Run<'s> {
    /// The Cloudflare session.
    pub(crate) session: Session,
    /// The store.
    pub(crate) store: &'s Store,
    /// The held lock.
    pub(crate) locked: Locked<'s>,
    /// What previous runs left in progress (this store file's journal, every key).
    pub(crate) journal: Journal,
    journal_path: PathBuf,
    /// The store and key this run's journal entries belong to.
    pub(crate) binding: Binding,
    /// The management credential from flags or environment (not the stored token).
    pub(crate) explicit: Option<ManagementCredential>,
    /// `--check`: no API mutation, no write.
    pub(crate) check: bool,
    /// What this run does, for results that must say it (`created`, `rotated`, `rolled`).
    pub(crate) action: &'static str,
    /// The disk space a rescue file needs, taken before a roll ([`Run::reserve_rescue`]).
    rescue_room: std::cell::RefCell<Option<rescue::Room>>,
}

impl<'s> Run<'s> {
    /// Finds the credential, opens the session and takes the store's lock.
    pub(crate) fn start(
        store: &'s Store,
        options: impl Into<RunOptions>,
        auth: &AuthSource,
        account_id: Option<&str>,
    ) -> Result<Self, Error> {
        let global = options.into();
        let explicit = session::management_credential(auth)?;
        let session = Session::new(global, account_id)?;
        let locked = store.lock(global.wait, global.wait_timeout)?;
        let journal_path = locked.journal_path();
        // A journal save a kill -9 interrupted leaves a temp file: the lock is ours, so it goes.
        crate::store::atomic::remove_stale_temps(&journal_path);
        crate::store::atomic::remove_stale_temps(&written::path_for(&journal_path));
        let binding = locked.binding();
        let journal = Journal::load(&journal_path, &binding)?;
        let (rescue_dir, stem) = locked.rescue_place();
        rescue::remove_stale_rooms(&rescue_dir, &stem);
        Ok(Self {
            session,
            store,
            locked,
            journal,
            journal_path,
            binding,
            explicit,
            check: global.check,
            action: "rotated",
            rescue_room: std::cell::RefCell::new(None),
        })
    }

    /// Starts a lifecycle command: [`Run::start`], the rescue recipients (`--rescue-age`, else
    /// `SOPS_AGE_RECIPIENTS`, else the store's own), and finishing or cleaning up whatever an
    /// interrupted run left (the returned notes say what).
    pub(crate) fn begin(
        store: &'s Store,
        options: impl Into<RunOptions>,
        auth: impl Into<AuthSource>,
        keyring_backend: Option<crate::store::KeyringBackend>,
        rescue_flag: Option<&str>,
    ) -> Result<(Self, Vec<Recipient>, Notes), Error> {
        // --auth-keyring uses the same backend as the store's --keyring-backend.
        let source = auth.into().with_backend(keyring_backend);
        let account_id = source.account_id.clone();
        let mut run = Self::start(store, options, &source, account_id.as_deref())?;
        let rescue =
            rescue_recipients(rescue_flag, store.recipients_arg(), run.locked.recipients())?;
        let current = run.locked.read()?;
        let notes = reconcile::reconcile(&mut run, current.as_ref(), &rescue)?;
        Ok((run, rescue, notes))
    }

    /// The stored token and what Cloudflare says it is. A missing token, or a secret Cloudflare
    /// rejects (rolled away, deleted), cannot be rotated or rolled.
    pub(crate) fn stored_token(&self) -> Result<(SecretString, VerifyResult), Error> {
        let current = self
            .locked
            .read()?
            .ok_or_else(|| LifecycleError::NothingStored {
                store: self.label(),
            })?;
        match self.verify(&current) {
            Ok(v) => Ok((current, v)),
            Err(e) if e.token_invalid() => Err(LifecycleError::StoredTokenInvalid {
                store: self.label(),
                detail: e.to_string(),
            }
            .into()),
            Err(e) => Err(e.into()),
        }
    }

    /// `KEY in FILE`, for messages.
    pub(crate) fn label(&self) -> String {
        self.store.label()
    }

    /// A client that may manage tokens: the explicit credential, else the stored token itself
    /// (contract step 4), else none.
    pub(crate) fn manager(&self, stored: Option<&SecretString>) -> Result<Client, Error> {
        match (&self.explicit, stored) {
            (Some(c), _) => self.session.client(Some(c.clone())),
            (None, Some(token)) => self.session.client_as(token, CredentialSource::StoredToken),
            (None, None) => self.session.client(None),
        }
    }

    /// Asks Cloudflare about a secret.
    pub(crate) fn verify(&self, secret: &SecretString) -> Result<VerifyResult, ApiError> {
        let client = self
            .session
            .client(None)
            .map_err(|_| ApiError::NoCredential {
                op: crate::cloudflare::Op::Verify,
            })?;
        self.session
            .block_on(client.verify(secret, self.session.account_id.as_deref()))
    }

    /// This key's step in progress, if a previous run left one.
    pub(crate) fn pending(&self) -> Option<Pending> {
        self.journal.step(&self.binding).map(|e| e.step.clone())
    }

    /// Whether this key has anything in progress (a step, a pending revocation).
    pub(crate) fn has_pending(&self) -> bool {
        self.journal.has_any(&self.binding)
    }

    /// Records this key's step before it is taken (not in check mode).
    pub(crate) fn record(&mut self, step: Pending) -> Result<(), Error> {
        if self.check {
            return Ok(());
        }
        let from = match &step {
            Pending::Minting { old_id, .. }
            | Pending::Minted { old_id, .. }
            | Pending::Stored { old_id, .. } => old_id.clone(),
            Pending::Rolling { token_id } => Some(token_id.clone()),
            Pending::Revoke { old_id, .. } => Some(old_id.clone()),
            Pending::Revoking { token_id, .. } => Some(token_id.clone()),
        };
        self.journal
            .record(&self.journal_path, &self.binding, from, step)
    }

    /// Journals the revocation of `old_id` once `after` has passed (`--keep-old`).
    pub(crate) fn record_revoke(
        &mut self,
        old_id: &str,
        after: i64,
        new_id: &str,
    ) -> Result<(), Error> {
        if self.check {
            return Ok(());
        }
        self.journal
            .add_revoke(&self.journal_path, &self.binding, old_id, after, new_id)
    }

    /// The pending revocation of `old_id` is done.
    pub(crate) fn revoked(&mut self, old_id: &str) -> Result<(), Error> {
        if self.check {
            return Ok(());
        }
        self.journal
            .remove_revoke(&self.journal_path, &self.binding, old_id)
    }

    /// The store now holds a new secret of `token_id`, for `rotate --max-age`: a rolled one's
    /// time is recorded, a new token's `issued_on` says it all (see [`written`]).
    pub(crate) fn note_written(&self, token_id: &str, rolled: bool) {
        if self.check {
            return;
        }
        let path = written::path_for(&self.journal_path);
        if rolled {
            written::note_roll(&path, &self.binding, token_id);
        } else {
            written::forget(&path, &self.binding, token_id);
        }
    }

    /// When the secret the store holds for `token` was made: the later of its `issued_on` and
    /// cfsecret's own record of writing a new secret of that very token here (a roll keeps
    /// `issued_on`). `None` when neither is known.
    pub(crate) fn secret_since(&self, token: &crate::cloudflare::Token) -> Option<jiff::Timestamp> {
        let noted = written::written_at(
            &written::path_for(&self.journal_path),
            &self.binding,
            &token.id,
        )
        .and_then(|s| jiff::Timestamp::from_second(s).ok());
        match (token.issued_on, noted) {
            (Some(i), Some(n)) => Some(i.max(n)),
            (i, n) => i.or(n),
        }
    }

    /// This key's step is done (its pending revocations stay).
    pub(crate) fn clear(&mut self) -> Result<(), Error> {
        if self.check {
            return Ok(());
        }
        self.journal.clear(&self.journal_path, &self.binding)
    }

    /// Reads the secret back from the store and verifies it with Cloudflare: it must be the one
    /// just written, active, and belong to `expect_id`.
    ///
    /// A token restricted to other networks (an IP condition) or not valid yet (`not_before`)
    /// cannot verify itself from here; for those, `restricted` names a management client that
    /// confirms instead that the token exists and is active.
    pub(crate) fn read_back_and_verify(
        &self,
        written: &SecretString,
        expect_id: &str,
        restricted: Option<&Client>,
    ) -> Result<VerifyResult, String> {
        let stored = self
            .locked
            .read()
            .map_err(|e| format!("reading it back failed: {e}"))?;
        let stored = stored.ok_or_else(|| "it is not in the store after writing".to_owned())?;
        if !crate::secret::eq(&stored, written) {
            return Err("the store holds a different value than the one written".into());
        }
        let v = match (self.verify(&stored), restricted) {
            (Ok(v), _) => v,
            (Err(e), Some(manager))
                if matches!(
                    e.refusal(),
                    Some(
                        crate::cloudflare::Refusal::NotAuthorized
                            | crate::cloudflare::Refusal::TokenInvalid
                    )
                ) =>
            {
                log::info!(
                    "token {expect_id} cannot verify itself from this host ({e}); checking it with the management credential"
                );
                let t = self
                    .session
                    .block_on(manager.get_token(&self.session.owner, expect_id))
                    .map_err(|e| e.to_string())?;
                VerifyResult {
                    id: t.id,
                    status: t.status,
                    not_before: t.not_before,
                    expires_on: t.expires_on,
                }
            }
            (Err(e), _) => return Err(e.to_string()),
        };
        if v.id != expect_id {
            return Err(format!("it verifies as token {}, not {expect_id}", v.id));
        }
        if !v.status.is_active() {
            return Err(format!("Cloudflare reports it {}", v.status.as_str()));
        }
        Ok(v)
    }

    /// Takes the disk space a rescue file for `rescue_to` needs, before an irreversible roll: on
    /// a disk too full for it the run stops here, with nothing changed at Cloudflare.
    pub(crate) fn reserve_rescue(&self, rescue_to: &[Recipient]) -> Result<(), Error> {
        if self.check {
            return Ok(());
        }
        let (dir, stem) = self.locked.rescue_place();
        let room = rescue::reserve(&dir, &stem, rescue_to).map_err(|e| {
            crate::store::StoreError::io("reserve space for a rescue file in", &dir, e)
        })?;
        *self.rescue_room.borrow_mut() = Some(room);
        Ok(())
    }

    /// Writes a new secret that exists nowhere else (after a roll): on failure it goes to an
    /// age-encrypted rescue file (into the room [`Run::reserve_rescue`] took, if any) and the
    /// error says where (exit 5).
    pub(crate) fn store_or_rescue(
        &self,
        secret: &SecretString,
        token_id: &str,
        rescue_to: &[Recipient],
    ) -> Result<WriteOutcome, Error> {
        let room = self.rescue_room.borrow_mut().take();
        match self.locked.write(secret) {
            Ok(outcome) => {
                drop(room);
                // Only a roll's secret goes through here: a new secret for an existing id.
                self.note_written(token_id, true);
                Ok(outcome)
            }
            Err(e) => {
                let (dir, stem) = self.locked.rescue_place();
                let file = rescue::write(&dir, &stem, secret, rescue_to, room);
                Err(rescue::Rescued {
                    store: self.label(),
                    cause: e.to_string(),
                    file: file.clone(),
                    token_id: token_id.to_owned(),
                    restore: match &file {
                        Some(f) => format!(
                            "age -d -i YOUR_AGE_KEY {} | cfsecret set {}",
                            f.display(),
                            self.locked.store_flags()
                        ),
                        None => String::new(),
                    },
                }
                .into())
            }
        }
    }
}

/// The recipients of a rescue file: `--rescue-age`, else `SOPS_AGE_RECIPIENTS`/`--age`, else
/// the store's own recipients (found by the preflight).
pub(crate) fn rescue_recipients(
    flag: Option<&str>,
    store_default: Option<&str>,
    from_store: Vec<Recipient>,
) -> Result<Vec<Recipient>, Error> {
    for list in [flag, store_default].into_iter().flatten() {
        let parsed = recipients::parse_list(list)
            .map_err(|e| crate::error::UsageError::new(format!("bad rescue recipient: {e}")))?;
        if !parsed.is_empty() {
            return Ok(parsed);
        }
    }
    Ok(from_store)
}
