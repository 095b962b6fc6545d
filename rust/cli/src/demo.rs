//! `ssocreds-cli demo`: the whole job against the bundled fake IAM Identity Center, in a throwaway
//! home folder, so it runs on any machine with no AWS account and touches none of the user's files.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_identity_center::{FakeConfig, FakeServer};
use ssocreds_engine::api::{AccountRequest, LoginStartRequest, ProfileStatus, RefreshRequest};
use ssocreds_engine::refresh::Progress;
use ssocreds_engine::{Engine, Env, Error, ErrorCode};

use crate::login_flow::{self, Approver};
use crate::output;

const ENVIRONMENT: &str = "Demo";
const START_URL: &str = "https://d-1234567890.awsapps.com/start";
const REGION: &str = "us-east-1";
const ROLE: &str = "ReadOnly";

pub async fn run(profiles: usize) -> Result<ExitCode, Error> {
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
    let engine = Engine::new(Env::from_pairs([
        ("AWS_ENDPOINT_URL_SSO_OIDC", fake.url()),
        ("AWS_ENDPOINT_URL_SSO", fake.url()),
        ("HOME", home_text.clone()),
    ]));

    println!(
        "\n1. Login: the authorization code with PKCE, as `aws sso login` does (the browser comes back to 127.0.0.1)"
    );
    let login = LoginStartRequest {
        environment: ENVIRONMENT.into(),
        start_url: START_URL.into(),
        region: REGION.into(),
        force_login: false,
        use_device_code: Some(false),
        ..Default::default()
    };
    let expires_at = login_flow::login(&engine, login, Approver::SimulatedUser).await?;
    println!("   logged in; token valid until {expires_at}");

    let request = RefreshRequest {
        environment: ENVIRONMENT.into(),
        accounts,
        default_role_name: Some(ROLE.into()),
        ..RefreshRequest::default()
    };
    println!("\n2. Refresh {profiles} profiles (at most 16 requests at once)");
    let started = Instant::now();
    let report = engine.run_refresh(engine.plan_refresh(request.clone())?, Arc::new(Progress::default())).await?;
    let took = started.elapsed();
    output::print_report(&report);
    println!(
        "   {} in {} ms; GetRoleCredentials calls: {}",
        output::summary(&report),
        took.as_millis(),
        fake.counters().get_role_credentials
    );

    println!("\n3. Run again: valid profiles are left alone; only the failed one is tried again");
    let calls_before = fake.counters().get_role_credentials;
    let started = Instant::now();
    let again = engine.refresh(request).await?;
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

/// Secrets are never printed, not even the fake's: only their length.
fn shorten_secret(line: &str) -> String {
    match line.split_once(" = ") {
        Some((key, value)) if key.contains("secret") || key.contains("session_token") => {
            format!("{key} = ({} characters, not shown)", value.len())
        }
        _ => line.to_string(),
    }
}
