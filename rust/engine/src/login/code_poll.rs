//! `login_poll` for an authorization-code login: serves the loopback listener for at most `waitMs`
//! (the listener is taken out of the session meanwhile and given back after, so a `login_cancel`
//! in between closes it at once), then exchanges the code the browser brought back for a token.
//! The listener is closed as soon as the browser has come back, before the exchange, and whenever
//! the login ends.

use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::watch;

use super::authorization_code::{self, ExchangeRefused};
use super::callback::{self, Heard};
use super::end::{end_login, end_with, finish};
use super::registration::{self, Grants};
use super::{callback_timed_out, pause_until, CodeExchange, PendingLogin};
use crate::api::LoginPoll;
use crate::context::Context;
use crate::error::{Error, ErrorCode, Result};
use crate::secret::Secret;

/// How often a poll looks again while another poll (on another thread) serves the listener.
const SHARED_WAIT_STEP: Duration = Duration::from_millis(50);

/// Serves the listener until the browser comes back or `deadline`. `None`: look at the session
/// again (cancelled, replaced, or the wait is over).
pub(super) async fn step(
    context: &Context,
    environment: &str,
    deadline: Instant,
    forgotten: &mut watch::Receiver<u64>,
) -> Result<Option<LoginPoll>> {
    let Some((login, listener)) = take_listener(context, environment) else { return Ok(None) };
    if Instant::now() >= login.expires {
        drop(listener);
        end_login(context, environment, &login.state);
        return Err(callback_timed_out(environment, &login));
    }
    let Some(listener) = listener else { return share(deadline, forgotten).await };
    let listener = TcpListener::from_std(listener).map_err(|e| {
        let error = Error::new(ErrorCode::Io, format!("environment '{environment}': the redirect listener: {e}"));
        end_with(context, environment, &login.state, error)
    })?;
    let until = deadline.min(login.expires);
    let heard = tokio::select! {
        heard = callback::listen(&listener, &login.state, environment, until) => heard,
        Ok(()) = forgotten.changed() => None,
    };
    match heard {
        None => {
            give_back(context, environment, &login.state, listener);
            let now = Instant::now();
            Ok((now >= deadline && now < login.expires).then_some(LoginPoll::Pending))
        }
        Some(Heard::Failed(error)) => {
            drop(listener);
            Err(end_with(context, environment, &login.state, error))
        }
        Some(Heard::Code(code)) => {
            drop(listener);
            exchange(context, environment, &login, &code).await.map(Some)
        }
    }
}

/// Another poll serves the listener: wait a little for its outcome, or until `deadline`.
async fn share(deadline: Instant, forgotten: &mut watch::Receiver<u64>) -> Result<Option<LoginPoll>> {
    let now = Instant::now();
    if now >= deadline {
        return Ok(Some(LoginPoll::Pending));
    }
    pause_until((now + SHARED_WAIT_STEP).min(deadline), forgotten).await;
    Ok(None)
}

/// The code for a token, once: a code is single use, so any failure ends the login.
async fn exchange(context: &Context, environment: &str, login: &CodeExchange, code: &Secret) -> Result<LoginPoll> {
    let client = context
        .clients
        .oidc(&login.region, &context.env)
        .map_err(|error| end_with(context, environment, &login.state, error))?;
    match authorization_code::exchange(&client, login, code, environment, &context.clock).await {
        Ok(token) => finish(context, environment, &login.state, token, &login.persist).await,
        Err(ExchangeRefused::Registration(error)) => {
            let error = end_with(context, environment, &login.state, error);
            // The endpoint was checked when the client was made: forgetting cannot fail here.
            let _ = registration::forget(
                context,
                &login.region,
                Grants::AuthorizationCode { issuer_url: &login.start_url },
            );
            Err(error)
        }
        Err(ExchangeRefused::Other(error)) => Err(end_with(context, environment, &login.state, error)),
    }
}

/// The session's authorization-code login, and its listener unless another poll serves it.
fn take_listener(context: &Context, environment: &str) -> Option<(CodeExchange, Option<std::net::TcpListener>)> {
    context.state.with(environment, |s| match &mut s.pending {
        Some(PendingLogin::AuthorizationCode(login)) => Some((login.exchange.clone(), login.listener.take())),
        _ => None,
    })
}

/// Puts the listener back for the next poll, if the login with `state` is still the session's;
/// otherwise it is dropped here, and the port is free.
fn give_back(context: &Context, environment: &str, state: &Secret, listener: TcpListener) {
    let Ok(listener) = listener.into_std() else {
        end_login(context, environment, state);
        return;
    };
    let mut listener = Some(listener);
    context.state.with(environment, |s| {
        if let Some(PendingLogin::AuthorizationCode(login)) = &mut s.pending {
            if &login.exchange.state == state && login.listener.is_none() {
                login.listener = listener.take();
            }
        }
    });
}
