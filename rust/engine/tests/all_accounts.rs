//! `discover: true` (`-AllAccounts`, `--all-accounts`) with every profile still valid makes no
//! call: the listing of accounts and roles is kept beside the token and reused while it is younger
//! than an hour and the token is the same; it is listed again with `force`, with a new token, for
//! accounts it did not list, and after the service refuses a role it listed.

use std::path::Path;
use std::time::Instant;

use fake_identity_center::{Approval, FakeAccount, FakeConfig, FakeServer};
use ssocreds_engine::api::{
    AccountRequest, DiscoverRequest, LoginPoll, LoginPollRequest, LoginStartRequest, ProfileStatus, RefreshReport,
    RefreshRequest,
};
use ssocreds_engine::{Engine, ErrorCode};

mod common;
use common::{engine_for, login_request};

const ENVIRONMENT: &str = "All";

async fn log_in(engine: &Engine, force_login: bool) {
    common::log_in(engine, LoginStartRequest { force_login, ..login_request(ENVIRONMENT) }).await;
}

/// The fake, a home with a login, and an engine on them.
async fn logged_in(config: FakeConfig) -> (FakeServer, tempfile::TempDir, Engine) {
    let fake = FakeServer::start(FakeConfig { approval: Approval::AfterPolls(1), ..config }).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let engine = engine_for(&fake, home.path());
    log_in(&engine, false).await;
    (fake, home, engine)
}

fn all_accounts(home: &Path) -> RefreshRequest {
    RefreshRequest {
        environment: ENVIRONMENT.into(),
        discover: true,
        credentials_file: Some(home.join("credentials").display().to_string()),
        ..RefreshRequest::default()
    }
}

fn all_current(report: &RefreshReport) -> bool {
    report.profiles.iter().all(|p| p.status == ProfileStatus::Current)
}

fn listing_file(home: &Path) -> Option<std::path::PathBuf> {
    let folder = home.join(".aws/sso/cache");
    std::fs::read_dir(folder).ok()?.map(|e| e.unwrap().path()).find(|p| p.to_string_lossy().ends_with(".accounts.json"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_over_every_account_makes_no_call_even_from_another_process() {
    let (fake, home, engine) = logged_in(FakeConfig::with_generated_accounts(30, &["ReadOnly", "Admin"])).await;
    let first = engine.refresh(all_accounts(home.path())).await.unwrap();
    assert_eq!(first.count(ProfileStatus::Refreshed), 60);
    let listing = listing_file(home.path()).expect("the listing is kept beside the token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&listing).unwrap().permissions().mode() & 0o777, 0o600);
    }

    fake.reset_counters();
    let again = engine.refresh(all_accounts(home.path())).await.unwrap();
    assert!(all_current(&again) && again.profiles.len() == 60, "{again:?}");
    assert_eq!(fake.counters().requests(), 0, "{:?}", fake.counters());
    assert_eq!(again.token_expires_at, None, "no token was needed");

    // Another process (a new engine over the same home): the listing file serves it.
    let other = engine_for(&fake, home.path());
    let plan = other.plan_refresh(all_accounts(home.path())).unwrap();
    assert_eq!(plan.to_fetch(), 0, "the listing is reused when the refresh is planned");
    let from_file = other.refresh(all_accounts(home.path())).await.unwrap();
    assert_eq!(from_file.profiles, again.profiles);
    // A dry run too (the module plans an -AllAccounts run with one).
    let dry_run = other.refresh(RefreshRequest { dry_run: true, ..all_accounts(home.path()) }).await.unwrap();
    assert!(all_current(&dry_run) && dry_run.profiles.len() == 60);
    assert_eq!(fake.counters().requests(), 0, "{:?}", fake.counters());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_and_a_new_token_list_again() {
    let (fake, home, engine) = logged_in(FakeConfig::with_generated_accounts(30, &["ReadOnly", "Admin"])).await;
    engine.refresh(all_accounts(home.path())).await.unwrap();

    fake.reset_counters();
    let forced = engine.refresh(RefreshRequest { force: true, ..all_accounts(home.path()) }).await.unwrap();
    assert_eq!(forced.count(ProfileStatus::Refreshed), 60);
    let counters = fake.counters();
    assert_eq!((counters.list_accounts, counters.list_account_roles), (2, 30), "pages of 20, then every account");

    log_in(&engine, true).await;
    fake.reset_counters();
    let new_token = engine.refresh(all_accounts(home.path())).await.unwrap();
    assert!(all_current(&new_token));
    let counters = fake.counters();
    assert_eq!((counters.list_account_roles, counters.get_role_credentials), (30, 0), "listed again, nothing fetched");

    fake.reset_counters();
    engine.refresh(all_accounts(home.path())).await.unwrap();
    assert_eq!(fake.counters().requests(), 0, "the new listing is reused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_made_under_filters_serves_only_the_accounts_it_listed() {
    let (fake, home, engine) = logged_in(FakeConfig::with_generated_accounts(10, &["ReadOnly", "Admin"])).await;
    let filtered = RefreshRequest {
        include_account: vec!["account-0001".into()],
        include_role: vec!["Read*".into()],
        ..all_accounts(home.path())
    };
    let first = engine.refresh(filtered.clone()).await.unwrap();
    assert_eq!(first.profiles.len(), 1);
    assert_eq!(fake.counters().list_account_roles, 1, "only the kept account's roles are listed");

    fake.reset_counters();
    let again = engine.refresh(filtered).await.unwrap();
    assert!(all_current(&again) && again.profiles.len() == 1);
    assert_eq!(fake.counters().requests(), 0);

    fake.reset_counters();
    let everything = engine.refresh(all_accounts(home.path())).await.unwrap();
    assert_eq!(everything.profiles.len(), 20);
    assert_eq!(fake.counters().list_account_roles, 10, "the other accounts' roles were never listed: list again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_role_the_service_refuses_drops_the_listing() {
    let (fake, home, engine) = logged_in(FakeConfig::with_generated_accounts(6, &["ReadOnly"])).await;
    let first = engine.refresh(all_accounts(home.path())).await.unwrap();
    let gone = first.profiles[2].clone();
    fake.remove_role(&gone.account_id, &gone.role_name);

    // As the module fetches after its -AllAccounts plan: the profile by name, without discovery.
    let fetch = RefreshRequest {
        environment: ENVIRONMENT.into(),
        accounts: vec![AccountRequest {
            profile: Some(gone.profile.clone()),
            account_id: gone.account_id.clone(),
            role_name: Some(gone.role_name.clone()),
            account_name: None,
        }],
        credentials_file: all_accounts(home.path()).credentials_file,
        force: true,
        ..RefreshRequest::default()
    };
    let refused = engine.refresh(fetch).await.unwrap();
    assert_eq!(refused.profiles[0].error.as_ref().map(|e| e.code), Some(ErrorCode::Forbidden));
    assert!(listing_file(home.path()).is_none(), "the listing is dropped");

    fake.reset_counters();
    let again = engine.refresh(all_accounts(home.path())).await.unwrap();
    assert_eq!(fake.counters().list_account_roles, 6, "listed again");
    assert_eq!(again.profiles.len(), 5, "the refused role is no longer listed: {again:?}");
    assert!(all_current(&again));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discover_always_lists_and_keeps_what_it_listed_and_an_absent_email_is_null() {
    let mut config = FakeConfig::with_generated_accounts(3, &["ReadOnly"]);
    config.accounts.push(FakeAccount {
        account_id: "999999999999".into(),
        account_name: "no-mail".into(),
        email_address: String::new(),
        roles: vec!["ReadOnly".into()],
    });
    let (fake, home, engine) = logged_in(config).await;
    let discover = DiscoverRequest { environment: ENVIRONMENT.into(), ..Default::default() };
    let listed = engine.discover(discover.clone()).await.unwrap();
    assert_eq!(listed.accounts[0].email_address.as_deref(), Some("account-0001@example.com"));
    let no_mail = listed.accounts.iter().find(|a| a.account_id == "999999999999").unwrap();
    assert_eq!(no_mail.email_address, None);
    let json = serde_json::to_value(&listed).unwrap();
    assert!(json["accounts"][3]["emailAddress"].is_null(), "{json}");

    fake.reset_counters();
    engine.discover(discover).await.unwrap();
    assert_eq!(fake.counters().list_accounts, 1, "discover asks the service every time");
    fake.reset_counters();
    let refreshed = engine.refresh(all_accounts(home.path())).await.unwrap();
    assert_eq!(refreshed.count(ProfileStatus::Refreshed), 4);
    assert_eq!(fake.counters().list_accounts, 0, "the refresh reused what discover listed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_without_token_file_keeps_its_listing_in_memory_only() {
    let fake = FakeServer::start(FakeConfig {
        approval: Approval::AfterPolls(1),
        ..FakeConfig::with_generated_accounts(4, &["ReadOnly"])
    })
    .await
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let engine = engine_for(&fake, home.path());
    let start = LoginStartRequest {
        environment: ENVIRONMENT.into(),
        start_url: "https://d-1234567890.awsapps.com/start".into(),
        region: "us-east-1".into(),
        no_token_file: true,
        use_device_code: Some(true),
        ..Default::default()
    };
    engine.login_start(start).await.unwrap();
    while engine.login_poll(LoginPollRequest { environment: ENVIRONMENT.into(), wait_ms: Some(1000) }).await.unwrap()
        == LoginPoll::Pending
    {}
    let request = RefreshRequest { no_token_file: true, ..all_accounts(home.path()) };
    engine.refresh(request.clone()).await.unwrap();
    assert!(listing_file(home.path()).is_none() && !home.path().join(".aws/sso").exists());
    fake.reset_counters();
    assert!(all_current(&engine.refresh(request).await.unwrap()));
    assert_eq!(fake.counters().requests(), 0);
}

/// The benchmark of the issue, as a test of what it needs (no call) that prints the timings; too
/// slow for every run (it first fetches 2,000 profiles): `cargo test --release -p ssocreds-engine
/// --test all_accounts -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run it by hand with --ignored --nocapture"]
async fn the_no_op_over_1000_accounts_and_2_roles_makes_no_call_and_is_as_fast_as_the_explicit_one() {
    const RUNS: usize = 20;
    let (fake, home, engine) =
        logged_in(FakeConfig { page_size: 100, ..FakeConfig::with_generated_accounts(1000, &["ReadOnly", "Admin"]) })
            .await;
    let first = engine.refresh(all_accounts(home.path())).await.unwrap();
    assert_eq!(first.count(ProfileStatus::Refreshed), 2000);
    let explicit = RefreshRequest {
        environment: ENVIRONMENT.into(),
        accounts: first
            .profiles
            .iter()
            .map(|p| AccountRequest {
                profile: Some(p.profile.clone()),
                account_id: p.account_id.clone(),
                role_name: Some(p.role_name.clone()),
                account_name: None,
            })
            .collect(),
        credentials_file: all_accounts(home.path()).credentials_file,
        ..RefreshRequest::default()
    };
    fake.reset_counters();
    let another_process = engine_for(&fake, home.path());
    let mut times: [Vec<f64>; 3] = Default::default();
    for _ in 0..RUNS {
        for (k, (engine, request)) in [
            (&engine, &explicit),
            (&engine, &all_accounts(home.path())),
            (&another_process, &all_accounts(home.path())),
        ]
        .into_iter()
        .enumerate()
        {
            let started = Instant::now();
            let report = engine.refresh(request.clone()).await.unwrap();
            times[k].push(started.elapsed().as_secs_f64() * 1000.0);
            assert!(all_current(&report) && report.profiles.len() == 2000);
        }
    }
    assert_eq!(fake.counters().requests(), 0, "{:?}", fake.counters());
    let median = |t: &mut Vec<f64>| {
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    };
    let [explicit_ms, in_memory_ms, from_file_ms] = times.map(|mut t| median(&mut t));
    println!(
        "no-op over 2,000 current profiles, median of {RUNS}: explicit {explicit_ms:.1} ms, -AllAccounts \
         {in_memory_ms:.1} ms (listing in memory), {from_file_ms:.1} ms (listing from the file, as in a new process)"
    );
}
