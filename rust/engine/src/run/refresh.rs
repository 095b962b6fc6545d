//! The refresh of a list of accounts (or of every account, with `discover`): plan → login when
//! the listing needs one → confirm → fetch → log in and fetch again when the token is missing →
//! retry once the profiles whose token the service rejected part-way → report.

use std::collections::HashMap;

use super::messages;
use super::steps::{confirm_profile, login_needed, Failure, Outcome, Run};
use super::types::*;
use crate::api::{AccountRequest, ProfileReport, ProfileStatus, RefreshReport, RefreshRequest, Warning};
use crate::error::{Error, ErrorCode};
use crate::time::{format_rfc3339, parse_rfc3339};

pub(super) async fn run(run: &mut Run<'_>) -> Outcome {
    let request = run.request.request.clone();
    let environment = request.environment.clone();
    check_rows(run, &request)?;
    let Some(plan) = plan(run, &request).await? else { return Ok(None) };
    for rename in &plan.renamed {
        let text = messages::renamed(&rename.wanted, &rename.account_id, &rename.role_name, &rename.profile);
        run.say(MessageLevel::Warning, Some("ProfileRenamed"), text);
    }
    for error in &plan.discovery_errors {
        run.errors.push(RunError::from_error(error, environment.clone()));
    }
    let planned = plan.count(ProfileStatus::WouldRefresh);
    let selected = confirm(run, &plan).await;
    if planned > 0 && selected.is_empty() {
        // Nothing confirmed (-WhatIf): nothing is fetched, nothing logs in, nothing is summed up.
        return Ok(Some(RunReport::Refresh(plan)));
    }
    let mut outcome = Fetched::default();
    if run.request.login.write_sso_session && !run.logged_in.contains(&environment) {
        write_sso_session(run, &request).await?;
    }
    if !selected.is_empty() {
        fetch(run, &request, &selected, &mut outcome).await?;
    }
    finish(run, plan, outcome)
}

/// A row with neither a profile nor an account name is most likely a misspelt column: refused,
/// unless a template was given to name it.
fn check_rows(run: &Run<'_>, request: &RefreshRequest) -> Result<(), Failure> {
    let target = request.environment.clone();
    let filtered =
        !(request.include_account.is_empty() && request.exclude_account.is_empty() && request.include_role.is_empty());
    if filtered && !request.discover {
        return Err(Failure::new(RunError::new(
            "InvalidInput",
            messages::filters_need_discovery(run.front_end()),
            target,
        )));
    }
    if request.accounts.is_empty() && !request.discover {
        return Err(Failure::new(RunError::new(
            "InvalidInput",
            messages::no_accounts(run.front_end(), &target),
            target,
        )));
    }
    if request.profile_name_template.is_some() {
        return Ok(());
    }
    let unnamed = request.accounts.iter().enumerate().find(|(_, a)| a.profile.is_none() && a.account_name.is_none());
    match unnamed {
        Some((index, row)) => {
            let text = messages::unnamed_row(run.front_end(), index + 1, &row.account_id);
            Err(Failure::new(RunError::new("InvalidInput", text, format!("account {}", index + 1))))
        }
        None => Ok(()),
    }
}

/// The dry run: every profile with its final name, and what would be fetched. With `discover` it
/// lists the accounts, which needs a login; `None` when that login was not confirmed.
async fn plan(run: &mut Run<'_>, request: &RefreshRequest) -> Result<Option<RefreshReport>, Failure> {
    let environment = request.environment.clone();
    let dry = RefreshRequest { dry_run: true, ..request.clone() };
    match run.refresh(dry.clone()).await {
        Ok(plan) => Ok(Some(plan)),
        Err(error) if request.discover && login_needed(&error) => {
            if run.request.confirm && run.request.what_if {
                show_discovery_login(run, &environment).await;
                return Ok(None);
            }
            if !run.request.interactive {
                return Err(run.login_required(&environment, &error.message));
            }
            run.log_in_to(request).await?;
            run.refresh(dry).await.map(Some).map_err(|e| run.failed(&e, &environment))
        }
        Err(error) => Err(run.failed(&error, &environment)),
    }
}

/// -WhatIf of `-AllAccounts` without a token: the login it would need before anything is listed
/// is shown, and nothing more is done. (Without -WhatIf that login is not asked about: a person
/// approves it in the browser anyway.)
async fn show_discovery_login(run: &Run<'_>, environment: &str) {
    let login = ConfirmLogin {
        session: environment.to_string(),
        target: environment.to_string(),
        action: messages::DISCOVERY_LOGIN_ACTION.to_string(),
    };
    run.shared.ask(RunEvent::Confirm { profiles: Vec::new(), logins: vec![login] }).await;
}

/// The profiles to fetch: every one planned, or those the front end confirmed.
async fn confirm(run: &Run<'_>, plan: &RefreshReport) -> Vec<AccountRequest> {
    let planned: Vec<&ProfileReport> =
        plan.profiles.iter().filter(|p| p.status == ProfileStatus::WouldRefresh).collect();
    let confirmed = match run.request.confirm {
        false => None,
        true if planned.is_empty() => Some(Vec::new()),
        true => {
            let profiles = planned.iter().map(|p| confirm_profile(p)).collect();
            Some(run.shared.ask(RunEvent::Confirm { profiles, logins: Vec::new() }).await)
        }
    };
    // -WhatIf: the questions were asked (and shown); nothing is fetched.
    let confirmed = if run.request.what_if { Some(Vec::new()) } else { confirmed };
    planned
        .into_iter()
        .filter(|p| confirmed.as_ref().is_none_or(|names| names.contains(&p.profile)))
        .map(|p| AccountRequest {
            profile: Some(p.profile.clone()),
            account_id: p.account_id.clone(),
            role_name: Some(p.role_name.clone()),
            account_name: None,
        })
        .collect()
}

/// `-ConfigureSsoSession`: the `[sso-session]` section is written by a login (which reuses the
/// token); a run no person can answer writes it only when no login is needed.
async fn write_sso_session(run: &mut Run<'_>, request: &RefreshRequest) -> Result<(), Failure> {
    let environment = request.environment.clone();
    if !run.request.interactive && run.token_expires_at(&environment).is_none() && !renewable(run, &environment) {
        run.say(MessageLevel::Warning, Some("SsoSessionNotWritten"), messages::sso_session_not_written(&environment));
        return Ok(());
    }
    run.log_in_to(request).await.map(drop)
}

fn renewable(run: &Run<'_>, environment: &str) -> bool {
    run.token_status(environment).is_ok_and(|s| s.refreshable)
}

/// What the fetches gave: the last report of each profile, and the profiles still without a token.
#[derive(Default)]
struct Fetched {
    reports: HashMap<String, ProfileReport>,
    token_expires_at: Option<String>,
    still_need_login: Vec<String>,
    detail: Option<String>,
    /// Of every fetch, once each (a retry writes the same file again).
    warnings: Vec<Warning>,
}

impl Fetched {
    fn merge(&mut self, report: RefreshReport) {
        if report.token_expires_at.is_some() {
            self.token_expires_at = report.token_expires_at;
        }
        for profile in report.profiles {
            self.reports.insert(profile.profile.clone(), profile);
        }
        for warning in report.warnings {
            if !self.warnings.contains(&warning) {
                self.warnings.push(warning);
            }
        }
    }

    fn rejected(&self, selected: &[AccountRequest]) -> Vec<AccountRequest> {
        let rejected = |a: &&AccountRequest| {
            let name = a.profile.as_deref().unwrap_or_default();
            self.reports.get(name).is_some_and(|r| {
                r.status == ProfileStatus::Failed
                    && r.error.as_ref().is_some_and(|e| e.code == ErrorCode::LoginRequired)
            })
        };
        selected.iter().filter(rejected).cloned().collect()
    }
}

/// Fetches the selected profiles, logging in when the token is missing; then retries once those
/// whose token the service rejected part-way.
async fn fetch(
    run: &mut Run<'_>,
    request: &RefreshRequest,
    selected: &[AccountRequest],
    outcome: &mut Fetched,
) -> Result<(), Failure> {
    let environment = request.environment.clone();
    let fetch = RefreshRequest { accounts: selected.to_vec(), dry_run: false, discover: false, ..request.clone() };
    let report = match run.refresh(fetch.clone()).await {
        Err(error) if login_needed(&error) => {
            if !run.request.interactive {
                return Err(run.login_required(&environment, &error.message));
            }
            run.log_in_to(request).await?;
            run.refresh(fetch).await
        }
        other => other,
    };
    outcome.merge(report.map_err(|e| run.failed(&e, &environment))?);

    // The library renews a rejected token with its refresh token when it can; otherwise an
    // interactive run logs in again. Once.
    let rejected = outcome.rejected(selected);
    if rejected.is_empty() {
        return Ok(());
    }
    if run.logged_in.contains(&environment) {
        outcome.still_need_login = names(&rejected);
        return Ok(());
    }
    if run.request.interactive {
        run.log_in_to(request).await?;
    }
    let retry = RefreshRequest { accounts: rejected.clone(), dry_run: false, discover: false, ..request.clone() };
    match run.refresh(retry).await {
        Ok(report) => outcome.merge(report),
        Err(error) if !run.request.interactive && login_needed(&error) => {
            outcome.still_need_login = names(&rejected);
            outcome.detail = Some(error.message);
            return Ok(());
        }
        Err(error) => return Err(run.failed(&error, &environment)),
    }
    outcome.still_need_login = names(&outcome.rejected(&rejected));
    outcome.detail =
        outcome.still_need_login.first().and_then(|p| Some(outcome.reports.get(p)?.error.as_ref()?.message.clone()));
    Ok(())
}

fn names(accounts: &[AccountRequest]) -> Vec<String> {
    accounts.iter().filter_map(|a| a.profile.clone()).collect()
}

/// The report in the plan's order, the original's lines, and an error per failed profile.
fn finish(run: &mut Run<'_>, plan: RefreshReport, mut outcome: Fetched) -> Outcome {
    let environment = run.request.request.environment.clone();
    let mut report = plan;
    let mut registered = Vec::new();
    for profile in &mut report.profiles {
        if let Some(done) = outcome.reports.remove(&profile.profile) {
            *profile = done;
        }
        match profile.status {
            ProfileStatus::Refreshed => {
                run.info("ProfileRegistered", messages::registering(&profile.profile));
                registered.push(profile.profile.clone());
            }
            ProfileStatus::Current => registered.push(profile.profile.clone()),
            ProfileStatus::Failed if !outcome.still_need_login.contains(&profile.profile) => {
                let error = profile.error.clone().unwrap_or_else(|| Error::new(ErrorCode::ServiceError, "failed"));
                run.errors.push(RunError::from_error(&error, profile.profile.clone()));
            }
            _ => {}
        }
    }
    report.token_expires_at = outcome.token_expires_at.take().or(report.token_expires_at);
    report.warnings = std::mem::take(&mut outcome.warnings);
    run.warn_all(&report.warnings);
    if !outcome.still_need_login.is_empty() {
        let text = messages::token_rejected(&environment, &outcome.still_need_login, outcome.detail.as_deref());
        let action = messages::login_action(run.front_end(), run.command(), &environment);
        let error = RunError::new("LoginRequired", text, environment).with_action(action);
        return Err(Failure { error, report: Some(Box::new(RunReport::Refresh(report))) });
    }
    // The token's end, for users whose prompts read <EnvironmentName>SSOTokenExpire.
    let expires =
        report.token_expires_at.as_deref().and_then(parse_rfc3339).or_else(|| run.token_expires_at(&environment));
    report.token_expires_at = expires.map(format_rfc3339);
    if !run.request.what_if {
        run.info("Summary", messages::summary(&registered, expires, run.now()));
    }
    Ok(Some(RunReport::Refresh(report)))
}
