//! The crate's file system layer: the AWS files this tool reads and writes, and how it writes them.
//!
//! - [`credentials`]: the shared credentials file; [`config`]: `~/.aws/config`, its profiles read as
//!   botocore reads them ([`profile_map`]) and its `[sso-session]` section written; both read and
//!   edited through [`ini`], a model of INI text as botocore reads it.
//! - [`token_cache`]: the SSO token in the AWS CLI v2 cache (`~/.aws/sso/cache`).
//! - `paths` (home folder, private folders, links), `atomic` (temporary file, flush, replace),
//!   `replace` (the replace step, patient with a file another program holds open on Windows;
//!   `replace_windows` its Win32 calls) and `lock` (the sidecar lock file).
//!
//! No file content can make these functions panic. Whenever botocore reads a file before a merge, it
//! reads it after, with the new keys; when a merge fails, the file is byte for byte what it was
//! (`invariant_tests` checks both against Python's configparser).

mod atomic;
pub(crate) mod config;
pub mod credentials;
#[cfg(test)]
pub(crate) mod hostile_json;
pub(crate) mod ini;
#[cfg(test)]
mod invariant_tests;
mod lock;
mod paths;
pub(crate) mod profile_map;
mod replace;
#[cfg(windows)]
mod replace_windows;
pub(crate) mod token_cache;

use std::io;
use std::path::Path;
use std::time::Duration;

pub(crate) use atomic::write_atomically;
pub(crate) use lock::{lock_path, FileLock};
pub(crate) use paths::create_private_dir;

use crate::error::{Error, ErrorCode, Result};
use ini::SectionUpdate;

/// How long a merge waits for another run that holds the file's lock.
const LOCK_TIMEOUT: Duration = Duration::from_secs(30);
const UTF8_BOM: &str = "\u{feff}";

/// The text of the INI file at `path`, without a UTF-8 byte order mark; empty when there is no file.
pub(crate) fn read_ini(path: &Path) -> Result<String> {
    match std::fs::read(path) {
        Ok(bytes) => decode_ini(&bytes, path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(Error::io("cannot read", path, &e)),
    }
}

/// The bytes of a small file of this tool's own (a cache beside the SSO token), if it can be read and
/// holds at most `limit` bytes: a larger one is not ours, and reading it whole could exhaust memory.
pub(crate) fn read_at_most(path: &Path, limit: u64) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    let file = std::fs::File::open(path).ok()?;
    io::Read::read_to_end(&mut io::Read::take(file, limit + 1), &mut bytes).ok()?;
    (bytes.len() as u64 <= limit).then_some(bytes)
}

/// An INI file's bytes as text: UTF-8 (what botocore reads on Linux and macOS), a byte order mark
/// dropped. Anything else (UTF-16 from a Windows editor, Latin-1) is refused, to be left as it is.
fn decode_ini(bytes: &[u8], path: &Path) -> Result<String> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        Error::new(
            ErrorCode::Io,
            format!("{} is not UTF-8 text (saved as UTF-16?); the AWS CLI cannot read it either. Re-save it as UTF-8; it was left as it is", path.display()),
        )
    })?;
    Ok(text.strip_prefix(UTF8_BOM).unwrap_or(text).to_string())
}

/// The bytes of the INI file `original` with `updates` applied; an error when it must be left as it is.
pub(crate) fn merged_ini(original: &[u8], updates: &[SectionUpdate], path: &Path) -> Result<Vec<u8>> {
    Ok(ini::apply(&decode_ini(original, path)?, updates)?.into_bytes())
}

/// Applies `updates` to the INI file at `path` atomically, holding the file's lock across read, merge
/// and write. Folders and a new file are created private to the user (0700/0600 on Unix); an existing
/// file keeps its permissions; a symbolic link is followed and stays a link. When it fails, the file is
/// as it was.
pub(crate) fn merge_ini(path: &Path, updates: &[SectionUpdate]) -> Result<()> {
    if updates.is_empty() {
        return Ok(());
    }
    let target = paths::follow_link(path)?;
    let folder = paths::folder_of(&target);
    create_private_dir(folder).map_err(|e| Error::io("cannot create the folder", folder, &e))?;
    let _lock = FileLock::acquire(&lock_path(&target), LOCK_TIMEOUT)?;
    let original = match std::fs::read(&target) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::io("cannot read", &target, &e)),
    };
    let merged = merged_ini(&original, updates, &target)?;
    write_atomically(&target, &merged, false).map_err(|e| Error::io("cannot write", &target, &e))
}
