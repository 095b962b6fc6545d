//! Planning a refresh, with no network call: the request checked, every profile named (as given,
//! or made from the template), and each set aside as current (reported at once) or queued to
//! fetch, by what the credentials file holds. With `discover`, every listed account and role is
//! added too: from the listing kept beside the token when it can be reused, else by the run once
//! it has listed. With `fromConfig`, the profiles come from the AWS config file instead
//! (`from_config`), each with its own session.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::credential_process::ProcessCommand;
use super::report::{profile_report, ConfigSource};
use super::Job;
use crate::api::{DiscoveredAccount, ProfileReport, ProfileStatus, RefreshRequest, Renamed};
use crate::concurrency::checked_max_concurrency;
use crate::config_profiles::ConfigLogin;
use crate::context::Context;
use crate::discovery::{kept_listing, name_profiles, AccountRole, Filters, Template};
use crate::error::{Error, Result};
use crate::files::credentials::{self, StoredProfile};
use crate::token;
use crate::validate;

/// Stored credentials valid for longer than this are current (unless `minValiditySeconds` says).
const DEFAULT_MIN_VALIDITY: Duration = Duration::from_secs(5 * 60);
/// The most entries `accounts` may hold.
const MAX_ACCOUNTS: usize = 10_000;

/// A checked refresh request and what the credentials file already holds: which profiles are
/// current and which must be fetched. Made before anything is sent, so bad input fails early.
#[derive(Debug)]
pub struct RefreshPlan {
    /// The tokens the run may use: the request's environment's (always one, index 0), or with
    /// `fromConfig` the token of each login the selected profiles use.
    pub(super) planned_tokens: Vec<PlannedToken>,
    /// The credentials file.
    pub(super) path: PathBuf,
    /// One slot per profile, in request order (discovered profiles after them); empty while the
    /// profile is still to fetch.
    pub(super) reports: Vec<Option<ProfileReport>>,
    pub(super) jobs: Vec<Job>,
    pub(super) stored: HashMap<String, StoredProfile>,
    rules: FreshnessRules,
    /// Set while every reachable account and role is still to be listed and added.
    pub(super) discovery: Option<PendingDiscovery>,
    pub(super) renamed: Vec<Renamed>,
    pub(super) max_concurrency: usize,
    /// With `fromConfig`: the AWS config file read, and its profiles left alone.
    pub(super) config: Option<ConfigSource>,
    /// With `credentialProcess`: the command each profile gets in the AWS config file, instead of keys.
    pub(super) credential_process: Option<ProcessCommand>,
}

/// A token the run may use, by its environment (the key of its cache file).
#[derive(Debug)]
pub(crate) struct PlannedToken {
    pub environment: String,
    /// When given, a stored token for another start URL is not used.
    pub start_url: Option<String>,
    /// The token cache file, when the run may need the token (or the listing beside it).
    pub cache_file: Option<PathBuf>,
    /// A login of the AWS config file: without a token it fails its own profiles, not the run.
    pub from_config: Option<ConfigLogin>,
}

/// The credentials file's profiles and the rules by which they are current.
pub(super) struct Stored {
    pub path: PathBuf,
    profiles: HashMap<String, StoredProfile>,
    rules: FreshnessRules,
}

/// When stored credentials count as current, and whether anything may be fetched.
#[derive(Debug, Clone, Copy)]
struct FreshnessRules {
    /// Current means valid past this time.
    valid_until: SystemTime,
    /// Fetch even current profiles.
    force: bool,
    /// Fetch nothing: report `wouldRefresh` instead.
    dry_run: bool,
}

/// Every reachable account and role, to be added to the plan once listed.
#[derive(Debug)]
pub(super) struct PendingDiscovery {
    pub filters: Filters,
    template: Template,
    /// Every profile name already in the request: a name made for a listed role never takes one.
    taken: HashSet<String>,
    /// (account, role) pairs already in the request: not added twice.
    requested: HashSet<(String, String)>,
}

/// A request entry without a profile name: its position, and what its name is made from.
struct UnnamedEntry {
    index: usize,
    target: AccountRole,
}

impl RefreshPlan {
    /// A plan with `slots` profiles to report, none decided yet.
    pub(super) fn new(stored: Stored, planned_tokens: Vec<PlannedToken>, slots: usize, max_concurrency: usize) -> Self {
        RefreshPlan {
            planned_tokens,
            path: stored.path,
            reports: vec![None; slots],
            jobs: Vec::new(),
            stored: stored.profiles,
            rules: stored.rules,
            discovery: None,
            renamed: Vec::new(),
            max_concurrency,
            config: None,
            credential_process: None,
        }
    }

    /// How many profiles need a network call (with `discover`, before the accounts are listed:
    /// the ones in the request, or every one when a kept listing was reused).
    pub fn to_fetch(&self) -> usize {
        self.jobs.len()
    }

    /// True when the run must use the token: to fetch, or to list the accounts.
    pub(super) fn needs_token(&self) -> bool {
        !self.jobs.is_empty() || self.discovery.is_some()
    }

    /// Adds the listed accounts and roles that the request does not already hold, named from the
    /// template. Returns the errors of accounts whose roles could not be listed.
    pub(super) fn add_listed(&mut self, discovery: &PendingDiscovery, accounts: &[DiscoveredAccount]) -> Vec<Error> {
        let errors = accounts.iter().filter_map(|a| a.error.clone()).collect();
        let targets: Vec<AccountRole> = accounts
            .iter()
            .flat_map(|a| {
                a.roles.iter().map(|role| AccountRole {
                    account_id: a.account_id.clone(),
                    account_name: a.account_name.clone(),
                    role_name: role.clone(),
                })
            })
            .filter(|t| {
                discovery.requested.is_empty()
                    || !discovery.requested.contains(&(t.account_id.clone(), t.role_name.clone()))
            })
            .collect();
        let (names, renamed) = name_profiles(&discovery.template, &targets, &discovery.taken);
        self.renamed.extend(renamed);
        let first = self.reports.len();
        let jobs: Vec<Job> = targets
            .into_iter()
            .zip(names)
            .enumerate()
            .map(|(k, (target, profile))| Job {
                index: first + k,
                profile,
                account_id: target.account_id,
                role_name: target.role_name,
                session: 0,
                from_config: None,
            })
            .collect();
        self.reports.resize(first + jobs.len(), None);
        self.set_aside_current(jobs);
        errors
    }

    /// Reports the profiles whose stored credentials are current (unless `force`) and queues the
    /// others to fetch; in a dry run they are reported `wouldRefresh` instead.
    pub(super) fn set_aside_current(&mut self, jobs: Vec<Job>) {
        let rules = self.rules;
        for job in jobs {
            let current = self
                .stored
                .get(&job.profile)
                .filter(|p| p.is_current_for(&job.account_id, &job.role_name, rules.valid_until));
            match current {
                Some(profile) if !rules.force => {
                    tracing::debug!(profile = %job.profile, "credentials still valid; not fetched");
                    let report = profile_report(&job, ProfileStatus::Current, profile.expiration, None);
                    self.reports[job.index] = Some(report);
                }
                _ if rules.dry_run => {
                    self.reports[job.index] = Some(profile_report(&job, ProfileStatus::WouldRefresh, None, None))
                }
                _ => self.jobs.push(job),
            }
        }
    }
}

/// The plan of a request that names its profiles (a request with `fromConfig` is planned by
/// `from_config`: see `refresh::plan`).
pub(super) fn plan(context: &Context, request: RefreshRequest) -> Result<RefreshPlan> {
    if !request.config_profile.is_empty() {
        return Err(Error::invalid_input("configProfile chooses profiles of the AWS config file: it needs fromConfig"));
    }
    if request.environment.is_empty() {
        return Err(Error::invalid_input("environment is missing: name the SSO session (or use fromConfig)"));
    }
    let environment = request.environment.clone();
    validate::profile_name(&environment, "environment")?;
    let max_concurrency = checked_max_concurrency(request.max_concurrency)?;
    if let Some(region) = &request.region {
        validate::region(region, "region")?;
    }
    if let Some(start_url) = &request.start_url {
        validate::start_url(start_url, "startUrl")?;
    }
    let template = Template::parse(request.profile_name_template.as_deref())?;
    let filters = Filters::checked(
        request.include_account.clone(),
        request.exclude_account.clone(),
        request.include_role.clone(),
    )?;
    let (explicit, unnamed) = checked_accounts(&request)?;
    let stored = stored(context, &request)?;

    let taken: HashSet<String> = explicit.iter().map(|j| j.profile.clone()).collect();
    let targets: Vec<AccountRole> = unnamed.iter().map(|u| u.target.clone()).collect();
    let (names, renamed) = name_profiles(&template, &targets, &taken);
    let mut named = explicit;
    for (entry, profile) in unnamed.into_iter().zip(names) {
        let AccountRole { account_id, role_name, .. } = entry.target;
        named.push(Job { index: entry.index, profile, account_id, role_name, session: 0, from_config: None });
    }
    named.sort_by_key(|job| job.index);
    let discovery = request.discover.then(|| PendingDiscovery {
        filters,
        template,
        taken: named.iter().map(|j| j.profile.clone()).collect(),
        requested: named.iter().map(|j| (j.account_id.clone(), j.role_name.clone())).collect(),
    });
    let session =
        PlannedToken { environment, start_url: request.start_url.clone(), cache_file: None, from_config: None };
    let mut plan = RefreshPlan::new(stored, vec![session], named.len(), max_concurrency);
    plan.renamed = renamed;
    plan.set_aside_current(named);

    // Only a run that must send needs the token, so a run with nothing to do never asks to log in.
    if plan.jobs.is_empty() && discovery.is_none() {
        return Ok(plan);
    }
    let PlannedToken { environment, start_url, .. } = &plan.planned_tokens[0];
    let cache_file = token::persistence(&context.env, environment, request.no_token_file, false)?.cache_file;
    if let Some(discovery) = discovery {
        let kept = match request.force {
            true => None,
            false => kept_listing::reusable(
                context,
                environment,
                cache_file.as_deref(),
                start_url.as_deref(),
                &discovery.filters,
            ),
        };
        match kept {
            Some(kept) => {
                tracing::debug!(environment = %environment, "reusing the listing of accounts kept beside the token");
                plan.add_listed(&discovery, &kept.select(&discovery.filters));
            }
            None => plan.discovery = Some(discovery),
        }
    }
    let needs_token = plan.needs_token();
    let session = &mut plan.planned_tokens[0];
    session.cache_file = cache_file;
    if needs_token {
        let (environment, start_url) = (&session.environment, session.start_url.as_deref());
        token::require_available(context, environment, session.cache_file.as_deref(), start_url)?;
    }
    Ok(plan)
}

/// The credentials file the request names (checked) and what it holds, with the request's rules of
/// what is current.
pub(super) fn stored(context: &Context, request: &RefreshRequest) -> Result<Stored> {
    if request.credentials_file.as_deref().is_some_and(|f| f.trim().is_empty()) {
        return Err(Error::invalid_input("credentialsFile is blank"));
    }
    let path = credentials::resolve_path(request.credentials_file.as_deref(), &context.env)?;
    let profiles = credentials::read_stored(&path)?;
    let min_validity = request.min_validity_seconds.map_or(DEFAULT_MIN_VALIDITY, Duration::from_secs);
    let rules = FreshnessRules {
        valid_until: context.clock.now() + min_validity,
        // A profile whose keys are current still gets its command, and loses its keys.
        force: request.force || request.credential_process,
        dry_run: request.dry_run,
    };
    Ok(Stored { path, profiles, rules })
}

/// Every account checked and its role resolved. Entries with a profile name (checked, unique)
/// become jobs; entries without one are returned with their position, to be named from the
/// template.
fn checked_accounts(request: &RefreshRequest) -> Result<(Vec<Job>, Vec<UnnamedEntry>)> {
    if request.accounts.is_empty() && !request.discover {
        return Err(Error::invalid_input(
            "accounts is empty: give at least one {profile, accountId, roleName}, or discover",
        ));
    }
    if request.accounts.len() > MAX_ACCOUNTS {
        return Err(Error::invalid_input(format!(
            "accounts has {} entries; at most {MAX_ACCOUNTS} are allowed",
            request.accounts.len()
        )));
    }
    if let Some(role) = &request.default_role_name {
        validate::role_name(role, "defaultRoleName")?;
    }
    let mut first_use: HashMap<&str, usize> = HashMap::new();
    let (mut jobs, mut unnamed) = (Vec::new(), Vec::new());
    for (index, account) in request.accounts.iter().enumerate() {
        let field = |name: &str| format!("accounts[{index}].{name}");
        validate::account_id(&account.account_id, &field("accountId"))?;
        let Some(role_name) = account.role_name.as_ref().or(request.default_role_name.as_ref()).cloned() else {
            return Err(Error::invalid_input(format!(
                "{} is missing and no defaultRoleName was given (account {})",
                field("roleName"),
                account.account_id
            )));
        };
        validate::role_name(&role_name, &field("roleName"))?;
        let Some(profile) = &account.profile else {
            let account_name = account.account_name.clone().unwrap_or_else(|| account.account_id.clone());
            let target = AccountRole { account_id: account.account_id.clone(), account_name, role_name };
            unnamed.push(UnnamedEntry { index, target });
            continue;
        };
        validate::credentials_profile_name(profile, &field("profile"))?;
        if let Some(earlier) = first_use.insert(profile, index) {
            return Err(Error::invalid_input(format!(
                "profile '{profile}' appears twice (accounts[{earlier}] and accounts[{index}])"
            )));
        }
        let account_id = account.account_id.clone();
        jobs.push(Job { index, profile: profile.clone(), account_id, role_name, session: 0, from_config: None });
    }
    Ok((jobs, unnamed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::AccountRequest;
    use crate::clock::Clock;
    use crate::env::HostEnv;
    use crate::error::ErrorCode;
    use crate::time::parse_rfc3339;

    const STORED: &str = "[dev]\naws_access_key_id = A\naws_secret_access_key = S\naws_session_token = T\n\
        aws_account_id = 123456789012\naws_credential_expiration = 2030-01-01T00:00:00Z\naws_sso_role_name = ReadOnly\n";

    fn context_at(home: &std::path::Path, now: &str) -> Context {
        Context {
            env: HostEnv::from_pairs([("HOME", home.display().to_string())]),
            clock: Clock::fixed(parse_rfc3339(now).unwrap()),
            ..Context::default()
        }
    }

    fn request(file: &std::path::Path) -> RefreshRequest {
        RefreshRequest {
            environment: "Test".into(),
            accounts: vec![AccountRequest {
                profile: Some("dev".into()),
                account_id: "123456789012".into(),
                role_name: Some("ReadOnly".into()),
                account_name: None,
            }],
            credentials_file: Some(file.display().to_string()),
            ..RefreshRequest::default()
        }
    }

    #[test]
    fn stored_credentials_are_current_until_the_minimum_validity_before_they_expire() {
        let home = tempfile::tempdir().unwrap();
        let file = home.path().join("credentials");
        std::fs::write(&file, STORED).unwrap();
        let early = plan(&context_at(home.path(), "2029-12-31T23:54:59Z"), request(&file)).unwrap();
        assert_eq!((early.to_fetch(), early.reports[0].as_ref().unwrap().status), (0, ProfileStatus::Current));
        assert!(!early.needs_token(), "nothing to fetch, no token needed");
        // Five minutes (the default minimum validity) before expiry, it must be fetched: that
        // needs a login, which this home does not have.
        let late = plan(&context_at(home.path(), "2029-12-31T23:55:00Z"), request(&file)).unwrap_err();
        assert_eq!(late.code, ErrorCode::LoginRequired);
        let mut dry_run = request(&file);
        dry_run.dry_run = true;
        let would = plan(&context_at(home.path(), "2030-01-02T00:00:00Z"), dry_run).unwrap();
        assert_eq!(would.reports[0].as_ref().unwrap().status, ProfileStatus::WouldRefresh);
    }
}
