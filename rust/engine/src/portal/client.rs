//! The SDK clients, built lazily per region and endpoint (a run with nothing to do builds none), and
//! the paced HTTPS connector under the portal client: every portal request, first attempt or SDK
//! retry, waits for its turn with the endpoint's [`Pacer`], and the pacer learns from every answer.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_sso::config::retry::{RetryConfig, RetryPartition, TokenBucket};
use aws_sdk_sso::config::timeout::TimeoutConfig;
use aws_sdk_sso::config::{BehaviorVersion, Region};
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::Headers;
use aws_smithy_types::date_time::{DateTime, Format};

use super::pacer::{Answer, Change, Pacer, Sent, Start, Ticket, Turn};
use super::rate_file::RateFile;
use super::{
    CONNECT_TIMEOUT, INITIAL_BACKOFF, MAX_BACKOFF, MEMORY_CHANGE, MEMORY_WRITE_EVERY, OIDC_MAX_ATTEMPTS,
    OPERATION_ATTEMPT_TIMEOUT, PORTAL_ATTEMPT_TIMEOUT, PORTAL_MAX_ATTEMPTS, PORTAL_REQUEST_TIMEOUT,
};
use crate::clock::Clock;
use crate::concurrency::lock;
use crate::endpoint::{override_for, Service};
use crate::env::HostEnv;
use crate::error::{Error, Result};

type Key = (String, Option<String>);
/// A portal client also differs by where its learnt rate is remembered (none with `noTokenFile`).
type PortalKey = (String, Option<String>, Option<PathBuf>);

#[derive(Default)]
pub struct Clients {
    oidc: Mutex<HashMap<Key, aws_sdk_ssooidc::Client>>,
    portal: Mutex<HashMap<PortalKey, aws_sdk_sso::Client>>,
}

impl Clients {
    pub fn oidc(&self, region: &str, env: &HostEnv) -> Result<aws_sdk_ssooidc::Client> {
        let endpoint = override_for(Service::Oidc, env)?;
        let proxy = proxy_config(endpoint.as_deref(), env, "SSOCREDS_SYSTEM_PROXY_SSO_OIDC")?;
        let key = (region.to_string(), endpoint.clone());
        Ok(lock(&self.oidc).entry(key).or_insert_with(|| build_oidc(region, endpoint, proxy)).clone())
    }

    /// The portal client of `region` and the endpoint `env` names. One pacer per client: what the
    /// service grants is learnt per endpoint, and remembered beside the session's token cache file;
    /// a session without one (`noTokenFile`) writes nothing to disk for it either. When a rate was
    /// learnt (and whether a Retry-After date has passed) is read on `clock`.
    pub(crate) fn portal(
        &self,
        region: &str,
        env: &HostEnv,
        clock: &Clock,
        token_cache_file: Option<&Path>,
    ) -> Result<aws_sdk_sso::Client> {
        let endpoint = override_for(Service::Portal, env)?;
        let proxy = proxy_config(endpoint.as_deref(), env, "SSOCREDS_SYSTEM_PROXY_SSO")?;
        let rate_file_dir = token_cache_file.and_then(Path::parent).map(Path::to_path_buf);
        let key = (region.to_string(), endpoint.clone(), rate_file_dir.clone());
        let mut cache = lock(&self.portal);
        Ok(cache
            .entry(key)
            .or_insert_with(|| {
                let host = endpoint_host(region, endpoint.as_deref());
                let rate_file = rate_file_dir.as_deref().map(|dir| RateFile::new(dir, &host));
                build_portal(region, endpoint, rate_file, proxy, clock.clone())
            })
            .clone())
    }
}

/// The host (with its port, if the URL has one) requests go to: what a learnt rate is kept under.
fn endpoint_host(region: &str, endpoint: Option<&str>) -> String {
    let Some(url) = endpoint else { return format!("portal.sso.{region}.amazonaws.com") };
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority.rsplit('@').next().unwrap_or_default().to_ascii_lowercase()
}

/// Where the requests to `endpoint` (None: AWS) go: through the proxy [`HostEnv::proxy`] names, else
/// straight. A client keeps the proxy it was built with for the life of the engine.
fn proxy_config(endpoint: Option<&str>, env: &HostEnv, system_entry: &str) -> Result<ProxyConfig> {
    let https = !endpoint.is_some_and(|url| url.to_ascii_lowercase().starts_with("http://"));
    let Some(proxy) = env.proxy(https, system_entry) else { return Ok(ProxyConfig::disabled()) };
    // The URL is not logged nor put in the error: it may hold the proxy's password.
    tracing::debug!(source = proxy.source, no_proxy = proxy.no_proxy, "requests go through a proxy");
    let config = ProxyConfig::all(proxy.url.as_str()).map_err(|_| {
        Error::invalid_input(format!("{} is not a proxy URL such as http://proxy.example.com:3128", proxy.source))
    })?;
    Ok(match proxy.no_proxy {
        Some(rules) => config.no_proxy(rules),
        None => config,
    })
}

fn build_oidc(region: &str, endpoint: Option<String>, proxy: ProxyConfig) -> aws_sdk_ssooidc::Client {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(OPERATION_ATTEMPT_TIMEOUT)
        .build();
    let mut config = aws_sdk_ssooidc::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .http_client(https_client(proxy))
        .retry_config(RetryConfig::standard().with_max_attempts(OIDC_MAX_ATTEMPTS))
        .timeout_config(timeouts);
    if let Some(url) = endpoint {
        config = config.endpoint_url(url);
    }
    aws_sdk_ssooidc::Client::from_conf(config.build())
}

fn build_portal(
    region: &str,
    endpoint: Option<String>,
    rate_file: Option<RateFile>,
    proxy: ProxyConfig,
    clock: Clock,
) -> aws_sdk_sso::Client {
    let start = rate_file.as_ref().and_then(|m| m.recall(clock.now()));
    if let Some(start) = start {
        tracing::debug!(rate = start.rate, throttled = start.throttled, "starting from the portal rate learnt before");
    }
    let partition = format!("ssocreds-{region}-{}", endpoint.as_deref().unwrap_or("aws"));
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(PORTAL_ATTEMPT_TIMEOUT)
        .build();
    let mut config = aws_sdk_sso::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .http_client(paced_https_client(Arc::new(Paced::new(start.unwrap_or_default(), rate_file, clock)), proxy))
        .retry_config(portal_retries())
        .retry_partition(portal_retry_partition(partition))
        .timeout_config(timeouts);
    if let Some(url) = endpoint {
        config = config.endpoint_url(url);
    }
    aws_sdk_sso::Client::from_conf(config.build())
}

fn portal_retries() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(PORTAL_MAX_ATTEMPTS)
        .with_initial_backoff(INITIAL_BACKOFF)
        .with_max_backoff(MAX_BACKOFF)
}

/// The SDK's retry quota (a bucket of 500 tokens per partition; a retry takes 5, a retry that fails
/// again loses them for good, and only first-try successes give one back) is there so that a client
/// stops piling retries onto a failing service. Against throttling it is the wrong tool: every
/// retry waits for the pacer, so retries never go faster than the rate the service grants, while a
/// long throttled run (thousands of profiles at a few per second, or many requests in flight) drains
/// the quota on requests refused twice in a row until every later 429 is final (`Throttled`). So
/// retries of 429s cost nothing; retries of 5xx answers and timeouts keep their cost. The bucket is
/// this client's own, not shared with other clients of the process.
fn portal_retry_partition(name: String) -> RetryPartition {
    let quota = TokenBucket::builder().throttling_retry_cost(0).build();
    RetryPartition::custom(name).token_bucket(quota).build()
}

/// The pacing of one portal client, shared by its connectors.
#[derive(Debug)]
struct Paced {
    pacer: Mutex<Pacer>,
    rate_file: Option<RateFile>,
    saved: Mutex<Saved>,
    /// The wall clock (Retry-After dates, when a rate was learnt); the pacer's turns are on
    /// `Instant`, monotonic, which no clock change can make jump.
    clock: Clock,
}

/// What was last written to (or read from) the rate file.
#[derive(Debug)]
struct Saved {
    learned: Start,
    at: Option<Instant>,
    writing: bool,
}

impl Paced {
    fn new(start: Start, rate_file: Option<RateFile>, clock: Clock) -> Paced {
        Paced {
            pacer: Mutex::new(Pacer::new(start)),
            rate_file,
            saved: Mutex::new(Saved { learned: start, at: None, writing: false }),
            clock,
        }
    }

    /// Waits for this request's turn. Dropped while waiting, it leaves the queue.
    async fn turn(self: &Arc<Self>) -> Sent {
        struct Queued<'a>(&'a Paced, Option<Ticket>);
        impl Drop for Queued<'_> {
            fn drop(&mut self) {
                if let Some(ticket) = self.1 {
                    lock(&self.0.pacer).cancel(ticket);
                }
            }
        }
        let ticket = lock(&self.pacer).enqueue();
        let mut queued = Queued(self, Some(ticket));
        loop {
            let turn = lock(&self.pacer).turn(ticket, Instant::now());
            match turn {
                Turn::Go(sent) => {
                    queued.1 = None;
                    return sent;
                }
                Turn::WaitUntil(at) => tokio::time::sleep_until(at.into()).await,
            }
        }
    }

    /// Sends `request` in its turn, and tells the pacer what came of it.
    async fn send(self: Arc<Self>, inner: SharedHttpConnector, request: HttpRequest) -> HttpResult {
        let sent = self.turn().await;
        // Reported as unknown if the call is dropped before it is answered.
        let mut flight = Flight { paced: &self, sent: Some(sent) };
        let answer = match tokio::time::timeout(PORTAL_REQUEST_TIMEOUT, inner.call(request)).await {
            Ok(answer) => answer,
            Err(_) => Err(ConnectorError::timeout("the portal did not answer in time".into())),
        };
        let outcome = match &answer {
            Ok(response) if response.status().as_u16() == 429 => {
                Answer::Throttled { retry_after: retry_after(response.headers(), self.clock.now()) }
            }
            Ok(_) => Answer::Accepted,
            Err(_) => Answer::Unknown,
        };
        flight.report(outcome);
        answer
    }

    fn answered(self: &Arc<Self>, sent: Sent, answer: Answer) {
        let now = Instant::now();
        let (change, learned) = {
            let mut pacer = lock(&self.pacer);
            (pacer.answered(sent, now, answer), pacer.learned())
        };
        match change {
            Some(Change::Cut { from, to, accepted_share }) => {
                tracing::debug!(from, to, accepted_share, "the portal throttled; pacing requests slower")
            }
            Some(Change::Pause(pause)) => {
                tracing::debug!(?pause, "the portal refuses everything for now; pausing")
            }
            None => {}
        }
        self.maybe_remember(learned, now);
    }

    /// Writes the learnt rate when it has moved, at most once a second, off the async workers.
    fn maybe_remember(self: &Arc<Self>, learned: Start, now: Instant) {
        let Some(rate_file) = self.rate_file.clone() else { return };
        {
            let mut saved = lock(&self.saved);
            let moved = learned.throttled != saved.learned.throttled
                || (learned.rate / saved.learned.rate - 1.0).abs() >= MEMORY_CHANGE;
            let recent = saved.at.is_some_and(|at| now.saturating_duration_since(at) < MEMORY_WRITE_EVERY);
            if !moved || recent || saved.writing {
                return;
            }
            *saved = Saved { learned, at: Some(now), writing: true };
        }
        let (paced, learned_at) = (self.clone(), self.clock.now());
        let write = move || {
            if let Err(e) = rate_file.remember(learned, learned_at) {
                tracing::debug!(error = %e, "cannot keep the learnt portal rate");
            }
            lock(&paced.saved).writing = false;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn_blocking(write)),
            Err(_) => write(),
        }
    }
}

type HttpResult = std::result::Result<HttpResponse, ConnectorError>;

/// A request in flight: its answer, or its absence, is reported once.
struct Flight<'a> {
    paced: &'a Arc<Paced>,
    sent: Option<Sent>,
}

impl Flight<'_> {
    fn report(&mut self, answer: Answer) {
        if let Some(sent) = self.sent.take() {
            self.paced.answered(sent, answer);
        }
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        self.report(Answer::Unknown);
    }
}

/// How long the service asked us to wait: `x-amz-retry-after` (milliseconds, as AWS sends it), or
/// the standard `Retry-After` (seconds, or an HTTP date).
fn retry_after(headers: &Headers, now: SystemTime) -> Option<Duration> {
    if let Some(millis) = headers.get("x-amz-retry-after").and_then(|v| v.trim().parse::<u64>().ok()) {
        return Some(Duration::from_millis(millis));
    }
    let value = headers.get("retry-after")?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = SystemTime::try_from(DateTime::from_str(value, Format::HttpDate).ok()?).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The SDK's default HTTPS client (rustls with aws-lc), going through `proxy`.
fn https_client(proxy: ProxyConfig) -> SharedHttpClient {
    Builder::new().build_with_connector_fn(move |settings, components| {
        let mut connector = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(proxy.clone()));
        connector.build()
    })
}

/// [`https_client`], paced.
fn paced_https_client(paced: Arc<Paced>, proxy: ProxyConfig) -> SharedHttpClient {
    SharedHttpClient::new(PacedClient { inner: https_client(proxy), paced })
}

#[derive(Debug)]
struct PacedClient {
    inner: SharedHttpClient,
    paced: Arc<Paced>,
}

impl HttpClient for PacedClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        let inner = self.inner.http_connector(settings, components);
        SharedHttpConnector::new(PacedConnector { inner, paced: self.paced.clone() })
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
    paced: Arc<Paced>,
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        HttpConnectorFuture::new(self.paced.clone().send(self.inner.clone(), request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fake_identity_center::{Approval, FakeConfig, FakeServer};

    /// A token from the fake, through the device flow (the fake approves on the first poll).
    async fn fake_token(fake: &FakeServer) -> String {
        let config = aws_sdk_ssooidc::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(fake.url())
            .build();
        let oidc = aws_sdk_ssooidc::Client::from_conf(config);
        let registered = oidc.register_client().client_name("test").client_type("public").send().await.unwrap();
        let (id, secret) = (registered.client_id().unwrap(), registered.client_secret().unwrap());
        let device = oidc
            .start_device_authorization()
            .client_id(id)
            .client_secret(secret)
            .start_url("https://d-1234567890.awsapps.com/start")
            .send()
            .await
            .unwrap();
        let token = oidc
            .create_token()
            .client_id(id)
            .client_secret(secret)
            .grant_type("urn:ietf:params:oauth:grant-type:device_code")
            .device_code(device.device_code().unwrap())
            .send()
            .await
            .unwrap();
        token.access_token().unwrap().to_string()
    }

    /// 300 profiles, 64 in flight, no pacer, each refused twice before it is served: how many
    /// fail with the retry settings of the portal client but `partition`.
    async fn failures_with(partition: RetryPartition) -> usize {
        const PROFILES: u64 = 300;
        let config = FakeConfig {
            approval: Approval::AfterPolls(1),
            throttle_first_attempts: 2,
            ..FakeConfig::with_generated_accounts(PROFILES as usize, &["ReadOnly"])
        };
        let fake = FakeServer::start(config).await.unwrap();
        let token = fake_token(&fake).await;
        let config = aws_sdk_sso::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(fake.url())
            .retry_config(portal_retries().with_initial_backoff(Duration::from_millis(20)))
            .retry_partition(partition)
            .build();
        let client = aws_sdk_sso::Client::from_conf(config);
        let permits = Arc::new(tokio::sync::Semaphore::new(64));
        let mut calls = tokio::task::JoinSet::new();
        for i in 0..PROFILES {
            let (client, token, permits) = (client.clone(), token.clone(), permits.clone());
            calls.spawn(async move {
                let _permit = permits.acquire_owned().await.unwrap();
                let account = (100_000_000_000u64 + i).to_string();
                client.get_role_credentials().access_token(token).account_id(account).role_name("ReadOnly").send().await
            });
        }
        let mut failed = 0;
        while let Some(call) = calls.join_next().await {
            failed += usize::from(call.unwrap().is_err());
        }
        failed
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn throttling_retries_do_not_drain_the_retry_quota() {
        assert_eq!(failures_with(portal_retry_partition("ssocreds-test-quota".into())).await, 0);
        // The SDK's default quota, for comparison: it runs dry after about a hundred profiles.
        let default = failures_with(RetryPartition::new("ssocreds-test-default-quota")).await;
        assert!(default > 50, "{default} failed with the default quota");
    }

    #[test]
    fn learnt_rates_are_kept_per_host_and_port() {
        assert_eq!(endpoint_host("eu-west-1", None), "portal.sso.eu-west-1.amazonaws.com");
        assert_eq!(endpoint_host("x", Some("http://127.0.0.1:4567")), "127.0.0.1:4567");
        assert_eq!(endpoint_host("x", Some("HTTPS://user@Portal.Example.com/path?q#f")), "portal.example.com");
        assert_eq!(endpoint_host("x", Some("https://[::1]:8443/")), "[::1]:8443");
    }

    #[test]
    fn retry_after_in_the_forms_services_send() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut headers = Headers::new();
            for (name, value) in pairs {
                headers.insert(*name, *value);
            }
            headers
        };
        assert_eq!(retry_after(&headers(&[]), now), None);
        assert_eq!(retry_after(&headers(&[("x-amz-retry-after", "1500")]), now), Some(Duration::from_millis(1500)));
        assert_eq!(retry_after(&headers(&[("Retry-After", "2")]), now), Some(Duration::from_secs(2)));
        assert_eq!(
            retry_after(&headers(&[("Retry-After", "3"), ("x-amz-retry-after", "250")]), now),
            Some(Duration::from_millis(250)),
            "the milliseconds win"
        );
        // 1_700_000_000 is Tue, 14 Nov 2023 22:13:20 GMT.
        assert_eq!(
            retry_after(&headers(&[("retry-after", "Tue, 14 Nov 2023 22:13:25 GMT")]), now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "Tue, 14 Nov 2023 22:00:00 GMT")]), now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")]), now), None);
        assert_eq!(
            retry_after(&headers(&[("x-amz-retry-after", "-5"), ("retry-after", "1")]), now),
            Some(Duration::from_secs(1))
        );
    }
}
