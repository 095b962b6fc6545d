//! `credentials`: one role's keys from the shared SSO token, written nowhere (`ssocreds-cli
//! credential-process`, Get-AwsCliSsoCredential). The token is the stored one, renewed with its
//! refresh token when it can be. Without one, a run no person can answer ends at once with
//! `LoginRequired` (no network call), naming the session and the command that logs in. Then one
//! `GetRoleCredentials` call: no pacer warm-up, no rate file, no listing. A token the service
//! refuses is forgotten and, when a person can answer, logged in to again once.

use std::path::PathBuf;

use super::messages;
use super::steps::{login_needed, Failure, Outcome, Run};
use super::types::*;
use crate::api::{CredentialsTarget, RoleCredentials};
use crate::config_profiles::{self, ConfigLogin};
use crate::error::{Error, ErrorCode, Result};
use crate::refresh::{role_credentials, WrittenCommand};
use crate::time::format_rfc3339;
use crate::token::{self, SsoToken};
use crate::validate::{self, printable};

/// The role and the token a `credentials` run uses, resolved from the request.
struct Target {
    environment: String,
    start_url: Option<String>,
    region: Option<String>,
    cache_file: Option<PathBuf>,
    account_id: String,
    role_name: String,
    /// With `configProfile`: the profile and its login.
    config: Option<(String, ConfigLogin)>,
}

impl Target {
    /// What the run is about, as an error record's target: the profile, or the environment.
    fn name(&self) -> String {
        self.config.as_ref().map_or(self.environment.clone(), |(profile, _)| profile.clone())
    }

    /// What errors name: the profile, or the environment, with the account and role.
    fn subject(&self) -> String {
        match &self.config {
            Some((profile, login)) => format!(
                "profile '{profile}' ({}, account {}, role {})",
                login.describe(),
                self.account_id,
                self.role_name
            ),
            None => {
                format!("environment '{}' (account {}, role {})", self.environment, self.account_id, self.role_name)
            }
        }
    }
}

pub(super) async fn run(run: &mut Run<'_>) -> Outcome {
    let target = resolve(run).map_err(|e| run.failed(&e, &request_subject(&run.request)))?;
    if target.config.is_some() {
        // A profile's token is the AWS CLI's, in its cache: a login keeps it there.
        run.request.request.from_config = true;
    }
    let token = token_for(run, &target).await?;
    let mut keys = fetch(run, &target, &token).await;
    if keys.as_ref().is_err_and(|e| e.code == ErrorCode::LoginRequired) {
        // The service refused the token: renewed with its refresh token, or logged in to again, once.
        token::reject(run.context, &target.environment, &token.access_token);
        let token = token_for(run, &target).await?;
        keys = fetch(run, &target, &token).await;
    }
    let keys = match keys {
        Ok(keys) => keys,
        Err(error) if error.code == ErrorCode::LoginRequired => {
            return Err(not_logged_in(run, &target, &error.message))
        }
        Err(error) => return Err(run.failed(&error, &target.name())),
    };
    let environment = target.environment.clone();
    Ok(Some(RunReport::Credentials(RoleCredentials {
        access_key_id: keys.access_key_id,
        secret_access_key: keys.secret_access_key,
        session_token: keys.session_token,
        expiration: format_rfc3339(keys.expiration),
        account_id: target.account_id,
        role_name: target.role_name,
        environment,
        config_profile: target.config.map(|(profile, _)| profile),
    })))
}

/// The one `GetRoleCredentials` call, with a portal client that keeps no learnt rate on disk.
async fn fetch(run: &Run<'_>, target: &Target, token: &SsoToken) -> Result<crate::refresh::RoleKeys> {
    let context = run.context;
    let client = context.clients.portal(&token.region, &context.env, &context.clock, None)?;
    let keys =
        role_credentials(&client, &token.access_token, &target.account_id, &target.role_name, &target.subject()).await;
    tracing::debug!(environment = %target.environment, account = %target.account_id, ok = keys.is_ok(), "GetRoleCredentials");
    keys
}

/// The session's token: the stored one (renewed when it can be), or a login when a person can
/// answer; else `LoginRequired` before any network call.
async fn token_for(run: &mut Run<'_>, target: &Target) -> std::result::Result<SsoToken, Failure> {
    let (environment, cache_file, start_url) =
        (&target.environment, target.cache_file.as_deref(), target.start_url.as_deref());
    let availability = token::availability(run.context, environment, cache_file, start_url)
        .map_err(|e| run.failed(&e, environment))?;
    if let Some((_, why)) = availability.missing {
        if !run.request.interactive {
            return Err(not_logged_in(run, target, &why));
        }
        log_in(run, target).await?;
    }
    match token::usable(run.context, environment, cache_file, start_url).await {
        Ok(token) => Ok(token),
        Err(error) if login_needed(&error) && run.request.interactive && !run.logged_in.contains(environment) => {
            log_in(run, target).await?;
            token::usable(run.context, environment, cache_file, start_url)
                .await
                .map_err(|e| run.failed(&e, environment))
        }
        Err(error) if login_needed(&error) => Err(not_logged_in(run, target, &error.message)),
        Err(error) => Err(run.failed(&error, environment)),
    }
}

async fn log_in(run: &mut Run<'_>, target: &Target) -> std::result::Result<(), Failure> {
    let (start_url, region) = (target.start_url.as_deref(), target.region.as_deref());
    run.log_in(&target.environment, start_url, region).await.map(drop).map_err(|e| run.failed(&e, &target.environment))
}

/// The `LoginRequired` of a run that may not log in: the session, why, and the command that fixes it.
fn not_logged_in(run: &Run<'_>, target: &Target, detail: &str) -> Failure {
    let front_end = run.front_end();
    let reason = run
        .request
        .non_interactive_reason
        .clone()
        .unwrap_or_else(|| messages::credentials_not_interactive(front_end).to_string());
    let fix = match &target.config {
        Some((profile, login)) => config_login_command(front_end, profile, login),
        None => messages::credentials_login_command(
            front_end,
            &target.environment,
            target.start_url.as_deref(),
            target.region.as_deref(),
            (&target.account_id, &target.role_name),
        ),
    };
    let message = messages::credentials_login_required(&target.subject(), &reason, detail, &fix);
    Failure::new(
        RunError::new("LoginRequired", message, target.name())
            .with_action(messages::credentials_login_action(front_end, &fix)),
    )
}

/// How to log in to a profile's session: the AWS CLI (which keeps the token where it is read), or
/// this tool.
fn config_login_command(front_end: FrontEnd, profile: &str, login: &ConfigLogin) -> String {
    let aws = match &login.sso_session {
        Some(name) => format!("aws sso login --sso-session {name}"),
        None => format!("aws sso login --profile {profile}"),
    };
    match front_end {
        FrontEnd::Powershell => format!("{aws} (or Set-AwsCliSsoCredentials -FromConfig -ConfigProfile {profile})"),
        FrontEnd::Cli => format!("{aws} (or ssocreds-cli credential-process --profile {profile} --login)"),
    }
}

/// What a request that could not be resolved is about, for its error.
fn request_subject(request: &RunRequest) -> String {
    match &request.credentials.config_profile {
        Some(profile) => profile.clone(),
        None if request.request.environment.is_empty() => "credentials".to_string(),
        None => request.request.environment.clone(),
    }
}

/// The request checked: a config profile, or an environment with an account and a role.
fn resolve(run: &Run<'_>) -> Result<Target> {
    let (request, wanted) = (&run.request.request, &run.request.credentials);
    if run.request.login.write_sso_session {
        return Err(Error::invalid_input("writeSsoSession cannot be used with the credentials operation"));
    }
    refuse_refresh_fields(request)?;
    match &wanted.config_profile {
        Some(profile) => {
            let given = [
                ("accountId", wanted.account_id.is_some()),
                ("roleName", wanted.role_name.is_some()),
                ("environment", !request.environment.is_empty()),
                ("startUrl", request.start_url.is_some()),
                ("region", request.region.is_some()),
                ("noTokenFile", request.no_token_file),
            ];
            if let Some((field, _)) = given.iter().find(|(_, is_given)| *is_given) {
                return Err(Error::invalid_input(format!(
                    "{field} cannot be used with configProfile '{}': the AWS config file gives it",
                    printable(profile)
                )));
            }
            from_config_profile(run, profile)
        }
        None => from_environment(run),
    }
}

/// The fields of a refresh that a `credentials` run has no use for: refused, not ignored.
fn refuse_refresh_fields(request: &crate::api::RefreshRequest) -> Result<()> {
    let given = [
        ("accounts", !request.accounts.is_empty()),
        ("discover", request.discover),
        ("fromConfig", request.from_config),
        ("configProfile", !request.config_profile.is_empty()),
        ("credentialProcess", request.credential_process),
        ("credentialsFile", request.credentials_file.is_some()),
        ("profileNameTemplate", request.profile_name_template.is_some()),
    ];
    match given.iter().find(|(_, is_given)| *is_given) {
        Some((field, _)) => Err(Error::invalid_input(format!(
            "request.{field} cannot be used with the credentials operation (name the role in credentials: accountId \
             and roleName, or configProfile)"
        ))),
        None => Ok(()),
    }
}

fn from_environment(run: &Run<'_>) -> Result<Target> {
    let (request, wanted) = (&run.request.request, &run.request.credentials);
    let environment = request.environment.clone();
    if environment.is_empty() {
        return Err(Error::invalid_input(
            "environment is missing: name the SSO session (request.environment), or give credentials.configProfile",
        ));
    }
    validate::profile_name(&environment, "environment")?;
    let CredentialsTarget { account_id: Some(account_id), role_name: Some(role_name), .. } = wanted.clone() else {
        return Err(Error::invalid_input(format!(
            "environment '{environment}': credentials.accountId and credentials.roleName name the role whose keys to get"
        )));
    };
    validate::account_id(&account_id, "accountId")?;
    validate::role_name(&role_name, "roleName")?;
    if let Some(region) = &request.region {
        validate::region(region, "region")?;
    }
    if let Some(start_url) = &request.start_url {
        validate::start_url(start_url, "startUrl")?;
    }
    let cache_file = token::persistence(&run.context.env, &environment, request.no_token_file, false)?.cache_file;
    Ok(Target {
        environment,
        start_url: request.start_url.clone(),
        region: request.region.clone(),
        cache_file,
        account_id,
        role_name,
        config: None,
    })
}

/// A profile of the AWS config file, by its exact name: one `credentialProcess` wrote
/// (`-CredentialProcess`), whose `credential_process` line is read back so that a profile is named
/// the same way whichever mode wrote it; else an SSO profile (its session, account and role).
fn from_config_profile(run: &Run<'_>, profile: &str) -> Result<Target> {
    validate::profile_name(profile, "configProfile")?;
    if profile.contains(['*', '?']) {
        return Err(Error::invalid_input(format!("configProfile '{profile}' names one profile: no wildcards")));
    }
    let config_file = crate::files::config::resolve_path(&run.context.env)?;
    let written = std::fs::read_to_string(&config_file).ok();
    match written.and_then(|text| crate::refresh::written_command(&text, profile)) {
        Some(WrittenCommand::Role { environment, start_url, region, account_id, role_name }) => {
            let cache_file = token::persistence(&run.context.env, &environment, false, false)?.cache_file;
            Ok(Target { environment, start_url, region, cache_file, account_id, role_name, config: None })
        }
        // `fromConfig`'s lines run an SSO profile: that one, which must be an SSO profile itself.
        Some(WrittenCommand::Profile(runs)) => sso_profile(run, &runs),
        None => sso_profile(run, profile),
    }
}

/// The SSO profile `profile` of the AWS config file.
fn sso_profile(run: &Run<'_>, profile: &str) -> Result<Target> {
    let selection = config_profiles::select(&run.context.env, &[profile.to_string()])?;
    let Some(found) = selection.profiles.iter().find(|p| p.name == profile) else {
        let why = selection.skipped.iter().find(|s| s.profile == profile).map(|s| format!(": {}", s.reason));
        return Err(Error::invalid_input(format!(
            "{} has no SSO profile named '{profile}' (names are case-sensitive){}",
            selection.config_file.display(),
            why.unwrap_or_default()
        )));
    };
    let login = selection.sessions[found.session.clone()?].clone();
    let cache_file = token::persistence(&run.context.env, &login.environment, false, false)?.cache_file;
    Ok(Target {
        environment: login.environment.clone(),
        start_url: Some(login.start_url.clone()),
        region: Some(login.region.clone()),
        cache_file,
        account_id: found.account_id.clone(),
        role_name: found.role_name.clone(),
        config: Some((profile.to_string(), login)),
    })
}
