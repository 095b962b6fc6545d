//! Input checks that run before any network call or file write. Each error names the field at fault.

use crate::error::{Error, Result};

/// The longest profile name, in characters, given or made from a template.
pub(crate) const PROFILE_NAME_MAX_CHARS: usize = 128;

/// A 12-digit AWS account id.
pub(crate) fn account_id(value: &str, field: &str) -> Result<()> {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Error::invalid_input(format!("{field} '{}' is not a 12-digit AWS account id", printable(value))))
    }
}

/// A profile name that can stand as a section header in the credentials file without changing its
/// meaning: no brackets, comment or assignment characters, no control characters, no line breaks,
/// no surrounding white space.
pub(crate) fn profile_name(value: &str, field: &str) -> Result<()> {
    let bad = |why: &str| Err(Error::invalid_input(format!("{field} '{}' {why}", printable(value))));
    if value.trim().is_empty() {
        return bad("is blank");
    }
    if value.chars().count() > PROFILE_NAME_MAX_CHARS {
        return bad(&format!("is longer than {PROFILE_NAME_MAX_CHARS} characters"));
    }
    if value.trim() != value {
        return bad("starts or ends with white space");
    }
    if let Some(c) = value.chars().find(|c| matches!(c, '[' | ']' | '#' | ';' | '=') || c.is_control()) {
        return bad(&format!(
            "contains the character {c:?}, which the credentials file does not allow in a profile name"
        ));
    }
    Ok(())
}

/// A profile name for the credentials file: a valid name that is not `DEFAULT`, which Python's
/// configparser (botocore's reader) takes as the section whose keys every profile inherits.
pub(crate) fn credentials_profile_name(value: &str, field: &str) -> Result<()> {
    profile_name(value, field)?;
    if value == "DEFAULT" {
        return Err(Error::invalid_input(format!(
            "{field} 'DEFAULT' is the section whose keys botocore gives every profile; choose another profile name"
        )));
    }
    Ok(())
}

/// An IAM role / permission set name: 1 to 64 of letters, digits and `+=,.@_-`.
pub(crate) fn role_name(value: &str, field: &str) -> Result<()> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
    if !value.is_empty() && value.len() <= 64 && value.chars().all(allowed) {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "{field} '{}' is not a valid IAM role name (1 to 64 of letters, digits and +=,.@_-)",
            printable(value)
        )))
    }
}

/// An AWS region code such as `us-east-1`, `eu-central-2` or `us-gov-west-1`.
pub(crate) fn region(value: &str, field: &str) -> Result<()> {
    let parts: Vec<&str> = value.split('-').collect();
    let well_formed = value.len() <= 32
        && parts.len() >= 3
        && parts[0].len() >= 2
        && parts.split_last().is_some_and(|(number, words)| {
            (1..=2).contains(&number.len())
                && number.bytes().all(|b| b.is_ascii_digit())
                && words.iter().all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
        });
    if well_formed {
        Ok(())
    } else {
        Err(Error::invalid_input(format!("{field} '{}' is not an AWS region code like us-east-1", printable(value))))
    }
}

/// The access portal start URL: https, or http only to a loopback host (for local fakes).
pub(crate) fn start_url(value: &str, field: &str) -> Result<()> {
    match parse_http_url(value) {
        Some(url) if url.secure || url.is_loopback() => Ok(()),
        Some(_) => Err(Error::invalid_input(format!(
            "{field} '{}' must use https (http is allowed only for a loopback host)",
            printable(value)
        ))),
        None => Err(Error::invalid_input(format!(
            "{field} '{}' is not a URL like https://d-1234567890.awsapps.com/start",
            printable(value)
        ))),
    }
}

/// The parts of an http(s) URL that the checks need.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct HttpUrl {
    pub secure: bool,
    pub host: String,
}

impl HttpUrl {
    pub(crate) fn is_loopback(&self) -> bool {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

/// Splits `http[s]://[user@]host[:port][/...]`; `None` for anything else or for unsafe characters.
pub(crate) fn parse_http_url(value: &str) -> Option<HttpUrl> {
    if value.len() > 1024 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let lower = value.to_ascii_lowercase();
    let (secure, rest) = if lower.starts_with("https://") {
        (true, &value[8..])
    } else if lower.starts_with("http://") {
        (false, &value[7..])
    } else {
        return None;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if host_port.starts_with('[') {
        host_port.split_inclusive(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    if host.is_empty() {
        return None;
    }
    Some(HttpUrl { secure, host: host.to_string() })
}

/// Shows a user's input in a message without letting it break the message (control characters
/// escaped, length bounded).
pub fn printable(value: &str) -> String {
    const LIMIT: usize = 80;
    let mut shown: String = value.chars().take(LIMIT).flat_map(char::escape_debug).collect();
    if value.chars().count() > LIMIT {
        shown.push_str("...");
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_must_be_twelve_digits() {
        assert!(account_id("012345678901", "accountId").is_ok());
        for bad in ["12345678901", "1234567890123", "12345678901a", " 12345678901", ""] {
            let err = account_id(bad, "accounts[3].accountId").unwrap_err();
            assert!(err.message.starts_with("accounts[3].accountId"), "{err}");
        }
    }

    #[test]
    fn default_is_refused_as_a_profile_but_default_is_fine() {
        assert!(credentials_profile_name("DEFAULT", "accounts[0].profile").is_err());
        assert!(credentials_profile_name("default", "accounts[0].profile").is_ok());
        assert!(profile_name("DEFAULT", "environment").is_ok());
    }

    #[test]
    fn profile_names_that_would_change_the_file_are_refused() {
        for good in ["dev", "prod.Admin", "team a", "prod-ü", "profile x", "a:b"] {
            assert!(profile_name(good, "profile").is_ok(), "{good}");
        }
        for bad in ["", "  ", "x]\n[default", "a[b", "a#b", "a;b", "a=b", " lead", "trail ", "tab\tin", "nul\0"] {
            let err = profile_name(bad, "accounts[0].profile").unwrap_err();
            assert!(!err.message.contains('\n'), "message must stay on one line: {err}");
        }
    }

    #[test]
    fn role_names_follow_iam_rules() {
        assert!(role_name("AWSAdministratorAccess", "roleName").is_ok());
        assert!(role_name("a+=,.@_-b", "roleName").is_ok());
        assert!(role_name("", "roleName").is_err());
        assert!(role_name("has space", "roleName").is_err());
        assert!(role_name(&"x".repeat(65), "roleName").is_err());
    }

    #[test]
    fn regions_are_well_formed() {
        for good in ["us-east-1", "eu-central-2", "us-gov-west-1", "ap-southeast-4", "us-isob-east-1"] {
            assert!(region(good, "region").is_ok(), "{good}");
        }
        for bad in ["", "us-east", "US-EAST-1", "us_east_1", "useast1", "us-east-1/x", "us--1", "us-east-123"] {
            assert!(region(bad, "region").is_err(), "{bad}");
        }
    }

    #[test]
    fn start_urls_must_be_https_unless_loopback() {
        assert!(start_url("https://d-1234567890.awsapps.com/start/", "startUrl").is_ok());
        assert!(start_url("http://127.0.0.1:8080/start", "startUrl").is_ok());
        assert!(start_url("http://[::1]:1/start", "startUrl").is_ok());
        assert!(start_url("http://localhost/start", "startUrl").is_ok());
        assert!(start_url("http://example.com/start", "startUrl").is_err());
        assert!(start_url("http://127.0.0.1.evil.com/start", "startUrl").is_err());
        assert!(start_url("ftp://x", "startUrl").is_err());
        assert!(start_url("https://", "startUrl").is_err());
        assert!(start_url("https://a b", "startUrl").is_err());
    }

    #[test]
    fn printable_escapes_and_bounds() {
        assert_eq!(printable("a\nb"), "a\\nb");
        assert!(printable(&"x".repeat(500)).len() < 100);
    }
}
