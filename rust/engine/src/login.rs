//! The SSO-OIDC device authorization flow: register a public client, start a device authorization,
//! and poll CreateToken as the service asks (its interval, 5 s more after each SlowDown).

use std::time::{Duration, Instant, SystemTime};

use aws_sdk_ssooidc::Client;

use crate::error::{Error, ErrorCode, Result};
use crate::secret::Secret;
use crate::service_error::Failure;
use crate::session::{PendingLogin, Persistence, Registration, SsoToken};

const CLIENT_NAME: &str = "Set-AwsCliSsoCredentials";
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const REFRESH_TOKEN_GRANT: &str = "refresh_token";
const SCOPE: &str = "sso:account:access";
/// RFC 8628: after slow_down the client must add 5 seconds to its polling interval.
pub const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

/// What the user must see to approve a device login.
pub struct DeviceAuthorization {
    pub pending: PendingLogin,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_at: SystemTime,
}

/// The answer to one CreateToken poll.
pub enum PollOutcome {
    Token(SsoToken),
    Pending,
    SlowDown,
}

pub async fn register(client: &Client, region: &str) -> Result<Registration> {
    let output = client
        .register_client()
        .client_name(CLIENT_NAME)
        .client_type("public")
        .scopes(SCOPE)
        .grant_types(DEVICE_CODE_GRANT)
        .grant_types(REFRESH_TOKEN_GRANT)
        .send()
        .await
        .map_err(|e| Failure::from_sdk(&e).to_error("RegisterClient"))?;
    let (Some(client_id), Some(client_secret)) = (output.client_id, output.client_secret) else {
        return Err(Error::new(ErrorCode::ServiceError, "RegisterClient returned no client id or secret"));
    };
    Ok(Registration {
        region: region.to_string(),
        client_id,
        client_secret: Secret::new(client_secret),
        expires_at: SystemTime::UNIX_EPOCH + Duration::from_secs(output.client_secret_expires_at.max(0) as u64),
    })
}

/// Starts a device authorization. `Err(None)` means the service rejected the client registration,
/// so the caller should register again.
pub async fn start(
    client: &Client,
    registration: &Registration,
    start_url: &str,
    persist: &Persistence,
) -> std::result::Result<DeviceAuthorization, Option<Error>> {
    let output = client
        .start_device_authorization()
        .client_id(&registration.client_id)
        .client_secret(registration.client_secret.expose())
        .start_url(start_url)
        .send()
        .await
        .map_err(|e| {
            let failure = Failure::from_sdk(&e);
            if failure.is("InvalidClientException") || failure.is("UnauthorizedClientException") {
                None
            } else {
                Some(failure.to_error("StartDeviceAuthorization"))
            }
        })?;
    let missing =
        || Some(Error::new(ErrorCode::ServiceError, "StartDeviceAuthorization returned an incomplete answer"));
    let device_code = output.device_code.ok_or_else(missing)?;
    let user_code = output.user_code.ok_or_else(missing)?;
    let verification_uri = output.verification_uri.ok_or_else(missing)?;
    let verification_uri_complete = output.verification_uri_complete.unwrap_or_else(|| verification_uri.clone());
    let lifetime = Duration::from_secs(output.expires_in.max(1) as u64);
    let interval = Duration::from_secs(if output.interval > 0 { output.interval as u64 } else { 5 });
    let now = Instant::now();
    Ok(DeviceAuthorization {
        pending: PendingLogin {
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
        expires_at: SystemTime::now() + lifetime,
    })
}

/// One CreateToken call for a pending device login.
pub async fn poll(client: &Client, pending: &PendingLogin, environment: &str) -> Result<PollOutcome> {
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
            let failure = Failure::from_sdk(&e);
            return match failure.code.as_deref() {
                Some("AuthorizationPendingException") => Ok(PollOutcome::Pending),
                Some("SlowDownException") => Ok(PollOutcome::SlowDown),
                Some("ExpiredTokenException") => Err(Error::new(
                    ErrorCode::DeviceCodeExpired,
                    format!("environment '{environment}': the login code expired before it was approved; start the login again"),
                )),
                Some("AccessDeniedException") => Err(Error::new(
                    ErrorCode::AccessDenied,
                    format!("environment '{environment}': the login was denied in the browser"),
                )),
                Some("InvalidClientException" | "InvalidGrantException" | "UnauthorizedClientException") => Err(
                    Error::login_required(environment, &format!("the service rejected the login ({})", failure.code.unwrap_or_default())),
                ),
                _ => Err(failure.to_error("CreateToken").context(format!("environment '{environment}'"))),
            };
        }
    };
    let access_token = output
        .access_token
        .ok_or_else(|| Error::new(ErrorCode::ServiceError, "CreateToken returned no access token"))?;
    Ok(PollOutcome::Token(SsoToken {
        access_token: Secret::new(access_token),
        expires_at: SystemTime::now() + Duration::from_secs(output.expires_in.max(0) as u64),
        start_url: pending.start_url.clone(),
        region: pending.region.clone(),
        refresh_token: output.refresh_token.map(Secret::new),
        registration: Some(registration.clone()),
    }))
}

/// Renews `token` with the refresh-token grant. The service may rotate the refresh token; when it
/// sends none, the old one stays in use. A refused grant means the SSO session has ended.
pub async fn refresh(client: &Client, token: &SsoToken, environment: &str) -> Result<SsoToken> {
    let (Some(refresh_token), Some(registration)) = (&token.refresh_token, &token.registration) else {
        return Err(Error::login_required(environment, "the SSO token cannot be refreshed (no refresh token)"));
    };
    let answer = client
        .create_token()
        .client_id(&registration.client_id)
        .client_secret(registration.client_secret.expose())
        .grant_type(REFRESH_TOKEN_GRANT)
        .refresh_token(refresh_token.expose())
        .send()
        .await;
    let output = answer.map_err(|e| {
        let failure = Failure::from_sdk(&e);
        match failure.code.as_deref() {
            Some("InvalidGrantException" | "ExpiredTokenException" | "AccessDeniedException") => Error::login_required(
                environment,
                &format!(
                    "the SSO session has ended (the service refused its refresh token: {})",
                    failure.code.unwrap_or_default()
                ),
            ),
            Some("InvalidClientException" | "UnauthorizedClientException") => {
                Error::login_required(environment, "the client registration is no longer accepted")
            }
            _ => failure.to_error("CreateToken (refresh)").context(format!("environment '{environment}'")),
        }
    })?;
    let access_token = output
        .access_token
        .ok_or_else(|| Error::new(ErrorCode::ServiceError, "CreateToken returned no access token"))?;
    Ok(SsoToken {
        access_token: Secret::new(access_token),
        expires_at: SystemTime::now() + Duration::from_secs(output.expires_in.max(0) as u64),
        start_url: token.start_url.clone(),
        region: token.region.clone(),
        refresh_token: output.refresh_token.map(Secret::new).or_else(|| token.refresh_token.clone()),
        registration: token.registration.clone(),
    })
}
