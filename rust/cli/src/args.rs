//! The command line's arguments: one group of flags for the session, one for the login, shared by
//! every command that uses them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ssocreds-cli",
    version,
    about = "Fresh AWS credentials for many accounts from one IAM Identity Center login"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Also show the run's verbose lines (why a flow was chosen, a reused token) on stderr.
    #[arg(long, global = true)]
    pub verbose: bool,
}

#[derive(Subcommand)]
pub enum Command {
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
    /// Print one role's keys from the shared SSO token as the JSON of `credential_process`
    /// (~/.aws/config), for the AWS CLI and the SDKs; nothing is written. Never logs in without
    /// --login: without a usable token it fails at once, saying how to log in.
    CredentialProcess(CredentialProcessArgs),
    /// Start the bundled fake IAM Identity Center, log in through it and refresh profiles into a
    /// throwaway credentials file, printing what happens.
    Demo {
        /// How many profiles to refresh.
        #[arg(long, default_value_t = 36)]
        profiles: usize,
    },
}

/// Which IAM Identity Center, and where a login goes: the same flags in every command.
#[derive(Args)]
pub struct SessionArgs {
    /// A short name that keeps several IAM Identity Center instances apart.
    #[arg(long, default_value = "Default")]
    pub environment: String,
    /// The access portal URL, e.g. https://d-1234567890.awsapps.com/start (needed for a login).
    #[arg(long)]
    pub start_url: Option<String>,
    /// The region of IAM Identity Center, e.g. us-east-1 (needed for a login).
    #[arg(long)]
    pub region: Option<String>,
    /// Keep the token in memory only (it ends with this process), never the AWS CLI cache.
    #[arg(long)]
    pub no_token_file: bool,
}

/// How a login is approved in a browser, and whether one may be started at all.
#[derive(Args)]
pub struct LoginFlowArgs {
    /// Print the URL (and code) instead of opening a browser (SSH, WSL, headless): the device
    /// code, approved on any device, unless --redirect-port asks for the redirect.
    #[arg(long)]
    pub no_browser: bool,
    /// Log in with the device code (a URL and a code, approved on any device) instead of the
    /// browser's redirect to 127.0.0.1 (chosen by itself over SSH, in a container, or with no desktop).
    #[arg(long, conflicts_with = "redirect_port")]
    pub use_device_code: bool,
    /// Have the browser come back to this port of 127.0.0.1 (a firewall that allows only one, or an
    /// SSH session that forwards it); asks for the redirect even where the device code would be chosen.
    #[arg(long, value_name = "PORT")]
    pub redirect_port: Option<u16>,
    /// Never start a login: fail with LoginRequired instead (for schedulers and shell profiles).
    #[arg(long)]
    pub non_interactive: bool,
}

#[derive(Args)]
pub struct LoginArgs {
    #[command(flatten)]
    pub session: SessionArgs,
    #[command(flatten)]
    pub flow: LoginFlowArgs,
    /// Start a new login even if a valid token is cached.
    #[arg(long)]
    pub force_login: bool,
    /// Also write [sso-session ENVIRONMENT] into ~/.aws/config (AWS_CONFIG_FILE) for `aws` CLI v2.
    #[arg(long)]
    pub write_sso_session: bool,
}

/// Which discovered accounts and roles to keep, how many requests at once, and how to print.
#[derive(Args)]
pub struct FilterArgs {
    /// Keep accounts whose id or name matches (wildcards * and ?; repeatable).
    #[arg(long)]
    pub include_account: Vec<String>,
    /// Leave out accounts whose id or name matches (repeatable).
    #[arg(long)]
    pub exclude_account: Vec<String>,
    /// Keep roles whose name matches (repeatable).
    #[arg(long)]
    pub include_role: Vec<String>,
    #[arg(long)]
    pub max_concurrency: Option<usize>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct DiscoverArgs {
    #[command(flatten)]
    pub session: SessionArgs,
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub flow: LoginFlowArgs,
}

#[derive(Args)]
pub struct RefreshArgs {
    #[command(flatten)]
    pub session: SessionArgs,
    /// The role for accounts that name none.
    #[arg(long)]
    pub default_role_name: Option<String>,
    /// Accounts from a JSON ([{profile, accountId, roleName}]) or CSV (Profile,AccountId,RoleName) file.
    #[arg(long)]
    pub accounts: Option<PathBuf>,
    /// One account: PROFILE=ACCOUNT_ID[:ROLE]. Repeatable.
    #[arg(long = "account")]
    pub account_flags: Vec<String>,
    #[arg(long)]
    pub credentials_file: Option<String>,
    /// Fetch even profiles whose credentials are still valid.
    #[arg(long)]
    pub force: bool,
    /// Profiles valid for longer than this are left alone (default 300).
    #[arg(long)]
    pub min_validity_seconds: Option<u64>,
    /// Report what would be refreshed; fetch and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub flow: LoginFlowArgs,
    /// Also refresh every account and role the login can reach (see the filters).
    #[arg(long)]
    pub all_accounts: bool,
    /// Names of profiles given without one: {AccountName}, {AccountId}, {RoleName}. With
    /// --from-config: {ProfileName}, {AccountId}, {RoleName} (default: the config profile's name).
    #[arg(long)]
    pub profile_name_template: Option<String>,
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Refresh the SSO profiles of the AWS config file (AWS_CONFIG_FILE, else ~/.aws/config; as
    /// `aws configure sso` writes them) into credentials profiles of the same names, logging in
    /// once to each sso-session that needs it. The config file is only read.
    #[arg(long, conflicts_with_all = ["accounts", "account_flags", "all_accounts", "start_url", "region", "default_role_name", "no_token_file"])]
    pub from_config: bool,
    /// With --from-config: only the config profiles matching this pattern (* and ?; repeatable).
    #[arg(long, requires = "from_config")]
    pub config_profile: Vec<String>,
    /// Write no keys: each profile gets `credential_process = "<this ssocreds-cli>" credential-process
    /// ...` in ~/.aws/config (AWS_CONFIG_FILE), so the AWS CLI and the SDKs fetch its keys when they
    /// need them, and its old keys leave the credentials file.
    #[arg(long, conflicts_with = "no_token_file")]
    pub credential_process: bool,
}

/// The role of `credential-process`: a session with an account and a role, or an SSO profile.
#[derive(Args)]
pub struct CredentialProcessArgs {
    /// --environment, and --start-url (only a token for it is used) and --region (for a login).
    #[command(flatten)]
    pub session: SessionArgs,
    /// The account whose role's keys to print.
    #[arg(long, required_unless_present = "profile", conflicts_with = "profile")]
    pub account_id: Option<String>,
    /// The role (permission set) whose keys to print.
    #[arg(long, required_unless_present = "profile", conflicts_with = "profile")]
    pub role_name: Option<String>,
    /// An SSO profile of the AWS config file (`aws configure sso`): its sso-session, account and role.
    #[arg(long, conflicts_with_all = ["start_url", "region", "no_token_file"])]
    pub profile: Option<String>,
    /// Log in when no usable token is there (the browser, or the code on stderr); without it, fail.
    #[arg(long)]
    pub login: bool,
}
