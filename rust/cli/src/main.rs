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
use ssocreds_engine::api::{
    AccountRequest, DiscoverRequest, EnvironmentRequest, LoginStartRequest, ProfileStatus, RefreshReport,
    RefreshRequest, SessionState,
};
use ssocreds_engine::refresh::Progress;
use ssocreds_engine::{Engine, Env, Error, ErrorCode};

use login_flow::Approver;

#[derive(Parser)]
#[command(
    name = "ssocreds-cli",
    version,
    about = "Fresh AWS credentials for many accounts from one IAM Identity Center login"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Log in if needed and refresh the given profiles in the credentials file (or, with
    /// --from-config, the SSO profiles of ~/.aws/config, each with its own sso-session).
    Refresh(RefreshArgs),
    /// Log in (or reuse the cached login) and report until when the SSO token is valid. The token
    /// is kept in the AWS CLI v2 cache (~/.aws/sso/cache), shared with later runs and the AWS CLI.
    Login(LoginArgs),
    /// Show the SSO session and the profiles this tool wrote, and until when they are valid.
    Status {
        #[arg(long, default_value = "Default")]
        environment: String,
        /// The credentials file (default: AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials).
        #[arg(long)]
        credentials_file: Option<String>,
    },
    /// Sign the SSO token out and remove it from the cache.
    Logout {
        #[arg(long, default_value = "Default")]
        environment: String,
    },
    /// List every account and role the login can reach.
    Discover(DiscoverArgs),
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
    #[arg(long, default_value = "Default")]
    environment: String,
    /// The access portal URL, e.g. https://d-1234567890.awsapps.com/start
    #[arg(long)]
    start_url: String,
    /// The region of IAM Identity Center, e.g. us-east-1.
    #[arg(long)]
    region: String,
    #[command(flatten)]
    browser: BrowserArgs,
    /// Start a new login even if a valid token is cached.
    #[arg(long)]
    force_login: bool,
    /// Keep the token in memory only (it ends with this process), as the original script did.
    #[arg(long)]
    no_token_file: bool,
    /// Also write [sso-session ENVIRONMENT] into ~/.aws/config (AWS_CONFIG_FILE) for `aws` CLI v2.
    #[arg(long)]
    write_sso_session: bool,
}

/// How a login is approved in a browser.
#[derive(Args, Clone, Default)]
struct BrowserArgs {
    /// Print the URL (and code) instead of opening a browser (SSH, WSL, headless): the device
    /// code, approved on any device, unless --redirect-port asks for the redirect.
    #[arg(long)]
    no_browser: bool,
    /// Log in with the device code (a URL and a code, approved on any device) instead of the
    /// browser's redirect to 127.0.0.1 (chosen by itself over SSH, in a container, or with no
    /// desktop).
    #[arg(long, conflicts_with = "redirect_port")]
    use_device_code: bool,
    /// Have the browser come back to this port of 127.0.0.1 (for a firewall that allows only one,
    /// or an SSH session that forwards it); asks for the redirect even where the device code would
    /// be chosen.
    #[arg(long, value_name = "PORT")]
    redirect_port: Option<u16>,
}

impl BrowserArgs {
    /// `request` with the flow options of these flags.
    fn apply(&self, request: LoginStartRequest) -> LoginStartRequest {
        let use_device_code = match (self.use_device_code, self.redirect_port) {
            (true, _) => Some(true),
            (false, Some(_)) => Some(false),
            (false, None) => None,
        };
        LoginStartRequest { use_device_code, no_browser: self.no_browser, redirect_port: self.redirect_port, ..request }
    }

    fn approver(&self) -> Approver {
        if self.no_browser {
            Approver::PrintOnly
        } else {
            Approver::Browser
        }
    }
}

/// Which discovered accounts and roles to keep.
#[derive(Args, Clone)]
struct FilterArgs {
    /// Keep accounts whose id or name matches (wildcards * and ?; repeatable).
    #[arg(long)]
    include_account: Vec<String>,
    /// Leave out accounts whose id or name matches (repeatable).
    #[arg(long)]
    exclude_account: Vec<String>,
    /// Keep roles whose name matches (repeatable).
    #[arg(long)]
    include_role: Vec<String>,
}

#[derive(Args)]
struct DiscoverArgs {
    #[arg(long, default_value = "Default")]
    environment: String,
    /// The access portal URL (needed when a login is needed).
    #[arg(long)]
    start_url: Option<String>,
    /// The region of IAM Identity Center (needed when a login is needed).
    #[arg(long)]
    region: Option<String>,
    #[command(flatten)]
    filters: FilterArgs,
    #[arg(long)]
    max_concurrency: Option<usize>,
    #[command(flatten)]
    browser: BrowserArgs,
    #[arg(long)]
    non_interactive: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct RefreshArgs {
    #[arg(long, default_value = "Default")]
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
    #[command(flatten)]
    browser: BrowserArgs,
    /// Use and keep the token in memory only, never the AWS CLI cache.
    #[arg(long)]
    no_token_file: bool,
    /// Also refresh every account and role the login can reach (see the filters).
    #[arg(long)]
    all_accounts: bool,
    /// Names of profiles given without one: {AccountName}, {AccountId}, {RoleName}. With
    /// --from-config: {ProfileName}, {AccountId}, {RoleName} (default: the config profile's name).
    #[arg(long)]
    profile_name_template: Option<String>,
    #[command(flatten)]
    filters: FilterArgs,
    /// Refresh the SSO profiles of the AWS config file (AWS_CONFIG_FILE, else ~/.aws/config; as
    /// `aws configure sso` writes them) into credentials profiles of the same names, logging in
    /// once to each sso-session that needs it. The config file is only read.
    #[arg(long, conflicts_with_all = ["accounts", "account_flags", "all_accounts", "start_url", "region", "default_role_name", "no_token_file"])]
    from_config: bool,
    /// With --from-config: only the config profiles matching this pattern (* and ?; repeatable).
    #[arg(long, requires = "from_config")]
    config_profile: Vec<String>,
    /// Print the JSON report instead of a table.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Refresh(args) => refresh(args).await,
            Command::Login(args) => login(args).await,
            Command::Status { environment, credentials_file } => status(environment, credentials_file),
            Command::Logout { environment } => logout(environment).await,
            Command::Discover(args) => discover(args).await,
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
    let request = args.browser.apply(LoginStartRequest {
        environment: args.environment,
        start_url: args.start_url,
        region: args.region,
        force_login: args.force_login,
        no_token_file: args.no_token_file,
        write_sso_session: args.write_sso_session,
        ..Default::default()
    });
    let expires_at = login_flow::login(&engine, request, args.browser.approver()).await?;
    println!("Logged in; the SSO token is valid until {expires_at}");
    Ok(ExitCode::SUCCESS)
}

async fn refresh(args: RefreshArgs) -> Result<ExitCode, Error> {
    let request = refresh_request(&args)?;
    let engine = Engine::new(Env::real());
    let plan = if args.from_config {
        if !args.non_interactive {
            log_in_to_config_sessions(&engine, &request, &args.browser).await?;
        }
        engine.plan_refresh(request)?
    } else {
        let session = Session::of(&args.environment, &args.start_url, &args.region, args.no_token_file, &args.browser);
        match engine.plan_refresh(request.clone()) {
            Err(error) if error.code == ErrorCode::LoginRequired && !args.non_interactive => {
                session.log_in(&engine).await?;
                engine.plan_refresh(request)?
            }
            other => other?,
        }
    };
    let report = engine.run_refresh(plan, Arc::new(Progress::default())).await?;
    output::print_warnings(&report);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).expect("reports serialize"));
    } else {
        output::print_report(&report);
        output::print_notes(&report);
        println!("{}", output::summary(&report));
    }
    Ok(exit_code(&report))
}

fn refresh_request(args: &RefreshArgs) -> Result<RefreshRequest, Error> {
    let mut accounts: Vec<AccountRequest> = match &args.accounts {
        Some(path) => accounts::from_file(path).map_err(Error::invalid_input)?,
        None => Vec::new(),
    };
    for flag in &args.account_flags {
        accounts.push(accounts::from_flag(flag).map_err(Error::invalid_input)?);
    }
    Ok(RefreshRequest {
        environment: args.environment.clone(),
        accounts,
        default_role_name: args.default_role_name.clone(),
        region: args.region.clone(),
        credentials_file: args.credentials_file.clone(),
        force: args.force,
        max_concurrency: args.max_concurrency,
        min_validity_seconds: args.min_validity_seconds,
        dry_run: args.dry_run,
        start_url: args.start_url.clone(),
        no_token_file: args.no_token_file,
        discover: args.all_accounts,
        profile_name_template: args.profile_name_template.clone(),
        include_account: args.filters.include_account.clone(),
        exclude_account: args.filters.exclude_account.clone(),
        include_role: args.filters.include_role.clone(),
        from_config: args.from_config,
        config_profile: args.config_profile.clone(),
    })
}

/// Logs in once to each session of the config file that has profiles to fetch and no token that
/// is valid or renewable. A login that fails is reported, and only that session's profiles then
/// fail.
async fn log_in_to_config_sessions(
    engine: &Engine,
    request: &RefreshRequest,
    browser: &BrowserArgs,
) -> Result<(), Error> {
    let found = engine.config_sessions(request.clone())?;
    for session in found.sessions.iter().filter(|s| s.login_required) {
        let which =
            session.sso_session.as_ref().map_or(session.start_url.clone(), |name| format!("sso-session {name}"));
        eprintln!("Logging in to {which} for profiles {}", session.profiles.join(", "));
        let login = browser.apply(LoginStartRequest {
            environment: session.environment.clone(),
            start_url: session.start_url.clone(),
            region: session.region.clone(),
            ..Default::default()
        });
        if let Err(error) = login_flow::login(engine, login, browser.approver()).await {
            eprintln!("warning: the login to {which} failed, so its profiles fail: {error}");
        }
    }
    Ok(())
}

/// What an interactive login needs, from the command line's flags.
struct Session {
    environment: String,
    start_url: Option<String>,
    region: Option<String>,
    no_token_file: bool,
    browser: BrowserArgs,
}

impl Session {
    fn of(
        environment: &str,
        start_url: &Option<String>,
        region: &Option<String>,
        no_token_file: bool,
        browser: &BrowserArgs,
    ) -> Self {
        Session {
            environment: environment.into(),
            start_url: start_url.clone(),
            region: region.clone(),
            no_token_file,
            browser: browser.clone(),
        }
    }

    async fn log_in(&self, engine: &Engine) -> Result<(), Error> {
        let (Some(start_url), Some(region)) = (self.start_url.clone(), self.region.clone()) else {
            return Err(Error::invalid_input("a login is needed: give --start-url and --region"));
        };
        let login = self.browser.apply(LoginStartRequest {
            environment: self.environment.clone(),
            start_url,
            region,
            no_token_file: self.no_token_file,
            ..Default::default()
        });
        login_flow::login(engine, login, self.browser.approver()).await?;
        Ok(())
    }
}

async fn discover(args: DiscoverArgs) -> Result<ExitCode, Error> {
    let engine = Engine::new(Env::real());
    let request = DiscoverRequest {
        environment: args.environment.clone(),
        start_url: args.start_url.clone(),
        region: args.region.clone(),
        max_concurrency: args.max_concurrency,
        include_account: args.filters.include_account.clone(),
        exclude_account: args.filters.exclude_account.clone(),
        include_role: args.filters.include_role.clone(),
        ..DiscoverRequest::default()
    };
    let result = match engine.discover(request.clone()).await {
        Err(error) if error.code == ErrorCode::LoginRequired && !args.non_interactive => {
            Session::of(&args.environment, &args.start_url, &args.region, false, &args.browser).log_in(&engine).await?;
            engine.discover(request).await?
        }
        other => other?,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result).expect("results serialize"));
        return Ok(ExitCode::SUCCESS);
    }
    println!("{:<12}  {:<32}  {:<36}  ROLES", "ACCOUNT", "NAME", "EMAIL");
    for account in &result.accounts {
        let roles = match &account.error {
            Some(error) => format!("(roles not listed: {error})"),
            None => account.roles.join(", "),
        };
        let email = account.email_address.as_deref().unwrap_or("-");
        println!("{:<12}  {:<32}  {:<36}  {roles}", account.account_id, account.account_name, email);
    }
    let roles: usize = result.accounts.iter().map(|a| a.roles.len()).sum();
    println!("{} accounts, {roles} account roles", result.accounts.len());
    Ok(ExitCode::SUCCESS)
}

fn exit_code(report: &RefreshReport) -> ExitCode {
    if report.count(ProfileStatus::Failed) > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn status(environment: String, credentials_file: Option<String>) -> Result<ExitCode, Error> {
    let engine = Engine::new(Env::real());
    let session = engine.session_status(EnvironmentRequest { environment, no_token_file: false })?;
    match (&session.expires_at, session.status) {
        (Some(expires_at), SessionState::LoggedIn) => println!(
            "SSO session '{}': logged in until {expires_at}{}",
            session.environment,
            if session.refreshable { ", renewable without a browser" } else { "" }
        ),
        (Some(expires_at), _) if session.refreshable => {
            println!(
                "SSO session '{}': token expired at {expires_at}, renewable without a browser",
                session.environment
            )
        }
        (Some(expires_at), _) => println!("SSO session '{}': ended at {expires_at}; log in again", session.environment),
        (None, _) => println!("SSO session '{}': not logged in", session.environment),
    }
    let env = Env::real();
    let path = ssocreds_engine::files::credentials::resolve_path(credentials_file.as_deref(), &env)?;
    let stored = ssocreds_engine::files::credentials::read_stored(&path)?;
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

async fn logout(environment: String) -> Result<ExitCode, Error> {
    let engine = Engine::new(Env::real());
    let result = engine.logout(EnvironmentRequest { environment, no_token_file: false }).await?;
    let said = if result.logged_out {
        "Signed out; the cached SSO token is removed."
    } else {
        "There was no SSO session to sign out of."
    };
    println!("{said}");
    Ok(ExitCode::SUCCESS)
}
