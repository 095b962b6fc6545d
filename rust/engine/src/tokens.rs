//! Where the engine's SSO tokens come from and go: this process's memory, the AWS CLI v2 cache on
//! disk (shared with every other shell, scheduled job and the AWS CLI itself), and the
//! refresh-token grant that renews a token without the user.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, UNIX_EPOCH};

use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::files::ini::SectionUpdate;
use crate::files::token_cache::{self, CachedToken};
use crate::files::{self, lock_path, FileLock};
use crate::login;
use crate::session::{Persistence, Registration, SsoToken};
use crate::time::format_rfc3339;

/// A token is renewed with its refresh token once it has less than this left.
pub const REFRESH_AHEAD: Duration = Duration::from_secs(5 * 60);
/// Never two refresh attempts for one session within this long.
const REFRESH_COOLDOWN: Duration = Duration::from_secs(30);
/// How long a refresh waits for another process that holds the session's lock.
const REFRESH_LOCK_TIMEOUT: Duration = Duration::from_secs(30);
const SCOPE: &str = "sso:account:access";

impl Engine {
    /// Where a session's token is kept: the AWS CLI v2 cache (unless `memory_only`), and the
    /// `[sso-session]` config section when asked for.
    pub(crate) fn persistence(
        &self,
        environment: &str,
        memory_only: bool,
        write_sso_session: bool,
    ) -> Result<Persistence> {
        let cache_file = if memory_only {
            None
        } else {
            Some(token_cache::cache_file(&token_cache::cache_dir(self.env())?, environment))
        };
        let sso_session_config = if write_sso_session { Some(self.config_file_path()?) } else { None };
        Ok(Persistence { cache_file, sso_session_config })
    }

    /// `AWS_CONFIG_FILE`, else `~/.aws/config`.
    fn config_file_path(&self) -> Result<PathBuf> {
        files::config::resolve_path(self.env())
    }

    /// The newest token known for the session: in memory, or in the cache file (another process
    /// may have logged in or refreshed since). A token the service refused is offered as expired.
    pub(crate) fn stored_token(&self, environment: &str, cache_file: Option<&Path>) -> Result<Option<SsoToken>> {
        let on_disk = match cache_file {
            Some(path) => token_cache::read(path)?.map(from_cache),
            None => None,
        };
        Ok(self.sessions().with(environment, |s| {
            let newest = [s.token.take(), on_disk].into_iter().flatten().max_by_key(|t| t.expires_at);
            s.token = newest.clone();
            newest.map(|mut token| {
                if s.rejected.as_ref() == Some(&token.access_token) {
                    token.expires_at = UNIX_EPOCH;
                }
                token
            })
        }))
    }

    /// Fails fast, without a network call, when no token is there or could be renewed.
    pub(crate) fn check_token_available(
        &self,
        environment: &str,
        cache_file: Option<&Path>,
        start_url: Option<&str>,
    ) -> Result<()> {
        match self.stored_token(environment, cache_file)?.filter(|t| start_url.is_none_or(|u| u == t.start_url)) {
            Some(token) if token.valid_for(Duration::ZERO) || token.refreshable() => Ok(()),
            Some(token) => Err(Error::login_required(environment, &ended(&token))),
            None if self.sessions().with(environment, |s| s.pending.is_some() || s.waiting.is_some()) => {
                Err(Error::new(
                    ErrorCode::LoginPending,
                    format!("environment '{environment}': the login has not been approved yet"),
                ))
            }
            None => Err(Error::login_required(environment, "not logged in")),
        }
    }

    /// A token good for the next few minutes: the stored one, renewed with its refresh token when
    /// it is about to expire. `LoginRequired` (saying when the session ended) when there is none.
    pub(crate) async fn usable_token(
        &self,
        environment: &str,
        cache_file: Option<&Path>,
        start_url: Option<&str>,
    ) -> Result<SsoToken> {
        let token = self.stored_token(environment, cache_file)?.filter(|t| start_url.is_none_or(|u| u == t.start_url));
        let Some(token) = token else {
            return Err(Error::login_required(environment, "not logged in"));
        };
        if token.valid_for(REFRESH_AHEAD) {
            return Ok(token);
        }
        let cooling_down = self
            .sessions()
            .with(environment, |s| s.last_refresh_attempt.is_some_and(|t| t.elapsed() < REFRESH_COOLDOWN));
        if token.refreshable() && !cooling_down {
            tracing::debug!(environment, "the SSO token expires soon; renewing it with its refresh token");
            match self.refresh_grant(environment, &token, cache_file).await {
                Ok(fresh) => return Ok(fresh),
                Err(error) if error.code != ErrorCode::LoginRequired && token.valid_for(Duration::ZERO) => {
                    tracing::warn!(environment, %error, "could not renew the SSO token; using it while it lasts");
                }
                Err(error) => return Err(error),
            }
        }
        if token.valid_for(Duration::ZERO) {
            Ok(token)
        } else {
            Err(Error::login_required(environment, &ended(&token)))
        }
    }

    /// One refresh-token grant, under the session's lock so that concurrent processes do not spend
    /// the same (rotating) refresh token twice; the renewed token is written back.
    async fn refresh_grant(&self, environment: &str, token: &SsoToken, cache_file: Option<&Path>) -> Result<SsoToken> {
        self.sessions().with(environment, |s| s.last_refresh_attempt = Some(Instant::now()));
        let _lock = match cache_file {
            Some(path) => {
                let lock = lock_path(path);
                let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
                Some(
                    tokio::task::spawn_blocking(move || {
                        files::create_private_dir(&folder).map_err(|e| Error::io("cannot create", &folder, &e))?;
                        FileLock::acquire(&lock, REFRESH_LOCK_TIMEOUT)
                    })
                    .await
                    .map_err(|_| Error::new(ErrorCode::Panic, "locking the SSO session panicked"))??,
                )
            }
            None => None,
        };
        // Another process may have renewed it while this one waited for the lock.
        if let Some(newer) = self
            .stored_token(environment, cache_file)?
            .filter(|t| t.start_url == token.start_url && t.valid_for(REFRESH_AHEAD))
        {
            return Ok(newer);
        }
        let client = self.clients().oidc(&token.region, self.env())?;
        let fresh = login::refresh(&client, token, environment).await?;
        tracing::info!(environment, expires_at = %format_rfc3339(fresh.expires_at), "renewed the SSO token");
        self.remember_token(
            environment,
            fresh.clone(),
            &Persistence { cache_file: cache_file.map(Path::to_path_buf), sso_session_config: None },
        )?;
        Ok(fresh)
    }

    /// Keeps `token` in memory and where `persist` says.
    pub(crate) fn remember_token(&self, environment: &str, token: SsoToken, persist: &Persistence) -> Result<()> {
        if let Some(path) = &persist.cache_file {
            token_cache::write(path, &to_cache(&token))?;
        }
        if let Some(config) = &persist.sso_session_config {
            self.write_sso_session(environment, &token, config)?;
        }
        self.sessions().with(environment, |s| s.token = Some(token));
        Ok(())
    }

    /// `[sso-session <environment>]` in the AWS config file, so `aws` CLI v2 uses the same login.
    pub(crate) fn write_sso_session(&self, environment: &str, token: &SsoToken, config: &Path) -> Result<()> {
        let update = SectionUpdate {
            section: format!("sso-session {environment}"),
            set: vec![
                ("sso_start_url", token.start_url.clone()),
                ("sso_region", token.region.clone()),
                ("sso_registration_scopes", SCOPE.to_string()),
            ],
            remove: Vec::new(),
        };
        files::config::merge_sections(config, &[update])
    }

    /// The service refused this access token: never offer it again (a refresh may replace it).
    pub(crate) fn reject_token(&self, environment: &str, rejected: &crate::secret::Secret) {
        tracing::info!(environment, "the service rejected the SSO token");
        self.sessions().with(environment, |s| {
            s.rejected = Some(rejected.clone());
            if s.token.as_ref().is_some_and(|t| &t.access_token == rejected) {
                s.token = None;
            }
        });
    }

    /// A registration kept in the session's cache file, for a new process to reuse.
    pub(crate) fn cached_registration(
        &self,
        cache_file: Option<&Path>,
        region: &str,
        margin: Duration,
    ) -> Option<Registration> {
        let cached = token_cache::read(cache_file?).ok()??;
        from_cache(cached).registration.filter(|r| r.region == region && r.valid_for(margin))
    }
}

/// Why a stored token cannot be used, with the time the session ended.
fn ended(token: &SsoToken) -> String {
    match &token.registration {
        Some(registration) if token.refresh_token.is_some() && !registration.valid_for(Duration::ZERO) => format!(
            "the SSO token expired at {} and its client registration expired at {}",
            format_rfc3339(token.expires_at),
            format_rfc3339(registration.expires_at)
        ),
        _ if token.expires_at == UNIX_EPOCH => "the service no longer accepts the SSO token".to_string(),
        _ => format!("the SSO session ended at {}", format_rfc3339(token.expires_at)),
    }
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
