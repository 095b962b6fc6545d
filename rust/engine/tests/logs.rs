//! No secret in errors, debug output, logs or the files beside the token.
//!
//! A test binary of its own, so that its subscriber can be the process's global default: it then
//! sees every thread, the runtime's workers included, where the fetches and listings run (a
//! subscriber set with `set_default` sees only the test's own thread).

use std::sync::{Arc, Mutex, OnceLock};

use fake_identity_center::{Approval, FakeConfig, FakeServer};
use ssocreds_engine::api::{
    DiscoverRequest, LoginPoll, LoginPollRequest, LoginPrompt, LoginStart, LoginStartRequest, RefreshRequest,
};
use ssocreds_engine::Engine;

mod common;
use common::{engine_for, http_get, logged_in_engine, profiles_of, query_value};

const ROLE: &str = "ReadOnly";
/// aws-smithy-runtime dumps every request at TRACE, headers included, and redacts only the headers
/// on its own deny-list (`authorization`, `x-amz-security-token`, ...), not the portal's
/// `x-amz-sso_bearer_token`. That is the SDK's wire trace, which no host of this engine turns on:
/// it is left out of what is checked here.
const SDK_REQUEST_DUMP: &str = "aws_smithy_runtime::client::orchestrator: transmitting request";

/// Everything logged, at every level, from every thread.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Every line logged, but the SDK's request dumps.
    fn text(&self) -> String {
        let all = String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned();
        all.lines().filter(|line| !line.contains(SDK_REQUEST_DUMP)).collect::<Vec<_>>().join("\n")
    }
}

/// The process's subscriber, installed once.
fn captured() -> &'static Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_thread_names(true)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber of this test binary");
        captured
    })
}

fn token_secrets(home: &std::path::Path) -> Vec<String> {
    let folder = home.join(".aws/sso/cache");
    let file = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json") && !p.to_string_lossy().ends_with(".accounts.json"))
        .expect("a token cache file");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    ["accessToken", "refreshToken", "clientSecret"].iter().map(|k| json[k].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_appears_in_errors_debug_output_logs_or_the_listing() {
    let captured = captured();
    let mut config =
        FakeConfig { approval: Approval::AfterPolls(1), ..FakeConfig::with_generated_accounts(6, &[ROLE]) };
    config.forbidden.push((config.accounts[1].account_id.clone(), ROLE.into()));
    let mut request = RefreshRequest {
        environment: "Test".into(),
        accounts: profiles_of(&config, None),
        default_role_name: Some(ROLE.into()),
        ..RefreshRequest::default()
    };
    request.accounts[2].account_id = "999999999999".into(); // unknown to the fake
    let fake = FakeServer::start(config).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let engine = logged_in_engine(&fake, home.path(), "Test").await;
    let token_secrets = token_secrets(home.path());
    let report = engine.refresh(request.clone()).await.unwrap();
    let listed = engine.discover(DiscoverRequest { environment: "Test".into(), ..Default::default() }).await.unwrap();
    let listing_file = std::fs::read_dir(home.path().join(".aws/sso/cache"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".accounts.json"))
        .expect("the listing is kept beside the token");
    // The token and the registration that could renew it both end: errors, a renewal attempt, logs.
    fake.expire_access_tokens();
    fake.expire_registrations();
    let mut forced = request;
    forced.force = true;
    let rejected = engine.refresh(forced.clone()).await.unwrap();
    let after = engine.refresh(forced).await.unwrap_err();

    let logs = captured.text();
    let this_thread = std::thread::current().name().expect("tests run on named threads").to_string();
    assert!(
        logs.lines().any(|l| l.contains("fetched role credentials") && !l.contains(&this_thread)),
        "the subscriber sees the fetches, which run on the runtime's worker threads"
    );
    let mut everything = logs;
    everything.push_str(&format!("{report:?}{listed:?}{rejected:?}{after:?}{after}"));
    everything.push_str(&serde_json::to_string(&report).unwrap());
    everything.push_str(&std::fs::read_to_string(listing_file).unwrap());
    assert!(everything.contains("Forbidden") && everything.contains("LoginRequired"), "the failures were exercised");
    let issued: Vec<String> = (0..6)
        .filter_map(|i| fake.issued_credentials(&format!("{}", 100_000_000_000u64 + i), ROLE))
        .flat_map(|c| [c.secret_access_key, c.session_token])
        .collect();
    assert!(issued.len() >= 6, "credentials were issued");
    for secret in issued.iter().chain(&token_secrets) {
        assert!(!everything.contains(secret.as_str()), "a secret leaked into errors, logs or the listing");
    }
    for word in ["x-amz-sso_bearer_token", "accessToken", "clientSecret"] {
        assert!(!everything.contains(word), "{word} appears in errors or logs");
    }
}

/// The authorization URL of a new authorization-code login of `environment`.
async fn start_pkce(engine: &Engine, environment: &str) -> String {
    let request = LoginStartRequest { use_device_code: Some(false), ..common::login_request(environment) };
    match engine.login_start(request).await.unwrap() {
        LoginStart::Pending { prompt: LoginPrompt::AuthorizationCode { authorization_url, .. }, .. } => {
            authorization_url
        }
        other => panic!("expected an authorization-code login: {other:?}"),
    }
}

/// Sends the browser to `url` (the loopback callback) while polling; the poll's last answer.
async fn poll_while_the_browser_comes_back(engine: &Engine, environment: &str, url: String) -> String {
    let browser = std::thread::spawn(move || http_get(&url));
    let mut answers = String::new();
    loop {
        let poll = LoginPollRequest { environment: environment.into(), wait_ms: Some(200) };
        match engine.login_poll(poll).await {
            Ok(LoginPoll::Pending) => continue,
            done => {
                answers.push_str(&format!("{done:?}"));
                if let Err(error) = done {
                    answers.push_str(&error.to_string());
                }
                break;
            }
        }
    }
    let page = browser.join().unwrap();
    answers.push_str(&page.body);
    answers
}

/// Sends the browser to `url` (a callback the login ignores) while polling, each poll answering
/// `pending`; the page the browser got.
async fn poll_until_the_browser_has_its_page(engine: &Engine, environment: &str, url: String) -> String {
    let browser = std::thread::spawn(move || http_get(&url));
    while !browser.is_finished() {
        let poll = LoginPollRequest { environment: environment.into(), wait_ms: Some(200) };
        assert_eq!(engine.login_poll(poll).await.unwrap(), LoginPoll::Pending, "the login goes on");
    }
    browser.join().unwrap().body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_code_state_or_token_of_an_authorization_code_login_appears_in_errors_pages_or_logs() {
    let captured = captured();
    let fake = FakeServer::start_background(FakeConfig::with_generated_accounts(1, &[ROLE])).unwrap();
    let home = tempfile::tempdir().unwrap();
    let engine = engine_for(&fake, home.path());
    let environment = "Browser";

    let authorization_url = start_pkce(&engine, environment).await;
    let state = query_value(&authorization_url, "state").unwrap();
    let redirect_uri = query_value(&authorization_url, "redirect_uri").unwrap();
    let forged = format!("{redirect_uri}?code=FORGED-CODE-1234&state=FORGED-STATE-5678");
    let mut everything = poll_until_the_browser_has_its_page(&engine, environment, forged).await;
    assert!(everything.contains("Not this login"), "the forged answer was refused: {everything}");

    let url = authorization_url.clone();
    let back = tokio::task::spawn_blocking(move || http_get(&url).location.unwrap()).await.unwrap();
    let code = query_value(&back, "code").unwrap();
    everything.push_str(&poll_while_the_browser_comes_back(&engine, environment, back).await);
    assert!(everything.contains("LoggedIn"), "{everything}");

    everything.push_str(&captured.text());
    let mut secrets = vec![state, code, "FORGED-CODE-1234".into(), "FORGED-STATE-5678".into()];
    secrets.extend(token_secrets(home.path()));
    for secret in &secrets {
        assert!(!everything.contains(secret.as_str()), "a code, state or token leaked into errors, pages or logs");
    }
}
