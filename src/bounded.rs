//! Bounded reads of files cfsecret did not write: stores, `.sops.yaml`, key files, journals.
//!
//! These files come from other people's repositories and home directories. A FIFO or a device
//! in their place would block forever (while the store's lock is held) or never end (`/dev/zero`),
//! and a huge file would exhaust memory. So every such read opens the path without blocking
//! (`O_NONBLOCK`, `O_NOCTTY`), checks on the *open* file (fstat, no race with a rename) that it
//! is a regular file, and reads at most a fixed number of bytes. Refusals say which limit applies.

use std::fmt;
use std::io::Read;
use std::path::Path;

use zeroize::Zeroizing;

/// The largest SOPS file cfsecret reads (sops's own files for tokens are a few KiB).
pub(crate) const STORE_LIMIT: u64 = 16 * 1024 * 1024;
/// The largest `.sops.yaml`, age key file, SSH key or journal cfsecret reads.
pub(crate) const SMALL_LIMIT: u64 = 1024 * 1024;

/// Why a file was not read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The OS refused (missing, permission denied, ...).
    Io(std::io::Error),
    /// Not a regular file: reading it could block or never end.
    NotRegular(&'static str),
    /// Larger than the limit for this kind of file.
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
}

impl ReadError {
    /// Whether the file does not exist.
    pub(crate) fn is_not_found(&self) -> bool {
        matches!(self, Self::Io(e) if e.kind() == std::io::ErrorKind::NotFound)
    }

    /// What to do about it.
    pub(crate) fn hint(&self, path: &Path) -> String {
        let p = path.display();
        match self {
            Self::Io(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                format!("check that {p} is readable by this user")
            }
            Self::Io(_) => format!("check the path {p}"),
            Self::NotRegular(_) => format!(
                "point cfsecret at a regular file; it never reads pipes, devices or directories, which can block or never end ({p})"
            ),
            Self::TooLarge { .. } => format!(
                "check that {p} is the file you meant; a file this large is not one sops writes for secrets"
            ),
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => e.fmt(f),
            Self::NotRegular(kind) => write!(f, "it is {kind}, not a regular file"),
            Self::TooLarge { limit } => write!(
                f,
                "it is larger than {}, cfsecret's limit for this kind of file",
                human(*limit)
            ),
        }
    }
}

impl std::error::Error for ReadError {}

/// `16 MiB`, `1 MiB`, `512 KiB`.
pub(crate) fn human(bytes: u64) -> String {
    if bytes >= 1024 * 1024 && bytes.is_multiple_of(1024 * 1024) {
        format!("{} MiB", bytes / (1024 * 1024))
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// Reads the regular file at `path` (symlinks followed), refusing anything else and anything
/// larger than `limit` bytes. The buffer is zeroized when dropped: key files are secrets.
pub(crate) fn read(path: &Path, limit: u64) -> Result<Zeroizing<Vec<u8>>, ReadError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Opening a FIFO without O_NONBLOCK waits for a writer; a terminal must not become
        // our controlling terminal. Both flags are harmless for regular files.
        let flags = rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY;
        opts.custom_flags(flags.bits() as i32);
    }
    let file = match opts.open(path) {
        Ok(f) => f,
        // A socket cannot be opened at all (ENXIO): name what it is, not the errno.
        Err(e) => {
            return Err(match std::fs::metadata(path) {
                Ok(meta) if !meta.is_file() => ReadError::NotRegular(kind_of(&meta.file_type())),
                _ => ReadError::Io(e),
            });
        }
    };
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.file_type().is_file() {
        return Err(ReadError::NotRegular(kind_of(&meta.file_type())));
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    let mut buf = Zeroizing::new(Vec::with_capacity(meta.len() as usize));
    // The file may grow between fstat and read: never read more than the limit allows.
    file.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(ReadError::Io)?;
    if buf.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(buf)
}

/// [`read`] as UTF-8 text; `None` inside `Ok` when the bytes are not UTF-8.
pub(crate) fn read_text(path: &Path, limit: u64) -> Result<Option<Zeroizing<String>>, ReadError> {
    let bytes = read(path, limit)?;
    Ok(std::str::from_utf8(&bytes)
        .ok()
        .map(|s| Zeroizing::new(s.to_owned())))
}

fn kind_of(ft: &std::fs::FileType) -> &'static str {
    if ft.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_are_read_and_capped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"hello").unwrap();
        assert_eq!(&read(&p, 5).unwrap()[..], b"hello");
        assert!(matches!(read(&p, 4), Err(ReadError::TooLarge { limit: 4 })));
        assert!(matches!(
            read(dir.path(), 5),
            Err(ReadError::NotRegular("a directory"))
        ));
        assert!(
            read(&dir.path().join("nope"), 5)
                .unwrap_err()
                .is_not_found()
        );
        assert_eq!(human(16 * 1024 * 1024), "16 MiB");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn devices_are_refused_without_reading() {
        let err = read(Path::new("/dev/zero"), 5).unwrap_err();
        assert!(matches!(err, ReadError::NotRegular("a character device")));
    }
}
