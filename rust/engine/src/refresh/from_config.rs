//! `fromConfig`: the plan of a refresh of the SSO profiles of the AWS config file, each with its
//! own session's token, into credentials profiles of the same names (or made from the template);
//! and `configSessions`, which tells the caller, before it refreshes, which sessions need a login.
//!
//! A session without a token fails its own profiles (`LoginRequired`, saying how to log in), never
//! the run: the other sessions' profiles are fetched and written.

use std::collections::HashMap;

use super::plan::{PlannedToken, RefreshPlan};
use super::report::{profile_report, ConfigSource};
use super::{ConfigOrigin, Job};
use crate::api::{ConfigSession, ConfigSessions, ConfigSessionsRequest, InvalidProfile, ProfileStatus, RefreshRequest};
use crate::concurrency::checked_max_concurrency;
use crate::config_profiles::{self, ConfigLogin, Selection};
use crate::context::Context;
use crate::error::{Error, ErrorCode, Result};
use crate::time::format_rfc3339;
use crate::token;
use crate::validate::{self, printable};

/// `plan_refresh` with `fromConfig`: no network call, and no login asked for; a session without a
/// token is found by the run, which fails its profiles alone.
pub(super) fn plan(context: &Context, request: RefreshRequest) -> Result<RefreshPlan> {
    refuse_what_the_config_file_gives(&request)?;
    let max_concurrency = checked_max_concurrency(request.max_concurrency)?;
    let template = ConfigTemplate::parse(request.profile_name_template.as_deref())?;
    let selection = config_profiles::select(&context.env, &request.config_profile)?;
    let names = credentials_names(&template, &selection)?;
    let stored = super::plan::stored(context, &request)?;
    let sessions = planned_tokens(context, &selection)?;
    let mut plan = RefreshPlan::new(stored, sessions, selection.profiles.len(), max_concurrency);
    let mut source = ConfigSource {
        config_file: selection.config_file,
        skipped: selection.skipped,
        profiles_by_session: vec![Vec::new(); selection.sessions.len()],
        invalid: Vec::new(),
    };
    let mut jobs = Vec::new();
    for (index, (profile, name)) in selection.profiles.into_iter().zip(names).enumerate() {
        let session = profile.session.as_ref().ok().copied();
        let job = Job {
            index,
            profile: name.as_ref().unwrap_or(&profile.name).clone(),
            account_id: profile.account_id,
            role_name: profile.role_name,
            session: session.unwrap_or_default(),
            from_config: Some(ConfigOrigin {
                profile: profile.name.clone(),
                environment: session.map(|s| plan.planned_tokens[s].environment.clone()),
            }),
        };
        match profile.session.err().or(name.err()) {
            None => {
                source.profiles_by_session[job.session].push(profile.name);
                jobs.push(job);
            }
            Some(error) => {
                source.invalid.push(InvalidProfile { profile: profile.name, error: error.clone() });
                plan.reports[index] = Some(profile_report(&job, ProfileStatus::Failed, None, Some(error)));
            }
        }
    }
    plan.config = Some(source);
    plan.set_aside_current(jobs);
    Ok(plan)
}

/// `configSessions`: the sessions the selected profiles use, and whether each needs a login before
/// a refresh, with no network call.
pub(crate) fn config_sessions(context: &Context, request: ConfigSessionsRequest) -> Result<ConfigSessions> {
    // What a real run would fetch, even for a dry run: that is what needs the login.
    let plan = plan(context, RefreshRequest { from_config: true, dry_run: false, ..request })?;
    let Some(source) = plan.config else {
        return Err(Error::new(ErrorCode::Panic, "a plan from the config file lost its source"));
    };
    let mut sessions = Vec::with_capacity(plan.planned_tokens.len());
    for (index, (session, profiles)) in plan.planned_tokens.iter().zip(source.profiles_by_session).enumerate() {
        let Some(from_config) = &session.from_config else { continue };
        let (environment, cache_file) = (&session.environment, session.cache_file.as_deref());
        let token = token::availability(context, environment, cache_file, session.start_url.as_deref())?;
        let to_fetch = plan.jobs.iter().any(|job| job.session == index);
        sessions.push(ConfigSession {
            environment: environment.clone(),
            sso_session: from_config.sso_session.clone(),
            start_url: from_config.start_url.clone(),
            region: from_config.region.clone(),
            profiles,
            login_required: to_fetch && token.missing.is_some(),
            expires_at: token.expires_at.map(format_rfc3339),
        });
    }
    Ok(ConfigSessions {
        config_file: source.config_file.display().to_string(),
        sessions,
        skipped: source.skipped,
        invalid: source.invalid,
    })
}

impl RefreshPlan {
    /// Fails the profiles of a session of the config file that has no usable token, each error
    /// naming the profile, the session and how to log in; they are not fetched.
    pub(super) fn fail_for_want_of_token(&mut self, session: usize, error: &Error) {
        let Some(config_session) = self.planned_tokens[session].from_config.clone() else { return };
        tracing::info!(environment = %config_session.environment, %error, "no usable SSO token; its profiles fail");
        let (failing, others): (Vec<Job>, Vec<Job>) =
            std::mem::take(&mut self.jobs).into_iter().partition(|job| job.session == session);
        self.jobs = others;
        for job in failing {
            let profile = job.from_config.as_ref().map_or(job.profile.as_str(), |origin| origin.profile.as_str());
            let error = without_token(error, &config_session, profile);
            self.reports[job.index] = Some(profile_report(&job, ProfileStatus::Failed, None, Some(error)));
        }
    }
}

/// The error of one profile whose session has no usable token.
fn without_token(error: &Error, session: &ConfigLogin, profile: &str) -> Error {
    let mut message = format!("profile '{profile}' ({}): {}", session.describe(), error.message);
    if matches!(error.code, ErrorCode::LoginRequired | ErrorCode::LoginPending) {
        message = format!("{message}; {}", session.how_to_log_in(profile));
    }
    Error::new(error.code, message)
}

/// The fields a `fromConfig` request must not carry: the config file gives them, or they would
/// change where tokens are found.
fn refuse_what_the_config_file_gives(request: &RefreshRequest) -> Result<()> {
    const CHOSEN: &str = "the profiles come from the AWS config file (choose them with configProfile)";
    const GIVEN: &str = "each profile's comes from the AWS config file";
    const CACHED: &str = "each session's token is the one the AWS CLI keeps in ~/.aws/sso/cache";
    let given = [
        ("accounts", !request.accounts.is_empty(), CHOSEN),
        ("discover", request.discover, CHOSEN),
        ("includeAccount", !request.include_account.is_empty(), CHOSEN),
        ("excludeAccount", !request.exclude_account.is_empty(), CHOSEN),
        ("includeRole", !request.include_role.is_empty(), CHOSEN),
        ("defaultRoleName", request.default_role_name.is_some(), GIVEN),
        ("startUrl", request.start_url.is_some(), GIVEN),
        ("region", request.region.is_some(), GIVEN),
        ("noTokenFile", request.no_token_file, CACHED),
    ];
    match given.iter().find(|(_, is_given, _)| *is_given) {
        Some((field, _, why)) => Err(Error::invalid_input(format!("{field} cannot be used with fromConfig: {why}"))),
        None => Ok(()),
    }
}

/// Each selected profile's name in the credentials file, checked. Two profiles that would be
/// written under one name are refused as a whole: which one should win is the user's choice.
fn credentials_names(template: &ConfigTemplate, selection: &Selection) -> Result<Vec<Result<String>>> {
    let config_file = selection.config_file.display();
    let names: Vec<Result<String>> = selection
        .profiles
        .iter()
        .map(|profile| {
            let name = template.render(&profile.name, &profile.account_id, &profile.role_name);
            validate::credentials_profile_name(&name, "its credentials profile name")
                .map(|()| name)
                .map_err(|e| e.context(format!("profile '{}' in {config_file}", profile.name)))
        })
        .collect();
    let mut first_use: HashMap<&str, &str> = HashMap::new();
    for (profile, name) in selection.profiles.iter().zip(&names) {
        let (Ok(_), Ok(name)) = (&profile.session, name) else { continue };
        if let Some(earlier) = first_use.insert(name, &profile.name) {
            return Err(Error::invalid_input(format!(
                "profiles '{earlier}' and '{}' of {config_file} would both be written to [{name}] in the credentials \
                 file; choose a profileNameTemplate that tells them apart (with {{ProfileName}}), or fewer profiles \
                 with configProfile",
                profile.name
            )));
        }
    }
    Ok(names)
}

/// The token each session of the selection uses: the AWS CLI's cache file of its name.
fn planned_tokens(context: &Context, selection: &Selection) -> Result<Vec<PlannedToken>> {
    selection
        .sessions
        .iter()
        .map(|session| {
            Ok(PlannedToken {
                environment: session.environment.clone(),
                start_url: Some(session.start_url.clone()),
                cache_file: token::persistence(&context.env, &session.environment, false, false)?.cache_file,
                from_config: Some(session.clone()),
            })
        })
        .collect()
}

const PROFILE_NAME: &str = "{ProfileName}";
const ACCOUNT_ID: &str = "{AccountId}";
const ROLE_NAME: &str = "{RoleName}";

/// A checked `profileNameTemplate` for profiles of the config file; none keeps each profile's name.
/// Names are used as made (and checked), not cleaned: they are the user's own.
struct ConfigTemplate(Option<String>);

impl ConfigTemplate {
    fn parse(template: Option<&str>) -> Result<ConfigTemplate> {
        let Some(text) = template else { return Ok(ConfigTemplate(None)) };
        let rest = [PROFILE_NAME, ACCOUNT_ID, ROLE_NAME].iter().fold(text.to_string(), |rest, p| rest.replace(p, ""));
        if text.trim().is_empty() || rest.contains(['{', '}']) {
            return Err(Error::invalid_input(format!(
                "profileNameTemplate '{}' may use only {PROFILE_NAME}, {ACCOUNT_ID} and {ROLE_NAME} with fromConfig \
                 (the config file names no account)",
                printable(text)
            )));
        }
        Ok(ConfigTemplate(Some(text.to_string())))
    }

    /// The name for a config profile. Placeholders are replaced in one pass, so a value that
    /// happens to contain one is kept as it is.
    fn render(&self, profile: &str, account_id: &str, role_name: &str) -> String {
        let Some(template) = &self.0 else { return profile.to_string() };
        let values = [(PROFILE_NAME, profile), (ACCOUNT_ID, account_id), (ROLE_NAME, role_name)];
        let (mut name, mut rest) = (String::new(), template.as_str());
        while let Some(at) = rest.find('{') {
            name.push_str(&rest[..at]);
            rest = &rest[at..];
            let (value, len) = values
                .iter()
                .find(|(placeholder, _)| rest.starts_with(placeholder))
                .map_or(("{", 1), |(placeholder, value)| (*value, placeholder.len()));
            name.push_str(value);
            rest = &rest[len..];
        }
        name.push_str(rest);
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_take_the_profile_name_the_account_and_the_role_in_one_pass() {
        let template = ConfigTemplate::parse(Some("{ProfileName}-{AccountId}.{RoleName}")).unwrap();
        assert_eq!(template.render("dev", "123456789012", "ReadOnly"), "dev-123456789012.ReadOnly");
        assert_eq!(template.render("{RoleName}", "1", "R"), "{RoleName}-1.R", "a value is not read as a template");
        assert_eq!(ConfigTemplate::parse(None).unwrap().render("a b", "1", "R"), "a b");
        for bad in ["{AccountName}", "{profilename}", "{ProfileName", " "] {
            let error = ConfigTemplate::parse(Some(bad)).err().unwrap();
            assert!(error.message.starts_with("profileNameTemplate"), "{bad}: {error}");
        }
    }

    #[test]
    fn fields_the_config_file_gives_are_refused_by_name() {
        let base = RefreshRequest { from_config: true, ..RefreshRequest::default() };
        assert!(refuse_what_the_config_file_gives(&base).is_ok());
        let cases = [
            (RefreshRequest { discover: true, ..base.clone() }, "discover"),
            (RefreshRequest { no_token_file: true, ..base.clone() }, "noTokenFile"),
            (RefreshRequest { include_role: vec!["x".into()], ..base.clone() }, "includeRole"),
            (RefreshRequest { start_url: Some("https://x".into()), ..base.clone() }, "startUrl"),
        ];
        for (request, field) in cases {
            let error = refuse_what_the_config_file_gives(&request).unwrap_err();
            assert!(error.message.starts_with(&format!("{field} cannot be used with fromConfig")), "{error}");
        }
    }
}
