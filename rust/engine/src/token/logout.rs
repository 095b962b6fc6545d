//! `logout`: the end of a session. The token is signed out at the service (best effort) and
//! forgotten, with any pending login and the listing of accounts, and the session's files go.

use std::time::Duration;

use crate::api::{EnvironmentRequest, LogoutResult};
use crate::context::Context;
use crate::error::Result;
use crate::files::token_cache::remove_listing_file;
use crate::state::EnvironmentState;
use crate::validate;

/// How long the sign-out at the service may take; the token is forgotten either way.
const SIGN_OUT_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) async fn logout(context: &Context, request: EnvironmentRequest) -> Result<LogoutResult> {
    let environment = request.environment;
    validate::profile_name(&environment, "environment")?;
    let cache_file = super::persistence(&context.env, &environment, request.no_token_file, false)?.cache_file;
    let token = super::stored(context, &environment, cache_file.as_deref())?;
    let had_login = context.state.with(&environment, |s| {
        let had = s.login_in_progress();
        *s = EnvironmentState { generation: s.generation + 1, ..Default::default() };
        had
    });
    context.state.notify_login_forgotten();
    if let Some(token) = token.as_ref().filter(|t| t.valid_at(context.clock.now(), Duration::ZERO)) {
        match context.clients.portal(&token.region, &context.env, &context.clock, cache_file.as_deref()) {
            Ok(client) => {
                let signed_out = client.logout().access_token(token.access_token.expose()).send();
                if tokio::time::timeout(SIGN_OUT_TIMEOUT, signed_out).await.map_or(true, |r| r.is_err()) {
                    tracing::warn!(
                        environment,
                        "the service did not confirm the sign-out; the token is forgotten anyway"
                    );
                }
            }
            Err(error) => tracing::warn!(environment, %error, "not signing out at the service"),
        }
    }
    if let Some(path) = &cache_file {
        super::store::remove(path)?;
        remove_listing_file(path)?;
    }
    Ok(LogoutResult { environment, logged_out: token.is_some() || had_login })
}
