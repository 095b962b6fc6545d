//! The engine's public face, the top floor: one method per operation, each a call into the module
//! that does it. Safe, async, and free of FFI and SDK types; the C ABI and the command line are thin
//! layers over it. What the operations share ([`crate::context::Context`]) lives below the
//! features, in `context.rs`; this file only holds it (see the layers in the crate's docs).
//!
//! | operation | module |
//! |---|---|
//! | `login_start`, `login_poll`, `login_cancel` | [`crate::login`]: the authorization-code (PKCE) and device-code flows, the cross-process login lock; the OIDC words in [`crate::oidc`] |
//! | `plan_refresh`, `run_refresh`, `refresh` | [`crate::refresh`]: plan, fetch, report |
//! | `config_sessions` | [`crate::refresh`] (the plan of `fromConfig`), with [`crate::config_profiles`] (its `ConfigLogin`s) |
//! | `discover` | [`crate::discovery`]: accounts and roles, and the listing kept beside the token (`kept_listing`) |
//! | `session_status`, `logout` | [`crate::token`]: the stored token, its renewal and its end |
//! | `start_run` | [`crate::run`]: a whole run that a front end drives, over the operations above |

use std::sync::Arc;

use crate::api::*;
use crate::context::Context;
use crate::env::HostEnv;
use crate::error::Result;
use crate::refresh::{Progress, RefreshPlan};
use crate::run::{RunHandle, RunRequest};
use crate::{discovery, login, refresh, run, token};

pub struct Engine {
    /// Shared with the runs in progress, which outlive a call.
    context: Arc<Context>,
}

impl Engine {
    pub fn new(env: HostEnv) -> Self {
        Engine { context: Arc::new(Context { env, ..Context::default() }) }
    }

    /// Reuses a stored token (renewing it with its refresh token if needed), or starts a login the
    /// user must approve in a browser (the authorization code with a loopback redirect, or the
    /// device code where no browser here can reach one), or, when another process is already
    /// running that login, waits for its result instead of opening another browser tab.
    pub async fn login_start(&self, request: LoginStartRequest) -> Result<LoginStart> {
        login::start(&self.context, request).await
    }

    /// Waits at most `waitMs` for the user to approve the pending login (the browser to come back
    /// to the loopback listener, then the code's exchange; or polling as the service asks for the
    /// device code); or for another process's login to finish.
    pub async fn login_poll(&self, request: LoginPollRequest) -> Result<LoginPoll> {
        login::poll(&self.context, request).await
    }

    /// Forgets the pending login (closing its loopback listener), or the wait for another
    /// process's login, and releases the login lock at once so that another process can log in.
    /// The stored token and the cache file are left alone. A `login_poll` blocked on another
    /// thread returns at once.
    pub fn login_cancel(&self, request: EnvironmentRequest) -> Result<LoginCancelled> {
        login::cancel(&self.context, request)
    }

    /// Checks the request, reads what the credentials file holds and decides what to fetch, with
    /// no network call. Fails with `InvalidInput` before anything is sent, and with
    /// `LoginRequired` when something must be fetched (or listed) but there is no token that is
    /// valid or could be renewed.
    pub fn plan_refresh(&self, request: RefreshRequest) -> Result<RefreshPlan> {
        refresh::plan(&self.context, request)
    }

    /// Fetches what the plan needs and merges it into the credentials file in one locked, atomic
    /// write.
    pub async fn run_refresh(&self, plan: RefreshPlan, progress: Arc<Progress>) -> Result<RefreshReport> {
        refresh::run(&self.context, plan, progress).await
    }

    /// `plan_refresh` then `run_refresh`.
    pub async fn refresh(&self, request: RefreshRequest) -> Result<RefreshReport> {
        let plan = self.plan_refresh(request)?;
        self.run_refresh(plan, Arc::new(Progress::default())).await
    }

    /// The sessions (sso-sessions, or start URLs) the SSO profiles of the AWS config file use, and
    /// which need a login before `refresh` with `fromConfig` can fetch for their profiles. No
    /// network call; no token is renewed.
    pub fn config_sessions(&self, request: ConfigSessionsRequest) -> Result<ConfigSessions> {
        refresh::config_sessions(&self.context, request)
    }

    /// Lists every account and role the login can reach, without fetching credentials.
    pub async fn discover(&self, request: DiscoverRequest) -> Result<DiscoverResult> {
        discovery::discover(&self.context, request).await
    }

    /// The session's token state, from memory or the cache file; no network call.
    pub fn session_status(&self, request: EnvironmentRequest) -> Result<SessionStatus> {
        token::status(&self.context, request)
    }

    /// Signs the token out at the service (best effort), forgets it, any pending login and the
    /// listing, and removes the session's cache files.
    pub async fn logout(&self, request: EnvironmentRequest) -> Result<LogoutResult> {
        token::logout(&self.context, request).await
    }

    /// Starts a run (a refresh, a discovery or a login, with every decision of it) on the current
    /// Tokio runtime; the front end takes its events from the handle until `finished`, answers a
    /// `confirm`, or cancels it.
    pub fn start_run(&self, request: RunRequest) -> RunHandle {
        run::start(self.context.clone(), request)
    }
}
