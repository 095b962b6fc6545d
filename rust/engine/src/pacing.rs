//! Pacing of the SSO portal: IAM Identity Center throttles at a few dozen requests per second, and a
//! client that keeps sending at full concurrency turns a large refresh into a storm of 429s and
//! back-offs. The pacer sits under the SDK (it wraps the SDK's own HTTPS client), so first attempts
//! and the SDK's retries alike wait for it. It sends freely until the service throttles; then it
//! limits the rate to what the service granted in the last second, cuts it further on each new
//! throttling episode, and raises it slowly while the service keeps accepting.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

/// What the service granted is measured over this window.
const WINDOW: Duration = Duration::from_secs(1);
/// The first limit is a little under the measured grant, so the service's bucket can refill.
const FIRST_LIMIT_FACTOR: f64 = 0.9;
/// Each later throttling episode cuts the limit by this factor.
const CUT_FACTOR: f64 = 0.8;
/// Throttled answers within this long of a cut belong to the same episode (requests already sent).
const EPISODE: Duration = Duration::from_millis(1000);
/// While accepted, the limit grows by this factor once per `WINDOW`.
const RAISE_FACTOR: f64 = 1.05;
/// Never slower than this: a 429 that comes early in a run (few answers yet) or one that is not
/// about the rate (a noisy service) must not make a refresh crawl. IAM Identity Center's published
/// limits are around 20 requests per second; below the floor, the SDK's retries absorb the rest.
const MIN_RATE: f64 = 5.0;

/// The shared pacing state of one portal client.
#[derive(Debug, Default)]
pub struct Pacer {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Requests per second allowed; `None` until the service first throttles.
    rate: Option<f64>,
    next_send: Option<Instant>,
    /// When recent answers that were not throttled arrived.
    granted: VecDeque<Instant>,
    last_cut: Option<Instant>,
    last_raise: Option<Instant>,
}

impl Pacer {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The time this request may be sent, reserving that slot; `now` when there is no limit.
    pub fn reserve(&self, now: Instant) -> Instant {
        let mut state = self.state();
        let Some(rate) = state.rate else { return now };
        let slot = state.next_send.map_or(now, |next| next.max(now));
        state.next_send = Some(slot + Duration::from_secs_f64(1.0 / rate));
        slot
    }

    /// Learns from an answer's HTTP status.
    pub fn record(&self, status: u16, now: Instant) {
        let mut state = self.state();
        while state.granted.front().is_some_and(|t| now.duration_since(*t) > WINDOW) {
            state.granted.pop_front();
        }
        if status == 429 {
            if state.last_cut.is_some_and(|cut| now.duration_since(cut) < EPISODE) {
                return;
            }
            let granted = (state.granted.len() as f64).max(MIN_RATE);
            let rate = match state.rate {
                None => granted * FIRST_LIMIT_FACTOR,
                Some(rate) => (rate * CUT_FACTOR).min(granted),
            }
            .max(MIN_RATE);
            tracing::debug!(rate, "the service throttled; pacing requests");
            state.rate = Some(rate);
            state.last_cut = Some(now);
            state.last_raise = Some(now);
            return;
        }
        state.granted.push_back(now);
        if let (Some(rate), Some(raised)) = (state.rate, state.last_raise) {
            if now.duration_since(raised) >= WINDOW {
                state.rate = Some(rate * RAISE_FACTOR);
                state.last_raise = Some(now);
            }
        }
    }

    /// The current limit.
    #[cfg(test)]
    fn rate(&self) -> Option<f64> {
        self.state().rate
    }
}

/// The SDK's default HTTPS client (rustls with aws-lc, proxy settings from the environment), paced.
pub fn paced_https_client(pacer: Arc<Pacer>) -> SharedHttpClient {
    let inner = Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    });
    SharedHttpClient::new(PacedClient { inner, pacer })
}

#[derive(Debug)]
struct PacedClient {
    inner: SharedHttpClient,
    pacer: Arc<Pacer>,
}

impl HttpClient for PacedClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        let inner = self.inner.http_connector(settings, components);
        SharedHttpConnector::new(PacedConnector { inner, pacer: self.pacer.clone() })
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
    pacer: Arc<Pacer>,
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (inner, pacer) = (self.inner.clone(), self.pacer.clone());
        HttpConnectorFuture::new(async move {
            let slot = pacer.reserve(Instant::now());
            if slot > Instant::now() {
                tokio::time::sleep_until(slot.into()).await;
            }
            let answer = inner.call(request).await;
            if let Ok(response) = &answer {
                pacer.record(response.status().as_u16(), Instant::now());
            }
            answer
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlimited_until_throttled_then_limited_to_what_was_granted() {
        let pacer = Pacer::default();
        let start = Instant::now();
        assert_eq!(pacer.reserve(start), start);
        for i in 0..20 {
            pacer.record(200, start + Duration::from_millis(i * 10));
        }
        pacer.record(429, start + Duration::from_millis(300));
        assert_eq!(pacer.rate(), Some(18.0));
        // Slots are spaced by 1/18 s.
        let now = start + Duration::from_millis(300);
        let first = pacer.reserve(now);
        let second = pacer.reserve(now);
        assert_eq!(second.duration_since(first), Duration::from_secs_f64(1.0 / 18.0));
    }

    #[test]
    fn one_episode_cuts_once_and_acceptance_raises_slowly() {
        let pacer = Pacer::default();
        let start = Instant::now();
        for i in 0..10 {
            pacer.record(200, start + Duration::from_millis(i));
        }
        for i in 0..15 {
            pacer.record(429, start + Duration::from_millis(100 + i));
        }
        assert_eq!(pacer.rate(), Some(9.0), "a burst of 429s from requests already sent is one episode");
        pacer.record(429, start + Duration::from_millis(1200));
        assert!(pacer.rate().unwrap() <= 9.0 * CUT_FACTOR + 1e-9);
        for later in [2300, 3400, 4500, 5600] {
            pacer.record(429, start + Duration::from_millis(later));
        }
        assert_eq!(pacer.rate(), Some(MIN_RATE), "never below the floor");
        let limited = pacer.rate().unwrap();
        pacer.record(200, start + Duration::from_millis(6700));
        assert!((pacer.rate().unwrap() - limited * RAISE_FACTOR).abs() < 1e-9);
    }
}
