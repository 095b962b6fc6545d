//! The session's SSO token: whether it can be used, where it is kept ([`store`]: this process's
//! memory and the AWS CLI v2 cache file, shared with every other shell, scheduled job and the AWS
//! CLI itself), its renewal with the refresh token ([`renew`]), and its end ([`status`],
//! [`logout`]).

mod logout;
mod renew;
pub(crate) mod state;
mod status;
mod store;

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub(crate) use logout::logout;
pub(crate) use state::{Persistence, Registration, SsoToken};
pub(crate) use status::status;
pub(crate) use store::{cached_registration, persistence, write_sso_session};

use crate::context::Context;
use crate::error::{Error, ErrorCode, Result};
use crate::secret::Secret;
use crate::time::format_rfc3339;

/// A token is renewed with its refresh token once it has less than this left.
pub(crate) const REFRESH_AHEAD: Duration = Duration::from_secs(5 * 60);
/// `login_start` reuses a stored token while it has more than this left.
pub(crate) const TOKEN_LEFT_TO_REUSE: Duration = Duration::from_secs(5 * 60);
/// Never two renewal attempts for one session within this long.
const RENEWAL_COOLDOWN: Duration = Duration::from_secs(30);

/// The newest token known for the session: in memory, or in the cache file (another process may
/// have logged in or renewed it since). A token the service refused is offered as expired.
pub(crate) fn stored(context: &Context, environment: &str, cache_file: Option<&Path>) -> Result<Option<SsoToken>> {
    let on_disk = match cache_file {
        Some(path) => store::read(path)?,
        None => None,
    };
    Ok(context.state.with(environment, |s| {
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

/// What a session's stored token allows, judged with no network call.
#[derive(Debug)]
pub(crate) struct Availability {
    /// When the stored token ends, if there is one (and the service has not refused it).
    pub expires_at: Option<SystemTime>,
    /// What stands in the way, if anything: `LoginRequired` or `LoginPending`, and why.
    pub missing: Option<(ErrorCode, String)>,
}

/// Whether the session has a token that is valid or could be renewed without the user.
pub(crate) fn availability(
    context: &Context,
    environment: &str,
    cache_file: Option<&Path>,
    start_url: Option<&str>,
) -> Result<Availability> {
    let now = context.clock.now();
    let token = stored(context, environment, cache_file)?.filter(|t| t.is_for(start_url));
    let missing = match &token {
        Some(token) if token.valid_at(now, Duration::ZERO) || token.refreshable_at(now) => None,
        Some(token) => Some((ErrorCode::LoginRequired, ended(token, now))),
        None if context.state.with(environment, |s| s.login_in_progress()) => {
            Some((ErrorCode::LoginPending, "the login has not been approved yet".to_string()))
        }
        None => Some((ErrorCode::LoginRequired, "not logged in".to_string())),
    };
    let expires_at = token.map(|t| t.expires_at).filter(|at| *at != UNIX_EPOCH);
    Ok(Availability { expires_at, missing })
}

/// Fails fast, without a network call, when no token is there or could be renewed.
pub(crate) fn require_available(
    context: &Context,
    environment: &str,
    cache_file: Option<&Path>,
    start_url: Option<&str>,
) -> Result<()> {
    match availability(context, environment, cache_file, start_url)?.missing {
        None => Ok(()),
        Some((ErrorCode::LoginPending, why)) => {
            Err(Error::new(ErrorCode::LoginPending, format!("environment '{environment}': {why}")))
        }
        Some((_, why)) => Err(Error::login_required(environment, &why)),
    }
}

/// A token good for the next few minutes: the stored one, renewed with its refresh token when it
/// is about to expire. `LoginRequired` (saying when the session ended) when there is none.
pub(crate) async fn usable(
    context: &Context,
    environment: &str,
    cache_file: Option<&Path>,
    start_url: Option<&str>,
) -> Result<SsoToken> {
    let Some(token) = stored(context, environment, cache_file)?.filter(|t| t.is_for(start_url)) else {
        return Err(Error::login_required(environment, "not logged in"));
    };
    let now = context.clock.now();
    if token.valid_at(now, REFRESH_AHEAD) {
        return Ok(token);
    }
    let cooling_down =
        context.state.with(environment, |s| s.last_refresh_attempt.is_some_and(|t| t.elapsed() < RENEWAL_COOLDOWN));
    if token.refreshable_at(now) && !cooling_down {
        tracing::debug!(environment, "the SSO token expires soon; renewing it with its refresh token");
        match renew::renew(context, environment, &token, cache_file).await {
            Ok(fresh) => return Ok(fresh),
            Err(error) if error.code != ErrorCode::LoginRequired && token.valid_at(now, Duration::ZERO) => {
                tracing::warn!(environment, %error, "could not renew the SSO token; using it while it lasts");
            }
            Err(error) => return Err(error),
        }
    }
    if token.valid_at(context.clock.now(), Duration::ZERO) {
        Ok(token)
    } else {
        Err(Error::login_required(environment, &ended(&token, now)))
    }
}

/// Keeps `token` where `persist` says (the cache file, the `[sso-session]` section), then in
/// memory.
pub(crate) async fn remember(
    context: &Context,
    environment: &str,
    token: SsoToken,
    persist: &Persistence,
) -> Result<()> {
    store::save(environment, &token, persist).await?;
    context.state.with(environment, |s| s.token = Some(token));
    Ok(())
}

/// The service refused this access token: never offer it again (a renewal may replace it).
pub(crate) fn reject(context: &Context, environment: &str, rejected: &Secret) {
    tracing::info!(environment, "the service rejected the SSO token");
    context.state.with(environment, |s| {
        s.rejected = Some(rejected.clone());
        if s.token.as_ref().is_some_and(|t| &t.access_token == rejected) {
            s.token = None;
        }
    });
}

/// Why a stored token cannot be used, with the time the session ended.
fn ended(token: &SsoToken, now: SystemTime) -> String {
    match &token.registration {
        Some(registration) if token.refresh_token.is_some() && !registration.valid_at(now, Duration::ZERO) => {
            format!(
                "the SSO token expired at {} and its client registration expired at {}",
                format_rfc3339(token.expires_at),
                format_rfc3339(registration.expires_at)
            )
        }
        _ if token.expires_at == UNIX_EPOCH => "the service no longer accepts the SSO token".to_string(),
        _ => format!("the SSO session ended at {}", format_rfc3339(token.expires_at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(expires_at: SystemTime, registration_expires_at: SystemTime) -> SsoToken {
        SsoToken {
            access_token: Secret::new("aoa-ACCESS"),
            expires_at,
            start_url: "https://x".into(),
            region: "us-east-1".into(),
            refresh_token: Some(Secret::new("aor-REFRESH")),
            registration: Some(Registration {
                region: "us-east-1".into(),
                client_id: "client".into(),
                client_secret: Secret::new("CLIENT-SECRET"),
                expires_at: registration_expires_at,
            }),
        }
    }

    #[test]
    fn debug_output_of_tokens_and_registrations_shows_no_secret() {
        let printed = format!("{:?}", token(SystemTime::now(), SystemTime::now()));
        for secret in ["aoa-ACCESS", "aor-REFRESH", "CLIENT-SECRET"] {
            assert!(!printed.contains(secret), "{printed}");
        }
    }

    #[test]
    fn validity_and_renewability_are_judged_at_the_given_time() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let hour = Duration::from_secs(3600);
        let t = token(now + hour, now + 2 * hour);
        assert!(t.valid_at(now, REFRESH_AHEAD) && !t.valid_at(now + hour, Duration::ZERO));
        assert!(t.refreshable_at(now + hour) && !t.refreshable_at(now + 2 * hour));
        assert!(ended(&t, now + 3 * hour).contains("client registration expired at"));
        let unregistered = SsoToken { registration: None, ..t };
        assert!(!unregistered.refreshable_at(now));
        assert!(ended(&unregistered, now + 3 * hour).starts_with("the SSO session ended at"));
    }
}
