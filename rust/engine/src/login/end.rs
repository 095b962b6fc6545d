//! How a login ends, for a device login and an authorization-code login alike: approved (its
//! token stored), or ended for good; claimed only while it is still the session's login.

use super::login_cancelled;
use crate::api::LoginPoll;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::state::EnvironmentState;
use crate::time::format_rfc3339;
use crate::token::{self, Persistence, SsoToken};

/// The login with `key` was approved: its token is stored (the cache file first, so processes
/// waiting for it find it, then the lock is released). Claimed only while it is still the
/// session's login: a cancel made meanwhile wins, and the token is dropped.
pub(super) async fn finish(
    context: &Context,
    environment: &str,
    key: &Secret,
    token: SsoToken,
    persist: &Persistence,
) -> Result<LoginPoll> {
    let Some(lock) = context.state.with(environment, |s| {
        is_same(s, key).then(|| {
            s.pending = None;
            s.rejected = None;
            s.login_lock.take()
        })
    }) else {
        return Err(login_cancelled(environment));
    };
    let expires_at = format_rfc3339(token.expires_at);
    tracing::info!(environment, expires_at, "logged in");
    let remembered = token::remember(context, environment, token, persist).await;
    drop(lock);
    remembered?;
    Ok(LoginPoll::LoggedIn { expires_at })
}

/// Ends the login with `key` for good with `error`, if it is still the session's; otherwise the
/// login was cancelled (or replaced), and that is the answer.
pub(super) fn end_with(context: &Context, environment: &str, key: &Secret, error: Error) -> Error {
    if end_login(context, environment, key) {
        error
    } else {
        login_cancelled(environment)
    }
}

/// Forgets the login with `key` (closing its listener, if it has one) and lets other processes
/// log in, if it is still the session's. True when it was.
pub(super) fn end_login(context: &Context, environment: &str, key: &Secret) -> bool {
    context.state.with(environment, |s| {
        let same = is_same(s, key);
        if same {
            s.pending = None;
            s.login_lock = None;
        }
        same
    })
}

fn is_same(state: &EnvironmentState, key: &Secret) -> bool {
    state.pending.as_ref().is_some_and(|p| p.key() == key)
}
