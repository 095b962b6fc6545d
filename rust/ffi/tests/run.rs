//! The run operation over the C ABI: `ssocreds_run_start`, `_next`, `_answer`, `_cancel`, as
//! P/Invoke and C callers use them.

use std::time::{Duration, Instant};

use fake_identity_center::{Approval, FakeConfig};
use serde_json::{json, Value};

mod common;
use common::{accounts, call, error_code, library, login, ok, scenario, REGION, START_URL};

const ROLE: &str = "ReadOnly";

fn auto_approving(accounts: usize) -> FakeConfig {
    FakeConfig { approval: Approval::AfterPolls(1), ..FakeConfig::with_generated_accounts(accounts, &[ROLE]) }
}

fn refresh_run(config: &FakeConfig, environment: &str, extra: Value) -> Value {
    let mut run = json!({
        "operation": "refresh",
        "request": {"environment": environment, "accounts": accounts(config, "p", ROLE),
            "startUrl": START_URL, "region": REGION},
        "login": {"useDeviceCode": true},
        "frontEnd": "powershell",
    });
    for (key, value) in extra.as_object().unwrap() {
        run[key] = value.clone();
    }
    run
}

fn start(request: Value) -> u64 {
    ok("ssocreds_run_start", request)["runId"].as_u64().expect("runId")
}

fn next(run_id: u64, wait_ms: u64) -> Value {
    ok("ssocreds_run_next", json!({"runId": run_id, "waitMs": wait_ms}))
}

/// Events until one named `name` (returned last), within a minute.
fn until(run_id: u64, name: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut events = Vec::new();
    while Instant::now() < deadline {
        let event = next(run_id, 1000);
        if event["event"] == "none" {
            continue;
        }
        let done = event["event"] == name;
        events.push(event);
        if done {
            return events;
        }
    }
    panic!("no {name} event: {events:?}");
}

#[test]
fn the_abi_version_is_2() {
    // SAFETY: `ssocreds_abi_version` takes nothing and returns an int (the header says so).
    let version = unsafe {
        let f: libloading::Symbol<unsafe extern "C" fn() -> std::ffi::c_int> =
            library().get(b"ssocreds_abi_version").unwrap();
        f()
    };
    assert_eq!(version, 2);
}

#[test]
fn a_run_is_started_confirmed_and_finished_and_then_forgotten() {
    let config = auto_approving(3);
    let request = refresh_run(&config, "RunConfirm", json!({"confirm": true, "interactive": false}));
    let s = scenario(config);
    login("RunConfirm");
    let run_id = start(request);
    let confirm = until(run_id, "confirm").pop().unwrap();
    assert_eq!(confirm["profiles"].as_array().unwrap().len(), 3, "{confirm}");
    assert_eq!(confirm["profiles"][0]["action"], "Refresh AWS credentials");
    assert_eq!(next(run_id, 50), json!({"event": "none"}), "the run waits for the answer");

    assert_eq!(ok("ssocreds_run_answer", json!({"runId": run_id, "confirmed": ["p-1"]})), json!({"answered": true}));
    let events = until(run_id, "finished");
    let finished = events.last().unwrap();
    assert!(finished.get("error").is_none(), "{finished}");
    assert_eq!(finished["errors"], json!([]));
    let statuses: Vec<&str> =
        finished["report"]["profiles"].as_array().unwrap().iter().map(|p| p["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["wouldRefresh", "refreshed", "wouldRefresh"]);
    assert!(events.iter().any(|e| e["event"] == "message" && e["text"] == "Registering Profile p-1"), "{events:?}");
    assert_eq!(s.fake.counters().get_role_credentials, 1);

    for function in ["ssocreds_run_next", "ssocreds_run_cancel"] {
        let envelope = call(function, json!({"runId": run_id}));
        assert_eq!(error_code(&envelope), "InvalidInput");
        assert!(envelope["error"]["message"].as_str().unwrap().contains(&format!("runId {run_id}")), "{envelope}");
    }
    let envelope = call("ssocreds_run_answer", json!({"runId": 987654, "confirmed": []}));
    assert_eq!(error_code(&envelope), "InvalidInput");
}

#[test]
fn bad_requests_fail_the_call_and_a_failing_run_ends_with_finished() {
    let config = auto_approving(1);
    let s = scenario(config);
    let envelope = call("ssocreds_run_start", json!({"operation": "refresh", "interactiv": true}));
    assert_eq!(error_code(&envelope), "InvalidInput");
    assert!(envelope["error"]["message"].as_str().unwrap().contains("interactiv"), "{envelope}");

    let run_id = start(json!({"operation": "refresh", "request": {"environment": "Empty"}}));
    let finished = until(run_id, "finished").pop().unwrap();
    assert_eq!(finished["error"]["code"], "InvalidInput");
    assert!(finished["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("No accounts to refresh for environment 'Empty'"));
    assert_eq!(s.fake.counters().requests(), 0);
}

#[test]
fn cancel_during_a_login_finishes_the_run_with_cancelled_and_frees_the_login() {
    let config = FakeConfig { approval: Approval::Never, ..FakeConfig::with_generated_accounts(1, &[ROLE]) };
    let request = refresh_run(&config, "RunCancel", json!({"interactive": true}));
    let _s = scenario(config);
    let run_id = start(request);
    let login_needed = until(run_id, "loginNeeded").pop().unwrap();
    assert_eq!(login_needed["flow"], "deviceCode");
    assert!(login_needed["userCode"].is_string() && login_needed["ifOpened"].is_array(), "{login_needed}");
    let status = ok("ssocreds_session_status", json!({"environment": "RunCancel"}));
    assert_eq!(status["status"], "pending");

    assert_eq!(ok("ssocreds_run_cancel", json!({"runId": run_id})), json!({"cancelled": true}));
    let finished = next(run_id, 1000);
    assert_eq!((finished["event"].as_str(), finished["error"]["code"].as_str()), (Some("finished"), Some("Cancelled")));
    let status = ok("ssocreds_session_status", json!({"environment": "RunCancel"}));
    assert_ne!(status["status"], "pending", "{status}");
}

#[test]
fn progress_is_coalesced_for_a_front_end_slower_than_the_run() {
    let config = FakeConfig { latency: Duration::from_millis(20), ..auto_approving(40) };
    let request = refresh_run(
        &config,
        "RunProgress",
        json!({"request": {"environment": "RunProgress",
        "accounts": accounts(&config, "p", ROLE), "maxConcurrency": 2}}),
    );
    let _s = scenario(config);
    login("RunProgress");
    let run_id = start(request);
    // A front end that looks only once the run is over sees one progress event: the latest.
    let deadline = Instant::now() + Duration::from_secs(30);
    while ok("ssocreds_session_status", json!({"environment": "RunProgress"}))["status"] != "loggedIn"
        || std::fs::metadata(_s.home.path().join(".aws/credentials")).is_err()
    {
        assert!(Instant::now() < deadline, "the run did not write the file");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let events = until(run_id, "finished");
    let progress: Vec<&Value> = events.iter().filter(|e| e["event"] == "progress").collect();
    let latest = json!({"event": "progress", "activity": "Refreshing AWS credentials (RunProgress)", "completed": 40, "total": 40});
    assert_eq!(progress, [&latest], "{events:?}");
}
