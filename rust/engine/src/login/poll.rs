//! `login_poll`: waits at most `waitMs` for the pending login to be approved. A device login polls
//! CreateToken as the service asks (its interval, [`SLOW_DOWN_STEP`] more after each SlowDown); an
//! authorization-code login waits for the browser ([`super::code_poll`]); or the wait is for
//! another process's login to finish. A cancel made meanwhile always wins.

use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::device::{self, PollOutcome};
use super::end::{end_login, end_with, finish};
use super::{code_expired, code_poll, login_cancelled, other_process, pause_until, DeviceLogin, PendingLogin};
use crate::api::{LoginPoll, LoginPollRequest};
use crate::context::Context;
use crate::error::{Error, ErrorCode, Result};
use crate::time::format_rfc3339;
use crate::validate;

/// RFC 8628: after slow_down the client must add 5 seconds to its polling interval.
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// How long a poll waits when the caller does not say.
const DEFAULT_WAIT: Duration = Duration::from_millis(1_000);
/// The longest a poll may wait, so that a caller stays cancellable between polls.
const MAX_WAIT: Duration = Duration::from_millis(60_000);

/// The session's login, as a poll sees it.
enum Current {
    None,
    Device(Box<DeviceLogin>),
    AuthorizationCode,
}

pub(crate) async fn poll(context: &Context, request: LoginPollRequest) -> Result<LoginPoll> {
    let environment = &request.environment;
    validate::profile_name(environment, "environment")?;
    let wait = request.wait_ms.map_or(DEFAULT_WAIT, Duration::from_millis).min(MAX_WAIT);
    let deadline = Instant::now() + wait;
    // Subscribed before the session is read, so that no `login_cancel` goes unnoticed.
    let mut forgotten = context.state.forgotten_logins();
    loop {
        let (waiting, generation) = context.state.with(environment, |s| (s.waiting.clone(), s.generation));
        if let Some(waiting) = waiting {
            return other_process::wait(context, environment, waiting, deadline, generation, &mut forgotten).await;
        }
        let current = context.state.with(environment, |s| match &s.pending {
            None => Current::None,
            Some(PendingLogin::Device(login)) => Current::Device(Box::new(login.clone())),
            Some(PendingLogin::AuthorizationCode(_)) => Current::AuthorizationCode,
        });
        let done = match current {
            Current::None => return token_or_none(context, environment),
            Current::Device(login) => device_step(context, environment, *login, deadline, &mut forgotten).await?,
            Current::AuthorizationCode => code_poll::step(context, environment, deadline, &mut forgotten).await?,
        };
        if let Some(done) = done {
            return Ok(done);
        }
    }
}

/// With no login in progress: the token this process holds, if it is valid.
fn token_or_none(context: &Context, environment: &str) -> Result<LoginPoll> {
    let now = context.clock.now();
    match context.state.with(environment, |s| s.token.clone()).filter(|t| t.valid_at(now, Duration::ZERO)) {
        Some(token) => Ok(LoginPoll::LoggedIn { expires_at: format_rfc3339(token.expires_at) }),
        None => Err(Error::login_required(environment, "no login is in progress (call login_start first)")),
    }
}

/// Waits for the device login's next poll time, or polls once. `None`: look at the session again.
async fn device_step(
    context: &Context,
    environment: &str,
    pending: DeviceLogin,
    deadline: Instant,
    forgotten: &mut watch::Receiver<u64>,
) -> Result<Option<LoginPoll>> {
    let now = Instant::now();
    if now >= pending.expires {
        end_login(context, environment, &pending.device_code);
        return Err(code_expired(environment));
    }
    if pending.next_poll > now {
        // A cancel wakes this early; the loop then finds the login gone.
        let woken = pause_until(pending.next_poll.min(deadline), forgotten).await;
        let timed_out = !woken && pending.next_poll >= deadline;
        return Ok(timed_out.then_some(LoginPoll::Pending));
    }
    let client = context.clients.oidc(&pending.region, &context.env)?;
    let outcome = device::poll(&client, &pending, environment, &context.clock).await;
    if let Some(done) = settle(context, environment, &pending, outcome).await? {
        return Ok(Some(done));
    }
    Ok((Instant::now() >= deadline).then_some(LoginPoll::Pending))
}

/// Applies one device poll's outcome to the session, if the login is still the session's (not
/// cancelled, nor replaced by a new one): the token is stored, or the next poll scheduled, or the
/// login ended.
async fn settle(
    context: &Context,
    environment: &str,
    pending: &DeviceLogin,
    outcome: Result<PollOutcome>,
) -> Result<Option<LoginPoll>> {
    match outcome {
        Ok(PollOutcome::Token(token)) => {
            finish(context, environment, &pending.device_code, token, &pending.persist).await.map(Some)
        }
        Ok(outcome) => {
            context.state.with(environment, |s| {
                if let Some(PendingLogin::Device(p)) = s.pending.as_mut().filter(|p| p.key() == &pending.device_code) {
                    if matches!(outcome, PollOutcome::SlowDown) {
                        p.interval += SLOW_DOWN_STEP;
                        tracing::debug!(environment, interval = p.interval.as_secs(), "asked to slow down");
                    }
                    p.next_poll = Instant::now() + p.interval;
                }
            });
            Ok(None)
        }
        Err(error) => {
            let final_ =
                matches!(error.code, ErrorCode::DeviceCodeExpired | ErrorCode::AccessDenied | ErrorCode::LoginRequired);
            if final_ {
                return Err(end_with(context, environment, &pending.device_code, error));
            }
            let same = context.state.with(environment, |s| match s.pending.as_mut() {
                Some(PendingLogin::Device(p)) if p.device_code == pending.device_code => {
                    p.next_poll = Instant::now() + p.interval;
                    true
                }
                _ => false,
            });
            Err(if same { error } else { login_cancelled(environment) })
        }
    }
}
