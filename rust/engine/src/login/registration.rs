//! The OIDC client registration a login needs. Each flow has its own: a device-code login needs a
//! client registered for the device-code grant, an authorization-code login one registered for
//! that grant, its loopback redirect URI and the start URL as issuer. A registration belongs to the
//! service that issued it, so one is kept per region, OIDC endpoint and flow, in memory, and reused
//! while it outlives a whole login by [`REGISTRATION_LEFT_AFTER_LOGIN`].
//!
//! The session's cache file (the AWS CLI's format) also holds the registration of its token, but
//! not the grants it was made for: it is reused for a device-code login only (a client made for
//! the authorization code is refused by StartDeviceAuthorization, and then registered anew), never
//! for an authorization-code login. Renewing a token with its refresh token works with either.

use std::path::Path;
use std::time::Duration;

use aws_sdk_ssooidc::Client;

use super::CALLBACK_PATH;
use crate::context::Context;
use crate::endpoint::{override_for, Service};
use crate::error::{Error, ErrorCode, Result};
use crate::oidc::{AUTHORIZATION_CODE_GRANT, DEVICE_CODE_GRANT, REFRESH_TOKEN_GRANT, SCOPE};
use crate::secret::Secret;
use crate::service_error::ServiceFailure;
use crate::token::{cached_registration, Registration};

/// A registration is reused while it outlives a whole login by this much.
const REGISTRATION_LEFT_AFTER_LOGIN: Duration = Duration::from_secs(60 * 60);
const CLIENT_NAME: &str = "Set-AwsCliSsoCredentials";

/// What a registration is for.
#[derive(Clone, Copy, Debug)]
pub(super) enum Grants<'a> {
    DeviceCode,
    /// The authorization code with PKCE, for logins to `issuer_url` (the start URL).
    AuthorizationCode {
        issuer_url: &'a str,
    },
}

/// The redirect URI an authorization-code client is registered with, as the AWS CLI registers it:
/// loopback with no port, so that any port matches (RFC 8252 §7.3).
pub(super) fn registered_redirect_uri() -> String {
    format!("http://127.0.0.1{CALLBACK_PATH}")
}

pub(super) async fn registration(
    context: &Context,
    client: &Client,
    region: &str,
    grants: Grants<'_>,
    cache_file: Option<&Path>,
) -> Result<Registration> {
    let key = key(context, region, grants)?;
    let now = context.clock.now();
    if let Some(registration) = context.state.registration(&key, now, REGISTRATION_LEFT_AFTER_LOGIN) {
        return Ok(registration);
    }
    if let Grants::DeviceCode = grants {
        if let Some(registration) = cached_registration(cache_file, region, now, REGISTRATION_LEFT_AFTER_LOGIN) {
            context.state.store_registration(&key, registration.clone());
            return Ok(registration);
        }
    }
    let registration = register(client, region, grants).await?;
    context.state.store_registration(&key, registration.clone());
    Ok(registration)
}

/// The service refused the registration: the next login of that flow registers again.
pub(super) fn forget(context: &Context, region: &str, grants: Grants<'_>) -> Result<()> {
    context.state.forget_registration(&key(context, region, grants)?);
    Ok(())
}

fn key(context: &Context, region: &str, grants: Grants<'_>) -> Result<String> {
    let endpoint = override_for(Service::Oidc, &context.env)?.unwrap_or_default();
    Ok(match grants {
        Grants::DeviceCode => format!("{region} {endpoint} device_code"),
        Grants::AuthorizationCode { issuer_url } => format!("{region} {endpoint} authorization_code {issuer_url}"),
    })
}

/// Registers a public client for `grants` and the refresh-token grant, with the one scope.
async fn register(client: &Client, region: &str, grants: Grants<'_>) -> Result<Registration> {
    let request = client.register_client().client_name(CLIENT_NAME).client_type("public").scopes(SCOPE);
    let request = match grants {
        Grants::DeviceCode => request.grant_types(DEVICE_CODE_GRANT),
        Grants::AuthorizationCode { issuer_url } => request
            .grant_types(AUTHORIZATION_CODE_GRANT)
            .redirect_uris(registered_redirect_uri())
            .issuer_url(issuer_url),
    };
    let output = request
        .grant_types(REFRESH_TOKEN_GRANT)
        .send()
        .await
        .map_err(|e| ServiceFailure::from_sdk(&e).to_error("RegisterClient"))?;
    let (Some(client_id), Some(client_secret)) = (output.client_id, output.client_secret) else {
        return Err(Error::new(ErrorCode::ServiceError, "RegisterClient returned no client id or secret"));
    };
    Ok(Registration {
        region: region.to_string(),
        client_id,
        client_secret: Secret::new(client_secret),
        expires_at: crate::time::from_epoch_secs(output.client_secret_expires_at),
    })
}
