//! `ssocreds-cli demo`: the whole job against the bundled fake IAM Identity Center, in a throwaway
//! home folder, so it runs on any machine with no AWS account and touches none of the user's files.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use fake_identity_center::{FakeConfig, FakeServer};
use ssocreds_engine::api::{AccountRequest, ProfileStatus, RefreshReport, RefreshRequest};
use ssocreds_engine::run::{FrontEnd, RunLoginOptions, RunOperation, RunReport, RunRequest};
use ssocreds_engine::{Engine, Error, ErrorCode, HostEnv};

use crate::drive::{Approver, Driver};
use crate::output;

const ENVIRONMENT: &str = "Demo";
const START_URL: &str = "https://d-1234567890.awsapps.com/start";
const REGION: &str = "us-east-1";
const ROLE: &str = "ReadOnly";

pub async fn run(profiles: usize, verbose: bool) -> Result<ExitCode, Error> {
    let profiles = profiles.clamp(2, 1000);
    let home =
        tempfile::tempdir().map_err(|e| Error::new(ErrorCode::Io, format!("cannot make a temporary folder: {e}")))?;
    let mut config = FakeConfig::with_generated_accounts(profiles, &[ROLE, "Admin"]);
    config.latency = Duration::from_millis(40);
    let forbidden = config.accounts.last().expect("at least two accounts").account_id.clone();
    config.forbidden.push((forbidden.clone(), ROLE.to_string()));
    let accounts: Vec<AccountRequest> = config
        .accounts
        .iter()
        // No profile names: they come from the default template, {AccountName}.{RoleName}.
        .map(|a| AccountRequest {
            profile: None,
            account_id: a.account_id.clone(),
            role_name: None,
            account_name: Some(a.account_name.clone()),
        })
        .collect();
    let fake = FakeServer::start(config)
        .await
        .map_err(|e| Error::new(ErrorCode::Io, format!("cannot start the fake: {e}")))?;
    println!("Bundled fake IAM Identity Center at {} ({profiles} accounts, 40 ms latency,", fake.url());
    println!("  and no access to role {ROLE} in account {forbidden}, to show that one failure stops nothing else)");
    let home_text = home.path().display().to_string();
    let engine = Engine::new(HostEnv::from_pairs([
        ("AWS_ENDPOINT_URL_SSO_OIDC", fake.url()),
        ("AWS_ENDPOINT_URL_SSO", fake.url()),
        ("HOME", home_text.clone()),
    ]));

    println!(
        "\n1. Login: the authorization code with PKCE, as `aws sso login` does (the browser comes back to 127.0.0.1)"
    );
    let driver = Driver { approver: Approver::SimulatedUser, verbose };
    let session = RefreshRequest {
        environment: ENVIRONMENT.into(),
        start_url: Some(START_URL.into()),
        region: Some(REGION.into()),
        ..RefreshRequest::default()
    };
    let login = RunLoginOptions { use_device_code: Some(false), ..RunLoginOptions::default() };
    let finished = driver.drive(&engine, run_request(RunOperation::Login, session.clone(), login)).await;
    finished.print_errors();
    let Some(RunReport::Login(login)) = finished.report else {
        return Ok(finished.exit_code());
    };
    println!("   logged in; token valid until {}", login.expires_at);

    let request = RefreshRequest { accounts, default_role_name: Some(ROLE.into()), ..session };
    println!("\n2. Refresh {profiles} profiles (at most 16 requests at once)");
    let started = Instant::now();
    let report = refresh(&engine, driver, request.clone()).await?;
    let took = started.elapsed();
    output::print_report(&report);
    println!("   in {} ms; GetRoleCredentials calls: {}", took.as_millis(), fake.counters().get_role_credentials);

    println!("\n3. Run again: valid profiles are left alone; only the failed one is tried again");
    let calls_before = fake.counters().get_role_credentials;
    let started = Instant::now();
    let again = refresh(&engine, driver, request).await?;
    println!(
        "   {} current (not fetched), {} failed again, in {:.1} ms; new GetRoleCredentials calls: {}",
        again.count(ProfileStatus::Current),
        again.count(ProfileStatus::Failed),
        started.elapsed().as_secs_f64() * 1000.0,
        fake.counters().get_role_credentials - calls_before
    );

    println!("\n4. The credentials file ({}), first profile, secrets not shown:", report.credentials_file);
    let text =
        std::fs::read_to_string(&report.credentials_file).map_err(|e| Error::new(ErrorCode::Io, e.to_string()))?;
    for line in text.lines().take_while(|l| !l.trim().is_empty()) {
        println!("   {}", shorten_secret(line));
    }
    let expected = report.count(ProfileStatus::Refreshed) == profiles - 1
        && report.count(ProfileStatus::Failed) == 1
        && again.count(ProfileStatus::Current) == profiles - 1;
    println!(
        "\nDemo {}. The fake and the temporary home are removed now.",
        if expected { "complete" } else { "did NOT go as expected" }
    );
    Ok(if expected { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn run_request(operation: RunOperation, request: RefreshRequest, login: RunLoginOptions) -> RunRequest {
    let front_end = FrontEnd::Cli;
    RunRequest {
        operation,
        request,
        login,
        interactive: true,
        non_interactive_reason: None,
        host: None,
        confirm: false,
        what_if: false,
        front_end,
        credentials: Default::default(),
    }
}

/// One refresh run: its report, or why there is none.
async fn refresh(engine: &Engine, driver: Driver, request: RefreshRequest) -> Result<RefreshReport, Error> {
    let finished = driver.drive(engine, run_request(RunOperation::Refresh, request, RunLoginOptions::default())).await;
    finished.print_errors();
    match finished.report {
        Some(RunReport::Refresh(report)) => Ok(report),
        _ => Err(Error::new(ErrorCode::ServiceError, "the demo's refresh ended without a report")),
    }
}

/// Secrets are never printed, not even the fake's: only their length.
fn shorten_secret(line: &str) -> String {
    match line.split_once(" = ") {
        Some((key, value)) if key.contains("secret") || key.contains("session_token") => {
            format!("{key} = ({} characters, not shown)", value.len())
        }
        _ => line.to_string(),
    }
}
