//! HTTP plumbing: routing, the request limits (in-flight cap over every API request, the portal's
//! rate limit, injected 429/500), latency, and encoding replies.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response};
use percent_encoding::percent_decode_str;
use serde_json::{json, Value};

use crate::limits::Limiter;
use crate::service::{Reply, State};

pub struct Shared {
    pub state: Mutex<State>,
    in_flight: AtomicUsize,
    limiter: Option<Mutex<Limiter>>,
    /// When the fake started: a fixed window's seconds count from here.
    pub started: Instant,
}

impl Shared {
    pub fn new(state: State) -> Shared {
        let started = Instant::now();
        let limiter = state.config().rate_limit.map(|limit| Mutex::new(Limiter::new(limit, started)));
        Shared { state: Mutex::new(state), in_flight: AtomicUsize::new(0), limiter, started }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Err(wait)` when the rate limit is exceeded: `wait` is when a request would next pass.
    fn admit(&self, arrived: Instant) -> Result<(), Duration> {
        match &self.limiter {
            Some(limiter) => limiter.lock().unwrap_or_else(|p| p.into_inner()).admit(arrived),
            None => Ok(()),
        }
    }
}

/// The API operations, which count and are limited; everything else is free.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Operation {
    RegisterClient,
    StartDeviceAuthorization,
    CreateToken,
    GetRoleCredentials,
    ListAccounts,
    ListAccountRoles,
    Logout,
}

impl Operation {
    fn of(method: &Method, path: &str) -> Option<Operation> {
        Some(match (method, path) {
            (&Method::POST, "/client/register") => Operation::RegisterClient,
            (&Method::POST, "/device_authorization") => Operation::StartDeviceAuthorization,
            (&Method::POST, "/token") => Operation::CreateToken,
            (&Method::GET, "/federation/credentials") => Operation::GetRoleCredentials,
            (&Method::GET, "/assignment/accounts") => Operation::ListAccounts,
            (&Method::GET, "/assignment/roles") => Operation::ListAccountRoles,
            (&Method::POST, "/logout") => Operation::Logout,
            _ => return None,
        })
    }

    fn is_portal(self) -> bool {
        matches!(
            self,
            Operation::GetRoleCredentials | Operation::ListAccounts | Operation::ListAccountRoles | Operation::Logout
        )
    }
}

pub async fn handle(
    shared: Arc<Shared>,
    verbose: bool,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    // The rate limit sees requests as they arrive, before their bodies are read.
    let arrived = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let query = parse_query(request.uri().query().unwrap_or_default());
    let bearer = request.headers().get("x-amz-sso_bearer_token").and_then(|v| v.to_str().ok()).map(str::to_string);
    let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let reply = match Operation::of(&method, &path) {
        Some(operation) => api(&shared, operation, arrived, &query, bearer.as_deref(), &body).await,
        None => other(&shared, &method, &path, &query),
    };
    if verbose {
        // Method, path and status only: never a token, a secret or a header value.
        eprintln!("{method} {path} -> {}", reply.status);
    }
    Ok(encode(reply))
}

async fn api(
    shared: &Shared,
    operation: Operation,
    arrived: Instant,
    query: &HashMap<String, String>,
    bearer: Option<&str>,
    body: &[u8],
) -> Reply {
    count(shared, operation);
    let in_flight = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    let _slot = Slot(&shared.in_flight);
    let (max_in_flight, latency, retry_after) = {
        let mut state = shared.state();
        let seen = &mut state.counters.max_in_flight_seen;
        *seen = (*seen).max(in_flight as u64);
        (state.config().max_in_flight, state.config().latency, state.config().retry_after)
    };
    if max_in_flight.is_some_and(|max| in_flight > max) {
        return throttled(shared);
    }
    if let Err(wait) = if operation.is_portal() { shared.admit(arrived) } else { Ok(()) } {
        shared.state().counters.rate_limited += 1;
        let mut reply = throttled(shared);
        if retry_after {
            reply.retry_after = Some(wait);
        }
        return reply;
    }
    if operation == Operation::GetRoleCredentials && shared.state().config().throttle_first_attempts > 0 {
        let q = |name: &str| query.get(name).map(String::as_str);
        if shared.state().refuse_early(q("account_id"), q("role_name")) {
            return throttled(shared);
        }
    }
    if operation.is_portal() {
        let mut state = shared.state();
        let (throttle_rate, error_rate) = (state.config().throttle_rate, state.config().server_error_rate);
        let draw = state.random_fraction();
        if draw < throttle_rate {
            drop(state);
            return throttled(shared);
        }
        if draw < throttle_rate + error_rate {
            state.counters.server_errors += 1;
            return Reply::portal_error(500, "InternalServerException", "Internal error");
        }
    }
    if !latency.is_zero() {
        // Counted from the request's arrival, as a client measures it. Tokio's timers wake on the
        // first millisecond tick at or after the deadline: aiming half a tick early makes the
        // latency right on average rather than half a millisecond long.
        let early = latency.min(Duration::from_micros(500));
        tokio::time::sleep_until((arrived + latency - early).into()).await;
    }
    let json: Value = if body.is_empty() { json!({}) } else { serde_json::from_slice(body).unwrap_or(Value::Null) };
    let mut state = shared.state();
    if operation.is_portal() {
        if let Err(reply) = state.check_bearer(bearer) {
            return reply;
        }
    }
    let q = |name: &str| query.get(name).map(String::as_str);
    // The slot is released when `_slot` drops, before hyper writes the reply, so a client that
    // sends its next request right after an answer is never counted twice.
    match operation {
        Operation::RegisterClient => state.register_client(&json),
        Operation::StartDeviceAuthorization => state.start_device_authorization(&json),
        Operation::CreateToken => state.create_token(&json),
        Operation::GetRoleCredentials => state.get_role_credentials(q("account_id"), q("role_name")),
        Operation::ListAccounts => state.list_accounts(q("next_token"), q("max_result")),
        Operation::ListAccountRoles => state.list_account_roles(q("account_id"), q("next_token"), q("max_result")),
        Operation::Logout => state.logout(bearer.unwrap_or_default()),
    }
}

struct Slot<'a>(&'a AtomicUsize);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn count(shared: &Shared, operation: Operation) {
    let counters = &mut shared.state().counters;
    match operation {
        Operation::RegisterClient => counters.register_client += 1,
        Operation::StartDeviceAuthorization => counters.start_device_authorization += 1,
        // Counted by grant type in the service.
        Operation::CreateToken => {}
        Operation::GetRoleCredentials => counters.get_role_credentials += 1,
        Operation::ListAccounts => counters.list_accounts += 1,
        Operation::ListAccountRoles => counters.list_account_roles += 1,
        Operation::Logout => counters.logout += 1,
    }
}

fn throttled(shared: &Shared) -> Reply {
    shared.state().counters.throttled += 1;
    Reply::portal_error(429, "TooManyRequestsException", "Too many requests")
}

/// The pages a browser opens (the device login's verification page, the authorization-code
/// login's `/authorize`), and the `/__fake/` controls for out-of-process tests.
fn other(shared: &Shared, method: &Method, path: &str, query: &HashMap<String, String>) -> Reply {
    let q = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
    let mut state = shared.state();
    match (method, path) {
        (&Method::GET, "/device") => state.visit_verification_page(q("user_code")),
        (&Method::GET, "/authorize") => state.authorize(query),
        (&Method::GET, "/__fake/counters") => {
            let mut counters = serde_json::to_value(&state.counters).unwrap_or_default();
            counters["requests"] = state.counters.requests().into();
            Reply::json(counters)
        }
        (&Method::POST, "/__fake/reset-counters") => {
            state.counters = Default::default();
            Reply::json(json!({}))
        }
        (&Method::GET, "/__fake/credentials") => match state.issued(q("account_id"), q("role_name")) {
            Some(credentials) => Reply::json(serde_json::to_value(credentials).unwrap_or_default()),
            None => Reply::portal_error(404, "ResourceNotFoundException", "nothing issued for that account and role"),
        },
        (&Method::POST, "/__fake/expire-tokens") => {
            state.expire_access_tokens();
            Reply::json(json!({}))
        }
        (&Method::POST, "/__fake/expire-registrations") => {
            state.expire_registrations();
            Reply::json(json!({}))
        }
        (&Method::POST, "/__fake/forbid") => {
            state.forbid(q("account_id"), q("role_name"));
            Reply::json(json!({}))
        }
        _ => Reply::portal_error(404, "UnknownOperationException", "Unknown operation"),
    }
}

fn encode(reply: Reply) -> Response<Full<Bytes>> {
    let mut response = Response::builder()
        .status(reply.status)
        .header("content-type", reply.content_type)
        .header("x-amzn-RequestId", request_id());
    if let Some(location) = reply.location {
        response = response.header("Location", location);
    }
    if let Some(error_type) = reply.error_type {
        response = response.header("x-amzn-ErrorType", error_type);
    }
    if let Some(wait) = reply.retry_after {
        // Both forms: the standard one in whole seconds (rounded up), and AWS's in milliseconds.
        let millis = wait.as_millis().max(1);
        response = response.header("Retry-After", millis.div_ceil(1000).to_string());
        response = response.header("x-amz-retry-after", millis.to_string());
    }
    response.body(Full::new(Bytes::from(reply.body))).expect("a valid response")
}

/// A UUID-shaped id, unique per process, as the SDKs attach to errors and outputs.
fn request_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("fa4e0000-0000-4000-8000-{n:012x}")
}

/// `a=b&c=d`, percent-decoded (the SDKs percent-encode query values; `+` stays a plus).
fn parse_query(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_percent_decoded() {
        let q = parse_query("role_name=a%2Bb%3D%2C&account_id=123&x");
        assert_eq!(q["role_name"], "a+b=,");
        assert_eq!(q["account_id"], "123");
        assert_eq!(q["x"], "");
    }
}
