//! A refresh of many profiles: [`plan`] checks the request and sorts the profiles into current ones
//! and ones to fetch (adding every account and role with `discover`, or taking the SSO profiles of
//! the AWS config file with `fromConfig`: `from_config`), [`fetch`] gets their credentials, at most
//! `maxConcurrency` at a time, and [`report`] turns the outcomes into the answer; [`run`] gets the
//! token of each session that has something to fetch, does the last two and writes the credentials
//! file once.

mod credential_process;
mod fetch;
mod from_config;
mod plan;
mod report;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

pub(crate) use credential_process::{written_command, WrittenCommand};
pub(crate) use fetch::{role_credentials, RoleKeys};
pub(crate) use from_config::config_sessions;
pub use plan::RefreshPlan;

use crate::api::{ProfileReport, RefreshReport, RefreshRequest};
use crate::concurrency::blocking;
use crate::context::Context;
use crate::discovery::{self, kept_listing};
use crate::error::Result;
use crate::files::credentials;
use crate::token::{self, SsoToken};
use fetch::SessionAccess;
use plan::PlannedToken;

/// How far a refresh has come; shared with callers that show progress.
#[derive(Debug, Default)]
pub struct Progress {
    /// Profiles to fetch (known once the accounts are listed, with `discover`).
    pub total: AtomicUsize,
    pub completed: AtomicUsize,
}

/// A profile to fetch, and its position in the report.
#[derive(Clone, Debug)]
pub(crate) struct Job {
    pub index: usize,
    pub profile: String,
    pub account_id: String,
    pub role_name: String,
    /// The index of its session in the plan.
    pub session: usize,
    /// With `fromConfig`: where the profile came from.
    pub from_config: Option<ConfigOrigin>,
}

/// The config profile a job was made from, and its session's environment (none when the profile
/// names no session that can work).
#[derive(Clone, Debug)]
pub(crate) struct ConfigOrigin {
    pub profile: String,
    pub environment: Option<String>,
}

/// `plan_refresh`: fails with `InvalidInput` before anything is sent, and with `LoginRequired` (or
/// `LoginPending`) only when something must be fetched or listed and no token is there that is
/// valid or could be renewed. The profiles of the AWS config file (`fromConfig`) or of the request.
pub(crate) fn plan(context: &Context, request: RefreshRequest) -> Result<RefreshPlan> {
    let process = credential_process::checked(&request)?;
    let mut plan = match request.from_config {
        true => from_config::plan(context, request)?,
        false => plan::plan(context, request)?,
    };
    plan.credential_process = process;
    Ok(plan)
}

/// Gets the tokens the plan needs, lists the accounts when the plan still needs them, fetches what
/// it must, and merges what was fetched into the credentials file in one locked, atomic write.
/// Without a token, the request's own environment fails the whole run; a session of the config
/// file fails only its own profiles.
pub(crate) async fn run(context: &Context, mut plan: RefreshPlan, progress: Arc<Progress>) -> Result<RefreshReport> {
    let outcomes = session_tokens(context, &plan).await;
    let tokens = settle_tokens(&mut plan, outcomes)?;
    let mut discovery_errors = Vec::new();
    if let (Some(Some(token)), Some(pending)) = (tokens.first(), plan.discovery.take()) {
        let session = &plan.planned_tokens[0];
        let (limit, filters, cache_file) = (plan.max_concurrency, &pending.filters, session.cache_file.as_deref());
        let listing =
            discovery::list_and_keep(context, &session.environment, token, cache_file, limit, filters).await?;
        discovery_errors = plan.add_listed(&pending, &listing.select(filters));
    }
    progress.total.store(plan.jobs.len(), Ordering::Relaxed);
    let RefreshPlan {
        path,
        mut reports,
        jobs,
        renamed,
        max_concurrency,
        planned_tokens,
        config,
        credential_process,
        stored,
        ..
    } = plan;
    let mut warnings = Vec::new();
    let mut config_written = None;
    if let Some(process) = credential_process.filter(|_| !jobs.is_empty()) {
        let token = tokens.first().and_then(Option::as_ref);
        let (written, config_file) = credential_process::write(context, &process, &jobs, token, &path, &stored).await?;
        config_written = Some(config_file.display().to_string());
        for (job, report) in jobs.iter().zip(written) {
            reports[job.index] = Some(report);
        }
        progress.completed.store(jobs.len(), Ordering::Relaxed);
    } else if !jobs.is_empty() {
        let access = session_access(context, &planned_tokens, &tokens)?;
        let work = jobs.iter().filter_map(|job| Some((job.clone(), access[job.session].clone()?))).collect();
        let outcomes = fetch::fetch_all(work, max_concurrency, progress).await;
        let credentials = report::record(&mut reports, &jobs, outcomes);
        learn_from_refusals(context, &planned_tokens, &access, &reports, &jobs);
        let (target, writes_secrets) = (path.clone(), !credentials.is_empty());
        blocking("writing the credentials file", move || credentials::merge(&target, &credentials)).await?;
        if writes_secrets {
            warnings.extend(
                credentials::mode_readable_by_others(&path).map(|mode| report::readable_by_others(&path, mode)),
            );
        }
    }
    // With several sessions, the first token to end is when the next run may need a login.
    let token_expires_at = tokens.iter().flatten().map(|t| t.expires_at).min();
    let outcome = report::Outcome { reports, renamed, token_expires_at, discovery_errors, config, warnings };
    let mut report = report::finish(outcome, &path);
    report.config_file = report.config_file.or(config_written);
    Ok(report)
}

/// The token of each session that needed one. Without it, the request's own environment fails
/// the run; a session of the config file fails its own profiles.
fn settle_tokens(plan: &mut RefreshPlan, outcomes: Vec<Option<Result<SsoToken>>>) -> Result<Vec<Option<SsoToken>>> {
    let mut tokens = Vec::with_capacity(outcomes.len());
    for (index, outcome) in outcomes.into_iter().enumerate() {
        tokens.push(match outcome {
            Some(Ok(token)) => Some(token),
            Some(Err(error)) if plan.planned_tokens[index].from_config.is_none() => return Err(error),
            Some(Err(error)) => {
                plan.fail_for_want_of_token(index, &error);
                None
            }
            None => None,
        });
    }
    Ok(tokens)
}

/// What the service refused, per session: a token it no longer accepts is forgotten, and a
/// listing of accounts that names a refused role is dropped.
fn learn_from_refusals(
    context: &Context,
    sessions: &[PlannedToken],
    access: &[Option<Arc<SessionAccess>>],
    reports: &[Option<ProfileReport>],
    jobs: &[Job],
) {
    for (index, (session, access)) in sessions.iter().zip(access).enumerate() {
        if let Some(access) = access.as_ref().filter(|a| a.token_rejected()) {
            token::reject(context, &session.environment, &access.token);
        }
        let refused = report::refused_roles(reports, jobs.iter().filter(|job| job.session == index));
        kept_listing::forget_if_refused(context, &session.environment, session.cache_file.as_deref(), &refused);
    }
}

/// Each session's token, got concurrently, for the sessions that have something to fetch (or
/// accounts to list); `None` for the others.
async fn session_tokens(context: &Context, plan: &RefreshPlan) -> Vec<Option<Result<SsoToken>>> {
    let wanted =
        |index: usize| plan.jobs.iter().any(|job| job.session == index) || (index == 0 && plan.discovery.is_some());
    let tokens = plan.planned_tokens.iter().enumerate().map(|(index, session)| async move {
        match wanted(index) {
            true => Some(session_token(context, session).await),
            false => None,
        }
    });
    futures_util::future::join_all(tokens).await
}

/// The session's token, renewed with its refresh token when needed. For a session of the config
/// file, a missing token is told without the engine's "log in again", which the profiles' errors
/// say in full.
async fn session_token(context: &Context, session: &PlannedToken) -> Result<SsoToken> {
    let (environment, cache_file, start_url) =
        (&session.environment, session.cache_file.as_deref(), session.start_url.as_deref());
    if session.from_config.is_some() {
        if let Some((code, why)) = token::availability(context, environment, cache_file, start_url)?.missing {
            return Err(crate::error::Error::new(code, why));
        }
    }
    token::usable(context, environment, cache_file, start_url).await
}

/// Each session's portal client and token, for the sessions that have one.
fn session_access(
    context: &Context,
    sessions: &[PlannedToken],
    tokens: &[Option<SsoToken>],
) -> Result<Vec<Option<Arc<SessionAccess>>>> {
    sessions
        .iter()
        .zip(tokens)
        .map(|(session, token)| {
            token
                .as_ref()
                .map(|token| SessionAccess::new(context, &session.environment, token, session.cache_file.as_deref()))
                .transpose()
        })
        .collect()
}
