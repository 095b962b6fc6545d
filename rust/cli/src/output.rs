//! What the command line prints: a table of profiles for people, or the JSON report.

use ssocreds_engine::api::{ProfileStatus, RefreshReport};
use ssocreds_engine::time::{parse_rfc3339, seconds_until};

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
            (None, None) => String::new(),
        };
        println!(
            "{:<width$}  {:<12}  {:<24}  {:<9}  {detail}",
            profile.profile, profile.account_id, profile.role_name, status
        );
    }
}

/// Renamed profiles, accounts whose roles could not be listed, and config profiles left alone, so
/// nothing happens unseen.
pub fn print_notes(report: &RefreshReport) {
    for skipped in &report.skipped {
        eprintln!("note: '{}' in the AWS config file is left alone: {}", skipped.profile, skipped.reason);
    }
    for renamed in &report.renamed {
        eprintln!(
            "warning: account {} role {} was named '{}' because '{}' was already taken",
            renamed.account_id, renamed.role_name, renamed.profile, renamed.wanted
        );
    }
    for error in &report.discovery_errors {
        eprintln!("warning: {error}");
    }
}

/// What the run did that the user should know of (secrets written to a file others can read), on
/// stderr whether or not the report goes out as JSON, as ssh warns of a private key others can read.
pub fn print_warnings(report: &RefreshReport) {
    for warning in &report.warnings {
        eprintln!("warning: {}", warning.message);
    }
}

/// The original script's closing line: `<n> Profiles registered, hh:mm:ss left on SSO Token`.
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
