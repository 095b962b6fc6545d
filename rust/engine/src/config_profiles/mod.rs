//! The SSO profiles of the AWS config file (`aws configure sso`), for `fromConfig`: which ones the
//! request selects, the token each one uses, and the profiles left alone with the reason. Only
//! reads the file; it is never written.
//!
//! Tokens are found as the AWS CLI keys them in its cache: a profile with `sso_session = corp` uses
//! the token of the session named `corp`, a profile without one (the legacy configuration) the token
//! of its `sso_start_url`, exactly as written. That key is the engine's `environment`.

mod classify;

use std::path::PathBuf;

use classify::{classify, Kind};

use crate::api::Skipped;
use crate::env::HostEnv;
use crate::error::{Error, Result};
use crate::files::config;
use crate::patterns::{check_patterns, glob_match};
use crate::validate::printable;

/// One login (one token) the selected profiles use: an `[sso-session]`, or a start URL without
/// one. Not `ssocreds`' in-process state (`crate::state`), nor a token the run plans to use
/// (`refresh::plan::PlannedToken`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ConfigLogin {
    /// The key of its token: the sso-session's name, else the start URL.
    pub environment: String,
    pub sso_session: Option<String>,
    pub start_url: String,
    pub region: String,
}

impl ConfigLogin {
    /// The login as people know it, for messages.
    pub(crate) fn describe(&self) -> String {
        match &self.sso_session {
            Some(name) => format!("sso-session '{name}'"),
            None => format!("start URL {}, no sso-session", self.start_url),
        }
    }

    /// How to log in to it for `profile`: this tool, or the AWS CLI, which keeps the token where
    /// this tool reads it.
    pub(crate) fn how_to_log_in(&self, profile: &str) -> String {
        let aws = match &self.sso_session {
            Some(name) => format!("aws sso login --sso-session {name}"),
            None => format!("aws sso login --profile {profile}"),
        };
        format!(
            "log in by running Set-AwsCliSsoCredentials -FromConfig (or ssocreds-cli refresh --from-config) \
             interactively, or `{aws}`"
        )
    }
}

/// A selected profile that the AWS CLI would use SSO for.
#[derive(Debug)]
pub(crate) struct ConfigProfile {
    pub name: String,
    /// As written; empty when missing.
    pub account_id: String,
    pub role_name: String,
    /// The index of its session in [`Selection::sessions`], or why the profile cannot work.
    pub session: Result<usize, Error>,
}

/// What a `fromConfig` request selects from the config file.
#[derive(Debug)]
pub(crate) struct Selection {
    pub config_file: PathBuf,
    /// In the order of their first profile.
    pub sessions: Vec<ConfigLogin>,
    /// In the order of the file.
    pub profiles: Vec<ConfigProfile>,
    pub skipped: Vec<Skipped>,
}

/// The SSO profiles of the config file (`AWS_CONFIG_FILE`, else `~/.aws/config`) that match one of
/// `patterns` (every one when there is none). A pattern that matches no SSO profile is refused, as
/// is a file with no SSO profile at all.
pub(crate) fn select(env: &HostEnv, patterns: &[String]) -> Result<Selection> {
    check_patterns("configProfile", patterns)?;
    let config_file = config::resolve_path(env)?;
    let map = config::read_profile_map(&config_file)?;
    let mut selection = Selection { config_file, sessions: Vec::new(), profiles: Vec::new(), skipped: Vec::new() };
    let mut matched_sso = vec![false; patterns.len()];
    for (name, keys) in &map.profiles {
        let hits: Vec<usize> = (0..patterns.len()).filter(|&i| glob_match(&patterns[i], name)).collect();
        if !patterns.is_empty() && hits.is_empty() {
            continue;
        }
        match classify(keys, &map.sso_sessions) {
            Kind::NotSso(reason) => selection.skipped.push(Skipped { profile: name.clone(), reason }),
            Kind::Sso { account_id, role_name, session } => {
                hits.iter().for_each(|&i| matched_sso[i] = true);
                let session = session.and_then(|s| selection.session_index(s)).map_err(|why| {
                    Error::invalid_input(why)
                        .context(format!("profile '{name}' in {}", selection.config_file.display()))
                });
                selection.profiles.push(ConfigProfile { name: name.clone(), account_id, role_name, session });
            }
        }
    }
    if patterns.is_empty() {
        selection.skipped.extend(map.not_profiles.into_iter().map(|section| {
            Skipped {
                profile: format!("[{section}]"),
                reason: "the AWS CLI reads no profile from this section; a name with spaces needs quotes: \
                     [profile \"a b\"]"
                    .to_string(),
            }
        }));
    }
    if let Some(unmatched) = patterns.iter().zip(&matched_sso).find(|(_, matched)| !**matched) {
        return Err(selection.matches_nothing(unmatched.0));
    }
    if selection.profiles.is_empty() {
        return Err(Error::invalid_input(format!(
            "{} has no SSO profile (a [profile] with sso_account_id and sso_role_name, as `aws configure sso` \
             writes)",
            selection.config_file.display()
        )));
    }
    Ok(selection)
}

impl Selection {
    /// The index of `session`, added when new. Two sessions with one key would share one token
    /// cache file (a start URL given with two regions): the later profile is refused.
    fn session_index(&mut self, session: ConfigLogin) -> Result<usize, String> {
        let Some(index) = self.sessions.iter().position(|s| s.environment == session.environment) else {
            self.sessions.push(session);
            return Ok(self.sessions.len() - 1);
        };
        let known = &self.sessions[index];
        if *known == session {
            return Ok(index);
        }
        let other = self.profiles.iter().find(|p| p.session.as_ref().is_ok_and(|&i| i == index));
        Err(format!(
            "its token would be kept under '{}' like that of profile '{}', which uses {} in {}, not {} in {}; \
             the AWS CLI would mix them up too: give one of them an sso-session",
            session.environment,
            other.map_or("?", |p| p.name.as_str()),
            known.start_url,
            known.region,
            session.start_url,
            session.region
        ))
    }

    fn matches_nothing(&self, pattern: &str) -> Error {
        let not_sso = self.skipped.iter().find(|s| glob_match(pattern, &s.profile));
        let which = not_sso.map_or(String::new(), |s| format!(" ('{}' is skipped: {})", s.profile, s.reason));
        Error::invalid_input(format!(
            "configProfile '{}' matches no SSO profile in {}{which}",
            printable(pattern),
            self.config_file.display()
        ))
    }
}
