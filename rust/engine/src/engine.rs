//! The engine's public face: log in, refresh many profiles, report and end sessions. Safe, async,
//! and free of FFI types; the C ABI and the command line are thin layers over it.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;

use crate::api::*;
use crate::credentials_file::{self, ProfileCredentials};
use crate::credentials_file::{lock_path, FileLock, StoredProfile};
use crate::discovery::{discover, name_profiles, Derived, Filters, Renamed, Template};
use crate::env::Env;
use crate::error::{Error, ErrorCode, Result};
use crate::login::{self, PollOutcome, SLOW_DOWN_STEP};
use crate::portal::Clients;
use crate::refresh::{fetch_all, Job, Progress};
use crate::session::{Persistence, Registration, Session, Sessions, WaitingLogin};
use crate::time::{format_rfc3339, seconds_until};
use crate::token_cache;
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
/// How long a process waits for another process's device login before giving up.
const OTHER_LOGIN_TIMEOUT: Duration = Duration::from_secs(15 * 60);
const OTHER_LOGIN_CHECK: Duration = Duration::from_millis(250);

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
    /// One slot per profile, in request order (discovered profiles after them).
    reports: Vec<Option<ProfileReport>>,
    jobs: Vec<Job>,
    stored: HashMap<String, StoredProfile>,
    rules: Classification,
    /// Set when every reachable account and role is to be added once listed.
    discovery: Option<Discovery>,
    renamed: Vec<Renamed>,
    cache_file: Option<PathBuf>,
    start_url: Option<String>,
    max_concurrency: usize,
}

/// How a profile is judged current, and whether anything may be fetched.
#[derive(Debug, Clone, Copy)]
struct Classification {
    valid_until: SystemTime,
    force: bool,
    dry_run: bool,
}

#[derive(Debug)]
struct Discovery {
    filters: Filters,
    template: Template,
    /// Every profile name already in the request: a discovered name never takes one of them.
    taken: HashSet<String>,
    /// (account, role) pairs already in the request: not added twice.
    requested: HashSet<(String, String)>,
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

    pub(crate) fn env(&self) -> &Env {
        &self.env
    }

    pub(crate) fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    pub(crate) fn clients(&self) -> &Clients {
        &self.clients
    }

    /// Reuses a cached token (renewing it with its refresh token if needed), or starts a device
    /// login the user must approve, or, when another process is already running that login, waits
    /// for its result instead of opening another browser tab.
    pub async fn login_start(&self, request: LoginStartRequest) -> Result<LoginStart> {
        let environment = &request.environment;
        validate::profile_name(environment, "environment")?;
        validate::start_url(&request.start_url, "startUrl")?;
        validate::region(&request.region, "region")?;
        let client = self.clients.oidc(&request.region, &self.env)?;
        let persist = self.persistence(environment, request.no_token_file, request.write_sso_session)?;
        // A `login_cancel` (or `logout`) from now on leaves nothing of this start behind.
        let generation = self.sessions.with(environment, |s| s.generation);
        if !request.force_login {
            if let Some(done) = self.reuse_login(environment, &request.start_url, &persist).await? {
                return Ok(done);
            }
        }
        if let Some(cache_file) = &persist.cache_file {
            if !self.take_login_lock(environment, cache_file, generation)? {
                let waiting = WaitingLogin {
                    since: Instant::now(),
                    start_url: request.start_url.clone(),
                    cache_file: cache_file.clone(),
                    persist: persist.clone(),
                };
                if !self.sessions.with(environment, |s| {
                    let current = s.generation == generation;
                    if current {
                        s.waiting = Some(waiting);
                    }
                    current
                }) {
                    return Err(login_cancelled(environment));
                }
                return Ok(LoginStart::Waiting {
                    message: format!("another process is already logging in to environment '{environment}'; waiting for it to finish"),
                });
            }
            // That other process may have finished just before the lock was taken.
            if !request.force_login {
                let reused = self.reuse_login(environment, &request.start_url, &persist).await;
                if !matches!(reused, Ok(None)) {
                    self.release_login_lock(environment, generation);
                    if let Some(done) = reused? {
                        return Ok(done);
                    }
                }
            }
        }
        let started = self.start_device_login(environment, &client, &request, &persist, generation).await;
        if started.is_err() {
            self.release_login_lock(environment, generation);
        }
        started
    }

    /// Releases the login lock this process holds, unless a cancel already did (and a new login
    /// may hold it now).
    fn release_login_lock(&self, environment: &str, generation: u64) {
        self.sessions.with(environment, |s| {
            if s.generation == generation {
                s.login_lock = None;
            }
        });
    }

    /// Forgets the pending device login, or the wait for another process's login, and releases
    /// the login lock at once so that another process can log in. The stored token and the cache
    /// file are left alone. A `login_poll` blocked on another thread returns at once.
    pub fn login_cancel(&self, request: EnvironmentRequest) -> Result<LoginCancelled> {
        let environment = request.environment;
        validate::profile_name(&environment, "environment")?;
        let cancelled = self.sessions.with(&environment, Session::forget_login);
        self.sessions.notify_login_forgotten();
        if cancelled {
            tracing::info!(environment, "login cancelled");
        }
        Ok(LoginCancelled { environment, cancelled })
    }

    /// The stored token, if it has more than a few minutes left (after a refresh if needed).
    async fn reuse_login(
        &self,
        environment: &str,
        start_url: &str,
        persist: &Persistence,
    ) -> Result<Option<LoginStart>> {
        match self.usable_token(environment, persist.cache_file.as_deref(), Some(start_url)).await {
            Ok(token) if token.valid_for(TOKEN_REUSE_MARGIN) => {
                tracing::debug!(environment, "reusing the stored SSO token");
                if let Some(config) = &persist.sso_session_config {
                    self.write_sso_session(environment, &token, config)?;
                }
                Ok(Some(LoginStart::LoggedIn { expires_at: format_rfc3339(token.expires_at) }))
            }
            Ok(_) => Ok(None),
            Err(error) if error.code == ErrorCode::LoginRequired => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Takes the session's cross-process login lock; false when another process holds it.
    /// Fails with `LoginRequired` when the login was cancelled since `generation`.
    fn take_login_lock(&self, environment: &str, cache_file: &std::path::Path, generation: u64) -> Result<bool> {
        if self.sessions.with(environment, |s| s.login_lock.is_some()) {
            return Ok(true);
        }
        if let Some(folder) = cache_file.parent() {
            crate::credentials_file::create_private_dir(folder).map_err(|e| Error::io("cannot create", folder, &e))?;
        }
        match FileLock::try_acquire(&lock_path(cache_file))? {
            Some(lock) => {
                let current = self.sessions.with(environment, |s| {
                    let current = s.generation == generation;
                    if current {
                        s.login_lock = Some(lock);
                        s.waiting = None;
                    }
                    current
                });
                if current {
                    Ok(true)
                } else {
                    Err(login_cancelled(environment))
                }
            }
            None => Ok(false),
        }
    }

    async fn start_device_login(
        &self,
        environment: &str,
        client: &aws_sdk_ssooidc::Client,
        request: &LoginStartRequest,
        persist: &Persistence,
        generation: u64,
    ) -> Result<LoginStart> {
        let cache_file = persist.cache_file.as_deref();
        let registration = self.registration(client, &request.region, cache_file).await?;
        let authorization = match login::start(client, &registration, &request.start_url, persist).await {
            Ok(authorization) => authorization,
            Err(Some(error)) => return Err(error.context(format!("environment '{environment}'"))),
            Err(None) => {
                tracing::debug!(environment, "the client registration was rejected; registering again");
                self.sessions.forget_registration(&self.registration_key(&request.region)?);
                let registration = self.registration(client, &request.region, None).await?;
                login::start(client, &registration, &request.start_url, persist).await.map_err(|e| {
                    e.unwrap_or_else(|| {
                        Error::new(
                            ErrorCode::ServiceError,
                            "StartDeviceAuthorization rejected a new client registration",
                        )
                    })
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
        let current = self.sessions.with(environment, |s| {
            let current = s.generation == generation;
            if current {
                s.pending = Some(authorization.pending);
            }
            current
        });
        if current {
            Ok(started)
        } else {
            Err(login_cancelled(environment))
        }
    }

    /// The client registration for this region and OIDC endpoint, registering when there is none
    /// that outlives a device login.
    /// A registration kept in the session's cache file by an earlier process is reused too.
    async fn registration(
        &self,
        client: &aws_sdk_ssooidc::Client,
        region: &str,
        cache_file: Option<&std::path::Path>,
    ) -> Result<Registration> {
        let key = self.registration_key(region)?;
        if let Some(registration) = self.sessions.registration(&key, REGISTRATION_MARGIN) {
            return Ok(registration);
        }
        if let Some(registration) = self.cached_registration(cache_file, region, REGISTRATION_MARGIN) {
            self.sessions.store_registration(&key, registration.clone());
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

    /// Waits at most `waitMs` for the user to approve the pending login, polling as the service
    /// asks; or for another process's login to finish.
    pub async fn login_poll(&self, request: LoginPollRequest) -> Result<LoginPoll> {
        let environment = &request.environment;
        validate::profile_name(environment, "environment")?;
        let deadline =
            Instant::now() + Duration::from_millis(request.wait_ms.unwrap_or(DEFAULT_WAIT_MS).min(MAX_WAIT_MS));
        // Subscribed before the session is read, so that no `login_cancel` goes unnoticed.
        let mut forgotten = self.sessions.forgotten_logins();
        loop {
            let (waiting, generation) = self.sessions.with(environment, |s| (s.waiting.clone(), s.generation));
            if let Some(waiting) = waiting {
                return self.wait_for_other_login(environment, waiting, deadline, generation, &mut forgotten).await;
            }
            let Some(pending) = self.sessions.with(environment, |s| s.pending.clone()) else {
                return match self
                    .sessions
                    .with(environment, |s| s.token.clone())
                    .filter(|t| t.valid_for(Duration::ZERO))
                {
                    Some(token) => Ok(LoginPoll::LoggedIn { expires_at: format_rfc3339(token.expires_at) }),
                    None => Err(Error::login_required(environment, "no login is in progress (call login_start first)")),
                };
            };
            let now = Instant::now();
            if now >= pending.expires {
                self.end_device_login(environment, &pending.device_code);
                return Err(Error::new(
                    ErrorCode::DeviceCodeExpired,
                    format!("environment '{environment}': the login code expired before it was approved; start the login again"),
                ));
            }
            if pending.next_poll > now {
                // A cancel wakes this early; the loop then finds the login gone.
                let woken = pause_until(pending.next_poll.min(deadline), &mut forgotten).await;
                if !woken && pending.next_poll >= deadline {
                    return Ok(LoginPoll::Pending);
                }
                continue;
            }
            let client = self.clients.oidc(&pending.region, &self.env)?;
            let outcome = login::poll(&client, &pending, environment).await;
            let is_same =
                |s: &crate::session::Session| s.pending.as_ref().is_some_and(|p| p.device_code == pending.device_code);
            match outcome {
                Ok(PollOutcome::Token(token)) => {
                    // Claimed only while it is still the session's login: a cancel made during
                    // the call wins, and the token is dropped.
                    let Some(lock) = self.sessions.with(environment, |s| {
                        is_same(s).then(|| {
                            s.pending = None;
                            s.rejected = None;
                            s.login_lock.take()
                        })
                    }) else {
                        return Err(login_cancelled(environment));
                    };
                    let expires_at = format_rfc3339(token.expires_at);
                    tracing::info!(environment, expires_at, "logged in");
                    // Written before the lock is released, so processes waiting for it find it.
                    let remembered = self.remember_token(environment, token, &pending.persist);
                    drop(lock);
                    remembered?;
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
                    let final_ = matches!(
                        error.code,
                        ErrorCode::DeviceCodeExpired | ErrorCode::AccessDenied | ErrorCode::LoginRequired
                    );
                    let same = self.sessions.with(environment, |s| {
                        if !is_same(s) {
                            return false;
                        }
                        if final_ {
                            s.pending = None;
                            s.login_lock = None;
                        } else if let Some(p) = s.pending.as_mut() {
                            p.next_poll = Instant::now() + p.interval;
                        }
                        true
                    });
                    return Err(if same { error } else { login_cancelled(environment) });
                }
            }
            if Instant::now() >= deadline {
                return Ok(LoginPoll::Pending);
            }
        }
    }

    /// Forgets the pending device login and lets other processes log in, if it is still the one
    /// with this device code (not cancelled, nor replaced by a new one).
    fn end_device_login(&self, environment: &str, device_code: &crate::secret::Secret) {
        self.sessions.with(environment, |s| {
            if s.pending.as_ref().is_some_and(|p| &p.device_code == device_code) {
                s.pending = None;
                s.login_lock = None;
            }
        });
    }

    /// Another process runs the device login: its token appears in the cache file, then it
    /// releases the lock. A lock that frees up with no token means that login failed.
    async fn wait_for_other_login(
        &self,
        environment: &str,
        waiting: WaitingLogin,
        deadline: Instant,
        generation: u64,
        forgotten: &mut watch::Receiver<u64>,
    ) -> Result<LoginPoll> {
        let cache_file = Some(waiting.cache_file.as_path());
        let stop_waiting = |engine: &Engine| {
            engine.sessions.with(environment, |s| {
                if s.generation == generation {
                    s.waiting = None;
                }
            })
        };
        let finished = |engine: &Engine| -> Result<Option<LoginPoll>> {
            let token = engine.stored_token(environment, cache_file)?;
            match token.filter(|t| t.start_url == waiting.start_url && t.valid_for(TOKEN_REUSE_MARGIN)) {
                Some(token) => {
                    stop_waiting(engine);
                    if let Some(config) = &waiting.persist.sso_session_config {
                        engine.write_sso_session(environment, &token, config)?;
                    }
                    Ok(Some(LoginPoll::LoggedIn { expires_at: format_rfc3339(token.expires_at) }))
                }
                None => Ok(None),
            }
        };
        loop {
            if self.sessions.with(environment, |s| s.generation != generation) {
                return Err(login_cancelled(environment));
            }
            if let Some(done) = finished(self)? {
                return Ok(done);
            }
            if FileLock::try_acquire(&lock_path(&waiting.cache_file))?.is_some() {
                if let Some(done) = finished(self)? {
                    return Ok(done);
                }
                stop_waiting(self);
                return Err(Error::login_required(environment, "the login in another process ended without a token"));
            }
            if waiting.since.elapsed() > OTHER_LOGIN_TIMEOUT {
                stop_waiting(self);
                let lock = lock_path(&waiting.cache_file);
                return Err(Error::login_required(
                    environment,
                    &format!(
                        "gave up after {} minutes waiting for another process's login (it holds {})",
                        OTHER_LOGIN_TIMEOUT.as_secs() / 60,
                        lock.display()
                    ),
                ));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(LoginPoll::Pending);
            }
            pause_until(now + OTHER_LOGIN_CHECK.min(deadline - now), forgotten).await;
        }
    }

    /// Checks the request, reads what the credentials file holds and decides what to fetch.
    /// Fails with `InvalidInput` before anything is sent, and with `LoginRequired` when something
    /// must be fetched (or listed) but there is no token that is valid or could be renewed.
    pub fn plan_refresh(&self, request: RefreshRequest) -> Result<RefreshPlan> {
        let environment = request.environment.clone();
        validate::profile_name(&environment, "environment")?;
        let max_concurrency = checked_concurrency(request.max_concurrency)?;
        if let Some(region) = &request.region {
            validate::region(region, "region")?;
        }
        if request.credentials_file.as_deref().is_some_and(|f| f.trim().is_empty()) {
            return Err(Error::invalid_input("credentialsFile is blank"));
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
        let (explicit, derived) = checked_accounts(&request)?;
        let path = credentials_file::resolve_path(request.credentials_file.as_deref(), &self.env)?;
        let stored = credentials_file::read_stored(&path)?;
        let rules = Classification {
            valid_until: SystemTime::now()
                + Duration::from_secs(request.min_validity_seconds.unwrap_or(DEFAULT_MIN_VALIDITY_SECONDS)),
            force: request.force,
            dry_run: request.dry_run,
        };
        let taken: HashSet<String> = explicit.iter().map(|j| j.profile.clone()).collect();
        let (names, renamed) =
            name_profiles(&template, &derived.iter().map(|(_, d)| d.clone()).collect::<Vec<_>>(), &taken);
        let mut named: Vec<Job> = explicit;
        for ((index, d), profile) in derived.into_iter().zip(names) {
            named.push(Job { index, profile, account_id: d.account_id, role_name: d.role_name });
        }
        named.sort_by_key(|job| job.index);
        let mut reports = vec![None; named.len()];
        let mut jobs = Vec::new();
        classify(named.clone(), &stored, rules, &mut reports, &mut jobs);
        let discovery = request.discover.then(|| Discovery {
            filters,
            template,
            taken: named.iter().map(|j| j.profile.clone()).collect(),
            requested: named.iter().map(|j| (j.account_id.clone(), j.role_name.clone())).collect(),
        });
        // Only a run that must send needs a token, so a run with nothing to do never asks to log in.
        let cache_file = if jobs.is_empty() && discovery.is_none() {
            None
        } else {
            let cache_file = self.persistence(&environment, request.no_token_file, false)?.cache_file;
            self.check_token_available(&environment, cache_file.as_deref(), request.start_url.as_deref())?;
            cache_file
        };
        Ok(RefreshPlan {
            environment,
            path,
            reports,
            jobs,
            stored,
            rules,
            discovery,
            renamed,
            cache_file,
            start_url: request.start_url,
            max_concurrency,
        })
    }

    /// Lists every reachable account and role and adds the ones not in the request to the plan.
    async fn add_discovered(&self, plan: &mut RefreshPlan, token: &crate::session::SsoToken) -> Result<Vec<Error>> {
        let Some(discovery) = plan.discovery.take() else { return Ok(Vec::new()) };
        let client = self.clients.portal(&token.region, &self.env)?;
        let accounts = discover(client, token.access_token.clone(), plan.max_concurrency, &discovery.filters).await?;
        let errors: Vec<Error> = accounts.iter().filter_map(|a| a.error.clone()).collect();
        let derived: Vec<Derived> = accounts
            .iter()
            .flat_map(|a| {
                a.roles.iter().map(|role| Derived {
                    account_id: a.account_id.clone(),
                    account_name: a.account_name.clone(),
                    role_name: role.clone(),
                })
            })
            .filter(|d| !discovery.requested.contains(&(d.account_id.clone(), d.role_name.clone())))
            .collect();
        let (names, renamed) = name_profiles(&discovery.template, &derived, &discovery.taken);
        plan.renamed.extend(renamed);
        let first = plan.reports.len();
        let jobs: Vec<Job> = derived
            .into_iter()
            .zip(names)
            .enumerate()
            .map(|(k, (d, profile))| Job {
                index: first + k,
                profile,
                account_id: d.account_id,
                role_name: d.role_name,
            })
            .collect();
        plan.reports.resize(first + jobs.len(), None);
        classify(jobs, &plan.stored, plan.rules, &mut plan.reports, &mut plan.jobs);
        Ok(errors)
    }

    /// Lists every account and role the login can reach, without fetching credentials.
    pub async fn discover(&self, request: DiscoverRequest) -> Result<DiscoverResult> {
        let environment = &request.environment;
        validate::profile_name(environment, "environment")?;
        if let Some(start_url) = &request.start_url {
            validate::start_url(start_url, "startUrl")?;
        }
        let max_concurrency = checked_concurrency(request.max_concurrency)?;
        let filters = Filters::checked(request.include_account, request.exclude_account, request.include_role)?;
        let cache_file = self.persistence(environment, request.no_token_file, false)?.cache_file;
        self.check_token_available(environment, cache_file.as_deref(), request.start_url.as_deref())?;
        let token = self.usable_token(environment, cache_file.as_deref(), request.start_url.as_deref()).await?;
        let client = self.clients.portal(&token.region, &self.env)?;
        match discover(client, token.access_token.clone(), max_concurrency, &filters).await {
            Err(error) if error.code == ErrorCode::LoginRequired => {
                self.reject_token(environment, &token.access_token);
                Err(Error::login_required(environment, &error.message))
            }
            other => other.map(|accounts| DiscoverResult { accounts }),
        }
    }

    /// Fetches what the plan needs and merges it into the credentials file in one locked, atomic write.
    pub async fn run_refresh(&self, plan: RefreshPlan, progress: Arc<Progress>) -> Result<RefreshReport> {
        let mut plan = plan;
        let mut token_expires_at = None;
        let mut discovery_errors = Vec::new();
        let mut token = None;
        if !plan.jobs.is_empty() || plan.discovery.is_some() {
            let usable =
                self.usable_token(&plan.environment, plan.cache_file.as_deref(), plan.start_url.as_deref()).await?;
            token_expires_at = Some(format_rfc3339(usable.expires_at));
            discovery_errors = match self.add_discovered(&mut plan, &usable).await {
                Err(error) if error.code == ErrorCode::LoginRequired => {
                    self.reject_token(&plan.environment, &usable.access_token);
                    return Err(Error::login_required(&plan.environment, &error.message));
                }
                other => other?,
            };
            token = Some(usable);
        }
        let RefreshPlan { environment, path, mut reports, jobs, renamed, max_concurrency, .. } = plan;
        progress.total.store(jobs.len(), Ordering::Relaxed);
        if let (false, Some(token)) = (jobs.is_empty(), token) {
            let client = self.clients.portal(&token.region, &self.env)?;
            let results = fetch_all(
                client,
                token.access_token.clone(),
                jobs.clone(),
                max_concurrency,
                progress,
                environment.clone(),
            )
            .await;
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
                self.reject_token(&environment, &token.access_token);
            }
            fetched.sort_by_key(|(index, _)| *index);
            let credentials: Vec<ProfileCredentials> = fetched.into_iter().map(|(_, c)| c).collect();
            let target = path.clone();
            tokio::task::spawn_blocking(move || credentials_file::merge(&target, &credentials))
                .await
                .map_err(|_| Error::new(ErrorCode::Panic, "writing the credentials file panicked"))??;
            for job in &jobs {
                reports[job.index].get_or_insert_with(|| {
                    report(
                        job,
                        ProfileStatus::Failed,
                        None,
                        Some(Error::new(ErrorCode::Panic, "the fetch for this profile panicked")),
                    )
                });
            }
        }
        Ok(RefreshReport {
            token_expires_at,
            credentials_file: path.display().to_string(),
            profiles: reports.into_iter().flatten().collect(),
            renamed,
            discovery_errors,
        })
    }

    /// `plan_refresh` then `run_refresh`.
    pub async fn refresh(&self, request: RefreshRequest) -> Result<RefreshReport> {
        let plan = self.plan_refresh(request)?;
        self.run_refresh(plan, Arc::new(Progress::default())).await
    }

    /// The session's token state, from memory or the cache file; no network call.
    pub fn session_status(&self, request: EnvironmentRequest) -> Result<SessionStatus> {
        let environment = request.environment;
        validate::profile_name(&environment, "environment")?;
        let cache_file = self.persistence(&environment, request.no_token_file, false)?.cache_file;
        let token = self.stored_token(&environment, cache_file.as_deref())?;
        let in_progress = self.sessions.with(&environment, |s| s.pending.is_some() || s.waiting.is_some());
        let status = match (&token, in_progress) {
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
            refreshable: token.as_ref().is_some_and(|t| t.refreshable()),
        })
    }

    /// Signs the token out at the service (best effort), forgets it and any pending login, and
    /// removes the session's cache file.
    pub async fn logout(&self, request: EnvironmentRequest) -> Result<LogoutResult> {
        let environment = request.environment;
        validate::profile_name(&environment, "environment")?;
        let cache_file = self.persistence(&environment, request.no_token_file, false)?.cache_file;
        let token = self.stored_token(&environment, cache_file.as_deref())?;
        let had_login = self.sessions.with(&environment, |s| {
            let had = s.pending.is_some() || s.waiting.is_some();
            *s = Session { generation: s.generation + 1, ..Default::default() };
            had
        });
        self.sessions.notify_login_forgotten();
        if let Some(token) = token.as_ref().filter(|t| t.valid_for(Duration::ZERO)) {
            match self.clients.portal(&token.region, &self.env) {
                Ok(client) => {
                    let signed_out = client.logout().access_token(token.access_token.expose()).send();
                    if tokio::time::timeout(Duration::from_secs(5), signed_out).await.map_or(true, |r| r.is_err()) {
                        tracing::warn!(
                            environment,
                            "the service did not confirm the sign-out; the token is forgotten anyway"
                        );
                    }
                }
                Err(error) => tracing::warn!(environment, %error, "not signing out at the service"),
            }
        }
        if let Some(path) = &cache_file {
            token_cache::remove(path)?;
        }
        Ok(LogoutResult { environment, logged_out: token.is_some() || had_login })
    }
}

/// What a `login_start` or `login_poll` answers when `login_cancel` (or `logout`) ended its login.
fn login_cancelled(environment: &str) -> Error {
    Error::login_required(environment, "the login was cancelled")
}

/// Sleeps until `until`; true when woken earlier because a login was forgotten (cancel, logout).
async fn pause_until(until: Instant, forgotten: &mut watch::Receiver<u64>) -> bool {
    tokio::select! {
        Ok(()) = forgotten.changed() => true,
        () = tokio::time::sleep_until(until.into()) => false,
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

/// A request entry without a profile name, and its position in the request.
type Unnamed = (usize, Derived);

/// The request's concurrency bound, or the default.
fn checked_concurrency(requested: Option<usize>) -> Result<usize> {
    let max_concurrency = requested.unwrap_or(DEFAULT_MAX_CONCURRENCY);
    if (1..=MAX_CONCURRENCY_LIMIT).contains(&max_concurrency) {
        Ok(max_concurrency)
    } else {
        Err(Error::invalid_input(format!(
            "maxConcurrency {max_concurrency} is not between 1 and {MAX_CONCURRENCY_LIMIT}"
        )))
    }
}

/// Every account checked and its role resolved. Entries with a profile name (checked, unique) become
/// jobs; entries without one are returned with their position, to be named from the template.
fn checked_accounts(request: &RefreshRequest) -> Result<(Vec<Job>, Vec<Unnamed>)> {
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
    let (mut jobs, mut derived) = (Vec::new(), Vec::new());
    for (index, account) in request.accounts.iter().enumerate() {
        let field = |name: &str| format!("accounts[{index}].{name}");
        validate::account_id(&account.account_id, &field("accountId"))?;
        let role_name = match account.role_name.as_ref().or(request.default_role_name.as_ref()) {
            Some(role) => role.clone(),
            None => {
                return Err(Error::invalid_input(format!(
                    "{} is missing and no defaultRoleName was given (account {})",
                    field("roleName"),
                    account.account_id
                )))
            }
        };
        validate::role_name(&role_name, &field("roleName"))?;
        let Some(profile) = &account.profile else {
            let account_name = account.account_name.clone().unwrap_or_else(|| account.account_id.clone());
            derived.push((index, Derived { account_id: account.account_id.clone(), account_name, role_name }));
            continue;
        };
        validate::profile_name(profile, &field("profile"))?;
        if let Some(earlier) = first_use.insert(profile, index) {
            return Err(Error::invalid_input(format!(
                "profile '{profile}' appears twice (accounts[{earlier}] and accounts[{index}])"
            )));
        }
        jobs.push(Job { index, profile: profile.clone(), account_id: account.account_id.clone(), role_name });
    }
    Ok((jobs, derived))
}

/// Sorts jobs into current ones (reported now) and ones to fetch (or, in a dry run, reported as
/// `wouldRefresh`).
fn classify(
    jobs: Vec<Job>,
    stored: &HashMap<String, StoredProfile>,
    rules: Classification,
    reports: &mut [Option<ProfileReport>],
    to_fetch: &mut Vec<Job>,
) {
    for job in jobs {
        let current =
            stored.get(&job.profile).filter(|p| p.is_current_for(&job.account_id, &job.role_name, rules.valid_until));
        match current {
            Some(profile) if !rules.force => {
                tracing::debug!(profile = %job.profile, "credentials still valid; not fetched");
                reports[job.index] = Some(report(&job, ProfileStatus::Current, profile.expiration, None));
            }
            _ if rules.dry_run => reports[job.index] = Some(report(&job, ProfileStatus::WouldRefresh, None, None)),
            _ => to_fetch.push(job),
        }
    }
}
