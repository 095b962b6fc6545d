//! A login's state types, beside the login's functions but importing none of them, so that the
//! per-process state (`crate::state`) holds a login in progress from below the features.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::secret::Secret;
use crate::token::state::{Persistence, Registration};

/// A login waiting for the user's approval.
#[derive(Debug)]
pub(crate) enum PendingLogin {
    Device(DeviceLogin),
    AuthorizationCode(CodeLogin),
}

impl PendingLogin {
    /// What tells this login from every other: its device code, or its state.
    pub(crate) fn key(&self) -> &Secret {
        match self {
            PendingLogin::Device(login) => &login.device_code,
            PendingLogin::AuthorizationCode(login) => &login.exchange.state,
        }
    }
}

/// A device authorization waiting for the user's approval.
#[derive(Clone, Debug)]
pub(crate) struct DeviceLogin {
    pub registration: Registration,
    pub device_code: Secret,
    pub start_url: String,
    pub region: String,
    pub interval: Duration,
    pub next_poll: Instant,
    pub expires: Instant,
    pub persist: Persistence,
}

/// An authorization-code login waiting for the browser to come back to its listener.
#[derive(Debug)]
pub(crate) struct CodeLogin {
    pub exchange: CodeExchange,
    /// Listens on 127.0.0.1 for the browser; `None` while a `login_poll` serves it. Dropped (so
    /// the port is free) when the login ends, however it ends.
    pub listener: Option<std::net::TcpListener>,
}

/// What the exchange of an authorization code needs.
#[derive(Clone, Debug)]
pub(crate) struct CodeExchange {
    pub registration: Registration,
    pub start_url: String,
    pub region: String,
    /// `http://127.0.0.1:<port>/oauth/callback`, sent with the authorization and the exchange.
    pub redirect_uri: String,
    pub state: Secret,
    pub verifier: Secret,
    pub expires: Instant,
    pub timeout: Duration,
    pub persist: Persistence,
}

/// Another process is running the login for this session; this one waits for its token.
#[derive(Clone, Debug)]
pub(crate) struct WaitingLogin {
    pub since: Instant,
    pub start_url: String,
    pub cache_file: PathBuf,
    pub persist: Persistence,
}
