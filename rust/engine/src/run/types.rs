//! The run's request, its events and the answers a front end gives (JSON, camelCase).

use serde::{Deserialize, Serialize};

use crate::api::{CredentialsTarget, DiscoverResult, RefreshReport, RefreshRequest, RoleCredentials};
pub use crate::browser::BrowserCommand;

/// What a front end asks a run to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RunOperation {
    /// Set-AwsCliSsoCredentials, `ssocreds-cli refresh`.
    Refresh,
    /// Get-AwsCliSsoAccount, `ssocreds-cli discover`.
    Discover,
    /// `ssocreds-cli login`, and the module's `-ConfigureSsoSession`.
    Login,
    /// One role's keys from the shared token, written nowhere: `ssocreds-cli credential-process`,
    /// Get-AwsCliSsoCredential.
    Credentials,
}

/// Which front end drives the run: only the commands named in messages differ.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FrontEnd {
    #[default]
    Powershell,
    Cli,
}

/// How a login is made, when the run needs one.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunLoginOptions {
    #[serde(default)]
    pub no_browser: bool,
    /// `None`: the library chooses; see `LoginStartRequest::use_device_code`.
    #[serde(default)]
    pub use_device_code: Option<bool>,
    #[serde(default)]
    pub redirect_port: Option<u16>,
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
    /// Also write `[sso-session <environment>]` into the AWS config file (`-ConfigureSsoSession`).
    #[serde(default)]
    pub write_sso_session: bool,
    #[serde(default)]
    pub force_login: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunRequest {
    pub operation: RunOperation,
    /// The refresh request (discover and login use its environment, startUrl, region, noTokenFile
    /// and, for discover, maxConcurrency and the filters). `dryRun` is ignored: the run plans first
    /// by itself, and `confirm` is how a front end fetches nothing.
    #[serde(default)]
    pub request: RefreshRequest,
    #[serde(default)]
    pub login: RunLoginOptions,
    /// Whether a person can answer a login. When false and a login is needed, the run ends with
    /// `LoginRequired` and starts none. Ignored when `host` is given.
    #[serde(default)]
    pub interactive: bool,
    /// The PowerShell host of a cmdlet that leaves it to the library to tell whether a person can
    /// answer (no -NonInteractive given): `interactive` and its reason are then the library's.
    #[serde(default)]
    pub host: Option<PowerShellHost>,
    /// Why no person can answer ("PowerShell was started with -NonInteractive"), for the message;
    /// by default the front end's switch was given.
    #[serde(default)]
    pub non_interactive_reason: Option<String>,
    /// Stop at a `confirm` event and fetch only the profiles the answer names.
    #[serde(default)]
    pub confirm: bool,
    /// Only say what would be done (PowerShell's -WhatIf, the CLI's --dry-run): `confirm` events are
    /// still sent when `confirm` is set, but nothing is fetched or written whatever the answer, and no
    /// summary is said (nothing was registered).
    #[serde(default)]
    pub what_if: bool,
    #[serde(default)]
    pub front_end: FrontEnd,
    /// With `credentials`: the role whose keys to get.
    #[serde(default)]
    pub credentials: CredentialsTarget,
}

/// What the library cannot see of the PowerShell host it runs in.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PowerShellHost {
    /// `$Host.Name`: ConsoleHost, ServerRemoteHost (remoting), Visual Studio Code Host, ...
    pub name: String,
    /// .NET's `Environment.UserInteractive`: false in a Windows service or a scheduled task that runs
    /// whether the user is logged on or not.
    pub user_interactive: bool,
}

/// One thing the front end is told. `finished` is always the last.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum RunEvent {
    /// The user must approve a login: try `browserCommands` in order until one starts (none when
    /// not `openBrowser`), then print `ifOpened`, or `ifNotOpened` when none started. The run polls
    /// the login itself.
    LoginNeeded {
        session: String,
        flow: LoginFlow,
        url: String,
        open_browser: bool,
        /// The commands that open `url` (BROWSER's, else the system's launcher), to try in order.
        browser_commands: Vec<BrowserCommand>,
        #[serde(skip_serializing_if = "Option::is_none")]
        user_code: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        verification_uri: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        redirect_uri: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        flow_reason: Option<String>,
        expires_at: String,
        if_opened: Vec<String>,
        if_not_opened: Vec<String>,
    },
    /// Another process is logging in to this session; the run waits for its token.
    LoginWaiting {
        session: String,
        message: String,
    },
    LoggedIn {
        session: String,
        expires_at: String,
    },
    /// Answer with the profiles (and login targets) to go ahead with.
    Confirm {
        profiles: Vec<ConfirmProfile>,
        logins: Vec<ConfirmLogin>,
    },
    /// Coalesced: a front end slower than the run sees only the latest.
    Progress {
        /// The bar's title, e.g. "Refreshing AWS credentials (Default)".
        activity: String,
        completed: usize,
        total: usize,
    },
    Message {
        level: MessageLevel,
        #[serde(skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        text: String,
    },
    Finished {
        #[serde(skip_serializing_if = "Option::is_none")]
        report: Option<RunReport>,
        /// Per-profile, per-account and per-session failures: one error record each.
        errors: Vec<RunError>,
        /// The run failed as a whole (bad input, `LoginRequired`, `Cancelled`).
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<RunError>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum LoginFlow {
    AuthorizationCode,
    DeviceCode,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum MessageLevel {
    Info,
    Warning,
    Verbose,
}

/// A profile the run would fetch: `target` and `action` are the ShouldProcess texts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmProfile {
    pub profile: String,
    pub account_id: String,
    pub role_name: String,
    pub target: String,
    pub action: String,
}

/// A login the run would make, shown by -WhatIf only (`whatIf`): every item of a `confirm`
/// event, profile or login, is one ShouldProcess question, and the answer names the ones approved.
/// With `-AllAccounts` and no token it comes alone, before anything is listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmLogin {
    pub session: String,
    pub target: String,
    pub action: String,
}

/// What the run did: the operation's own result.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum RunReport {
    Refresh(RefreshReport),
    Discover(DiscoverResult),
    Login(LoginReport),
    Credentials(RoleCredentials),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginReport {
    pub environment: String,
    pub expires_at: String,
}

/// A failure as an error record: a stable code (the engine's, or `Cancelled`), the message, what
/// it is about, and what to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunError {
    pub code: String,
    pub message: String,
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recommended_action: Option<String>,
}

impl RunError {
    pub(crate) fn new(code: &str, message: impl Into<String>, target: impl Into<String>) -> Self {
        RunError { code: code.to_string(), message: message.into(), target: target.into(), recommended_action: None }
    }

    pub(crate) fn from_error(error: &crate::error::Error, target: impl Into<String>) -> Self {
        Self::new(error.code.as_str(), error.message.clone(), target)
    }

    pub(crate) fn with_action(mut self, action: impl Into<String>) -> Self {
        self.recommended_action = Some(action.into());
        self
    }
}

/// The answer to a `confirm` event.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunAnswer {
    pub confirmed: Vec<String>,
}
