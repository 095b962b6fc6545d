//! Where a session's token is kept besides this process's memory: the AWS CLI v2 cache file
//! (unless `noTokenFile`), and, when asked for, the `[sso-session]` section of the AWS config file
//! so that `aws` CLI v2 uses the same login. The file formats are `files::token_cache`'s and `files::ini`'s.

use std::path::Path;
use std::time::{Duration, SystemTime};

use super::{Persistence, Registration, SsoToken};
use crate::concurrency::blocking;
use crate::env::HostEnv;
use crate::error::Result;
use crate::files::config;
use crate::files::ini::SectionUpdate;
use crate::files::token_cache::{self, CachedToken};
use crate::oidc::SCOPE;

/// Where a session's token is kept: the AWS CLI v2 cache (unless `memory_only`), and the
/// `[sso-session]` config section when asked for.
pub(crate) fn persistence(
    env: &HostEnv,
    environment: &str,
    memory_only: bool,
    write_sso_session: bool,
) -> Result<Persistence> {
    let cache_file =
        if memory_only { None } else { Some(token_cache::cache_file(&token_cache::cache_dir(env)?, environment)) };
    let sso_session_config = if write_sso_session { Some(config::resolve_path(env)?) } else { None };
    Ok(Persistence { cache_file, sso_session_config })
}

/// The token in the cache file, if there is one that can be understood.
pub(super) fn read(cache_file: &Path) -> Result<Option<SsoToken>> {
    Ok(token_cache::read(cache_file)?.map(from_cache))
}

/// A registration kept in the session's cache file by an earlier process, for this one to reuse.
pub(crate) fn cached_registration(
    cache_file: Option<&Path>,
    region: &str,
    now: SystemTime,
    margin: Duration,
) -> Option<Registration> {
    let cached = read(cache_file?).ok()??;
    cached.registration.filter(|r| r.region == region && r.valid_at(now, margin))
}

/// Writes `token` where `persist` says, off the async threads: the config file's lock may be held
/// by another process.
pub(super) async fn save(environment: &str, token: &SsoToken, persist: &Persistence) -> Result<()> {
    let (environment, token, persist) = (environment.to_string(), token.clone(), persist.clone());
    blocking("storing the SSO token", move || {
        if let Some(path) = &persist.cache_file {
            token_cache::write(path, &to_cache(&token))?;
        }
        if let Some(config_file) = &persist.sso_session_config {
            config::merge_sections(config_file, &[sso_session_section(&environment, &token)])?;
        }
        Ok(())
    })
    .await
}

/// `[sso-session <environment>]` in the AWS config file `config_file`, off the async threads.
pub(crate) async fn write_sso_session(environment: &str, token: &SsoToken, config_file: &Path) -> Result<()> {
    let (update, config_file) = (sso_session_section(environment, token), config_file.to_path_buf());
    blocking("writing the AWS config file", move || config::merge_sections(&config_file, &[update])).await
}

fn sso_session_section(environment: &str, token: &SsoToken) -> SectionUpdate {
    SectionUpdate {
        section: format!("sso-session {environment}"),
        set: vec![
            ("sso_start_url", token.start_url.clone()),
            ("sso_region", token.region.clone()),
            ("sso_registration_scopes", SCOPE.to_string()),
        ],
        remove: Vec::new(),
        drop_when_emptied: false,
    }
}

/// Removes the session's cache file (logout).
pub(super) fn remove(cache_file: &Path) -> Result<()> {
    token_cache::remove(cache_file)
}

fn from_cache(cached: CachedToken) -> SsoToken {
    let registration = match (cached.client_id, cached.client_secret, cached.registration_expires_at) {
        (Some(client_id), Some(client_secret), Some(expires_at)) => {
            Some(Registration { region: cached.region.clone(), client_id, client_secret, expires_at })
        }
        _ => None,
    };
    SsoToken {
        access_token: cached.access_token,
        expires_at: cached.expires_at,
        start_url: cached.start_url,
        region: cached.region,
        refresh_token: cached.refresh_token,
        registration,
    }
}

fn to_cache(token: &SsoToken) -> CachedToken {
    CachedToken {
        start_url: token.start_url.clone(),
        region: token.region.clone(),
        access_token: token.access_token.clone(),
        expires_at: token.expires_at,
        refresh_token: token.refresh_token.clone(),
        client_id: token.registration.as_ref().map(|r| r.client_id.clone()),
        client_secret: token.registration.as_ref().map(|r| r.client_secret.clone()),
        registration_expires_at: token.registration.as_ref().map(|r| r.expires_at),
    }
}
