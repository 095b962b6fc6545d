//! What the engine's integration tests share: an engine pointed at the fake and a home folder, a
//! device login the fake approves, the accounts of the fake as a request, and a browser (plain
//! HTTP/1.1 GETs) for the authorization-code login.
// Each test binary uses its own part of this module.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use fake_identity_center::{FakeConfig, FakeServer};
use ssocreds_engine::api::{AccountRequest, LoginPoll, LoginPollRequest, LoginStartRequest, RefreshRequest};
use ssocreds_engine::{Engine, HostEnv};

pub const START_URL: &str = "https://d-1234567890.awsapps.com/start";
pub const REGION: &str = "us-east-1";

/// An engine whose endpoints are the fake's and whose home (token cache, config) is `home`.
pub fn engine_for(fake: &FakeServer, home: &Path) -> Engine {
    Engine::new(env_for(fake, home, &[]))
}

/// The environment of [`engine_for`], with `extra` variables (no marker file exists in it).
pub fn env_for(fake: &FakeServer, home: &Path, extra: &[(&str, &str)]) -> HostEnv {
    let url = fake.url();
    let endpoints = [("AWS_ENDPOINT_URL_SSO_OIDC".to_string(), url.clone()), ("AWS_ENDPOINT_URL_SSO".to_string(), url)];
    let extra = extra.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    HostEnv::from_pairs(endpoints.into_iter().chain(home_variables(home)).chain(extra))
}

/// Every variable a home folder is taken from, all naming `home`: HOME, and on Windows USERPROFILE
/// (which the engine prefers there) and HOMEDRIVE + HOMEPATH.
pub fn home_variables(home: &Path) -> [(String, String); 4] {
    let mut components = home.components();
    let (drive, path) = match components.next() {
        Some(std::path::Component::Prefix(prefix)) => {
            (prefix.as_os_str().to_string_lossy().into_owned(), components.as_path().display().to_string())
        }
        _ => (String::new(), home.display().to_string()),
    };
    [
        ("HOME".to_string(), home.display().to_string()),
        ("USERPROFILE".to_string(), home.display().to_string()),
        ("HOMEDRIVE".to_string(), drive),
        ("HOMEPATH".to_string(), path),
    ]
}

/// The device login request of `environment` at the fake's start URL. The device code is asked
/// for, so that tests do not depend on whether this machine has a desktop.
pub fn login_request(environment: &str) -> LoginStartRequest {
    LoginStartRequest {
        environment: environment.into(),
        start_url: START_URL.into(),
        region: REGION.into(),
        use_device_code: Some(true),
        ..Default::default()
    }
}

/// An HTTP answer as a browser sees it.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

/// One GET of an `http://` URL, as a browser sends it (no redirect followed).
pub fn http_get(url: &str) -> Page {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (authority, path) = rest.split_once('/').map_or((rest, "/".to_string()), |(a, p)| (a, format!("/{p}")));
    let mut stream = TcpStream::connect(authority).unwrap_or_else(|e| panic!("cannot connect to {authority}: {e}"));
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let location = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("location").then(|| value.trim().to_string())
    });
    Page { status: head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0), location, body: body.to_string() }
}

/// What a browser does with an authorization URL: signs in at the fake (which approves at once)
/// and follows its redirect back to the loopback listener; the last page it shows. Blocking: run
/// it on a thread of its own while the test polls, since the listener answers during a poll.
pub fn browse(url: &str) -> Page {
    let page = http_get(url);
    match (&page.location, page.status) {
        (Some(location), 302) => http_get(location),
        _ => page,
    }
}

/// [`browse`] on a thread of its own.
pub fn browse_in_background(url: &str) -> std::thread::JoinHandle<Page> {
    let url = url.to_string();
    std::thread::spawn(move || browse(&url))
}

/// The value of `name` in the URL's query, decoded.
pub fn query_value(url: &str, name: &str) -> Option<String> {
    let (_, query) = url.split_once('?')?;
    form_urlencoded::parse(query.as_bytes()).find(|(key, _)| key == name).map(|(_, value)| value.into_owned())
}

/// True when nothing listens on 127.0.0.1 at `port` any more.
pub fn port_is_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
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

/// The profile `one` (the fake's first account, role ReadOnly) of `environment`, written to
/// `<home>/credentials`.
pub fn one_profile_request(environment: &str, home: &Path) -> RefreshRequest {
    RefreshRequest {
        environment: environment.into(),
        accounts: vec![AccountRequest {
            profile: Some("one".into()),
            account_id: "100000000000".into(),
            role_name: Some("ReadOnly".into()),
            account_name: None,
        }],
        credentials_file: Some(home.join("credentials").display().to_string()),
        ..RefreshRequest::default()
    }
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
