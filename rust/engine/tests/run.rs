//! The run operation against the fake: one library call that decides a whole refresh (logins,
//! the retry after a rejected token, the per-session logins of `fromConfig`, confirmation) and
//! tells the front end by events, with every text it shows.

use std::time::Duration;

use fake_identity_center::{Approval, FakeConfig, FakeServer};
use ssocreds_engine::api::{
    AccountRequest, EnvironmentRequest, ProfileStatus, RefreshReport, RefreshRequest, SessionState,
};
use ssocreds_engine::run::{
    BrowserCommand, LoginFlow, MessageLevel, RunEvent, RunHandle, RunLoginOptions, RunOperation, RunReport, RunRequest,
};
use ssocreds_engine::Engine;

mod common;
use common::{engine_for, env_for, logged_in_engine, profiles_of, REGION, START_URL};

const ROLE: &str = "ReadOnly";
const ENVIRONMENT: &str = "Test";

fn fake_config(accounts: usize) -> FakeConfig {
    FakeConfig { approval: Approval::AfterPolls(1), ..FakeConfig::with_generated_accounts(accounts, &[ROLE]) }
}

/// The drop-in call: profiles of the fake's accounts, the device code asked for.
fn refresh_run(config: &FakeConfig, home: &std::path::Path, interactive: bool) -> RunRequest {
    RunRequest {
        operation: RunOperation::Refresh,
        request: RefreshRequest {
            environment: ENVIRONMENT.into(),
            accounts: profiles_of(config, None),
            default_role_name: Some(ROLE.into()),
            start_url: Some(START_URL.into()),
            region: Some(REGION.into()),
            credentials_file: Some(home.join("credentials").display().to_string()),
            ..RefreshRequest::default()
        },
        login: RunLoginOptions { use_device_code: Some(true), ..RunLoginOptions::default() },
        interactive,
        non_interactive_reason: None,
        host: None,
        confirm: false,
        what_if: false,
        front_end: Default::default(),
        credentials: Default::default(),
    }
}

/// Every event until `finished` (the last), within a minute.
async fn events_until_finished(run: &RunHandle) -> Vec<RunEvent> {
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while tokio::time::Instant::now() < deadline {
        if let Some(event) = run.next_event(Duration::from_secs(5)).await {
            let done = matches!(event, RunEvent::Finished { .. });
            events.push(event);
            if done {
                return events;
            }
        }
    }
    panic!("the run did not finish: {events:?}");
}

/// The next event that is not a message or progress.
async fn next_step(run: &RunHandle) -> RunEvent {
    loop {
        match run.next_event(Duration::from_secs(30)).await.expect("an event within 30 s") {
            RunEvent::Message { .. } | RunEvent::Progress { .. } => continue,
            event => return event,
        }
    }
}

fn finished(
    events: &[RunEvent],
) -> (Option<&RunReport>, &[ssocreds_engine::run::RunError], Option<&ssocreds_engine::run::RunError>) {
    match events.last() {
        Some(RunEvent::Finished { report, errors, error }) => (report.as_ref(), errors, error.as_ref()),
        other => panic!("the last event is not finished: {other:?}"),
    }
}

fn refresh_report(events: &[RunEvent]) -> &RefreshReport {
    match finished(events).0 {
        Some(RunReport::Refresh(report)) => report,
        other => panic!("no refresh report: {other:?}"),
    }
}

fn texts(events: &[RunEvent], wanted: MessageLevel) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            RunEvent::Message { level, text, .. } if *level == wanted => Some(text.clone()),
            _ => None,
        })
        .collect()
}

fn login_events(events: &[RunEvent]) -> Vec<&RunEvent> {
    events.iter().filter(|e| matches!(e, RunEvent::LoginNeeded { .. })).collect()
}

/// The browser commands of a run's login: BROWSER's with the login's URL, none with `noBrowser`.
async fn browser_commands(browser: &str, no_browser: bool) -> (String, Vec<BrowserCommand>) {
    let config = fake_config(1);
    let home = tempfile::tempdir().unwrap();
    let mut request = refresh_run(&config, home.path(), true);
    request.login.no_browser = no_browser;
    let fake = FakeServer::start(config).await.unwrap();
    let engine = Engine::new(env_for(&fake, home.path(), &[("BROWSER", browser)]));
    let events = events_until_finished(&engine.start_run(request)).await;
    let logins = login_events(&events);
    let [RunEvent::LoginNeeded { url, browser_commands, .. }] = logins[..] else { panic!("one login: {events:?}") };
    (url.clone(), browser_commands.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_names_the_browser_commands_to_try_unless_no_browser() {
    let separator = if cfg!(windows) { ';' } else { ':' };
    let (url, commands) = browser_commands(&format!("missing-browser{separator}my-browser --new-tab %s"), false).await;
    assert!(url.contains("user_code="), "{url}");
    let expected = [
        BrowserCommand { program: "missing-browser".into(), arguments: vec![url.clone()] },
        BrowserCommand { program: "my-browser".into(), arguments: vec!["--new-tab".into(), url] },
    ];
    assert_eq!(commands, expected);
    let (_, commands) = browser_commands("my-browser %s", true).await;
    assert!(commands.is_empty(), "{commands:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_drop_in_call_logs_in_with_a_device_code_and_says_what_the_original_said() {
    let config = fake_config(3);
    let home = tempfile::tempdir().unwrap();
    let request = refresh_run(&config, home.path(), true);
    let fake = FakeServer::start(config).await.unwrap();
    let engine = engine_for(&fake, home.path());
    let events = events_until_finished(&engine.start_run(request)).await;

    let logins = login_events(&events);
    assert_eq!(logins.len(), 1, "{events:?}");
    let RunEvent::LoginNeeded { flow, url, open_browser, user_code, if_opened, if_not_opened, .. } = logins[0] else {
        unreachable!()
    };
    assert_eq!(*flow, LoginFlow::DeviceCode);
    assert!(*open_browser && url.contains("user_code="), "{url}");
    let code = user_code.as_deref().expect("the device code's user code");
    assert_eq!(if_opened[0], "A Browser window should open. Please login there and click ALLOW.");
    assert!(
        if_opened[1].starts_with("To sign in, open ") && if_opened[1].ends_with(&format!("enter the code {code},"))
    );
    assert_eq!(if_not_opened[0], "No browser could be opened here; open the URL below on any device.");
    assert!(events.iter().any(|e| matches!(e, RunEvent::LoggedIn { session, .. } if session == ENVIRONMENT)));

    let (_, errors, error) = finished(&events);
    assert!(error.is_none() && errors.is_empty(), "{events:?}");
    let report = refresh_report(&events);
    assert_eq!(report.count(ProfileStatus::Refreshed), 3);
    let info = texts(&events, MessageLevel::Info);
    let names: Vec<&str> = report.profiles.iter().map(|p| p.profile.as_str()).collect();
    for name in &names {
        assert!(info.contains(&format!("Registering Profile {name}")), "{info:?}");
    }
    let summary = info.last().unwrap();
    assert!(summary.starts_with(&format!("{} Profiles registered, ", names.join(" "))), "{summary}");
    assert!(summary.ends_with(" left on SSO Token"), "{summary}");
    assert!(matches!(events.iter().rev().nth(1), Some(RunEvent::Message { .. })), "the summary comes before finished");
    assert!(events.iter().any(|e| matches!(e, RunEvent::Progress { completed: 3, total: 3, .. })), "{events:?}");
    let written = std::fs::read_to_string(home.path().join("credentials")).unwrap();
    assert!(names.iter().all(|name| written.contains(&format!("[{name}]"))), "{written}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_interactive_run_that_needs_a_login_ends_with_login_required_and_starts_none() {
    let config = fake_config(2);
    let home = tempfile::tempdir().unwrap();
    let request = refresh_run(&config, home.path(), false);
    let fake = FakeServer::start(config).await.unwrap();
    let engine = engine_for(&fake, home.path());
    let events = events_until_finished(&engine.start_run(request)).await;

    assert!(login_events(&events).is_empty(), "{events:?}");
    let error = finished(&events).2.expect("a run-level error");
    assert_eq!(error.code, "LoginRequired");
    assert_eq!(error.target, ENVIRONMENT);
    assert!(
        error.message.starts_with(
            "Environment 'Test' needs a login to IAM Identity Center, and -NonInteractive was given, so none was \
             started. Log in once from an interactive PowerShell with Set-AwsCliSsoCredentials -EnvironmentName Test \
             (with -StartUrl and -Region the first time); later runs reuse that login. ("
        ),
        "{}",
        error.message
    );
    assert_eq!(
        error.recommended_action.as_deref(),
        Some("Run Set-AwsCliSsoCredentials -EnvironmentName Test in an interactive PowerShell (without -NonInteractive) to log in.")
    );
    let counters = fake.counters();
    assert_eq!((counters.start_device_authorization, counters.get_role_credentials), (0, 0), "{counters:?}");
    assert!(!home.path().join("credentials").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forbidden_account_fails_alone_and_the_others_are_refreshed() {
    let mut config = fake_config(3);
    let forbidden = config.accounts[1].clone();
    config.forbidden = vec![(forbidden.account_id.clone(), ROLE.into())];
    let home = tempfile::tempdir().unwrap();
    let request = refresh_run(&config, home.path(), false);
    let fake = FakeServer::start(config).await.unwrap();
    let engine = logged_in_engine(&fake, home.path(), ENVIRONMENT).await;
    let events = events_until_finished(&engine.start_run(request)).await;

    let (_, errors, error) = finished(&events);
    assert!(error.is_none(), "{error:?}");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].code.as_str(), errors[0].target.as_str()), ("Forbidden", forbidden.account_name.as_str()));
    let report = refresh_report(&events);
    assert_eq!((report.count(ProfileStatus::Refreshed), report.count(ProfileStatus::Failed)), (2, 1));
    let summary = texts(&events, MessageLevel::Info).pop().unwrap();
    assert!(!summary.contains(&forbidden.account_name) && summary.contains("Profiles registered"), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_rejected_mid_run_is_renewed_and_the_profiles_are_fetched_again() {
    let config = fake_config(3);
    let home = tempfile::tempdir().unwrap();
    let request = refresh_run(&config, home.path(), false);
    let fake = FakeServer::start(config).await.unwrap();
    let engine = logged_in_engine(&fake, home.path(), ENVIRONMENT).await;
    fake.expire_access_tokens();
    let events = events_until_finished(&engine.start_run(request)).await;

    let (_, errors, error) = finished(&events);
    assert!(error.is_none() && errors.is_empty(), "{events:?}");
    assert_eq!(refresh_report(&events).count(ProfileStatus::Refreshed), 3);
    let counters = fake.counters();
    assert!(counters.unauthorized > 0 && counters.create_token_refresh == 1, "{counters:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_that_cannot_be_renewed_logs_in_again_or_names_the_profiles() {
    let config = fake_config(2);
    let home = tempfile::tempdir().unwrap();
    let interactive = refresh_run(&config, home.path(), true);
    let unattended = refresh_run(&config, home.path(), false);
    let fake = FakeServer::start(config).await.unwrap();
    let engine = logged_in_engine(&fake, home.path(), ENVIRONMENT).await;

    fake.expire_access_tokens();
    fake.expire_registrations();
    let events = events_until_finished(&engine.start_run(unattended)).await;
    let error = finished(&events).2.expect("LoginRequired");
    assert_eq!(error.code, "LoginRequired");
    assert!(
        error.message.starts_with(
            "The SSO token of environment 'Test' was rejected by the service and could not be renewed; these profiles \
             were not refreshed: account-"
        ),
        "{}",
        error.message
    );
    assert!(login_events(&events).is_empty());

    fake.expire_access_tokens();
    fake.expire_registrations();
    let events = events_until_finished(&engine.start_run(interactive)).await;
    assert_eq!(login_events(&events).len(), 1, "a new login: {events:?}");
    assert!(finished(&events).2.is_none(), "{events:?}");
    assert_eq!(refresh_report(&events).count(ProfileStatus::Refreshed), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirm_fetches_only_the_confirmed_profiles_and_none_for_an_empty_answer() {
    let config = fake_config(3);
    let home = tempfile::tempdir().unwrap();
    let mut request = refresh_run(&config, home.path(), false);
    request.confirm = true;
    let fake = FakeServer::start(config).await.unwrap();
    let engine = logged_in_engine(&fake, home.path(), ENVIRONMENT).await;

    let run = engine.start_run(request.clone());
    let RunEvent::Confirm { profiles, .. } = next_step(&run).await else { panic!("a confirm event first") };
    assert_eq!(profiles.len(), 3);
    assert_eq!(profiles[0].action, "Refresh AWS credentials");
    assert_eq!(
        profiles[0].target,
        format!("{} (account {}, role {ROLE})", profiles[0].profile, profiles[0].account_id)
    );
    run.answer(vec![]).unwrap();
    let events = events_until_finished(&run).await;
    assert_eq!(fake.counters().get_role_credentials, 0);
    assert_eq!(refresh_report(&events).count(ProfileStatus::WouldRefresh), 3);
    assert!(!home.path().join("credentials").exists(), "nothing confirmed, nothing written");

    let run = engine.start_run(request);
    let RunEvent::Confirm { profiles, .. } = next_step(&run).await else { panic!("a confirm event first") };
    let chosen = profiles[1].profile.clone();
    run.answer(vec![chosen.clone()]).unwrap();
    assert!(run.answer(vec![]).is_err(), "one answer per confirm");
    let events = events_until_finished(&run).await;
    assert_eq!(fake.counters().get_role_credentials, 1);
    let report = refresh_report(&events);
    let refreshed: Vec<&str> =
        report.profiles.iter().filter(|p| p.status == ProfileStatus::Refreshed).map(|p| p.profile.as_str()).collect();
    assert_eq!(refreshed, [chosen.as_str()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_with_no_name_is_refused_unless_a_template_names_it() {
    let config = fake_config(2);
    let home = tempfile::tempdir().unwrap();
    let mut request = refresh_run(&config, home.path(), false);
    request.request.accounts[1] = AccountRequest {
        profile: None,
        account_id: config.accounts[1].account_id.clone(),
        role_name: None,
        account_name: None,
    };
    let fake = FakeServer::start(config.clone()).await.unwrap();
    let engine = logged_in_engine(&fake, home.path(), ENVIRONMENT).await;

    let events = events_until_finished(&engine.start_run(request.clone())).await;
    let error = finished(&events).2.expect("InvalidInput");
    assert_eq!(error.code, "InvalidInput");
    assert_eq!(
        error.message,
        format!(
            "Account 2 (AccountId '{}') has no Profile, the name of the profile to write, and no AccountName to make \
             one from with -ProfileNameTemplate.",
            config.accounts[1].account_id
        )
    );
    assert_eq!(fake.counters().get_role_credentials, 0);

    request.request.profile_name_template = Some("acct-{AccountId}".into());
    let events = events_until_finished(&engine.start_run(request)).await;
    assert!(finished(&events).2.is_none(), "{events:?}");
    let named = format!("acct-{}", config.accounts[1].account_id);
    assert!(refresh_report(&events)
        .profiles
        .iter()
        .any(|p| p.profile == named && p.status == ProfileStatus::Refreshed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_during_a_login_ends_the_run_and_releases_the_login() {
    let config = FakeConfig { approval: Approval::Never, ..FakeConfig::with_generated_accounts(1, &[ROLE]) };
    let home = tempfile::tempdir().unwrap();
    let request = refresh_run(&config, home.path(), true);
    let fake = FakeServer::start(config).await.unwrap();
    let engine = engine_for(&fake, home.path());
    let run = engine.start_run(request);
    assert!(matches!(next_step(&run).await, RunEvent::LoginNeeded { .. }));
    assert_eq!(status(&engine), SessionState::Pending, "the login is pending before the cancel");
    assert!(run.cancel().await);
    let events = events_until_finished(&run).await;
    assert_eq!(events.len(), 1, "finished comes next: {events:?}");
    assert_eq!(finished(&events).2.map(|e| e.code.as_str()), Some("Cancelled"));
    assert_ne!(status(&engine), SessionState::Pending, "no login in progress after the cancel");
    assert!(run.next_event(Duration::from_millis(10)).await.is_none(), "nothing after finished");
    assert!(!home.path().join("credentials").exists());
    // Another process may log in at once: the login lock was released.
    let other = engine_for(&fake, home.path());
    let start = other.login_start(common::login_request(ENVIRONMENT)).await.unwrap();
    assert!(matches!(start, ssocreds_engine::api::LoginStart::Pending { .. }), "{start:?}");
    other.login_cancel(EnvironmentRequest { environment: ENVIRONMENT.into(), no_token_file: false }).unwrap();
}

fn status(engine: &Engine) -> SessionState {
    engine.session_status(EnvironmentRequest { environment: ENVIRONMENT.into(), no_token_file: false }).unwrap().status
}

/// Two sso-sessions of `~/.aws/config`, two profiles in `corp` and one in `lab`, and a profile
/// that is not an SSO profile.
fn two_session_config(accounts: &[String]) -> String {
    format!(
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n\n\
         [sso-session lab]\nsso_start_url = https://lab.awsapps.com/start\nsso_region = us-west-2\n\n\
         [profile dev]\nsso_session = corp\nsso_account_id = {}\nsso_role_name = {ROLE}\n\n\
         [profile prod]\nsso_session = corp\nsso_account_id = {}\nsso_role_name = {ROLE}\n\n\
         [profile lab]\nsso_session = lab\nsso_account_id = {}\nsso_role_name = {ROLE}\n\n\
         [profile ci]\nrole_arn = arn:aws:iam::{}:role/ci\nsource_profile = dev\n",
        accounts[0], accounts[1], accounts[2], accounts[0]
    )
}

fn from_config_run(interactive: bool) -> RunRequest {
    RunRequest {
        operation: RunOperation::Refresh,
        request: RefreshRequest { from_config: true, ..RefreshRequest::default() },
        login: RunLoginOptions { use_device_code: Some(true), ..RunLoginOptions::default() },
        interactive,
        non_interactive_reason: Some("the console's input is redirected".into()),
        host: None,
        confirm: false,
        what_if: false,
        front_end: Default::default(),
        credentials: Default::default(),
    }
}

/// A fake with 3 accounts, and a home whose AWS config file has two sso-sessions over them.
async fn two_session_setup() -> (FakeServer, tempfile::TempDir, Engine) {
    let config = fake_config(3);
    let accounts: Vec<String> = config.accounts.iter().map(|a| a.account_id.clone()).collect();
    let fake = FakeServer::start(config).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(home.path().join(".aws/config"), two_session_config(&accounts)).unwrap();
    let engine = engine_for(&fake, home.path());
    (fake, home, engine)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_config_logs_in_once_per_session_or_names_each_session_that_needs_one() {
    let (_fake, _home, engine) = two_session_setup().await;

    let events = events_until_finished(&engine.start_run(from_config_run(false))).await;
    assert!(login_events(&events).is_empty());
    let (_, errors, error) = finished(&events);
    assert!(error.is_none(), "{error:?}");
    let mut by_session: Vec<_> =
        errors.iter().map(|e| (e.code.as_str(), e.target.as_str(), e.message.as_str())).collect();
    by_session.sort();
    assert_eq!(
        by_session,
        [
            (
                "LoginRequired",
                "corp",
                "sso-session 'corp' needs a login to IAM Identity Center, and the console's input is redirected, so \
                 none was started; not refreshed: dev, prod."
            ),
            (
                "LoginRequired",
                "lab",
                "sso-session 'lab' needs a login to IAM Identity Center, and the console's input is redirected, so \
                 none was started; not refreshed: lab."
            ),
        ]
    );
    let corp = errors.iter().find(|e| e.target == "corp").unwrap();
    assert_eq!(
        corp.recommended_action.as_deref(),
        Some(
            "Run Set-AwsCliSsoCredentials -FromConfig in an interactive PowerShell (without -NonInteractive), or aws \
             sso login --sso-session corp."
        )
    );
    assert!(texts(&events, MessageLevel::Info).contains(&"Left alone, not SSO profiles: ci.".to_string()));

    let events = events_until_finished(&engine.start_run(from_config_run(true))).await;
    let sessions: Vec<&str> = login_events(&events)
        .iter()
        .map(|e| match e {
            RunEvent::LoginNeeded { session, .. } => session.as_str(),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(sessions, ["corp", "lab"], "one login per session");
    let info = texts(&events, MessageLevel::Info);
    assert!(info.contains(&"Logging in to sso-session 'corp' for dev, prod.".to_string()), "{info:?}");
    let (_, errors, error) = finished(&events);
    assert!(error.is_none() && errors.is_empty(), "{events:?}");
    assert_eq!(refresh_report(&events).count(ProfileStatus::Refreshed), 3);
    assert!(info.last().unwrap().starts_with("dev prod lab Profiles registered, "), "{info:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_config_logs_in_again_to_each_session_whose_token_was_rejected_mid_run() {
    let (fake, _home, engine) = two_session_setup().await;
    let mut request = from_config_run(true);
    events_until_finished(&engine.start_run(request.clone())).await;

    // Both tokens still look valid here, the service rejects them, and they cannot be renewed.
    fake.expire_access_tokens();
    fake.expire_registrations();
    request.request.force = true;
    let events = events_until_finished(&engine.start_run(request)).await;
    let (_, errors, error) = finished(&events);
    assert!(error.is_none() && errors.is_empty(), "{events:?}");
    assert_eq!(refresh_report(&events).count(ProfileStatus::Refreshed), 3);
    assert_eq!(login_events(&events).len(), 2, "one new login per session: {events:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_every_profile_current_nothing_is_asked_and_the_summary_is_said() {
    let config = fake_config(2);
    let home = tempfile::tempdir().unwrap();
    let mut request = refresh_run(&config, home.path(), false);
    let fake = FakeServer::start(config).await.unwrap();
    let engine = logged_in_engine(&fake, home.path(), ENVIRONMENT).await;
    events_until_finished(&engine.start_run(request.clone())).await;
    let fetched = fake.counters().get_role_credentials;

    request.confirm = true;
    let events = events_until_finished(&engine.start_run(request)).await;
    assert!(!events.iter().any(|e| matches!(e, RunEvent::Confirm { .. })), "{events:?}");
    assert_eq!(fake.counters().get_role_credentials, fetched);
    assert_eq!(refresh_report(&events).count(ProfileStatus::Current), 2);
    let summary = texts(&events, MessageLevel::Info).pop().expect("the summary");
    assert!(summary.contains(" Profiles registered, ") && summary.ends_with(" left on SSO Token"), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_that_all_accounts_needs_is_shown_by_what_if_and_not_asked_otherwise() {
    let config = fake_config(2);
    let home = tempfile::tempdir().unwrap();
    let mut request = refresh_run(&config, home.path(), true);
    request.request.accounts.clear();
    request.request.discover = true;
    request.confirm = true;
    request.what_if = true;
    let fake = FakeServer::start(config).await.unwrap();
    let engine = engine_for(&fake, home.path());

    // -WhatIf: the login comes alone, before anything is listed; even a "yes" changes nothing.
    let run = engine.start_run(request.clone());
    let RunEvent::Confirm { profiles, logins } = next_step(&run).await else { panic!("the login is shown first") };
    assert!(profiles.is_empty());
    assert_eq!(logins.len(), 1);
    assert_eq!(
        (logins[0].target.as_str(), logins[0].action.as_str()),
        (ENVIRONMENT, "Log in to IAM Identity Center, list every account and role, and refresh their credentials")
    );
    run.answer(vec![ENVIRONMENT.into()]).unwrap();
    let events = events_until_finished(&run).await;
    assert_eq!(finished(&events), (None, &[][..], None), "{events:?}");
    let counters = fake.counters();
    assert_eq!((counters.start_device_authorization, counters.list_accounts), (0, 0), "{counters:?}");

    // -Confirm: the login is approved in the browser, not asked; then each profile listed is asked.
    request.what_if = false;
    let run = engine.start_run(request);
    assert!(matches!(next_step(&run).await, RunEvent::LoginNeeded { .. }));
    assert!(matches!(next_step(&run).await, RunEvent::LoggedIn { .. }));
    let RunEvent::Confirm { profiles, logins } = next_step(&run).await else { panic!("then the profiles listed") };
    assert_eq!((profiles.len(), logins.len()), (2, 0));
    run.answer(profiles.iter().map(|p| p.profile.clone()).collect()).unwrap();
    let events = events_until_finished(&run).await;
    assert_eq!(refresh_report(&events).count(ProfileStatus::Refreshed), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_interactive_discovery_names_get_aws_cli_sso_account() {
    let config = fake_config(1);
    let home = tempfile::tempdir().unwrap();
    let mut request = refresh_run(&config, home.path(), false);
    request.operation = RunOperation::Discover;
    let fake = FakeServer::start(config).await.unwrap();
    let engine = engine_for(&fake, home.path());
    let events = events_until_finished(&engine.start_run(request)).await;
    let error = finished(&events).2.expect("LoginRequired");
    assert!(
        error.message.contains(
            "Log in once from an interactive PowerShell with Get-AwsCliSsoAccount -EnvironmentName Test (with \
             -StartUrl and -Region the first time). ("
        ),
        "{}",
        error.message
    );
    assert_eq!(fake.counters().requests(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_operation_reuses_a_token_unattended_and_logs_in_when_a_person_can_answer() {
    let config = fake_config(1);
    let home = tempfile::tempdir().unwrap();
    let mut request = refresh_run(&config, home.path(), false);
    request.operation = RunOperation::Login;
    request.front_end = ssocreds_engine::run::FrontEnd::Cli;
    let fake = FakeServer::start(config).await.unwrap();
    let engine = engine_for(&fake, home.path());

    let events = events_until_finished(&engine.start_run(request.clone())).await;
    let error = finished(&events).2.expect("LoginRequired");
    assert!(
        error.message.contains("--non-interactive was given")
            && error.message.contains("ssocreds-cli login --environment Test")
    );
    assert_eq!(fake.counters().requests(), 0);

    request.interactive = true;
    let events = events_until_finished(&engine.start_run(request.clone())).await;
    assert_eq!(login_events(&events).len(), 1);
    let Some(RunReport::Login(login)) = finished(&events).0 else { panic!("a login report: {events:?}") };
    assert_eq!(login.environment, ENVIRONMENT);

    request.interactive = false;
    let events = events_until_finished(&engine.start_run(request)).await;
    assert!(login_events(&events).is_empty() && finished(&events).2.is_none(), "the token is reused: {events:?}");
    assert!(texts(&events, MessageLevel::Verbose).iter().any(|t| t.contains("reusing the stored SSO token")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configure_sso_session_writes_the_section_with_the_stored_token_or_warns_that_it_needs_a_login() {
    let config = fake_config(1);
    let home = tempfile::tempdir().unwrap();
    let mut request = refresh_run(&config, home.path(), false);
    request.login.write_sso_session = true;
    let fake = FakeServer::start(config).await.unwrap();
    let config_file = home.path().join(".aws").join("config");

    let events = events_until_finished(&engine_for(&fake, home.path()).start_run(request.clone())).await;
    assert!(
        texts(&events, MessageLevel::Warning).contains(
            &"The [sso-session Test] section was not written: it needs a login, which a non-interactive run does not \
              start."
                .to_string()
        ),
        "{events:?}"
    );
    assert!(!config_file.exists());

    let engine = logged_in_engine(&fake, home.path(), ENVIRONMENT).await;
    let events = events_until_finished(&engine.start_run(request)).await;
    assert!(finished(&events).2.is_none() && login_events(&events).is_empty(), "{events:?}");
    let written = std::fs::read_to_string(&config_file).unwrap();
    assert!(written.contains("[sso-session Test]") && written.contains(START_URL), "{written}");
}

#[cfg(unix)]
#[tokio::test]
async fn a_credentials_file_other_users_can_read_is_said_once_as_a_warning_of_the_run() {
    use std::os::unix::fs::PermissionsExt;
    let config = fake_config(2);
    let home = tempfile::tempdir().unwrap();
    let request = refresh_run(&config, home.path(), true);
    let file = home.path().join("credentials");
    std::fs::write(&file, "[kept]\nregion = eu-west-1\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let fake = FakeServer::start(config).await.unwrap();
    let engine = engine_for(&fake, home.path());

    let events = events_until_finished(&engine.start_run(request.clone())).await;
    let warnings: Vec<(Option<&str>, &str)> = events
        .iter()
        .filter_map(|e| match e {
            RunEvent::Message { level: MessageLevel::Warning, code, text } => Some((code.as_deref(), text.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(warnings.len(), 1, "{events:?}");
    assert_eq!(warnings[0].0, Some("CredentialsFileReadableByOthers"));
    assert!(warnings[0].1.contains(&file.display().to_string()) && warnings[0].1.contains("chmod 600"), "{warnings:?}");
    assert_eq!(refresh_report(&events).warnings.len(), 1);
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o644, "the user's mode is kept");

    // A run with nothing to do writes no secret, so it says nothing.
    let again = events_until_finished(&engine.start_run(request)).await;
    assert!(texts(&again, MessageLevel::Warning).is_empty(), "{again:?}");
}

#[tokio::test]
async fn what_if_asks_and_shows_but_fetches_writes_and_sums_up_nothing() {
    let config = fake_config(3);
    let home = tempfile::tempdir().unwrap();
    let mut request = refresh_run(&config, home.path(), false);
    request.confirm = true;
    request.what_if = true;
    let fake = FakeServer::start(config).await.unwrap();
    let engine = logged_in_engine(&fake, home.path(), ENVIRONMENT).await;

    // PowerShell's -WhatIf: ShouldProcess answers "no" after printing "What if: …"; even a "yes" changes nothing.
    let run = engine.start_run(request.clone());
    let RunEvent::Confirm { profiles, .. } = next_step(&run).await else { panic!("a confirm event first") };
    run.answer(profiles.iter().map(|p| p.profile.clone()).collect()).unwrap();
    let events = events_until_finished(&run).await;
    assert_eq!(fake.counters().get_role_credentials, 0);
    assert_eq!(refresh_report(&events).count(ProfileStatus::WouldRefresh), 3);
    assert!(texts(&events, MessageLevel::Info).is_empty(), "no Registering line, no summary: {events:?}");
    assert!(!home.path().join("credentials").exists());

    // The CLI's --dry-run: no question at all, the same result.
    request.confirm = false;
    let events = events_until_finished(&engine.start_run(request)).await;
    assert!(!events.iter().any(|e| matches!(e, RunEvent::Confirm { .. })));
    assert_eq!(fake.counters().get_role_credentials, 0);
    assert!(texts(&events, MessageLevel::Info).is_empty(), "{events:?}");
    assert!(!home.path().join("credentials").exists());
}
