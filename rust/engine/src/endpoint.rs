//! Where the two services are reached: the regional AWS endpoints, or an override given the standard
//! way (`AWS_ENDPOINT_URL_SSO_OIDC`, `AWS_ENDPOINT_URL_SSO`, `AWS_ENDPOINT_URL`), which is how tests
//! reach the bundled fake. A token is never sent over plain http to a host that is not loopback.

use crate::env::HostEnv;
use crate::error::{Error, ErrorCode, Result};
use crate::validate::{parse_http_url, printable};

/// The two services the engine calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// SSO-OIDC: client registration, device authorization, tokens.
    Oidc,
    /// The SSO portal: role credentials, account and role listing, logout.
    Portal,
}

impl Service {
    fn specific_variable(self) -> &'static str {
        match self {
            Service::Oidc => "AWS_ENDPOINT_URL_SSO_OIDC",
            Service::Portal => "AWS_ENDPOINT_URL_SSO",
        }
    }
}

/// The endpoint override for `service`, checked; `None` means the SDK's regional default (https).
pub fn override_for(service: Service, env: &HostEnv) -> Result<Option<String>> {
    if env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return Ok(None);
    }
    let (variable, url) = match env.get(service.specific_variable()) {
        Some(url) => (service.specific_variable(), url),
        None => match env.get("AWS_ENDPOINT_URL") {
            Some(url) => ("AWS_ENDPOINT_URL", url),
            None => return Ok(None),
        },
    };
    match parse_http_url(&url) {
        Some(parsed) if parsed.secure || parsed.is_loopback() => Ok(Some(url)),
        Some(_) => Err(Error::new(
            ErrorCode::InsecureEndpoint,
            format!(
                "{variable} '{}' is plain http to a host that is not loopback; tokens are only sent over https",
                printable(&url)
            ),
        )),
        None => Err(Error::invalid_input(format!("{variable} '{}' is not an http(s) URL", printable(&url)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specific_variable_wins_over_the_general_one() {
        let env = HostEnv::from_pairs([
            ("AWS_ENDPOINT_URL", "https://general.example"),
            ("AWS_ENDPOINT_URL_SSO", "http://127.0.0.1:9000"),
        ]);
        assert_eq!(override_for(Service::Portal, &env).unwrap().as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(override_for(Service::Oidc, &env).unwrap().as_deref(), Some("https://general.example"));
    }

    #[test]
    fn plain_http_to_a_remote_host_is_refused() {
        let env = HostEnv::from_pairs([("AWS_ENDPOINT_URL_SSO", "http://sso.example.com")]);
        let err = override_for(Service::Portal, &env).unwrap_err();
        assert_eq!(err.code, ErrorCode::InsecureEndpoint);
        assert!(err.message.contains("AWS_ENDPOINT_URL_SSO"));
    }

    #[test]
    fn overrides_can_be_ignored() {
        let env = HostEnv::from_pairs([
            ("AWS_ENDPOINT_URL", "http://sso.example.com"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
        ]);
        assert_eq!(override_for(Service::Portal, &env).unwrap(), None);
    }
}
