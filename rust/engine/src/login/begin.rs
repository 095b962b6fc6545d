//! Starting a login of either flow, once the stored token could not be reused and this process
//! holds the session's login lock: what the user is shown, and the pending login the session keeps
//! for `login_poll`.

use std::time::{Duration, Instant};

use aws_sdk_ssooidc::Client;

use super::authorization_code::{self, ProofKey};
use super::device::{self, StartRefused};
use super::registration::{self, Grants};
use super::{callback, store_pending, CodeExchange, CodeLogin, PendingLogin, CALLBACK_PATH};
use crate::api::{LoginPrompt, LoginStart, LoginStartRequest};
use crate::context::Context;
use crate::error::{Error, ErrorCode, Result};
use crate::time::format_rfc3339;
use crate::token::Persistence;

/// Starts a device authorization: the user code and the page to enter it on.
pub(super) async fn device(
    context: &Context,
    client: &Client,
    request: &LoginStartRequest,
    persist: &Persistence,
    generation: u64,
    flow_reason: Option<String>,
) -> Result<LoginStart> {
    let (environment, region) = (&request.environment, &request.region);
    let registration =
        registration::registration(context, client, region, Grants::DeviceCode, persist.cache_file.as_deref()).await?;
    let authorization = match device::start(client, &registration, &request.start_url, persist, &context.clock).await {
        Ok(authorization) => authorization,
        Err(StartRefused::Other(error)) => return Err(error.context(format!("environment '{environment}'"))),
        Err(StartRefused::Registration) => {
            tracing::debug!(environment, "the client registration was rejected; registering again");
            registration::forget(context, region, Grants::DeviceCode)?;
            let registration = registration::registration(context, client, region, Grants::DeviceCode, None).await?;
            device::start(client, &registration, &request.start_url, persist, &context.clock).await.map_err(
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
        prompt: LoginPrompt::DeviceCode {
            user_code: authorization.user_code,
            verification_uri: authorization.verification_uri,
            verification_uri_complete: authorization.verification_uri_complete,
            interval_seconds: authorization.pending.interval.as_secs(),
        },
        flow_reason,
        expires_at: format_rfc3339(authorization.expires_at),
    };
    store_pending(context, environment, generation, PendingLogin::Device(authorization.pending))?;
    Ok(started)
}

/// Listens on 127.0.0.1 and makes the `/authorize` URL that brings the browser back there.
/// The port is taken first, so that a port in use fails before any call to the service.
pub(super) async fn authorization_code(
    context: &Context,
    client: &Client,
    request: &LoginStartRequest,
    persist: &Persistence,
    generation: u64,
    timeout: Duration,
) -> Result<LoginStart> {
    let (environment, region, start_url) = (&request.environment, &request.region, &request.start_url);
    drop_pending_code_login(context, environment);
    let listener = callback::bind(request.redirect_port, environment)?;
    let port = listener
        .local_addr()
        .map_err(|e| Error::new(ErrorCode::Io, format!("environment '{environment}': the redirect listener: {e}")))?
        .port();
    let redirect_uri = format!("http://127.0.0.1:{port}{CALLBACK_PATH}");
    let grants = Grants::AuthorizationCode { issuer_url: start_url };
    let registration = registration::registration(context, client, region, grants, None).await?;
    let endpoint = authorization_code::oidc_endpoint(region, &context.env).await?;
    let (proof, state) = (ProofKey::new()?, authorization_code::random_state()?);
    let authorization_url = authorization_code::authorization_url(
        &endpoint,
        &registration.client_id,
        &redirect_uri,
        &state,
        &proof.challenge,
    );
    let exchange = CodeExchange {
        registration,
        start_url: start_url.clone(),
        region: region.clone(),
        redirect_uri: redirect_uri.clone(),
        state,
        verifier: proof.verifier,
        expires: Instant::now() + timeout,
        timeout,
        persist: persist.clone(),
    };
    let login = CodeLogin { exchange, listener: Some(listener) };
    store_pending(context, environment, generation, PendingLogin::AuthorizationCode(login))?;
    tracing::info!(environment, port, "waiting for the browser to come back to the loopback redirect");
    Ok(LoginStart::Pending {
        prompt: LoginPrompt::AuthorizationCode { authorization_url, redirect_uri },
        flow_reason: None,
        expires_at: format_rfc3339(context.clock.now() + timeout),
    })
}

/// A new login of the session replaces its pending authorization-code login now rather than when
/// it is stored: that login's listener may hold the port this one asks for. A `login_poll`
/// serving that listener is woken, and lets it go.
fn drop_pending_code_login(context: &Context, environment: &str) {
    let dropped = context.state.with(environment, |s| {
        let is_code_login = matches!(s.pending, Some(PendingLogin::AuthorizationCode(_)));
        if is_code_login {
            s.pending = None;
        }
        is_code_login
    });
    if dropped {
        context.state.notify_login_forgotten();
    }
}
