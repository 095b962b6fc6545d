//! The pacing of the portal against the fake's rate limits, end to end: long throttled runs end
//! without `Throttled` failures, `Retry-After` holds every queued request, and what was learnt is
//! kept beside the token cache for the next process. (Speed against each limit shape is measured in
//! `benches/refresh.rs`, not asserted here.)

use std::time::Duration;

use fake_identity_center::{Approval, FakeConfig, FakeServer, RateLimit, RateWindow};
use ssocreds_engine::api::{ProfileStatus, RefreshReport, RefreshRequest};
use ssocreds_engine::ErrorCode;

mod common;
use common::{engine_for, logged_in_engine, profiles_of};

const ROLE: &str = "ReadOnly";

fn limited(profiles: usize, limit: RateLimit) -> FakeConfig {
    FakeConfig {
        approval: Approval::AfterPolls(1),
        rate_limit: Some(limit),
        ..FakeConfig::with_generated_accounts(profiles, &[ROLE])
    }
}

fn request(config: &FakeConfig, max_concurrency: Option<usize>) -> RefreshRequest {
    RefreshRequest {
        environment: "Test".into(),
        accounts: profiles_of(config, Some(ROLE)),
        max_concurrency,
        force: true,
        ..RefreshRequest::default()
    }
}

fn failed_throttled(report: &RefreshReport) -> usize {
    report.profiles.iter().filter(|p| p.error.as_ref().is_some_and(|e| e.code == ErrorCode::Throttled)).count()
}

/// 300 profiles under a 50/s fixed window with 256 requests in flight allowed: before the pacer
/// paced from the start and 429 retries stopped costing retry quota, 162 of them failed `Throttled`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_throttled_run_ends_without_throttled_failures() {
    let config = limited(300, RateLimit { window: RateWindow::Fixed, ..RateLimit::per_second(50) });
    let request = request(&config, Some(256));
    let fake = FakeServer::start(config).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let engine = logged_in_engine(&fake, home.path(), "Test").await;
    let report = engine.refresh(request).await.unwrap();
    assert_eq!(failed_throttled(&report), 0);
    assert_eq!(report.count(ProfileStatus::Refreshed), 300);
    let counters = fake.counters();
    assert!(counters.rate_limited > 0, "the limit was reached: {counters:?}");
    assert!(counters.max_in_flight_seen < 32, "paced, never a volley: {counters:?}");
}

/// A fixed window that says when it turns over: once it has, nobody waiting is sent before then.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_holds_every_queued_request() {
    let mut config = limited(80, RateLimit { window: RateWindow::Fixed, ..RateLimit::per_second(20) });
    config.retry_after = true;
    let request = request(&config, None);
    let fake = FakeServer::start(config).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let engine = logged_in_engine(&fake, home.path(), "Test").await;
    let started = std::time::Instant::now();
    let report = engine.refresh(request).await.unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(report.count(ProfileStatus::Refreshed), 80);
    // Each window the pacer overruns costs the one 429 that says so: the requests queued behind it
    // wait for the window to turn. (Without the header, the pacer finds out by trying: about three
    // times as many 429s here.)
    let throttled = fake.counters().throttled;
    assert!(throttled <= seconds.ceil() as u64, "{throttled} throttled in {seconds:.1} s");
}

/// What a run learnt about the endpoint is in `~/.aws/sso/cache/ssocreds-portal-rates.json`, and the
/// next process (engine) starts from it instead of from 10 requests a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_learnt_rate_is_kept_for_the_next_process() {
    let mut config = limited(120, RateLimit { burst: Some(1), ..RateLimit::per_second(25) });
    config.latency = Duration::from_millis(150);
    let request = request(&config, None);
    let fake = FakeServer::start(config).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let first = logged_in_engine(&fake, home.path(), "Test").await;
    assert_eq!(first.refresh(request.clone()).await.unwrap().count(ProfileStatus::Refreshed), 120);
    // Written off the async workers, at most once a second: give it a moment.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let path = home.path().join(".aws").join("sso").join("cache").join("ssocreds-portal-rates.json");
    let kept: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let host = fake.url().trim_start_matches("http://").to_string();
    let entry = &kept["endpoints"][host.as_str()];
    let rate = entry["requestsPerSecond"].as_f64().unwrap();
    assert!((15.0..=32.0).contains(&rate), "{kept}");
    assert_eq!(entry["throttled"], true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // A new process over the same home starts from the rate learnt, about 25/s, not from the 100/s
    // of a first contact: with 150 ms answers, four requests leave before the first answer comes
    // back, spaced so that the limiter (burst 1) refuses none; at 100/s, 10 ms apart, it refuses
    // some (three, without the file).
    fake.reset_counters();
    let next = engine_for(&fake, home.path());
    let mut four = request;
    four.accounts.truncate(4);
    assert_eq!(next.refresh(four).await.unwrap().count(ProfileStatus::Refreshed), 4);
    let counters = fake.counters();
    assert!(counters.max_in_flight_seen >= 3, "{counters:?}");
    assert_eq!(counters.throttled, 0, "{counters:?}");
}
