//! `ssocreds-cli`: the main job of Set-AwsCliSsoCredentials without PowerShell. It parses the
//! arguments, starts the library's run (which decides everything and says every text), and prints.
//!
//! Exit codes: 0 all profiles fine, 1 some profiles failed, 2 the run failed as a whole.

mod accounts;
mod args;
mod browser;
mod credential_process;
mod demo;
mod drive;
mod output;

use std::process::ExitCode;

use clap::Parser;
use ssocreds_engine::api::{AccountRequest, EnvironmentRequest, RefreshRequest};
use ssocreds_engine::run::{FrontEnd, RunLoginOptions, RunOperation, RunReport, RunRequest};
use ssocreds_engine::{Engine, Error, HostEnv};

use args::{Cli, Command, DiscoverArgs, LoginArgs, LoginFlowArgs, RefreshArgs, SessionArgs};
use drive::{Approver, Driver};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");
    let driver = Driver { approver: Approver::User, verbose: cli.verbose };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Refresh(args) => refresh(args, driver).await,
            Command::Login(args) => login(args, driver).await,
            Command::Discover(args) => discover(args, driver).await,
            Command::CredentialProcess(args) => credential_process::run(args, driver).await,
            Command::Status { environment, credentials_file } => output::status(environment, credentials_file),
            Command::Logout { environment } => logout(environment).await,
            Command::Demo { profiles } => demo::run(profiles, cli.verbose).await,
        }
    });
    outcome.unwrap_or_else(|error| {
        eprintln!("error: {error}");
        ExitCode::from(2)
    })
}

/// The run of `operation` over `request`, as this command line asks it.
fn run_request(operation: RunOperation, request: RefreshRequest, flow: &LoginFlowArgs) -> RunRequest {
    let use_device_code = match (flow.use_device_code, flow.redirect_port) {
        (true, _) => Some(true),
        (false, Some(_)) => Some(false),
        (false, None) => None,
    };
    let login = RunLoginOptions {
        no_browser: flow.no_browser,
        use_device_code,
        redirect_port: flow.redirect_port,
        ..Default::default()
    };
    // A person can answer unless --non-interactive, whether or not stdin is a terminal: the URL
    // and code go to stderr and the login is approved in a browser, as the CLI always did.
    let interactive = !flow.non_interactive;
    RunRequest {
        operation,
        request,
        login,
        interactive,
        non_interactive_reason: None,
        host: None,
        confirm: false,
        what_if: false,
        front_end: FrontEnd::Cli,
        credentials: Default::default(),
    }
}

fn session_request(session: SessionArgs) -> RefreshRequest {
    let SessionArgs { environment, start_url, region, no_token_file } = session;
    RefreshRequest { environment, start_url, region, no_token_file, ..RefreshRequest::default() }
}

async fn refresh(args: RefreshArgs, driver: Driver) -> Result<ExitCode, Error> {
    let mut accounts: Vec<AccountRequest> = match &args.accounts {
        Some(path) => accounts::from_file(path).map_err(Error::invalid_input)?,
        None => Vec::new(),
    };
    for flag in &args.account_flags {
        accounts.push(accounts::from_flag(flag).map_err(Error::invalid_input)?);
    }
    let request = RefreshRequest {
        accounts,
        default_role_name: args.default_role_name,
        credentials_file: args.credentials_file,
        force: args.force,
        max_concurrency: args.filters.max_concurrency,
        min_validity_seconds: args.min_validity_seconds,
        discover: args.all_accounts,
        profile_name_template: args.profile_name_template,
        include_account: args.filters.include_account,
        exclude_account: args.filters.exclude_account,
        include_role: args.filters.include_role,
        from_config: args.from_config,
        config_profile: args.config_profile,
        credential_process: args.credential_process,
        credential_process_command: args.credential_process.then(this_program).transpose()?,
        ..session_request(args.session)
    };
    let run = run_request(RunOperation::Refresh, request, &args.flow);
    let finished = driver.drive(&Engine::new(HostEnv::real()), RunRequest { what_if: args.dry_run, ..run }).await;
    finished.print_errors();
    if let Some(report) = finished.refresh_report() {
        match args.filters.json {
            true => output::print_json(report),
            false => output::print_report(report),
        }
    }
    Ok(finished.exit_code())
}

/// The absolute path of this program, for the `credential_process` lines it writes.
fn this_program() -> Result<String, Error> {
    let path =
        std::env::current_exe().map_err(|e| Error::invalid_input(format!("cannot tell where ssocreds-cli is: {e}")))?;
    Ok(path.display().to_string())
}

async fn discover(args: DiscoverArgs, driver: Driver) -> Result<ExitCode, Error> {
    let request = RefreshRequest {
        max_concurrency: args.filters.max_concurrency,
        include_account: args.filters.include_account,
        exclude_account: args.filters.exclude_account,
        include_role: args.filters.include_role,
        ..session_request(args.session)
    };
    let finished =
        driver.drive(&Engine::new(HostEnv::real()), run_request(RunOperation::Discover, request, &args.flow)).await;
    finished.print_errors();
    if let Some(RunReport::Discover(result)) = &finished.report {
        match args.filters.json {
            true => output::print_json(result),
            false => output::print_accounts(result),
        }
    }
    Ok(finished.exit_code())
}

async fn login(args: LoginArgs, driver: Driver) -> Result<ExitCode, Error> {
    let mut run = run_request(RunOperation::Login, session_request(args.session), &args.flow);
    run.login.force_login = args.force_login;
    run.login.write_sso_session = args.write_sso_session;
    let finished = driver.drive(&Engine::new(HostEnv::real()), run).await;
    finished.print_errors();
    if let Some(RunReport::Login(login)) = &finished.report {
        println!("Logged in; the SSO token is valid until {}", login.expires_at);
    }
    Ok(finished.exit_code())
}

async fn logout(environment: String) -> Result<ExitCode, Error> {
    let result = Engine::new(HostEnv::real()).logout(EnvironmentRequest { environment, no_token_file: false }).await?;
    println!(
        "{}",
        match result.logged_out {
            true => "Signed out; the cached SSO token is removed.",
            false => "There was no SSO session to sign out of.",
        }
    );
    Ok(ExitCode::SUCCESS)
}
