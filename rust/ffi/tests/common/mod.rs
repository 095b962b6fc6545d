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

/// The cdylib this `cargo test` built: in `deps`, beside the test executable (cargo copies it up to
/// `target/<profile>/` only on `cargo build`, so that copy may be stale).
pub fn library_path() -> PathBuf {
    if let Ok(path) = std::env::var("SSOCREDS_LIB") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let deps = exe.parent().expect("target/<profile>/deps");
    deps.join(format!("{}ssocreds{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX))
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
/// It also gets a home folder of its own, where the SSO token cache and AWS config go.
pub struct Scenario {
    pub fake: FakeServer,
    pub home: tempfile::TempDir,
    _serial: MutexGuard<'static, ()>,
}

impl Scenario {
    /// The SSO token cache file of `environment`, as the AWS CLI names it.
    pub fn cache_file(&self, environment: &str) -> PathBuf {
        let digest = {
            use std::fmt::Write;
            let hash = sha1_hex(environment.as_bytes());
            let mut out = String::new();
            for byte in hash {
                write!(out, "{byte:02x}").unwrap();
            }
            out
        };
        self.home.path().join(".aws").join("sso").join("cache").join(format!("{digest}.json"))
    }
}

/// The cross-process login lock of a session: `.<cache file name>.lock` beside its cache file.
pub fn login_lock_file(cache_file: &std::path::Path) -> PathBuf {
    let name = cache_file.file_name().expect("a file name").to_string_lossy();
    cache_file.with_file_name(format!(".{name}.lock"))
}

/// Every variable a home folder is taken from, all naming `home`: HOME, and on Windows USERPROFILE
/// (which the library prefers there) and HOMEDRIVE + HOMEPATH.
pub fn home_variables(home: &std::path::Path) -> [(&'static str, std::ffi::OsString); 4] {
    let mut components = home.components();
    let (drive, path) = match components.next() {
        Some(std::path::Component::Prefix(prefix)) => (prefix.as_os_str().to_owned(), components.as_path().into()),
        _ => (Default::default(), home.into()),
    };
    [("HOME", home.into()), ("USERPROFILE", home.into()), ("HOMEDRIVE", drive), ("HOMEPATH", path)]
}

pub fn scenario(config: FakeConfig) -> Scenario {
    static SERIAL: Mutex<()> = Mutex::new(());
    let serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let fake = FakeServer::start_background(config).expect("fake starts");
    let home = tempfile::tempdir().expect("a temporary home");
    std::env::set_var("AWS_ENDPOINT_URL_SSO_OIDC", fake.url());
    std::env::set_var("AWS_ENDPOINT_URL_SSO", fake.url());
    for (name, value) in home_variables(home.path()) {
        std::env::set_var(name, value);
    }
    std::env::remove_var("AWS_CONFIG_FILE");
    std::env::remove_var("AWS_SHARED_CREDENTIALS_FILE");
    Scenario { fake, home, _serial: serial }
}

/// SHA-1, for naming cache files independently of the library (FIPS 180-4, small and slow is fine).
pub fn sha1_hex(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut message = data.to_vec();
    let bit_len = (data.len() as u64) * 8;
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bit_len.to_be_bytes());
    for chunk in message.chunks(64) {
        let mut w = [0u32; 80];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([chunk[4 * i], chunk[4 * i + 1], chunk[4 * i + 2], chunk[4 * i + 3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let (mut a, mut b, mut c, mut d, mut e) = (h[0], h[1], h[2], h[3], h[4]);
        for (i, word) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a.rotate_left(5).wrapping_add(f).wrapping_add(e).wrapping_add(k).wrapping_add(*word);
            (e, d, c, b, a) = (d, c, b.rotate_left(30), a, t);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, word) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// Logs `environment` in, approving through the fake the way a browser would (an HTTP GET).
pub fn login(environment: &str) -> Value {
    let started = ok(
        "ssocreds_login_start",
        json!({"environment": environment, "startUrl": START_URL, "region": REGION, "useDeviceCode": true}),
    );
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
    browser_get(url).0
}

/// What a browser does with an authorization URL: the GET, then the GET of its redirect (back to
/// the library's loopback listener, which answers while `login_poll` runs). The last status.
pub fn browser_follow(url: &str) -> u16 {
    match browser_get(url) {
        (302, Some(location)) => browser_get(&location).0,
        (status, _) => status,
    }
}

/// A GET: the status, and where a redirect points.
fn browser_get(url: &str) -> (u16, Option<String>) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("the fake serves http");
    let (authority, path) = rest.split_once('/').map(|(a, p)| (a, format!("/{p}"))).unwrap();
    let mut stream = std::net::TcpStream::connect(authority).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let location = answer.lines().take_while(|l| !l.is_empty()).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("location").then(|| value.trim().to_string())
    });
    (answer.split_whitespace().nth(1).unwrap().parse().unwrap(), location)
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
pub fn read_profiles(
    path: &std::path::Path,
) -> std::collections::HashMap<String, std::collections::HashMap<String, String>> {
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
