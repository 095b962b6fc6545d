//! What the fake simulates: accounts and roles, how logins are approved, lifetimes, latency and
//! the ways the real service pushes back (throttling, errors, an in-flight cap, a rate limit).

use std::io;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::limits::{RateLimit, RateWindow};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeAccount {
    pub account_id: String,
    pub account_name: String,
    pub email_address: String,
    pub roles: Vec<String>,
}

/// How a login gets approved. An authorization-code login is approved (or denied) when its
/// `/authorize` page is fetched: `OnVerificationGet` and `AfterPolls` both approve there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approval {
    /// When the `verificationUriComplete` page (or `/authorize`) is fetched with a plain GET, as a
    /// browser does.
    OnVerificationGet,
    /// A device login by itself on the k-th CreateToken poll.
    AfterPolls(u32),
    /// Denied: the next poll answers AccessDeniedException, whether or not the page was fetched;
    /// `/authorize` redirects with `error=access_denied`.
    Deny,
    /// Never: the device code eventually expires, and `/authorize` shows a page that never
    /// redirects.
    Never,
}

#[derive(Clone, Debug)]
pub struct FakeConfig {
    pub accounts: Vec<FakeAccount>,
    /// (account id, role name) pairs answered with 403 ForbiddenException.
    pub forbidden: Vec<(String, String)>,
    pub approval: Approval,
    pub interval_seconds: i32,
    /// Answer SlowDownException to polls that come sooner than the interval (as the service does).
    pub enforce_interval: bool,
    /// Answer SlowDownException to the first N polls whatever their timing.
    pub slow_down_polls: u32,
    pub device_code_ttl: Duration,
    /// How long an authorization code may wait for its exchange.
    pub authorization_code_ttl: Duration,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub registration_ttl: Duration,
    pub credential_ttl: Duration,
    /// Added to every API request, while it holds its in-flight slot.
    pub latency: Duration,
    /// Fractions of portal requests answered 429 / 500 at random.
    pub throttle_rate: f64,
    /// Every (account, role) has its first this many GetRoleCredentials calls answered 429, whatever
    /// the pace: many retries in a row, deterministically.
    pub throttle_first_attempts: u32,
    pub server_error_rate: f64,
    /// Requests beyond this many in flight at once are answered 429.
    pub max_in_flight: Option<usize>,
    /// A rate limit over the portal's requests (the SSO-OIDC calls of a login are not counted),
    /// token bucket or fixed window; 429 above it.
    pub rate_limit: Option<RateLimit>,
    /// Rate-limit 429s carry `Retry-After` (whole seconds, rounded up) and `x-amz-retry-after`
    /// (milliseconds): when a request would next be admitted. Off by default, as IAM Identity
    /// Center sends neither.
    pub retry_after: bool,
    pub page_size: usize,
    pub seed: u64,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            accounts: Vec::new(),
            forbidden: Vec::new(),
            approval: Approval::OnVerificationGet,
            interval_seconds: 1,
            enforce_interval: true,
            slow_down_polls: 0,
            device_code_ttl: Duration::from_secs(600),
            authorization_code_ttl: Duration::from_secs(300),
            access_token_ttl: Duration::from_secs(8 * 3600),
            refresh_token_ttl: Duration::from_secs(90 * 86400),
            registration_ttl: Duration::from_secs(90 * 86400),
            credential_ttl: Duration::from_secs(3600),
            latency: Duration::ZERO,
            throttle_rate: 0.0,
            throttle_first_attempts: 0,
            server_error_rate: 0.0,
            max_in_flight: None,
            rate_limit: None,
            retry_after: false,
            page_size: 20,
            seed: 1,
        }
    }
}

impl FakeConfig {
    /// `n` accounts, ids `100000000000 + i`, names `account-0001`..., each with every role given.
    pub fn with_generated_accounts(n: usize, roles: &[&str]) -> Self {
        FakeConfig { accounts: generated_accounts(n, roles), ..FakeConfig::default() }
    }

    /// Reads the JSON format documented on [`ConfigFile`].
    pub fn from_json_file(path: &Path) -> io::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        let file: ConfigFile =
            serde_json::from_str(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        Ok(file.into_config())
    }
}

pub fn generated_accounts(n: usize, roles: &[&str]) -> Vec<FakeAccount> {
    (0..n)
        .map(|i| {
            let name = format!("account-{:04}", i + 1);
            FakeAccount {
                account_id: format!("{}", 100_000_000_000u64 + i as u64),
                email_address: format!("{name}@example.com"),
                account_name: name,
                roles: roles.iter().map(|r| r.to_string()).collect(),
            }
        })
        .collect()
}

/// The configuration file, camelCase JSON; every field optional:
/// `{"generatedAccounts": 50, "roles": ["ReadOnly"], "accounts": [{"accountId", "accountName",
/// "emailAddress", "roles": [...]}], "forbidden": [{"accountId", "roleName"}], "approval":
/// "onVerificationGet" | "deny" | "never" | {"afterPolls": 2}, "intervalSeconds", "slowDownPolls",
/// "enforceInterval", "deviceCodeTtlSeconds", "authorizationCodeTtlSeconds", "tokenTtlSeconds",
/// "refreshTokenTtlSeconds", "registrationTtlSeconds", "credentialTtlSeconds", "latencyMs",
/// "throttleRate", "serverErrorRate", "maxInFlight", "requestsPerSecond", "burst", "rateWindow":
/// "bucket" | "fixed", "retryAfter", "pageSize", "seed"}`. `burst` (a bucket's capacity, default the rate) and `rateWindow` apply to
/// `requestsPerSecond`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ConfigFile {
    generated_accounts: Option<usize>,
    roles: Option<Vec<String>>,
    accounts: Vec<AccountEntry>,
    forbidden: Vec<ForbiddenEntry>,
    approval: Option<ApprovalEntry>,
    interval_seconds: Option<i32>,
    slow_down_polls: Option<u32>,
    enforce_interval: Option<bool>,
    device_code_ttl_seconds: Option<u64>,
    authorization_code_ttl_seconds: Option<u64>,
    token_ttl_seconds: Option<u64>,
    refresh_token_ttl_seconds: Option<u64>,
    registration_ttl_seconds: Option<u64>,
    credential_ttl_seconds: Option<u64>,
    latency_ms: Option<u64>,
    throttle_rate: Option<f64>,
    throttle_first_attempts: Option<u32>,
    server_error_rate: Option<f64>,
    max_in_flight: Option<usize>,
    requests_per_second: Option<u32>,
    burst: Option<u32>,
    rate_window: Option<WindowEntry>,
    retry_after: Option<bool>,
    page_size: Option<usize>,
    seed: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AccountEntry {
    account_id: String,
    account_name: String,
    #[serde(default)]
    email_address: String,
    roles: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ForbiddenEntry {
    account_id: String,
    role_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum ApprovalEntry {
    OnVerificationGet,
    Deny,
    Never,
    AfterPolls(u32),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum WindowEntry {
    Bucket,
    Fixed,
}

impl ConfigFile {
    fn into_config(self) -> FakeConfig {
        let d = FakeConfig::default();
        let secs = |v: Option<u64>, default: Duration| v.map_or(default, Duration::from_secs);
        let roles: Vec<String> = self.roles.unwrap_or_else(|| vec!["ReadOnly".into(), "Admin".into()]);
        let role_refs: Vec<&str> = roles.iter().map(String::as_str).collect();
        let mut accounts = generated_accounts(self.generated_accounts.unwrap_or(0), &role_refs);
        accounts.extend(self.accounts.into_iter().map(|a| FakeAccount {
            account_id: a.account_id,
            account_name: a.account_name,
            email_address: a.email_address,
            roles: a.roles,
        }));
        FakeConfig {
            accounts,
            forbidden: self.forbidden.into_iter().map(|f| (f.account_id, f.role_name)).collect(),
            approval: match self.approval {
                None | Some(ApprovalEntry::OnVerificationGet) => Approval::OnVerificationGet,
                Some(ApprovalEntry::Deny) => Approval::Deny,
                Some(ApprovalEntry::Never) => Approval::Never,
                Some(ApprovalEntry::AfterPolls(k)) => Approval::AfterPolls(k),
            },
            interval_seconds: self.interval_seconds.unwrap_or(d.interval_seconds),
            enforce_interval: self.enforce_interval.unwrap_or(d.enforce_interval),
            slow_down_polls: self.slow_down_polls.unwrap_or(0),
            device_code_ttl: secs(self.device_code_ttl_seconds, d.device_code_ttl),
            authorization_code_ttl: secs(self.authorization_code_ttl_seconds, d.authorization_code_ttl),
            access_token_ttl: secs(self.token_ttl_seconds, d.access_token_ttl),
            refresh_token_ttl: secs(self.refresh_token_ttl_seconds, d.refresh_token_ttl),
            registration_ttl: secs(self.registration_ttl_seconds, d.registration_ttl),
            credential_ttl: secs(self.credential_ttl_seconds, d.credential_ttl),
            latency: Duration::from_millis(self.latency_ms.unwrap_or(0)),
            throttle_rate: self.throttle_rate.unwrap_or(0.0),
            throttle_first_attempts: self.throttle_first_attempts.unwrap_or(0),
            server_error_rate: self.server_error_rate.unwrap_or(0.0),
            max_in_flight: self.max_in_flight,
            rate_limit: self.requests_per_second.map(|rate| RateLimit {
                rate,
                burst: self.burst,
                window: match self.rate_window {
                    None | Some(WindowEntry::Bucket) => RateWindow::Bucket,
                    Some(WindowEntry::Fixed) => RateWindow::Fixed,
                },
            }),
            retry_after: self.retry_after.unwrap_or(false),
            page_size: self.page_size.unwrap_or(d.page_size).max(1),
            seed: self.seed.unwrap_or(d.seed),
        }
    }
}
