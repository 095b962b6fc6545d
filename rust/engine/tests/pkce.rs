//! The authorization-code login with PKCE, end to end against the fake, with the test as the
//! browser: the success, every way it fails (each leaving nothing listening), cancel and logout,
//! the listener against other local programs (forged callbacks, idle, dripping and endless
//! connections), the choice between it and the device code, one login across processes, and a login
//! the AWS CLI made and cached, renewed with its refresh token.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_identity_center::{Approval, FakeConfig, FakeServer};
use ssocreds_engine::api::{
    EnvironmentRequest, LoginPoll, LoginPollRequest, LoginPrompt, LoginStart, LoginStartRequest, ProfileStatus,
    SessionState,
};
use ssocreds_engine::{Engine, Error, ErrorCode, HostEnv};

mod common;
use common::{
    browse, browse_in_background, engine_for, env_for, http_get, port_is_free, query_value, REGION, START_URL,
};

const ENVIRONMENT: &str = "Pkce";

fn fake_with(approval: Approval) -> FakeServer {
    FakeServer::start_background(FakeConfig { approval, ..FakeConfig::with_generated_accounts(2, &["ReadOnly"]) })
        .unwrap()
}

/// The authorization-code login request, asked for explicitly (the machine may be headless).
fn pkce_request() -> LoginStartRequest {
    LoginStartRequest { use_device_code: Some(false), ..common::login_request(ENVIRONMENT) }
}

fn poll_request(wait_ms: u64) -> LoginPollRequest {
    LoginPollRequest { environment: ENVIRONMENT.into(), wait_ms: Some(wait_ms) }
}

/// What the user is shown to approve an authorization-code login.
struct Prompt {
    authorization_url: String,
    redirect_uri: String,
    port: u16,
}

async fn start_pkce(engine: &Engine, request: LoginStartRequest) -> Prompt {
    match engine.login_start(request).await.unwrap() {
        LoginStart::Pending {
            prompt: LoginPrompt::AuthorizationCode { authorization_url, redirect_uri },
            flow_reason: None,
            ..
        } => {
            let port = redirect_uri
                .strip_prefix("http://127.0.0.1:")
                .and_then(|rest| rest.strip_suffix("/oauth/callback"))
                .and_then(|port| port.parse().ok())
                .unwrap_or_else(|| panic!("not a loopback redirect URI: {redirect_uri}"));
            Prompt { authorization_url, redirect_uri, port }
        }
        other => panic!("expected a pending authorization-code login, got {other:?}"),
    }
}

/// An authorization-code login waiting for the browser, against a fake that approves at once. The
/// fake and the home folder are returned so that they live as long as the engine.
async fn pending_pkce_login() -> (FakeServer, tempfile::TempDir, Engine, Prompt) {
    let fake = fake_with(Approval::OnVerificationGet);
    let home = tempfile::tempdir().unwrap();
    let engine = engine_for(&fake, home.path());
    let prompt = start_pkce(&engine, pkce_request()).await;
    (fake, home, engine, prompt)
}

/// Polls until the login ends, one way or the other.
async fn poll_to_the_end(engine: &Engine) -> Result<String, Error> {
    loop {
        match engine.login_poll(poll_request(500)).await? {
            LoginPoll::LoggedIn { expires_at } => return Ok(expires_at),
            LoginPoll::Pending => continue,
        }
    }
}

/// Polls (each poll answering `pending`) until the browser on `browsing` has its page.
async fn poll_while_browsing(engine: &Engine, browsing: std::thread::JoinHandle<common::Page>) -> common::Page {
    while !browsing.is_finished() {
        assert_eq!(engine.login_poll(poll_request(100)).await.unwrap(), LoginPoll::Pending, "the login goes on");
    }
    browsing.join().unwrap()
}

fn status_of(engine: &Engine) -> SessionState {
    engine.session_status(EnvironmentRequest { environment: ENVIRONMENT.into(), no_token_file: false }).unwrap().status
}

fn cache_json(home: &Path) -> serde_json::Value {
    let folder = home.join(".aws/sso/cache");
    let file = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json") && !p.to_string_lossy().ends_with(".accounts.json"))
        .expect("a token cache file");
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

#[tokio::test]
async fn a_browser_on_this_machine_logs_in_and_the_token_is_the_aws_clis() {
    let fake = fake_with(Approval::OnVerificationGet);
    let home = tempfile::tempdir().unwrap();
    let engine = engine_for(&fake, home.path());
    let started = engine.login_start(pkce_request()).await.unwrap();
    let json = serde_json::to_value(&started).unwrap();
    let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 5, "{json}");
    for key in ["status", "flow", "authorizationUrl", "redirectUri", "expiresAt"] {
        assert!(keys.contains(&key), "{key} in {json}");
    }
    assert_eq!((json["status"].as_str(), json["flow"].as_str()), (Some("pending"), Some("authorizationCode")));
    let LoginStart::Pending { prompt: LoginPrompt::AuthorizationCode { authorization_url, redirect_uri }, .. } =
        started
    else {
        unreachable!()
    };
    assert!(authorization_url.starts_with(&format!("{}/authorize?response_type=code&client_id=", fake.url())));
    assert_eq!(query_value(&authorization_url, "redirect_uri").as_deref(), Some(redirect_uri.as_str()));
    assert_eq!(query_value(&authorization_url, "code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(query_value(&authorization_url, "scopes").as_deref(), Some("sso:account:access"));
    assert_eq!(status_of(&engine), SessionState::Pending);

    let browser = browse_in_background(&authorization_url);
    poll_to_the_end(&engine).await.unwrap();
    let page = browser.join().unwrap();
    assert_eq!(page.status, 200, "{page:?}");
    assert!(page.body.contains("approved") && page.body.contains(ENVIRONMENT), "{}", page.body);
    let port: u16 = redirect_uri.rsplit(':').next().unwrap().trim_end_matches("/oauth/callback").parse().unwrap();
    assert!(port_is_free(port), "the listener is closed once the browser came back");

    let cached = cache_json(home.path());
    for key in ["accessToken", "refreshToken", "clientId", "clientSecret", "registrationExpiresAt", "expiresAt"] {
        assert!(cached[key].is_string(), "{key} in the AWS CLI's cache entry");
    }
    assert_eq!((cached["startUrl"].as_str(), cached["region"].as_str()), (Some(START_URL), Some(REGION)));
    let counters = fake.counters();
    assert_eq!((counters.register_client, counters.authorize, counters.create_token_authorization_code), (1, 1, 1));
    assert_eq!(counters.start_device_authorization, 0);

    let report = engine.refresh(common::one_profile_request(ENVIRONMENT, home.path())).await.unwrap();
    assert_eq!(report.count(ProfileStatus::Refreshed), 1);
    let later = engine_for(&fake, home.path());
    assert!(
        matches!(later.login_start(pkce_request()).await.unwrap(), LoginStart::LoggedIn { .. }),
        "another process reuses it"
    );
}

#[tokio::test]
async fn other_paths_get_404_and_a_callback_without_a_state_400_and_the_login_goes_on() {
    let (_fake, _home, engine, prompt) = pending_pkce_login().await;
    let origin = format!("http://127.0.0.1:{}", prompt.port);

    let stray = browse_in_background(&format!("{origin}/favicon.ico"));
    assert_eq!(poll_while_browsing(&engine, stray).await.status, 404);
    let blank = browse_in_background(&prompt.redirect_uri);
    assert_eq!(poll_while_browsing(&engine, blank).await.status, 400, "not an answer of the service");
    assert!(!port_is_free(prompt.port) && status_of(&engine) == SessionState::Pending, "the login goes on");
}

// The listener against other programs on this machine, and web pages that know its port: only the
// callback with this login's state ends the login, and nothing a client does holds it up.

/// Sends `forged` to the callback, then the browser signs in: the forged one is refused with a 400
/// page and changes nothing; the real one logs in, with one code exchanged.
async fn a_forged_callback_then_the_real_one(forged: &str) {
    let (fake, _home, engine, prompt) = pending_pkce_login().await;

    let forger = browse_in_background(&format!("{}?{forged}", prompt.redirect_uri));
    let page = poll_while_browsing(&engine, forger).await;
    assert_eq!(page.status, 400, "{forged}: {page:?}");
    assert!(page.body.contains("state") && page.body.contains("goes on"), "{forged}: {}", page.body);
    assert!(!page.body.contains("forged-code") && !page.body.contains("not-this-logins"), "{}", page.body);
    assert!(!port_is_free(prompt.port) && status_of(&engine) == SessionState::Pending, "{forged}: the login goes on");

    let browser = browse_in_background(&prompt.authorization_url);
    poll_to_the_end(&engine).await.unwrap_or_else(|e| panic!("{forged}, then the real callback: {e}"));
    assert_eq!(browser.join().unwrap().status, 200);
    let counters = fake.counters();
    assert_eq!((counters.authorize, counters.create_token_authorization_code), (1, 1), "{forged}: one token");
    assert!(port_is_free(prompt.port));
}

#[tokio::test]
async fn a_callback_with_another_state_is_refused_and_the_real_one_logs_in() {
    a_forged_callback_then_the_real_one("code=forged-code&state=not-this-logins").await;
}

#[tokio::test]
async fn an_error_callback_without_this_logins_state_is_refused_and_the_real_one_logs_in() {
    a_forged_callback_then_the_real_one("error=x").await;
    a_forged_callback_then_the_real_one("error=access_denied&state=not-this-logins").await;
}

/// A connection to the listener at `port` that sends only what the test writes.
fn connect(port: u16) -> TcpStream {
    TcpStream::connect(("127.0.0.1", port)).unwrap()
}

/// True once the listener has closed `stream` (its end, or a reset), without waiting.
fn closed_by_listener(stream: &TcpStream) -> bool {
    stream.set_nonblocking(true).unwrap();
    let mut byte = [0u8; 1];
    !matches!((&*stream).read(&mut byte), Err(e) if e.kind() == ErrorKind::WouldBlock)
}

/// Polls once, for long enough that no poll ends while `client` runs, then the client's result.
async fn one_long_poll_while<T>(engine: &Engine, client: std::thread::JoinHandle<T>) -> (LoginPoll, T) {
    let polled = engine.login_poll(poll_request(30_000)).await;
    let answer = client.join().unwrap();
    (polled.unwrap(), answer)
}

#[tokio::test]
async fn idle_connections_cannot_crowd_out_the_browser() {
    let (fake, _home, engine, prompt) = pending_pkce_login().await;
    let (port, authorization_url) = (prompt.port, prompt.authorization_url.clone());
    let client = std::thread::spawn(move || {
        let idle: Vec<TcpStream> = (0..100).map(|_| connect(port)).collect();
        let opened = Instant::now();
        let mut closed = 0;
        while closed < 100 - 16 && opened.elapsed() < Duration::from_secs(1) {
            std::thread::sleep(Duration::from_millis(20));
            closed = idle.iter().filter(|s| closed_by_listener(s)).count();
        }
        let browsing = Instant::now();
        let page = browse(&authorization_url);
        (closed, page, browsing.elapsed(), idle.len())
    });
    let (polled, (closed, page, took, held)) = one_long_poll_while(&engine, client).await;
    assert!(matches!(polled, LoginPoll::LoggedIn { .. }), "{polled:?}");
    assert_eq!(held, 100);
    assert!(closed >= 100 - 16, "at most 16 connections are kept: {closed} of 100 were closed within a second");
    assert_eq!(page.status, 200, "{page:?}");
    assert!(took < Duration::from_secs(1), "the browser's return was served in {took:?}");
    assert_eq!(fake.counters().create_token_authorization_code, 1);
}

#[tokio::test]
async fn a_browser_that_connects_as_a_poll_ends_is_served_by_the_next_poll() {
    let (_fake, _home, engine, prompt) = pending_pkce_login().await;
    let callback = http_get(&prompt.authorization_url).location.expect("the fake's redirect to the callback");
    let target = callback.strip_prefix(&format!("http://127.0.0.1:{}", prompt.port)).unwrap().to_string();
    let port = prompt.port;
    // Connects 150 ms into a poll of 200 ms, and sends its request 100 ms later, after that poll.
    let browser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(150));
        let mut stream = connect(port);
        std::thread::sleep(Duration::from_millis(100));
        if write!(stream, "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").is_err() {
            return "the listener closed the connection before the request".to_string();
        }
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    });
    assert_eq!(engine.login_poll(poll_request(200)).await.unwrap(), LoginPoll::Pending);
    let polled = engine.login_poll(poll_request(5_000)).await.unwrap();
    let answer = browser.join().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(matches!(polled, LoginPoll::LoggedIn { .. }), "{polled:?}");
}

/// Writes `head` one byte every 100 ms until the listener closes the connection; how long that took.
fn drip(port: u16, head: &[u8], at_most: Duration) -> Option<Duration> {
    let mut stream = connect(port);
    let started = Instant::now();
    for byte in head.iter().cycle() {
        if stream.write_all(&[*byte]).is_err() || closed_by_listener(&stream) {
            return Some(started.elapsed());
        }
        stream.set_nonblocking(false).unwrap();
        if started.elapsed() > at_most {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    unreachable!("the head is repeated for ever")
}

/// Sends a 64 KiB request head with no end at once; how long until the listener closed it.
fn flood(port: u16) -> Option<Duration> {
    let mut stream = connect(port);
    let started = Instant::now();
    let _ = stream.write_all(b"GET /oauth/callback HTTP/1.1\r\n");
    let _ = stream.write_all(format!("X-Filler: {}\r\n", "a".repeat(64 * 1024)).as_bytes());
    while started.elapsed() < Duration::from_secs(2) {
        if closed_by_listener(&stream) {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

#[tokio::test]
async fn a_dripping_or_endless_request_head_is_cut_off_and_the_browser_still_logs_in() {
    let (_fake, _home, engine, prompt) = pending_pkce_login().await;
    let (port, authorization_url) = (prompt.port, prompt.authorization_url.clone());
    let client = std::thread::spawn(move || {
        let dripping = std::thread::spawn(move || drip(port, b"GET /oauth/callback?state=", Duration::from_secs(8)));
        let flooded = flood(port);
        let dripped = dripping.join().unwrap();
        (flooded, dripped, browse(&authorization_url))
    });
    let (polled, (flooded, dripped, page)) = one_long_poll_while(&engine, client).await;
    let flooded = flooded.expect("a head without end is closed after 16 KiB");
    assert!(flooded < Duration::from_secs(1), "closed after {flooded:?}");
    let dripped = dripped.expect("a dripping head is closed");
    assert!(
        dripped < Duration::from_secs(4),
        "a head is given 3 s in all, whatever it sends: closed after {dripped:?}"
    );
    assert_eq!(page.status, 200, "{page:?}");
    assert!(matches!(polled, LoginPoll::LoggedIn { .. }), "{polled:?}");
}

#[tokio::test]
async fn the_listener_closes_right_at_the_logins_deadline_whatever_its_connections_do() {
    let fake = fake_with(Approval::Never);
    let home = tempfile::tempdir().unwrap();
    let engine = engine_for(&fake, home.path());
    let started = Instant::now();
    let prompt = start_pkce(&engine, LoginStartRequest { timeout_seconds: Some(1), ..pkce_request() }).await;
    let port = prompt.port;
    let client = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        let idle = connect(port);
        let dripping = std::thread::spawn(move || drip(port, b"GET /oauth/callback?state=", Duration::from_secs(3)));
        (idle, dripping.join().unwrap())
    });
    let error = engine.login_poll(poll_request(10_000)).await.unwrap_err();
    let ended = started.elapsed();
    let free = port_is_free(port);
    let (_idle, dripped) = client.join().unwrap();
    assert_eq!(error.code, ErrorCode::LoginTimedOut, "{}", error.message);
    assert!(ended < Duration::from_millis(1_300), "the login of 1 s ended after {ended:?}");
    assert!(free, "nothing listens once the poll has returned");
    let dripped = dripped.expect("the dripping connection was closed with the listener");
    assert!(dripped < Duration::from_millis(1_000), "closed after {dripped:?}");
}

#[tokio::test]
async fn a_denied_login_is_access_denied() {
    let fake = fake_with(Approval::Deny);
    let home = tempfile::tempdir().unwrap();
    let engine = engine_for(&fake, home.path());
    let prompt = start_pkce(&engine, pkce_request()).await;
    let browser = browse_in_background(&prompt.authorization_url);
    let error = poll_to_the_end(&engine).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::AccessDenied);
    assert!(error.message.contains(ENVIRONMENT) && error.message.contains("denied"), "{}", error.message);
    let page = browser.join().unwrap();
    assert_eq!(page.status, 400);
    assert!(page.body.contains("denied"), "{}", page.body);
    assert!(port_is_free(prompt.port));
}

#[tokio::test]
async fn a_browser_that_does_not_come_back_in_time_is_login_timed_out() {
    let fake = fake_with(Approval::Never);
    let home = tempfile::tempdir().unwrap();
    let engine = engine_for(&fake, home.path());
    let prompt = start_pkce(&engine, LoginStartRequest { timeout_seconds: Some(1), ..pkce_request() }).await;
    assert_eq!(http_get(&prompt.authorization_url).status, 200, "the fake's page never redirects");
    assert_eq!(engine.login_poll(poll_request(200)).await.unwrap(), LoginPoll::Pending);
    let started = Instant::now();
    let error = engine.login_poll(poll_request(10_000)).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5), "it gives up at the timeout, not at the poll's wait");
    assert_eq!(error.code, ErrorCode::LoginTimedOut);
    for part in [ENVIRONMENT, prompt.redirect_uri.as_str(), "1 seconds"] {
        assert!(error.message.contains(part), "{part} in {}", error.message);
    }
    assert!(port_is_free(prompt.port));
    assert_eq!(status_of(&engine), SessionState::None);
}

#[tokio::test]
async fn a_code_issued_for_another_challenge_is_refused_at_the_exchange() {
    let (fake, _home, engine, prompt) = pending_pkce_login().await;
    let challenge = query_value(&prompt.authorization_url, "code_challenge").unwrap();
    let tampered = prompt.authorization_url.replace(&challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    let browser = browse_in_background(&tampered);
    let error = poll_to_the_end(&engine).await.unwrap_err();
    assert_eq!(browser.join().unwrap().status, 200, "the browser's part went well");
    assert_eq!(error.code, ErrorCode::LoginRequired);
    assert!(
        error.message.contains("InvalidGrantException") && error.message.contains("proof key"),
        "{}",
        error.message
    );
    assert_eq!(fake.counters().create_token_authorization_code, 1);
    assert!(port_is_free(prompt.port));
    assert_eq!(status_of(&engine), SessionState::None);
}

#[tokio::test]
async fn a_redirect_port_is_honoured_and_one_in_use_is_named() {
    let fake = fake_with(Approval::OnVerificationGet);
    let home = tempfile::tempdir().unwrap();
    let engine = engine_for(&fake, home.path());
    let taken = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    let error =
        engine.login_start(LoginStartRequest { redirect_port: Some(taken_port), ..pkce_request() }).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::Io);
    for part in [ENVIRONMENT, &format!("port {taken_port}"), "redirectPort", "in use"] {
        assert!(error.message.contains(part), "{part} in {}", error.message);
    }
    assert_eq!(status_of(&engine), SessionState::None);
    assert_eq!(fake.counters().register_client, 0, "the port is checked before any call");
    drop(taken);

    let free_port = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap().local_addr().unwrap().port();
    let prompt = start_pkce(&engine, LoginStartRequest { redirect_port: Some(free_port), ..pkce_request() }).await;
    assert_eq!(prompt.port, free_port);
    assert_eq!(prompt.redirect_uri, format!("http://127.0.0.1:{free_port}/oauth/callback"));
    // A second start of the same session may take the same port: the first login gives it up.
    let again = start_pkce(&engine, LoginStartRequest { redirect_port: Some(free_port), ..pkce_request() }).await;
    assert_eq!(again.port, free_port);
    let browser = browse_in_background(&again.authorization_url);
    poll_to_the_end(&engine).await.unwrap();
    assert_eq!(browser.join().unwrap().status, 200);
    assert!(port_is_free(free_port));
}

#[tokio::test]
async fn cancel_and_logout_close_the_listener_at_once_and_wake_a_blocked_poll() {
    let fake = fake_with(Approval::Never);
    let home = tempfile::tempdir().unwrap();
    let engine = Arc::new(engine_for(&fake, home.path()));
    let cancel = || engine.login_cancel(EnvironmentRequest { environment: ENVIRONMENT.into(), no_token_file: false });

    let prompt = start_pkce(&engine, pkce_request()).await;
    assert!(cancel().unwrap().cancelled);
    assert!(port_is_free(prompt.port), "closed by the cancel itself");

    let prompt = start_pkce(&engine, pkce_request()).await;
    let polling = engine.clone();
    let blocked = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let started = Instant::now();
        let answer = runtime.block_on(polling.login_poll(poll_request(30_000)));
        (answer, started.elapsed())
    });
    std::thread::sleep(Duration::from_millis(300));
    assert!(cancel().unwrap().cancelled);
    let (answer, took) = blocked.join().unwrap();
    assert_eq!(answer.unwrap_err().code, ErrorCode::LoginRequired);
    assert!(took < Duration::from_secs(2), "the blocked poll returned at once ({took:?})");
    assert!(port_is_free(prompt.port), "and the port is free once it has returned");

    let prompt = start_pkce(&engine, pkce_request()).await;
    engine.logout(EnvironmentRequest { environment: ENVIRONMENT.into(), no_token_file: false }).await.unwrap();
    assert!(port_is_free(prompt.port), "closed by logout");
    assert!(!cancel().unwrap().cancelled, "nothing left to cancel");
}

#[tokio::test]
async fn bad_flow_options_are_named() {
    let fake = fake_with(Approval::OnVerificationGet);
    let home = tempfile::tempdir().unwrap();
    let engine = engine_for(&fake, home.path());
    let cases = [
        (LoginStartRequest { timeout_seconds: Some(0), ..pkce_request() }, "timeoutSeconds 0"),
        (LoginStartRequest { timeout_seconds: Some(3601), ..pkce_request() }, "timeoutSeconds 3601"),
        (LoginStartRequest { redirect_port: Some(8400), ..common::login_request(ENVIRONMENT) }, "redirectPort"),
    ];
    for (request, named) in cases {
        let error = engine.login_start(request).await.unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidInput);
        assert!(error.message.contains(named), "{named} in {}", error.message);
    }
    let any_port = LoginStartRequest { redirect_port: Some(0), ..pkce_request() };
    assert_ne!(start_pkce(&engine, any_port).await.port, 0, "0 is any free port");
}

/// The flow `env` makes `login_start` choose, with its reason.
async fn chosen(env: HostEnv, use_device_code: Option<bool>, no_browser: bool) -> (String, Option<String>) {
    let engine = Engine::new(env);
    let request = LoginStartRequest { use_device_code, no_browser, ..common::login_request(ENVIRONMENT) };
    let started = serde_json::to_value(engine.login_start(request).await.unwrap()).unwrap();
    let reason = started["flowReason"].as_str().map(String::from);
    (started["flow"].as_str().unwrap().to_string(), reason)
}

#[tokio::test]
async fn the_device_code_is_chosen_where_no_browser_here_can_reach_a_loopback_redirect() {
    let fake = fake_with(Approval::Never);
    let home = tempfile::tempdir().unwrap();
    let env = |extra: &[(&str, &str)]| env_for(&fake, home.path(), extra);
    let desktop = [("DISPLAY", ":0")];
    let cases: Vec<(HostEnv, bool, &str)> = vec![
        (env(&[]).with_os("linux"), false, "no DISPLAY or WAYLAND_DISPLAY"),
        (env(&desktop).with_os("linux"), true, "noBrowser"),
        (
            env(&[("DISPLAY", ":0"), ("SSH_CONNECTION", "10.0.0.1 50000 10.0.0.2 22")]).with_os("linux"),
            false,
            "SSH_CONNECTION",
        ),
        (env(&[("SSH_TTY", "/dev/pts/3")]).with_os("macos"), false, "SSH_TTY"),
        (env(&desktop).with_os("linux").with_files(["/.dockerenv"]), false, "/.dockerenv"),
        (env(&desktop).with_os("linux").with_files(["/run/.containerenv"]), false, "/run/.containerenv"),
        (env(&[("DISPLAY", ":0"), ("container", "podman")]).with_os("linux"), false, "container is set"),
        (env(&[("KUBERNETES_SERVICE_HOST", "10.96.0.1")]).with_os("windows"), false, "KUBERNETES_SERVICE_HOST"),
    ];
    for (env, no_browser, why) in cases {
        let (flow, reason) = chosen(env, None, no_browser).await;
        assert_eq!(flow, "deviceCode", "{why}");
        let reason = reason.unwrap_or_default();
        assert!(reason.contains(why), "{why} in {reason}");
    }
    for (env, what) in [
        (env(&desktop).with_os("linux"), "an X11 desktop"),
        (env(&[("WAYLAND_DISPLAY", "wayland-0")]).with_os("linux"), "a Wayland desktop"),
        (env(&[]).with_os("windows"), "Windows"),
        (env(&[]).with_os("macos"), "macOS"),
    ] {
        assert_eq!(chosen(env, None, false).await, ("authorizationCode".into(), None), "{what}");
    }
}

#[tokio::test]
async fn an_explicit_choice_wins_over_the_detection() {
    let fake = fake_with(Approval::Never);
    let home = tempfile::tempdir().unwrap();
    let headless =
        || env_for(&fake, home.path(), &[("SSH_TTY", "/dev/pts/3")]).with_os("linux").with_files(["/.dockerenv"]);
    assert_eq!(chosen(headless(), Some(false), false).await, ("authorizationCode".into(), None));
    assert_eq!(chosen(headless(), Some(false), true).await, ("authorizationCode".into(), None), "even noBrowser");
    let desktop = env_for(&fake, home.path(), &[("DISPLAY", ":0")]).with_os("linux");
    assert_eq!(chosen(desktop, Some(true), false).await, ("deviceCode".into(), None));
}

#[tokio::test]
async fn one_authorization_code_login_serves_every_process() {
    let fake = fake_with(Approval::OnVerificationGet);
    let home = tempfile::tempdir().unwrap();
    let first = engine_for(&fake, home.path());
    let second = engine_for(&fake, home.path());
    let prompt = start_pkce(&first, pkce_request()).await;
    let waiting = second.login_start(pkce_request()).await.unwrap();
    assert!(matches!(waiting, LoginStart::Waiting { .. }), "{waiting:?}");
    assert_eq!(fake.counters().register_client, 1, "the second process starts no login of its own");
    let browser = browse_in_background(&prompt.authorization_url);
    poll_to_the_end(&first).await.unwrap();
    browser.join().unwrap();
    assert!(matches!(second.login_poll(poll_request(5_000)).await.unwrap(), LoginPoll::LoggedIn { .. }));
}

#[tokio::test]
async fn each_flow_uses_a_registration_made_for_it() {
    let fake = fake_with(Approval::OnVerificationGet);
    let home = tempfile::tempdir().unwrap();
    // A device login leaves its registration in the cache file, with no word of its grants.
    let device = engine_for(&fake, home.path());
    let device_request = common::login_request(ENVIRONMENT);
    let LoginStart::Pending { prompt: LoginPrompt::DeviceCode { verification_uri_complete, .. }, .. } =
        device.login_start(device_request.clone()).await.unwrap()
    else {
        panic!("a device login")
    };
    assert_eq!(browse(&verification_uri_complete).status, 200);
    poll_to_the_end(&device).await.unwrap();

    // Another process: a forced authorization-code login registers anew (the fake would refuse the
    // device client at /authorize), and leaves that registration in the cache file.
    let pkce = engine_for(&fake, home.path());
    let prompt = start_pkce(&pkce, LoginStartRequest { force_login: true, ..pkce_request() }).await;
    assert_eq!(fake.counters().register_client, 2);
    let browser = browse_in_background(&prompt.authorization_url);
    poll_to_the_end(&pkce).await.unwrap();
    assert_eq!(browser.join().unwrap().status, 200);

    // A third process's device login tries the cached registration, is refused, registers anew.
    let third = engine_for(&fake, home.path());
    let started = third.login_start(LoginStartRequest { force_login: true, ..device_request }).await.unwrap();
    assert!(matches!(started, LoginStart::Pending { prompt: LoginPrompt::DeviceCode { .. }, .. }), "{started:?}");
    let counters = fake.counters();
    assert_eq!((counters.register_client, counters.start_device_authorization), (3, 3), "one refused, then one more");
}

/// What `aws sso login` does, straight against the fake: register for the authorization code, sign
/// in (the redirect is read, not followed), exchange the code with the verifier.
async fn aws_cli_login(fake: &FakeServer) -> serde_json::Value {
    let config = aws_sdk_ssooidc::Config::builder()
        .behavior_version(aws_sdk_ssooidc::config::BehaviorVersion::latest())
        .region(aws_sdk_ssooidc::config::Region::new(REGION))
        .endpoint_url(fake.url())
        .build();
    let client = aws_sdk_ssooidc::Client::from_conf(config);
    let registered = client
        .register_client()
        .client_name("botocore-client-Pkce")
        .client_type("public")
        .grant_types("authorization_code")
        .grant_types("refresh_token")
        .redirect_uris("http://127.0.0.1/oauth/callback")
        .issuer_url(START_URL)
        .scopes("sso:account:access")
        .send()
        .await
        .unwrap();
    let (client_id, client_secret) = (registered.client_id().unwrap(), registered.client_secret().unwrap());
    // RFC 7636's example verifier and challenge.
    let redirect = "http://127.0.0.1:1/oauth/callback";
    let authorize = format!(
        "{}/authorize?response_type=code&client_id={client_id}&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Foauth%2Fcallback\
         &state=s&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
        fake.url()
    );
    let url = authorize.clone();
    let location = tokio::task::spawn_blocking(move || http_get(&url).location.unwrap()).await.unwrap();
    let code = query_value(&location, "code").unwrap();
    let token = client
        .create_token()
        .client_id(client_id)
        .client_secret(client_secret)
        .grant_type("authorization_code")
        .code(code)
        .redirect_uri(redirect)
        .code_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        .send()
        .await
        .unwrap();
    // As botocore caches it (JSONFileCache), with the token already expired.
    serde_json::json!({
        "startUrl": START_URL,
        "region": REGION,
        "accessToken": token.access_token().unwrap(),
        "expiresAt": "2024-01-01T00:00:00Z",
        "clientId": client_id,
        "clientSecret": client_secret,
        "registrationExpiresAt": "2099-01-01T00:00:00Z",
        "refreshToken": token.refresh_token().unwrap(),
    })
}

#[tokio::test]
async fn a_login_the_aws_cli_cached_is_renewed_with_its_refresh_token_and_no_login() {
    let fake = fake_with(Approval::OnVerificationGet);
    let home = tempfile::tempdir().unwrap();
    let entry = aws_cli_login(&fake).await;
    let folder = home.path().join(".aws/sso/cache");
    std::fs::create_dir_all(&folder).unwrap();
    // The AWS CLI names the file after the sso-session, this tool's environment.
    let name = format!("{}.json", sha1_hex(ENVIRONMENT));
    std::fs::write(folder.join(&name), serde_json::to_string_pretty(&entry).unwrap()).unwrap();
    fake.reset_counters();

    let engine = engine_for(&fake, home.path());
    let report = engine.refresh(common::one_profile_request(ENVIRONMENT, home.path())).await.unwrap();
    assert_eq!(report.count(ProfileStatus::Refreshed), 1, "{report:?}");
    let counters = fake.counters();
    assert_eq!(counters.create_token_refresh, 1, "renewed with the CLI's refresh token and registration");
    assert_eq!((counters.register_client, counters.authorize, counters.start_device_authorization), (0, 0, 0));
    let renewed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join(name)).unwrap()).unwrap();
    assert_ne!(renewed["accessToken"], entry["accessToken"]);
    assert_eq!(renewed["clientId"], entry["clientId"], "the CLI's registration stays with the token");
    assert!(matches!(engine.login_start(pkce_request()).await.unwrap(), LoginStart::LoggedIn { .. }));
}

/// The SHA-1 of `text` in lowercase hex, as the AWS CLI names cache files.
fn sha1_hex(text: &str) -> String {
    use sha1::Digest;
    hex::encode(sha1::Sha1::digest(text.as_bytes()))
}
