//! Rescue files: where a new secret goes when the store cannot take it after an irreversible step.
//!
//! The secret is age-encrypted (ASCII-armored) to the rescue recipients, written with
//! `create_new` and mode 0600 next to the store if possible, else under
//! `$XDG_STATE_HOME/cfsecret/rescue/` (`~/.local/state/...`), else the temp directory.

use std::io::Write;
use std::path::{Path, PathBuf};

use age::armor::{ArmoredWriter, Format};
use secrecy::{ExposeSecret, SecretString};

use crate::error::{Diagnose, Exit};
use crate::keys::recipients::Recipient;
use crate::store::atomic;

/// The secret could not be stored, and was (or could not even be) rescued.
#[derive(Debug)]
pub(crate) struct Rescued {
    /// The store, for the message.
    pub(crate) store: String,
    /// Why the store write failed.
    pub(crate) cause: String,
    /// The rescue file, or `None` if writing it failed too.
    pub(crate) file: Option<PathBuf>,
    /// The token id, for `--json`.
    pub(crate) token_id: String,
    /// How to restore the secret into the store.
    pub(crate) restore: String,
}

impl std::fmt::Display for Rescued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.file {
            Some(file) => write!(
                f,
                "the new secret of token {} could not be written to {} ({}); it was saved, encrypted, to {}",
                self.token_id,
                self.store,
                self.cause,
                file.display()
            ),
            None => write!(
                f,
                "the new secret of token {} could not be written to {} ({}), nor to a rescue file",
                self.token_id, self.store, self.cause
            ),
        }
    }
}

impl std::error::Error for Rescued {}

impl Diagnose for Rescued {
    fn code(&self) -> &'static str {
        if self.file.is_some() {
            "rescued"
        } else {
            "secret_lost"
        }
    }

    fn exit(&self) -> Exit {
        if self.file.is_some() {
            Exit::Rescued
        } else {
            Exit::Failure
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match &self.file {
            Some(_) => format!("fix the store, then restore the secret: {}", self.restore),
            None => "the token works but its secret is lost: roll it again (cfsecret roll with a management credential, or the dashboard)".into(),
        })
    }

    fn fields(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        m.insert("token_id".into(), self.token_id.clone().into());
        if let Some(f) = &self.file {
            m.insert("rescue_file".into(), f.display().to_string().into());
        }
        m
    }

    fn changed(&self) -> bool {
        true
    }
}

fn candidate_dirs(store_dir: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![store_dir.to_owned()];
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| crate::keys::identities::home_dir().map(|h| h.join(".local/state")));
    if let Some(state) = state {
        dirs.push(state.join("cfsecret").join("rescue"));
    }
    dirs.push(std::env::temp_dir());
    dirs
}

/// Encrypts `secret` to `recipients` and writes it: into the room [`reserve`] took, else to the
/// first place that takes a new file.
pub(crate) fn write(
    store_dir: &Path,
    stem: &str,
    secret: &SecretString,
    recipients: &[Recipient],
    room: Option<Room>,
) -> Option<PathBuf> {
    let armored = encrypt(secret, recipients)?;
    if let Some(room) = room
        && let Some(path) = room.fill(stem, &armored)
    {
        return Some(path);
    }
    write_in(&candidate_dirs(store_dir), stem, &armored)
}

/// The longest secret the API issues (api-schemas `iam_value`: maxLength 80), for sizing.
const LONGEST_SECRET: usize = 80;
/// Room beyond the probe's size (a longer armored header, a plugin stanza of another size).
const ROOM_SLACK: u64 = 4096;
const ROOM_MARK: &str = ".cfsecret-rescue-room.";

/// Disk space for a rescue file, taken before an irreversible step (a roll), as the store's
/// own write is (`atomic::Reservation`): a hidden file next to the store, as long as the
/// armored secret will be and fsynced, so a full disk stops the run before the roll, not after
/// it. A rescue fills it in place and links it to its final name; unused, it is removed (a
/// killed run's by the next run, see [`remove_stale_rooms`]).
#[derive(Debug)]
pub(crate) struct Room {
    file: std::fs::File,
    path: PathBuf,
}

impl Room {
    fn fill(mut self, stem: &str, armored: &str) -> Option<PathBuf> {
        use std::io::{Seek, SeekFrom};
        let dir = self.path.parent()?.to_owned();
        let written = self
            .file
            .seek(SeekFrom::Start(0))
            .and_then(|_| self.file.write_all(armored.as_bytes()))
            .and_then(|()| self.file.set_len(armored.len() as u64))
            .and_then(|()| self.file.sync_all());
        if written.is_err() {
            return None;
        }
        // A hard link never replaces another file (the final name is `create_new`-like).
        let target = dir.join(unique_name(stem));
        std::fs::hard_link(&self.path, &target).ok()?;
        atomic::sync_dir(&target);
        log::warn!("rescue file written: {}", target.display());
        Some(target)
    }
}

impl Drop for Room {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Takes the room a rescue file of a secret encrypted to `recipients` needs, next to the store.
/// `Err` when the disk cannot give it (the run must stop before its irreversible step).
pub(crate) fn reserve(
    store_dir: &Path,
    stem: &str,
    recipients: &[Recipient],
) -> std::io::Result<Room> {
    let probe = SecretString::from("x".repeat(LONGEST_SECRET));
    let size = encrypt(&probe, recipients).map_or(0, |a| a.len() as u64) + ROOM_SLACK;
    use rand::RngCore;
    let mut nonce = [0u8; 4];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    let path = store_dir.join(format!(
        ".{stem}{ROOM_MARK}{}-{nonce}.tmp",
        std::process::id()
    ));
    crate::faults::hit("rescue.reserve")?;
    std::fs::create_dir_all(store_dir)?;
    let mut file = atomic::create_private(&path)?;
    let room = Room {
        file: file.try_clone()?,
        path,
    };
    file.write_all(&vec![0u8; size as usize])?;
    file.sync_all()?;
    Ok(room)
}

/// Removes the rooms a killed run left next to the store (call while holding its lock).
pub(crate) fn remove_stale_rooms(store_dir: &Path, stem: &str) {
    let prefix = format!(".{stem}{ROOM_MARK}");
    let dir = if store_dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        store_dir
    };
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// A rescue file name no other run can take: the time, the process and a random nonce (it is
/// created with `create_new` too, so even a collision never overwrites another rescue file).
fn unique_name(stem: &str) -> String {
    use rand::RngCore;
    let stamp = crate::sops::gotime::GoTime::now_utc()
        .format_rfc3339()
        .replace([':', '-'], "");
    let mut nonce = [0u8; 4];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{stem}.cfsecret-rescue-{stamp}-{}-{nonce}.age",
        std::process::id()
    )
}

fn write_in(dirs: &[PathBuf], stem: &str, armored: &str) -> Option<PathBuf> {
    for dir in dirs {
        if std::fs::create_dir_all(dir).is_err() {
            continue;
        }
        let path = dir.join(unique_name(stem));
        if crate::faults::hit("rescue.create").is_err() {
            continue;
        }
        let Ok(mut file) = atomic::create_private(&path) else {
            continue;
        };
        if file
            .write_all(armored.as_bytes())
            .and_then(|()| file.sync_all())
            .is_ok()
        {
            atomic::sync_dir(&path);
            log::warn!("rescue file written: {}", path.display());
            return Some(path);
        }
        let _ = std::fs::remove_file(&path);
    }
    None
}

fn encrypt(secret: &SecretString, recipients: &[Recipient]) -> Option<String> {
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().map(Recipient::as_age)).ok()?;
    let mut out = Vec::new();
    let armor = ArmoredWriter::wrap_output(&mut out, Format::AsciiArmor).ok()?;
    let mut w = encryptor.wrap_output(armor).ok()?;
    w.write_all(secret.expose_secret().as_bytes()).ok()?;
    w.finish().and_then(|a| a.finish()).ok()?;
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 9 item 4: two rescues of `s.yml` stores in the same second get different files,
    /// both in the first directory (a one-second timestamp used to collide).
    #[test]
    fn rescue_files_never_collide() {
        let dir = tempfile::tempdir().unwrap();
        let id = age::x25519::Identity::generate();
        let to = vec![Recipient::parse(&id.to_public().to_string()).unwrap()];
        let dirs = vec![dir.path().to_owned()];
        let one = encrypt(&SecretString::from("one"), &to).unwrap();
        let two = encrypt(&SecretString::from("two"), &to).unwrap();
        let a = write_in(&dirs, "s.yml", &one).unwrap();
        let b = write_in(&dirs, "s.yml", &two).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.parent(), b.parent());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    /// The room is as long as the file it will hold, is filled in place and leaves only the
    /// rescue file; unused, it leaves nothing; a killed run's is swept.
    #[test]
    fn a_room_becomes_the_rescue_file_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let id = age::x25519::Identity::generate();
        let to = vec![Recipient::parse(&id.to_public().to_string()).unwrap()];
        let secret = SecretString::from("y".repeat(LONGEST_SECRET));
        let room = reserve(dir.path(), "s.yml", &to).unwrap();
        let room_len = std::fs::metadata(&room.path).unwrap().len();
        let file = write(dir.path(), "s.yml", &secret, &to, Some(room)).unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(names, std::slice::from_ref(&file));
        // (age adds a random-length grease stanza: the room has slack for it.)
        let len = std::fs::metadata(&file).unwrap().len();
        assert!(
            len > 0 && len + ROOM_SLACK / 2 <= room_len,
            "{len} in {room_len}"
        );
        let armored = std::fs::read_to_string(&file).unwrap();
        assert!(armored.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
        std::fs::remove_file(&file).unwrap();
        drop(reserve(dir.path(), "s.yml", &to).unwrap());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let stale = reserve(dir.path(), "s.yml", &to).unwrap();
        // A killed run never drops its room.
        let _stale = std::mem::ManuallyDrop::new(stale);
        remove_stale_rooms(dir.path(), "s.yml");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
