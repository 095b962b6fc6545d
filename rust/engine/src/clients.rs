//! The two SDK clients, built lazily per region and endpoint: a no-op refresh builds none.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_sso::config::retry::{RetryConfig, RetryPartition};
use aws_sdk_sso::config::timeout::TimeoutConfig;
use aws_sdk_sso::config::{BehaviorVersion, Region};

use crate::endpoint::{override_for, Service};
use crate::env::Env;
use crate::error::Result;
use crate::pacing::Pacer;

/// Attempts per call (the first plus retries) for throttling and 5xx answers. Generous, because
/// IAM Identity Center throttles at a few dozen requests per second and a refresh of hundreds of
/// accounts is expected to ride that out rather than fail.
const MAX_ATTEMPTS: u32 = 8;

#[derive(Default)]
pub struct Clients {
    oidc: Mutex<HashMap<(String, Option<String>), aws_sdk_ssooidc::Client>>,
    portal: Mutex<HashMap<(String, Option<String>), aws_sdk_sso::Client>>,
}

/// One pacer per portal client: what the service grants is learnt per endpoint and region.
fn paced() -> aws_sdk_sso::config::SharedHttpClient {
    crate::pacing::paced_https_client(Arc::new(Pacer::default()))
}

impl Clients {
    pub fn oidc(&self, region: &str, env: &Env) -> Result<aws_sdk_ssooidc::Client> {
        let endpoint = override_for(Service::Oidc, env)?;
        let key = (region.to_string(), endpoint.clone());
        let mut cache = self.oidc.lock().unwrap_or_else(|p| p.into_inner());
        Ok(cache.entry(key).or_insert_with(|| build_oidc(region, endpoint)).clone())
    }

    pub fn portal(&self, region: &str, env: &Env) -> Result<aws_sdk_sso::Client> {
        let endpoint = override_for(Service::Portal, env)?;
        let key = (region.to_string(), endpoint.clone());
        let mut cache = self.portal.lock().unwrap_or_else(|p| p.into_inner());
        Ok(cache.entry(key).or_insert_with(|| build_portal(region, endpoint)).clone())
    }
}

fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(20))
        .build()
}

fn build_oidc(region: &str, endpoint: Option<String>) -> aws_sdk_ssooidc::Client {
    let mut config = aws_sdk_ssooidc::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .timeout_config(timeouts());
    if let Some(url) = endpoint {
        config = config.endpoint_url(url);
    }
    aws_sdk_ssooidc::Client::from_conf(config.build())
}

fn build_portal(region: &str, endpoint: Option<String>) -> aws_sdk_sso::Client {
    // Throttling is handled by the pacer under the SDK, so the SDK's standard retries (with
    // back-off) suffice. The partition is this client's own, so its retry quota is not shared with,
    // or exhausted by, other clients of the process.
    let partition = format!("ssocreds-{region}-{}", endpoint.as_deref().unwrap_or("aws"));
    let mut config = aws_sdk_sso::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .http_client(paced())
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(MAX_ATTEMPTS)
                .with_initial_backoff(Duration::from_millis(200))
                .with_max_backoff(Duration::from_secs(5)),
        )
        .retry_partition(RetryPartition::new(partition))
        .timeout_config(timeouts());
    if let Some(url) = endpoint {
        config = config.endpoint_url(url);
    }
    aws_sdk_sso::Client::from_conf(config.build())
}
