//! Turning outcomes into the answer: one [`ProfileReport`] per profile, in request order
//! (discovered profiles after them), and what the outcomes say about the token and the listing.

use std::path::Path;
use std::time::SystemTime;

use super::Job;
use crate::api::{ProfileReport, ProfileStatus, RefreshReport, Renamed};
use crate::error::{Error, ErrorCode, Result};
use crate::files::credentials::ProfileCredentials;
use crate::time::format_rfc3339;

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

/// True when a profile failed because the service no longer accepts the token.
pub(super) fn token_rejected(reports: &[Option<ProfileReport>]) -> bool {
    failures(reports).any(|(_, error)| error.code == ErrorCode::LoginRequired)
}

/// The (account, role) pairs the service refused as forbidden or unknown.
pub(super) fn refused_roles(reports: &[Option<ProfileReport>]) -> Vec<(String, String)> {
    failures(reports)
        .filter(|(_, error)| matches!(error.code, ErrorCode::Forbidden | ErrorCode::NotFound))
        .map(|(report, _)| (report.account_id.clone(), report.role_name.clone()))
        .collect()
}

fn failures(reports: &[Option<ProfileReport>]) -> impl Iterator<Item = (&ProfileReport, &Error)> {
    reports.iter().flatten().filter_map(|r| r.error.as_ref().map(|e| (r, e)))
}

pub(super) fn finish(
    reports: Vec<Option<ProfileReport>>,
    credentials_file: &Path,
    renamed: Vec<Renamed>,
    token_expires_at: Option<String>,
    discovery_errors: Vec<Error>,
) -> RefreshReport {
    RefreshReport {
        token_expires_at,
        credentials_file: credentials_file.display().to_string(),
        profiles: reports.into_iter().flatten().collect(),
        renamed,
        discovery_errors,
    }
}
