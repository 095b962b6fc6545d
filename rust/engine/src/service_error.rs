//! Turns an SDK error into the engine's error: the service's error code and message (never a token),
//! or what kept the request from reaching the service; and the one mapping of the SSO portal's
//! answers that refresh and discovery share.

use aws_sdk_sso::config::http::HttpResponse;
use aws_sdk_sso::error::{ProvideErrorMetadata, SdkError};

use crate::error::{Error, ErrorCode};

/// The parts of an SDK error that decide what happens next.
#[derive(Debug)]
pub(crate) struct ServiceFailure {
    /// The service's error code, such as `ForbiddenException`; `None` when there was no answer.
    pub code: Option<String>,
    pub status: Option<u16>,
    pub message: String,
}

impl ServiceFailure {
    pub(crate) fn from_sdk<E>(err: &SdkError<E, HttpResponse>) -> ServiceFailure
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match err {
            SdkError::ServiceError(service) => ServiceFailure {
                code: service.err().code().map(str::to_string),
                status: Some(service.raw().status().as_u16()),
                message: service.err().message().unwrap_or("no message").to_string(),
            },
            SdkError::TimeoutError(_) => {
                ServiceFailure { code: None, status: None, message: "the request timed out".into() }
            }
            SdkError::DispatchFailure(failure) => ServiceFailure {
                code: None,
                status: None,
                message: match failure.as_connector_error() {
                    Some(connector) if connector.is_timeout() => "the connection timed out".into(),
                    Some(connector) => format!("the service could not be reached ({})", error_chain(connector)),
                    None => "the request could not be sent".into(),
                },
            },
            SdkError::ResponseError(_) => {
                ServiceFailure { code: None, status: None, message: "the service's answer could not be read".into() }
            }
            _ => ServiceFailure { code: None, status: None, message: "the request could not be built".into() },
        }
    }

    /// The engine error for answers that are not specific to one operation.
    pub(crate) fn to_error(&self, operation: &str) -> Error {
        let code = match (self.code.as_deref(), self.status) {
            (None, None) => ErrorCode::Network,
            (Some("TooManyRequestsException"), _) | (_, Some(429)) => ErrorCode::Throttled,
            _ => ErrorCode::ServiceError,
        };
        let detail = match &self.code {
            Some(service_code) => format!("{service_code}: {}", self.message),
            None => self.message.clone(),
        };
        Error::new(code, format!("{operation} failed: {detail}"))
    }

    /// The engine error for an answer of the SSO portal (GetRoleCredentials, ListAccounts,
    /// ListAccountRoles): one mapping, shared by refresh and discovery.
    pub(crate) fn portal_error(&self, operation: &str) -> Error {
        let message = &self.message;
        match self.code.as_deref() {
            Some("UnauthorizedException") => Error::new(
                ErrorCode::LoginRequired,
                "the service no longer accepts the SSO token (expired or signed out)",
            ),
            Some("ForbiddenException") => Error::new(
                ErrorCode::Forbidden,
                format!(
                    "{operation}: this login has no access to that account and role (ForbiddenException: {message})"
                ),
            ),
            Some("ResourceNotFoundException") => Error::new(
                ErrorCode::NotFound,
                format!("{operation}: the account or role does not exist (ResourceNotFoundException: {message})"),
            ),
            Some("InvalidRequestException") => Error::new(
                ErrorCode::ServiceError,
                format!("{operation}: the service refused the request (InvalidRequestException: {message})"),
            ),
            _ => self.to_error(operation),
        }
    }

    pub(crate) fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(next) = source {
        parts.push(next.to_string());
        source = next.source();
    }
    parts.join(": ")
}
