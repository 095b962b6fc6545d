//! One error type for the whole engine: a stable machine-readable code plus a message for people.
//!
//! Messages name the profile, account, field or path at fault and never contain a secret: every
//! constructor takes text the engine composed itself, and SDK errors are reduced to their code and
//! the service's message (which never echoes tokens).

use std::fmt;

/// Stable error codes. They appear in the C ABI as strings and are never renamed or reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ErrorCode {
    InvalidInput,
    InsecureEndpoint,
    LoginRequired,
    LoginPending,
    DeviceCodeExpired,
    /// The browser did not come back to the loopback redirect in time (authorization code flow).
    LoginTimedOut,
    AccessDenied,
    Forbidden,
    NotFound,
    Throttled,
    ServiceError,
    Network,
    Io,
    Panic,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "InvalidInput",
            ErrorCode::InsecureEndpoint => "InsecureEndpoint",
            ErrorCode::LoginRequired => "LoginRequired",
            ErrorCode::LoginPending => "LoginPending",
            ErrorCode::DeviceCodeExpired => "DeviceCodeExpired",
            ErrorCode::LoginTimedOut => "LoginTimedOut",
            ErrorCode::AccessDenied => "AccessDenied",
            ErrorCode::Forbidden => "Forbidden",
            ErrorCode::NotFound => "NotFound",
            ErrorCode::Throttled => "Throttled",
            ErrorCode::ServiceError => "ServiceError",
            ErrorCode::Network => "Network",
            ErrorCode::Io => "Io",
            ErrorCode::Panic => "Panic",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An engine error: what went wrong (`code`) and, for people, where (`message`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error { code, message: message.into() }
    }

    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    pub fn io(what: &str, path: &std::path::Path, source: &std::io::Error) -> Self {
        Self::new(ErrorCode::Io, format!("{what} {}: {source}", path.display()))
    }

    pub fn login_required(environment: &str, why: &str) -> Self {
        Self::new(ErrorCode::LoginRequired, format!("environment '{environment}': {why}; log in again"))
    }

    /// The same error with `context` (a profile, account or operation) put in front of the message.
    pub fn context(self, context: impl fmt::Display) -> Self {
        Error { code: self.code, message: format!("{context}: {}", self.message) }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
