//! The fake speaks the wire protocol as the real SDK clients read it: their modeled errors come out
//! as the right variants, pagination works with their paginators, and the binary serves out of process.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

use aws_sdk_sso::error::ProvideErrorMetadata;
use fake_identity_center::{Approval, FakeConfig, FakeServer};

mod common;
use common::{register, sso};

/// Registers, authorizes (approved on the first poll) and returns an access token.
async fn token(server: &FakeServer) -> String {
    let login = register(server, false).await;
    let device = login.start().await;
    assert_eq!(device.interval, 1);
    assert!(device
        .verification_uri_complete
        .unwrap()
        .ends_with(&format!("/device?user_code={}", device.user_code.unwrap())));
    let created = login.poll(&device.device_code.unwrap()).await.unwrap();
    assert_eq!(created.token_type.as_deref(), Some("Bearer"));
    assert!(created.expires_in > 0);
    created.access_token.unwrap()
}

#[tokio::test]
async fn oidc_errors_are_the_modeled_ones() {
    let server = FakeServer::start(FakeConfig { approval: Approval::Never, ..FakeConfig::default() }).await.unwrap();
    let login = register(&server, false).await;
    let device = login.start().await;
    let poll = || login.poll(device.device_code.as_deref().unwrap());
    let pending = poll().await.unwrap_err();
    assert!(pending.is_authorization_pending_exception(), "{pending:?}");
    let too_soon = poll().await.unwrap_err();
    assert!(too_soon.is_slow_down_exception(), "polling within the interval: {too_soon:?}");
    let bad_client = login
        .client
        .start_device_authorization()
        .client_id(&login.id)
        .client_secret("wrong")
        .start_url("https://x/start")
        .send()
        .await;
    assert!(bad_client.unwrap_err().into_service_error().is_invalid_client_exception());
}

#[tokio::test]
async fn portal_answers_and_errors_are_the_modeled_ones() {
    let mut config =
        FakeConfig { approval: Approval::AfterPolls(1), ..FakeConfig::with_generated_accounts(45, &["ReadOnly"]) };
    config.forbidden.push(("100000000001".into(), "ReadOnly".into()));
    let server = FakeServer::start(config).await.unwrap();
    let access_token = token(&server).await;
    let client = sso(&server);
    let fetch = |account: &'static str, role: &'static str, token: String| {
        client.get_role_credentials().access_token(token).account_id(account).role_name(role).send()
    };
    let issued = fetch("100000000000", "ReadOnly", access_token.clone()).await.unwrap().role_credentials.unwrap();
    let recorded = server.issued_credentials("100000000000", "ReadOnly").unwrap();
    assert_eq!(issued.access_key_id.unwrap(), recorded.access_key_id);
    assert_eq!(issued.expiration, recorded.expiration_epoch_millis);
    let forbidden = fetch("100000000001", "ReadOnly", access_token.clone()).await.unwrap_err();
    assert_eq!(forbidden.code(), Some("ForbiddenException"));
    assert_eq!(forbidden.message(), Some("No access"));
    let missing = fetch("999999999999", "ReadOnly", access_token.clone()).await.unwrap_err().into_service_error();
    assert!(missing.is_resource_not_found_exception());
    let unauthorized = fetch("100000000000", "ReadOnly", "not-a-token".into()).await.unwrap_err().into_service_error();
    assert!(unauthorized.is_unauthorized_exception());

    let accounts: Vec<_> =
        client.list_accounts().access_token(&access_token).into_paginator().items().send().try_collect().await.unwrap();
    assert_eq!(accounts.len(), 45);
    assert_eq!(server.counters().list_accounts, 3, "pages of 20");
    let roles =
        client.list_account_roles().access_token(&access_token).account_id("100000000044").send().await.unwrap();
    assert_eq!(roles.role_list.unwrap()[0].role_name.as_deref(), Some("ReadOnly"));

    client.logout().access_token(&access_token).send().await.unwrap();
    let after = fetch("100000000000", "ReadOnly", access_token).await.unwrap_err().into_service_error();
    assert!(after.is_unauthorized_exception(), "logged out tokens are refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_in_flight_cap_answers_too_many_requests() {
    let config = FakeConfig {
        approval: Approval::AfterPolls(1),
        max_in_flight: Some(4),
        latency: std::time::Duration::from_millis(50),
        ..FakeConfig::with_generated_accounts(1, &["ReadOnly"])
    };
    let server = FakeServer::start(config).await.unwrap();
    let access_token = token(&server).await;
    let client = sso(&server);
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (client, token) = (client.clone(), access_token.clone());
        calls.spawn(async move {
            client
                .get_role_credentials()
                .access_token(token)
                .account_id("100000000000")
                .role_name("ReadOnly")
                .send()
                .await
        });
    }
    let mut throttled = 0;
    while let Some(result) = calls.join_next().await {
        if let Err(e) = result.unwrap() {
            assert!(e.into_service_error().is_too_many_requests_exception());
            throttled += 1;
        }
    }
    assert!(throttled >= 8, "16 at once against a cap of 4: {throttled} throttled");
    assert_eq!(server.counters().throttled, throttled);
}

#[test]
fn the_binary_prints_its_url_serves_controls_and_stops_when_stdin_closes() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-identity-center"))
        .args(["--accounts", "3", "--roles", "A,B", "--exit-on-stdin-eof"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first_line).unwrap();
    let announced: serde_json::Value = serde_json::from_str(&first_line).unwrap();
    let url = announced["url"].as_str().unwrap();
    let authority = url.strip_prefix("http://").unwrap();
    assert!(authority.starts_with("127.0.0.1:"));
    let mut stream = std::net::TcpStream::connect(authority).unwrap();
    write!(stream, "GET /__fake/counters HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"getRoleCredentials\":0"), "{answer}");
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
}
