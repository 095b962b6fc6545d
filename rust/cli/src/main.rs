//! `ssocreds-cli`: the main job of Set-AwsCliSsoCredentials without PowerShell.
//!
//! Exit codes: 0 all profiles fine, 1 some profiles failed, 2 the run failed as a whole.

mod accounts;
mod demo;
mod http_get;
mod login_flow;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use ssocreds_engine::api::{AccountRequest, LoginStartRequest, ProfileStatus, RefreshReport, RefreshRequest};
use ssocreds_engine::refresh::Progress;
use ssocreds_engine::{Engine, Env, Error, ErrorCode};

use login_flow::Approver;

#[derive(Parser)]
#[command(name = "ssocreds-cli", version, about = "Fresh AWS credentials for many accounts from one IAM Identity Center login")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Log in if needed and refresh the given profiles in the credentials file.
    Refresh(RefreshArgs),
    /// Run a device login and report when the token expires (the token lives in this process).
    Login(LoginArgs),
    /// Show which profiles in the credentials file this tool wrote, and until when they are valid.
    Status {
        /// The credentials file (default: AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials).
        #[arg(long)]
        credentials_file: Option<String>,
    },
    /// Start the bundled fake IAM Identity Center, log in through it and refresh profiles into a
    /// throwaway credentials file, printing what happens.
    Demo {
        /// How many profiles to refresh.
        #[arg(long, default_value_t = 36)]
        profiles: usize,
    },
}

#[derive(Args)]
struct LoginArgs {
    /// A short name that keeps several IAM Identity Center instances apart.
    #[arg(long, default_value = "default")]
    environment: String,
    /// The access portal URL, e.g. https://d-1234567890.awsapps.com/start
    #[arg(long)]
    start_url: String,
    /// The region of IAM Identity Center, e.g. us-east-1.
    #[arg(long)]
    region: String,
    /// Print the URL and code instead of opening a browser (SSH, WSL, headless).
    #[arg(long)]
    no_browser: bool,
    /// Start a new login even if a valid token is cached.
    #[arg(long)]
    force_login: bool,
}

#[derive(Args)]
struct RefreshArgs {
    #[arg(long, default_value = "default")]
    environment: String,
    /// The access portal URL (needed when a login is needed).
    #[arg(long)]
    start_url: Option<String>,
    /// The region of IAM Identity Center (needed when a login is needed).
    #[arg(long)]
    region: Option<String>,
    /// The role for accounts that name none.
    #[arg(long)]
    default_role_name: Option<String>,
    /// Accounts from a JSON ([{profile, accountId, roleName}]) or CSV (Profile,AccountId,RoleName) file.
    #[arg(long)]
    accounts: Option<PathBuf>,
    /// One account: PROFILE=ACCOUNT_ID[:ROLE]. Repeatable.
    #[arg(long = "account")]
    account_flags: Vec<String>,
    #[arg(long)]
    credentials_file: Option<String>,
    /// Fetch even profiles whose credentials are still valid.
    #[arg(long)]
    force: bool,
    #[arg(long)]
    max_concurrency: Option<usize>,
    /// Profiles valid for longer than this are left alone (default 300).
    #[arg(long)]
    min_validity_seconds: Option<u64>,
    /// Report what would be refreshed; send and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Never start a login: fail with LoginRequired instead (for schedulers and shell profiles).
    #[arg(long)]
    non_interactive: bool,
    #[arg(long)]
    no_browser: bool,
    /// Print the JSON report instead of a table.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Refresh(args) => refresh(args).await,
            Command::Login(args) => login(args).await,
            Command::Status { credentials_file } => status(credentials_file),
            Command::Demo { profiles } => demo::run(profiles).await,
        }
    });
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

async fn login(args: LoginArgs) -> Result<ExitCode, Error> {
    let engine = Engine::new(Env::real());
    let request = LoginStartRequest {
        environment: args.environment,
        start_url: args.start_url,
        region: args.region,
        force_login: args.force_login,
    };
    let approver = if args.no_browser { Approver::PrintOnly } else { Approver::Browser };
    let expires_at = login_flow::login(&engine, request, approver).await?;
    println!("Logged in; the SSO token is valid until {expires_at}");
    Ok(ExitCode::SUCCESS)
}

async fn refresh(args: RefreshArgs) -> Result<ExitCode, Error> {
    let mut accounts: Vec<AccountRequest> = match &args.accounts {
        Some(path) => accounts::from_file(path).map_err(Error::invalid_input)?,
        None => Vec::new(),
    };
    for flag in &args.account_flags {
        accounts.push(accounts::from_flag(flag).map_err(Error::invalid_input)?);
    }
    let request = RefreshRequest {
        environment: args.environment.clone(),
        accounts,
        default_role_name: args.default_role_name.clone(),
        region: args.region.clone(),
        credentials_file: args.credentials_file.clone(),
        force: args.force,
        max_concurrency: args.max_concurrency,
        min_validity_seconds: args.min_validity_seconds,
        dry_run: args.dry_run,
    };
    let engine = Engine::new(Env::real());
    let plan = match engine.plan_refresh(request.clone()) {
        Err(error) if error.code == ErrorCode::LoginRequired && !args.non_interactive => {
            let (Some(start_url), Some(region)) = (args.start_url.clone(), args.region.clone()) else {
                return Err(Error::invalid_input("a login is needed: give --start-url and --region"));
            };
            let login = LoginStartRequest { environment: args.environment.clone(), start_url, region, force_login: false };
            login_flow::login(&engine, login, if args.no_browser { Approver::PrintOnly } else { Approver::Browser }).await?;
            engine.plan_refresh(request)?
        }
        other => other?,
    };
    let report = engine.run_refresh(plan, Arc::new(Progress::default())).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).expect("reports serialize"));
    } else {
        output::print_report(&report);
        println!("{}", output::summary(&report));
    }
    Ok(exit_code(&report))
}

fn exit_code(report: &RefreshReport) -> ExitCode {
    if report.count(ProfileStatus::Failed) > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn status(credentials_file: Option<String>) -> Result<ExitCode, Error> {
    let env = Env::real();
    let path = ssocreds_engine::credentials_file::resolve_path(credentials_file.as_deref(), &env)?;
    let stored = ssocreds_engine::credentials_file::read_stored(&path)?;
    let mut ours: Vec<_> = stored.into_iter().filter(|(_, p)| p.expiration.is_some()).collect();
    ours.sort_by(|a, b| a.0.cmp(&b.0));
    println!("{}", path.display());
    for (name, profile) in ours {
        let expiration = profile.expiration.expect("filtered");
        let left = ssocreds_engine::time::seconds_until(expiration);
        let state = if left > 0 { format!("valid for {}m", left / 60) } else { "expired".to_string() };
        println!(
            "  {name:<30} {:<12} {:<24} {state}",
            profile.account_id.unwrap_or_default(),
            profile.role_name.unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}
