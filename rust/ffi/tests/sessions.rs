//! Sessions that outlive the shell: the token in the AWS CLI v2 cache, renewed with its refresh
//! token, shared by new processes and the AWS SDK's own SSO token provider, one login at a time
//! across processes; and the authorization-code login through the C ABI.

mod common;

use std::process::{Command, Output};
use std::time::Duration;

use common::*;
use fake_identity_center::{Approval, FakeConfig};
use serde_json::{json, Value};

fn cache_json(s: &Scenario, environment: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(s.cache_file(environment)).expect("cache file")).unwrap()
}

/// Runs `child_process_action` of this test binary: a new process, with the scenario's home and fake.
fn child(s: &Scenario, action: &str, environment: &str, file: &std::path::Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_process_action", "--ignored", "--nocapture"])
        .env("CHILD_ACTION", action)
        .env("CHILD_ENVIRONMENT", environment)
        .env("CHILD_FILE", file)
        .envs(home_variables(s.home.path()))
        .env("AWS_ENDPOINT_URL_SSO_OIDC", s.fake.url())
        .env("AWS_ENDPOINT_URL_SSO", s.fake.url())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn succeeded(output: Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(output.status.success(), "child failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    stdout
}

fn three_accounts() -> Vec<Value> {
    (0..3).map(|i| json!({"profile": format!("p{i}"), "accountId": format!("{}", 100_000_000_000u64 + i), "roleName": "ReadOnly"})).collect()
}

#[test]
fn a_new_process_reuses_the_login_on_disk_without_a_browser() {
    let s = scenario(FakeConfig::with_generated_accounts(3, &["ReadOnly"]));
    login("Contoso");
    let cache = cache_json(&s, "Contoso");
    for key in [
        "startUrl",
        "region",
        "accessToken",
        "expiresAt",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
        "refreshToken",
    ] {
        assert!(cache[key].as_str().is_some_and(|v| !v.is_empty()), "{key} missing from the cache file");
    }
    assert_eq!(cache["startUrl"], START_URL);
    let expires = cache["expiresAt"].as_str().unwrap();
    assert!(expires.len() == 20 && expires.ends_with('Z') && !expires.contains('.'), "YYYY-MM-DDTHH:MM:SSZ: {expires}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(s.cache_file("Contoso")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    let file = s.home.path().join("credentials");
    let output = child(&s, "refresh", "Contoso", &file).wait_with_output().unwrap();
    assert!(succeeded(output).contains("start=loggedIn"));
    let counters = s.fake.counters();
    assert_eq!((counters.register_client, counters.start_device_authorization), (1, 1), "no second login");
    assert_eq!(read_profiles(&file).len(), 3);
}

#[test]
fn memory_only_sessions_write_no_cache_file_and_sso_session_config_is_optional() {
    let s = scenario(FakeConfig {
        approval: Approval::AfterPolls(1),
        ..FakeConfig::with_generated_accounts(1, &["ReadOnly"])
    });
    let started = ok(
        "ssocreds_login_start",
        json!({"environment": "Memory", "startUrl": START_URL, "region": REGION, "useDeviceCode": true, "noTokenFile": true}),
    );
    assert_eq!(started["status"], "pending");
    while ok("ssocreds_login_poll", json!({"environment": "Memory", "waitMs": 500}))["status"] != "loggedIn" {}
    assert!(!s.cache_file("Memory").exists());
    assert_eq!(
        ok("ssocreds_session_status", json!({"environment": "Memory", "noTokenFile": true}))["status"],
        "loggedIn"
    );

    let config = s.home.path().join(".aws").join("config");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, "[default]\nregion = eu-west-1\n").unwrap();
    let started = ok(
        "ssocreds_login_start",
        json!({"environment": "Cli", "startUrl": START_URL, "region": REGION, "useDeviceCode": true, "writeSsoSession": true}),
    );
    if started["status"] == "pending" {
        while ok("ssocreds_login_poll", json!({"environment": "Cli", "waitMs": 500}))["status"] != "loggedIn" {}
    }
    let text = std::fs::read_to_string(&config).unwrap();
    assert_eq!(
        text,
        format!("[default]\nregion = eu-west-1\n\n[sso-session Cli]\nsso_start_url = {START_URL}\nsso_region = {REGION}\nsso_registration_scopes = sso:account:access\n")
    );
}

#[test]
fn an_expiring_token_is_renewed_with_the_refresh_grant_and_the_rotated_refresh_token_saved() {
    // Tokens that live 2 minutes are always inside the 5-minute renewal window.
    let config = FakeConfig {
        access_token_ttl: Duration::from_secs(120),
        ..FakeConfig::with_generated_accounts(3, &["ReadOnly"])
    };
    let s = scenario(config);
    let file = s.home.path().join("credentials");
    login("Renew");
    let before = cache_json(&s, "Renew");
    let result =
        ok("ssocreds_refresh", json!({"environment": "Renew", "accounts": three_accounts(), "credentialsFile": file}));
    assert!(result["profiles"].as_array().unwrap().iter().all(|p| p["status"] == "refreshed"), "{result}");
    assert_eq!(s.fake.counters().create_token_refresh, 1);
    let after = cache_json(&s, "Renew");
    assert_ne!(after["accessToken"], before["accessToken"]);
    assert_ne!(after["refreshToken"], before["refreshToken"], "the rotated refresh token is saved");
    assert_eq!(after["clientId"], before["clientId"]);

    // Within 30 s this process does not renew again; it uses the token while it lasts.
    ok(
        "ssocreds_refresh",
        json!({"environment": "Renew", "accounts": three_accounts(), "credentialsFile": file, "force": true}),
    );
    assert_eq!(s.fake.counters().create_token_refresh, 1);

    // A new process (a scheduled run) renews with the rotated token: the old one no longer works.
    succeeded(child(&s, "refresh-non-interactive", "Renew", &file).wait_with_output().unwrap());
    assert_eq!(s.fake.counters().create_token_refresh, 2);
    assert_eq!(s.fake.counters().start_device_authorization, 1);
}

#[test]
fn an_ended_session_asks_for_a_login_and_says_when_it_ended() {
    let s = scenario(FakeConfig::with_generated_accounts(3, &["ReadOnly"]));
    login("Original");
    let mut cache = cache_json(&s, "Original");
    cache["expiresAt"] = json!("2026-01-01T08:00:00Z");
    cache["registrationExpiresAt"] = json!("2026-01-02T09:00:00Z");
    // Another session name: this process has nothing for it in memory, only the file.
    std::fs::write(s.cache_file("Ended"), cache.to_string()).unwrap();
    let status = ok("ssocreds_session_status", json!({"environment": "Ended"}));
    assert_eq!((status["status"].as_str(), status["refreshable"].as_bool()), (Some("expired"), Some(false)));
    let file = s.home.path().join("credentials");
    let envelope = call(
        "ssocreds_refresh",
        json!({"environment": "Ended", "accounts": three_accounts(), "credentialsFile": file}),
    );
    assert_eq!(error_code(&envelope), "LoginRequired");
    let message = envelope["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("2026-01-01T08:00:00Z") && message.contains("registration expired at 2026-01-02T09:00:00Z"),
        "{message}"
    );
    assert_eq!(s.fake.counters().create_token_refresh, 0, "nothing is sent for a session that has ended");
}

#[test]
fn a_cache_file_written_by_the_aws_cli_is_used() {
    let s = scenario(FakeConfig::with_generated_accounts(3, &["ReadOnly"]));
    login("Source");
    let token = cache_json(&s, "Source")["accessToken"].as_str().unwrap().to_string();
    let in_8_hours = ssocreds_time_in(8 * 3600);
    // As AWS CLI v2 writes it for a session: no registration here, and the older `UTC` suffix.
    let cli_file = json!({"startUrl": START_URL, "region": REGION, "accessToken": token, "expiresAt": in_8_hours.replace('Z', "UTC")});
    std::fs::write(s.cache_file("FromCli"), serde_json::to_string_pretty(&cli_file).unwrap()).unwrap();
    let file = s.home.path().join("credentials");
    let result = ok(
        "ssocreds_refresh",
        json!({"environment": "FromCli", "accounts": three_accounts(), "credentialsFile": file}),
    );
    assert!(result["profiles"].as_array().unwrap().iter().all(|p| p["status"] == "refreshed"), "{result}");
    assert_eq!(result["tokenExpiresAt"], in_8_hours.as_str());
    assert_eq!(s.fake.counters().start_device_authorization, 1);
}

#[test]
fn three_processes_needing_a_login_at_once_cause_exactly_one_device_authorization() {
    let config =
        FakeConfig { approval: Approval::AfterPolls(3), ..FakeConfig::with_generated_accounts(3, &["ReadOnly"]) };
    let s = scenario(config);
    let files: Vec<_> = (0..3).map(|i| s.home.path().join(format!("credentials-{i}"))).collect();
    let children: Vec<_> = files.iter().map(|file| child(&s, "login-and-refresh", "Shared", file)).collect();
    let outputs: Vec<String> = children.into_iter().map(|c| succeeded(c.wait_with_output().unwrap())).collect();
    let counters = s.fake.counters();
    assert_eq!(counters.start_device_authorization, 1, "{outputs:?}");
    assert_eq!(counters.register_client, 1);
    assert!(outputs.iter().filter(|o| o.contains("start=pending")).count() == 1, "{outputs:?}");
    for file in files {
        assert_eq!(read_profiles(&file).len(), 3);
    }
}

#[test]
fn a_cancelled_login_releases_the_lock_so_another_process_can_log_in_at_once() {
    let s = scenario(FakeConfig::with_generated_accounts(1, &["ReadOnly"]));
    let env = "Handover";
    let unused = s.home.path().join("credentials");
    assert_eq!(
        ok(
            "ssocreds_login_start",
            json!({"environment": env, "startUrl": START_URL, "region": REGION, "useDeviceCode": true})
        )["status"],
        "pending"
    );
    // While this process runs the login, another one waits for it instead of starting its own.
    let output = succeeded(child(&s, "login-start", env, &unused).wait_with_output().unwrap());
    assert!(output.contains("start=waiting"), "{output}");

    assert_eq!(ok("ssocreds_login_cancel", json!({"environment": env}))["cancelled"], true);
    let lock_file = login_lock_file(&s.cache_file(env));
    let independent = std::fs::OpenOptions::new().write(true).open(&lock_file).unwrap();
    independent.try_lock().expect("the login lock is released at once");
    drop(independent);
    let output = succeeded(child(&s, "login-start", env, &unused).wait_with_output().unwrap());
    assert!(output.contains("start=pending"), "another process starts its own login at once: {output}");
    assert_eq!(s.fake.counters().start_device_authorization, 2);
}

#[tokio::test]
async fn the_aws_sdks_own_sso_token_provider_accepts_the_cache_file() {
    use aws_credential_types::provider::token::ProvideToken;
    let (token, home) = {
        let s = scenario(FakeConfig::with_generated_accounts(1, &["ReadOnly"]));
        login("my-sso");
        assert!(s.cache_file("my-sso").ends_with("0ad374308c5a4e22f723adf10145eafad7c4031c.json"));
        (cache_json(&s, "my-sso")["accessToken"].as_str().unwrap().to_string(), s)
    };
    let sdk_config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .no_credentials()
        .load()
        .await;
    let provider = aws_config::sso::SsoTokenProvider::builder()
        .configure(&sdk_config)
        .session_name("my-sso")
        .start_url(START_URL)
        .region(aws_config::Region::new(REGION))
        .build()
        .await;
    let provided = provider.provide_token().await.expect("aws-config reads the cache file");
    assert_eq!(provided.token(), token);
    drop(home);
}

/// RFC 3339 for now + `seconds`, whole seconds, `Z`.
fn ssocreds_time_in(seconds: u64) -> String {
    ssocreds_engine_free_format(std::time::SystemTime::now() + Duration::from_secs(seconds))
}

fn ssocreds_engine_free_format(time: std::time::SystemTime) -> String {
    let secs = time.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest / 60 % 60, rest % 60)
}

#[test]
fn an_authorization_code_login_through_the_abi_and_the_flow_chosen_for_no_browser() {
    let s = scenario(FakeConfig::with_generated_accounts(1, &["ReadOnly"]));
    let env = "Pkce";
    let start = json!({"environment": env, "startUrl": START_URL, "region": REGION, "useDeviceCode": false,
        "timeoutSeconds": 60});
    let started = ok("ssocreds_login_start", start.clone());
    let keys: Vec<&String> = started.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["authorizationUrl", "expiresAt", "flow", "redirectUri", "status"], "{started}");
    assert_eq!((started["status"].as_str(), started["flow"].as_str()), (Some("pending"), Some("authorizationCode")));
    let url = started["authorizationUrl"].as_str().unwrap().to_string();
    assert!(url.starts_with(&format!("{}/authorize?", s.fake.url())), "{url}");
    let browser = std::thread::spawn(move || browser_follow(&url));
    while ok("ssocreds_login_poll", json!({"environment": env, "waitMs": 500}))["status"] != "loggedIn" {}
    assert_eq!(browser.join().unwrap(), 200);
    let cached = cache_json(&s, env);
    assert!(cached["refreshToken"].is_string() && cached["clientId"].is_string(), "the AWS CLI's entry");

    let forced = json!({"environment": env, "startUrl": START_URL, "region": REGION, "useDeviceCode": false,
        "forceLogin": true});
    let started = ok("ssocreds_login_start", forced);
    let redirect = started["redirectUri"].as_str().unwrap();
    let port: u16 =
        redirect.trim_start_matches("http://127.0.0.1:").trim_end_matches("/oauth/callback").parse().unwrap();
    assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_err(), "listening on {redirect}");
    assert_eq!(ok("ssocreds_login_cancel", json!({"environment": env}))["cancelled"], true);
    assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(), "the cancel closed the listener");

    let no_browser = json!({"environment": "NoBrowser", "startUrl": START_URL, "region": REGION, "noBrowser": true});
    let started = ok("ssocreds_login_start", no_browser);
    assert_eq!(started["flow"], "deviceCode");
    assert!(started["userCode"].is_string() && started.get("authorizationUrl").is_none(), "{started}");
    assert!(started["flowReason"].as_str().unwrap().starts_with("noBrowser"), "{started}");
    ok("ssocreds_login_cancel", json!({"environment": "NoBrowser"}));
}

/// Run only by the tests above, in a process of its own.
#[test]
#[ignore = "runs as a child process of other tests"]
fn child_process_action() {
    let (Ok(action), Ok(environment), Ok(file)) =
        (std::env::var("CHILD_ACTION"), std::env::var("CHILD_ENVIRONMENT"), std::env::var("CHILD_FILE"))
    else {
        return;
    };
    if action != "refresh-non-interactive" {
        let started = ok(
            "ssocreds_login_start",
            json!({"environment": environment, "startUrl": START_URL, "region": REGION, "useDeviceCode": true}),
        );
        println!("start={}", started["status"].as_str().unwrap());
        if action == "login-start" {
            return;
        }
        if started["status"] != "loggedIn" {
            assert!(action == "login-and-refresh", "expected the cached login, got {started}");
            while ok("ssocreds_login_poll", json!({"environment": environment, "waitMs": 500}))["status"] != "loggedIn"
            {
            }
        }
    }
    let result = ok(
        "ssocreds_refresh",
        json!({"environment": environment, "accounts": three_accounts(), "credentialsFile": file, "force": true}),
    );
    assert!(result["profiles"].as_array().unwrap().iter().all(|p| p["status"] == "refreshed"), "{result}");
}
