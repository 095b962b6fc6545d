//! Loads the built `ssocreds` library dynamically and calls its exported symbols, as P/Invoke and C
//! callers do; starts fakes and points the library at them.
#![allow(dead_code)]

use std::ffi::{c_char, CStr, CString};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock};

use fake_identity_center::{FakeConfig, FakeServer};
use libloading::{Library, Symbol};
use serde_json::{json, Value};

pub const START_URL: &str = "https://d-1234567890.awsapps.com/start";
pub const REGION: &str = "us-east-1";

/// The cdylib cargo built next to this test's `deps` folder.
pub fn library_path() -> PathBuf {
    if let Ok(path) = std::env::var("SSOCREDS_LIB") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps");
    profile_dir.join(format!("{}ssocreds{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX))
}

pub fn library() -> &'static Library {
    static LIBRARY: OnceLock<Library> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        let path = library_path();
        // SAFETY: loading our own cdylib, whose initialisers are Rust statics with no side effects.
        unsafe { Library::new(&path) }.unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display()))
    })
}

type JsonFn = unsafe extern "C" fn(*const c_char) -> *mut c_char;
type FreeFn = unsafe extern "C" fn(*mut c_char);

/// Calls `function` with raw bytes (no NUL inside), returns the parsed envelope, frees the string.
pub fn call_raw(function: &str, request: Option<&[u8]>) -> Value {
    let lib = library();
    // SAFETY: the symbols have these signatures (checked against the header by the header test).
    unsafe {
        let f: Symbol<JsonFn> = lib.get(function.as_bytes()).unwrap_or_else(|_| panic!("no symbol {function}"));
        let free: Symbol<FreeFn> = lib.get(b"ssocreds_string_free").expect("ssocreds_string_free");
        let owned = request.map(|bytes| CString::new(bytes).expect("no NUL in test input"));
        let out = f(owned.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()));
        assert!(!out.is_null(), "{function} returned NULL");
        let text = CStr::from_ptr(out).to_str().expect("output is UTF-8").to_string();
        free(out);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{function} returned invalid JSON ({e}): {text}"))
    }
}

pub fn call(function: &str, request: Value) -> Value {
    call_raw(function, Some(request.to_string().as_bytes()))
}

/// The `result` of a successful call; panics with the error otherwise.
pub fn ok(function: &str, request: Value) -> Value {
    let envelope = call(function, request);
    assert_eq!(envelope["ok"], true, "{function} failed: {envelope}");
    envelope["result"].clone()
}

/// The error code of a failed call; panics if it succeeded.
pub fn error_code(envelope: &Value) -> String {
    assert_eq!(envelope["ok"], false, "expected an error: {envelope}");
    envelope["error"]["code"].as_str().expect("code").to_string()
}

/// The library reads endpoints from the process environment, which is shared by all tests of this
/// process: each test holds this guard while it points the library at its own fake.
pub struct Scenario {
    pub fake: FakeServer,
    _serial: MutexGuard<'static, ()>,
}

pub fn scenario(config: FakeConfig) -> Scenario {
    static SERIAL: Mutex<()> = Mutex::new(());
    let serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let fake = FakeServer::start_background(config).expect("fake starts");
    std::env::set_var("AWS_ENDPOINT_URL_SSO_OIDC", fake.url());
    std::env::set_var("AWS_ENDPOINT_URL_SSO", fake.url());
    Scenario { fake, _serial: serial }
}

/// Logs `environment` in, approving through the fake the way a browser would (an HTTP GET).
pub fn login(environment: &str) -> Value {
    let started = ok("ssocreds_login_start", json!({"environment": environment, "startUrl": START_URL, "region": REGION}));
    if started["status"] == "loggedIn" {
        return started;
    }
    browser_visit(started["verificationUriComplete"].as_str().expect("verificationUriComplete"));
    loop {
        let polled = ok("ssocreds_login_poll", json!({"environment": environment, "waitMs": 500}));
        if polled["status"] == "loggedIn" {
            return polled;
        }
    }
}

/// A plain HTTP GET to a loopback URL, as the user's browser would do.
pub fn browser_visit(url: &str) -> u16 {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("the fake serves http");
    let (authority, path) = rest.split_once('/').map(|(a, p)| (a, format!("/{p}"))).unwrap();
    let mut stream = std::net::TcpStream::connect(authority).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// `n` accounts of the fake as refresh entries with profile names `<prefix>-<i>`.
pub fn accounts(config: &FakeConfig, prefix: &str, role: &str) -> Vec<Value> {
    config
        .accounts
        .iter()
        .enumerate()
        .map(|(i, a)| json!({"profile": format!("{prefix}-{i}"), "accountId": a.account_id, "roleName": role}))
        .collect()
}

/// The file's profiles as `profile -> key -> value`, read the way botocore's configparser does.
pub fn read_profiles(path: &std::path::Path) -> std::collections::HashMap<String, std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(path).expect("credentials file");
    let mut profiles = std::collections::HashMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = Some(name.to_string());
            profiles.entry(name.to_string()).or_insert_with(std::collections::HashMap::new);
        } else if let (Some(section), Some((k, v))) = (&current, line.split_once('=')) {
            profiles.get_mut(section).unwrap().insert(k.trim().to_lowercase(), v.trim().to_string());
        }
    }
    profiles
}
