//! The OIDC words shared by the login that gets a token and the token's renewal (RFC 6749, RFC
//! 8628): the scope this tool asks for and the grants it uses.

/// The one scope this tool asks for: the SSO portal's accounts and roles.
pub(crate) const SCOPE: &str = "sso:account:access";
pub(crate) const REFRESH_TOKEN_GRANT: &str = "refresh_token";
pub(crate) const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
pub(crate) const AUTHORIZATION_CODE_GRANT: &str = "authorization_code";
