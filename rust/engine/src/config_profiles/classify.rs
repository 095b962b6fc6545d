//! What one profile of the AWS config file is to botocore: an SSO profile (`sso_account_id` or
//! `sso_role_name`, and no `role_arn`, which the AWS CLI's assume-role providers take first), with
//! the token it uses, or something else. An SSO profile whose configuration cannot work says which
//! key is at fault, as botocore refuses it.

use std::collections::HashMap;

use super::ConfigLogin;
use crate::files::profile_map::Keys;
use crate::validate;

const SSO_SESSION: &str = "sso_session";
const SSO_START_URL: &str = "sso_start_url";
const SSO_REGION: &str = "sso_region";
const SSO_ACCOUNT_ID: &str = "sso_account_id";
const SSO_ROLE_NAME: &str = "sso_role_name";
const ROLE_ARN: &str = "role_arn";
const WEB_IDENTITY_TOKEN_FILE: &str = "web_identity_token_file";
const CREDENTIAL_PROCESS: &str = "credential_process";
const ACCESS_KEY_ID: &str = "aws_access_key_id";

/// A profile as `fromConfig` sees it.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// Not for this tool, and why.
    NotSso(String),
    /// botocore would fetch role credentials through SSO for it. The account and role are as
    /// written (empty when missing); `session` is its token's session, or what is wrong.
    Sso { account_id: String, role_name: String, session: Result<ConfigLogin, String> },
}

pub(super) fn classify(keys: &Keys, sso_sessions: &HashMap<String, Keys>) -> Kind {
    if let Some(reason) = not_sso(keys) {
        return Kind::NotSso(reason);
    }
    let value = |key: &str| keys.get(key).cloned().unwrap_or_default();
    Kind::Sso {
        account_id: value(SSO_ACCOUNT_ID),
        role_name: value(SSO_ROLE_NAME),
        session: checked_session(keys, sso_sessions),
    }
}

/// Why the AWS CLI would not use SSO for this profile, if it would not.
fn not_sso(keys: &Keys) -> Option<String> {
    if keys.contains_key(ROLE_ARN) {
        let from = if keys.contains_key(WEB_IDENTITY_TOKEN_FILE) {
            "with a web identity token"
        } else {
            "from source_profile or credential_source"
        };
        return Some(format!("assumes the role in role_arn ({from}): the AWS CLI does not use SSO for it"));
    }
    if keys.contains_key(SSO_ACCOUNT_ID) || keys.contains_key(SSO_ROLE_NAME) {
        return None;
    }
    let token_only = |key: &str| {
        format!("has {key} but no sso_account_id or sso_role_name: it gives an SSO token, not role credentials")
    };
    Some(if keys.contains_key(SSO_SESSION) {
        token_only(SSO_SESSION)
    } else if keys.contains_key(SSO_START_URL) {
        token_only(SSO_START_URL)
    } else if keys.contains_key(CREDENTIAL_PROCESS) {
        "not an SSO profile (it uses credential_process)".to_string()
    } else if keys.contains_key(ACCESS_KEY_ID) {
        "not an SSO profile (it holds static keys)".to_string()
    } else {
        "not an SSO profile (no sso_account_id or sso_role_name)".to_string()
    })
}

/// The profile's token session with every value checked, or what is wrong, naming the key.
fn checked_session(keys: &Keys, sso_sessions: &HashMap<String, Keys>) -> Result<ConfigLogin, String> {
    let session = match keys.get(SSO_SESSION) {
        Some(name) => named_session(name, keys, sso_sessions)?,
        None => legacy_session(keys)?,
    };
    let missing: Vec<&str> = [SSO_ACCOUNT_ID, SSO_ROLE_NAME].into_iter().filter(|k| !keys.contains_key(*k)).collect();
    if !missing.is_empty() {
        return Err(format!("is missing {}", missing.join(" and ")));
    }
    let check = |result: crate::error::Result<()>| result.map_err(|e| e.message);
    check(validate::account_id(&keys[SSO_ACCOUNT_ID], SSO_ACCOUNT_ID))?;
    check(validate::role_name(&keys[SSO_ROLE_NAME], SSO_ROLE_NAME))?;
    let (start_url_field, region_field) = match &session.sso_session {
        Some(name) => (format!("[sso-session {name}] sso_start_url"), format!("[sso-session {name}] sso_region")),
        None => (SSO_START_URL.to_string(), SSO_REGION.to_string()),
    };
    check(validate::start_url(&session.start_url, &start_url_field))?;
    check(validate::region(&session.region, &region_field))?;
    let name_field = if session.sso_session.is_some() { SSO_SESSION } else { SSO_START_URL };
    check(validate::profile_name(&session.environment, name_field))?;
    Ok(session)
}

/// The `[sso-session]` the profile names. botocore refuses a profile that gives a key of its
/// session another value, and the token provider a session without a start URL or region.
fn named_session(name: &str, keys: &Keys, sso_sessions: &HashMap<String, Keys>) -> Result<ConfigLogin, String> {
    let Some(session) = sso_sessions.get(name) else {
        return Err(format!("sso_session '{name}' names no [sso-session {name}] section"));
    };
    let mut conflicts: Vec<(&String, &String, &String)> = session
        .iter()
        .filter_map(|(key, value)| keys.get(key).filter(|own| *own != value).map(|own| (key, own, value)))
        .collect();
    conflicts.sort();
    if let Some((key, own, value)) = conflicts.first() {
        return Err(format!(
            "{key} is '{own}' in the profile but '{value}' in [sso-session {name}]; the AWS CLI refuses such a \
             profile too: remove it from the profile or make them equal"
        ));
    }
    let value = |key: &str| session.get(key).cloned().ok_or_else(|| format!("[sso-session {name}] has no {key}"));
    Ok(ConfigLogin {
        environment: name.to_string(),
        sso_session: Some(name.to_string()),
        start_url: value(SSO_START_URL)?,
        region: value(SSO_REGION)?,
    })
}

/// A profile without an sso-session (the AWS CLI's legacy configuration): its token is kept under
/// its start URL.
fn legacy_session(keys: &Keys) -> Result<ConfigLogin, String> {
    let Some(start_url) = keys.get(SSO_START_URL) else {
        return Err("has neither sso_session nor sso_start_url, which say where to log in".to_string());
    };
    let Some(region) = keys.get(SSO_REGION) else {
        return Err("has sso_start_url but no sso_region (or an sso_session)".to_string());
    };
    Ok(ConfigLogin {
        environment: start_url.clone(),
        sso_session: None,
        start_url: start_url.clone(),
        region: region.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://d-1234567890.awsapps.com/start";

    fn keys(pairs: &[(&str, &str)]) -> Keys {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn sessions() -> HashMap<String, Keys> {
        [("corp".to_string(), keys(&[(SSO_START_URL, URL), (SSO_REGION, "eu-west-1")]))].into()
    }

    fn session_of(pairs: &[(&str, &str)]) -> Result<ConfigLogin, String> {
        match classify(&keys(pairs), &sessions()) {
            Kind::Sso { session, .. } => session,
            other => panic!("not SSO: {other:?}"),
        }
    }

    fn reason(pairs: &[(&str, &str)]) -> String {
        match classify(&keys(pairs), &sessions()) {
            Kind::NotSso(reason) => reason,
            other => panic!("SSO: {other:?}"),
        }
    }

    const ACCOUNT: (&str, &str) = (SSO_ACCOUNT_ID, "123456789012");
    const ROLE: (&str, &str) = (SSO_ROLE_NAME, "ReadOnly");

    #[test]
    fn an_sso_session_profile_uses_the_session_name_and_a_legacy_one_its_start_url() {
        let session = session_of(&[(SSO_SESSION, "corp"), ACCOUNT, ROLE]).unwrap();
        assert_eq!(
            session,
            ConfigLogin {
                environment: "corp".into(),
                sso_session: Some("corp".into()),
                start_url: URL.into(),
                region: "eu-west-1".into()
            }
        );
        let legacy = session_of(&[(SSO_START_URL, URL), (SSO_REGION, "us-east-1"), ACCOUNT, ROLE]).unwrap();
        assert_eq!((legacy.environment.as_str(), legacy.sso_session), (URL, None));
        // The profile may repeat its session's values; equal ones are fine.
        assert!(session_of(&[(SSO_SESSION, "corp"), (SSO_REGION, "eu-west-1"), ACCOUNT, ROLE]).is_ok());
    }

    #[test]
    fn profiles_the_aws_cli_does_not_use_sso_for_are_not_sso() {
        assert!(reason(&[("region", "x")]).starts_with("not an SSO profile"));
        assert!(reason(&[(ROLE_ARN, "arn"), ("source_profile", "dev"), ACCOUNT, ROLE]).contains("role_arn"));
        assert!(reason(&[(ROLE_ARN, "arn"), (WEB_IDENTITY_TOKEN_FILE, "/t")]).contains("web identity"));
        assert!(reason(&[(CREDENTIAL_PROCESS, "x")]).contains("credential_process"));
        assert!(reason(&[(ACCESS_KEY_ID, "AK")]).contains("static keys"));
        assert!(reason(&[(SSO_SESSION, "corp")]).contains("an SSO token, not role credentials"));
    }

    #[test]
    fn each_problem_names_the_key_at_fault() {
        let cases: [(&[(&str, &str)], &str); 9] = [
            (&[(SSO_SESSION, "nope"), ACCOUNT, ROLE], "sso_session 'nope' names no [sso-session nope] section"),
            (
                &[(SSO_SESSION, "corp"), (SSO_START_URL, "https://other/start"), ACCOUNT, ROLE],
                "sso_start_url is 'https://other/start' in the profile but",
            ),
            (&[(SSO_SESSION, "corp"), ACCOUNT], "is missing sso_role_name"),
            (&[(SSO_SESSION, "corp"), ROLE], "is missing sso_account_id"),
            (&[(SSO_SESSION, "corp"), (SSO_ACCOUNT_ID, "1234"), ROLE], "sso_account_id '1234' is not a 12-digit"),
            (&[(SSO_SESSION, "corp"), ACCOUNT, (SSO_ROLE_NAME, "a b")], "sso_role_name 'a b'"),
            (&[ACCOUNT, ROLE], "has neither sso_session nor sso_start_url"),
            (&[(SSO_START_URL, URL), ACCOUNT, ROLE], "no sso_region"),
            (
                &[(SSO_START_URL, "http://example.com/start"), (SSO_REGION, "us-east-1"), ACCOUNT, ROLE],
                "sso_start_url 'http://example.com/start' must use https",
            ),
        ];
        for (pairs, says) in cases {
            let error = session_of(pairs).unwrap_err();
            assert!(error.contains(says), "{pairs:?}: {error}");
        }
        let no_region: HashMap<String, Keys> = [("half".to_string(), keys(&[(SSO_START_URL, URL)]))].into();
        let Kind::Sso { session, .. } = classify(&keys(&[(SSO_SESSION, "half"), ACCOUNT, ROLE]), &no_region) else {
            panic!("SSO");
        };
        assert_eq!(session.unwrap_err(), "[sso-session half] has no sso_region");
    }
}
