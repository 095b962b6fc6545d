//! C ABI of Set-AwsCliSsoCredentials: JSON in, JSON out, UTF-8, NUL-terminated strings.
//!
//! Every function takes a JSON request and returns a JSON envelope, `{"ok":true,"result":...}` or
//! `{"ok":false,"error":{"code":...,"message":...}}`, that the caller frees with
//! `ssocreds_string_free`. No function returns NULL or lets a panic cross into the caller.
//! The contract in full is docs/c-api.md; `unsafe` lives only in `boundary.rs`.

use std::ffi::c_char;
use std::sync::LazyLock;
use std::time::Duration;

use ssocreds_engine::api::{
    ConfigSessionsRequest, DiscoverRequest, EnvironmentRequest, LoginPollRequest, LoginStartRequest, RefreshRequest,
};
use ssocreds_engine::env::Overrides;
use ssocreds_engine::{Engine, HostEnv};

mod boundary;
mod host_env;
mod operations;
mod run;

use boundary::call;

/// One runtime for the library's whole life in the process; callers need none of their own.
pub(crate) static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("ssocreds")
        .enable_all()
        .build()
        .expect("the ssocreds runtime could not start")
});

/// Process environment values the host has set through `ssocreds_set_environment`.
pub(crate) static HOST_ENV_OVERRIDES: LazyLock<Overrides> = LazyLock::new(Overrides::default);

/// How long a `*_poll` or `run_next` waits: its `waitMs`, at most a minute whatever it asks.
pub(crate) fn bounded_wait(wait_ms: Option<u64>) -> Duration {
    const MAX_WAIT_MS: u64 = 60_000;
    Duration::from_millis(wait_ms.unwrap_or(0).min(MAX_WAIT_MS))
}

/// The engine, with the sessions it keeps for the life of the process.
pub(crate) static ENGINE: LazyLock<Engine> =
    LazyLock::new(|| Engine::new(HostEnv::with_overrides(HOST_ENV_OVERRIDES.clone())));

static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The version of this C ABI: 2 adds the run operation (`ssocreds_run_*`). A caller checks it
/// before relying on a function that a newer version added; functions are never removed.
const ABI_VERSION: std::ffi::c_int = 2;

/// The library's version, e.g. "0.1.0". Static: never free it.
#[no_mangle]
pub extern "C" fn ssocreds_version() -> *const c_char {
    VERSION.as_ptr().cast()
}

/// The version of the C ABI (2: with the run operation). Compare it, never the library's version.
#[no_mangle]
pub extern "C" fn ssocreds_abi_version() -> std::ffi::c_int {
    ABI_VERSION
}

/// Starts a run, a whole refresh, discovery or login whose every decision the library makes:
/// `{operation, request, login?, interactive?, nonInteractiveReason?, confirm?, frontEnd?}` gives
/// `{runId}`. Take its events with `ssocreds_run_next` until `finished` (docs/c-api.md, "The run
/// operation").
#[no_mangle]
pub extern "C" fn ssocreds_run_start(request_json: *const c_char) -> *mut c_char {
    call(request_json, run::start)
}

/// The run's next event, waiting at most `waitMs` (at most 60000): `{runId, waitMs}` gives the
/// event, or `{"event":"none"}`. After `finished`, the run is forgotten.
#[no_mangle]
pub extern "C" fn ssocreds_run_next(request_json: *const c_char) -> *mut c_char {
    call(request_json, run::next)
}

/// Answers the run's `confirm` event: `{runId, confirmed: [profile names]}` (an empty list fetches
/// nothing).
#[no_mangle]
pub extern "C" fn ssocreds_run_answer(request_json: *const c_char) -> *mut c_char {
    call(request_json, run::answer)
}

/// Cancels the run: `{runId}` gives `{cancelled}`. A login in progress is forgotten and its lock
/// released; the next `ssocreds_run_next` gives `finished` with the error `Cancelled`. Safe to call
/// from another thread while `ssocreds_run_next` waits.
#[no_mangle]
pub extern "C" fn ssocreds_run_cancel(request_json: *const c_char) -> *mut c_char {
    call(request_json, run::cancel)
}

/// Starts a login (authorization code with a loopback redirect, or device code), or reports a
/// cached token: `{environment, startUrl, region, forceLogin?, useDeviceCode?, noBrowser?,
/// redirectPort?, timeoutSeconds?}`. A pending login is given up with `ssocreds_login_cancel`.
#[no_mangle]
pub extern "C" fn ssocreds_login_start(request_json: *const c_char) -> *mut c_char {
    call(request_json, |request: LoginStartRequest| RUNTIME.block_on(ENGINE.login_start(request)))
}

/// Waits at most `waitMs` for the pending login to be approved: `{environment, waitMs}`.
#[no_mangle]
pub extern "C" fn ssocreds_login_poll(request_json: *const c_char) -> *mut c_char {
    call(request_json, |request: LoginPollRequest| RUNTIME.block_on(ENGINE.login_poll(request)))
}

/// Gives up the pending login (or the wait for another process's login) and releases the login
/// lock at once: `{environment}` gives `{environment, cancelled}`. Safe to call from another thread
/// while `ssocreds_login_poll` is blocked (e.g. a Ctrl+C handler); that poll then returns promptly.
#[no_mangle]
pub extern "C" fn ssocreds_login_cancel(request_json: *const c_char) -> *mut c_char {
    call(request_json, |request: EnvironmentRequest| ENGINE.login_cancel(request))
}

/// Refreshes many profiles and writes them in one atomic, locked write; blocks until done.
#[no_mangle]
pub extern "C" fn ssocreds_refresh(request_json: *const c_char) -> *mut c_char {
    call(request_json, |request: RefreshRequest| RUNTIME.block_on(ENGINE.refresh(request)))
}

/// Starts the same refresh in the background: returns `{operationId, total}`.
#[no_mangle]
pub extern "C" fn ssocreds_refresh_start(request_json: *const c_char) -> *mut c_char {
    call(request_json, operations::start)
}

/// Progress or result of a background refresh: `{operationId, waitMs}`.
#[no_mangle]
pub extern "C" fn ssocreds_refresh_poll(request_json: *const c_char) -> *mut c_char {
    call(request_json, operations::poll)
}

/// Stops a background refresh: `{operationId}`.
#[no_mangle]
pub extern "C" fn ssocreds_refresh_cancel(request_json: *const c_char) -> *mut c_char {
    call(request_json, operations::cancel)
}

/// The sessions the SSO profiles of the AWS config file use, and which need a login before a
/// refresh with `fromConfig`: the `refresh` request (`fromConfig`, `configProfile`, ...). No network
/// call.
#[no_mangle]
pub extern "C" fn ssocreds_config_sessions(request_json: *const c_char) -> *mut c_char {
    call(request_json, |request: ConfigSessionsRequest| ENGINE.config_sessions(request))
}

/// Lists every account and role the login can reach: `{environment, includeAccount?, ...}`.
#[no_mangle]
pub extern "C" fn ssocreds_discover(request_json: *const c_char) -> *mut c_char {
    call(request_json, |request: DiscoverRequest| RUNTIME.block_on(ENGINE.discover(request)))
}

/// The token state of an environment: `{environment}`.
#[no_mangle]
pub extern "C" fn ssocreds_session_status(request_json: *const c_char) -> *mut c_char {
    call(request_json, |request: EnvironmentRequest| ENGINE.session_status(request))
}

/// Signs out and forgets the environment's token: `{environment}`.
#[no_mangle]
pub extern "C" fn ssocreds_logout(request_json: *const c_char) -> *mut c_char {
    call(request_json, |request: EnvironmentRequest| RUNTIME.block_on(ENGINE.logout(request)))
}

/// Sets what the library sees for environment variables, over the process's own:
/// `{variables: {NAME: "value" | null}}` (null hides the process's value). Each call replaces the
/// previous set; `{variables: {}}` restores the process's environment. For hosts whose environment
/// is not the C library's, like .NET on Linux and macOS.
#[no_mangle]
pub extern "C" fn ssocreds_set_environment(request_json: *const c_char) -> *mut c_char {
    call(request_json, host_env::set)
}

/// Frees a string returned by this library. NULL is fine. Must not be called twice on one string.
///
/// # Safety
/// `s` must be NULL or a string returned by an `ssocreds_*` function other than
/// `ssocreds_version`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn ssocreds_string_free(s: *mut c_char) {
    // SAFETY: forwarded contract.
    unsafe { boundary::free_c_string(s) }
}
