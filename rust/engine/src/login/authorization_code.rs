//! The SSO-OIDC side of an authorization-code login with PKCE (RFC 7636): the proof key and the
//! `state` of one login, the URL of the service's `/authorize` page the browser is sent to, and
//! the exchange of the code the browser brings back for a token.

use aws_sdk_ssooidc::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
use aws_sdk_ssooidc::Client;
use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

use super::CodeExchange;
use crate::clock::Clock;
use crate::endpoint::{override_for, Service};
use crate::env::HostEnv;
use crate::error::{Error, ErrorCode, Result};
use crate::oidc::{AUTHORIZATION_CODE_GRANT, SCOPE};
use crate::secret::Secret;
use crate::service_error::ServiceFailure;
use crate::token::SsoToken;

/// Random bytes in a code verifier: 43 characters once encoded, RFC 7636's minimum and
/// recommendation (256 bits).
const VERIFIER_BYTES: usize = 32;
/// Random bytes in a `state`: 128 bits, as a UUID (what the AWS CLI sends) carries at most.
const STATE_BYTES: usize = 16;
/// What a query value keeps as it is: RFC 3986's unreserved characters; the rest is percent-encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The secret half of a login's proof key, and the challenge derived from it that the
/// authorization request carries.
pub(super) struct ProofKey {
    pub verifier: Secret,
    pub challenge: String,
}

impl ProofKey {
    /// A random verifier and its S256 challenge: BASE64URL(SHA256(verifier)), without padding.
    pub(super) fn new() -> Result<ProofKey> {
        let verifier = random_text(VERIFIER_BYTES)?;
        let challenge = s256(&verifier);
        Ok(ProofKey { verifier, challenge })
    }
}

/// The S256 code challenge of `verifier` (RFC 7636 §4.2).
fn s256(verifier: &Secret) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.expose().as_bytes()))
}

/// A random `state`, which the browser must bring back unchanged.
pub(super) fn random_state() -> Result<Secret> {
    random_text(STATE_BYTES)
}

/// `bytes` random bytes from the operating system, base64url without padding (RFC 7636's
/// unreserved characters only).
fn random_text(bytes: usize) -> Result<Secret> {
    let mut buffer = zeroize::Zeroizing::new(vec![0u8; bytes]);
    getrandom::fill(&mut buffer).map_err(|e| {
        Error::new(ErrorCode::Io, format!("the operating system's random number generator failed: {e}"))
    })?;
    Ok(Secret::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&*buffer)))
}

/// The OIDC endpoint of `region`, where `/authorize` is: the standard override, else the one the
/// SDK would call (`https://oidc.<region>.amazonaws.com`, or the region's partition's).
pub(super) async fn oidc_endpoint(region: &str, env: &HostEnv) -> Result<String> {
    if let Some(url) = override_for(Service::Oidc, env)? {
        return Ok(url.trim_end_matches('/').to_string());
    }
    let unresolved =
        |detail: String| Error::invalid_input(format!("region '{region}': no SSO-OIDC endpoint is known ({detail})"));
    let params = Params::builder().region(region).build().map_err(|e| unresolved(e.to_string()))?;
    let endpoint = DefaultResolver::new().resolve_endpoint(&params).await.map_err(|e| unresolved(e.to_string()))?;
    Ok(endpoint.url().trim_end_matches('/').to_string())
}

/// What the browser is sent to: the service's sign-in and approval, which then redirects to
/// `redirect_uri` with the code and `state`.
pub(super) fn authorization_url(
    endpoint: &str,
    client_id: &str,
    redirect_uri: &str,
    state: &Secret,
    challenge: &str,
) -> String {
    let query = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("state", state.expose()),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("scopes", SCOPE),
    ]
    .iter()
    .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, QUERY_VALUE)))
    .collect::<Vec<_>>()
    .join("&");
    format!("{endpoint}/authorize?{query}")
}

/// Why the code was not exchanged for a token.
pub(super) enum ExchangeRefused {
    /// The service no longer accepts the client registration: the next login registers again.
    Registration(Error),
    Other(Error),
}

/// CreateToken with the code the browser brought back, the verifier and the same redirect URI.
pub(super) async fn exchange(
    client: &Client,
    login: &CodeExchange,
    code: &Secret,
    environment: &str,
    clock: &Clock,
) -> Result<SsoToken, ExchangeRefused> {
    let registration = &login.registration;
    let answer = client
        .create_token()
        .client_id(&registration.client_id)
        .client_secret(registration.client_secret.expose())
        .grant_type(AUTHORIZATION_CODE_GRANT)
        .code(code.expose())
        .code_verifier(login.verifier.expose())
        .redirect_uri(&login.redirect_uri)
        .send()
        .await;
    let output = answer.map_err(|e| refused(&ServiceFailure::from_sdk(&e), environment))?;
    SsoToken::issued(output, &login.start_url, &login.region, registration, clock.now()).map_err(ExchangeRefused::Other)
}

fn refused(failure: &ServiceFailure, environment: &str) -> ExchangeRefused {
    let code = failure.code.clone().unwrap_or_default();
    match code.as_str() {
        "InvalidGrantException" | "ExpiredTokenException" => ExchangeRefused::Other(Error::login_required(
            environment,
            &format!(
                "the service refused the authorization code the browser brought back ({code}: it expired, was used \
                 already, or does not match this login's proof key)"
            ),
        )),
        "AccessDeniedException" => ExchangeRefused::Other(Error::new(
            ErrorCode::AccessDenied,
            format!("environment '{environment}': the service denied the login ({code})"),
        )),
        "InvalidClientException" | "UnauthorizedClientException" => {
            ExchangeRefused::Registration(Error::login_required(
                environment,
                &format!("the service no longer accepts the client registration ({code})"),
            ))
        }
        _ => ExchangeRefused::Other(failure.to_error("CreateToken").context(format!("environment '{environment}'"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636s_example() {
        // RFC 7636, appendix B.
        let verifier = Secret::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(s256(&verifier), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn verifiers_and_states_are_random_unreserved_text() {
        let (a, b) = (ProofKey::new().unwrap(), ProofKey::new().unwrap());
        assert_ne!(a.verifier, b.verifier);
        assert_eq!(a.verifier.expose().len(), 43);
        assert_eq!(a.challenge, s256(&a.verifier));
        let state = random_state().unwrap();
        assert_eq!(state.expose().len(), 22);
        let unreserved = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
        assert!(unreserved(a.verifier.expose()) && unreserved(state.expose()) && unreserved(&a.challenge));
    }

    #[test]
    fn the_authorization_url_carries_every_parameter_encoded() {
        let url = authorization_url(
            "https://oidc.eu-west-1.amazonaws.com",
            "client id",
            "http://127.0.0.1:4321/oauth/callback",
            &Secret::new("st"),
            "ch",
        );
        assert_eq!(
            url,
            "https://oidc.eu-west-1.amazonaws.com/authorize?response_type=code&client_id=client%20id\
             &redirect_uri=http%3A%2F%2F127.0.0.1%3A4321%2Foauth%2Fcallback&state=st&code_challenge=ch\
             &code_challenge_method=S256&scopes=sso%3Aaccount%3Aaccess"
        );
    }

    #[tokio::test]
    async fn the_endpoint_is_the_sdks_or_the_override() {
        let none = HostEnv::from_pairs([("HOME", "/h")]);
        assert_eq!(oidc_endpoint("eu-west-1", &none).await.unwrap(), "https://oidc.eu-west-1.amazonaws.com");
        assert_eq!(oidc_endpoint("cn-north-1", &none).await.unwrap(), "https://oidc.cn-north-1.amazonaws.com.cn");
        let fake = HostEnv::from_pairs([("AWS_ENDPOINT_URL_SSO_OIDC", "http://127.0.0.1:9000/")]);
        assert_eq!(oidc_endpoint("us-east-1", &fake).await.unwrap(), "http://127.0.0.1:9000");
    }
}
