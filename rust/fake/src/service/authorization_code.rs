//! The authorization-code grant with PKCE (RFC 6749 §4.1, RFC 7636, RFC 8252): the `/authorize`
//! page a browser is sent to, which approves (or denies) at once as [`Approval`] says and sends the
//! browser back to the client's loopback redirect URI with a code (or an error), and CreateToken's
//! exchange of that code, which must come from the same client, with the same redirect URI and
//! the verifier of the challenge the authorization carried.

use std::collections::HashMap;
use std::time::Instant;

use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Reply, State, AUTHORIZATION_CODE_GRANT};
use crate::config::Approval;
use crate::rng::ALNUM;

/// What a query value keeps as it is: RFC 3986's unreserved characters; the rest is percent-encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// A code `/authorize` handed out, waiting for its one exchange.
pub(super) struct IssuedCode {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    expires: Instant,
}

impl State {
    /// `GET /authorize`: the service's sign-in and consent, done at once. Errors about the client
    /// or its redirect URI are shown on the page (never sent to an unchecked address); the others
    /// go back to the client through the redirect (RFC 6749 §4.1.2.1).
    pub fn authorize(&mut self, query: &HashMap<String, String>) -> Reply {
        self.counters.authorize += 1;
        let q = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
        let (client_id, redirect_uri) = (q("client_id"), q("redirect_uri"));
        let Some(client) = self.clients.get(client_id).filter(|c| c.expires > std::time::SystemTime::now()) else {
            return Reply::html(400, "Unknown or expired client");
        };
        if !client.has_grant(AUTHORIZATION_CODE_GRANT) {
            return Reply::html(400, "The client is not registered for the authorization code grant");
        }
        if !client.redirect_uris.iter().any(|registered| redirect_matches(registered, redirect_uri)) {
            return Reply::html(400, "redirect_uri is not one the client registered");
        }
        let state = query.get("state").map(String::as_str);
        let back = |params: &[(&str, &str)]| Reply::redirect(with_query(redirect_uri, params, state));
        if q("response_type") != "code" {
            return back(&[("error", "unsupported_response_type")]);
        }
        if q("code_challenge").is_empty() || q("code_challenge_method") != "S256" {
            let description = "code_challenge with code_challenge_method S256 is required";
            return back(&[("error", "invalid_request"), ("error_description", description)]);
        }
        let unknown_scope =
            q("scopes").split(' ').filter(|s| !s.is_empty()).any(|s| !client.scopes.iter().any(|r| r == s));
        if unknown_scope && !client.scopes.is_empty() {
            return back(&[("error", "invalid_scope")]);
        }
        match self.config.approval {
            Approval::Never => Reply::html(200, "Waiting for an administrator"),
            Approval::Deny => back(&[("error", "access_denied"), ("error_description", "The user denied the request")]),
            Approval::OnVerificationGet | Approval::AfterPolls(_) => {
                let code = self.rng.string(ALNUM, 64);
                let issued = IssuedCode {
                    client_id: client_id.to_string(),
                    redirect_uri: redirect_uri.to_string(),
                    challenge: q("code_challenge").to_string(),
                    expires: Instant::now() + self.config.authorization_code_ttl,
                };
                self.codes.insert(code.clone(), issued);
                back(&[("code", &code)])
            }
        }
    }

    /// CreateToken with the authorization-code grant, for an authenticated `client_id`.
    pub(super) fn authorization_code_grant(&mut self, client_id: &str, body: &Value) -> Reply {
        let invalid = |why: &str| Reply::oidc_error(400, "InvalidGrantException", "invalid_grant", why);
        // A code is good for one exchange, whatever its outcome.
        let Some(issued) = self.codes.remove(body["code"].as_str().unwrap_or_default()) else {
            return invalid("Invalid authorization code provided");
        };
        if Instant::now() >= issued.expires {
            return invalid("Authorization code has expired");
        }
        if issued.client_id != client_id {
            return invalid("Authorization code was issued to another client");
        }
        if body["redirectUri"].as_str() != Some(issued.redirect_uri.as_str()) {
            return invalid("redirectUri does not match the authorization request");
        }
        if s256(body["codeVerifier"].as_str().unwrap_or_default()) != issued.challenge {
            return invalid("Code verifier does not match code challenge");
        }
        self.issue_token(client_id)
    }
}

/// A redirect URI a public client may register: loopback http, or https.
pub(super) fn acceptable_redirect_uri(uri: &str) -> bool {
    uri.starts_with("https://") || without_loopback_port(uri).is_some_and(|u| u.starts_with("http://127.0.0.1/"))
}

/// RFC 8252 §7.3: a loopback redirect URI matches the registered one with any port.
fn redirect_matches(registered: &str, given: &str) -> bool {
    registered == given || without_loopback_port(given).is_some_and(|uri| uri == registered)
}

/// `http://127.0.0.1:<port>/path` as `http://127.0.0.1/path`; `None` for any other URI.
fn without_loopback_port(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("http://127.0.0.1")?;
    let path_at = rest.find('/').unwrap_or(rest.len());
    let (port, path) = rest.split_at(path_at);
    let port_ok = port.is_empty() || port.strip_prefix(':').is_some_and(|p| p.parse::<u16>().is_ok());
    port_ok.then(|| format!("http://127.0.0.1{path}"))
}

/// `uri` with `params` (and `state`, when the request had one) added to its query, percent-encoded.
fn with_query(uri: &str, params: &[(&str, &str)], state: Option<&str>) -> String {
    let encoded: Vec<String> = params
        .iter()
        .copied()
        .chain(state.map(|s| ("state", s)))
        .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, QUERY_VALUE)))
        .collect();
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}{}", encoded.join("&"))
}

/// BASE64URL(SHA256(verifier)) without padding (RFC 7636 §4.2).
fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_match_with_any_port_and_nothing_else_does() {
        let registered = "http://127.0.0.1/oauth/callback";
        assert!(redirect_matches(registered, "http://127.0.0.1:49152/oauth/callback"));
        assert!(redirect_matches(registered, registered));
        for other in [
            "http://127.0.0.1:49152/oauth/other",
            "http://127.0.0.1:99999/oauth/callback",
            "http://localhost:49152/oauth/callback",
            "http://127.0.0.1.evil.example:80/oauth/callback",
            "https://127.0.0.1:49152/oauth/callback",
        ] {
            assert!(!redirect_matches(registered, other), "{other}");
        }
        assert!(acceptable_redirect_uri(registered) && acceptable_redirect_uri("https://app.example/cb"));
        assert!(!acceptable_redirect_uri("http://app.example/cb"));
    }

    #[test]
    fn the_challenge_is_rfc_7636s_example() {
        assert_eq!(s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn redirects_carry_the_state_encoded() {
        assert_eq!(
            with_query("http://127.0.0.1:5/cb", &[("code", "c")], Some("a b&c")),
            "http://127.0.0.1:5/cb?code=c&state=a%20b%26c"
        );
        assert_eq!(
            with_query("https://x/cb?k=1", &[("error", "access_denied")], None),
            "https://x/cb?k=1&error=access_denied"
        );
    }
}
