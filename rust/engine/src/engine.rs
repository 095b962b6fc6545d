//! The engine's public face: log in, refresh many profiles, report and end sessions. Safe, async,
//! and free of FFI types; the C ABI and the command line are thin layers over it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::api::*;
use crate::clients::Clients;
use crate::credentials_file::{self, ProfileCredentials};
use crate::env::Env;
use crate::error::{Error, ErrorCode, Result};
use crate::login::{self, PollOutcome, SLOW_DOWN_STEP};
use crate::refresh::{fetch_all, Job, Progress};
use crate::session::{Registration, Sessions, SsoToken};
use crate::time::{format_rfc3339, seconds_until};
use crate::validate;

/// A cached token is reused by `login_start` while it has more than this left.
pub const TOKEN_REUSE_MARGIN: Duration = Duration::from_secs(5 * 60);
/// A registration is reused while it outlives a whole device login by this much.
const REGISTRATION_MARGIN: Duration = Duration::from_secs(60 * 60);
pub const DEFAULT_MAX_CONCURRENCY: usize = 16;
pub const MAX_CONCURRENCY_LIMIT: usize = 256;
pub const DEFAULT_MIN_VALIDITY_SECONDS: u64 = 5 * 60;
const DEFAULT_WAIT_MS: u64 = 1_000;
const MAX_WAIT_MS: u64 = 60_000;
const MAX_ACCOUNTS: usize = 10_000;

pub struct Engine {
    env: Env,
    sessions: Sessions,
    clients: Clients,
}

/// A checked refresh request and what the credentials file already holds: which profiles are
/// current and which must be fetched. Made before anything is sent, so bad input fails early.
#[derive(Debug)]
pub struct RefreshPlan {
    environment: String,
    path: PathBuf,
    reports: Vec<Option<ProfileReport>>,
    jobs: Vec<Job>,
    token: Option<SsoToken>,
    max_concurrency: usize,
}

impl RefreshPlan {
    /// How many profiles need a network call.
    pub fn to_fetch(&self) -> usize {
        self.jobs.len()
    }
}

impl Engine {
    pub fn new(env: Env) -> Self {
        Engine { env, sessions: Sessions::default(), clients: Clients::default() }
    }

    /// Reuses a cached token, or starts a device login the user must approve.
    pub async fn login_start(&self, request: LoginStartRequest) -> Result<LoginStart> {
        let environment = &request.environment;
        validate::profile_name(environment, "environment")?;
        validate::start_url(&request.start_url, "startUrl")?;
        validate::region(&request.region, "region")?;
        let client = self.clients.oidc(&request.region, &self.env)?;
        if !request.force_login {
            let cached = self.sessions.with(environment, |s| s.token.clone());
            if let Some(token) = cached.filter(|t| t.start_url == request.start_url && t.valid_for(TOKEN_REUSE_MARGIN)) {
                tracing::debug!(environment, "reusing the cached SSO token");
                return Ok(LoginStart::LoggedIn { expires_at: format_rfc3339(token.expires_at) });
            }
        }
        let authorization = match login::start(&client, &self.registration(&client, &request.region).await?, &request.start_url).await {
            Ok(authorization) => authorization,
            Err(Some(error)) => return Err(error.context(format!("environment '{environment}'"))),
            Err(None) => {
                tracing::debug!(environment, "the client registration was rejected; registering again");
                self.sessions.forget_registration(&self.registration_key(&request.region)?);
                let registration = self.registration(&client, &request.region).await?;
                login::start(&client, &registration, &request.start_url).await.map_err(|e| {
                    e.unwrap_or_else(|| Error::new(ErrorCode::ServiceError, "StartDeviceAuthorization rejected a new client registration"))
                })?
            }
        };
        let started = LoginStart::Pending {
            user_code: authorization.user_code,
            verification_uri: authorization.verification_uri,
            verification_uri_complete: authorization.verification_uri_complete,
            expires_at: format_rfc3339(authorization.expires_at),
            interval_seconds: authorization.pending.interval.as_secs(),
        };
        self.sessions.with(environment, |s| s.pending = Some(authorization.pending));
        Ok(started)
    }

    /// The client registration for this region and OIDC endpoint, registering when there is none
    /// that outlives a device login.
    async fn registration(&self, client: &aws_sdk_ssooidc::Client, region: &str) -> Result<Registration> {
        let key = self.registration_key(region)?;
        if let Some(registration) = self.sessions.registration(&key, REGISTRATION_MARGIN) {
            return Ok(registration);
        }
        let registration = login::register(client, region).await?;
        self.sessions.store_registration(&key, registration.clone());
        Ok(registration)
    }

    /// A registration belongs to the service that issued it: one per region and endpoint.
    fn registration_key(&self, region: &str) -> Result<String> {
        let endpoint = crate::endpoint::override_for(crate::endpoint::Service::Oidc, &self.env)?;
        Ok(format!("{region} {}", endpoint.unwrap_or_default()))
    }

    /// Waits at most `waitMs` for the user to approve the pending login, polling as the service asks.
    pub async fn login_poll(&self, request: LoginPollRequest) -> Result<LoginPoll> {
        let environment = &request.environment;
        validate::profile_name(environment, "environment")?;
        let deadline = Instant::now() + Duration::from_millis(request.wait_ms.unwrap_or(DEFAULT_WAIT_MS).min(MAX_WAIT_MS));
        loop {
            let Some(pending) = self.sessions.with(environment, |s| s.pending.clone()) else {
                return match self.sessions.with(environment, |s| s.token.clone()).filter(|t| t.valid_for(Duration::ZERO)) {
                    Some(token) => Ok(LoginPoll::LoggedIn { expires_at: format_rfc3339(token.expires_at) }),
                    None => Err(Error::login_required(environment, "no login is in progress (call login_start first)")),
                };
            };
            let now = Instant::now();
            if now >= pending.expires {
                self.sessions.with(environment, |s| s.pending = None);
                return Err(Error::new(
                    ErrorCode::DeviceCodeExpired,
                    format!("environment '{environment}': the login code expired before it was approved; start the login again"),
                ));
            }
            if pending.next_poll > now {
                if pending.next_poll >= deadline {
                    tokio::time::sleep_until(deadline.into()).await;
                    return Ok(LoginPoll::Pending);
                }
                tokio::time::sleep_until(pending.next_poll.into()).await;
                continue;
            }
            let client = self.clients.oidc(&pending.region, &self.env)?;
            let outcome = login::poll(&client, &pending, environment).await;
            let is_same = |s: &crate::session::Session| s.pending.as_ref().is_some_and(|p| p.device_code == pending.device_code);
            match outcome {
                Ok(PollOutcome::Token(token)) => {
                    let expires_at = format_rfc3339(token.expires_at);
                    tracing::info!(environment, expires_at, "logged in");
                    self.sessions.with(environment, |s| {
                        s.token = Some(token);
                        if is_same(s) {
                            s.pending = None;
                        }
                    });
                    return Ok(LoginPoll::LoggedIn { expires_at });
                }
                Ok(outcome) => self.sessions.with(environment, |s| {
                    if is_same(s) {
                        let p = s.pending.as_mut().expect("checked by is_same");
                        if matches!(outcome, PollOutcome::SlowDown) {
                            p.interval += SLOW_DOWN_STEP;
                            tracing::debug!(environment, interval = p.interval.as_secs(), "asked to slow down");
                        }
                        p.next_poll = Instant::now() + p.interval;
                    }
                }),
                Err(error) => {
                    let final_ = matches!(error.code, ErrorCode::DeviceCodeExpired | ErrorCode::AccessDenied | ErrorCode::LoginRequired);
                    self.sessions.with(environment, |s| {
                        if is_same(s) {
                            if final_ {
                                s.pending = None;
                            } else if let Some(p) = s.pending.as_mut() {
                                p.next_poll = Instant::now() + p.interval;
                            }
                        }
                    });
                    return Err(error);
                }
            }
            if Instant::now() >= deadline {
                return Ok(LoginPoll::Pending);
            }
        }
    }

    /// Checks the request, reads what the credentials file holds and decides what to fetch.
    /// Fails with `InvalidInput` before anything is sent, and with `LoginRequired` when something
    /// must be fetched but there is no valid token.
    pub fn plan_refresh(&self, request: RefreshRequest) -> Result<RefreshPlan> {
        let environment = request.environment.clone();
        validate::profile_name(&environment, "environment")?;
        let accounts = checked_accounts(&request)?;
        let max_concurrency = request.max_concurrency.unwrap_or(DEFAULT_MAX_CONCURRENCY);
        if !(1..=MAX_CONCURRENCY_LIMIT).contains(&max_concurrency) {
            return Err(Error::invalid_input(format!("maxConcurrency {max_concurrency} is not between 1 and {MAX_CONCURRENCY_LIMIT}")));
        }
        if let Some(region) = &request.region {
            validate::region(region, "region")?;
        }
        if request.credentials_file.as_deref().is_some_and(|f| f.trim().is_empty()) {
            return Err(Error::invalid_input("credentialsFile is blank"));
        }
        let path = credentials_file::resolve_path(request.credentials_file.as_deref(), &self.env)?;
        let stored = credentials_file::read_stored(&path)?;
        let valid_until = SystemTime::now() + Duration::from_secs(request.min_validity_seconds.unwrap_or(DEFAULT_MIN_VALIDITY_SECONDS));
        let mut reports = Vec::with_capacity(accounts.len());
        let mut jobs = Vec::new();
        for job in accounts {
            let current = stored.get(&job.profile).filter(|p| p.is_current_for(&job.account_id, &job.role_name, valid_until));
            match current {
                Some(profile) if !request.force => {
                    tracing::debug!(profile = %job.profile, "credentials still valid; not fetched");
                    reports.push(Some(report(&job, ProfileStatus::Current, profile.expiration, None)));
                }
                _ => {
                    reports.push(request.dry_run.then(|| report(&job, ProfileStatus::WouldRefresh, None, None)));
                    jobs.push(job);
                }
            }
        }
        let token = self.sessions.with(&environment, |s| s.token.clone());
        let token = match token {
            _ if jobs.is_empty() || request.dry_run => token,
            Some(token) if token.valid_for(Duration::ZERO) => Some(token),
            Some(token) => {
                let why = format!("the SSO token expired at {}", format_rfc3339(token.expires_at));
                return Err(Error::login_required(&environment, &why));
            }
            None if self.sessions.with(&environment, |s| s.pending.is_some()) => {
                return Err(Error::new(ErrorCode::LoginPending, format!("environment '{environment}': the login has not been approved yet")));
            }
            None => return Err(Error::login_required(&environment, "not logged in")),
        };
        let jobs = if request.dry_run { Vec::new() } else { jobs };
        Ok(RefreshPlan { environment, path, reports, jobs, token, max_concurrency })
    }

    /// Fetches what the plan needs and merges it into the credentials file in one locked, atomic write.
    pub async fn run_refresh(&self, plan: RefreshPlan, progress: Arc<Progress>) -> Result<RefreshReport> {
        let RefreshPlan { environment, path, mut reports, jobs, token, max_concurrency, .. } = plan;
        progress.total.store(jobs.len(), Ordering::Relaxed);
        let token_expires_at = token.as_ref().map(|t| format_rfc3339(t.expires_at));
        if let (false, Some(token)) = (jobs.is_empty(), token.as_ref()) {
            let client = self.clients.portal(&token.region, &self.env)?;
            let results = fetch_all(client, token.access_token.clone(), jobs.clone(), max_concurrency, progress, environment.clone()).await;
            let mut fetched: Vec<(usize, ProfileCredentials)> = Vec::new();
            for (job, result) in results {
                reports[job.index] = Some(match result {
                    Ok(credentials) => {
                        let done = report(&job, ProfileStatus::Refreshed, Some(credentials.expiration), None);
                        fetched.push((job.index, credentials));
                        done
                    }
                    Err(error) => report(&job, ProfileStatus::Failed, None, Some(error)),
                });
            }
            if reports.iter().flatten().any(|r| r.error.as_ref().is_some_and(|e| e.code == ErrorCode::LoginRequired)) {
                self.forget_token(&environment, &token.access_token);
            }
            fetched.sort_by_key(|(index, _)| *index);
            let credentials: Vec<ProfileCredentials> = fetched.into_iter().map(|(_, c)| c).collect();
            let target = path.clone();
            tokio::task::spawn_blocking(move || credentials_file::merge(&target, &credentials))
                .await
                .map_err(|_| Error::new(ErrorCode::Panic, "writing the credentials file panicked"))??;
            for job in &jobs {
                reports[job.index].get_or_insert_with(|| {
                    report(job, ProfileStatus::Failed, None, Some(Error::new(ErrorCode::Panic, "the fetch for this profile panicked")))
                });
            }
        }
        Ok(RefreshReport {
            token_expires_at,
            credentials_file: path.display().to_string(),
            profiles: reports.into_iter().flatten().collect(),
        })
    }

    /// `plan_refresh` then `run_refresh`.
    pub async fn refresh(&self, request: RefreshRequest) -> Result<RefreshReport> {
        let plan = self.plan_refresh(request)?;
        self.run_refresh(plan, Arc::new(Progress::default())).await
    }

    fn forget_token(&self, environment: &str, rejected: &crate::secret::Secret) {
        tracing::info!(environment, "the service rejected the SSO token; forgetting it");
        self.sessions.with(environment, |s| {
            if s.token.as_ref().is_some_and(|t| &t.access_token == rejected) {
                s.token = None;
            }
        });
    }

    pub fn session_status(&self, request: EnvironmentRequest) -> Result<SessionStatus> {
        let environment = request.environment;
        validate::profile_name(&environment, "environment")?;
        let (token, pending) = self.sessions.with(&environment, |s| (s.token.clone(), s.pending.is_some()));
        let status = match (&token, pending) {
            (Some(t), _) if t.valid_for(Duration::ZERO) => SessionState::LoggedIn,
            (_, true) => SessionState::Pending,
            (Some(_), false) => SessionState::Expired,
            (None, false) => SessionState::None,
        };
        Ok(SessionStatus {
            environment,
            status,
            start_url: token.as_ref().map(|t| t.start_url.clone()),
            region: token.as_ref().map(|t| t.region.clone()),
            expires_at: token.as_ref().map(|t| format_rfc3339(t.expires_at)),
            seconds_left: token.as_ref().map(|t| seconds_until(t.expires_at)),
        })
    }

    /// Signs the token out at the service (best effort) and forgets it and any pending login.
    pub async fn logout(&self, request: EnvironmentRequest) -> Result<LogoutResult> {
        let environment = request.environment;
        validate::profile_name(&environment, "environment")?;
        let (token, pending) = self.sessions.with(&environment, |s| (s.token.take(), s.pending.take()));
        if let Some(token) = token.as_ref().filter(|t| t.valid_for(Duration::ZERO)) {
            match self.clients.portal(&token.region, &self.env) {
                Ok(client) => {
                    let signed_out = client.logout().access_token(token.access_token.expose()).send();
                    if tokio::time::timeout(Duration::from_secs(5), signed_out).await.map_or(true, |r| r.is_err()) {
                        tracing::warn!(environment, "the service did not confirm the sign-out; the token is forgotten anyway");
                    }
                }
                Err(error) => tracing::warn!(environment, %error, "not signing out at the service"),
            }
        }
        Ok(LogoutResult { environment, logged_out: token.is_some() || pending.is_some() })
    }
}

fn report(job: &Job, status: ProfileStatus, expiration: Option<SystemTime>, error: Option<Error>) -> ProfileReport {
    ProfileReport {
        profile: job.profile.clone(),
        account_id: job.account_id.clone(),
        role_name: job.role_name.clone(),
        status,
        expires_at: expiration.map(format_rfc3339),
        error,
    }
}

/// Every account checked, its role resolved, and profile names unique.
fn checked_accounts(request: &RefreshRequest) -> Result<Vec<Job>> {
    if request.accounts.is_empty() {
        return Err(Error::invalid_input("accounts is empty: give at least one {profile, accountId, roleName}"));
    }
    if request.accounts.len() > MAX_ACCOUNTS {
        return Err(Error::invalid_input(format!("accounts has {} entries; at most {MAX_ACCOUNTS} are allowed", request.accounts.len())));
    }
    if let Some(role) = &request.default_role_name {
        validate::role_name(role, "defaultRoleName")?;
    }
    let mut first_use: HashMap<&str, usize> = HashMap::new();
    let mut jobs = Vec::with_capacity(request.accounts.len());
    for (index, account) in request.accounts.iter().enumerate() {
        let field = |name: &str| format!("accounts[{index}].{name}");
        validate::profile_name(&account.profile, &field("profile"))?;
        validate::account_id(&account.account_id, &field("accountId"))?;
        let role_name = match account.role_name.as_ref().or(request.default_role_name.as_ref()) {
            Some(role) => role.clone(),
            None => {
                return Err(Error::invalid_input(format!(
                    "{} is missing and no defaultRoleName was given (profile '{}')",
                    field("roleName"),
                    account.profile
                )))
            }
        };
        validate::role_name(&role_name, &field("roleName"))?;
        if let Some(earlier) = first_use.insert(&account.profile, index) {
            return Err(Error::invalid_input(format!(
                "profile '{}' appears twice (accounts[{earlier}] and accounts[{index}])",
                account.profile
            )));
        }
        jobs.push(Job { index, profile: account.profile.clone(), account_id: account.account_id.clone(), role_name });
    }
    Ok(jobs)
}
