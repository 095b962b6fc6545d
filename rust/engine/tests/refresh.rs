//! The engine against the bundled fake: retries, the concurrency bound, and where the file goes.
//! (Secrets kept out of errors and logs: `logs.rs`, a test binary of its own.)

use std::time::Duration;

use fake_identity_center::{Approval, FakeConfig, FakeServer};
use ssocreds_engine::api::{ProfileStatus, RefreshRequest};

mod common;
use common::{logged_in_engine, profiles_of};

const ROLE: &str = "ReadOnly";

fn request(config: &FakeConfig, max_concurrency: Option<usize>) -> RefreshRequest {
    RefreshRequest {
        environment: "Test".into(),
        accounts: profiles_of(config, None),
        default_role_name: Some(ROLE.into()),
        max_concurrency,
        ..RefreshRequest::default()
    }
}

fn auto_approving(accounts: usize) -> FakeConfig {
    FakeConfig { approval: Approval::AfterPolls(1), ..FakeConfig::with_generated_accounts(accounts, &[ROLE]) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_server_errors_are_retried_until_every_profile_is_written() {
    let config = FakeConfig { throttle_rate: 0.2, server_error_rate: 0.2, seed: 7, ..auto_approving(40) };
    let request = request(&config, None);
    let fake = FakeServer::start(config).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let engine = logged_in_engine(&fake, home.path(), "Test").await;
    let report = engine.refresh(request).await.unwrap();
    let failed: Vec<_> = report.profiles.iter().filter(|p| p.status != ProfileStatus::Refreshed).collect();
    assert!(failed.is_empty(), "{failed:?}");
    let counters = fake.counters();
    assert!(counters.throttled > 0 && counters.server_errors > 0, "the fake did inject failures: {counters:?}");
    assert_eq!(counters.get_role_credentials, 40 + counters.throttled + counters.server_errors);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_more_requests_in_flight_than_max_concurrency() {
    let config = FakeConfig { latency: Duration::from_millis(200), ..auto_approving(40) };
    let request = request(&config, Some(3));
    let fake = FakeServer::start(config).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let engine = logged_in_engine(&fake, home.path(), "Test").await;
    let report = engine.refresh(request).await.unwrap();
    assert_eq!(report.count(ProfileStatus::Refreshed), 40);
    let seen = fake.counters().max_in_flight_seen;
    assert!((2..=3).contains(&seen), "max in flight was {seen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_path_is_under_home_and_the_file_appears_there() {
    let config = auto_approving(2);
    let request = request(&config, None);
    let fake = FakeServer::start(config).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let engine = logged_in_engine(&fake, home.path(), "Test").await;
    let report = engine.refresh(request).await.unwrap();
    let expected = home.path().join(".aws").join("credentials");
    assert_eq!(report.credentials_file, expected.display().to_string());
    assert!(std::fs::read_to_string(expected).unwrap().contains("[account-"));
}
