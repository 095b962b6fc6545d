//! The fake's behaviours end to end, through the real SDK clients over real HTTP: the device flow
//! and its refusals, refresh-token rotation, the portal's errors, the request limits, the `/__fake/`
//! controls, the background server and the configuration file.

use std::time::Duration;

use aws_sdk_sso::error::ProvideErrorMetadata;
use fake_identity_center::{Approval, FakeConfig, FakeServer, RateLimit, RateWindow};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod common;
use common::{register, sso};

const FIRST: &str = "100000000000";
const SECOND: &str = "100000000001";

/// Accounts with both roles, polling interval 0 so tests need not wait between polls.
fn quick(accounts: usize) -> FakeConfig {
    FakeConfig { interval_seconds: 0, ..FakeConfig::with_generated_accounts(accounts, &["ReadOnly", "Admin"]) }
}

fn approving(accounts: usize) -> FakeConfig {
    FakeConfig { approval: Approval::AfterPolls(1), ..quick(accounts) }
}

/// One HTTP/1.1 exchange over a bare socket, as a browser or a shell script sends it.
async fn raw(server: &FakeServer, method: &str, path_and_query: &str) -> (u16, String) {
    let url = server.url();
    let authority = url.strip_prefix("http://").unwrap();
    let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    let request = format!(
        "{method} {path_and_query} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let status = answer[9..12].parse().unwrap();
    (status, answer.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default())
}

#[tokio::test]
async fn the_browser_get_approves_and_a_device_code_is_redeemed_once() {
    let server = FakeServer::start(quick(3)).await.unwrap();
    let login = register(&server, true).await;
    let device = login.start().await;
    let code = device.device_code().unwrap();
    let user_code = device.user_code().unwrap();
    assert!(user_code.len() == 9 && user_code.as_bytes()[4] == b'-', "{user_code}");
    assert_eq!(device.verification_uri(), Some(format!("{}/device", server.url()).as_str()));
    assert!(login.poll(code).await.unwrap_err().is_authorization_pending_exception());

    let complete = device.verification_uri_complete().unwrap();
    let (status, page) = raw(&server, "GET", complete.strip_prefix(&server.url()).unwrap()).await;
    assert_eq!(status, 200);
    assert!(page.contains("Request approved"), "{page}");

    let token = login.poll(code).await.unwrap();
    assert_eq!(token.token_type(), Some("Bearer"));
    assert_eq!(token.expires_in, 8 * 3600);
    assert!(token.refresh_token().is_some(), "registered with the refresh_token grant");
    assert!(login.poll(code).await.unwrap_err().is_invalid_grant_exception(), "redeemed once only");
    let counters = server.counters();
    assert_eq!((counters.register_client, counters.start_device_authorization, counters.create_token), (1, 1, 3));

    let accounts = sso(&server).list_accounts().access_token(token.access_token().unwrap()).send().await.unwrap();
    assert_eq!(accounts.account_list().len(), 3);
    assert_eq!(accounts.account_list()[0].email_address(), Some("account-0001@example.com"));
}

#[tokio::test]
async fn the_refresh_grant_rotates_and_only_clients_registered_for_it_get_one() {
    let server = FakeServer::start(approving(1)).await.unwrap();
    let login = register(&server, true).await;
    let first = login.poll(login.start().await.device_code().unwrap()).await.unwrap();
    let old_refresh = first.refresh_token().unwrap();
    let second = login.refresh(old_refresh).await.unwrap();
    assert_ne!(second.access_token(), first.access_token());
    let new_refresh = second.refresh_token().unwrap();
    assert_ne!(new_refresh, old_refresh);
    assert!(login.refresh(old_refresh).await.unwrap_err().is_invalid_grant_exception(), "rotated away");
    assert!(login.refresh("made-up").await.unwrap_err().is_invalid_grant_exception());
    let third = login.refresh(new_refresh).await.unwrap();
    sso(&server).list_accounts().access_token(third.access_token().unwrap()).send().await.unwrap();
    assert_eq!(server.counters().create_token_refresh, 4);

    let plain = register(&server, false).await;
    let token = plain.poll(plain.start().await.device_code().unwrap()).await.unwrap();
    assert_eq!(token.refresh_token(), None);
}

#[tokio::test]
async fn polls_faster_than_the_interval_are_slowed_down() {
    let config = FakeConfig { approval: Approval::Never, ..FakeConfig::with_generated_accounts(1, &["ReadOnly"]) };
    let server = FakeServer::start(config).await.unwrap();
    let login = register(&server, false).await;
    let device = login.start().await;
    assert_eq!(device.interval, 1);
    let code = device.device_code().unwrap();
    assert!(login.poll(code).await.unwrap_err().is_authorization_pending_exception());
    assert!(login.poll(code).await.unwrap_err().is_slow_down_exception(), "no wait between polls");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(login.poll(code).await.unwrap_err().is_authorization_pending_exception(), "waited the interval");
    assert_eq!(server.counters().slow_down, 1);

    let server = FakeServer::start(FakeConfig { slow_down_polls: 2, ..approving(1) }).await.unwrap();
    let login = register(&server, false).await;
    let device = login.start().await;
    let code = device.device_code().unwrap();
    assert!(login.poll(code).await.unwrap_err().is_slow_down_exception());
    assert!(login.poll(code).await.unwrap_err().is_slow_down_exception());
    assert!(login.poll(code).await.is_ok(), "the first two polls only");
    assert_eq!(server.counters().slow_down, 2);
}

#[tokio::test]
async fn denied_logins_unknown_codes_and_expired_device_codes() {
    let server = FakeServer::start(FakeConfig { approval: Approval::Deny, ..quick(1) }).await.unwrap();
    let login = register(&server, false).await;
    let device = login.start().await;
    let code = device.device_code().unwrap();
    assert!(login.poll(code).await.unwrap_err().is_access_denied_exception(), "denied without a visit");
    let (status, page) = raw(&server, "GET", &format!("/device?user_code={}", device.user_code().unwrap())).await;
    assert_eq!((status, page.contains("Request denied")), (200, true), "{page}");
    assert!(login.poll(code).await.unwrap_err().is_access_denied_exception());
    assert_eq!(raw(&server, "GET", "/device?user_code=NOPE-NOPE").await.0, 404);

    let config = FakeConfig { approval: Approval::Never, device_code_ttl: Duration::from_millis(200), ..quick(1) };
    let server = FakeServer::start(config).await.unwrap();
    let login = register(&server, false).await;
    let device = login.start().await;
    assert_eq!(device.expires_in, 1, "whole seconds, at least one");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(login.poll(device.device_code().unwrap()).await.unwrap_err().is_expired_token_exception());
}

#[tokio::test]
async fn expired_tokens_and_registrations_removed_roles_and_forbidden_pairs() {
    let server = FakeServer::start(approving(2)).await.unwrap();
    let login = register(&server, false).await;
    let token = login.access_token().await;
    let portal = sso(&server);
    let fetch = |account: &'static str, role: &'static str| {
        portal.get_role_credentials().access_token(&token).account_id(account).role_name(role).send()
    };
    let issued = fetch(FIRST, "Admin").await.unwrap().role_credentials.unwrap();
    let access_key = issued.access_key_id().unwrap();
    assert!(access_key.starts_with("ASIA") && access_key.len() == 20, "{access_key}");
    assert_eq!(issued.secret_access_key().unwrap().len(), 40);
    assert!(issued.session_token().unwrap().len() > 300);
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    assert!((issued.expiration - now_ms - 3_600_000).abs() < 60_000, "an hour ahead, in milliseconds");
    assert_eq!(server.issued_credentials(FIRST, "Admin").unwrap().secret_access_key, issued.secret_access_key.unwrap());

    server.remove_role(FIRST, "Admin");
    assert_eq!(fetch(FIRST, "Admin").await.unwrap_err().code(), Some("ForbiddenException"));
    let roles = portal.list_account_roles().access_token(&token).account_id(FIRST).send().await.unwrap();
    assert_eq!(roles.role_list().iter().map(|r| r.role_name().unwrap()).collect::<Vec<_>>(), ["ReadOnly"]);
    server.set_forbidden(SECOND, "ReadOnly");
    assert_eq!(fetch(SECOND, "ReadOnly").await.unwrap_err().code(), Some("ForbiddenException"));
    fetch(SECOND, "Admin").await.unwrap();
    assert_eq!(server.issued_credentials_count(), 2);

    server.expire_access_tokens();
    let expired = fetch(FIRST, "ReadOnly").await.unwrap_err();
    assert_eq!(expired.code(), Some("UnauthorizedException"));
    assert_eq!(expired.message(), Some("Session token not found or invalid"));
    assert_eq!(server.counters().unauthorized, 1);

    server.expire_registrations();
    let refused = login
        .client
        .start_device_authorization()
        .client_id(&login.id)
        .client_secret(&login.secret)
        .start_url("https://x/start")
        .send()
        .await;
    assert!(refused.unwrap_err().into_service_error().is_invalid_client_exception());
}

#[tokio::test]
async fn injected_throttling_and_server_errors_hit_the_portal_only() {
    let server = FakeServer::start(FakeConfig { throttle_rate: 1.0, ..approving(1) }).await.unwrap();
    let token = register(&server, false).await.access_token().await;
    let throttled = sso(&server).list_accounts().access_token(&token).send().await.unwrap_err();
    assert_eq!(throttled.code(), Some("TooManyRequestsException"));
    assert!(throttled.into_service_error().is_too_many_requests_exception());
    assert_eq!(server.counters().throttled, 1);

    let server = FakeServer::start(FakeConfig { server_error_rate: 1.0, ..approving(1) }).await.unwrap();
    let token = register(&server, false).await.access_token().await;
    let failed = sso(&server).list_accounts().access_token(&token).send().await.unwrap_err();
    assert_eq!(failed.raw_response().map(|r| r.status().as_u16()), Some(500));
    assert_eq!(server.counters().server_errors, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_in_flight_cap_throttles_a_burst_but_not_a_sequence() {
    let config = FakeConfig { max_in_flight: Some(8), latency: Duration::from_millis(200), ..approving(1) };
    let server = FakeServer::start(config).await.unwrap();
    let token = register(&server, false).await.access_token().await;
    let portal = sso(&server);
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let (portal, token) = (portal.clone(), token.clone());
        calls.spawn(async move {
            portal.get_role_credentials().access_token(token).account_id(FIRST).role_name("ReadOnly").send().await
        });
    }
    let (mut ok, mut throttled) = (0, 0);
    while let Some(result) = calls.join_next().await {
        match result.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => {
                assert!(e.into_service_error().is_too_many_requests_exception());
                throttled += 1;
            }
        }
    }
    assert!(ok >= 1 && throttled >= 8, "32 at once against a cap of 8: {ok} served, {throttled} throttled");
    let counters = server.counters();
    assert_eq!(counters.throttled, throttled);
    assert!(counters.max_in_flight_seen > 8, "{counters:?}");

    // The slot is freed before the answer is written, so back-to-back requests never collide.
    let config = FakeConfig { max_in_flight: Some(1), ..approving(1) };
    let server = FakeServer::start(config).await.unwrap();
    let token = register(&server, false).await.access_token().await;
    let portal = sso(&server);
    for _ in 0..20 {
        portal.list_accounts().access_token(&token).send().await.unwrap();
    }
    assert_eq!(server.counters().throttled, 0);
}

#[tokio::test]
async fn requests_per_second_is_a_token_bucket() {
    let limit = RateLimit::per_second(10);
    let server = FakeServer::start(FakeConfig { rate_limit: Some(limit), ..approving(1) }).await.unwrap();
    // The login's SSO-OIDC calls are not counted: the portal has its ten.
    let token = register(&server, false).await.access_token().await;
    let portal = sso(&server);
    let (mut ok, mut throttled) = (0, 0);
    for _ in 0..20 {
        match portal.list_accounts().access_token(&token).send().await {
            Ok(_) => ok += 1,
            Err(e) => {
                assert_eq!(e.code(), Some("TooManyRequestsException"));
                assert!(e.raw_response().unwrap().headers().get("retry-after").is_none(), "not unless asked");
                throttled += 1;
            }
        }
    }
    assert!((10..=12).contains(&ok) && throttled >= 8, "{ok} served, {throttled} throttled");
    assert_eq!(server.counters().rate_limited, throttled);
    tokio::time::sleep(Duration::from_millis(300)).await;
    portal.list_accounts().access_token(&token).send().await.expect("refilled");
}

/// Sends `count` ListAccounts calls `spacing` apart (without the SDK's retries) and counts the
/// throttled answers.
async fn throttled_of(server: &FakeServer, token: &str, count: usize, spacing: Duration) -> usize {
    let portal = sso(server);
    let mut throttled = 0;
    let start = tokio::time::Instant::now();
    for i in 0..count {
        tokio::time::sleep_until(start + spacing * i as u32).await;
        if portal.list_accounts().access_token(token).send().await.is_err() {
            throttled += 1;
        }
    }
    throttled
}

#[tokio::test]
async fn the_first_attempts_of_each_role_can_be_refused() {
    let server = FakeServer::start(FakeConfig { throttle_first_attempts: 2, ..approving(2) }).await.unwrap();
    let token = register(&server, false).await.access_token().await;
    let portal = sso(&server);
    let fetch = |account: &'static str| {
        portal.get_role_credentials().access_token(&token).account_id(account).role_name("ReadOnly").send()
    };
    for _ in 0..2 {
        let refused = fetch(FIRST).await.unwrap_err();
        assert!(refused.into_service_error().is_too_many_requests_exception());
    }
    fetch(FIRST).await.expect("the third attempt");
    fetch(FIRST).await.expect("and every later one");
    assert!(fetch(SECOND).await.is_err(), "counted per account and role");
    assert_eq!((server.counters().throttled, server.counters().rate_limited), (3, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_of_burst_one_takes_evenly_spaced_requests_only() {
    let limit = RateLimit { burst: Some(1), ..RateLimit::per_second(20) };
    let server = FakeServer::start(FakeConfig { rate_limit: Some(limit), ..approving(1) }).await.unwrap();
    let token = register(&server, false).await.access_token().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Two at once: the second is refused, though the rate is far from reached.
    assert_eq!(throttled_of(&server, &token, 2, Duration::ZERO).await, 1);
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Spaced a little wider than 1/20 s, all pass.
    assert_eq!(throttled_of(&server, &token, 10, Duration::from_millis(60)).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_window_admits_the_rate_per_second_then_says_when_to_come_back() {
    let limit = RateLimit { window: RateWindow::Fixed, ..RateLimit::per_second(5) };
    let config = FakeConfig { rate_limit: Some(limit), retry_after: true, ..approving(1) };
    let server = FakeServer::start(config).await.unwrap();
    let token = register(&server, false).await.access_token().await;
    // Into a fresh window (the fake's windows start with it).
    let into_window = server.uptime().subsec_millis() as u64;
    tokio::time::sleep(Duration::from_millis(1000 - into_window + 20)).await;
    let portal = sso(&server);
    for _ in 0..5 {
        portal.list_accounts().access_token(&token).send().await.expect("within the window's five");
    }
    let refused = portal.list_accounts().access_token(&token).send().await.unwrap_err();
    let headers = refused.raw_response().unwrap().headers();
    let seconds: u64 = headers.get("retry-after").unwrap().parse().unwrap();
    let millis: u64 = headers.get("x-amz-retry-after").unwrap().parse().unwrap();
    assert_eq!(seconds, 1, "rounded up to whole seconds");
    assert!((1..=1000).contains(&millis), "until the next window: {millis} ms");
    tokio::time::sleep(Duration::from_millis(millis)).await;
    portal.list_accounts().access_token(&token).send().await.expect("a new window");
    assert_eq!(server.counters().rate_limited, 1);
}

#[tokio::test]
async fn pages_follow_max_result_up_to_the_page_size() {
    let server = FakeServer::start(approving(45)).await.unwrap();
    let token = register(&server, false).await.access_token().await;
    let portal = sso(&server);
    let small = portal.list_accounts().access_token(&token).max_results(7).send().await.unwrap();
    assert_eq!(small.account_list().len(), 7);
    let next = portal.list_accounts().access_token(&token).next_token(small.next_token().unwrap()).send().await;
    assert_eq!(next.unwrap().account_list()[0].account_id(), Some("100000000007"));
    let capped = portal.list_accounts().access_token(&token).max_results(100).send().await.unwrap();
    assert_eq!(capped.account_list().len(), 20, "the service's page size");
    let bad = portal.list_accounts().access_token(&token).next_token("garbage").send().await.unwrap_err();
    assert!(bad.into_service_error().is_invalid_request_exception());
    let unknown = portal.list_account_roles().access_token(&token).account_id("999999999999").send().await;
    assert!(unknown.unwrap_err().into_service_error().is_resource_not_found_exception());
}

#[tokio::test]
async fn the_controls_are_free_and_unknown_paths_are_404() {
    let server = FakeServer::start(approving(2)).await.unwrap();
    let token = register(&server, false).await.access_token().await;
    let credentials = format!("/__fake/credentials?account_id={FIRST}&role_name=ReadOnly");
    assert_eq!(raw(&server, "GET", &credentials).await.0, 404, "nothing issued yet");
    let portal = sso(&server);
    let fetch = || portal.get_role_credentials().access_token(&token).account_id(FIRST).role_name("ReadOnly").send();
    let issued = fetch().await.unwrap().role_credentials.unwrap();
    let (status, body) = raw(&server, "GET", &credentials).await;
    let recorded: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status, 200);
    assert_eq!(recorded["accessKeyId"], issued.access_key_id.unwrap());
    assert_eq!(recorded["expirationEpochMillis"], issued.expiration);

    assert_eq!(raw(&server, "POST", &format!("/__fake/forbid?account_id={FIRST}&role_name=ReadOnly")).await.0, 200);
    assert_eq!(fetch().await.unwrap_err().code(), Some("ForbiddenException"));
    let (status, body) = raw(&server, "GET", "/__fake/counters").await;
    let counters: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, counters["getRoleCredentials"].as_u64()), (200, Some(2)), "controls do not count");

    let (status, body) = raw(&server, "GET", "/no/such/path").await;
    assert_eq!(status, 404);
    assert!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["message"].is_string());

    assert_eq!(raw(&server, "POST", "/__fake/reset-counters").await.0, 200);
    assert_eq!(server.counters().get_role_credentials, 0);
    assert_eq!(raw(&server, "POST", "/__fake/expire-tokens").await.0, 200);
    let list = portal.list_accounts().access_token(&token).send().await.unwrap_err();
    assert!(list.into_service_error().is_unauthorized_exception());
    assert_eq!(raw(&server, "POST", "/__fake/expire-registrations").await.0, 200);
}

#[test]
fn a_background_server_serves_synchronous_callers_until_shut_down() {
    use std::io::{Read, Write};
    let server = FakeServer::start_background(FakeConfig::with_generated_accounts(1, &["ReadOnly"])).unwrap();
    let url = server.url();
    let authority = url.strip_prefix("http://").unwrap().to_string();
    let mut stream = std::net::TcpStream::connect(&authority).unwrap();
    write!(stream, "GET /__fake/counters HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    server.shutdown();
    assert!(std::net::TcpStream::connect(&authority).is_err(), "no longer listening");
}

#[test]
fn configuration_files_are_camel_case_json() {
    let path = std::env::temp_dir().join(format!("fake-identity-center-{}.json", std::process::id()));
    let text = r#"{
        "generatedAccounts": 2, "roles": ["Dev"],
        "accounts": [{"accountId": "222233334444", "accountName": "extra", "emailAddress": "x@example.com", "roles": ["Ops"]}],
        "forbidden": [{"accountId": "100000000000", "roleName": "Dev"}],
        "approval": {"afterPolls": 2}, "intervalSeconds": 3, "enforceInterval": false, "slowDownPolls": 1,
        "deviceCodeTtlSeconds": 60, "tokenTtlSeconds": 120, "refreshTokenTtlSeconds": 180, "registrationTtlSeconds": 240,
        "credentialTtlSeconds": 900, "latencyMs": 5, "throttleRate": 0.1, "throttleFirstAttempts": 2, "serverErrorRate": 0.05,
        "maxInFlight": 16, "requestsPerSecond": 100, "burst": 1, "rateWindow": "bucket", "retryAfter": true,
        "pageSize": 10, "seed": 7
    }"#;
    std::fs::write(&path, text).unwrap();
    let config = FakeConfig::from_json_file(&path).unwrap();
    assert_eq!(config.accounts.len(), 3);
    assert_eq!(config.accounts[1].account_name, "account-0002");
    assert_eq!(config.accounts[2].roles, ["Ops"]);
    assert_eq!(config.forbidden, [("100000000000".to_string(), "Dev".to_string())]);
    assert_eq!(config.approval, Approval::AfterPolls(2));
    assert_eq!((config.interval_seconds, config.enforce_interval, config.slow_down_polls), (3, false, 1));
    assert_eq!(config.access_token_ttl, Duration::from_secs(120));
    assert_eq!(config.credential_ttl, Duration::from_secs(900));
    assert_eq!(config.latency, Duration::from_millis(5));
    let limit = RateLimit { rate: 100, burst: Some(1), window: RateWindow::Bucket };
    assert_eq!((config.max_in_flight, config.rate_limit, config.page_size), (Some(16), Some(limit), 10));
    assert!(config.retry_after);
    assert_eq!(config.throttle_first_attempts, 2);
    std::fs::write(&path, r#"{"requestsPerSecond": 20, "rateWindow": "fixed"}"#).unwrap();
    let fixed = FakeConfig::from_json_file(&path).unwrap();
    assert_eq!(fixed.rate_limit, Some(RateLimit { rate: 20, burst: None, window: RateWindow::Fixed }));
    assert!(!fixed.retry_after);

    std::fs::write(&path, r#"{"approval": "deny", "latncyMs": 5}"#).unwrap();
    let misspelled = FakeConfig::from_json_file(&path).unwrap_err();
    assert_eq!(misspelled.kind(), std::io::ErrorKind::InvalidData);
    std::fs::write(&path, r#"{"approval": "never"}"#).unwrap();
    assert_eq!(FakeConfig::from_json_file(&path).unwrap().approval, Approval::Never);
    let _ = std::fs::remove_file(&path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_concurrent_connections_are_served() {
    let config = FakeConfig { latency: Duration::from_millis(50), ..approving(300) };
    let server = FakeServer::start(config).await.unwrap();
    let token = register(&server, false).await.access_token().await;
    let portal = sso(&server);
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..300u64 {
        let (portal, token) = (portal.clone(), token.clone());
        let account = (100_000_000_000u64 + i).to_string();
        calls.spawn(async move {
            portal.get_role_credentials().access_token(token).account_id(account).role_name("ReadOnly").send().await
        });
    }
    while let Some(result) = calls.join_next().await {
        result.unwrap().unwrap();
    }
    assert_eq!(server.issued_credentials_count(), 300);
    assert!(server.counters().max_in_flight_seen > 50, "{:?}", server.counters());
}
