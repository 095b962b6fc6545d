//! What the command line prints on stdout: a table for people, or JSON; and `status`.

use std::process::ExitCode;

use serde::Serialize;
use ssocreds_engine::api::{DiscoverResult, EnvironmentRequest, ProfileStatus, RefreshReport, SessionState};
use ssocreds_engine::files::credentials;
use ssocreds_engine::time::{parse_rfc3339, seconds_until};
use ssocreds_engine::{Engine, Error, HostEnv};

pub fn print_json(value: &impl Serialize) {
    println!("{}", serde_json::to_string_pretty(value).expect("reports serialize"));
}

/// The profiles, one a line, and the count.
pub fn print_report(report: &RefreshReport) {
    let width = report.profiles.iter().map(|p| p.profile.chars().count()).max().unwrap_or(7).max(7);
    println!("{:<width$}  {:<12}  {:<24}  {:<9}  DETAIL", "PROFILE", "ACCOUNT", "ROLE", "STATUS");
    for profile in &report.profiles {
        let status = match profile.status {
            ProfileStatus::Refreshed => "refreshed",
            ProfileStatus::Current => "current",
            ProfileStatus::Failed => "FAILED",
            ProfileStatus::WouldRefresh => "would",
        };
        let detail = match (&profile.error, &profile.expires_at) {
            (Some(error), _) => format!("{}: {}", error.code, error.message),
            (None, Some(expires_at)) => format!("valid until {expires_at}"),
            // Written with --credential-process: no keys, so no expiry.
            (None, None) if profile.status == ProfileStatus::Refreshed => match &report.config_file {
                Some(config_file) => format!("credential_process in {config_file}"),
                None => "credential_process".to_string(),
            },
            (None, None) => String::new(),
        };
        println!(
            "{:<width$}  {:<12}  {:<24}  {:<9}  {detail}",
            profile.profile, profile.account_id, profile.role_name, status
        );
    }
    println!("{}", summary(report));
}

/// The table's last line: `<n> Profiles registered (<f> failed), hh:mm:ss left on SSO Token`.
pub fn summary(report: &RefreshReport) -> String {
    let registered = report.count(ProfileStatus::Refreshed) + report.count(ProfileStatus::Current);
    let failed = report.count(ProfileStatus::Failed);
    let left = report
        .token_expires_at
        .as_deref()
        .and_then(parse_rfc3339)
        .map(|t| {
            let s = seconds_until(t);
            format!(", {:02}:{:02}:{:02} left on SSO Token", s / 3600, s / 60 % 60, s % 60)
        })
        .unwrap_or_default();
    let failures = if failed > 0 { format!(" ({failed} failed)") } else { String::new() };
    format!("{registered} Profiles registered{failures}{left}")
}

/// The accounts and roles of a discovery, one account a line.
pub fn print_accounts(result: &DiscoverResult) {
    println!("{:<12}  {:<32}  {:<36}  ROLES", "ACCOUNT", "NAME", "EMAIL");
    for account in &result.accounts {
        let roles = match &account.error {
            Some(error) => format!("(roles not listed: {error})"),
            None => account.roles.join(", "),
        };
        let email = account.email_address.as_deref().unwrap_or("-");
        println!("{:<12}  {:<32}  {:<36}  {roles}", account.account_id, account.account_name, email);
    }
    let roles: usize = result.accounts.iter().map(|a| a.roles.len()).sum();
    println!("{} accounts, {roles} account roles", result.accounts.len());
}

/// `status`: the SSO session, and the profiles this tool wrote with their expiry.
pub fn status(environment: String, credentials_file: Option<String>) -> Result<ExitCode, Error> {
    let env = HostEnv::real();
    let session = Engine::new(env.clone()).session_status(EnvironmentRequest { environment, no_token_file: false })?;
    let name = &session.environment;
    match (&session.expires_at, session.status) {
        (Some(expires_at), SessionState::LoggedIn) => {
            let renewable = if session.refreshable { ", renewable without a browser" } else { "" };
            println!("SSO session '{name}': logged in until {expires_at}{renewable}")
        }
        (Some(expires_at), _) if session.refreshable => {
            println!("SSO session '{name}': token expired at {expires_at}, renewable without a browser")
        }
        (Some(expires_at), _) => println!("SSO session '{name}': ended at {expires_at}; log in again"),
        (None, _) => println!("SSO session '{name}': not logged in"),
    }
    let path = credentials::resolve_path(credentials_file.as_deref(), &env)?;
    let mut ours: Vec<_> =
        credentials::read_stored(&path)?.into_iter().filter(|(_, p)| p.expiration.is_some()).collect();
    ours.sort_by(|a, b| a.0.cmp(&b.0));
    println!("{}", path.display());
    for (name, profile) in ours {
        let left = seconds_until(profile.expiration.expect("filtered"));
        let state = if left > 0 { format!("valid for {}m", left / 60) } else { "expired".to_string() };
        let (account, role) = (profile.account_id.unwrap_or_default(), profile.role_name.unwrap_or_default());
        println!("  {name:<30} {account:<12} {role:<24} {state}");
    }
    Ok(ExitCode::SUCCESS)
}
