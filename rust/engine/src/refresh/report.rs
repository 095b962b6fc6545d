//! Turning outcomes into the answer: one [`ProfileReport`] per profile, in request order
//! (discovered profiles after them), and what the outcomes say about the token and the listing.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::Job;
use crate::api::{InvalidProfile, ProfileReport, ProfileStatus, RefreshReport, Renamed, Skipped, Warning, WarningCode};
use crate::error::{Error, ErrorCode, Result};
use crate::files::credentials::ProfileCredentials;
use crate::time::format_rfc3339;

/// What `fromConfig` read.
#[derive(Debug)]
pub(super) struct ConfigSource {
    pub config_file: PathBuf,
    pub skipped: Vec<Skipped>,
    /// For each session of the plan, the config profiles that use it, in file order.
    pub profiles_by_session: Vec<Vec<String>>,
    /// SSO profiles that cannot work (reported `failed`).
    pub invalid: Vec<InvalidProfile>,
}

pub(super) fn profile_report(
    job: &Job,
    status: ProfileStatus,
    expiration: Option<SystemTime>,
    error: Option<Error>,
) -> ProfileReport {
    ProfileReport {
        profile: job.profile.clone(),
        account_id: job.account_id.clone(),
        role_name: job.role_name.clone(),
        status,
        expires_at: expiration.map(format_rfc3339),
        error,
        config_profile: job.from_config.as_ref().map(|origin| origin.profile.clone()),
        environment: job.from_config.as_ref().and_then(|origin| origin.environment.clone()),
    }
}

/// Fills each fetched profile's slot (`refreshed` or `failed`; `failed` with `Panic` when its fetch
/// panicked) and returns the credentials to write, in request order.
pub(super) fn record(
    reports: &mut [Option<ProfileReport>],
    jobs: &[Job],
    outcomes: Vec<(Job, Result<ProfileCredentials>)>,
) -> Vec<ProfileCredentials> {
    let mut fetched: Vec<(usize, ProfileCredentials)> = Vec::new();
    for (job, result) in outcomes {
        reports[job.index] = Some(match result {
            Ok(credentials) => {
                let done = profile_report(&job, ProfileStatus::Refreshed, Some(credentials.expiration), None);
                fetched.push((job.index, credentials));
                done
            }
            Err(error) => profile_report(&job, ProfileStatus::Failed, None, Some(error)),
        });
    }
    for job in jobs {
        reports[job.index].get_or_insert_with(|| {
            let panicked = Error::new(ErrorCode::Panic, "the fetch for this profile panicked");
            profile_report(job, ProfileStatus::Failed, None, Some(panicked))
        });
    }
    fetched.sort_by_key(|(index, _)| *index);
    fetched.into_iter().map(|(_, credentials)| credentials).collect()
}

/// The (account, role) pairs the service refused as forbidden or unknown, among `jobs`.
pub(super) fn refused_roles<'a>(
    reports: &[Option<ProfileReport>],
    jobs: impl Iterator<Item = &'a Job>,
) -> Vec<(String, String)> {
    jobs.filter_map(|job| reports[job.index].as_ref())
        .filter(|r| r.error.as_ref().is_some_and(|e| matches!(e.code, ErrorCode::Forbidden | ErrorCode::NotFound)))
        .map(|r| (r.account_id.clone(), r.role_name.clone()))
        .collect()
}

/// What ssh says of a private key others can read, for the credentials file the run just wrote
/// secrets to. The mode is the user's choice and is left as it is.
pub(super) fn readable_by_others(credentials_file: &Path, mode: u32) -> Warning {
    let path = credentials_file.display().to_string();
    Warning {
        code: WarningCode::CredentialsFileReadableByOthers,
        message: format!(
            "the credentials file {path} holds secrets and other users can read it (mode {mode:04o}); to keep \
             them to yourself: chmod 600 {}",
            shell_word(&path)
        ),
    }
}

/// `text` as one word for a Unix shell, to copy and paste: single-quoted when it holds anything but
/// letters, digits and `/._-+@:,`.
fn shell_word(text: &str) -> String {
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+@:,".contains(c)) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// What the run did, and what it read.
pub(super) struct Outcome {
    pub reports: Vec<Option<ProfileReport>>,
    pub renamed: Vec<Renamed>,
    pub token_expires_at: Option<SystemTime>,
    pub discovery_errors: Vec<Error>,
    pub config: Option<ConfigSource>,
    pub warnings: Vec<Warning>,
}

pub(super) fn finish(outcome: Outcome, credentials_file: &Path) -> RefreshReport {
    let (config_file, skipped) = match outcome.config {
        Some(config) => (Some(config.config_file.display().to_string()), config.skipped),
        None => (None, Vec::new()),
    };
    RefreshReport {
        token_expires_at: outcome.token_expires_at.map(format_rfc3339),
        credentials_file: credentials_file.display().to_string(),
        profiles: outcome.reports.into_iter().flatten().collect(),
        renamed: outcome.renamed,
        discovery_errors: outcome.discovery_errors,
        config_file,
        skipped,
        warnings: outcome.warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chmod_hint_can_be_pasted_into_a_shell_whatever_the_path() {
        let message = |path: &str| readable_by_others(Path::new(path), 0o644).message;
        assert!(message("/home/u/.aws/credentials")
            .ends_with("(mode 0644); to keep them to yourself: chmod 600 /home/u/.aws/credentials"));
        assert!(message("/Users/Jo Smith/.aws/credentials").ends_with("chmod 600 '/Users/Jo Smith/.aws/credentials'"));
        assert!(message("/tmp/it's").ends_with(r"chmod 600 '/tmp/it'\''s'"));
    }
}
