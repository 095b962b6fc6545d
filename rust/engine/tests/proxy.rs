//! Requests to SSO-OIDC and the portal through a forward proxy, against a small proxy of the test's
//! own on loopback that writes down what it was asked: the proxy variables, the system proxy the
//! PowerShell module passes (`SSOCREDS_SYSTEM_PROXY_SSO`, `..._SSO_OIDC`), which of the two wins,
//! `NO_PROXY`, and a CONNECT tunnel for an https endpoint. The fake speaks plain http, which a
//! proxy gets as absolute-form requests (`POST http://host:port/path`); an https endpoint is reached
//! through CONNECT.

use std::path::Path;
use std::sync::{Arc, Mutex};

use fake_identity_center::{Approval, FakeConfig, FakeServer};
use ssocreds_engine::api::ProfileStatus;
use ssocreds_engine::{Engine, HostEnv};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

mod common;
use common::{env_for, log_in, login_request, one_profile_request};

const ENVIRONMENT: &str = "Proxied";
const SYSTEM_PROXIES: [&str; 2] = ["SSOCREDS_SYSTEM_PROXY_SSO", "SSOCREDS_SYSTEM_PROXY_SSO_OIDC"];

/// A forward proxy on loopback: the first request line of every connection it is given (an
/// absolute-form request or a CONNECT), after which it relays the connection to its target.
struct TestProxy {
    url: String,
    asked: Arc<Mutex<Vec<String>>>,
}

impl TestProxy {
    async fn start() -> TestProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let asked = Arc::new(Mutex::new(Vec::new()));
        let record = asked.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(client, record.clone()));
            }
        });
        TestProxy { url, asked }
    }

    fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }
}

async fn relay(mut client: TcpStream, asked: Arc<Mutex<Vec<String>>>) {
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match client.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let line = text.lines().next().unwrap_or_default().to_string();
    asked.lock().unwrap().push(line.clone());
    let mut words = line.split(' ');
    let (method, target) = (words.next().unwrap_or_default(), words.next().unwrap_or_default());
    let authority = match method {
        "CONNECT" => target.to_string(),
        _ => target.trim_start_matches("http://").split('/').next().unwrap_or_default().to_string(),
    };
    let Ok(mut upstream) = TcpStream::connect(&authority).await else { return };
    if method == "CONNECT" {
        let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await;
    } else if upstream.write_all(&head).await.is_err() {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}

fn fake() -> FakeServer {
    let config =
        FakeConfig { approval: Approval::AfterPolls(1), ..FakeConfig::with_generated_accounts(1, &["ReadOnly"]) };
    FakeServer::start_background(config).unwrap()
}

/// A device login and the refresh of one profile in `env`; panics unless both succeed.
async fn log_in_and_refresh(env: HostEnv, home: &Path) {
    let engine = Engine::new(env);
    log_in(&engine, login_request(ENVIRONMENT)).await;
    let report = engine.refresh(one_profile_request(ENVIRONMENT, home)).await.unwrap();
    assert_eq!(report.profiles[0].status, ProfileStatus::Refreshed, "{:?}", report.profiles[0]);
}

/// Whether `asked` holds an SSO-OIDC request (a client registration) and a portal one (role
/// credentials) for the fake, in absolute form.
fn saw_oidc_and_portal(asked: &[String], fake: &FakeServer) -> bool {
    let url = fake.url();
    let saw = |start: String| asked.iter().any(|line| line.starts_with(&start));
    saw(format!("POST {url}/client/register ")) && saw(format!("GET {url}/federation/credentials?"))
}

#[tokio::test]
async fn the_proxy_variables_send_oidc_and_portal_requests_through_the_proxy() {
    let (fake, proxy, home) = (fake(), TestProxy::start().await, tempfile::tempdir().unwrap());
    log_in_and_refresh(env_for(&fake, home.path(), &[("HTTP_PROXY", &proxy.url)]), home.path()).await;
    assert!(saw_oidc_and_portal(&proxy.asked(), &fake), "{:?}", proxy.asked());
}

#[tokio::test]
async fn the_system_proxy_the_module_passes_is_used_where_no_variable_names_one() {
    let (fake, proxy, home) = (fake(), TestProxy::start().await, tempfile::tempdir().unwrap());
    let system = SYSTEM_PROXIES.map(|entry| (entry, proxy.url.as_str()));
    log_in_and_refresh(env_for(&fake, home.path(), &system), home.path()).await;
    assert!(saw_oidc_and_portal(&proxy.asked(), &fake), "{:?}", proxy.asked());
}

#[tokio::test]
async fn the_proxy_variables_win_over_the_system_proxy() {
    let (fake, home) = (fake(), tempfile::tempdir().unwrap());
    let (variable, system) = (TestProxy::start().await, TestProxy::start().await);
    let mut extra = SYSTEM_PROXIES.map(|entry| (entry, system.url.as_str())).to_vec();
    extra.push(("http_proxy", &variable.url));
    log_in_and_refresh(env_for(&fake, home.path(), &extra), home.path()).await;
    assert!(saw_oidc_and_portal(&variable.asked(), &fake), "{:?}", variable.asked());
    assert_eq!(system.asked(), Vec::<String>::new());
}

#[tokio::test]
async fn no_proxy_sends_requests_straight_on_either_route() {
    let (fake, proxy) = (fake(), TestProxy::start().await);
    let (home, other_home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let by_variable = [("HTTP_PROXY", proxy.url.as_str()), ("NO_PROXY", "localhost,127.0.0.1")];
    log_in_and_refresh(env_for(&fake, home.path(), &by_variable), home.path()).await;
    let mut by_system = SYSTEM_PROXIES.map(|entry| (entry, proxy.url.as_str())).to_vec();
    by_system.push(("no_proxy", "127.0.0.0/8"));
    log_in_and_refresh(env_for(&fake, other_home.path(), &by_system), other_home.path()).await;
    assert_eq!(proxy.asked(), Vec::<String>::new());
}

#[tokio::test]
async fn an_https_endpoint_is_reached_through_a_connect_tunnel_of_the_https_proxy() {
    let (fake, home) = (fake(), tempfile::tempdir().unwrap());
    let (https_proxy, http_proxy) = (TestProxy::start().await, TestProxy::start().await);
    let authority = fake.url().trim_start_matches("http://").to_string();
    let https = format!("https://{authority}");
    let env = HostEnv::from_pairs([
        ("AWS_ENDPOINT_URL_SSO_OIDC", https.as_str()),
        ("HOME", &home.path().display().to_string()),
        ("HTTPS_PROXY", &https_proxy.url),
        ("HTTP_PROXY", &http_proxy.url),
    ]);
    // The tunnel reaches the fake, which speaks no TLS: the login fails after the CONNECT.
    let error = Engine::new(env).login_start(login_request(ENVIRONMENT)).await.unwrap_err();
    assert!(https_proxy.asked().iter().any(|line| line.starts_with(&format!("CONNECT {authority} "))), "{error}");
    assert_eq!(http_proxy.asked(), Vec::<String>::new());
}

#[tokio::test]
async fn a_proxy_that_is_no_url_is_named_without_its_value() {
    let (fake, home) = (fake(), tempfile::tempdir().unwrap());
    let env = env_for(&fake, home.path(), &[("http_proxy", "http://user:hunter2@[proxy")]);
    let error = Engine::new(env).login_start(login_request(ENVIRONMENT)).await.unwrap_err().to_string();
    assert!(error.contains("http_proxy is not a proxy URL"), "{error}");
    assert!(!error.contains("hunter2"), "{error}");
}
