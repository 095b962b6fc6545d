//! Requests and results of the engine, as the C ABI and the command line carry them (JSON, camelCase).
//! Requests refuse unknown fields, so a misspelt option is an error instead of being ignored.

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::Error;
use crate::secret::Secret;

/// A field that may also be `null`, read as its default: .NET's serializer writes `null` for a
/// field it was given no value for.
fn null_as_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(deserializer: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginStartRequest {
    pub environment: String,
    pub start_url: String,
    pub region: String,
    #[serde(default)]
    pub force_login: bool,
    /// Keep the token in this process's memory only, as the original script did.
    #[serde(default)]
    pub no_token_file: bool,
    /// Also write `[sso-session <environment>]` into the AWS config file for `aws` CLI v2.
    #[serde(default)]
    pub write_sso_session: bool,
    /// Which login flow: `None` chooses (the authorization code with PKCE, as `aws sso login` does,
    /// unless a browser here cannot reach a loopback redirect: then the device code); `Some(true)`
    /// the device code; `Some(false)` the authorization code even where the choice would be the
    /// device code (an SSH session whose redirect port is forwarded).
    #[serde(default)]
    pub use_device_code: Option<bool>,
    /// No browser will be opened on this machine: the device code, unless `use_device_code` is
    /// `Some(false)`.
    #[serde(default)]
    pub no_browser: bool,
    /// Authorization code only: the loopback port the browser is sent back to, for a firewall that
    /// allows only one. `None` or 0: a free port.
    #[serde(default)]
    pub redirect_port: Option<u16>,
    /// Authorization code only: how long to wait for the browser to come back, 1 to 3600 seconds
    /// (default 600).
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum LoginStart {
    LoggedIn {
        expires_at: String,
    },
    /// The user must approve the login in a browser; `flow` says how (see [`LoginPrompt`]).
    Pending {
        #[serde(flatten)]
        prompt: LoginPrompt,
        /// Why the device code was chosen by itself (e.g. an SSH session); `None` when it was
        /// asked for, and for the authorization code.
        #[serde(skip_serializing_if = "Option::is_none")]
        flow_reason: Option<String>,
        /// When the login gives up: the device code expires, or the wait for the browser ends.
        expires_at: String,
    },
    /// Another process is running this session's login; poll to get its result.
    Waiting {
        message: String,
    },
}

/// What the user must do to approve a pending login, per flow (`"flow"` in the JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "flow", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum LoginPrompt {
    /// Open `authorization_url` in a browser on this machine; after the approval the browser comes
    /// back to `redirect_uri`, where this process listens.
    AuthorizationCode { authorization_url: String, redirect_uri: String },
    /// Open `verification_uri` on any device and enter `user_code` (or open
    /// `verification_uri_complete`, which carries the code).
    DeviceCode { user_code: String, verification_uri: String, verification_uri_complete: String, interval_seconds: u64 },
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginPollRequest {
    pub environment: String,
    #[serde(default)]
    pub wait_ms: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum LoginPoll {
    Pending,
    LoggedIn { expires_at: String },
}

/// One profile to keep fresh: which account and role it holds credentials for. Without `profile`,
/// the name comes from the profile-name template (with `accountName`, else the account id).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    pub account_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefreshRequest {
    /// Required, except with `fromConfig`, where each profile's sso-session is its environment.
    #[serde(default, deserialize_with = "null_as_default")]
    pub environment: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub accounts: Vec<AccountRequest>,
    #[serde(default)]
    pub default_role_name: Option<String>,
    /// Accepted for symmetry with login; the token's own region is what is used.
    #[serde(default)]
    pub region: Option<String>,
    /// When given, a stored token for another start URL is not used.
    #[serde(default)]
    pub start_url: Option<String>,
    /// Use only a token kept in this process's memory, never the AWS CLI cache.
    #[serde(default)]
    pub no_token_file: bool,
    #[serde(default)]
    pub credentials_file: Option<String>,
    #[serde(default)]
    pub force: bool,
    #[serde(default)]
    pub max_concurrency: Option<usize>,
    #[serde(default)]
    pub min_validity_seconds: Option<u64>,
    #[serde(default)]
    pub dry_run: bool,
    /// Also refresh every account and role the login can reach (filtered below).
    #[serde(default)]
    pub discover: bool,
    /// Names for profiles given without one: `{AccountName}`, `{AccountId}`, `{RoleName}`.
    #[serde(default)]
    pub profile_name_template: Option<String>,
    #[serde(default)]
    pub include_account: Vec<String>,
    #[serde(default)]
    pub exclude_account: Vec<String>,
    #[serde(default)]
    pub include_role: Vec<String>,
    /// Refresh the SSO profiles of the AWS config file (`aws configure sso`) instead of `accounts`,
    /// each with its own sso-session's token, into credentials profiles of the same names.
    #[serde(default)]
    pub from_config: bool,
    /// With `fromConfig`: only the config profiles matching one of these patterns (`*`, `?`,
    /// case-insensitive).
    #[serde(default, deserialize_with = "null_as_default")]
    pub config_profile: Vec<String>,
    /// Write no keys: each profile gets `credential_process = "<credentialProcessCommand>"
    /// credential-process ...` in the AWS config file instead, and its old keys leave the
    /// credentials file. Nothing is fetched.
    #[serde(default)]
    pub credential_process: bool,
    /// With `credentialProcess`: the absolute path of the `ssocreds-cli` the SDKs are to run.
    #[serde(default)]
    pub credential_process_command: Option<String>,
}

/// Which role a `credentials` run gets keys for: `accountId` and `roleName` with the run's
/// environment (its `request`), or `configProfile`, an SSO profile of the AWS config file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CredentialsTarget {
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub role_name: Option<String>,
    #[serde(default)]
    pub config_profile: Option<String>,
}

/// The keys of one role, as a `credentials` run finishes with them. `Debug` never shows the secrets;
/// the JSON carries them, for the front end that asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleCredentials {
    pub access_key_id: String,
    #[serde(serialize_with = "exposed")]
    pub secret_access_key: Secret,
    #[serde(serialize_with = "exposed")]
    pub session_token: Secret,
    /// RFC 3339 UTC.
    pub expiration: String,
    pub account_id: String,
    pub role_name: String,
    /// The session whose token was used (with `configProfile`: its sso-session, else its start URL).
    pub environment: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_profile: Option<String>,
}

fn exposed<S: serde::Serializer>(secret: &Secret, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(secret.expose())
}

/// `discover` takes the request `refresh` takes, so a caller can send both the same base request.
/// It uses `environment`, `startUrl`, `noTokenFile`, `maxConcurrency` and the account and role
/// filters; `region` is checked as `refresh` checks it; the other fields are accepted and ignored.
pub type DiscoverRequest = RefreshRequest;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscoverResult {
    pub accounts: Vec<DiscoveredAccount>,
}

/// An account the login can reach, with the roles it may use there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveredAccount {
    pub account_id: String,
    pub account_name: String,
    /// `null` when the service gives none.
    pub email_address: Option<String>,
    pub roles: Vec<String>,
    /// Set when this account's roles could not be listed; the other accounts are unaffected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
}

/// A profile name made from the template that had to change because another profile had it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Renamed {
    pub wanted: String,
    pub profile: String,
    pub account_id: String,
    pub role_name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ProfileStatus {
    Refreshed,
    Current,
    Failed,
    WouldRefresh,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileReport {
    pub profile: String,
    pub account_id: String,
    pub role_name: String,
    pub status: ProfileStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
    /// With `fromConfig`: the profile of the AWS config file this one was made from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_profile: Option<String>,
    /// With `fromConfig`: the session whose token it used (as in `configSessions`), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

/// A profile of the AWS config file that `fromConfig` leaves alone, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Skipped {
    pub profile: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshReport {
    /// When the SSO token ends; `None` when nothing needed the token (every profile was current).
    pub token_expires_at: Option<String>,
    pub credentials_file: String,
    pub profiles: Vec<ProfileReport>,
    /// Derived profile names that had to change because another profile had them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub renamed: Vec<Renamed>,
    /// Accounts whose roles could not be listed during discovery.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub discovery_errors: Vec<Error>,
    /// With `fromConfig`: the AWS config file read; with `credentialProcess`: the one written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_file: Option<String>,
    /// With `fromConfig`: the selected config profiles that are not SSO profiles.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
    /// What the user should know about a run that did its work: shown, never a failure.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

/// Something a run did that the user should know about, such as secrets written to a file that
/// other users can read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Warning {
    pub code: WarningCode,
    /// Names the file (or other thing) at fault and what to do about it.
    pub message: String,
}

/// Stable warning codes, carried as strings like the error codes, never renamed or reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum WarningCode {
    /// Unix only: secrets were written to a credentials file whose mode lets other users read it.
    CredentialsFileReadableByOthers,
}

impl WarningCode {
    pub fn as_str(self) -> &'static str {
        match self {
            WarningCode::CredentialsFileReadableByOthers => "CredentialsFileReadableByOthers",
        }
    }
}

impl RefreshReport {
    pub fn count(&self, status: ProfileStatus) -> usize {
        self.profiles.iter().filter(|p| p.status == status).count()
    }
}

/// `configSessions` takes the request `refresh` takes (`fromConfig` is implied).
pub type ConfigSessionsRequest = RefreshRequest;

/// The sso-sessions the selected profiles of the AWS config file use, and whether each needs a
/// login before a refresh.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigSessions {
    pub config_file: String,
    pub sessions: Vec<ConfigSession>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
    /// SSO profiles whose configuration cannot work; a refresh reports them `failed` with this error.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub invalid: Vec<InvalidProfile>,
}

/// One token: an `[sso-session]`, or the start URL of profiles without one (the AWS CLI's legacy
/// configuration).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigSession {
    /// The session's name for `login_start` and the token cache: the sso-session's name, else the
    /// start URL.
    pub environment: String,
    /// `null` for profiles without an sso-session.
    pub sso_session: Option<String>,
    pub start_url: String,
    pub region: String,
    /// The selected config profiles that use it, in file order.
    pub profiles: Vec<String>,
    /// True when a refresh must fetch for one of its profiles and there is no token that is valid
    /// or could be renewed without the user: log in first.
    pub login_required: bool,
    /// When the stored token ends, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvalidProfile {
    pub profile: String,
    pub error: Error,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvironmentRequest {
    pub environment: String,
    #[serde(default)]
    pub no_token_file: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SessionState {
    LoggedIn,
    Expired,
    Pending,
    None,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionStatus {
    pub environment: String,
    pub status: SessionState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds_left: Option<u64>,
    /// True when the token can be renewed without the user (refresh token and registration valid).
    pub refreshable: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogoutResult {
    pub environment: String,
    pub logged_out: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginCancelled {
    pub environment: String,
    /// True when a pending login, or a wait for another process's login, was forgotten.
    pub cancelled: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_pending_login_carries_the_fields_of_its_flow_only() {
        let device = LoginStart::Pending {
            prompt: LoginPrompt::DeviceCode {
                user_code: "ABCD-EFGH".into(),
                verification_uri: "https://device.sso.us-east-1.amazonaws.com/".into(),
                verification_uri_complete: "https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH".into(),
                interval_seconds: 5,
            },
            flow_reason: Some("an SSH session (SSH_TTY is set): ...".into()),
            expires_at: "2026-01-01T10:10:00Z".into(),
        };
        assert_eq!(
            serde_json::to_value(&device).unwrap(),
            json!({"status": "pending", "flow": "deviceCode", "userCode": "ABCD-EFGH",
                "verificationUri": "https://device.sso.us-east-1.amazonaws.com/",
                "verificationUriComplete": "https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH",
                "intervalSeconds": 5, "flowReason": "an SSH session (SSH_TTY is set): ...",
                "expiresAt": "2026-01-01T10:10:00Z"})
        );
        let code = LoginStart::Pending {
            prompt: LoginPrompt::AuthorizationCode {
                authorization_url: "https://oidc.us-east-1.amazonaws.com/authorize?response_type=code".into(),
                redirect_uri: "http://127.0.0.1:50123/oauth/callback".into(),
            },
            flow_reason: None,
            expires_at: "2026-01-01T10:10:00Z".into(),
        };
        assert_eq!(
            serde_json::to_value(&code).unwrap(),
            json!({"status": "pending", "flow": "authorizationCode",
                "authorizationUrl": "https://oidc.us-east-1.amazonaws.com/authorize?response_type=code",
                "redirectUri": "http://127.0.0.1:50123/oauth/callback", "expiresAt": "2026-01-01T10:10:00Z"})
        );
    }

    #[test]
    fn login_requests_take_the_flow_options() {
        let request: LoginStartRequest = serde_json::from_value(json!({"environment": "E", "startUrl": "u",
            "region": "r", "useDeviceCode": false, "noBrowser": true, "redirectPort": 8400, "timeoutSeconds": 30}))
        .unwrap();
        assert_eq!(
            (request.use_device_code, request.no_browser, request.redirect_port, request.timeout_seconds),
            (Some(false), true, Some(8400), Some(30))
        );
        let request: LoginStartRequest =
            serde_json::from_value(json!({"environment": "E", "startUrl": "u", "region": "r", "useDeviceCode": null}))
                .unwrap();
        assert_eq!((request.use_device_code, request.no_browser, request.redirect_port), (None, false, None));
        let port = serde_json::from_value::<LoginStartRequest>(
            json!({"environment": "E", "startUrl": "u", "region": "r", "redirectPort": 70000}),
        );
        assert!(port.is_err(), "a port is at most 65535");
    }
}
