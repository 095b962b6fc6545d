//! `credentialProcess`: instead of keys in the credentials file, each planned profile gets
//! `credential_process = "<ssocreds-cli>" credential-process ...` in the AWS config file, and its
//! old keys leave the credentials file, where botocore would look first
//! (`shared-credentials-file` comes before `custom-process` in its provider chain).
//!
//! A profile of the request runs `credential-process --environment E [--start-url U] [--region R]
//! --account-id A --role-name R`; a profile of `fromConfig` runs `credential-process --profile
//! <config profile>`, which reads the profile's sso-session, account and role when it runs, so that
//! a later `aws configure sso` change is followed. (With the default names that is the profile's own
//! section, beside its `sso_*` keys: botocore's SSO provider comes first in its chain and reads the
//! same token, and a tool without SSO support runs the command: both get the same role.)
//!
//! Nothing is fetched: `GetRoleCredentials` would mint keys only to throw them away, one call per
//! profile, and `credential-process` names a refused account and role when it runs. The session's
//! token is still required (a login when needed), so that every profile written works at once.

use std::path::{Path, PathBuf};

use super::report::profile_report;
use super::Job;
use crate::api::{ProfileReport, ProfileStatus, RefreshRequest};
use crate::concurrency::blocking;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::files::credentials::{self, StoredProfile};
use crate::files::{config, ini::SectionUpdate};
use crate::token::SsoToken;
use crate::validate::printable;

/// The key of the AWS config file the SDKs run.
pub const KEY_CREDENTIAL_PROCESS: &str = "credential_process";
/// The subcommand of `ssocreds-cli` that prints one role's keys.
const SUBCOMMAND: &str = "credential-process";

/// What every `credential_process` line of a run starts with, and the session's settings.
#[derive(Debug, Clone)]
pub(crate) struct ProcessCommand {
    /// The absolute path of `ssocreds-cli`, as given.
    command: String,
    environment: String,
    start_url: Option<String>,
    region: Option<String>,
}

/// The request's `credentialProcess` settings, checked; `None` when it writes keys.
pub(super) fn checked(request: &RefreshRequest) -> Result<Option<ProcessCommand>> {
    let command =
        match (request.credential_process, &request.credential_process_command) {
            (false, None) => return Ok(None),
            (false, Some(_)) => {
                return Err(Error::invalid_input("credentialProcessCommand is given without credentialProcess"));
            }
            (true, None) => return Err(Error::invalid_input(
                "credentialProcess needs credentialProcessCommand, the absolute path of the ssocreds-cli the SDKs are \
                 to run",
            )),
            (true, Some(command)) => command,
        };
    if !Path::new(command).is_absolute() || command.contains(['"', '\r', '\n']) {
        return Err(Error::invalid_input(format!(
            "credentialProcessCommand '{}' must be an absolute path without double quotes or line breaks",
            printable(command)
        )));
    }
    if request.no_token_file {
        return Err(Error::invalid_input(
            "noTokenFile cannot be used with credentialProcess: the command runs in another process, which reads \
             the token from the AWS CLI cache",
        ));
    }
    Ok(Some(ProcessCommand {
        command: command.clone(),
        environment: request.environment.clone(),
        start_url: request.start_url.clone(),
        region: request.region.clone(),
    }))
}

/// Writes each job's `credential_process` line into the AWS config file, then removes the keys of
/// those profiles from the credentials file; both locked and atomic. Each job is reported
/// `refreshed`, with no expiry (the keys are fetched when the SDKs run the command); returned with
/// the config file written.
pub(super) async fn write(
    context: &Context,
    process: &ProcessCommand,
    jobs: &[Job],
    token: Option<&SsoToken>,
    credentials_path: &Path,
    stored: &std::collections::HashMap<String, StoredProfile>,
) -> Result<(Vec<ProfileReport>, PathBuf)> {
    let config_path = config::resolve_path(&context.env)?;
    ensure_executable(Path::new(&process.command))?;
    let mut config_updates = Vec::with_capacity(jobs.len());
    for job in jobs {
        config_updates.push(SectionUpdate {
            section: config_section(&job.profile)?,
            set: vec![(KEY_CREDENTIAL_PROCESS, process.line(job, token))],
            remove: Vec::new(),
            drop_when_emptied: false,
        });
    }
    // Only profiles the credentials file holds: no empty section is added for the others.
    let key_removals: Vec<SectionUpdate> = jobs
        .iter()
        .filter(|job| stored.contains_key(&job.profile))
        .map(|job| SectionUpdate {
            section: job.profile.clone(),
            set: Vec::new(),
            remove: credentials::OUR_KEYS.to_vec(),
            drop_when_emptied: true,
        })
        .collect();
    let (config_target, credentials_target) = (config_path.clone(), credentials_path.to_path_buf());
    blocking("writing credential_process into the AWS config file", move || {
        config::merge_sections(&config_target, &config_updates)?;
        crate::files::merge_ini(&credentials_target, &key_removals)
    })
    .await?;
    let reports = jobs.iter().map(|job| profile_report(job, ProfileStatus::Refreshed, None, None)).collect();
    Ok((reports, config_path))
}

/// Makes the command executable where it exists and is not: a module installed from the PowerShell
/// Gallery comes out of a zip file, which keeps no Unix mode, and the SDKs could not run it. Each
/// reader may execute it (`r` gives `x`); a file that cannot be changed is an error naming the fix.
/// A missing file is left to the front end, which names the command it sends.
fn ensure_executable(command: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::metadata(command) else { return Ok(()) };
        let mode = meta.permissions().mode();
        let wanted = mode | ((mode & 0o444) >> 2);
        if meta.is_file() && mode & 0o111 == 0 {
            std::fs::set_permissions(command, std::fs::Permissions::from_mode(wanted)).map_err(|e| {
                let shown = command.display();
                let text = format!(
                    "{shown} must be executable for the AWS CLI and the SDKs to run it, and could not be made so \
                     ({e}): run `chmod +x '{shown}'`"
                );
                Error::new(crate::error::ErrorCode::Io, text)
            })?;
        }
    }
    #[cfg(not(unix))]
    let _ = command;
    Ok(())
}

/// The section of a profile in the AWS config file: `[default]`, `[profile NAME]`, or with white
/// space `[profile "NAME"]` (botocore splits the header like a shell, as `aws configure sso` quotes
/// it). Names with quotes or backslashes are refused: no header reads back as them everywhere.
fn config_section(profile: &str) -> Result<String> {
    if profile.contains(['"', '\'', '\\']) {
        return Err(Error::invalid_input(format!(
            "profile '{}' cannot be written with credentialProcess: a [profile ...] header of the AWS config file \
             cannot hold quotes or backslashes; choose another profile name",
            printable(profile)
        )));
    }
    Ok(match profile {
        "default" => "default".to_string(),
        _ if profile.contains(char::is_whitespace) => format!("profile \"{profile}\""),
        _ => format!("profile {profile}"),
    })
}

impl ProcessCommand {
    /// The command line of one profile: the quoted path, then the subcommand and its flags.
    fn line(&self, job: &Job, token: Option<&SsoToken>) -> String {
        let mut args: Vec<(&str, String)> = Vec::new();
        match &job.from_config {
            Some(origin) => args.push(("--profile", origin.profile.clone())),
            None => {
                args.push(("--environment", self.environment.clone()));
                let start_url = self.start_url.clone().or_else(|| token.map(|t| t.start_url.clone()));
                let region = self.region.clone().or_else(|| token.map(|t| t.region.clone()));
                args.extend(start_url.map(|u| ("--start-url", u)));
                args.extend(region.map(|r| ("--region", r)));
                args.push(("--account-id", job.account_id.clone()));
                args.push(("--role-name", job.role_name.clone()));
            }
        }
        let mut line = format!("\"{}\" {SUBCOMMAND}", self.command);
        for (flag, value) in args {
            line.push_str(&format!(" {flag} {}", quoted(&value)));
        }
        line
    }
}

/// What a `credential_process` line this tool wrote runs: one role of an environment, or an SSO
/// profile of the config file.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum WrittenCommand {
    Role {
        environment: String,
        start_url: Option<String>,
        region: Option<String>,
        account_id: String,
        role_name: String,
    },
    Profile(String),
}

/// What `profile`'s `credential_process` in the AWS config file (`config_text`) runs, when it is
/// the line `credentialProcess` writes; `None` for any other profile, or another tool's command.
pub(crate) fn written_command(config_text: &str, profile: &str) -> Option<WrittenCommand> {
    let section = config_section(profile).ok()?;
    let sections = crate::files::ini::parse(config_text);
    parse_line(sections.get(&section)?.get(KEY_CREDENTIAL_PROCESS)?)
}

/// The inverse of [`ProcessCommand::line`]: the program must be an `ssocreds-cli` and its
/// subcommand `credential-process`.
fn parse_line(line: &str) -> Option<WrittenCommand> {
    let words = crate::browser::split_words(line);
    let (program, rest) = words.split_first()?;
    let ours = program.ends_with("ssocreds-cli") || program.ends_with("ssocreds-cli.exe");
    let (subcommand, flags) = rest.split_first()?;
    if !ours || subcommand != SUBCOMMAND || flags.len() % 2 != 0 {
        return None;
    }
    let value = |flag: &str| flags.chunks(2).find(|pair| pair[0] == flag).map(|pair| pair[1].clone());
    if let Some(profile) = value("--profile") {
        return Some(WrittenCommand::Profile(profile));
    }
    Some(WrittenCommand::Role {
        environment: value("--environment").unwrap_or_else(|| "Default".to_string()),
        start_url: value("--start-url"),
        region: value("--region"),
        account_id: value("--account-id")?,
        role_name: value("--role-name")?,
    })
}

/// `value` as one argument for botocore's split of the command (`shlex.split` on Unix, its own
/// split on Windows): as it is when plain, else in double quotes. Values never hold a double quote
/// or a backslash (environment and profile names, start URLs, regions, ids and role names are
/// checked before), so both splits read the quotes alike.
fn quoted(value: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_.,:/@+=".contains(c);
    match !value.is_empty() && value.chars().all(plain) {
        true => value.to_string(),
        false => format!("\"{value}\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refresh::ConfigOrigin;

    fn job(profile: &str, from_config: Option<&str>) -> Job {
        Job {
            index: 0,
            profile: profile.into(),
            account_id: "111111111111".into(),
            role_name: "ReadOnly".into(),
            session: 0,
            from_config: from_config.map(|p| ConfigOrigin { profile: p.into(), environment: None }),
        }
    }

    fn command(path: &str) -> ProcessCommand {
        ProcessCommand {
            command: path.into(),
            environment: "My Corp".into(),
            start_url: Some("https://d-1234567890.awsapps.com/start".into()),
            region: Some("eu-west-1".into()),
        }
    }

    #[test]
    fn the_line_quotes_the_path_and_any_argument_that_needs_it() {
        let line = command("C:\\Program Files\\ssocreds\\ssocreds-cli.exe").line(&job("dev", None), None);
        assert_eq!(
            line,
            "\"C:\\Program Files\\ssocreds\\ssocreds-cli.exe\" credential-process --environment \"My Corp\" \
             --start-url https://d-1234567890.awsapps.com/start --region eu-west-1 --account-id 111111111111 \
             --role-name ReadOnly"
        );
        let from_config = command("/opt/ssocreds-cli").line(&job("tf-dev", Some("dev")), None);
        assert_eq!(from_config, "\"/opt/ssocreds-cli\" credential-process --profile dev");
    }

    #[test]
    fn requests_without_a_usable_command_are_refused_naming_the_field() {
        let request = |command: Option<&str>, no_token_file| RefreshRequest {
            environment: "E".into(),
            credential_process: true,
            credential_process_command: command.map(str::to_string),
            no_token_file,
            ..RefreshRequest::default()
        };
        for (bad, says) in [
            (request(None, false), "needs credentialProcessCommand"),
            (request(Some("ssocreds-cli"), false), "must be an absolute path"),
            (request(Some("/a\"b/ssocreds-cli"), false), "must be an absolute path"),
            (request(Some("/opt/ssocreds-cli"), true), "noTokenFile cannot be used"),
        ] {
            assert!(checked(&bad).unwrap_err().message.contains(says), "{says}");
        }
        assert!(checked(&request(Some("/opt/ssocreds-cli"), false)).unwrap().is_some());
        assert!(checked(&RefreshRequest::default()).unwrap().is_none());
    }

    #[cfg(unix)]
    #[test]
    fn a_command_that_lost_its_execute_bits_in_a_zip_gets_them_back_for_each_reader() {
        use std::os::unix::fs::PermissionsExt;
        let folder = tempfile::tempdir().unwrap();
        let cli = folder.path().join("ssocreds-cli");
        std::fs::write(&cli, b"#!/bin/sh\n").unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        for (before, after) in [(0o644, 0o755), (0o600, 0o700), (0o750, 0o750)] {
            std::fs::set_permissions(&cli, std::fs::Permissions::from_mode(before)).unwrap();
            ensure_executable(&cli).unwrap();
            assert_eq!(mode(&cli), after, "{before:o}");
        }
        assert!(ensure_executable(&folder.path().join("absent")).is_ok(), "a missing file is the front end's to name");
    }

    #[test]
    fn the_lines_written_read_back_as_the_role_or_the_profile_they_run() {
        let role = command("/opt/ssocreds tools/ssocreds-cli").line(&job("dev", None), None);
        let config = format!(
            "[profile dev]\ncredential_process = {role}\n\n[profile tf]\ncredential_process = \
                              \"C:\\Program Files\\m\\ssocreds-cli.exe\" credential-process --profile dev\n\n\
                              [profile other]\ncredential_process = aws-vault export --format=json dev\n"
        );
        assert_eq!(
            written_command(&config, "dev"),
            Some(WrittenCommand::Role {
                environment: "My Corp".into(),
                start_url: Some("https://d-1234567890.awsapps.com/start".into()),
                region: Some("eu-west-1".into()),
                account_id: "111111111111".into(),
                role_name: "ReadOnly".into(),
            })
        );
        assert_eq!(written_command(&config, "tf"), Some(WrittenCommand::Profile("dev".into())));
        assert_eq!(written_command(&config, "other"), None, "another tool's command");
        assert_eq!(written_command(&config, "absent"), None);
    }

    #[test]
    fn profile_sections_of_the_config_file() {
        assert_eq!(config_section("default").unwrap(), "default");
        assert_eq!(config_section("dev.ReadOnly").unwrap(), "profile dev.ReadOnly");
        assert_eq!(config_section("team lab").unwrap(), "profile \"team lab\"");
        assert!(config_section("it's").unwrap_err().message.contains("profile 'it\\'s'"));
    }
}
