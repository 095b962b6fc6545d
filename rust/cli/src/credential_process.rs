//! `ssocreds-cli credential-process`: one role's keys from the shared SSO token, printed as the
//! JSON the SDKs' `credential_process` reads, and nothing else on standard output. The library's
//! `credentials` run decides everything (the token, its renewal, the one call, every message); this
//! maps the flags and prints. Errors go to standard error, with exit code 2.

use std::process::ExitCode;

use serde::Serialize;
use ssocreds_engine::api::{CredentialsTarget, RefreshRequest, RoleCredentials};
use ssocreds_engine::run::{FrontEnd, RunOperation, RunReport, RunRequest};
use ssocreds_engine::{Engine, Error, HostEnv};

use crate::args::CredentialProcessArgs;
use crate::drive::Driver;

/// What `credential_process` must print: the SDKs read exactly these fields, `Version` 1.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ProcessOutput<'a> {
    version: u8,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: &'a str,
    expiration: &'a str,
}

pub async fn run(args: CredentialProcessArgs, driver: Driver) -> Result<ExitCode, Error> {
    let finished = driver.drive(&Engine::new(HostEnv::real()), request(args)).await;
    match &finished.report {
        Some(RunReport::Credentials(keys)) if finished.error.is_none() => {
            println!("{}", output(keys)?);
            Ok(ExitCode::SUCCESS)
        }
        _ => {
            finished.print_errors();
            Ok(ExitCode::from(2))
        }
    }
}

fn request(args: CredentialProcessArgs) -> RunRequest {
    let (request, credentials) = match args.profile {
        Some(profile) => {
            (RefreshRequest::default(), CredentialsTarget { config_profile: Some(profile), ..Default::default() })
        }
        None => (
            RefreshRequest {
                environment: args.session.environment,
                start_url: args.session.start_url,
                region: args.session.region,
                no_token_file: args.session.no_token_file,
                ..RefreshRequest::default()
            },
            CredentialsTarget { account_id: args.account_id, role_name: args.role_name, config_profile: None },
        ),
    };
    RunRequest {
        operation: RunOperation::Credentials,
        request,
        login: Default::default(),
        interactive: args.login,
        non_interactive_reason: None,
        host: None,
        confirm: false,
        what_if: false,
        front_end: FrontEnd::Cli,
        credentials,
    }
}

fn output(keys: &RoleCredentials) -> Result<String, Error> {
    let printed = ProcessOutput {
        version: 1,
        access_key_id: &keys.access_key_id,
        secret_access_key: keys.secret_access_key.expose(),
        session_token: keys.session_token.expose(),
        expiration: &keys.expiration,
    };
    serde_json::to_string(&printed).map_err(|e| Error::invalid_input(format!("the credentials as JSON: {e}")))
}
