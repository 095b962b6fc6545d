//! Renewing a token without the user: the OIDC refresh-token grant, under the session's
//! cross-process lock so that concurrent processes never spend the same (rotating) refresh token
//! twice; the renewed token is stored at once.

use std::path::Path;
use std::time::{Duration, Instant};

use super::{Persistence, SsoToken, REFRESH_AHEAD};
use crate::clock::Clock;
use crate::concurrency::blocking;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::files::{create_private_dir, lock_path, FileLock};
use crate::oidc::REFRESH_TOKEN_GRANT;
use crate::service_error::ServiceFailure;
use crate::time::format_rfc3339;

/// How long a renewal waits for another process that holds the session's lock.
const LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// One refresh-token grant for `token`, unless another process renewed it while this one waited
/// for the lock.
pub(super) async fn renew(
    context: &Context,
    environment: &str,
    token: &SsoToken,
    cache_file: Option<&Path>,
) -> Result<SsoToken> {
    context.state.with(environment, |s| s.last_refresh_attempt = Some(Instant::now()));
    let _lock = match cache_file {
        Some(path) => {
            let (lock, folder) = (lock_path(path), path.parent().map(Path::to_path_buf).unwrap_or_default());
            Some(
                blocking("locking the SSO session", move || {
                    create_private_dir(&folder).map_err(|e| Error::io("cannot create", &folder, &e))?;
                    FileLock::acquire(&lock, LOCK_TIMEOUT)
                })
                .await?,
            )
        }
        None => None,
    };
    if let Some(newer) = super::stored(context, environment, cache_file)?
        .filter(|t| t.start_url == token.start_url && t.valid_at(context.clock.now(), REFRESH_AHEAD))
    {
        return Ok(newer);
    }
    let client = context.clients.oidc(&token.region, &context.env)?;
    let fresh = refresh_token_grant(&client, token, environment, &context.clock).await?;
    tracing::info!(environment, expires_at = %format_rfc3339(fresh.expires_at), "renewed the SSO token");
    let persist = Persistence { cache_file: cache_file.map(Path::to_path_buf), sso_session_config: None };
    super::remember(context, environment, fresh.clone(), &persist).await?;
    Ok(fresh)
}

/// Renews `token` with the refresh-token grant. The service may rotate the refresh token; when it
/// sends none, the old one stays in use. A refused grant means the SSO session has ended.
async fn refresh_token_grant(
    client: &aws_sdk_ssooidc::Client,
    token: &SsoToken,
    environment: &str,
    clock: &Clock,
) -> Result<SsoToken> {
    let (Some(refresh_token), Some(registration)) = (&token.refresh_token, &token.registration) else {
        return Err(Error::login_required(environment, "the SSO token cannot be refreshed (no refresh token)"));
    };
    let answer = client
        .create_token()
        .client_id(&registration.client_id)
        .client_secret(registration.client_secret.expose())
        .grant_type(REFRESH_TOKEN_GRANT)
        .refresh_token(refresh_token.expose())
        .send()
        .await;
    let output = answer.map_err(|e| {
        let failure = ServiceFailure::from_sdk(&e);
        match failure.code.as_deref() {
            Some("InvalidGrantException" | "ExpiredTokenException" | "AccessDeniedException") => Error::login_required(
                environment,
                &format!(
                    "the SSO session has ended (the service refused its refresh token: {})",
                    failure.code.unwrap_or_default()
                ),
            ),
            Some("InvalidClientException" | "UnauthorizedClientException") => {
                Error::login_required(environment, "the client registration is no longer accepted")
            }
            _ => failure.to_error("CreateToken (refresh)").context(format!("environment '{environment}'")),
        }
    })?;
    let mut fresh = SsoToken::issued(output, &token.start_url, &token.region, registration, clock.now())?;
    // The service may rotate the refresh token; when it sends none, the old one stays in use.
    if fresh.refresh_token.is_none() {
        fresh.refresh_token = token.refresh_token.clone();
    }
    Ok(fresh)
}
