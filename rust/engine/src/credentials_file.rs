//! The AWS shared credentials file: where it is, what it holds for a profile, and how new credentials
//! are merged into it: under an exclusive lock, written to a temporary file in the same folder,
//! flushed to disk and renamed over the original, so that a reader never sees half a file and two
//! runs never lose each other's profiles.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use crate::env::Env;
use crate::error::{Error, Result};
use crate::ini::{self, SectionUpdate};
use crate::secret::Secret;
use crate::time::{format_rfc3339, parse_rfc3339};

/// Keys the engine writes. `aws_account_id` is read by botocore; the last two are ours, so that the
/// next run knows what is still valid and for which role.
pub const KEY_ACCESS_KEY_ID: &str = "aws_access_key_id";
pub const KEY_SECRET_ACCESS_KEY: &str = "aws_secret_access_key";
pub const KEY_SESSION_TOKEN: &str = "aws_session_token";
pub const KEY_ACCOUNT_ID: &str = "aws_account_id";
pub const KEY_EXPIRATION: &str = "aws_credential_expiration";
pub const KEY_ROLE_NAME: &str = "aws_sso_role_name";
/// botocore reads this legacy key before `aws_session_token`, so a stale one must go.
const KEY_LEGACY_SECURITY_TOKEN: &str = "aws_security_token";

const UTF8_BOM: &str = "\u{feff}";
const LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// Credentials for one profile, ready to be written.
#[derive(Clone, Debug)]
pub struct ProfileCredentials {
    pub profile: String,
    pub account_id: String,
    pub role_name: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    pub expiration: SystemTime,
}

/// What the file says about a profile that this engine wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredProfile {
    pub account_id: Option<String>,
    pub role_name: Option<String>,
    pub expiration: Option<SystemTime>,
    pub has_keys: bool,
}

impl StoredProfile {
    /// True when the stored credentials are for this account and role and stay valid past `until`.
    pub fn is_current_for(&self, account_id: &str, role_name: &str, until: SystemTime) -> bool {
        self.has_keys
            && self.account_id.as_deref() == Some(account_id)
            && self.role_name.as_deref() == Some(role_name)
            && self.expiration.is_some_and(|expiry| expiry > until)
    }
}

/// The file named by the request, else `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`
/// (home from `HOME`, then `USERPROFILE`). A leading `~` is expanded like the AWS CLI does.
pub fn resolve_path(explicit: Option<&str>, env: &Env) -> Result<PathBuf> {
    let home = || env.get("HOME").or_else(|| env.get("USERPROFILE"));
    let chosen = explicit.map(str::to_string).or_else(|| env.get("AWS_SHARED_CREDENTIALS_FILE"));
    match chosen {
        Some(path) => match path.strip_prefix('~') {
            Some(rest) if rest.is_empty() || rest.starts_with(['/', '\\']) => {
                let home =
                    home().ok_or_else(|| Error::invalid_input("credentials file starts with ~ but HOME is not set"))?;
                Ok(PathBuf::from(home).join(rest.trim_start_matches(['/', '\\'])))
            }
            _ => Ok(PathBuf::from(path)),
        },
        None => {
            let home = home().ok_or_else(|| {
                Error::invalid_input(
                    "cannot find the credentials file: neither HOME nor USERPROFILE is set; pass credentialsFile",
                )
            })?;
            Ok(Path::new(&home).join(".aws").join("credentials"))
        }
    }
}

/// What the file holds for each profile. A missing file holds nothing.
pub fn read_stored(path: &Path) -> Result<HashMap<String, StoredProfile>> {
    let text = read_text(path)?;
    Ok(ini::parse(&text)
        .into_iter()
        .map(|(name, keys)| {
            let stored = StoredProfile {
                account_id: keys.get(KEY_ACCOUNT_ID).cloned(),
                role_name: keys.get(KEY_ROLE_NAME).cloned(),
                expiration: keys.get(KEY_EXPIRATION).and_then(|v| parse_rfc3339(v)),
                has_keys: [KEY_ACCESS_KEY_ID, KEY_SECRET_ACCESS_KEY, KEY_SESSION_TOKEN]
                    .iter()
                    .all(|k| keys.get(*k).is_some_and(|v| !v.is_empty())),
            };
            (name, stored)
        })
        .collect())
}

/// Merges `credentials` into the file at `path` atomically, holding the lock across read, merge and
/// write. Folders and a new file are created private to the user (0700/0600 on Unix); an existing
/// file keeps its permissions; a symbolic link is followed and stays a link.
pub fn merge(path: &Path, credentials: &[ProfileCredentials]) -> Result<()> {
    let updates: Vec<SectionUpdate> = credentials.iter().map(section_update).collect();
    merge_sections(path, &updates)
}

/// Applies `updates` to the INI file at `path` (the credentials file, or the config file) with the
/// same guarantees as [`merge`].
pub fn merge_sections(path: &Path, updates: &[SectionUpdate]) -> Result<()> {
    if updates.is_empty() {
        return Ok(());
    }
    let target = follow_link(path)?;
    let folder = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    create_private_dir(folder).map_err(|e| Error::io("cannot create the folder", folder, &e))?;
    let _lock = FileLock::acquire(&lock_path(&target), LOCK_TIMEOUT)?;
    let original = read_text(&target)?;
    let merged = ini::apply(&original, updates);
    write_atomically(&target, merged.as_bytes(), false).map_err(|e| Error::io("cannot write", &target, &e))
}

fn section_update(credentials: &ProfileCredentials) -> SectionUpdate {
    SectionUpdate {
        section: credentials.profile.clone(),
        set: vec![
            (KEY_ACCESS_KEY_ID, credentials.access_key_id.clone()),
            (KEY_SECRET_ACCESS_KEY, credentials.secret_access_key.expose().to_string()),
            (KEY_SESSION_TOKEN, credentials.session_token.expose().to_string()),
            (KEY_ACCOUNT_ID, credentials.account_id.clone()),
            (KEY_EXPIRATION, format_rfc3339(credentials.expiration)),
            (KEY_ROLE_NAME, credentials.role_name.clone()),
        ],
        remove: vec![KEY_LEGACY_SECURITY_TOKEN],
    }
}

/// The file's text, without a UTF-8 byte order mark; empty when the file does not exist.
fn read_text(path: &Path) -> Result<String> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(String::new()),
        Err(e) => return Err(Error::io("cannot read", path, &e)),
    };
    let text = String::from_utf8(bytes).map_err(|_| {
        Error::new(
            crate::error::ErrorCode::Io,
            format!("{} is not UTF-8 text (saved as UTF-16?); the AWS CLI cannot read it either. Re-save it as UTF-8; it was left as it is", path.display()),
        )
    })?;
    Ok(text.strip_prefix(UTF8_BOM).map(str::to_string).unwrap_or(text))
}

fn follow_link(path: &Path) -> Result<PathBuf> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            fs::canonicalize(path).map_err(|e| Error::io("cannot follow the link", path, &e))
        }
        _ => Ok(path.to_path_buf()),
    }
}

pub(crate) fn lock_path(target: &Path) -> PathBuf {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    target.with_file_name(format!(".{name}.lock"))
}

pub(crate) fn create_private_dir(folder: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(folder)
}

/// Writes `contents` to a temporary file beside `target`, flushes it to disk and renames it over
/// `target`, so the file is always either the old or the new version.
/// `private` files are always 0600; otherwise an existing file's permissions are kept.
pub(crate) fn write_atomically(target: &Path, contents: &[u8], private: bool) -> io::Result<()> {
    let folder = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // tempfile creates the file 0600 on Unix, which is what a new credentials file should be.
    let mut temp = tempfile::Builder::new().prefix(&format!(".{name}.")).suffix(".tmp").tempfile_in(folder)?;
    if let (false, Ok(existing)) = (private, fs::metadata(target)) {
        fs::set_permissions(temp.path(), existing.permissions())?;
    }
    temp.write_all(contents)?;
    temp.as_file().sync_all()?;
    // On Windows the rename fails while another program (an AWS CLI run, an editor) has the file
    // open for a moment; retrying briefly keeps the write atomic without failing the run.
    let mut attempt = 0;
    loop {
        match temp.persist(target) {
            Ok(_) => break,
            Err(e) if cfg!(windows) && e.error.kind() == io::ErrorKind::PermissionDenied && attempt < 10 => {
                attempt += 1;
                temp = e.file;
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => return Err(e.error),
        }
    }
    #[cfg(unix)]
    File::open(folder)?.sync_all()?;
    Ok(())
}

/// An exclusive lock on a small file next to the target (the target itself is replaced by rename,
/// so it cannot carry the lock). Released on drop, or by the OS when the process ends.
#[derive(Debug)]
pub(crate) struct FileLock {
    file: File,
}

impl FileLock {
    /// Waits at most `timeout` for the lock.
    pub(crate) fn acquire(path: &Path, timeout: Duration) -> Result<FileLock> {
        let started = Instant::now();
        loop {
            match Self::try_acquire(path)? {
                Some(lock) => return Ok(lock),
                None if started.elapsed() < timeout => std::thread::sleep(Duration::from_millis(20)),
                None => {
                    return Err(Error::new(
                        crate::error::ErrorCode::Io,
                        format!(
                            "timed out after {}s waiting for another run to release {}",
                            timeout.as_secs(),
                            path.display()
                        ),
                    ))
                }
            }
        }
    }

    /// The lock if it is free now; `None` if another process (or another handle) holds it.
    pub(crate) fn try_acquire(path: &Path) -> Result<Option<FileLock>> {
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path).map_err(|e| Error::io("cannot open the lock file", path, &e))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(FileLock { file })),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => Err(Error::io("cannot lock", path, &e)),
        }
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(profile: &str, key: &str) -> ProfileCredentials {
        ProfileCredentials {
            profile: profile.to_string(),
            account_id: "123456789012".to_string(),
            role_name: "ReadOnly".to_string(),
            access_key_id: key.to_string(),
            secret_access_key: Secret::new("SECRET"),
            session_token: Secret::new("TOKEN"),
            expiration: SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
        }
    }

    #[test]
    fn merge_creates_private_folders_and_file_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/.aws/credentials");
        merge(&path, &[creds("dev", "AKIA1")]).unwrap();
        let stored = read_stored(&path).unwrap();
        let dev = &stored["dev"];
        assert!(dev.is_current_for("123456789012", "ReadOnly", SystemTime::UNIX_EPOCH));
        assert!(!dev.is_current_for("123456789012", "Admin", SystemTime::UNIX_EPOCH));
        assert!(!dev.is_current_for(
            "123456789012",
            "ReadOnly",
            SystemTime::now() + Duration::from_secs(10 * 365 * 86400)
        ));
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("aws_credential_expiration = 2027-01-15T08:00:00Z"), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
        }
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers.len(), 2, "only the file and its lock: {leftovers:?}");
    }

    #[test]
    fn a_bom_is_read_past_and_never_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        fs::write(&path, "\u{feff}[default]\r\nregion = x\r\n").unwrap();
        merge(&path, &[creds("dev", "AKIA1")]).unwrap();
        let bytes = fs::read(&path).unwrap();
        assert!(
            bytes.starts_with(b"[default]\r\nregion = x\r\n\r\n[dev]\r\n"),
            "{:?}",
            String::from_utf8_lossy(&bytes)
        );
    }

    #[test]
    fn a_utf16_file_is_refused_and_left_intact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        let utf16: Vec<u8> =
            [0xFF, 0xFE].into_iter().chain("[a]\n".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        fs::write(&path, &utf16).unwrap();
        let err = merge(&path, &[creds("dev", "AKIA1")]).unwrap_err();
        assert!(err.message.contains("not UTF-8"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), utf16);
    }

    #[cfg(unix)]
    #[test]
    fn existing_permissions_and_symlinks_are_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("dotfiles-credentials");
        fs::write(&real, "[a]\nk = v\n").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("credentials");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        merge(&link, &[creds("dev", "AKIA1")]).unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert!(fs::read_to_string(&real).unwrap().contains("[dev]"));
        assert_eq!(fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o640);
    }

    #[test]
    fn path_resolution_order() {
        let env = Env::from_pairs([("HOME", "/home/u"), ("AWS_SHARED_CREDENTIALS_FILE", "~/alt/creds")]);
        assert_eq!(resolve_path(Some("/x/y"), &env).unwrap(), PathBuf::from("/x/y"));
        assert_eq!(resolve_path(None, &env).unwrap(), PathBuf::from("/home/u/alt/creds"));
        let env = Env::from_pairs([("USERPROFILE", "C:\\Users\\u")]);
        assert_eq!(resolve_path(None, &env).unwrap(), Path::new("C:\\Users\\u").join(".aws").join("credentials"));
        assert!(resolve_path(None, &Env::from_pairs::<&str, &str>([])).is_err());
    }
}
