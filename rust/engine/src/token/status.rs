//! `session_status`: the session's token state, from memory or the cache file, with no network
//! call.

use std::time::Duration;

use crate::api::{EnvironmentRequest, SessionState, SessionStatus};
use crate::context::Context;
use crate::error::Result;
use crate::time::format_rfc3339;
use crate::validate;

pub(crate) fn status(context: &Context, request: EnvironmentRequest) -> Result<SessionStatus> {
    let environment = request.environment;
    validate::profile_name(&environment, "environment")?;
    let cache_file = super::persistence(&context.env, &environment, request.no_token_file, false)?.cache_file;
    let token = super::stored(context, &environment, cache_file.as_deref())?;
    let in_progress = context.state.with(&environment, |s| s.login_in_progress());
    let now = context.clock.now();
    let status = match (&token, in_progress) {
        (Some(t), _) if t.valid_at(now, Duration::ZERO) => SessionState::LoggedIn,
        (_, true) => SessionState::Pending,
        (Some(_), false) => SessionState::Expired,
        (None, false) => SessionState::None,
    };
    Ok(SessionStatus {
        environment,
        status,
        start_url: token.as_ref().map(|t| t.start_url.clone()),
        region: token.as_ref().map(|t| t.region.clone()),
        expires_at: token.as_ref().map(|t| format_rfc3339(t.expires_at)),
        seconds_left: token.as_ref().map(|t| t.expires_at.duration_since(now).map_or(0, |d| d.as_secs())),
        refreshable: token.as_ref().is_some_and(|t| t.refreshable_at(now)),
    })
}
