//! The C ABI, loaded dynamically from the built library and driven against the bundled fake, as
//! PowerShell's P/Invoke and C programs use it.

mod common;

use std::time::{Duration, Instant};

use common::*;
use fake_identity_center::{Approval, FakeConfig};
use serde_json::{json, Value};

fn refresh(environment: &str, accounts: &[Value], file: &std::path::Path, extra: Value) -> Value {
    let mut request = json!({"environment": environment, "accounts": accounts, "credentialsFile": file});
    if let (Some(request), Some(extra)) = (request.as_object_mut(), extra.as_object()) {
        request.extend(extra.clone());
    }
    ok("ssocreds_refresh", request)
}

fn statuses(result: &Value) -> Vec<String> {
    result["profiles"].as_array().unwrap().iter().map(|p| p["status"].as_str().unwrap().to_string()).collect()
}

#[test]
fn version_is_the_crate_version() {
    let lib = library();
    // SAFETY: `ssocreds_version` returns a static NUL-terminated string.
    let version = unsafe {
        let f: libloading::Symbol<unsafe extern "C" fn() -> *const std::ffi::c_char> =
            lib.get(b"ssocreds_version").unwrap();
        std::ffi::CStr::from_ptr(f()).to_str().unwrap().to_string()
    };
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
}

#[test]
fn device_login_waits_while_pending_slows_down_when_told_and_completes_on_approval() {
    let config =
        FakeConfig { slow_down_polls: 1, interval_seconds: 1, ..FakeConfig::with_generated_accounts(1, &["ReadOnly"]) };
    let s = scenario(config);
    let env = "LoginFlow";
    let started = ok(
        "ssocreds_login_start",
        json!({"environment": env, "startUrl": START_URL, "region": REGION, "useDeviceCode": true}),
    );
    assert_eq!(started["status"], "pending");
    for field in ["userCode", "verificationUri", "verificationUriComplete", "expiresAt"] {
        assert!(started[field].as_str().is_some_and(|v| !v.is_empty()), "{field} in {started}");
    }
    assert_eq!(started["intervalSeconds"], 1);
    assert_eq!(ok("ssocreds_session_status", json!({"environment": env}))["status"], "pending");

    // Not approved yet: the first poll is answered SlowDown, so the next must wait 1 + 5 s.
    let waited = Instant::now();
    assert_eq!(ok("ssocreds_login_poll", json!({"environment": env, "waitMs": 300}))["status"], "pending");
    assert!(waited.elapsed() >= Duration::from_millis(250), "poll returned before its wait");
    let refused = call(
        "ssocreds_refresh",
        json!({"environment": env, "accounts": [{"profile": "p", "accountId": "100000000000", "roleName": "ReadOnly"}]}),
    );
    assert_eq!(error_code(&refused), "LoginPending");

    assert_eq!(browser_visit(started["verificationUriComplete"].as_str().unwrap()), 200);
    let approved_at = Instant::now();
    let expires_at = loop {
        let polled = ok("ssocreds_login_poll", json!({"environment": env, "waitMs": 500}));
        if polled["status"] == "loggedIn" {
            break polled["expiresAt"].as_str().unwrap().to_string();
        }
        assert!(approved_at.elapsed() < Duration::from_secs(15), "login never completed");
    };
    assert!(approved_at.elapsed() >= Duration::from_secs(4), "the 5 s slow-down step was not honoured");
    let counters = s.fake.counters();
    assert_eq!(counters.create_token, 2, "one SlowDown answer, then the token: {counters:?}");
    assert_eq!(counters.slow_down, 1, "polled faster than the interval: {counters:?}");

    let status = ok("ssocreds_session_status", json!({"environment": env}));
    assert_eq!(status["status"], "loggedIn");
    assert_eq!(status["expiresAt"], expires_at.as_str());
    assert!(status["secondsLeft"].as_u64().unwrap() > 3600);

    // A second start reuses the cached token: no new registration or device authorization.
    assert_eq!(
        ok(
            "ssocreds_login_start",
            json!({"environment": env, "startUrl": START_URL, "region": REGION, "useDeviceCode": true})
        )["status"],
        "loggedIn"
    );
    let counters = s.fake.counters();
    assert_eq!((counters.register_client, counters.start_device_authorization), (1, 1));

    assert_eq!(ok("ssocreds_logout", json!({"environment": env}))["loggedOut"], true);
    assert_eq!(s.fake.counters().logout, 1);
    assert_eq!(ok("ssocreds_session_status", json!({"environment": env}))["status"], "none");
}

#[test]
fn denied_and_expired_device_logins_are_reported() {
    let s = scenario(FakeConfig { approval: Approval::Deny, ..FakeConfig::with_generated_accounts(1, &["ReadOnly"]) });
    let started = ok(
        "ssocreds_login_start",
        json!({"environment": "Denied", "startUrl": START_URL, "region": REGION, "useDeviceCode": true}),
    );
    browser_visit(started["verificationUriComplete"].as_str().unwrap());
    let denied = loop {
        let envelope = call("ssocreds_login_poll", json!({"environment": "Denied", "waitMs": 1500}));
        if envelope["ok"] == false {
            break envelope;
        }
    };
    assert_eq!(error_code(&denied), "AccessDenied");
    drop(s);

    let s = scenario(FakeConfig {
        approval: Approval::Never,
        device_code_ttl: Duration::from_secs(1),
        ..FakeConfig::with_generated_accounts(1, &["ReadOnly"])
    });
    ok(
        "ssocreds_login_start",
        json!({"environment": "Expired", "startUrl": START_URL, "region": REGION, "useDeviceCode": true}),
    );
    let expired = loop {
        let envelope = call("ssocreds_login_poll", json!({"environment": "Expired", "waitMs": 1500}));
        if envelope["ok"] == false {
            break envelope;
        }
    };
    assert_eq!(error_code(&expired), "DeviceCodeExpired");
    assert_eq!(error_code(&call("ssocreds_login_poll", json!({"environment": "Expired"}))), "LoginRequired");
    drop(s);
}

#[test]
fn a_cancelled_login_is_forgotten_and_polling_then_requires_a_new_login() {
    let s = scenario(FakeConfig::with_generated_accounts(1, &["ReadOnly"]));
    let env = "Cancelled";
    let start = json!({"environment": env, "startUrl": START_URL, "region": REGION, "useDeviceCode": true});
    assert_eq!(ok("ssocreds_login_start", start.clone())["status"], "pending");
    assert_eq!(ok("ssocreds_session_status", json!({"environment": env}))["status"], "pending");

    assert_eq!(
        ok("ssocreds_login_cancel", json!({"environment": env})),
        json!({"environment": env, "cancelled": true})
    );
    assert_eq!(ok("ssocreds_session_status", json!({"environment": env}))["status"], "none");
    let polled = call("ssocreds_login_poll", json!({"environment": env, "waitMs": 100}));
    assert_eq!(error_code(&polled), "LoginRequired");
    assert!(polled["error"]["message"].as_str().unwrap().contains("no login is in progress"), "{polled}");
    assert_eq!(
        ok("ssocreds_login_cancel", json!({"environment": env})),
        json!({"environment": env, "cancelled": false})
    );
    assert!(!s.cache_file(env).exists(), "nothing was written");
    for bad in [json!({"environment": ""}), json!({"environment": "a[b]"}), json!({"environment": env, "extra": 1})] {
        assert_eq!(error_code(&call("ssocreds_login_cancel", bad.clone())), "InvalidInput", "{bad}");
    }

    // A new login works after a cancel; cancelling a forced re-login keeps the valid token and its file.
    login(env);
    let cached = std::fs::read(s.cache_file(env)).unwrap();
    let forced =
        json!({"environment": env, "startUrl": START_URL, "region": REGION, "useDeviceCode": true, "forceLogin": true});
    assert_eq!(ok("ssocreds_login_start", forced)["status"], "pending");
    assert_eq!(ok("ssocreds_login_cancel", json!({"environment": env}))["cancelled"], true);
    assert_eq!(ok("ssocreds_session_status", json!({"environment": env}))["status"], "loggedIn");
    assert_eq!(std::fs::read(s.cache_file(env)).unwrap(), cached);
    assert_eq!(s.fake.counters().start_device_authorization, 3);
}

/// Calls `ssocreds_login_poll {waitMs: 5000}` on another thread, cancels once it is blocked, and
/// returns what the poll answered and how long it took.
fn cancel_during_a_blocked_poll(env: &str) -> (Value, Duration) {
    let poller = {
        let env = env.to_string();
        std::thread::spawn(move || {
            let started = Instant::now();
            let envelope = call("ssocreds_login_poll", json!({"environment": env, "waitMs": 5000}));
            (envelope, started.elapsed())
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(ok("ssocreds_login_cancel", json!({"environment": env}))["cancelled"], true);
    poller.join().unwrap()
}

#[test]
fn a_cancel_from_another_thread_ends_a_blocked_poll_at_once() {
    // A 10 s interval: without the cancel the poll would sleep until its 5 s deadline.
    let _s = scenario(FakeConfig { interval_seconds: 10, ..FakeConfig::with_generated_accounts(1, &["ReadOnly"]) });
    let env = "CancelWhilePolling";
    assert_eq!(
        ok(
            "ssocreds_login_start",
            json!({"environment": env, "startUrl": START_URL, "region": REGION, "useDeviceCode": true})
        )["status"],
        "pending"
    );
    let (envelope, took) = cancel_during_a_blocked_poll(env);
    assert!(took < Duration::from_secs(2), "the poll returned after {took:?}");
    assert!(envelope["result"]["status"] == "pending" || error_code(&envelope) == "LoginRequired", "{envelope}");
    assert_eq!(ok("ssocreds_session_status", json!({"environment": env}))["status"], "none");
    assert_eq!(error_code(&call("ssocreds_login_poll", json!({"environment": env}))), "LoginRequired");
}

#[test]
fn a_cancel_ends_the_wait_for_another_process_login() {
    let s = scenario(FakeConfig::with_generated_accounts(1, &["ReadOnly"]));
    let env = "CancelWhileWaiting";
    // Another process's login: an independent handle holding the session's lock file.
    let cache_file = s.cache_file(env);
    std::fs::create_dir_all(cache_file.parent().unwrap()).unwrap();
    let other = std::fs::File::create(login_lock_file(&cache_file)).unwrap();
    other.try_lock().expect("the lock is free");
    assert_eq!(
        ok(
            "ssocreds_login_start",
            json!({"environment": env, "startUrl": START_URL, "region": REGION, "useDeviceCode": true})
        )["status"],
        "waiting"
    );
    assert_eq!(ok("ssocreds_session_status", json!({"environment": env}))["status"], "pending");
    let (envelope, took) = cancel_during_a_blocked_poll(env);
    assert!(took < Duration::from_secs(2), "the poll returned after {took:?}");
    assert!(envelope["result"]["status"] == "pending" || error_code(&envelope) == "LoginRequired", "{envelope}");
    assert_eq!(ok("ssocreds_session_status", json!({"environment": env}))["status"], "none");
    assert_eq!(error_code(&call("ssocreds_login_poll", json!({"environment": env}))), "LoginRequired");
    assert_eq!(s.fake.counters().start_device_authorization, 0);
}

#[test]
fn fifty_profiles_get_exactly_what_the_service_issued_and_a_second_run_sends_nothing() {
    let config = FakeConfig::with_generated_accounts(50, &["ReadOnly", "Admin"]);
    let accounts = accounts(&config, "team", "ReadOnly");
    let s = scenario(config);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials");
    std::fs::write(&file, "# kept\r\n[default]\r\nregion = eu-west-1\r\n").unwrap();
    login("Fifty");

    let result = refresh("Fifty", &accounts, &file, json!({}));
    assert!(statuses(&result).iter().all(|s| s == "refreshed"), "{result}");
    assert_eq!(s.fake.counters().get_role_credentials, 50);
    let profiles = read_profiles(&file);
    for (i, account) in accounts.iter().enumerate() {
        let account_id = account["accountId"].as_str().unwrap();
        let issued = s.fake.issued_credentials(account_id, "ReadOnly").expect("issued");
        let written = &profiles[&format!("team-{i}")];
        assert_eq!(written["aws_access_key_id"], issued.access_key_id);
        assert_eq!(written["aws_secret_access_key"], issued.secret_access_key);
        assert_eq!(written["aws_session_token"], issued.session_token);
        assert_eq!(written["aws_account_id"], account_id);
        let reported = &result["profiles"][i];
        assert_eq!(reported["profile"], format!("team-{i}"), "reported in request order");
        assert_eq!(written["aws_credential_expiration"], reported["expiresAt"].as_str().unwrap());
        let text = result.to_string();
        assert!(
            !text.contains(&issued.secret_access_key) && !text.contains(&issued.session_token),
            "secrets in the report"
        );
    }
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("# kept\r\n[default]\r\nregion = eu-west-1\r\n\r\n[team-0]\r\n"),
        "existing lines kept, CRLF kept"
    );

    let again = refresh("Fifty", &accounts, &file, json!({}));
    assert!(statuses(&again).iter().all(|s| s == "current"));
    assert_eq!(s.fake.counters().get_role_credentials, 50, "a run with nothing to do sends nothing");

    let before = std::fs::read(&file).unwrap();
    let dry = refresh("Fifty", &accounts, &file, json!({"force": true, "dryRun": true}));
    assert!(statuses(&dry).iter().all(|s| s == "wouldRefresh"));
    assert_eq!(std::fs::read(&file).unwrap(), before, "a dry run writes nothing");
    assert_eq!(s.fake.counters().get_role_credentials, 50, "a dry run sends nothing");

    let forced = refresh("Fifty", &accounts, &file, json!({"force": true, "maxConcurrency": 4}));
    assert!(statuses(&forced).iter().all(|s| s == "refreshed"));
    assert_eq!(s.fake.counters().get_role_credentials, 100);
    let issued = s.fake.issued_credentials(accounts[0]["accountId"].as_str().unwrap(), "ReadOnly").unwrap();
    assert_eq!(
        read_profiles(&file)["team-0"]["aws_access_key_id"],
        issued.access_key_id,
        "forced values replace the old ones"
    );

    // Switching a profile to another role makes it stale, even though it has not expired.
    let mut switched = accounts.clone();
    switched[3]["roleName"] = json!("Admin");
    let result = refresh("Fifty", &switched, &file, json!({}));
    assert_eq!(statuses(&result).iter().filter(|s| *s == "refreshed").count(), 1);
    assert_eq!(result["profiles"][3]["status"], "refreshed");
}

#[test]
fn one_forbidden_account_fails_alone() {
    let mut config = FakeConfig::with_generated_accounts(20, &["ReadOnly"]);
    let forbidden = config.accounts[7].account_id.clone();
    config.forbidden.push((forbidden.clone(), "ReadOnly".into()));
    let accounts = accounts(&config, "acct", "ReadOnly");
    let s = scenario(config);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials");
    login("Forbidden");
    let result = refresh("Forbidden", &accounts, &file, json!({}));
    let failed: Vec<&Value> =
        result["profiles"].as_array().unwrap().iter().filter(|p| p["status"] == "failed").collect();
    assert_eq!(failed.len(), 1, "{result}");
    assert_eq!(failed[0]["profile"], "acct-7");
    assert_eq!(failed[0]["error"]["code"], "Forbidden");
    let message = failed[0]["error"]["message"].as_str().unwrap();
    assert!(message.contains("acct-7") && message.contains(&forbidden) && message.contains("ReadOnly"), "{message}");
    let profiles = read_profiles(&file);
    assert_eq!(profiles.len(), 19);
    assert!(!profiles.contains_key("acct-7"));
    assert_eq!(s.fake.counters().get_role_credentials, 20);
}

#[test]
fn a_rejected_token_is_renewed_with_its_refresh_token_then_login_is_required_once_the_session_ends() {
    let config = FakeConfig::with_generated_accounts(5, &["ReadOnly"]);
    let accounts = accounts(&config, "exp", "ReadOnly");
    let s = scenario(config);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials");
    login("Rejected");
    s.fake.expire_access_tokens();
    let result = refresh("Rejected", &accounts, &file, json!({"maxConcurrency": 1}));
    assert!(result["profiles"].as_array().unwrap().iter().all(|p| p["error"]["code"] == "LoginRequired"), "{result}");
    assert_eq!(s.fake.counters().get_role_credentials, 1, "after the first 401 nothing more is sent");
    assert!(!file.exists(), "nothing to write, so no file");
    let status = ok("ssocreds_session_status", json!({"environment": "Rejected"}));
    assert_eq!((status["status"].as_str(), status["refreshable"].as_bool()), (Some("expired"), Some(true)), "{status}");

    // The next run renews the token without the user, with the refresh-token grant.
    let result = refresh("Rejected", &accounts, &file, json!({}));
    assert!(statuses(&result).iter().all(|s| s == "refreshed"), "{result}");
    assert_eq!(s.fake.counters().create_token_refresh, 1);
    assert_eq!(s.fake.counters().start_device_authorization, 1, "no second browser login");

    // Once the service accepts neither the token nor the registration, the session has ended.
    s.fake.expire_access_tokens();
    s.fake.expire_registrations();
    let result = refresh("Rejected", &accounts, &file, json!({"force": true}));
    assert!(result["profiles"].as_array().unwrap().iter().all(|p| p["error"]["code"] == "LoginRequired"), "{result}");
    let envelope = call(
        "ssocreds_refresh",
        json!({"environment": "Rejected", "accounts": accounts, "credentialsFile": file, "force": true}),
    );
    assert_eq!(error_code(&envelope), "LoginRequired");
    assert!(envelope["error"]["message"].as_str().unwrap().contains("Rejected"), "{envelope}");
}

#[test]
fn hostile_inputs_get_error_objects_and_leave_the_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials");
    let original = b"[default]\naws_access_key_id = KEEP\n";
    std::fs::write(&file, original).unwrap();
    let functions = [
        "ssocreds_login_start",
        "ssocreds_login_poll",
        "ssocreds_login_cancel",
        "ssocreds_refresh",
        "ssocreds_refresh_start",
        "ssocreds_refresh_poll",
        "ssocreds_refresh_cancel",
        "ssocreds_config_sessions",
        "ssocreds_discover",
        "ssocreds_session_status",
        "ssocreds_logout",
        "ssocreds_set_environment",
    ];
    for function in functions {
        assert_eq!(error_code(&call_raw(function, None)), "InvalidInput", "{function}(NULL)");
        assert_eq!(
            error_code(&call_raw(function, Some(b"{\"environment\":\"\xff\xfe\"}"))),
            "InvalidInput",
            "{function}(bad UTF-8)"
        );
        assert_eq!(error_code(&call_raw(function, Some(b"{not json"))), "InvalidInput", "{function}(bad JSON)");
        assert_eq!(error_code(&call_raw(function, Some(b"[]"))), "InvalidInput", "{function}(array)");
    }
    let refresh_with = |accounts: Value, extra: Value| {
        let mut request = json!({"environment": "Hostile", "accounts": accounts, "credentialsFile": file});
        request.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        call("ssocreds_refresh", request)
    };
    let cases = [
        (
            json!([{"profile": "x]\n[default", "accountId": "123456789012", "roleName": "R"}]),
            json!({}),
            "accounts[0].profile",
        ),
        (json!([{"profile": "ok", "accountId": "12345678901", "roleName": "R"}]), json!({}), "accounts[0].accountId"),
        (json!([{"profile": "ok", "accountId": 123456789012u64, "roleName": "R"}]), json!({}), "string"),
        (json!([{"profile": "ok", "accountId": "123456789012", "roleName": "R R"}]), json!({}), "accounts[0].roleName"),
        (json!([{"profile": "ok", "accountId": "123456789012"}]), json!({}), "defaultRoleName"),
        (
            json!([{"profile": "a", "accountId": "123456789012", "roleName": "R"}, {"profile": "a", "accountId": "123456789013", "roleName": "R"}]),
            json!({}),
            "appears twice",
        ),
        (
            json!([{"profile": "ok", "accountId": "123456789012", "roleName": "R"}]),
            json!({"maxConcurrency": 0}),
            "maxConcurrency",
        ),
        (
            json!([{"profile": "ok", "accountId": "123456789012", "roleName": "R"}]),
            json!({"maxConcurency": 4}),
            "unknown field",
        ),
        (json!([]), json!({}), "accounts is empty"),
    ];
    for (accounts, extra, mentions) in cases {
        let envelope = refresh_with(accounts.clone(), extra);
        assert_eq!(error_code(&envelope), "InvalidInput", "{accounts}");
        let message = envelope["error"]["message"].as_str().unwrap();
        assert!(message.contains(mentions), "message {message:?} should mention {mentions:?}");
        assert!(!message.contains('\n'), "one-line message: {message:?}");
    }
    let huge = format!("{{\"environment\":\"{}\"}}", "x".repeat(10 * 1024 * 1024));
    let envelope = call_raw("ssocreds_refresh", Some(huge.as_bytes()));
    assert_eq!(error_code(&envelope), "InvalidInput");
    assert!(envelope["error"]["message"].as_str().unwrap().len() < 200, "the input is not echoed back");
    let start = call(
        "ssocreds_login_start",
        json!({"environment": "Hostile", "startUrl": "http://sso.example.com/start", "region": REGION}),
    );
    assert_eq!(error_code(&start), "InvalidInput");
    let start =
        call("ssocreds_login_start", json!({"environment": "Hostile", "startUrl": START_URL, "region": "Mars-1"}));
    assert_eq!(error_code(&start), "InvalidInput");
    assert_eq!(error_code(&call("ssocreds_refresh_poll", json!({"operationId": 999999}))), "InvalidInput");
    assert_eq!(std::fs::read(&file).unwrap(), original, "the file is untouched");
}

#[test]
fn endpoints_over_plain_http_to_remote_hosts_are_refused() {
    let s = scenario(FakeConfig::with_generated_accounts(1, &["ReadOnly"]));
    std::env::set_var("AWS_ENDPOINT_URL_SSO_OIDC", "http://sso.example.com");
    let envelope = call(
        "ssocreds_login_start",
        json!({"environment": "Insecure", "startUrl": START_URL, "region": REGION, "useDeviceCode": true}),
    );
    assert_eq!(error_code(&envelope), "InsecureEndpoint");
    assert_eq!(s.fake.counters().register_client, 0);
}

#[test]
fn background_refresh_reports_progress_then_the_result() {
    let config =
        FakeConfig { latency: Duration::from_millis(30), ..FakeConfig::with_generated_accounts(40, &["ReadOnly"]) };
    let accounts = accounts(&config, "bg", "ReadOnly");
    let _s = scenario(config);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials");
    login("Background");
    let started = ok(
        "ssocreds_refresh_start",
        json!({"environment": "Background", "accounts": accounts, "credentialsFile": file, "maxConcurrency": 2}),
    );
    assert_eq!(started["total"], 40);
    let id = started["operationId"].clone();
    let mut seen_running = false;
    let done = loop {
        let polled = ok("ssocreds_refresh_poll", json!({"operationId": id, "waitMs": 100}));
        if polled["status"] == "done" {
            break polled;
        }
        seen_running = true;
        assert!(polled["completed"].as_u64().unwrap() <= 40);
    };
    assert!(seen_running);
    assert_eq!(done["completed"], 40);
    assert!(statuses(&done["result"]).iter().all(|s| s == "refreshed"));
    assert_eq!(
        error_code(&call("ssocreds_refresh_poll", json!({"operationId": id}))),
        "InvalidInput",
        "forgotten once done"
    );
}

/// Starts a refresh in the background and waits for it: (how long it took, its result).
fn run_in_background(request: &Value) -> (Duration, Value) {
    let started = Instant::now();
    let id = ok("ssocreds_refresh_start", request.clone())["operationId"].clone();
    loop {
        let polled = ok("ssocreds_refresh_poll", json!({"operationId": id, "waitMs": 20}));
        if polled["status"] == "done" {
            return (started.elapsed(), polled["result"].clone());
        }
    }
}

#[test]
fn a_cancelled_refresh_writes_nothing_and_sends_nothing_more() {
    let config =
        FakeConfig { latency: Duration::from_millis(40), ..FakeConfig::with_generated_accounts(5, &["ReadOnly"]) };
    let accounts = accounts(&config, "cancel", "ReadOnly");
    let s = scenario(config);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials");
    login("Cancel");
    let request = json!({"environment": "Cancel", "accounts": accounts, "credentialsFile": file, "maxConcurrency": 1, "force": true});
    // The same refresh, not cancelled: how long it takes to write.
    let (took, result) = run_in_background(&request);
    assert!(statuses(&result).iter().all(|s| s == "refreshed"), "{result}");
    let before = std::fs::read(&file).unwrap();

    let id = ok("ssocreds_refresh_start", request)["operationId"].clone();
    // Cancelled in the middle: the first profile is fetched, the others are not.
    while ok("ssocreds_refresh_poll", json!({"operationId": id, "waitMs": 5}))["completed"] == 0 {}
    assert_eq!(ok("ssocreds_refresh_cancel", json!({"operationId": id}))["cancelled"], true);
    let calls_at_cancel = s.fake.counters().get_role_credentials;
    // Long enough that a refresh still running would have fetched everything and written.
    std::thread::sleep((took * 3).max(Duration::from_millis(500)));
    assert_eq!(std::fs::read(&file).unwrap(), before, "a cancelled refresh writes nothing");
    assert!(
        s.fake.counters().get_role_credentials <= calls_at_cancel + 1,
        "after the cancel, no new request is sent (one may have been under way)"
    );
    assert_eq!(error_code(&call("ssocreds_refresh_poll", json!({"operationId": id}))), "InvalidInput");
}

/// Several processes refreshing the same file at once: every profile of every process survives.
#[test]
fn concurrent_processes_never_lose_each_others_profiles() {
    const PROCESSES: usize = 4;
    let roles: Vec<String> = (0..PROCESSES).map(|i| format!("Role{i}")).collect();
    let role_refs: Vec<&str> = roles.iter().map(String::as_str).collect();
    let config =
        FakeConfig { approval: Approval::AfterPolls(1), ..FakeConfig::with_generated_accounts(25, &role_refs) };
    let account_ids: Vec<String> = config.accounts.iter().map(|a| a.account_id.clone()).collect();
    let s = scenario(config);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("credentials");
    std::fs::write(&file, "[default]\nregion = us-west-2\n").unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|i| {
            std::process::Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "child_process_refreshes_its_own_profiles", "--ignored", "--nocapture"])
                .env("CHILD_ROLE", &roles[i])
                .env("CHILD_FILE", &file)
                .env("AWS_ENDPOINT_URL_SSO_OIDC", s.fake.url())
                .env("AWS_ENDPOINT_URL_SSO", s.fake.url())
                .output()
                .unwrap()
        })
        .collect::<Vec<_>>();
    for (i, child) in children.iter().enumerate() {
        assert!(child.status.success(), "child {i}: {}", String::from_utf8_lossy(&child.stdout));
    }
    let profiles = read_profiles(&file);
    assert_eq!(profiles["default"]["region"], "us-west-2");
    assert_eq!(profiles.len(), 1 + PROCESSES * account_ids.len());
    for role in &roles {
        for account_id in &account_ids {
            let issued = s.fake.issued_credentials(account_id, role).unwrap();
            assert_eq!(profiles[&format!("{account_id}.{role}")]["aws_access_key_id"], issued.access_key_id);
        }
    }
}

/// Run only by `concurrent_processes_never_lose_each_others_profiles`, in its own process.
#[test]
#[ignore = "runs as a child process of another test"]
fn child_process_refreshes_its_own_profiles() {
    let (Ok(role), Ok(file)) = (std::env::var("CHILD_ROLE"), std::env::var("CHILD_FILE")) else { return };
    // Each process keeps its own token in memory, so this exercises the credentials file alone.
    let started = ok(
        "ssocreds_login_start",
        json!({"environment": "Child", "startUrl": START_URL, "region": REGION, "useDeviceCode": true, "noTokenFile": true}),
    );
    assert_eq!(started["status"], "pending");
    while ok("ssocreds_login_poll", json!({"environment": "Child", "waitMs": 500}))["status"] != "loggedIn" {}
    let accounts: Vec<Value> = (0..25)
        .map(|i| {
            let account_id = format!("{}", 100_000_000_000u64 + i);
            json!({"profile": format!("{account_id}.{role}"), "accountId": account_id, "roleName": role})
        })
        .collect();
    // Small batches make the writes of the processes interleave.
    for batch in accounts.chunks(5) {
        let result =
            ok("ssocreds_refresh", json!({"environment": "Child", "accounts": batch, "credentialsFile": file}));
        assert!(statuses(&result).iter().all(|s| s == "refreshed"), "{result}");
    }
}

/// A host whose environment is not the C library's (.NET on Linux/macOS) sets it explicitly.
#[test]
fn the_host_can_set_what_the_library_sees_of_the_environment() {
    let s = scenario(FakeConfig {
        approval: Approval::AfterPolls(1),
        ..FakeConfig::with_generated_accounts(2, &["ReadOnly"])
    });
    let elsewhere = tempfile::tempdir().unwrap();
    // USERPROFILE too: Windows prefers it to HOME, and the process's own names the scenario's home.
    let set = ok(
        "ssocreds_set_environment",
        json!({"variables": {
            "HOME": elsewhere.path(),
            "USERPROFILE": elsewhere.path(),
            "AWS_SHARED_CREDENTIALS_FILE": null
        }}),
    );
    assert_eq!(set["variables"], 3);
    login("HostEnv");
    let accounts = accounts(&FakeConfig::with_generated_accounts(2, &["ReadOnly"]), "host", "ReadOnly");
    ok("ssocreds_refresh", json!({"environment": "HostEnv", "accounts": accounts}));
    assert!(elsewhere.path().join(".aws/credentials").exists(), "the credentials went to the home the host set");
    assert!(!s.home.path().join(".aws/credentials").exists());
    let bad = call("ssocreds_set_environment", json!({"variables": {"NOT-A-NAME": "x", "HOME": "/never"}}));
    assert_eq!(error_code(&bad), "InvalidInput");
    let status = ok("ssocreds_session_status", json!({"environment": "HostEnv"}));
    assert_eq!(status["status"], "loggedIn", "the bad request changed nothing: {status}");
    // Back to the process's own values for the tests that follow.
    ok("ssocreds_set_environment", json!({"variables": {}}));
    assert_eq!(
        ok("ssocreds_session_status", json!({"environment": "HostEnv"}))["status"],
        "loggedIn",
        "still in memory"
    );
}
