//! `-FromConfig` through the C ABI, as the cmdlet drives it: `ssocreds_config_sessions` says which
//! sessions of `~/.aws/config` need a login, `ssocreds_login_start` logs in to each with what it
//! said, and `ssocreds_refresh` with `fromConfig` writes every SSO profile.

mod common;

use common::*;
use fake_identity_center::FakeConfig;
use serde_json::{json, Value};

const LEGACY_URL: &str = "https://legacy.awsapps.com/start";

fn write_aws_config(s: &Scenario) -> std::path::PathBuf {
    let config = format!(
        "[default]\nregion = {REGION}\n\n[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = {REGION}\n\n\
         [profile dev]\nsso_session = corp\nsso_account_id = 100000000000\nsso_role_name = ReadOnly\n\n\
         [profile old]\nsso_start_url = {LEGACY_URL}\nsso_region = us-east-2\nsso_account_id = 100000000001\n\
         sso_role_name = ReadOnly\n"
    );
    let path = s.home.path().join(".aws").join("config");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, config).unwrap();
    path
}

/// The request as .NET's serializer writes it: fields it has no value for are `null`.
fn from_config(extra: Value) -> Value {
    let mut request = json!({"environment": null, "accounts": null, "fromConfig": true});
    request.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    request
}

#[test]
fn config_sessions_names_the_sessions_to_log_in_to_then_refresh_writes_every_profile() {
    let s = scenario(FakeConfig::with_generated_accounts(2, &["ReadOnly"]));
    let config_file = write_aws_config(&s);
    login("corp");

    let found = ok("ssocreds_config_sessions", from_config(json!({})));
    assert_eq!(found["configFile"], config_file.display().to_string());
    let sessions = found["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{found}");
    assert_eq!(
        (
            &sessions[0]["environment"],
            &sessions[0]["ssoSession"],
            &sessions[0]["profiles"],
            &sessions[0]["loginRequired"]
        ),
        (&json!("corp"), &json!("corp"), &json!(["dev"]), &json!(false))
    );
    assert!(sessions[0]["expiresAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        sessions[1],
        json!({"environment": LEGACY_URL, "ssoSession": null, "startUrl": LEGACY_URL, "region": "us-east-2",
               "profiles": ["old"], "loginRequired": true})
    );
    assert_eq!(
        found["skipped"],
        json!([{"profile": "default", "reason": "not an SSO profile (no sso_account_id or sso_role_name)"}])
    );
    assert_eq!(s.fake.counters().get_role_credentials, 0, "no network call");

    // Not logged in to the legacy start URL: only its profile fails.
    let report = ok("ssocreds_refresh", from_config(json!({})));
    let profiles = report["profiles"].as_array().unwrap();
    assert_eq!(
        (&profiles[0]["profile"], &profiles[0]["status"], &profiles[0]["configProfile"], &profiles[0]["environment"]),
        (&json!("dev"), &json!("refreshed"), &json!("dev"), &json!("corp"))
    );
    assert_eq!((&profiles[1]["status"], &profiles[1]["error"]["code"]), (&json!("failed"), &json!("LoginRequired")));
    assert!(profiles[1]["error"]["message"].as_str().unwrap().contains("aws sso login --profile old"));
    assert_eq!(report["configFile"], config_file.display().to_string());

    // The cmdlet logs in with what config_sessions said, then refreshes again.
    let legacy = &sessions[1];
    let login =
        json!({"environment": legacy["environment"], "startUrl": legacy["startUrl"], "region": legacy["region"]});
    let started = ok("ssocreds_login_start", login);
    browser_visit(started["verificationUriComplete"].as_str().unwrap());
    while ok("ssocreds_login_poll", json!({"environment": LEGACY_URL, "waitMs": 500}))["status"] != "loggedIn" {}
    assert!(s.cache_file(LEGACY_URL).is_file(), "the token is where `aws sso login --profile old` keeps it");
    let found = ok("ssocreds_config_sessions", from_config(json!({})));
    assert!(found["sessions"].as_array().unwrap().iter().all(|s| s["loginRequired"] == false), "{found}");
    let report = ok("ssocreds_refresh", from_config(json!({})));
    let statuses: Vec<&str> =
        report["profiles"].as_array().unwrap().iter().map(|p| p["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["current", "refreshed"]);
}

#[test]
fn bad_from_config_requests_are_refused_naming_the_field() {
    let s = scenario(FakeConfig::with_generated_accounts(1, &["ReadOnly"]));
    write_aws_config(&s);
    for (function, extra, says) in [
        (
            "ssocreds_config_sessions",
            json!({"configProfile": ["nope*"]}),
            "configProfile 'nope*' matches no SSO profile",
        ),
        ("ssocreds_config_sessions", json!({"configProfiles": ["dev"]}), "unknown field"),
        ("ssocreds_refresh", json!({"discover": true}), "discover cannot be used with fromConfig"),
        ("ssocreds_refresh_start", json!({"noTokenFile": true}), "noTokenFile cannot be used with fromConfig"),
    ] {
        let envelope = call(function, from_config(extra));
        assert_eq!(error_code(&envelope), "InvalidInput", "{function}");
        assert!(envelope["error"]["message"].as_str().unwrap().contains(says), "{function}: {envelope}");
    }
}
