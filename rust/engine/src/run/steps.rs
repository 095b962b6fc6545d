//! The steps every operation shares: logging in (with its events), a refresh
//! with progress, the `LoginRequired` of a run no person can answer; and the two short
//! operations, discover and login.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::messages;
use super::types::*;
use super::Shared;
use crate::api::{
    EnvironmentRequest, LoginPoll, LoginPollRequest, LoginPrompt, LoginStart, LoginStartRequest, ProfileReport,
    RefreshReport, RefreshRequest, SessionState, SessionStatus,
};
use crate::context::Context;
use crate::error::{Error, ErrorCode, Result};
use crate::refresh::Progress;
use crate::time::parse_rfc3339;
use crate::{discovery, login, refresh, token};

/// How long one poll of a pending login waits, so that a cancel is noticed between polls too.
const LOGIN_POLL: Duration = Duration::from_millis(500);
/// How often a refresh's progress is looked at.
const PROGRESS_EVERY: Duration = Duration::from_millis(50);

/// How a run ends when it fails as a whole: the error, and what it had done by then.
pub(super) struct Failure {
    pub error: RunError,
    /// Boxed: a report is large, and most failures have none.
    pub report: Option<Box<RunReport>>,
}

impl Failure {
    pub(super) fn new(error: RunError) -> Self {
        Failure { error, report: None }
    }
}

pub(super) type Outcome = std::result::Result<Option<RunReport>, Failure>;

/// What the steps of one run share.
pub(super) struct Run<'a> {
    pub context: &'a Context,
    pub shared: &'a Shared,
    pub request: RunRequest,
    /// Per-profile, per-account, per-session failures, for `finished`.
    pub errors: Vec<RunError>,
    /// The environments this run logged in to.
    pub logged_in: Vec<String>,
}

impl<'a> Run<'a> {
    pub(super) fn new(context: &'a Context, shared: &'a Shared, request: RunRequest) -> Self {
        Run { context, shared, request, errors: Vec::new(), logged_in: Vec::new() }
    }

    pub fn front_end(&self) -> FrontEnd {
        self.request.front_end
    }

    pub fn now(&self) -> SystemTime {
        self.context.clock.now()
    }

    pub fn say(&self, level: MessageLevel, code: Option<&str>, text: String) {
        self.shared.emit(RunEvent::Message { level, code: code.map(str::to_string), text });
    }

    pub fn info(&self, code: &str, text: String) {
        self.say(MessageLevel::Info, Some(code), text);
    }

    /// The report's warnings, as `message` events of level warning (their code as in the report).
    pub fn warn_all(&self, warnings: &[crate::api::Warning]) {
        for warning in warnings {
            self.say(MessageLevel::Warning, Some(warning.code.as_str()), warning.message.clone());
        }
    }

    pub fn verbose(&self, text: String) {
        self.say(MessageLevel::Verbose, None, text);
    }

    /// Why no person can answer a login: the front end's reason, or its switch.
    pub fn non_interactive_reason(&self) -> String {
        self.request
            .non_interactive_reason
            .clone()
            .unwrap_or_else(|| messages::default_non_interactive_reason(self.front_end()).to_string())
    }

    /// The cmdlet (or command) the messages name for this run.
    pub fn command(&self) -> &'static str {
        match (self.front_end(), self.request.operation) {
            (FrontEnd::Powershell, RunOperation::Discover) => "Get-AwsCliSsoAccount",
            (FrontEnd::Powershell, RunOperation::Credentials) => "Get-AwsCliSsoCredential",
            (FrontEnd::Cli, RunOperation::Credentials) => "credential-process",
            (FrontEnd::Powershell, _) => "Set-AwsCliSsoCredentials",
            (FrontEnd::Cli, RunOperation::Discover) => "discover",
            (FrontEnd::Cli, _) => "refresh",
        }
    }

    /// The `LoginRequired` of a run no person can answer, with the engine's reason as detail.
    pub fn login_required(&self, environment: &str, detail: &str) -> Failure {
        let message = messages::login_required(
            self.front_end(),
            self.command(),
            environment,
            &self.non_interactive_reason(),
            detail,
        );
        let action = messages::login_action(self.front_end(), self.command(), environment);
        Failure::new(RunError::new("LoginRequired", message, environment).with_action(action))
    }

    /// A run-level failure from an engine error about `target`.
    pub fn failed(&self, error: &Error, target: &str) -> Failure {
        if self.shared.is_cancelled() {
            return Failure::new(RunError::new(super::CANCELLED, "the run was cancelled", "run"));
        }
        Failure::new(RunError::from_error(error, target))
    }

    /// Logs in to `environment` (or reuses its token), telling the front end what the user must
    /// do; returns when the token ends.
    pub async fn log_in(&mut self, environment: &str, start_url: Option<&str>, region: Option<&str>) -> Result<String> {
        let (Some(start_url), Some(region)) = (start_url.filter(|s| !s.is_empty()), region.filter(|r| !r.is_empty()))
        else {
            let missing = (start_url.is_none_or(str::is_empty), region.is_none_or(str::is_empty));
            let text = messages::login_needs_settings(self.front_end(), environment, missing.0, missing.1);
            return Err(Error::invalid_input(text));
        };
        self.shared.begin_login(environment)?;
        let result = self.log_in_with(environment, start_url, region).await;
        self.shared.end_login();
        let expires_at = result?;
        self.logged_in.push(environment.to_string());
        let event = RunEvent::LoggedIn { session: environment.to_string(), expires_at: expires_at.clone() };
        self.shared.emit(event);
        Ok(expires_at)
    }

    /// Logs in to the environment of `request` with its start URL and region; a failure ends the run.
    pub async fn log_in_to(&mut self, request: &RefreshRequest) -> std::result::Result<String, Failure> {
        let environment = &request.environment;
        self.log_in(environment, request.start_url.as_deref(), request.region.as_deref())
            .await
            .map_err(|e| self.failed(&e, environment))
    }

    async fn log_in_with(&self, environment: &str, start_url: &str, region: &str) -> Result<String> {
        let options = &self.request.login;
        let from_config = self.request.request.from_config;
        let start = LoginStartRequest {
            environment: environment.to_string(),
            start_url: start_url.to_string(),
            region: region.to_string(),
            force_login: options.force_login,
            no_token_file: !from_config && self.request.request.no_token_file,
            write_sso_session: !from_config && options.write_sso_session,
            use_device_code: options.use_device_code,
            no_browser: options.no_browser,
            redirect_port: options.redirect_port,
            timeout_seconds: options.timeout_seconds,
        };
        match login::start(self.context, start).await? {
            LoginStart::LoggedIn { expires_at } => {
                self.verbose(messages::reusing_token(environment));
                return Ok(expires_at);
            }
            LoginStart::Waiting { message } => {
                let message = messages::sentence(&message);
                self.shared.emit(RunEvent::LoginWaiting { session: environment.to_string(), message });
            }
            LoginStart::Pending { prompt, flow_reason, expires_at } => {
                self.show_login(environment, prompt, flow_reason, expires_at);
            }
        }
        loop {
            let poll =
                LoginPollRequest { environment: environment.to_string(), wait_ms: Some(LOGIN_POLL.as_millis() as u64) };
            if let LoginPoll::LoggedIn { expires_at } = login::poll(self.context, poll).await? {
                return Ok(expires_at);
            }
        }
    }

    fn show_login(&self, environment: &str, prompt: LoginPrompt, flow_reason: Option<String>, expires_at: String) {
        let no_browser = self.request.login.no_browser;
        if let Some(reason) = &flow_reason {
            self.verbose(messages::device_code_reason(reason));
        }
        let (flow, url, user_code, verification_uri, redirect_uri, (if_opened, if_not_opened)) = match prompt {
            LoginPrompt::DeviceCode { user_code, verification_uri, verification_uri_complete, .. } => {
                let lines =
                    messages::device_code_lines(&user_code, &verification_uri, &verification_uri_complete, no_browser);
                (LoginFlow::DeviceCode, verification_uri_complete, Some(user_code), Some(verification_uri), None, lines)
            }
            LoginPrompt::AuthorizationCode { authorization_url, redirect_uri } => {
                self.verbose(messages::waiting_for_browser(&redirect_uri));
                let lines = messages::authorization_code_lines(&authorization_url, no_browser);
                (LoginFlow::AuthorizationCode, authorization_url, None, None, Some(redirect_uri), lines)
            }
        };
        let browser_commands = if no_browser { Vec::new() } else { crate::browser::commands(&self.context.env, &url) };
        self.shared.emit(RunEvent::LoginNeeded {
            session: environment.to_string(),
            flow,
            browser_commands,
            url,
            open_browser: !no_browser,
            user_code,
            verification_uri,
            redirect_uri,
            flow_reason,
            expires_at,
            if_opened,
            if_not_opened,
        });
    }

    /// Plans and runs a refresh, with `progress` events.
    pub async fn refresh(&self, request: RefreshRequest) -> Result<RefreshReport> {
        let plan = refresh::plan(self.context, request)?;
        let progress = Arc::new(Progress::default());
        progress.total.store(plan.to_fetch(), Ordering::Relaxed);
        let work = refresh::run(self.context, plan, progress.clone());
        tokio::pin!(work);
        let mut told = None;
        loop {
            tokio::select! {
                report = &mut work => {
                    self.tell_progress(&progress, &mut told);
                    return report;
                }
                () = tokio::time::sleep(PROGRESS_EVERY) => self.tell_progress(&progress, &mut told),
            }
        }
    }

    fn tell_progress(&self, progress: &Progress, told: &mut Option<(usize, usize)>) {
        let now = (progress.completed.load(Ordering::Relaxed), progress.total.load(Ordering::Relaxed));
        if now.1 > 0 && *told != Some(now) {
            *told = Some(now);
            let activity = messages::activity(self.request.operation, &self.request.request);
            self.shared.emit(RunEvent::Progress { activity, completed: now.0, total: now.1 });
        }
    }

    /// The stored token's state for `environment`, as this run keeps tokens (file or memory).
    pub fn token_status(&self, environment: &str) -> Result<SessionStatus> {
        let request = EnvironmentRequest {
            environment: environment.to_string(),
            no_token_file: self.request.request.no_token_file,
        };
        token::status(self.context, request)
    }

    /// The session's token state, when it is logged in: for the closing line.
    pub fn token_expires_at(&self, environment: &str) -> Option<SystemTime> {
        match self.token_status(environment) {
            Ok(status) if status.status == SessionState::LoggedIn => {
                status.expires_at.as_deref().and_then(parse_rfc3339)
            }
            Ok(_) => None,
            Err(error) => {
                self.verbose(format!("The SSO token's state could not be read: {}", error.message));
                None
            }
        }
    }
}

/// A planned profile as a `confirm` event asks about it (the ShouldProcess texts).
pub(super) fn confirm_profile(p: &ProfileReport) -> ConfirmProfile {
    ConfirmProfile {
        profile: p.profile.clone(),
        account_id: p.account_id.clone(),
        role_name: p.role_name.clone(),
        target: messages::profile_target(&p.profile, &p.account_id, &p.role_name),
        action: messages::REFRESH_ACTION.to_string(),
    }
}

/// True for the errors a login answers.
pub(super) fn login_needed(error: &Error) -> bool {
    matches!(error.code, ErrorCode::LoginRequired | ErrorCode::LoginPending)
}

/// Lists the accounts and roles; logs in first when needed and a person can answer.
pub(super) async fn discover(run: &mut Run<'_>) -> Outcome {
    let request = run.request.request.clone();
    let environment = request.environment.clone();
    let result = match discovery::discover(run.context, request.clone()).await {
        Err(error) if login_needed(&error) => {
            if !run.request.interactive {
                return Err(run.login_required(&environment, &error.message));
            }
            run.log_in_to(&request).await?;
            discovery::discover(run.context, request).await
        }
        other => other,
    };
    let result = result.map_err(|e| run.failed(&e, &environment))?;
    for account in &result.accounts {
        if let Some(error) = &account.error {
            run.errors.push(RunError::from_error(error, account.account_id.clone()));
        }
    }
    Ok(Some(RunReport::Discover(result)))
}

/// `login`: reuses the token, or logs in when a person can answer.
pub(super) async fn log_in_only(run: &mut Run<'_>) -> Outcome {
    let request = run.request.request.clone();
    let environment = request.environment.clone();
    if !run.request.interactive && !can_log_in_alone(run, &environment)? {
        return Err(run.login_required(&environment, "not logged in"));
    }
    let expires_at = run.log_in_to(&request).await?;
    Ok(Some(RunReport::Login(LoginReport { environment, expires_at })))
}

/// True when `login_start` would reuse (or renew) the stored token without the user.
fn can_log_in_alone(run: &Run<'_>, environment: &str) -> std::result::Result<bool, Failure> {
    if run.request.login.force_login {
        return Ok(false);
    }
    let status = run.token_status(environment).map_err(|e| run.failed(&e, environment))?;
    let margin = token::TOKEN_LEFT_TO_REUSE.as_secs();
    Ok(status.refreshable || (status.status == SessionState::LoggedIn && status.seconds_left.unwrap_or(0) > margin))
}
