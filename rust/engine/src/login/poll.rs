//! `login_poll`: waits at most `waitMs` for the user to approve the pending device login, polling
//! CreateToken as the service asks (its interval, [`SLOW_DOWN_STEP`] more after each SlowDown), or
//! for another process's login to finish. A cancel made meanwhile always wins.

use std::time::{Duration, Instant};

use super::device::{self, PollOutcome};
use super::{code_expired, login_cancelled, other_process, pause_until, PendingLogin};
use crate::api::{LoginPoll, LoginPollRequest};
use crate::engine::Context;
use crate::error::{Error, ErrorCode, Result};
use crate::secret::Secret;
use crate::session::Session;
use crate::time::format_rfc3339;
use crate::token;
use crate::validate;

/// RFC 8628: after slow_down the client must add 5 seconds to its polling interval.
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// How long a poll waits when the caller does not say.
const DEFAULT_WAIT: Duration = Duration::from_millis(1_000);
/// The longest a poll may wait, so that a caller stays cancellable between polls.
const MAX_WAIT: Duration = Duration::from_millis(60_000);

pub(crate) async fn poll(context: &Context, request: LoginPollRequest) -> Result<LoginPoll> {
    let environment = &request.environment;
    validate::profile_name(environment, "environment")?;
    let wait = request.wait_ms.map_or(DEFAULT_WAIT, Duration::from_millis).min(MAX_WAIT);
    let deadline = Instant::now() + wait;
    // Subscribed before the session is read, so that no `login_cancel` goes unnoticed.
    let mut forgotten = context.sessions.forgotten_logins();
    loop {
        let (waiting, generation) = context.sessions.with(environment, |s| (s.waiting.clone(), s.generation));
        if let Some(waiting) = waiting {
            return other_process::wait(context, environment, waiting, deadline, generation, &mut forgotten).await;
        }
        let Some(pending) = context.sessions.with(environment, |s| s.pending.clone()) else {
            let now = context.clock.now();
            return match context
                .sessions
                .with(environment, |s| s.token.clone())
                .filter(|t| t.valid_at(now, Duration::ZERO))
            {
                Some(token) => Ok(LoginPoll::LoggedIn { expires_at: format_rfc3339(token.expires_at) }),
                None => Err(Error::login_required(environment, "no login is in progress (call login_start first)")),
            };
        };
        let now = Instant::now();
        if now >= pending.expires {
            end_device_login(context, environment, &pending.device_code);
            return Err(code_expired(environment));
        }
        if pending.next_poll > now {
            // A cancel wakes this early; the loop then finds the login gone.
            let woken = pause_until(pending.next_poll.min(deadline), &mut forgotten).await;
            if !woken && pending.next_poll >= deadline {
                return Ok(LoginPoll::Pending);
            }
            continue;
        }
        let client = context.clients.oidc(&pending.region, &context.env)?;
        let outcome = device::poll(&client, &pending, environment).await;
        if let Some(done) = settle(context, environment, &pending, outcome).await? {
            return Ok(done);
        }
        if Instant::now() >= deadline {
            return Ok(LoginPoll::Pending);
        }
    }
}

/// Applies one poll's outcome to the session, if the login is still the session's (not cancelled,
/// nor replaced by a new one): the token is stored, or the next poll scheduled, or the login ended.
async fn settle(
    context: &Context,
    environment: &str,
    pending: &PendingLogin,
    outcome: Result<PollOutcome>,
) -> Result<Option<LoginPoll>> {
    let is_same = |s: &Session| s.pending.as_ref().is_some_and(|p| p.device_code == pending.device_code);
    match outcome {
        Ok(PollOutcome::Token(token)) => {
            // Claimed only while it is still the session's login: a cancel made during the call
            // wins, and the token is dropped.
            let Some(lock) = context.sessions.with(environment, |s| {
                is_same(s).then(|| {
                    s.pending = None;
                    s.rejected = None;
                    s.login_lock.take()
                })
            }) else {
                return Err(login_cancelled(environment));
            };
            let expires_at = format_rfc3339(token.expires_at);
            tracing::info!(environment, expires_at, "logged in");
            // Stored before the lock is released, so processes waiting for it find it.
            let remembered = token::remember(context, environment, token, &pending.persist).await;
            drop(lock);
            remembered?;
            Ok(Some(LoginPoll::LoggedIn { expires_at }))
        }
        Ok(outcome) => {
            context.sessions.with(environment, |s| {
                if let Some(p) = s.pending.as_mut().filter(|p| p.device_code == pending.device_code) {
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
            let same = context.sessions.with(environment, |s| {
                if !is_same(s) {
                    return false;
                }
                if final_ {
                    s.pending = None;
                    s.login_lock = None;
                } else if let Some(p) = s.pending.as_mut() {
                    p.next_poll = Instant::now() + p.interval;
                }
                true
            });
            Err(if same { error } else { login_cancelled(environment) })
        }
    }
}

/// Forgets the pending device login and lets other processes log in, if it is still the one with
/// this device code (not cancelled, nor replaced by a new one).
fn end_device_login(context: &Context, environment: &str, device_code: &Secret) {
    context.sessions.with(environment, |s| {
        if s.pending.as_ref().is_some_and(|p| &p.device_code == device_code) {
            s.pending = None;
            s.login_lock = None;
        }
    });
}
