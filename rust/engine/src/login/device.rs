//! The SSO-OIDC calls of a device login: start a device authorization, and one CreateToken poll.
//! Policy (when to poll, what to keep) is the caller's.

use std::time::{Duration, Instant, SystemTime};

use aws_sdk_ssooidc::Client;

use super::DeviceLogin;
use crate::clock::Clock;
use crate::error::{Error, ErrorCode, Result};
use crate::oidc::DEVICE_CODE_GRANT;
use crate::secret::Secret;
use crate::service_error::ServiceFailure;
use crate::token::{Persistence, Registration, SsoToken};

/// The polling interval when the service names none (RFC 8628's default).
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// What the user must see to approve a device login.
pub(super) struct DeviceAuthorization {
    pub pending: DeviceLogin,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_at: SystemTime,
}

/// The answer to one CreateToken poll.
pub(super) enum PollOutcome {
    Token(SsoToken),
    Pending,
    SlowDown,
}

/// Why a device authorization did not start.
pub(super) enum StartRefused {
    /// The service does not accept the client registration (expired, or made for another flow):
    /// register again.
    Registration,
    Other(Error),
}

/// Starts a device authorization.
pub(super) async fn start(
    client: &Client,
    registration: &Registration,
    start_url: &str,
    persist: &Persistence,
    clock: &Clock,
) -> std::result::Result<DeviceAuthorization, StartRefused> {
    let output = client
        .start_device_authorization()
        .client_id(&registration.client_id)
        .client_secret(registration.client_secret.expose())
        .start_url(start_url)
        .send()
        .await
        .map_err(|e| {
            let failure = ServiceFailure::from_sdk(&e);
            if failure.is("InvalidClientException") || failure.is("UnauthorizedClientException") {
                StartRefused::Registration
            } else {
                StartRefused::Other(failure.to_error("StartDeviceAuthorization"))
            }
        })?;
    let missing = || {
        StartRefused::Other(Error::new(
            ErrorCode::ServiceError,
            "StartDeviceAuthorization returned an incomplete answer",
        ))
    };
    let device_code = output.device_code.ok_or_else(missing)?;
    let user_code = output.user_code.ok_or_else(missing)?;
    let verification_uri = output.verification_uri.ok_or_else(missing)?;
    let verification_uri_complete = output.verification_uri_complete.unwrap_or_else(|| verification_uri.clone());
    let lifetime = Duration::from_secs(output.expires_in.max(1) as u64);
    let interval = if output.interval > 0 { Duration::from_secs(output.interval as u64) } else { DEFAULT_INTERVAL };
    let now = Instant::now();
    Ok(DeviceAuthorization {
        pending: DeviceLogin {
            registration: registration.clone(),
            device_code: Secret::new(device_code),
            start_url: start_url.to_string(),
            region: registration.region.clone(),
            interval,
            next_poll: now,
            expires: now + lifetime,
            persist: persist.clone(),
        },
        user_code,
        verification_uri,
        verification_uri_complete,
        expires_at: clock.now() + lifetime,
    })
}

/// One CreateToken call for a pending device login.
pub(super) async fn poll(
    client: &Client,
    pending: &DeviceLogin,
    environment: &str,
    clock: &Clock,
) -> Result<PollOutcome> {
    let registration = &pending.registration;
    let answer = client
        .create_token()
        .client_id(&registration.client_id)
        .client_secret(registration.client_secret.expose())
        .grant_type(DEVICE_CODE_GRANT)
        .device_code(pending.device_code.expose())
        .send()
        .await;
    let output = match answer {
        Ok(output) => output,
        Err(e) => {
            let failure = ServiceFailure::from_sdk(&e);
            return match failure.code.as_deref() {
                Some("AuthorizationPendingException") => Ok(PollOutcome::Pending),
                Some("SlowDownException") => Ok(PollOutcome::SlowDown),
                Some("ExpiredTokenException") => Err(super::code_expired(environment)),
                Some("AccessDeniedException") => Err(Error::new(
                    ErrorCode::AccessDenied,
                    format!("environment '{environment}': the login was denied in the browser"),
                )),
                Some("InvalidClientException" | "InvalidGrantException" | "UnauthorizedClientException") => {
                    Err(Error::login_required(
                        environment,
                        &format!("the service rejected the login ({})", failure.code.unwrap_or_default()),
                    ))
                }
                _ => Err(failure.to_error("CreateToken").context(format!("environment '{environment}'"))),
            };
        }
    };
    let token = SsoToken::issued(output, &pending.start_url, &pending.region, registration, clock.now())?;
    Ok(PollOutcome::Token(token))
}
