//! Logging in: reuse the stored token when it is good, else a device authorization the user
//! approves in a browser ([`device`], polled by [`poll`]), with one login per session across
//! processes ([`other_process`]) and a cancel that leaves nothing behind.

mod device;
mod other_process;
mod poll;
mod registration;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::sync::watch;

pub(crate) use device::{REFRESH_TOKEN_GRANT, SCOPE};
pub(crate) use poll::poll;

use crate::api::{EnvironmentRequest, LoginCancelled, LoginStart, LoginStartRequest};
use crate::engine::Context;
use crate::error::{Error, ErrorCode, Result};
use crate::secret::Secret;
use crate::time::format_rfc3339;
use crate::token::{self, Persistence, Registration, REUSE_MARGIN};
use crate::validate;
use device::StartRefused;

/// A device authorization waiting for the user's approval.
#[derive(Clone, Debug)]
pub(crate) struct PendingLogin {
    pub registration: Registration,
    pub device_code: Secret,
    pub start_url: String,
    pub region: String,
    pub interval: Duration,
    pub next_poll: Instant,
    pub expires: Instant,
    pub persist: Persistence,
}

/// Another process is running the device login for this session; this one waits for its token.
#[derive(Clone, Debug)]
pub(crate) struct WaitingLogin {
    pub since: Instant,
    pub start_url: String,
    pub cache_file: PathBuf,
    pub persist: Persistence,
}

/// `login_start`.
pub(crate) async fn start(context: &Context, request: LoginStartRequest) -> Result<LoginStart> {
    let environment = &request.environment;
    validate::profile_name(environment, "environment")?;
    validate::start_url(&request.start_url, "startUrl")?;
    validate::region(&request.region, "region")?;
    let client = context.clients.oidc(&request.region, &context.env)?;
    let persist = token::persistence(&context.env, environment, request.no_token_file, request.write_sso_session)?;
    // A `login_cancel` (or `logout`) from now on leaves nothing of this start behind.
    let generation = context.sessions.with(environment, |s| s.generation);
    if !request.force_login {
        if let Some(done) = reuse(context, environment, &request.start_url, &persist).await? {
            return Ok(done);
        }
    }
    if let Some(cache_file) = &persist.cache_file {
        if !other_process::take_lock(context, environment, cache_file, generation)? {
            let waiting = WaitingLogin {
                since: Instant::now(),
                start_url: request.start_url.clone(),
                cache_file: cache_file.clone(),
                persist: persist.clone(),
            };
            let current = context.sessions.with(environment, |s| {
                let current = s.generation == generation;
                if current {
                    s.waiting = Some(waiting);
                }
                current
            });
            if !current {
                return Err(login_cancelled(environment));
            }
            return Ok(LoginStart::Waiting {
                message: format!(
                    "another process is already logging in to environment '{environment}'; waiting for it to finish"
                ),
            });
        }
        // That other process may have finished just before the lock was taken.
        if !request.force_login {
            let reused = reuse(context, environment, &request.start_url, &persist).await;
            if !matches!(reused, Ok(None)) {
                other_process::release_lock(context, environment, generation);
                if let Some(done) = reused? {
                    return Ok(done);
                }
            }
        }
    }
    let started = start_device_login(context, &client, &request, &persist, generation).await;
    if started.is_err() {
        other_process::release_lock(context, environment, generation);
    }
    started
}

/// `login_cancel`: forgets the pending device login, or the wait for another process's login, and
/// releases the login lock at once. A `login_poll` blocked on another thread returns at once.
pub(crate) fn cancel(context: &Context, request: EnvironmentRequest) -> Result<LoginCancelled> {
    let environment = request.environment;
    validate::profile_name(&environment, "environment")?;
    let cancelled = context.sessions.with(&environment, |s| s.forget_login());
    context.sessions.notify_login_forgotten();
    if cancelled {
        tracing::info!(environment, "login cancelled");
    }
    Ok(LoginCancelled { environment, cancelled })
}

/// The stored token, if it has more than a few minutes left (after a renewal if needed).
async fn reuse(
    context: &Context,
    environment: &str,
    start_url: &str,
    persist: &Persistence,
) -> Result<Option<LoginStart>> {
    match token::usable(context, environment, persist.cache_file.as_deref(), Some(start_url)).await {
        Ok(token) if token.valid_at(context.clock.now(), REUSE_MARGIN) => {
            tracing::debug!(environment, "reusing the stored SSO token");
            if let Some(config) = &persist.sso_session_config {
                token::write_sso_session(environment, &token, config).await?;
            }
            Ok(Some(LoginStart::LoggedIn { expires_at: format_rfc3339(token.expires_at) }))
        }
        Ok(_) => Ok(None),
        Err(error) if error.code == ErrorCode::LoginRequired => Ok(None),
        Err(error) => Err(error),
    }
}

async fn start_device_login(
    context: &Context,
    client: &aws_sdk_ssooidc::Client,
    request: &LoginStartRequest,
    persist: &Persistence,
    generation: u64,
) -> Result<LoginStart> {
    let (environment, region) = (&request.environment, &request.region);
    let registration = registration::registration(context, client, region, persist.cache_file.as_deref()).await?;
    let authorization = match device::start(client, &registration, &request.start_url, persist).await {
        Ok(authorization) => authorization,
        Err(StartRefused::Other(error)) => return Err(error.context(format!("environment '{environment}'"))),
        Err(StartRefused::Registration) => {
            tracing::debug!(environment, "the client registration was rejected; registering again");
            registration::forget(context, region)?;
            let registration = registration::registration(context, client, region, None).await?;
            device::start(client, &registration, &request.start_url, persist).await.map_err(
                |refused| match refused {
                    StartRefused::Other(error) => error,
                    StartRefused::Registration => Error::new(
                        ErrorCode::ServiceError,
                        "StartDeviceAuthorization rejected a new client registration",
                    ),
                },
            )?
        }
    };
    let started = LoginStart::Pending {
        user_code: authorization.user_code,
        verification_uri: authorization.verification_uri,
        verification_uri_complete: authorization.verification_uri_complete,
        expires_at: format_rfc3339(authorization.expires_at),
        interval_seconds: authorization.pending.interval.as_secs(),
    };
    let current = context.sessions.with(environment, |s| {
        let current = s.generation == generation;
        if current {
            s.pending = Some(authorization.pending);
        }
        current
    });
    if current {
        Ok(started)
    } else {
        Err(login_cancelled(environment))
    }
}

/// What a `login_start` or `login_poll` answers when `login_cancel` (or `logout`) ended its login.
fn login_cancelled(environment: &str) -> Error {
    Error::login_required(environment, "the login was cancelled")
}

/// The user code expired before it was approved.
fn code_expired(environment: &str) -> Error {
    Error::new(
        ErrorCode::DeviceCodeExpired,
        format!("environment '{environment}': the login code expired before it was approved; start the login again"),
    )
}

/// Sleeps until `until`; true when woken earlier because a login was forgotten (cancel, logout).
async fn pause_until(until: Instant, forgotten: &mut watch::Receiver<u64>) -> bool {
    tokio::select! {
        Ok(()) = forgotten.changed() => true,
        () = tokio::time::sleep_until(until.into()) => false,
    }
}
