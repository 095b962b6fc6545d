//! Logging in: reuse the stored token when it is good, else a login the user approves in a browser,
//! by one of two flows ([`flow`] chooses): the authorization code with PKCE
//! ([`authorization_code`]; the browser comes back to a loopback [`callback`] listener) or the
//! device code ([`device`]). [`begin`] starts either, [`poll`] (and [`code_poll`]) waits for it,
//! with one login per session across processes ([`other_process`]) and a cancel that leaves
//! nothing behind, no listener either.

mod authorization_code;
mod begin;
mod callback;
mod code_poll;
mod device;
mod end;
mod flow;
mod other_process;
mod poll;
mod registration;
pub(crate) mod state;

use std::time::{Duration, Instant};

use tokio::sync::watch;

pub(crate) use poll::poll;
pub(crate) use state::{CodeExchange, CodeLogin, DeviceLogin, PendingLogin, WaitingLogin};

use crate::api::{EnvironmentRequest, LoginCancelled, LoginStart, LoginStartRequest};
use crate::context::Context;
use crate::error::{Error, ErrorCode, Result};
use crate::time::format_rfc3339;
use crate::token::{self, Persistence, TOKEN_LEFT_TO_REUSE};
use crate::validate;
use flow::Flow;

/// Where the browser comes back to after an authorization-code login, as the AWS CLI has it.
const CALLBACK_PATH: &str = "/oauth/callback";
/// How long an authorization-code login waits for the browser by default (the AWS CLI's wait),
/// and at most.
const DEFAULT_CALLBACK_TIMEOUT: Duration = Duration::from_secs(600);
const MAX_CALLBACK_TIMEOUT: Duration = Duration::from_secs(3600);

/// `login_start`.
pub(crate) async fn start(context: &Context, request: LoginStartRequest) -> Result<LoginStart> {
    let environment = &request.environment;
    validate::profile_name(environment, "environment")?;
    validate::start_url(&request.start_url, "startUrl")?;
    validate::region(&request.region, "region")?;
    let callback_timeout = flow_options(&request)?;
    let client = context.clients.oidc(&request.region, &context.env)?;
    let persist = token::persistence(&context.env, environment, request.no_token_file, request.write_sso_session)?;
    // A `login_cancel` (or `logout`) from now on leaves nothing of this start behind.
    let generation = context.state.with(environment, |s| s.generation);
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
            let current = context.state.with(environment, |s| {
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
    let choice = flow::choose(&request, &context.env);
    let started = match choice.flow {
        Flow::DeviceCode => begin::device(context, &client, &request, &persist, generation, choice.reason).await,
        Flow::AuthorizationCode => {
            begin::authorization_code(context, &client, &request, &persist, generation, callback_timeout).await
        }
    };
    if started.is_err() {
        other_process::release_lock(context, environment, generation);
    }
    started
}

/// Checks the options of the flows; returns how long an authorization-code login waits.
fn flow_options(request: &LoginStartRequest) -> Result<Duration> {
    if request.use_device_code == Some(true) && request.redirect_port.is_some_and(|port| port != 0) {
        return Err(Error::invalid_input(
            "redirectPort is for the authorization-code flow; it cannot be given with useDeviceCode true",
        ));
    }
    let Some(seconds) = request.timeout_seconds else { return Ok(DEFAULT_CALLBACK_TIMEOUT) };
    let timeout = Duration::from_secs(seconds);
    if timeout.is_zero() || timeout > MAX_CALLBACK_TIMEOUT {
        return Err(Error::invalid_input(format!(
            "timeoutSeconds {seconds} is not between 1 and {}",
            MAX_CALLBACK_TIMEOUT.as_secs()
        )));
    }
    Ok(timeout)
}

/// `login_cancel`: forgets the pending login (closing an authorization-code login's listener), or
/// the wait for another process's login, and releases the login lock at once. A `login_poll`
/// blocked on another thread returns at once.
pub(crate) fn cancel(context: &Context, request: EnvironmentRequest) -> Result<LoginCancelled> {
    let environment = request.environment;
    validate::profile_name(&environment, "environment")?;
    let cancelled = context.state.with(&environment, |s| s.forget_login());
    context.state.notify_login_forgotten();
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
        Ok(token) if token.valid_at(context.clock.now(), TOKEN_LEFT_TO_REUSE) => {
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

/// Keeps `pending` as the session's login, unless a cancel came since `generation`.
fn store_pending(context: &Context, environment: &str, generation: u64, pending: PendingLogin) -> Result<()> {
    let current = context.state.with(environment, |s| {
        let current = s.generation == generation;
        if current {
            s.pending = Some(pending);
        }
        current
    });
    if current {
        Ok(())
    } else {
        Err(login_cancelled(environment))
    }
}

/// What a `login_start` or `login_poll` answers when `login_cancel` (or `logout`) ended its login.
fn login_cancelled(environment: &str) -> Error {
    Error::login_required(environment, "the login was cancelled")
}

/// The browser did not come back to the listener in time.
fn callback_timed_out(environment: &str, login: &CodeExchange) -> Error {
    Error::new(
        ErrorCode::LoginTimedOut,
        format!(
            "environment '{environment}': the browser did not come back to {} within {} seconds; start the login \
             again (or use the device code where no browser on this machine can reach that address)",
            login.redirect_uri,
            login.timeout.as_secs()
        ),
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::token::Registration;

    #[test]
    fn debug_output_of_a_pending_login_shows_no_secret() {
        let registration = Registration {
            region: "us-east-1".into(),
            client_id: "client".into(),
            client_secret: Secret::new("CLIENT-SECRET"),
            expires_at: std::time::UNIX_EPOCH,
        };
        let exchange = CodeExchange {
            registration,
            start_url: "https://x".into(),
            region: "us-east-1".into(),
            redirect_uri: "http://127.0.0.1:1/oauth/callback".into(),
            state: Secret::new("THE-STATE"),
            verifier: Secret::new("THE-VERIFIER"),
            expires: Instant::now(),
            timeout: DEFAULT_CALLBACK_TIMEOUT,
            persist: Persistence::default(),
        };
        let printed = format!("{:?}", PendingLogin::AuthorizationCode(CodeLogin { exchange, listener: None }));
        for secret in ["CLIENT-SECRET", "THE-STATE", "THE-VERIFIER"] {
            assert!(!printed.contains(secret), "{printed}");
        }
    }

    #[test]
    fn flow_options_are_checked_and_name_the_field() {
        let request = |use_device_code, redirect_port, timeout_seconds| LoginStartRequest {
            use_device_code,
            redirect_port,
            timeout_seconds,
            ..Default::default()
        };
        assert_eq!(flow_options(&request(None, None, None)).unwrap(), DEFAULT_CALLBACK_TIMEOUT);
        assert_eq!(flow_options(&request(Some(false), Some(8400), Some(3600))).unwrap(), MAX_CALLBACK_TIMEOUT);
        assert!(flow_options(&request(Some(true), Some(0), None)).is_ok(), "0 is no port in particular");
        assert!(flow_options(&request(None, Some(8400), None)).is_ok(), "kept for when detection picks the browser");
        let refused = flow_options(&request(Some(true), Some(8400), None)).unwrap_err();
        assert!(refused.message.contains("redirectPort") && refused.message.contains("useDeviceCode"));
        for seconds in [0, 3601] {
            let refused = flow_options(&request(None, None, Some(seconds))).unwrap_err();
            assert!(refused.message.contains(&format!("timeoutSeconds {seconds}")), "{}", refused.message);
        }
    }
}
