//! The SSO token on disk, in the AWS CLI v2 cache format, so that one login serves every shell,
//! every scheduled run and the AWS CLI and SDKs themselves.
//!
//! `~/.aws/sso/cache/<lowercase hex sha1 of the key>.json`, where the key is the sso-session name
//! (this tool's environment name), or the start URL exactly as written for a profile without a
//! session. Files are 0600 and written atomically; fields this tool does not know are kept.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;
use sha1::{Digest, Sha1};

use super::paths;
use crate::env::HostEnv;
use crate::error::{Error, ErrorCode, Result};
use crate::secret::Secret;
use crate::time::{format_rfc3339, parse_rfc3339};

/// The fields the AWS CLI writes, and this tool with it.
const START_URL: &str = "startUrl";
const REGION: &str = "region";
const ACCESS_TOKEN: &str = "accessToken";
const EXPIRES_AT: &str = "expiresAt";
const CLIENT_ID: &str = "clientId";
const CLIENT_SECRET: &str = "clientSecret";
const REGISTRATION_EXPIRES_AT: &str = "registrationExpiresAt";
const REFRESH_TOKEN: &str = "refreshToken";

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

/// `~/.aws/sso/cache`.
pub fn cache_dir(env: &HostEnv) -> Result<PathBuf> {
    paths::under_home(env, &[".aws", "sso", "cache"], "the SSO token cache")
}

/// The cache file for `key` (a session name, or a start URL for a profile without a session).
pub fn cache_file(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("{}.json", hex::encode(Sha1::digest(key.as_bytes()))))
}

/// The cached token, or `None` when there is no file or no usable token in it: a file that is not
/// JSON, is cut short, lacks a field or holds a field of the wrong type or an unreadable time is
/// treated as absent (the AWS CLI replaces such files too). A file that cannot be read is an error.
pub fn read(path: &Path) -> Result<Option<CachedToken>> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => zeroize::Zeroizing::new(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("cannot read the SSO token cache", path, &e)),
    };
    let token = parse(&bytes);
    if token.is_none() {
        tracing::warn!(path = %path.display(), "ignoring an SSO token cache file without a usable token");
    }
    Ok(token)
}

/// The token in a cache file's bytes, if there is a usable one.
pub(super) fn parse(bytes: &[u8]) -> Option<CachedToken> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(bytes) else {
        return None;
    };
    let text = |name: &str| fields.get(name).and_then(Value::as_str).filter(|s| !s.is_empty());
    Some(CachedToken {
        start_url: text(START_URL)?.to_string(),
        region: text(REGION)?.to_string(),
        access_token: Secret::new(text(ACCESS_TOKEN)?),
        expires_at: parse_cache_time(text(EXPIRES_AT)?)?,
        refresh_token: text(REFRESH_TOKEN).map(Secret::new),
        client_id: text(CLIENT_ID).map(str::to_string),
        client_secret: text(CLIENT_SECRET).map(Secret::new),
        registration_expires_at: text(REGISTRATION_EXPIRES_AT).and_then(parse_cache_time),
    })
}

/// Writes the token atomically, 0600, creating the folders 0700. Fields of the file that this tool
/// does not know (written by the AWS CLI or another tool) are kept.
pub fn write(path: &Path, token: &CachedToken) -> Result<()> {
    let existing = match std::fs::read(path) {
        Ok(bytes) => Some(zeroize::Zeroizing::new(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io("cannot read the SSO token cache", path, &e)),
    };
    let json = contents(existing.as_deref().map(Vec::as_slice), token)?;
    let folder = paths::folder_of(path);
    paths::create_private_dir(folder).map_err(|e| Error::io("cannot create", folder, &e))?;
    super::write_atomically(path, &json, true).map_err(|e| Error::io("cannot write the SSO token cache", path, &e))
}

/// The file's new bytes: the JSON object it held (if it held one) with the token's fields set.
pub(super) fn contents(existing: Option<&[u8]>, token: &CachedToken) -> Result<zeroize::Zeroizing<Vec<u8>>> {
    let mut fields = existing
        .map(|bytes| bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes))
        .and_then(|bytes| match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(fields)) => Some(fields),
            _ => None,
        })
        .unwrap_or_default();
    let mut set = |name: &str, value: Option<String>| match value {
        Some(value) => {
            fields.insert(name.to_string(), Value::String(value));
        }
        None => {
            fields.remove(name);
        }
    };
    set(START_URL, Some(token.start_url.clone()));
    set(REGION, Some(token.region.clone()));
    set(ACCESS_TOKEN, Some(token.access_token.expose().to_string()));
    set(EXPIRES_AT, Some(format_rfc3339(token.expires_at)));
    set(CLIENT_ID, token.client_id.clone());
    set(CLIENT_SECRET, token.client_secret.as_ref().map(|s| s.expose().to_string()));
    set(REGISTRATION_EXPIRES_AT, token.registration_expires_at.map(format_rfc3339));
    set(REFRESH_TOKEN, token.refresh_token.as_ref().map(|s| s.expose().to_string()));
    serde_json::to_vec_pretty(&Value::Object(fields))
        .map(zeroize::Zeroizing::new)
        .map_err(|e| Error::new(ErrorCode::Io, e.to_string()))
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

/// The file of the accounts and roles listed with the token of `cache_file` (see
/// `discovery::listing`), kept beside it and removed with it.
pub(crate) fn listing_file(cache_file: &Path) -> PathBuf {
    let stem = cache_file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    cache_file.with_file_name(format!("{stem}.accounts.json"))
}

/// Removes the listing file beside `cache_file`; a missing file is fine.
pub(crate) fn remove_listing_file(cache_file: &Path) -> Result<()> {
    let path = listing_file(cache_file);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io("cannot remove", &path, &e)),
        _ => Ok(()),
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

    #[test]
    fn fields_of_other_tools_are_kept_and_stale_ones_of_ours_go() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        std::fs::write(&path, r#"{"startUrl": "old", "accessToken": "old", "refreshToken": "old-rt", "scopes": ["sso:account:access"], "x": {"n": 1}}"#).unwrap();
        let token = CachedToken {
            start_url: "https://x.awsapps.com/start".into(),
            region: "us-east-1".into(),
            access_token: Secret::new("new"),
            expires_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
            refresh_token: None,
            client_id: None,
            client_secret: None,
            registration_expires_at: None,
        };
        write(&path, &token).unwrap();
        let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(json["scopes"], serde_json::json!(["sso:account:access"]));
        assert_eq!(json["x"], serde_json::json!({"n": 1}));
        assert_eq!(json["accessToken"], "new");
        assert!(json.get("refreshToken").is_none(), "a refresh token of an older token must not stay");
    }

    #[test]
    fn a_damaged_file_is_no_token_and_never_a_panic() {
        let good = r#"{"startUrl": "https://x.awsapps.com/start", "region": "us-east-1", "accessToken": "a", "expiresAt": "2026-11-23T10:00:00Z"}"#;
        assert!(parse(good.as_bytes()).is_some());
        for cut in 0..good.len() {
            assert!(parse(&good.as_bytes()[..cut]).is_none(), "{cut}");
        }
        for bad in [
            r#"{"startUrl": "u", "region": "r", "accessToken": "a", "expiresAt": "2026-11-23T10:00:00+0é:00"}"#,
            r#"{"startUrl": "u", "region": "r", "accessToken": "a", "expiresAt": "日本語テキスト"}"#,
            r#"{"startUrl": "u", "region": "r", "accessToken": 5, "expiresAt": "2026-11-23T10:00:00Z"}"#,
            r#"{"startUrl": "u", "region": "r", "accessToken": "", "expiresAt": "2026-11-23T10:00:00Z"}"#,
            r#"["startUrl"]"#,
            "null",
        ] {
            assert!(parse(bad.as_bytes()).is_none(), "{bad}");
        }
        assert!(parse("[".repeat(100_000).as_bytes()).is_none());
        assert!(parse(&[0xFF, 0xFE, b'{', 0]).is_none());
        // An optional field of the wrong type is ignored, not the whole token.
        let odd = r#"{"startUrl": "u", "region": "r", "accessToken": "a", "expiresAt": "2026-11-23T10:00:00Z", "refreshToken": 7, "registrationExpiresAt": "ü"}"#;
        let token = parse(odd.as_bytes()).unwrap();
        assert!(token.refresh_token.is_none() && token.registration_expires_at.is_none());
    }

    #[test]
    fn a_file_that_cannot_be_read_is_an_error_but_bad_utf8_is_no_token() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        std::fs::write(&path, [0xFF, 0xFE, 0x00]).unwrap();
        assert!(read(&path).unwrap().is_none());
        assert!(read(dir.path()).is_err());
    }
}
