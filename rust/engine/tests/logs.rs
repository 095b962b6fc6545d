//! No secret in errors, debug output, logs or the files beside the token.
//!
//! A test binary of its own, so that its subscriber can be the process's global default: it then
//! sees every thread, the runtime's workers included, where the fetches and listings run (a
//! subscriber set with `set_default` sees only the test's own thread).

use std::sync::{Arc, Mutex, OnceLock};

use fake_identity_center::{Approval, FakeConfig, FakeServer};
use ssocreds_engine::api::{DiscoverRequest, RefreshRequest};

mod common;
use common::{logged_in_engine, profiles_of};

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
