//! Credentials without the file, against the fake: the `credentials` run (one role's keys from
//! the shared token, written nowhere), and `credentialProcess` refreshes, which write
//! `credential_process` lines into the AWS config file instead of keys.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fake_identity_center::{Approval, FakeConfig, FakeServer};
use ssocreds_engine::api::{
    AccountRequest, CredentialsTarget, LoginStartRequest, ProfileStatus, RefreshRequest, RoleCredentials,
};
use ssocreds_engine::run::{FrontEnd, RunError, RunEvent, RunOperation, RunReport, RunRequest};
use ssocreds_engine::Engine;

mod common;
use common::{engine_for, log_in, logged_in_engine, login_request, REGION, START_URL};

const ENVIRONMENT: &str = "Corp";
const ACCOUNT: &str = "100000000000";
const ROLE: &str = "ReadOnly";
const COMMAND: &str = "/opt/ssocreds tools/ssocreds-cli";

async fn fake() -> FakeServer {
    let config = FakeConfig { approval: Approval::AfterPolls(1), ..FakeConfig::with_generated_accounts(3, &[ROLE]) };
    FakeServer::start(config).await.unwrap()
}

fn credentials_run(target: CredentialsTarget, request: RefreshRequest) -> RunRequest {
    RunRequest {
        operation: RunOperation::Credentials,
        request,
        login: Default::default(),
        interactive: false,
        non_interactive_reason: None,
        host: None,
        confirm: false,
        what_if: false,
        front_end: FrontEnd::Cli,
        credentials: target,
    }
}

/// The role of the fake's first account in environment `Corp`.
fn role_run() -> RunRequest {
    let target =
        CredentialsTarget { account_id: Some(ACCOUNT.into()), role_name: Some(ROLE.into()), config_profile: None };
    let request = RefreshRequest {
        environment: ENVIRONMENT.into(),
        start_url: Some(START_URL.into()),
        region: Some(REGION.into()),
        ..RefreshRequest::default()
    };
    credentials_run(target, request)
}

fn profile_run(profile: &str) -> RunRequest {
    credentials_run(
        CredentialsTarget { config_profile: Some(profile.into()), ..Default::default() },
        Default::default(),
    )
}

/// Every event of the run, `finished` last.
async fn events_of(engine: &Engine, request: RunRequest) -> Vec<RunEvent> {
    let run = engine.start_run(request);
    let mut events = Vec::new();
    while let Some(event) = run.next_event(Duration::from_secs(30)).await {
        events.push(event);
    }
    events
}

fn keys(events: &[RunEvent]) -> &RoleCredentials {
    match events.last() {
        Some(RunEvent::Finished { report: Some(RunReport::Credentials(keys)), error: None, .. }) => keys,
        other => panic!("no keys: {other:?}"),
    }
}

fn run_error(events: &[RunEvent]) -> &RunError {
    match events.last() {
        Some(RunEvent::Finished { error: Some(error), report: None, .. }) => error,
        other => panic!("no error: {other:?}"),
    }
}

/// Every file under `folder`, relative to it.
fn files_under(folder: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        match path.is_dir() {
            true => found.extend(files_under(&path).into_iter().map(|p| path.strip_prefix(folder).unwrap().join(p))),
            false => found.push(path.strip_prefix(folder).unwrap().to_path_buf()),
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_gets_the_keys_the_service_issued_in_one_call_and_nothing_is_written() {
    let fake = fake().await;
    let home = tempfile::tempdir().unwrap();
    let engine = logged_in_engine(&fake, home.path(), ENVIRONMENT).await;
    let before = files_under(home.path());
    fake.reset_counters();

    let events = events_of(&engine, role_run()).await;
    let keys = keys(&events);
    let issued = fake.issued_credentials(ACCOUNT, ROLE).unwrap();
    assert_eq!(
        (keys.access_key_id.as_str(), keys.secret_access_key.expose(), keys.session_token.expose()),
        (issued.access_key_id.as_str(), issued.secret_access_key.as_str(), issued.session_token.as_str())
    );
    assert!(keys.expiration.ends_with('Z') && keys.expiration.len() == 20, "RFC 3339 UTC: {}", keys.expiration);
    assert_eq!((keys.account_id.as_str(), keys.role_name.as_str(), keys.environment.as_str()), (ACCOUNT, ROLE, "Corp"));
    let counters = fake.counters();
    assert_eq!((counters.get_role_credentials, counters.requests()), (1, 1), "one call, no listing: {counters:?}");
    assert_eq!(files_under(home.path()), before, "no file written, not even a learnt rate");
    let shown = format!("{events:?}");
    for secret in [&issued.secret_access_key, &issued.session_token] {
        assert!(!shown.contains(secret.as_str()), "a secret in the events' Debug: {shown}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_a_run_that_may_not_log_in_fails_at_once_naming_the_session_and_the_fix() {
    let fake = fake().await;
    let home = tempfile::tempdir().unwrap();
    let engine = engine_for(&fake, home.path());
    let started = Instant::now();
    let events = events_of(&engine, role_run()).await;
    let error = run_error(&events);
    assert!(started.elapsed() < Duration::from_millis(500), "{:?}", started.elapsed());
    assert_eq!((error.code.as_str(), error.target.as_str()), ("LoginRequired", ENVIRONMENT));
    for says in [
        "environment 'Corp' (account 100000000000, role ReadOnly) has no usable SSO token (not logged in)",
        "credential-process starts no login without --login",
        "ssocreds-cli login --environment Corp --start-url https://d-1234567890.awsapps.com/start --region us-east-1",
    ] {
        assert!(error.message.contains(says), "{says}: {}", error.message);
    }
    assert_eq!(fake.counters().requests(), 0, "no network call");
    assert!(!home.path().join(".aws").exists(), "nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_the_service_refuses_is_named_with_its_account() {
    let fake = fake().await;
    fake.set_forbidden(ACCOUNT, ROLE);
    let home = tempfile::tempdir().unwrap();
    let engine = logged_in_engine(&fake, home.path(), ENVIRONMENT).await;
    let events = events_of(&engine, role_run()).await;
    let error = run_error(&events);
    assert_eq!(error.code, "Forbidden");
    assert!(error.message.contains("account 100000000000, role ReadOnly"), "{}", error.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_the_service_no_longer_accepts_is_renewed_with_its_refresh_token() {
    let fake = fake().await;
    let home = tempfile::tempdir().unwrap();
    logged_in_engine(&fake, home.path(), ENVIRONMENT).await;
    fake.expire_access_tokens();
    fake.reset_counters();
    // Another process: it knows the token from the cache file only.
    let events = events_of(&engine_for(&fake, home.path()), role_run()).await;
    assert_eq!(keys(&events).access_key_id, fake.issued_credentials(ACCOUNT, ROLE).unwrap().access_key_id);
    let counters = fake.counters();
    assert_eq!((counters.create_token_refresh, counters.get_role_credentials), (1, 2), "{counters:?}");
    assert_eq!(counters.start_device_authorization, 0, "no login");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_of_the_config_file_uses_its_sso_session_and_says_how_to_log_in_to_it() {
    let fake = fake().await;
    let home = tempfile::tempdir().unwrap();
    write_config(home.path(), "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n\n[profile dev]\nsso_session = corp\nsso_account_id = 100000000001\nsso_role_name = ReadOnly\n\n[profile plain]\nregion = eu-west-1\n");
    let engine = engine_for(&fake, home.path());

    let error = run_error(&events_of(&engine, profile_run("dev")).await).clone();
    assert_eq!((error.code.as_str(), error.target.as_str()), ("LoginRequired", "dev"));
    assert!(error.message.contains("profile 'dev' (sso-session 'corp', account 100000000001"), "{}", error.message);
    assert!(error.message.contains("aws sso login --sso-session corp"), "{}", error.message);
    assert!(error.message.contains("ssocreds-cli credential-process --profile dev --login"), "{}", error.message);

    let login = LoginStartRequest {
        start_url: "https://corp.awsapps.com/start".into(),
        region: "eu-west-1".into(),
        ..login_request("corp")
    };
    log_in(&engine, login).await;
    let events = events_of(&engine_for(&fake, home.path()), profile_run("dev")).await;
    let keys = keys(&events);
    assert_eq!(keys.access_key_id, fake.issued_credentials("100000000001", ROLE).unwrap().access_key_id);
    assert_eq!((keys.environment.as_str(), keys.config_profile.as_deref()), ("corp", Some("dev")));

    let error = run_error(&events_of(&engine, profile_run("plain")).await).clone();
    assert!(error.message.contains("'plain' is skipped: not an SSO profile"), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_that_name_no_role_or_too_much_are_refused_naming_the_field() {
    let fake = fake().await;
    let home = tempfile::tempdir().unwrap();
    let engine = engine_for(&fake, home.path());
    let mut no_role = role_run();
    no_role.credentials.role_name = None;
    let mut both = profile_run("dev");
    both.request.environment = "Corp".into();
    let mut accounts = role_run();
    accounts.request.accounts = vec![AccountRequest { account_id: ACCOUNT.into(), ..Default::default() }];
    for (request, says) in [
        (no_role, "credentials.accountId and credentials.roleName"),
        (both, "environment cannot be used with configProfile 'dev'"),
        (accounts, "request.accounts cannot be used with the credentials operation"),
    ] {
        let error = run_error(&events_of(&engine, request).await).clone();
        assert_eq!(error.code, "InvalidInput");
        assert!(error.message.contains(says), "{says}: {}", error.message);
    }
}

// ---- credentialProcess refreshes ----

fn write_config(home: &Path, text: &str) {
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    std::fs::write(home.join(".aws/config"), text).unwrap();
}

fn read(home: &Path, name: &str) -> String {
    std::fs::read_to_string(home.join(".aws").join(name)).unwrap()
}

fn process_request(accounts: Vec<AccountRequest>) -> RefreshRequest {
    RefreshRequest {
        environment: ENVIRONMENT.into(),
        accounts,
        start_url: Some(START_URL.into()),
        region: Some(REGION.into()),
        credential_process: true,
        credential_process_command: Some(COMMAND.into()),
        ..RefreshRequest::default()
    }
}

fn account(profile: &str, account_id: &str) -> AccountRequest {
    AccountRequest {
        profile: Some(profile.into()),
        account_id: account_id.into(),
        role_name: Some(ROLE.into()),
        account_name: None,
    }
}

/// Keys of `static` to keep, and current keys of `dev` that must go all the same.
const CREDENTIALS: &str = "# keep\n[static]\naws_access_key_id = AKIAKEEP\naws_secret_access_key = keep\n\n[dev]\n\
    aws_access_key_id = OLD\naws_secret_access_key = OLD\naws_session_token = OLD\naws_account_id = 100000000000\n\
    aws_credential_expiration = 2099-01-01T00:00:00Z\naws_sso_role_name = ReadOnly\n\n[other]\nregion = us-east-1\n";

const LINE_1: &str = "credential_process = \"/opt/ssocreds tools/ssocreds-cli\" credential-process --environment Corp \
                      --start-url https://d-1234567890.awsapps.com/start --region us-east-1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_process_lines_replace_the_keys_and_every_other_byte_is_kept() {
    let fake = fake().await;
    let home = tempfile::tempdir().unwrap();
    let config = "# mine\r\n[default]\r\nregion = eu-west-1\r\n\r\n; dev's own settings\r\n[profile dev]\r\noutput = json\r\n\r\n[profile other]\r\nregion = x\r\n";
    write_config(home.path(), config);
    std::fs::write(home.path().join(".aws/credentials"), CREDENTIALS).unwrap();
    let engine = logged_in_engine(&fake, home.path(), ENVIRONMENT).await;
    fake.reset_counters();

    let report = engine
        .refresh(process_request(vec![account("dev", ACCOUNT), account("default", "100000000001")]))
        .await
        .unwrap();
    assert!(report.profiles.iter().all(|p| p.status == ProfileStatus::Refreshed && p.expires_at.is_none()));
    assert_eq!(report.config_file, Some(home.path().join(".aws/config").display().to_string()));
    assert_eq!(fake.counters().requests(), 0, "nothing is fetched");
    let expected = format!(
        "# mine\r\n[default]\r\nregion = eu-west-1\r\n{LINE_1} --account-id 100000000001 --role-name ReadOnly\r\n\r\n\
         ; dev's own settings\r\n[profile dev]\r\noutput = json\r\n{LINE_1} --account-id 100000000000 --role-name \
         ReadOnly\r\n\r\n[profile other]\r\nregion = x\r\n"
    );
    assert_eq!(read(home.path(), "config"), expected);
    let credentials = read(home.path(), "credentials");
    assert_eq!(
        credentials,
        "# keep\n[static]\naws_access_key_id = AKIAKEEP\naws_secret_access_key = keep\n\n[other]\nregion = us-east-1\n",
        "dev's keys are gone (current ones too) and its section with them, the rest is kept, no section is added"
    );

    // A second run leaves both files as they are.
    let (config_before, credentials_before) = (read(home.path(), "config"), credentials.clone());
    engine.refresh(process_request(vec![account("dev", ACCOUNT), account("default", "100000000001")])).await.unwrap();
    assert_eq!((read(home.path(), "config"), read(home.path(), "credentials")), (config_before, credentials_before));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_discovered_account_and_every_config_profile_gets_its_command() {
    let fake = fake().await;
    let home = tempfile::tempdir().unwrap();
    let engine = logged_in_engine(&fake, home.path(), ENVIRONMENT).await;
    let all = RefreshRequest { discover: true, ..process_request(Vec::new()) };
    let report = engine.refresh(all).await.unwrap();
    assert_eq!(report.profiles.len(), 3);
    let config = read(home.path(), "config");
    for account in ["100000000000", "100000000001", "100000000002"] {
        assert!(config.contains(&format!("--account-id {account} --role-name ReadOnly\n")), "{config}");
    }
    assert_eq!(fake.counters().get_role_credentials, 0);

    let sessions = "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n\n\
                    [profile dev]\nsso_session = corp\nsso_account_id = 100000000001\nsso_role_name = ReadOnly\n\n\
                    [profile \"team lab\"]\nsso_session = corp\nsso_account_id = 100000000002\nsso_role_name = ReadOnly\n";
    write_config(home.path(), sessions);
    let login = LoginStartRequest {
        start_url: "https://corp.awsapps.com/start".into(),
        region: "eu-west-1".into(),
        ..login_request("corp")
    };
    log_in(&engine, login).await;
    let from_config = RefreshRequest {
        from_config: true,
        credential_process: true,
        credential_process_command: Some(COMMAND.into()),
        ..RefreshRequest::default()
    };
    engine.refresh(from_config.clone()).await.unwrap();
    let written = read(home.path(), "config");
    let command = "credential_process = \"/opt/ssocreds tools/ssocreds-cli\" credential-process --profile";
    assert!(written.contains(&format!("sso_role_name = ReadOnly\n{command} dev\n")), "{written}");
    assert!(written.ends_with(&format!("sso_role_name = ReadOnly\n{command} \"team lab\"\n")), "{written}");
    assert_eq!(written.matches("[profile").count(), 2, "no section added: {written}");
    // The profiles stay SSO profiles for the next run, which changes nothing.
    let again = engine.refresh(from_config).await.unwrap();
    assert_eq!(again.profiles.iter().filter(|p| p.status == ProfileStatus::Refreshed).count(), 2, "{again:?}");
    assert_eq!(read(home.path(), "config"), written);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_credential_process_wrote_is_named_like_an_sso_profile() {
    let fake = fake().await;
    let home = tempfile::tempdir().unwrap();
    write_config(home.path(), "[profile other]\ncredential_process = aws-vault export --format=json other\n");
    let engine = logged_in_engine(&fake, home.path(), ENVIRONMENT).await;
    engine.refresh(process_request(vec![account("dev", ACCOUNT)])).await.unwrap();

    let events = events_of(&engine, profile_run("dev")).await;
    let keys = keys(&events);
    assert_eq!(
        (keys.account_id.as_str(), keys.role_name.as_str(), keys.environment.as_str()),
        (ACCOUNT, ROLE, ENVIRONMENT)
    );
    assert_eq!(keys.access_key_id, fake.issued_credentials(ACCOUNT, ROLE).unwrap().access_key_id);

    // Another tool's credential_process is no profile of this tool's.
    let events = events_of(&engine, profile_run("other")).await;
    let error = run_error(&events);
    assert_eq!(error.code, "InvalidInput");
    assert!(
        error.message.contains("'other' is skipped: not an SSO profile (it uses credential_process)"),
        "{}",
        error.message
    );
}
