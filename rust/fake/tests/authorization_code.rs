//! The authorization-code grant with PKCE end to end, through the real SDK client over real HTTP
//! and a browser's plain GET of `/authorize`: registration, the redirect, the one exchange of a
//! code, and every refusal.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_ssooidc::config::http::HttpResponse;
use aws_sdk_ssooidc::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ssooidc::operation::create_token::{CreateTokenError, CreateTokenOutput};
use aws_sdk_ssooidc::operation::register_client::RegisterClientError;
use base64::Engine as _;
use fake_identity_center::{Approval, FakeConfig, FakeServer};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod common;
use common::oidc;

const START_URL: &str = "https://d-1234567890.awsapps.com/start";
const REGISTERED: &str = "http://127.0.0.1/oauth/callback";
const REDIRECT: &str = "http://127.0.0.1:49152/oauth/callback";
/// RFC 7636's example pair.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

struct Client {
    oidc: aws_sdk_ssooidc::Client,
    id: String,
    secret: String,
}

/// A client registered as the AWS CLI registers one for the authorization code.
async fn register(server: &FakeServer) -> Client {
    let oidc = oidc(server);
    let registered = oidc
        .register_client()
        .client_name("pkce")
        .client_type("public")
        .grant_types("authorization_code")
        .grant_types("refresh_token")
        .redirect_uris(REGISTERED)
        .issuer_url(START_URL)
        .scopes("sso:account:access")
        .send()
        .await
        .unwrap();
    Client { oidc, id: registered.client_id.unwrap(), secret: registered.client_secret.unwrap() }
}

impl Client {
    async fn exchange(
        &self,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> Result<CreateTokenOutput, CreateTokenError> {
        let request = self.oidc.create_token().client_id(&self.id).client_secret(&self.secret);
        let request = request.grant_type("authorization_code").code(code).redirect_uri(redirect_uri);
        request.code_verifier(verifier).send().await.map_err(|e| e.into_service_error())
    }
}

/// The `/authorize` query of `client`, with the parameters in `changes` replaced (or, empty, left out).
fn authorize_path(client_id: &str, changes: &[(&str, &str)]) -> String {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("state", "state-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("scopes", "sso:account:access"),
    ];
    for (name, value) in changes {
        params.retain(|(n, _)| n != name);
        if !value.is_empty() {
            params.push((name, value));
        }
    }
    let encode = |v: &str| v.replace('%', "%25").replace(':', "%3A").replace('/', "%2F").replace(' ', "%20");
    let query: Vec<String> = params.iter().map(|(n, v)| format!("{n}={}", encode(v))).collect();
    format!("/authorize?{}", query.join("&"))
}

/// A browser's GET: the status, the `Location` it is sent to, and the page.
async fn browse(server: &FakeServer, path: &str) -> (u16, Option<String>, String) {
    let authority = server.url().strip_prefix("http://").unwrap().to_string();
    let mut stream = tokio::net::TcpStream::connect(&authority).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let location = head.lines().find_map(|l| l.strip_prefix("location: ").or_else(|| l.strip_prefix("Location: ")));
    (head[9..12].parse().unwrap(), location.map(String::from), body.to_string())
}

/// The query of a redirect `Location`, decoded.
fn query_of(location: &str) -> HashMap<String, String> {
    let (_, query) = location.split_once('?').unwrap();
    query
        .split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap();
            (name.to_string(), value.replace("%20", " ").replace("%26", "&"))
        })
        .collect()
}

/// Approves at `/authorize` and returns the code the redirect carries.
async fn code_for(server: &FakeServer, client: &Client, changes: &[(&str, &str)]) -> String {
    let (status, location, _) = browse(server, &authorize_path(&client.id, changes)).await;
    assert_eq!(status, 302);
    query_of(&location.unwrap())["code"].clone()
}

fn approving() -> FakeConfig {
    FakeConfig::with_generated_accounts(1, &["ReadOnly"])
}

#[tokio::test]
async fn a_browser_is_sent_back_with_a_code_that_is_exchanged_once_for_a_token() {
    let server = FakeServer::start(approving()).await.unwrap();
    let client = register(&server).await;
    let (status, location, _) = browse(&server, &authorize_path(&client.id, &[])).await;
    assert_eq!(status, 302);
    let location = location.unwrap();
    assert!(location.starts_with(&format!("{REDIRECT}?code=")), "back to the port the request named: {location}");
    let answer = query_of(&location);
    assert_eq!(answer["state"], "state-1");

    let token = client.exchange(&answer["code"], REDIRECT, VERIFIER).await.unwrap();
    assert!(token.access_token().is_some() && token.refresh_token().is_some());
    assert_eq!(token.expires_in, 8 * 3600);
    let again = client.exchange(&answer["code"], REDIRECT, VERIFIER).await.unwrap_err();
    assert!(again.is_invalid_grant_exception(), "a code is used once: {again:?}");
    let refreshed = client.oidc.create_token().client_id(&client.id).client_secret(&client.secret);
    let refreshed = refreshed.grant_type("refresh_token").refresh_token(token.refresh_token().unwrap()).send().await;
    assert!(refreshed.unwrap().access_token().is_some(), "the refresh token works as the device flow's does");
    let counters = server.counters();
    assert_eq!((counters.authorize, counters.create_token_authorization_code, counters.create_token), (1, 2, 0));
}

#[tokio::test]
async fn an_exchange_needs_the_verifier_the_redirect_uri_the_client_and_a_fresh_code() {
    let config = FakeConfig { authorization_code_ttl: Duration::from_millis(100), ..approving() };
    let server = FakeServer::start(config).await.unwrap();
    let client = register(&server).await;
    let other = register(&server).await;
    // SSO-OIDC errors carry `error_description`, not a message.
    let refused = |e: CreateTokenError| match e {
        CreateTokenError::InvalidGrantException(e) => (true, e.error_description().unwrap_or_default().to_string()),
        other => (false, format!("{other:?}")),
    };

    let code = code_for(&server, &client, &[]).await;
    let wrong = client.exchange(&code, REDIRECT, "another-verifier-of-at-least-forty-three-characters").await;
    assert_eq!(refused(wrong.unwrap_err()), (true, "Code verifier does not match code challenge".into()));
    assert!(client.exchange(&code, REDIRECT, VERIFIER).await.is_err(), "a refused exchange used the code up");

    let code = code_for(&server, &client, &[]).await;
    let elsewhere = client.exchange(&code, "http://127.0.0.1:49153/oauth/callback", VERIFIER).await;
    assert!(refused(elsewhere.unwrap_err()).1.contains("redirectUri"));

    let code = code_for(&server, &client, &[]).await;
    assert!(refused(other.exchange(&code, REDIRECT, VERIFIER).await.unwrap_err()).1.contains("another client"));

    let code = code_for(&server, &client, &[]).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(refused(client.exchange(&code, REDIRECT, VERIFIER).await.unwrap_err()).1.contains("expired"));

    let code = code_for(&server, &client, &[("code_challenge", "tampered-challenge")]).await;
    assert!(client.exchange(&code, REDIRECT, VERIFIER).await.unwrap_err().is_invalid_grant_exception());
    assert!(client.exchange("made-up", REDIRECT, VERIFIER).await.unwrap_err().is_invalid_grant_exception());
}

#[tokio::test]
async fn authorize_refuses_unknown_clients_and_redirects_on_the_page_and_the_rest_through_the_redirect() {
    let server = FakeServer::start(approving()).await.unwrap();
    let client = register(&server).await;
    let device_only = oidc(&server)
        .register_client()
        .client_name("device")
        .client_type("public")
        .grant_types("urn:ietf:params:oauth:grant-type:device_code")
        .send()
        .await
        .unwrap();
    let on_the_page = [
        authorize_path("client-unknown", &[]),
        authorize_path(device_only.client_id().unwrap(), &[]),
        authorize_path(&client.id, &[("redirect_uri", "http://127.0.0.1:49152/elsewhere")]),
        authorize_path(&client.id, &[("redirect_uri", "http://localhost:49152/oauth/callback")]),
        authorize_path(&client.id, &[("redirect_uri", "https://attacker.example/oauth/callback")]),
    ];
    for path in on_the_page {
        let (status, location, _) = browse(&server, &path).await;
        assert_eq!((status, location), (400, None), "{path}");
    }
    let through_the_redirect = [
        (vec![("code_challenge", "")], "invalid_request"),
        (vec![("code_challenge_method", "plain")], "invalid_request"),
        (vec![("response_type", "token")], "unsupported_response_type"),
        (vec![("scopes", "sso:account:access codecatalyst:read_write")], "invalid_scope"),
    ];
    for (changes, error) in through_the_redirect {
        let (status, location, _) = browse(&server, &authorize_path(&client.id, &changes)).await;
        let answer = query_of(&location.unwrap());
        assert_eq!((status, answer["error"].as_str(), answer["state"].as_str()), (302, error, "state-1"));
    }
    assert_eq!(server.counters().authorize, 9);
}

#[tokio::test]
async fn denied_and_never_approved_logins() {
    let server = FakeServer::start(FakeConfig { approval: Approval::Deny, ..approving() }).await.unwrap();
    let client = register(&server).await;
    let (status, location, _) = browse(&server, &authorize_path(&client.id, &[])).await;
    let answer = query_of(&location.unwrap());
    assert_eq!((status, answer["error"].as_str(), answer["state"].as_str()), (302, "access_denied", "state-1"));
    assert!(!answer.contains_key("code"));

    let server = FakeServer::start(FakeConfig { approval: Approval::Never, ..approving() }).await.unwrap();
    let client = register(&server).await;
    let (status, location, page) = browse(&server, &authorize_path(&client.id, &[])).await;
    assert_eq!((status, location), (200, None));
    assert!(page.contains("Waiting for an administrator"), "{page}");
}

#[tokio::test]
async fn registrations_for_the_authorization_code_are_checked_and_kept_to_their_grant() {
    let server = FakeServer::start(approving()).await.unwrap();
    let register = |redirect: Option<&'static str>, issuer: Option<&'static str>, grant: &'static str| {
        let request = oidc(&server).register_client().client_name("x").client_type("public").grant_types(grant);
        let request = match redirect {
            Some(uri) => request.redirect_uris(uri),
            None => request,
        };
        request.set_issuer_url(issuer.map(String::from)).send()
    };
    let code_of =
        |e: SdkError<RegisterClientError, HttpResponse>| e.into_service_error().code().unwrap_or_default().to_string();
    let refusals = [
        (register(None, Some(START_URL), "authorization_code").await, "InvalidRequestException"),
        (
            register(Some("http://app.example/cb"), Some(START_URL), "authorization_code").await,
            "InvalidRedirectUriException",
        ),
        (register(Some(REGISTERED), None, "authorization_code").await, "InvalidRequestException"),
        (register(None, None, "client_credentials").await, "InvalidClientMetadataException"),
    ];
    for (answer, expected) in refusals {
        assert_eq!(code_of(answer.unwrap_err()), expected);
    }

    let client = register(Some(REGISTERED), Some(START_URL), "authorization_code").await.unwrap();
    let started = oidc(&server)
        .start_device_authorization()
        .client_id(client.client_id().unwrap())
        .client_secret(client.client_secret().unwrap())
        .start_url(START_URL)
        .send()
        .await;
    let error = started.unwrap_err().into_service_error();
    assert!(error.is_unauthorized_client_exception(), "{error:?}");
}

#[test]
fn the_s256_of_the_test_verifier_is_its_challenge() {
    let digest = Sha256::digest(VERIFIER.as_bytes());
    assert_eq!(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest), CHALLENGE);
}
