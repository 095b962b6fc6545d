//! `fromConfig`: the SSO profiles of the AWS config file. Each session that needs a login is
//! logged in to once (when a person can answer), or gets one `LoginRequired` error naming it and
//! its profiles; a failed login fails only its own session's profiles; then one refresh for all.

use std::collections::{HashMap, HashSet};

use super::messages;
use super::steps::{confirm_profile, Failure, Outcome, Run};
use super::types::*;
use crate::api::{ConfigSession, ConfigSessions, ProfileReport, ProfileStatus, RefreshReport, RefreshRequest};
use crate::error::{Error, ErrorCode};
use crate::refresh::config_sessions;
use crate::time::parse_rfc3339;

const TARGET: &str = "FromConfig";

pub(super) async fn run(run: &mut Run<'_>) -> Outcome {
    let request = run.request.request.clone();
    let config = config_sessions(run.context, request.clone()).map_err(|e| run.failed(&e, TARGET))?;
    note_skipped(run, &config);
    let dry = RefreshRequest { dry_run: true, ..request.clone() };
    let plan = run.refresh(dry).await.map_err(|e| run.failed(&e, TARGET))?;
    let to_fetch: Vec<&ProfileReport> =
        plan.profiles.iter().filter(|p| p.status == ProfileStatus::WouldRefresh).collect();
    let approved = confirm(run, &config, &to_fetch).await;
    if !to_fetch.is_empty() && approved.is_empty() {
        // Nothing confirmed (-WhatIf): nothing is fetched, nothing logs in, nothing is summed up.
        return Ok(Some(RunReport::Refresh(plan)));
    }
    let approved_reports: Vec<&ProfileReport> =
        to_fetch.iter().copied().filter(|p| approved.contains(&p.profile)).collect();
    let mut problems = HashMap::new();
    let mut earliest = None;
    for session in sessions_needing_login(&config, &approved_reports) {
        log_in(run, session, &mut problems, &mut earliest).await?;
    }
    let mut outcome = plan.clone();
    if !approved.is_empty() {
        let mut fetch = RefreshRequest { dry_run: false, discover: false, ..request };
        if approved.len() < to_fetch.len() {
            // Some were declined: refresh only the approved ones (current profiles make no call anyway).
            fetch.config_profile = approved_reports
                .iter()
                .map(|p| p.config_profile.clone().unwrap_or_else(|| p.profile.clone()))
                .collect();
        }
        outcome = run.refresh(fetch.clone()).await.map_err(|e| run.failed(&e, TARGET))?;
        retry_rejected(run, &config, &fetch, &mut outcome, (&mut problems, &mut earliest)).await?;
        if let Some(expires) = outcome.token_expires_at.as_deref().and_then(parse_rfc3339) {
            earliest = Some(earliest.map_or(expires, |e: std::time::SystemTime| e.min(expires)));
        }
    }
    Ok(Some(RunReport::Refresh(report(run, &config, plan, outcome, &problems, earliest))))
}

/// The profiles whose token the service rejected part-way (it looked valid when planned, and the
/// refresh could not renew it): an interactive run logs in once to each of their sessions it has
/// not logged in to yet, and fetches them again, as a run with one environment does.
async fn retry_rejected(
    run: &mut Run<'_>,
    config: &ConfigSessions,
    fetch: &RefreshRequest,
    outcome: &mut RefreshReport,
    (problems, earliest): (&mut HashMap<String, String>, &mut Option<std::time::SystemTime>),
) -> Result<(), Failure> {
    if !run.request.interactive {
        return Ok(());
    }
    let rejected: Vec<&ProfileReport> = outcome.profiles.iter().filter(|p| token_rejected(p)).collect();
    let sessions: Vec<&ConfigSession> = config
        .sessions
        .iter()
        .filter(|s| !run.logged_in.contains(&s.environment) && !problems.contains_key(&s.environment))
        .filter(|s| rejected.iter().any(|p| session_of(config, p).is_some_and(|of| of.environment == s.environment)))
        .collect();
    if sessions.is_empty() {
        return Ok(());
    }
    let mut retried = Vec::new();
    for session in sessions {
        log_in(run, session, problems, earliest).await?;
        if run.logged_in.contains(&session.environment) {
            let of_session =
                |p: &&&ProfileReport| session_of(config, p).is_some_and(|of| of.environment == session.environment);
            retried.extend(
                rejected
                    .iter()
                    .filter(of_session)
                    .map(|p| p.config_profile.clone().unwrap_or_else(|| p.profile.clone())),
            );
        }
    }
    if retried.is_empty() {
        return Ok(());
    }
    let retry = RefreshRequest { config_profile: retried, ..fetch.clone() };
    let again = run.refresh(retry).await.map_err(|e| run.failed(&e, TARGET))?;
    for profile in again.profiles {
        if let Some(earlier) = outcome.profiles.iter_mut().find(|p| p.profile == profile.profile) {
            *earlier = profile;
        }
    }
    outcome.token_expires_at = again.token_expires_at.or(outcome.token_expires_at.take());
    Ok(())
}

fn token_rejected(profile: &ProfileReport) -> bool {
    profile.status == ProfileStatus::Failed
        && profile.error.as_ref().is_some_and(|e| e.code == ErrorCode::LoginRequired)
}

/// Profiles left alone because they are not SSO profiles: named in one line.
fn note_skipped(run: &Run<'_>, config: &ConfigSessions) {
    for skipped in &config.skipped {
        run.verbose(messages::left_alone(&skipped.profile, &skipped.reason));
    }
    if !config.skipped.is_empty() {
        let names: Vec<String> = config.skipped.iter().map(|s| s.profile.clone()).collect();
        run.info("NotSsoProfiles", messages::left_alone_summary(&names));
    }
}

/// The profiles to fetch: all, or the ones the front end confirmed. The logins they need are told
/// with them.
async fn confirm(run: &Run<'_>, config: &ConfigSessions, to_fetch: &[&ProfileReport]) -> HashSet<String> {
    let all = to_fetch.iter().map(|p| p.profile.clone()).collect();
    if !run.request.confirm {
        return if run.request.what_if { HashSet::new() } else { all };
    }
    if to_fetch.is_empty() {
        return HashSet::new();
    }
    let profiles = to_fetch.iter().map(|p| confirm_profile(p)).collect();
    // The logins are shown by -WhatIf; otherwise they are asked in the browser, not here.
    let logins = if run.request.what_if { sessions_needing_login(config, to_fetch) } else { Vec::new() };
    let logins = logins
        .into_iter()
        .map(|s| ConfirmLogin {
            session: s.environment.clone(),
            target: messages::describe_session(s.sso_session.as_deref(), &s.start_url),
            action: messages::LOGIN_ACTION.to_string(),
        })
        .collect();
    let answer = run.shared.ask(RunEvent::Confirm { profiles, logins }).await;
    if run.request.what_if {
        return HashSet::new();
    }
    answer.into_iter().filter(|name| to_fetch.iter().any(|p| &p.profile == name)).collect()
}

fn sessions_needing_login<'c>(config: &'c ConfigSessions, profiles: &[&ProfileReport]) -> Vec<&'c ConfigSession> {
    let wanted: HashSet<&str> = profiles.iter().map(|p| p.config_profile.as_deref().unwrap_or(&p.profile)).collect();
    config
        .sessions
        .iter()
        .filter(|s| s.login_required && s.profiles.iter().any(|p| wanted.contains(p.as_str())))
        .collect()
}

/// One login for the session, when a person can answer; else why not, for its error.
async fn log_in(
    run: &mut Run<'_>,
    session: &ConfigSession,
    problems: &mut HashMap<String, String>,
    earliest: &mut Option<std::time::SystemTime>,
) -> Result<(), Failure> {
    let environment = session.environment.clone();
    if !run.request.interactive {
        problems.insert(environment, messages::session_not_interactive(&run.non_interactive_reason()));
        return Ok(());
    }
    let described = messages::describe_session(session.sso_session.as_deref(), &session.start_url);
    run.info("LoggingIn", messages::logging_in_to(&described, &session.profiles));
    match run.log_in(&environment, Some(&session.start_url), Some(&session.region)).await {
        Ok(expires_at) => {
            if let Some(expires) = parse_rfc3339(&expires_at) {
                *earliest = Some(earliest.map_or(expires, |e| e.min(expires)));
            }
        }
        Err(_) if run.shared.is_cancelled() => return Err(run.failed(&Error::invalid_input("cancelled"), TARGET)),
        // One session's failed login never stops the others.
        Err(error) => drop(problems.insert(environment, messages::session_login_failed(&error.message))),
    }
    Ok(())
}

/// The report in the plan's order, the original's lines, an error per failed profile and one per
/// session that could not log in.
fn report(
    run: &mut Run<'_>,
    config: &ConfigSessions,
    plan: RefreshReport,
    outcome: RefreshReport,
    problems: &HashMap<String, String>,
    earliest: Option<std::time::SystemTime>,
) -> RefreshReport {
    let mut done: HashMap<String, ProfileReport> =
        outcome.profiles.iter().map(|p| (p.profile.clone(), p.clone())).collect();
    let mut report = RefreshReport { profiles: Vec::new(), ..outcome };
    run.warn_all(&report.warnings);
    let mut registered = Vec::new();
    let mut not_logged_in: Vec<(&ConfigSession, Vec<String>)> = Vec::new();
    for planned in plan.profiles {
        let profile = done.remove(&planned.profile).unwrap_or(planned);
        match profile.status {
            ProfileStatus::Refreshed => {
                run.info("ProfileRegistered", messages::registering(&profile.profile));
                registered.push(profile.profile.clone());
            }
            ProfileStatus::Current => registered.push(profile.profile.clone()),
            ProfileStatus::Failed => {
                let error = profile.error.clone().unwrap_or_else(|| Error::new(ErrorCode::ServiceError, "failed"));
                match session_of(config, &profile) {
                    Some(session) if error.code == ErrorCode::LoginRequired => {
                        match not_logged_in.iter_mut().find(|(s, _)| s.environment == session.environment) {
                            Some((_, names)) => names.push(profile.profile.clone()),
                            None => not_logged_in.push((session, vec![profile.profile.clone()])),
                        }
                    }
                    _ => run.errors.push(RunError::from_error(&error, profile.profile.clone())),
                }
            }
            ProfileStatus::WouldRefresh => {}
        }
        report.profiles.push(profile);
    }
    for (session, profiles) in not_logged_in {
        run.errors.push(login_error(run.front_end(), session, &profiles, problems));
    }
    if !registered.is_empty() && !run.request.what_if {
        run.info("Summary", messages::config_summary(&registered, earliest, run.now()));
    }
    report
}

/// One error per session whose profiles could not be refreshed for want of a login.
fn login_error(
    front_end: FrontEnd,
    session: &ConfigSession,
    profiles: &[String],
    problems: &HashMap<String, String>,
) -> RunError {
    let problem = problems.get(&session.environment).map_or(messages::SESSION_NEEDS_LOGIN, String::as_str);
    let described = messages::describe_session(session.sso_session.as_deref(), &session.start_url);
    let target = session.sso_session.clone().unwrap_or_else(|| session.start_url.clone());
    let action = messages::session_login_action(front_end, session.sso_session.as_deref(), &profiles[0]);
    RunError::new("LoginRequired", messages::session_not_refreshed(&described, problem, profiles), target)
        .with_action(action)
}

fn session_of<'c>(config: &'c ConfigSessions, report: &ProfileReport) -> Option<&'c ConfigSession> {
    if let Some(session) =
        report.environment.as_ref().and_then(|e| config.sessions.iter().find(|s| &s.environment == e))
    {
        return Some(session);
    }
    let name = report.config_profile.as_deref().unwrap_or(&report.profile);
    config.sessions.iter().find(|s| s.profiles.iter().any(|p| p == name))
}
