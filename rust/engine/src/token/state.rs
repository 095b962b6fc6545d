//! The token's state types, beside the token's functions but importing none of them, so that the
//! per-process state (`crate::state`) holds them from below the features: the SSO token, the
//! client registration that renews it, and where a token is kept. The token is built from the
//! service's answer here, once, for a login and for a renewal alike.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use aws_sdk_ssooidc::operation::create_token::CreateTokenOutput;

use crate::error::{Error, ErrorCode, Result};
use crate::secret::Secret;

/// An OIDC public-client registration, reusable until it expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Registration {
    pub region: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub expires_at: SystemTime,
}

impl Registration {
    /// True when the registration is still valid `margin` after `now`.
    pub(crate) fn valid_at(&self, now: SystemTime, margin: Duration) -> bool {
        self.expires_at > now + margin
    }
}

/// An SSO access token for one start URL, with what can renew it.
#[derive(Clone, Debug)]
pub(crate) struct SsoToken {
    pub access_token: Secret,
    pub expires_at: SystemTime,
    pub start_url: String,
    pub region: String,
    pub refresh_token: Option<Secret>,
    pub registration: Option<Registration>,
}

impl SsoToken {
    /// True when the token is still usable `margin` after `now`.
    pub(crate) fn valid_at(&self, now: SystemTime, margin: Duration) -> bool {
        self.expires_at > now + margin
    }

    /// True when a refresh-token grant may renew it without the user.
    pub(crate) fn refreshable_at(&self, now: SystemTime) -> bool {
        self.refresh_token.is_some() && self.registration.as_ref().is_some_and(|r| r.valid_at(now, Duration::ZERO))
    }

    /// The token a CreateToken call issued at `now` (read when the answer came), for `start_url`,
    /// renewable with `registration`; the one place a token is built from the service's answer.
    pub(crate) fn issued(
        output: CreateTokenOutput,
        start_url: &str,
        region: &str,
        registration: &Registration,
        now: SystemTime,
    ) -> Result<SsoToken> {
        let access_token = output
            .access_token
            .ok_or_else(|| Error::new(ErrorCode::ServiceError, "CreateToken returned no access token"))?;
        Ok(SsoToken {
            access_token: Secret::new(access_token),
            expires_at: now + Duration::from_secs(output.expires_in.max(0) as u64),
            start_url: start_url.to_string(),
            region: region.to_string(),
            refresh_token: output.refresh_token.map(Secret::new),
            registration: Some(registration.clone()),
        })
    }

    /// True when the token belongs to `start_url`, or no start URL is asked for.
    pub(crate) fn is_for(&self, start_url: Option<&str>) -> bool {
        start_url.is_none_or(|url| url == self.start_url)
    }
}

/// Where a login's token goes once it is approved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Persistence {
    /// The AWS CLI v2 cache file, unless the caller asked for memory only.
    pub cache_file: Option<PathBuf>,
    /// Also write `[sso-session <environment>]` into this AWS config file.
    pub sso_session_config: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    #[test]
    fn an_issued_token_ends_its_lifetime_after_the_clock_s_time_not_the_system_s() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let registration = Registration {
            region: "us-east-1".into(),
            client_id: "client".into(),
            client_secret: Secret::new("CLIENT-SECRET"),
            expires_at: now + Duration::from_secs(86_400),
        };
        let output =
            CreateTokenOutput::builder().access_token("aoa-ACCESS").expires_in(3600).refresh_token("aor-R").build();
        let token = SsoToken::issued(output, "https://x", "us-east-1", &registration, now).unwrap();
        assert_eq!(token.expires_at, now + Duration::from_secs(3600));
        assert!(token.refresh_token.is_some() && token.registration == Some(registration.clone()));

        let no_token = CreateTokenOutput::builder().expires_in(3600).build();
        let error = SsoToken::issued(no_token, "https://x", "us-east-1", &registration, now).unwrap_err();
        assert_eq!(error.code, ErrorCode::ServiceError);
    }
}
