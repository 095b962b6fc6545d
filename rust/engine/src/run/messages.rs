//! Every text a front end shows for a run, in one place. The PowerShell wording is the module's
//! (the drop-in's); the command line's differs only in the commands it names.

use std::time::{Duration, SystemTime};

use super::types::{FrontEnd, RunOperation};
use crate::api::RefreshRequest;

/// The ShouldProcess action of a profile to fetch.
pub(crate) const REFRESH_ACTION: &str = "Refresh AWS credentials";
/// The ShouldProcess action of the login `-AllAccounts` needs before it can list anything.
pub(crate) const DISCOVERY_LOGIN_ACTION: &str =
    "Log in to IAM Identity Center, list every account and role, and refresh their credentials";
pub(crate) const LOGIN_ACTION: &str = "Log in to IAM Identity Center";

pub(crate) const BROWSER_SHOULD_OPEN: &str = "A Browser window should open. Please login there and click ALLOW.";

/// The title of a run's progress bar.
pub(crate) fn activity(operation: RunOperation, request: &RefreshRequest) -> String {
    match operation {
        RunOperation::Discover => format!("Listing AWS accounts ({})", request.environment),
        _ if request.from_config => "Refreshing AWS credentials (the AWS config file's SSO profiles)".to_string(),
        _ => format!("Refreshing AWS credentials ({})", request.environment),
    }
}

/// The ShouldProcess target of a profile.
pub(crate) fn profile_target(profile: &str, account_id: &str, role_name: &str) -> String {
    format!("{profile} (account {account_id}, role {role_name})")
}

/// Why no person can answer a login in the PowerShell that hosts the library (`interactivity`).
pub(crate) const STARTED_NON_INTERACTIVE: &str = "PowerShell was started with -NonInteractive";
pub(crate) const WINDOWS_SESSION_NOT_INTERACTIVE: &str = "this Windows session is not interactive";
pub(crate) const CONSOLE_INPUT_REDIRECTED: &str = "the console's input is redirected";

/// Why no person can answer a login, when the front end did not say.
pub(crate) fn default_non_interactive_reason(front_end: FrontEnd) -> &'static str {
    match front_end {
        FrontEnd::Powershell => "-NonInteractive was given",
        FrontEnd::Cli => "--non-interactive was given",
    }
}

/// The command that logs in to `environment` interactively.
fn login_command(front_end: FrontEnd, command: &str, environment: &str) -> String {
    match front_end {
        FrontEnd::Powershell => format!("{command} -EnvironmentName {environment}"),
        FrontEnd::Cli => format!("ssocreds-cli login --environment {environment}"),
    }
}

/// A login is needed and no person can answer it. `command`: the cmdlet that was run.
pub(crate) fn login_required(
    front_end: FrontEnd,
    command: &str,
    environment: &str,
    reason: &str,
    detail: &str,
) -> String {
    let (shell, first_time) = match front_end {
        FrontEnd::Powershell => ("from an interactive PowerShell ", "-StartUrl and -Region"),
        FrontEnd::Cli => ("", "--start-url and --region"),
    };
    let later = match (front_end, command) {
        (FrontEnd::Powershell, "Get-AwsCliSsoAccount") => ".",
        _ => "; later runs reuse that login.",
    };
    let mut message = format!(
        "Environment '{environment}' needs a login to IAM Identity Center, and {reason}, so none was started. Log in \
         once {shell}with {} (with {first_time} the first time){later}",
        login_command(front_end, command, environment)
    );
    if !detail.is_empty() {
        message.push_str(&format!(" ({detail})"));
    }
    message
}

/// What to do about a `LoginRequired` of `environment`.
pub(crate) fn login_action(front_end: FrontEnd, command: &str, environment: &str) -> String {
    match front_end {
        FrontEnd::Powershell => format!(
            "Run {} in an interactive PowerShell (without -NonInteractive) to log in.",
            login_command(front_end, command, environment)
        ),
        FrontEnd::Cli => format!("Run {} in a terminal to log in.", login_command(front_end, command, environment)),
    }
}

/// A login needs a start URL and a region that neither the request nor the session gave.
pub(crate) fn login_needs_settings(front_end: FrontEnd, environment: &str, start_url: bool, region: bool) -> String {
    let (url, region_flag) = match front_end {
        FrontEnd::Powershell => ("-StartUrl", "-Region"),
        FrontEnd::Cli => ("--start-url", "--region"),
    };
    let missing = match (start_url, region) {
        (true, true) => format!("{url} and {region_flag}"),
        (true, false) => url.to_string(),
        _ => region_flag.to_string(),
    };
    format!(
        "Logging in to environment '{environment}' needs {missing}, and this session has not remembered them from an \
         earlier run."
    )
}

/// The token was rejected part-way and could not be renewed.
pub(crate) fn token_rejected(environment: &str, profiles: &[String], detail: Option<&str>) -> String {
    let mut message = format!(
        "The SSO token of environment '{environment}' was rejected by the service and could not be renewed; these \
         profiles were not refreshed: {}.",
        profiles.join(", ")
    );
    if let Some(detail) = detail.filter(|d| !d.is_empty()) {
        message.push_str(&format!(" ({detail})"));
    }
    message
}

/// A row of the request with no name, and no template to make one.
pub(crate) fn unnamed_row(front_end: FrontEnd, position: usize, account_id: &str) -> String {
    let option = match front_end {
        FrontEnd::Powershell => "-ProfileNameTemplate",
        FrontEnd::Cli => "--profile-name-template",
    };
    format!(
        "Account {position} (AccountId '{account_id}') has no Profile, the name of the profile to write, and no \
         AccountName to make one from with {option}."
    )
}

pub(crate) fn no_accounts(front_end: FrontEnd, environment: &str) -> String {
    match front_end {
        FrontEnd::Powershell => format!(
            "No accounts to refresh for environment '{environment}': pass -Account (@{{ Profile = 'dev'; AccountId = \
             '111111111111'; RoleName = 'ReadOnly' }}), pipe them in (Import-Csv, Get-AwsCliSsoAccount), or use \
             -AllAccounts."
        ),
        FrontEnd::Cli => format!(
            "No accounts to refresh for environment '{environment}': give --accounts or --account, or use \
             --all-accounts."
        ),
    }
}

pub(crate) fn filters_need_discovery(front_end: FrontEnd) -> String {
    match front_end {
        FrontEnd::Powershell => "-IncludeAccount, -ExcludeAccount and -IncludeRole filter the accounts that \
                                 -AllAccounts discovers; add -AllAccounts."
            .to_string(),
        FrontEnd::Cli => "--include-account, --exclude-account and --include-role filter the accounts that \
                          --all-accounts discovers; add --all-accounts."
            .to_string(),
    }
}

pub(crate) fn renamed(wanted: &str, account_id: &str, role_name: &str, profile: &str) -> String {
    format!(
        "The profile name '{wanted}' (account {account_id}, role {role_name}) collides with another profile; it is \
         named '{profile}' instead."
    )
}

pub(crate) fn registering(profile: &str) -> String {
    format!("Registering Profile {profile}")
}

/// The original's closing line: the profiles that are fresh, and how long the token lasts.
pub(crate) fn summary(registered: &[String], token_expires_at: Option<SystemTime>, now: SystemTime) -> String {
    let profiles = registered.join(" ");
    match token_expires_at {
        Some(expires) => format!("{profiles} Profiles registered, {}", time_left(expires, now)),
        None => format!("{profiles} Profiles registered, credentials still valid (no SSO token in this session)"),
    }
}

/// The `fromConfig` closing line, with the earliest end of the tokens used, if any.
pub(crate) fn config_summary(registered: &[String], token_expires_at: Option<SystemTime>, now: SystemTime) -> String {
    let profiles = registered.join(" ");
    match token_expires_at {
        Some(expires) => format!("{profiles} Profiles registered, {}", time_left(expires, now)),
        None => format!("{profiles} Profiles registered"),
    }
}

/// The original's 'hh:mm:ss left on SSO Token', leading zeros and colons trimmed as it did.
pub(crate) fn time_left(expires: SystemTime, now: SystemTime) -> String {
    let left = expires.duration_since(now).unwrap_or(Duration::ZERO).as_secs();
    let text = format!("{:02}:{:02}:{:02} left on SSO Token", left / 3600, left / 60 % 60, left % 60);
    text.trim_start_matches(['0', ' ', ':']).to_string()
}

pub(crate) fn reusing_token(environment: &str) -> String {
    format!("Environment '{environment}': reusing the stored SSO token (renewed if it was about to expire).")
}

pub(crate) fn device_code_reason(reason: &str) -> String {
    format!("Logging in with a device code: {reason}")
}

pub(crate) fn waiting_for_browser(redirect_uri: &str) -> String {
    format!("Waiting for the browser to return to {redirect_uri}.")
}

/// What to print for a device-code login: when a browser opened, and when none did.
pub(crate) fn device_code_lines(
    user_code: &str,
    verification_uri: &str,
    complete: &str,
    no_browser: bool,
) -> (Vec<String>, Vec<String>) {
    // Always shown, also when a browser opened: the user compares the code with the page's.
    let code = [
        format!("To sign in, open {verification_uri} in a browser and enter the code {user_code},"),
        format!("or open {complete}. Then click ALLOW."),
    ];
    let opened = std::iter::once(BROWSER_SHOULD_OPEN.to_string()).chain(code.clone()).collect();
    let not_opened = match no_browser {
        true => code.to_vec(),
        false => std::iter::once("No browser could be opened here; open the URL below on any device.".to_string())
            .chain(code)
            .collect(),
    };
    (opened, not_opened)
}

/// What to print for an authorization-code login: the page must be opened on this computer.
pub(crate) fn authorization_code_lines(url: &str, no_browser: bool) -> (Vec<String>, Vec<String>) {
    let opened = vec![
        BROWSER_SHOULD_OPEN.to_string(),
        format!("If it did not open, open this URL in a browser on this computer: {url}"),
    ];
    let prefix = if no_browser { "" } else { "No browser could be opened here. " };
    let not_opened =
        vec![format!("{prefix}To sign in, open this URL in a browser on this computer, then click ALLOW: {url}")];
    (opened, not_opened)
}

/// Another process's login, as a sentence.
pub(crate) fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return "Another process is already logging in; waiting for it to finish.".to_string();
    };
    let sentence: String = first.to_uppercase().chain(chars).collect();
    if sentence.ends_with('.') {
        sentence
    } else {
        format!("{sentence}.")
    }
}

pub(crate) fn sso_session_not_written(environment: &str) -> String {
    format!(
        "The [sso-session {environment}] section was not written: it needs a login, which a non-interactive run does \
         not start."
    )
}

// ---- fromConfig ----

/// A session of the config file: its sso-session, else its start URL.
pub(crate) fn describe_session(sso_session: Option<&str>, start_url: &str) -> String {
    match sso_session {
        Some(name) => format!("sso-session '{name}'"),
        None => format!("start URL {start_url}"),
    }
}

pub(crate) fn left_alone(profile: &str, reason: &str) -> String {
    format!("Config profile '{profile}' left alone: {reason}")
}

pub(crate) fn left_alone_summary(profiles: &[String]) -> String {
    format!("Left alone, not SSO profiles: {}.", profiles.join(", "))
}

pub(crate) fn logging_in_to(session: &str, profiles: &[String]) -> String {
    format!("Logging in to {session} for {}.", profiles.join(", "))
}

pub(crate) fn session_not_interactive(reason: &str) -> String {
    format!("needs a login to IAM Identity Center, and {reason}, so none was started")
}

pub(crate) fn session_login_failed(error: &str) -> String {
    format!("could not log in: {error}")
}

pub(crate) const SESSION_NEEDS_LOGIN: &str = "needs a login to IAM Identity Center";

pub(crate) fn session_not_refreshed(session: &str, problem: &str, profiles: &[String]) -> String {
    format!("{session} {problem}; not refreshed: {}.", profiles.join(", "))
}

/// What to do about a session of the config file that needs a login.
pub(crate) fn session_login_action(front_end: FrontEnd, sso_session: Option<&str>, first_profile: &str) -> String {
    let cli = match sso_session {
        Some(name) => format!("aws sso login --sso-session {name}"),
        None => format!("aws sso login --profile {first_profile}"),
    };
    match front_end {
        FrontEnd::Powershell => format!(
            "Run Set-AwsCliSsoCredentials -FromConfig in an interactive PowerShell (without -NonInteractive), or {cli}."
        ),
        FrontEnd::Cli => format!("Run ssocreds-cli refresh --from-config in a terminal, or {cli}."),
    }
}

// ---- credentials ----

/// Why no person can answer the login of a `credentials` run, when the front end did not say.
pub(crate) fn credentials_not_interactive(front_end: FrontEnd) -> &'static str {
    match front_end {
        FrontEnd::Powershell => "-NonInteractive was given",
        FrontEnd::Cli => "credential-process starts no login without --login",
    }
}

/// The command that logs in to an environment for a `credentials` run, with what is known of it.
pub(crate) fn credentials_login_command(
    front_end: FrontEnd,
    environment: &str,
    start_url: Option<&str>,
    region: Option<&str>,
    role: (&str, &str),
) -> String {
    let mut command = match front_end {
        FrontEnd::Powershell => format!("Get-AwsCliSsoCredential -EnvironmentName {environment}"),
        FrontEnd::Cli => format!("ssocreds-cli login --environment {environment}"),
    };
    let (url_flag, region_flag) = match front_end {
        FrontEnd::Powershell => ("-StartUrl", "-Region"),
        FrontEnd::Cli => ("--start-url", "--region"),
    };
    command.push_str(&format!(" {url_flag} {}", start_url.unwrap_or("<start URL>")));
    command.push_str(&format!(" {region_flag} {}", region.unwrap_or("<region>")));
    if front_end == FrontEnd::Powershell {
        command.push_str(&format!(" -AccountId {} -RoleName {}", role.0, role.1));
    }
    command
}

/// A `credentials` run found no usable token and may not log in.
pub(crate) fn credentials_login_required(subject: &str, reason: &str, detail: &str, fix: &str) -> String {
    format!("{subject} has no usable SSO token ({detail}), and {reason}, so no login was started. Log in with: {fix}")
}

/// What to do about the `LoginRequired` of a `credentials` run.
pub(crate) fn credentials_login_action(front_end: FrontEnd, fix: &str) -> String {
    match front_end {
        FrontEnd::Powershell => format!("Run {fix} in an interactive PowerShell (without -NonInteractive)."),
        FrontEnd::Cli => format!("Run {fix} in a terminal, then run the command again."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_is_trimmed_like_the_original() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        assert_eq!(time_left(now + Duration::from_secs(8 * 3600 - 1), now), "7:59:59 left on SSO Token");
        assert_eq!(time_left(now + Duration::from_secs(59 * 60), now), "59:00 left on SSO Token");
        assert_eq!(time_left(now + Duration::from_secs(26 * 3600), now), "26:00:00 left on SSO Token");
    }

    #[test]
    fn login_required_names_the_command_of_the_front_end() {
        let text =
            login_required(FrontEnd::Powershell, "Set-AwsCliSsoCredentials", "E", "-NonInteractive was given", "");
        assert_eq!(
            text,
            "Environment 'E' needs a login to IAM Identity Center, and -NonInteractive was given, so none was started. \
             Log in once from an interactive PowerShell with Set-AwsCliSsoCredentials -EnvironmentName E (with \
             -StartUrl and -Region the first time); later runs reuse that login."
        );
        let cli = login_required(FrontEnd::Cli, "refresh", "E", "--non-interactive was given", "not logged in");
        assert!(cli.contains("ssocreds-cli login --environment E") && cli.ends_with("(not logged in)"), "{cli}");
    }
}
