//! The SSO token on disk, in the AWS CLI v2 cache format, so that one login serves every shell,
//! every scheduled run and the AWS CLI and SDKs themselves.
//!
//! `~/.aws/sso/cache/<lowercase hex sha1 of the key>.json`, where the key is the sso-session name
//! (this tool's environment name), or the start URL exactly as written for a profile without a
//! session. Files are 0600 and written atomically.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use super::paths;
use crate::env::Env;
use crate::error::{Error, ErrorCode, Result};
use crate::secret::Secret;
use crate::time::{format_rfc3339, parse_rfc3339};

/// A token as the cache holds it, with the client registration that can refresh it.
#[derive(Clone, Debug)]
pub struct CachedToken {
    pub start_url: String,
    pub region: String,
    pub access_token: Secret,
    pub expires_at: SystemTime,
    pub refresh_token: Option<Secret>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub registration_expires_at: Option<SystemTime>,
}

/// The file's JSON, as the AWS CLI writes and reads it. Never printed: it has no `Debug`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CacheFile {
    start_url: String,
    region: String,
    access_token: String,
    expires_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    registration_expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
}

/// `~/.aws/sso/cache`.
pub fn cache_dir(env: &Env) -> Result<PathBuf> {
    paths::under_home(env, &[".aws", "sso", "cache"], "the SSO token cache")
}

/// The cache file for `key` (a session name, or a start URL for a profile without a session).
pub fn cache_file(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("{}.json", hex::encode(Sha1::digest(key.as_bytes()))))
}

/// The cached token, or `None` when there is no file. A file that cannot be understood is treated
/// as absent (the AWS CLI replaces such files too), but a file that cannot be read is an error.
pub fn read(path: &Path) -> Result<Option<CachedToken>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("cannot read the SSO token cache", path, &e)),
    };
    let Ok(file) = serde_json::from_str::<CacheFile>(&text) else {
        tracing::warn!(path = %path.display(), "ignoring an SSO token cache file that is not in the expected format");
        return Ok(None);
    };
    let Some(expires_at) = parse_cache_time(&file.expires_at) else {
        tracing::warn!(path = %path.display(), "ignoring an SSO token cache file with an unreadable expiresAt");
        return Ok(None);
    };
    Ok(Some(CachedToken {
        start_url: file.start_url,
        region: file.region,
        access_token: Secret::new(file.access_token),
        expires_at,
        refresh_token: file.refresh_token.map(Secret::new),
        client_id: file.client_id,
        client_secret: file.client_secret.map(Secret::new),
        registration_expires_at: file.registration_expires_at.as_deref().and_then(parse_cache_time),
    }))
}

/// Writes the token atomically, 0600, creating the folders 0700.
pub fn write(path: &Path, token: &CachedToken) -> Result<()> {
    let file = CacheFile {
        start_url: token.start_url.clone(),
        region: token.region.clone(),
        access_token: token.access_token.expose().to_string(),
        expires_at: format_rfc3339(token.expires_at),
        client_id: token.client_id.clone(),
        client_secret: token.client_secret.as_ref().map(|s| s.expose().to_string()),
        registration_expires_at: token.registration_expires_at.map(format_rfc3339),
        refresh_token: token.refresh_token.as_ref().map(|s| s.expose().to_string()),
    };
    let json = zeroize::Zeroizing::new(
        serde_json::to_vec_pretty(&file).map_err(|e| Error::new(ErrorCode::Io, e.to_string()))?,
    );
    let folder = paths::folder_of(path);
    paths::create_private_dir(folder).map_err(|e| Error::io("cannot create", folder, &e))?;
    super::write_atomically(path, &json, true).map_err(|e| Error::io("cannot write the SSO token cache", path, &e))
}

/// Removes the cached token (logout). A missing file is fine.
pub fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(Error::io("cannot remove the SSO token cache", path, &e))
        }
        _ => Ok(()),
    }
}

/// RFC 3339, or the `...UTC` form older AWS CLI versions wrote (`2026-11-23T10:00:00UTC`).
fn parse_cache_time(value: &str) -> Option<SystemTime> {
    match value.strip_suffix("UTC") {
        Some(base) => parse_rfc3339(&format!("{base}Z")),
        None => parse_rfc3339(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn file_names_are_the_sha1_of_the_key() {
        let path = cache_file(Path::new("/c"), "my-sso");
        assert_eq!(path, Path::new("/c/0ad374308c5a4e22f723adf10145eafad7c4031c.json"));
    }

    #[test]
    fn round_trip_is_private_and_in_the_cli_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = cache_file(&dir.path().join("sso/cache"), "Contoso");
        let token = CachedToken {
            start_url: "https://d-1234567890.awsapps.com/start".into(),
            region: "eu-west-1".into(),
            access_token: Secret::new("at"),
            expires_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
            refresh_token: Some(Secret::new("rt")),
            client_id: Some("cid".into()),
            client_secret: Some(Secret::new("cs")),
            registration_expires_at: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_000)),
        };
        write(&path, &token).unwrap();
        let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(json["expiresAt"], "2027-01-15T08:00:00Z");
        assert_eq!(json["registrationExpiresAt"], "2030-03-17T17:46:40Z");
        assert_eq!(json["startUrl"], "https://d-1234567890.awsapps.com/start");
        for key in ["accessToken", "refreshToken", "clientId", "clientSecret", "region"] {
            assert!(json[key].is_string(), "{key}");
        }
        let back = read(&path).unwrap().unwrap();
        assert_eq!(back.expires_at, token.expires_at);
        assert_eq!(back.refresh_token.unwrap().expose(), "rt");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn files_the_cli_wrote_are_read_including_the_old_utc_suffix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("legacy.json");
        std::fs::write(&path, r#"{"startUrl": "https://x.awsapps.com/start", "region": "us-east-1", "accessToken": "a", "expiresAt": "2026-11-23T10:00:00UTC"}"#).unwrap();
        let token = read(&path).unwrap().unwrap();
        assert_eq!(format_rfc3339(token.expires_at), "2026-11-23T10:00:00Z");
        assert!(token.refresh_token.is_none() && token.client_id.is_none());
        std::fs::write(&path, "{broken").unwrap();
        assert!(read(&path).unwrap().is_none());
        assert!(read(&dir.path().join("absent.json")).unwrap().is_none());
    }
}
