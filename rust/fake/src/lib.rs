//! A faithful fake of AWS IAM Identity Center's two APIs, SSO-OIDC (client registration, device
//! authorization, tokens) and the SSO portal (role credentials, account and role listing, logout),
//! on the wire exactly as the AWS SDKs speak them: restJson1 paths, headers, status codes and
//! `x-amzn-ErrorType` error encodings. It binds 127.0.0.1 only.
//!
//! Both login flows: the device code (a GET of `verificationUriComplete` approves, as a browser
//! would), and the authorization code with PKCE. For the latter, `RegisterClient` takes
//! `grantTypes`, `redirectUris` (loopback http or https) and `issuerUrl`; `GET /authorize`
//! checks the client (registered for `authorization_code`) and its `redirect_uri` (the registered
//! `http://127.0.0.1/oauth/callback` matches any port, RFC 8252 §7.3), then, as [`Approval`]
//! says, redirects (302) to it with `code` and `state`, or with `error=access_denied`, or shows a
//! page that never redirects; `CreateToken` with `authorization_code` takes each code once, while
//! it is fresh, from the same client with the same `redirectUri` and the `codeVerifier` whose
//! S256 is the challenge (else `InvalidGrantException`). A client registered for the
//! authorization code only gets `UnauthorizedClientException` from StartDeviceAuthorization.
//!
//! Used by the tests, the benchmark and the demo, in-process ([`FakeServer::start`]) or as the
//! `fake-identity-center` binary, which out-of-process tests drive through `/__fake/` controls.

pub mod browser;
mod config;
mod limits;
mod rng;
mod server;
mod service;

use std::io;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use config::{generated_accounts, Approval, FakeAccount, FakeConfig};
pub use limits::{Limiter, RateLimit, RateWindow};
use server::Shared;
use service::State;

/// How often each operation was called (throttled calls included), and how the fake pushed back.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counters {
    pub register_client: u64,
    pub start_device_authorization: u64,
    /// CreateToken polls with the device-code grant.
    pub create_token: u64,
    /// `GET /authorize` requests (a browser sent to sign in, authorization-code flow).
    pub authorize: u64,
    /// CreateToken calls with the authorization-code grant.
    pub create_token_authorization_code: u64,
    /// CreateToken calls with the refresh-token grant.
    pub create_token_refresh: u64,
    pub get_role_credentials: u64,
    pub list_accounts: u64,
    pub list_account_roles: u64,
    pub logout: u64,
    /// 429 answers (in-flight cap, rate limit, or injected).
    pub throttled: u64,
    /// Of those, the rate limit's.
    pub rate_limited: u64,
    /// Injected 500 answers.
    pub server_errors: u64,
    /// 401 answers to the portal.
    pub unauthorized: u64,
    pub slow_down: u64,
    /// The most API requests that were in flight at once.
    pub max_in_flight_seen: u64,
}

impl Counters {
    /// Every request of a client the fake answered, throttled ones included: each API operation,
    /// and the browser's `/authorize`; the `/__fake/` controls are not counted. `requests` in
    /// `GET /__fake/counters`.
    pub fn requests(&self) -> u64 {
        self.register_client
            + self.start_device_authorization
            + self.create_token
            + self.authorize
            + self.create_token_authorization_code
            + self.create_token_refresh
            + self.get_role_credentials
            + self.list_accounts
            + self.list_account_roles
            + self.logout
    }
}

/// Credentials the fake handed out, for tests to compare with what was written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expiration_epoch_millis: i64,
}

/// A running fake. Dropping it stops it.
pub struct FakeServer {
    url: String,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    background: Option<(std::thread::JoinHandle<()>, tokio::sync::oneshot::Sender<()>)>,
}

impl FakeServer {
    /// Serves on a free port of 127.0.0.1, on the caller's Tokio runtime.
    pub async fn start(config: FakeConfig) -> io::Result<FakeServer> {
        Self::start_on(config, 0).await
    }

    pub async fn start_on(config: FakeConfig, port: u16) -> io::Result<FakeServer> {
        Self::serve(config, port, false).await
    }

    /// Like [`start_on`](Self::start_on), printing one line per request (method, path, status).
    pub async fn start_verbose(config: FakeConfig, port: u16) -> io::Result<FakeServer> {
        Self::serve(config, port, true).await
    }

    async fn serve(config: FakeConfig, port: u16, verbose: bool) -> io::Result<FakeServer> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let shared = Arc::new(Shared::new(State::new(config, url.clone())));
        let (stop, mut stopped) = watch::channel(false);
        let serving = shared.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else {
                            // Out of descriptors, most likely: let connections close rather than spin.
                            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                            continue;
                        };
                        let _ = stream.set_nodelay(true);
                        let shared = serving.clone();
                        let mut connection_stopped = stopped.clone();
                        tokio::spawn(async move {
                            let service = service_fn(move |request| server::handle(shared.clone(), verbose, request));
                            let connection = http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), service);
                            tokio::select! {
                                _ = connection => {}
                                _ = connection_stopped.changed() => {}
                            }
                        });
                    }
                    _ = stopped.changed() => break,
                }
            }
        });
        Ok(FakeServer { url, shared, stop, background: None })
    }

    /// Serves from a thread and runtime of its own, for synchronous callers.
    pub fn start_background(config: FakeConfig) -> io::Result<FakeServer> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new().name("fake-identity-center".into()).spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
                Ok(runtime) => runtime,
                Err(e) => return drop(ready_tx.send(Err(e))),
            };
            runtime.block_on(async move {
                let started = FakeServer::start(config).await;
                let _ = ready_tx.send(started);
                let _ = done_rx.await;
            });
        })?;
        let mut server =
            ready_rx.recv().map_err(|_| io::Error::other("the fake's thread ended before it started"))??;
        server.background = Some((thread, done_tx));
        Ok(server)
    }

    /// `http://127.0.0.1:PORT`: the endpoint URL for both services.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// How long the fake has served; a fixed-window rate limit's seconds start with it.
    pub fn uptime(&self) -> std::time::Duration {
        self.shared.started.elapsed()
    }

    pub fn counters(&self) -> Counters {
        self.shared.state().counters.clone()
    }

    pub fn reset_counters(&self) {
        self.shared.state().counters = Counters::default();
    }

    /// The last credentials issued for that account and role.
    pub fn issued_credentials(&self, account_id: &str, role_name: &str) -> Option<IssuedCredentials> {
        self.shared.state().issued(account_id, role_name)
    }

    /// How many (account, role) pairs were issued credentials.
    pub fn issued_credentials_count(&self) -> usize {
        self.shared.state().issued_count()
    }

    /// Every access token now answers 401, as after a sign-out or expiry.
    pub fn expire_access_tokens(&self) {
        self.shared.state().expire_access_tokens();
    }

    /// Every client registration now answers InvalidClientException.
    pub fn expire_registrations(&self) {
        self.shared.state().expire_registrations();
    }

    pub fn set_forbidden(&self, account_id: &str, role_name: &str) {
        self.shared.state().forbid(account_id, role_name);
    }

    pub fn remove_role(&self, account_id: &str, role_name: &str) {
        self.shared.state().remove_role(account_id, role_name);
    }

    pub fn shutdown(self) {}
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some((thread, done)) = self.background.take() {
            let _ = done.send(());
            let _ = thread.join();
        }
    }
}
