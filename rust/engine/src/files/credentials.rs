//! The AWS shared credentials file: where it is, what it holds for a profile, and how new credentials
//! are merged into it (under the file's lock, written atomically: see [`super::merge_ini`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::ini::SectionUpdate;
use super::paths;
use crate::env::HostEnv;
use crate::error::{Error, Result};
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
/// Every key the engine writes in a profile, and the stale one it removes: what leaves a profile
/// whose keys now come from `credential_process`.
pub(crate) const OUR_KEYS: [&str; 7] = [
    KEY_ACCESS_KEY_ID,
    KEY_SECRET_ACCESS_KEY,
    KEY_SESSION_TOKEN,
    KEY_ACCOUNT_ID,
    KEY_EXPIRATION,
    KEY_ROLE_NAME,
    KEY_LEGACY_SECURITY_TOKEN,
];

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
    /// `None` when absent or not a time: such credentials count as expired.
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

/// The file named by the request, else `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
/// A leading `~` is expanded like the AWS CLI does.
pub fn resolve_path(explicit: Option<&str>, env: &HostEnv) -> Result<PathBuf> {
    match explicit.map(str::to_string).or_else(|| env.get("AWS_SHARED_CREDENTIALS_FILE")) {
        Some(path) => paths::expand_home(&path, env, "the credentials file"),
        None => paths::under_home(env, &[".aws", "credentials"], "the credentials file")
            .map_err(|e| Error::invalid_input(format!("{}; pass credentialsFile", e.message))),
    }
}

/// What the file holds for each profile. A missing file holds nothing.
pub fn read_stored(path: &Path) -> Result<HashMap<String, StoredProfile>> {
    Ok(stored_in(&super::read_ini(path)?))
}

/// What `text` holds for each profile, as botocore reads it.
pub(crate) fn stored_in(text: &str) -> HashMap<String, StoredProfile> {
    super::ini::parse(text)
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
        .collect()
}

/// Merges `credentials` into the file at `path` atomically, holding the lock across read, merge and
/// write. Folders and a new file are created private to the user (0700/0600 on Unix); an existing
/// file keeps its permissions; a symbolic link is followed and stays a link. When it fails, the file
/// is as it was.
pub fn merge(path: &Path, credentials: &[ProfileCredentials]) -> Result<()> {
    super::merge_ini(path, &updates(credentials))
}

/// The mode of the file at `path` when other users can read it (Unix: group or other read bits),
/// as ssh checks a private key. Never on Windows, which has no mode bits: a profile's folders are
/// kept to their user by access lists.
pub(crate) fn mode_readable_by_others(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o7777;
        (mode & 0o044 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// The section updates that write `credentials`.
pub(crate) fn updates(credentials: &[ProfileCredentials]) -> Vec<SectionUpdate> {
    credentials
        .iter()
        .map(|c| SectionUpdate {
            section: c.profile.clone(),
            set: vec![
                (KEY_ACCESS_KEY_ID, c.access_key_id.clone()),
                (KEY_SECRET_ACCESS_KEY, c.secret_access_key.expose().to_string()),
                (KEY_SESSION_TOKEN, c.session_token.expose().to_string()),
                (KEY_ACCOUNT_ID, c.account_id.clone()),
                (KEY_EXPIRATION, format_rfc3339(c.expiration)),
                (KEY_ROLE_NAME, c.role_name.clone()),
            ],
            remove: vec![KEY_LEGACY_SECURITY_TOKEN],
            drop_when_emptied: false,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::time::Duration;

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

    #[test]
    fn a_refused_profile_name_leaves_the_file_intact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials");
        fs::write(&path, "[a]\nk = v\n").unwrap();
        let err = merge(&path, &[creds("dev", "AKIA1"), creds("DEFAULT", "AKIA2")]).unwrap_err();
        assert!(err.message.contains("DEFAULT"), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "[a]\nk = v\n");
    }

    #[test]
    fn an_expiry_that_is_not_a_time_counts_as_expired_whatever_its_characters() {
        for expiry in ["éééééé", "2099-11-23T10:00:00+0é:00", "日本語テキスト", "2099-13-45T99:99:99Z", ""]
        {
            let text = format!(
                "[dev]\naws_access_key_id = A\naws_secret_access_key = S\naws_session_token = T\n\
                 aws_account_id = 123456789012\naws_sso_role_name = ReadOnly\naws_credential_expiration = {expiry}\n"
            );
            let dev = &stored_in(&text)["dev"];
            assert_eq!(dev.expiration, None, "{expiry}");
            assert!(!dev.is_current_for("123456789012", "ReadOnly", SystemTime::UNIX_EPOCH), "{expiry}");
        }
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
        let env = HostEnv::from_pairs([("HOME", "/home/u"), ("AWS_SHARED_CREDENTIALS_FILE", "~/alt/creds")]);
        assert_eq!(resolve_path(Some("/x/y"), &env).unwrap(), PathBuf::from("/x/y"));
        assert_eq!(resolve_path(None, &env).unwrap(), PathBuf::from("/home/u/alt/creds"));
        let env = HostEnv::from_pairs([("USERPROFILE", "C:\\Users\\u")]);
        assert_eq!(resolve_path(None, &env).unwrap(), Path::new("C:\\Users\\u").join(".aws").join("credentials"));
        let err = resolve_path(None, &HostEnv::from_pairs::<&str, &str>([])).unwrap_err();
        assert!(err.message.contains("pass credentialsFile"), "{err}");
    }
}
