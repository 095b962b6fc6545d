//! What the engine's integration tests share: an engine pointed at the fake and a home folder, a
//! device login the fake approves, and the accounts of the fake as a request.
// Each test binary uses its own part of this module.
#![allow(dead_code)]

use std::path::Path;

use fake_identity_center::{FakeConfig, FakeServer};
use ssocreds_engine::api::{AccountRequest, LoginPoll, LoginPollRequest, LoginStartRequest};
use ssocreds_engine::{Engine, Env};

pub const START_URL: &str = "https://d-1234567890.awsapps.com/start";
pub const REGION: &str = "us-east-1";

/// An engine whose endpoints are the fake's and whose home (token cache, config) is `home`.
pub fn engine_for(fake: &FakeServer, home: &Path) -> Engine {
    let url = fake.url();
    Engine::new(Env::from_pairs([
        ("AWS_ENDPOINT_URL_SSO_OIDC", url.clone()),
        ("AWS_ENDPOINT_URL_SSO", url),
        ("HOME", home.display().to_string()),
    ]))
}

/// The login request of `environment` at the fake's start URL.
pub fn login_request(environment: &str) -> LoginStartRequest {
    LoginStartRequest {
        environment: environment.into(),
        start_url: START_URL.into(),
        region: REGION.into(),
        ..Default::default()
    }
}

/// Starts `start` and polls until the fake (set to approve by itself) has approved it.
pub async fn log_in(engine: &Engine, start: LoginStartRequest) {
    let environment = start.environment.clone();
    engine.login_start(start).await.unwrap();
    while engine.login_poll(LoginPollRequest { environment: environment.clone(), wait_ms: Some(1000) }).await.unwrap()
        == LoginPoll::Pending
    {}
}

/// `engine_for`, logged in to `environment`.
pub async fn logged_in_engine(fake: &FakeServer, home: &Path, environment: &str) -> Engine {
    let engine = engine_for(fake, home);
    log_in(&engine, login_request(environment)).await;
    engine
}

/// One profile per account of the fake, named after the account, with `role_name` (None: the
/// request's defaultRoleName).
pub fn profiles_of(config: &FakeConfig, role_name: Option<&str>) -> Vec<AccountRequest> {
    config
        .accounts
        .iter()
        .map(|a| AccountRequest {
            profile: Some(a.account_name.clone()),
            account_id: a.account_id.clone(),
            role_name: role_name.map(Into::into),
            account_name: None,
        })
        .collect()
}
